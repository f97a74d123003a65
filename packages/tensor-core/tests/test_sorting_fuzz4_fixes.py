"""Regressions found by differential fuzzing of sort, topk, searchsorted/bucketize and histc against
PyTorch 2.13 (every expected value, stride and message here is what PyTorch 2.13 gave)."""
import re

import pytest

import tensorgraft as tg


def _permuted():
    # a dense tensor whose memory order is not its logical one
    return tg.arange(24.0).reshape(4, 2, 3).transpose(0, 1).contiguous().transpose(0, 1)


def test_sort_results_keep_a_dense_inputs_strides():
    x = _permuted()
    assert x.stride() == (3, 12, 1)
    r = tg.sort(x, -1, descending=True)
    assert r.values.stride() == r.indices.stride() == (3, 12, 1)
    assert tg.argsort(x, 1).stride() == (3, 12, 1) and tg.msort(x).stride() == (3, 12, 1)
    assert r.values.tolist() == tg.sort(x.contiguous(), -1, descending=True).values.tolist()
    assert tg.sort(tg.ones(4, 6)[:, ::2]).values.stride() == (3, 1)  # (not dense: a fresh layout)


def test_searchsorted_on_unsorted_boundaries_bisects_as_pytorch():
    s, v = tg.tensor([3, 1, 4, 1, 5, 9, 2, 6]), tg.tensor([0, 2, 4, 7, 10, 3, 1])
    assert tg.searchsorted(s, v).tolist() == [0, 2, 2, 8, 8, 2, 0]  # (NumPy's search: [0, 2, 4, 8, 8, 2, 0])
    assert tg.searchsorted(s, v, right=True).tolist() == [0, 2, 4, 8, 8, 2, 2]
    assert tg.bucketize(v, s).tolist() == [0, 2, 2, 8, 8, 2, 0]


def test_topk_refuses_bool_before_looking_at_out():
    from tensorgraft.ops._bind import TAKES_OUT
    from tensorgraft.registry import registry
    topk = registry.ops["topk"].frontend if "topk" in TAKES_OUT else tg.topk
    with pytest.raises(RuntimeError, match="^topk does not support bool dtypes on CPU$"):
        topk(tg.ones(2, 3, dtype=tg.bool), 1, out=(tg.empty(0, dtype=tg.float64), tg.empty(0, dtype=tg.int64)))


@pytest.mark.parametrize("dtype, value", [(tg.bfloat16, -0.53515625), (tg.float16, -0.53564453125)])
def test_histc_interpolates_in_the_half_type(dtype, value):
    # one element: the range is [x - 1, x + 1], whose width rounds in the half type, as PyTorch's does
    assert tg.histc(tg.tensor(value, dtype=dtype), 2).tolist() == [1.0, 0.0]


def test_histc_bfloat16_nan_range_prints_a_positive_nan():
    x = tg.tensor([float("nan")] * 2).to(tg.bfloat16)
    for t in (x, -x):
        with pytest.raises(RuntimeError, match="^" + re.escape("torch.histc: range of [nan, nan] is not finite") + "$"):
            tg.histc(t, 1)


def test_histogram_ignores_the_weight_of_an_element_not_counted():
    w = tg.tensor([float("nan"), 1.0, 2.0])
    for x in (tg.tensor([float("nan"), 1.0, 0.2]), tg.tensor([5.0, 1.0, 0.2])):
        assert tg.histogram(x, 2, range=(0.0, 2.0), weight=w).hist.tolist() == [2.0, 1.0]


def test_histogramdd_of_zero_dimensions():
    r = tg.histogramdd(tg.zeros(3, 0), bins=2)
    assert r.hist.shape == () and r.hist.item() == 0.0 and r.bin_edges == ()
    with pytest.raises(NotImplementedError, match="^\"histogram_cpu\" not implemented for 'Long'$"):
        tg.histogramdd(tg.zeros(3, 0, dtype=tg.int64), bins=2)


def test_bucketize_with_five_arguments_words_the_tensor_signatures_error():
    from tensorgraft.ops._bind import TAKES_OUT
    from tensorgraft.registry import registry
    bucketize = registry.ops["bucketize"].frontend if "bucketize" in TAKES_OUT else tg.bucketize
    out = tg.empty(0, dtype=tg.int64)
    with pytest.raises(TypeError, match=r"^bucketize\(\): argument 'input' \(position 1\) must be Tensor, not float$"):
        bucketize(0.5, tg.tensor([1.0, 2.0]), out_int32=False, right=False, out=out)
    with pytest.raises(TypeError, match=r"^bucketize\(\): argument 'out_int32' must be bool, not int$"):
        bucketize(tg.tensor([1.0]), tg.tensor([1.0, 2.0]), out_int32=1, right=False, out=out)
