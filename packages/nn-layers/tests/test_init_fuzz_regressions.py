"""Regressions of ``nn.init`` found by the differential fuzz against PyTorch: the errors PyTorch's
samplers raise for tensors they have no kernel for, raised before anything is written."""
import math

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.nn import init


@pytest.mark.parametrize("a, b, kernel", [(-2.0, 2.0, "normal_kernel_cpu"), (0.0, 3.0, "normal_kernel_cpu"),
                                          (0.5, 0.6, "check_uniform_bounds"), (1.0, 3.0, "check_uniform_bounds")])
def test_trunc_normal_integer_tensor_names_the_sampler_kernel(a, b, kernel):
    t = tg.full((3,), 7, dtype=tg.int64)
    with pytest.raises(NotImplementedError) as info:
        init.trunc_normal_(t, a=a, b=b)
    assert str(info.value) == f"\"{kernel}\" not implemented for 'Long'"
    assert t.tolist() == [7, 7, 7]


def test_trunc_normal_empty_window_is_a_uniform_range_error():
    t = tg.zeros(3)
    with pytest.raises(RuntimeError, match=r"^uniform_ expects to return a \[from, to\) range, but found from=2 > "
                                           r"to=1$"):
        init.trunc_normal_(t, a=2, b=1)
    with pytest.raises(RuntimeError, match=r"found from=0.5 > to=-1.25$"):
        init.trunc_normal_(t, a=0.5, b=-1.25)
    assert not t.numpy().any()


def test_trunc_normal_still_samples_inside_the_window(tg_device):
    gen = tg.Generator(tg_device).manual_seed(11)
    t = init.trunc_normal_(tg.empty(20000, dtype=tg.float64, device=tg_device), mean=0.5, std=2.0, a=-1.0, b=3.0,
                           generator=gen)
    values = t.cpu().numpy()
    assert values.min() >= -1.0 and values.max() <= 3.0
    # the mean of N(0.5, 2) truncated to [-1, 3]: mu + sigma (pdf(lo) - pdf(hi)) / (cdf(hi) - cdf(lo))
    lo, hi = (-1.0 - 0.5) / 2.0, (3.0 - 0.5) / 2.0

    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z):
        return (1 + math.erf(z / math.sqrt(2))) / 2
    expected = 0.5 + 2.0 * (pdf(lo) - pdf(hi)) / (cdf(hi) - cdf(lo))
    assert abs(values.mean() - expected) < 0.03


@pytest.mark.parametrize("dtype, message", [(tg.int64, "\"normal_kernel_cpu\" not implemented for 'Long'"),
                                            (tg.bool, "\"normal_kernel_cpu\" not implemented for 'Bool'"),
                                            (tg.float16, "\"geqrf_cpu\" not implemented for 'Half'")])
def test_orthogonal_rejects_dtypes_without_kernels(dtype, message):
    t = tg.zeros(3, 4, dtype=dtype)
    with pytest.raises(NotImplementedError) as info:
        init.orthogonal_(t)
    assert str(info.value) == message
    assert not t.numpy().astype(np.float64).any()


def test_orthogonal_still_orthonormal(tg_device):
    q = init.orthogonal_(tg.empty(4, 2, 3, dtype=tg.float64, device=tg_device), gain=2.0).reshape(4, -1).cpu().numpy()
    np.testing.assert_allclose(q @ q.T, 4.0 * np.eye(4), atol=1e-10)
