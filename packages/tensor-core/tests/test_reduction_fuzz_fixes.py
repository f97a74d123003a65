"""Regressions found by the reductions/sorting/scans/statistics differential fuzzer; the expected
values and messages are PyTorch 2.13's, hard-coded."""
import math
import warnings

import numpy as np
import pytest

import tensorgraft as torch

nan = float("nan")


def _vals(t):
    return t.float().tolist() if t.dtype in (torch.float16, torch.bfloat16) else t.tolist()


# --------------------------------------------------------------------------- half accumulation (1)
def test_float16_sum_accumulates_in_float32():
    x = torch.tensor([[2048., 0], [1, 0], [1, 0], [1, 0], [1, 0]], dtype=torch.float16)
    assert _vals(x.sum(0)) == [2052., 0.]
    r = x.float().sum(0, dtype=torch.float16)
    assert r.dtype == torch.float16 and _vals(r) == [2052., 0.]
    assert _vals(x.nansum(0)) == [2052., 0.]
    assert _vals(x.float().nansum(0, dtype=torch.float16)) == [2052., 0.]


def test_bfloat16_sum_dtype_accumulates_in_float32():
    x = torch.tensor([[256., 0], [1, 0], [1, 0], [1, 0], [1, 0]])
    r = x.sum(0, dtype=torch.bfloat16)
    assert r.dtype == torch.bfloat16 and _vals(r) == [260., 0.]
    assert _vals(x.nansum(0, dtype=torch.bfloat16)) == [260., 0.]
    # the input is cast first: 1e-8 is 0 in float16
    assert torch.tensor([1e-8] * 1000).sum(dtype=torch.float16).item() == 0.0


def test_half_cumsum_dtype_accumulates_in_float32():
    r = torch.tensor([2048., 1, 1, 1, 1]).cumsum(0, dtype=torch.float16)
    assert r.dtype == torch.float16 and _vals(r) == [2048., 2048., 2050., 2052., 2052.]
    r = torch.tensor([256., 0.6, 0.6, 0.6]).cumsum(0, dtype=torch.bfloat16)
    assert r.dtype == torch.bfloat16 and _vals(r) == [256., 256., 258., 258.]


# --------------------------------------------------------------------------- mean / median dtypes (2)
def test_mean_bfloat16_dtype():
    r = torch.tensor([1.5, 2.5]).mean(dtype=torch.bfloat16)
    assert r.dtype == torch.bfloat16 and r.item() == 2.0
    assert torch.tensor([1, 2]).mean(dtype=torch.bfloat16).dtype == torch.bfloat16
    r = torch.tensor([[256., 0], [1, 0], [1, 0], [1, 0], [1, 0]]).mean(0, dtype=torch.bfloat16)
    assert r.dtype == torch.bfloat16 and _vals(r) == [52., 0.]


def test_median_of_empty_half_keeps_dtype():
    for dt in (torch.bfloat16, torch.float16):
        x = torch.zeros(0, 2, dtype=dt)
        for r in (x.median(), x.nanmedian()):
            assert r.dtype == dt and math.isnan(r.item())


def test_median_of_empty_int_bool_complex():
    assert torch.zeros(0, 2, dtype=torch.int64).median().item() == -9223372036854775808
    assert torch.zeros(0, dtype=torch.int32).nanmedian().item() == -2147483648
    assert torch.zeros(0, dtype=torch.int8).median().item() == 0
    assert torch.zeros(0, dtype=torch.bool).median().item() is True
    r = torch.zeros(0, 2, dtype=torch.complex64).median()
    assert math.isnan(r.real.item()) and r.imag.item() == 0.0


# --------------------------------------------------------------------------- dist (4, 22)
def test_dist_of_complex_is_real():
    x, y = torch.tensor([1 + 1j, -2 + 0j]), torch.tensor([0.5, 1.0])
    for p, want in ((2, 3.2016), (1, 4.1180), (0, 2.0), (3, 3.0509)):
        r = torch.dist(x, y, p)
        assert r.dtype == torch.float32 and r.item() == pytest.approx(want, abs=1e-4)
    r = torch.dist(x.to(torch.complex128), y, float("inf"))
    assert r.dtype == torch.float64 and r.item() == 3.0


@pytest.mark.parametrize("p", [float("inf"), float("-inf")])
def test_dist_of_empty_with_infinite_p(p):
    name = "inf" if p > 0 else "-inf"
    with pytest.raises(RuntimeError, match=f"^linalg.vector_norm cannot compute the {name} norm on an empty tensor "
                                           "because the operation does not have an identity$"):
        torch.dist(torch.zeros(0, 2), torch.zeros(0, 2), p)
    assert torch.dist(torch.zeros(0, 2), torch.zeros(0, 2), 2).item() == 0.0


def test_renorm_inf_on_empty_dim():
    with pytest.raises(RuntimeError) as e:
        torch.renorm(torch.zeros(2, 0), float("inf"), 0, 1.)
    assert str(e.value) == ("linalg.vector_norm cannot compute the inf norm on the dimension 1because this dimension "
                            "is empty and the operation does not have an identity")
    assert torch.renorm(torch.zeros(0, 2), float("inf"), 0, 1.).shape == (0, 2)


# --------------------------------------------------------------------------- cov / corrcoef (8, 23)
def test_cov_negative_norm_factor_zeroed_to_plus_zero():
    x = torch.tensor([[1.0, 2.0, 4.0, 0.5, 3.0], [0.5, 0.1, 0.3, 2.0, 1.0]])
    w = torch.tensor([0.6, 1.06, 0.55, 0.28, 1.22])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = torch.cov(x, correction=5, aweights=w)
    assert r.tolist() == [[math.inf, -math.inf], [-math.inf, math.inf]]


def test_corrcoef_complex():
    r = torch.corrcoef(torch.tensor([[1 + 1j, 2 - 1j, 0.5j], [0.3 + 0j, 1j, -1 + 0j]]))
    want = np.array([[1, -0.0647 - 0.4205j], [-0.0647 + 0.4205j, 1]])
    assert r.dtype == torch.complex64
    np.testing.assert_allclose(r.numpy(), want, atol=1e-4)


# --------------------------------------------------------------------------- unique(dim) (9, 24, 25)
def test_unique_dim_nan_rows_are_distinct():
    r = torch.unique(torch.tensor([3., nan, nan]), dim=0, return_inverse=True, return_counts=True)
    assert str(r[0].tolist()) == "[3.0, nan, nan]" and r[1].tolist() == [0, 1, 2] and r[2].tolist() == [1, 1, 1]
    r = torch.unique(torch.tensor([[3., nan, 3.], [1., 3., 3.]]), dim=1, return_inverse=True)
    assert str(r[0].tolist()) == "[[3.0, nan, 3.0], [1.0, 3.0, 3.0]]" and r[1].tolist() == [0, 1, 2]
    x = torch.tensor([[3., nan], [3., nan], [1., 2.], [nan, 0], [1., 2.]])
    v, inv, cnt = torch.unique(x, dim=0, return_inverse=True, return_counts=True)
    assert str(v.tolist()) == "[[nan, 0.0], [1.0, 2.0], [3.0, nan], [3.0, nan]]"
    assert inv.tolist() == [2, 3, 1, 0, 1] and cnt.tolist() == [1, 2, 1, 1]


def test_unique_dim_errors():
    with pytest.raises(IndexError, match="^Dimension specified as 0 but tensor has no dimensions$"):
        torch.unique(torch.tensor(5.0), dim=0)
    with pytest.raises(RuntimeError, match="^There are 0 sized dimensions, and they aren't selected, so unique "
                                           "cannot be applied$"):
        torch.unique(torch.zeros(0, 3), dim=1)
    with pytest.raises(RuntimeError, match="^Number of zero sized dimensions is more than one, so unique cannot "
                                           "be applied $"):
        torch.unique(torch.zeros(0, 0), dim=0)
    assert torch.unique(torch.zeros(0, 3), dim=0).shape == (0, 3)


# --------------------------------------------------------------------------- prod (11)
def test_half_prod_rounds_every_step():
    for r in (torch.tensor([300., 300., 0.], dtype=torch.half).prod(),
              torch.tensor([[300., 300., 0.]], dtype=torch.half).prod(1),
              torch.tensor([300., 300., 0.]).prod(dtype=torch.half)):
        assert r.dtype == torch.float16 and math.isnan(r.reshape(-1)[0].item())
    assert torch.tensor([1.01] * 20).bfloat16().prod().item() == 1.15625
    assert torch.tensor([1.001] * 50).half().prod(0, keepdim=True).tolist() == [1.048828125]


# --------------------------------------------------------------------------- nanmean / nansum (14, 24)
def test_nanmean_nansum_dtype_rules():
    with pytest.raises(RuntimeError, match="^nansum on CPU does not support complex inputs$"):
        torch.nanmean(torch.tensor([0.4 + 1j]), dtype=torch.float64)
    with pytest.raises(RuntimeError, match="^nanmean\\(\\): expected input to have floating point or complex dtype "
                                           "but got Long$"):
        torch.nanmean(torch.tensor([1, 2]), dtype=torch.float32)
    with pytest.raises(NotImplementedError, match="^\"nansum_cpu\" not implemented for 'ComplexFloat'$"):
        torch.nansum(torch.tensor([1.0, 2.0]), dtype=torch.complex64)
    r = torch.nanmean(torch.zeros(0), dtype=torch.complex128)
    assert r.dtype == torch.complex128 and math.isnan(r.real.item())
    assert torch.nansum(torch.zeros(0), dtype=torch.complex128).item() == 0


@pytest.mark.parametrize("which", ["cumsum", "cumprod"])
def test_cumulative_bool_dtype_refused(which):
    with pytest.raises(NotImplementedError, match=f"^\"{which}_out_cpu\" not implemented for 'Bool'$"):
        getattr(torch, which)(torch.tensor([1, 2]), 0, dtype=torch.bool)
    assert getattr(torch, which)(torch.zeros(0), 0, dtype=torch.bool).dtype == torch.bool


# --------------------------------------------------------------------------- var / std (15, 24)
def test_var_of_empty_with_negative_correction_is_nan():
    assert math.isnan(torch.var(torch.zeros(0), 0, correction=-1).item())


@pytest.mark.parametrize("call", [lambda x: torch.std(x, unbiased=True, keepdim=True),
                                  lambda x: x.var(unbiased=False, keepdim=True),
                                  lambda x: torch.var(x, True, keepdim=True)])
def test_var_unbiased_keepdim_without_dim_refused(call):
    with pytest.raises(TypeError, match="received an invalid combination of arguments"):
        call(torch.tensor([[1., 2.]]))


def test_var_mean_unbiased_keepdim_without_dim_refused():
    with pytest.raises(TypeError, match="^var_mean\\(\\) received an invalid combination of arguments - got "
                                        "\\(Tensor, keepdim=bool, unbiased=bool\\)"):
        torch.var_mean(torch.tensor([[1., 2.]]), unbiased=True, keepdim=True)
    assert torch.var(torch.tensor([[1., 2.]]), None, True, True).tolist() == [[0.5]]


# --------------------------------------------------------------------------- out= (16, 17)
def test_logical_and_amax_out_dtype_rules():
    u = torch.tensor([1, 2], dtype=torch.uint8)
    assert torch.any(u, 0, out=torch.empty(0, dtype=torch.bool)).item() is True
    with pytest.raises(RuntimeError, match="^all only supports bool tensor for result, got: Float$"):
        torch.all(torch.tensor([1., 2.]), 0, out=torch.empty(0))
    with pytest.raises(RuntimeError, match="^Expected the dtype for input and out to match, but got Byte for "
                                           "input's dtype and Long for out's dtype.$"):
        torch.amax(u, 0, out=torch.empty(0, dtype=torch.int64))


def test_prod_and_aminmax_out():
    out = torch.empty(0, dtype=torch.int64)
    assert torch.prod(torch.tensor([1, 2, 3]), 0, out=out) is out and out.item() == 6
    with pytest.raises(TypeError, match="^prod\\(\\) received an invalid combination of arguments"):
        torch.prod(torch.tensor([1.]), out=torch.empty(0))
    r = torch.aminmax(torch.tensor([3., 1.]), out=(torch.empty(0), torch.empty(0)))
    assert r.min.item() == 1.0 and r.max.item() == 3.0
    with pytest.raises(RuntimeError, match="^Expected out tensor to have dtype float, but got double instead$"):
        torch.aminmax(torch.tensor([1.]), out=(torch.empty(0), torch.empty(0, dtype=torch.float64)))


# --------------------------------------------------------------------------- norms (19)
def test_vector_norm_empty_dim_tuple_reduces_everything():
    x = torch.ones(2, 3)
    assert torch.linalg.vector_norm(x, dim=()).item() == pytest.approx(6 ** 0.5)
    assert torch.norm(x, p="fro", dim=()).item() == pytest.approx(6 ** 0.5)


# --------------------------------------------------------------------------- complex 0-d / empty (25)
def test_complex_zero_dim_and_empty_ordering_ops():
    z = torch.tensor(1 + 2j)
    assert torch.kthvalue(z, 1).values.item() == 1 + 2j
    assert torch.mode(z).indices.item() == 0
    assert torch.amax(torch.zeros(2, 0, dtype=torch.complex64), 0).shape == (0,)


# --------------------------------------------------------------------------- messages (27)
def test_empty_reduction_messages():
    with pytest.raises(IndexError, match="^amax\\(\\): Expected reduction dim -1 to have non-zero size.$"):
        torch.amax(torch.zeros(2, 0), dim=-1)
    with pytest.raises(RuntimeError, match="^aminmax\\(\\): cannot compute aminmax over an empty dimension as the "
                                           "operation has no identity.$"):
        torch.aminmax(torch.zeros(0, 2))


# --------------------------------------------------------------------------- autograd dtype (18)
@pytest.mark.parametrize("call, name", [(lambda x: torch.sum(x, dtype=torch.int32), "Int"),
                                        (lambda x: x.sum(0, dtype=torch.int64), "Long"),
                                        (lambda x: x.prod(dtype=torch.bool), "Bool"),
                                        (lambda x: x.cumsum(0, dtype=torch.int64), "Long"),
                                        (lambda x: x.cumprod(0, dtype=torch.int16), "Short"),
                                        (lambda x: x.nansum(dtype=torch.int64), "Long")])
def test_integer_dtype_of_tensor_requiring_grad(call, name):
    pytest.importorskip("tensorgraft.autograd")
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"^Autograd not support dtype: {name}$"):
        call(x)
    with torch.no_grad():
        assert call(x).dtype != torch.float32
