"""Regressions found by differential fuzzing of the sorting, set, histogram, combinatorics and
statistics ops against PyTorch 2.13 (the expected values and messages are PyTorch's)."""
import math
import warnings

import pytest

import tensorgraft as tg


def _names(fn):
    return [type(f).__name__ for f, _ in fn.next_functions if f is not None]


# --------------------------------------------------------------------------- sort / argsort / kthvalue / nanmedian
def test_nanmedian_empty_dim_names_median():
    with pytest.raises(IndexError, match=r"^median\(\): Expected reduction dim 0 to have non-zero size\.$"):
        tg.nanmedian(tg.ones(0, 2), 0)


def test_nanmedian_all_nan_slice_index_as_pytorch_introselect():
    nan = float("nan")
    assert tg.nanmedian(tg.full((2, 5), nan), 1).indices.tolist() == [2, 2]
    assert tg.nanmedian(tg.full((1, 4), nan), 1).indices.tolist() == [2]
    assert tg.nanmedian(tg.full((1, 2), nan), 1).indices.tolist() == [0]
    # a slice with numbers: the lower median of those, the later of two equal ones as PyTorch
    assert tg.nanmedian(tg.tensor([[1.0, nan, 1.0, 2.0]]), 1).indices.tolist() == [2]


def test_kthvalue_empty_reduction_dim_is_an_index_error():
    with pytest.raises(IndexError, match=r"kthvalue\(\): Expected reduction dim 0 to have non-zero size\."):
        tg.kthvalue(tg.ones(0), 1)
    with pytest.raises(IndexError, match=r"kthvalue\(\): Expected reduction dim 1 to have non-zero size\."):
        tg.kthvalue(tg.ones(3, 0), 1, 1)
    with pytest.raises(RuntimeError, match=r"selected number k out of range for dimension 1"):
        tg.kthvalue(tg.ones(0, 3), 4, 1)


@pytest.mark.parametrize("call, got", [
    (lambda x: tg.sort(x, 1.0), "(Tensor, float)"),
    (lambda x: tg.sort(x, dim=1.0), "(Tensor, dim=float)"),
    (lambda x: tg.sort(x, 1, 1), "(Tensor, int, int)"),
    (lambda x: tg.sort(x, descending=1), "(Tensor, descending=int)"),
    (lambda x: tg.sort(x, stable=1), "(Tensor, stable=int)"),
    (lambda x: tg.sort(x, 0, False, True), "(Tensor, int, bool, bool)"),
    (lambda x: tg.sort(x, 0, stable=True), "(Tensor, int, stable=bool)"),
    (lambda x: tg.sort(x, foo=1), "(Tensor, foo=int)"),
    (lambda x: x.sort(1.0), "(float)"),
])
def test_sort_arguments_refused_as_pytorch(call, got):
    with pytest.raises(TypeError, match=r"^sort\(\) received an invalid combination of arguments - got "
                                        + got.replace("(", r"\(").replace(")", r"\)")):
        call(tg.ones(3))


def test_sort_and_argsort_too_many_positionals():
    x = tg.ones(3)
    with pytest.raises(TypeError, match=r"^sort\(\) takes from 1 to 0 positional arguments but 3 were given$"):
        x.sort(0, False, True)
    with pytest.raises(TypeError, match=r"^argsort\(\) takes from 2 to 1 positional arguments but 4 were given$"):
        tg.argsort(x, 0, False, True)
    for bad in ({"stable": 1}, {"descending": 1}, {"stable": None}):
        with pytest.raises(TypeError, match=r"^argsort\(\) received an invalid combination"):
            tg.argsort(x, **bad)
    assert tg.argsort(tg.tensor([3, 1, 2]), stable=True, descending=True).tolist() == [0, 2, 1]
    assert tg.sort(tg.tensor([3, 1, 2]), stable=None).indices.tolist() == [1, 2, 0]


# --------------------------------------------------------------------------- quantile
def test_quantile_invalid_combination_names_every_argument():
    x = tg.ones(3)
    cases = [
        (lambda: tg.quantile(x, [0.2], dim=0, keepdim=True), "quantile", "(Tensor, list, keepdim=bool, dim=int)"),
        (lambda: tg.quantile(x, [0.2], 0, True), "quantile", "(Tensor, list, int, bool)"),
        (lambda: x.nanquantile([0.5]), "nanquantile", "(list)"),
        (lambda: tg.quantile(x, 0.5, interpolation=3), "quantile", "(Tensor, float, interpolation=int)"),
        (lambda: tg.quantile(x, 0.5, dim=1.0), "quantile", "(Tensor, float, dim=float)"),
        (lambda: tg.quantile(x, 0.5, keepdim=1), "quantile", "(Tensor, float, keepdim=int)"),
        (lambda: tg.quantile(x), "quantile", "(Tensor)"),
        (lambda: tg.quantile(x, 0.5, 0, True, "linear"), "quantile", "(Tensor, float, int, bool, str)"),
        (lambda: tg.quantile(x, 1 + 0j), "quantile", "(Tensor, complex)"),
    ]
    for call, name, got in cases:
        with pytest.raises(TypeError) as info:
            call()
        first, *rest = str(info.value).split("\n")
        assert first == f"{name}() received an invalid combination of arguments - got {got}, but expected one of:"
    with pytest.raises(TypeError) as info:
        x.quantile([0.5])
    assert str(info.value).split("\n")[1] == (' * (Tensor q, int dim = None, bool keepdim = False, *, '
                                              'str interpolation = "linear")')


def test_quantile_keywords_and_checks():
    x = tg.tensor([1.0, 2.0, 3.0, 4.0])
    assert tg.quantile(x, q=0.3).item() == pytest.approx(1.9000000953674316, abs=0)
    assert x.quantile(q=0.5, dim=0).item() == 2.5
    assert tg.quantile(x, True).item() == 4.0
    with pytest.raises(RuntimeError, match=r"^quantile\(\) q must be in the range \[0, 1\] but got 2$"):
        tg.quantile(x, 2)
    with pytest.raises(RuntimeError, match=r"^quantile\(\) out tensor must be same dtype as the input tensor$"):
        tg.nanquantile(x.reshape(2, 2), 0.5, dim=1, out=tg.empty(2, dtype=tg.float64))


def test_quantile_out_with_grad_records_copy():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    out = tg.empty(())
    res = tg.quantile(x, 0.5, out=out)
    assert res is out and out.item() == 2.5
    assert type(out.grad_fn).__name__ == "CopyBackwards"


# --------------------------------------------------------------------------- trapezoid family and cov graphs
def test_trapezoid_family_records_scalar_overloads():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([[1.0, 2.0, 4.0, 7.0], [3.0, 1.0, 0.0, 2.0]], dtype=tg.float64, requires_grad=True)
    x = tg.tensor([0.0, 1.0, 3.0, 4.0], dtype=tg.float64, requires_grad=True)
    r = tg.trapezoid(y)
    assert type(r.grad_fn).__name__ == "MulBackward1"
    assert _names(r.grad_fn) == ["SubBackward0"]
    assert _names(r.grad_fn.next_functions[0][0]) == ["SumBackward1", "MulBackward1"]
    assert type(tg.trapz(y, dx=2).grad_fn).__name__ == "MulBackward1"
    r = tg.trapezoid(y, x)
    assert type(r.grad_fn).__name__ == "DivBackward1"
    # (left + right) * dx, as PyTorch's do_trapezoid
    assert _names(r.grad_fn.next_functions[0][0].next_functions[0][0]) == ["AddBackward0", "SubBackward0"]
    r = tg.cumulative_trapezoid(y)
    assert _names(r.grad_fn) == ["MulBackward1"]
    r = tg.cumulative_trapezoid(y, x)
    assert type(r.grad_fn).__name__ == "DivBackward1"
    assert _names(r.grad_fn) == ["CumsumBackward0"]
    r.sum().backward()
    assert y.grad.tolist() == [[1.5, 3.5, 2.5, 0.5], [1.5, 3.5, 2.5, 0.5]]
    assert x.grad.tolist() == [-10.5, 3.5, 0.5, 6.5]


def test_trapezoid_dx_zero_dim_tensor():
    y = tg.tensor([[1.0, 2.0, 4.0, 7.0], [3.0, 1.0, 0.0, 2.0]])
    assert tg.trapezoid(y, dx=tg.tensor(2.0)).tolist() == [20.0, 7.0]
    assert tg.cumulative_trapezoid(y, dx=tg.tensor(2.0)).tolist() == [[3.0, 9.0, 20.0], [4.0, 5.0, 7.0]]
    with pytest.raises(TypeError, match=r"^trapezoid\(\) received an invalid combination of arguments - got "
                                        r"\(Tensor, dx=Tensor\)"):
        tg.trapezoid(y, dx=tg.tensor([2.0]))
    with pytest.raises(RuntimeError, match="trapezoid: Currently, we only support dx as a real number."):
        tg.trapezoid(y, dx=tg.tensor(True))


def test_cov_aweights_grouped_as_pytorch():
    a = tg.tensor([[1.0, 2.0, 4.0, 7.0], [3.0, 1.0, 0.0, 2.0]])
    c = tg.cov(a, fweights=tg.tensor([1, 2, 1, 3]), aweights=tg.tensor([0.3, 1.1, 2.0, 0.7]))
    expected = [5.611017227172852, 0.815064549446106, 0.815064549446106, 0.9693648219108582]
    assert c.reshape(-1).tolist() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(TypeError, match=r"^cov\(\): argument 'correction' must be int, not float$"):
        tg.cov(a, correction=0.5)
    with pytest.raises(TypeError, match=r"^cov\(\): argument 'correction' must be int, not bool$"):
        tg.cov(a, correction=True)
    assert tg.cov(a, correction=tg.tensor(0)).shape == (2, 2)


def test_cov_aweights_graph():
    pytest.importorskip("tensorgraft.autograd")
    a = tg.tensor([[1.0, 2.0, 4.0, 7.0], [3.0, 1.0, 0.0, 2.0]], dtype=tg.float64)
    w = tg.tensor([0.5, 1.0, 2.0, 1.0], dtype=tg.float64, requires_grad=True)
    c = tg.cov(a, aweights=w)
    denominator = c.grad_fn.next_functions[0][0].next_functions[1][0]  # SqueezeBackward0 <- DivBackward0
    assert type(denominator).__name__ == "SubBackward0"
    # w_sum - correction * sum(w * aw) / w_sum: the product first (MulBackward1), then the division
    assert _names(denominator) == ["SumBackward0", "DivBackward0"]
    assert _names(denominator.next_functions[1][0]) == ["MulBackward1", "SumBackward0"]
    assert c.reshape(-1).tolist() == pytest.approx([5.607142857142857, 0.0, 0.0, 1.6071428571428572], rel=1e-12)


# --------------------------------------------------------------------------- combinatorics
def test_combinations_argument_errors():
    x = tg.arange(3.0)
    with pytest.raises(TypeError, match=r"^combinations\(\): argument 'r' \(position 2\) must be int, not float$"):
        tg.combinations(x, 2.0)
    with pytest.raises(TypeError, match=r"^combinations\(\): argument 'r' \(position 2\) must be int, not bool$"):
        tg.combinations(x, True)
    with pytest.raises(TypeError, match=r"^combinations\(\): argument 'with_replacement' must be bool, not int$"):
        tg.combinations(x, r=2, with_replacement=1)
    with pytest.raises(TypeError, match=r"^combinations\(\): argument 'with_replacement' \(position 3\) must be "
                                        r"bool, not int$"):
        tg.combinations(x, 2, 1)
    with pytest.raises(TypeError, match=r'^combinations\(\) missing 1 required positional arguments: "input"$'):
        tg.combinations(r=2)
    with pytest.raises(TypeError, match=r"^combinations\(\) takes from 1 to 3 positional arguments but 4 were given"):
        tg.combinations(x, 2, False, 1)
    assert tg.combinations(input=x, r=1).tolist() == [[0.0], [1.0], [2.0]]
    assert tg.combinations(tg.tensor([1.0, 2.0, 3.0, 4.0]), 3, with_replacement=True).shape == (20, 3)
    assert tg.combinations(tg.arange(4), 3).tolist() == [[0, 1, 2], [0, 1, 3], [0, 2, 3], [1, 2, 3]]


def test_combinations_graph_is_masked_select():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = tg.combinations(x, 2)
    assert type(c.grad_fn).__name__ == "StackBackward0"
    assert _names(c.grad_fn) == ["MaskedSelectBackward0", "MaskedSelectBackward0"]
    assert _names(c.grad_fn.next_functions[0][0]) == ["ExpandBackward0"]
    c.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


# --------------------------------------------------------------------------- sets
def test_isin_refuses_complex_and_bool_numbers():
    for a, b, name in [(tg.ones(2, dtype=tg.complex64), tg.ones(2), "ComplexFloat"),
                       (tg.ones(2), tg.ones(2, dtype=tg.complex64), "ComplexFloat"),
                       (1j, tg.ones(2), "ComplexDouble"), (tg.ones(2), 1.5 + 0j, "ComplexDouble"),
                       (True, tg.ones(2), "Bool"), (tg.ones(2), True, "Bool"),
                       (tg.ones(2, dtype=tg.bool), tg.ones(2, dtype=tg.complex64), "Bool")]:
        with pytest.raises(RuntimeError, match=rf"^Unsupported input type encountered for isin\(\): {name}$"):
            tg.isin(a, b)


def test_unique_consecutive_dim_checks():
    with pytest.raises(NotImplementedError, match="\"unique_dim\" not implemented for 'ComplexFloat'"):
        tg.unique_consecutive(tg.ones(2, 2, dtype=tg.complex64), dim=0)
    with pytest.raises(IndexError, match=r"^Dimension specified as 0 but tensor has no dimensions$"):
        tg.unique_consecutive(tg.tensor(1.0), dim=0)
    with pytest.raises(RuntimeError, match=r"There are 0 sized dimensions, and they aren't selected"):
        tg.unique_consecutive(tg.ones(0, 3), dim=1)
    assert tg.unique_consecutive(tg.ones(0, 3), dim=0).shape == (0, 3)
    with pytest.raises(TypeError, match=r"^unique_consecutive\(\): argument 'dim' must be int, not float$"):
        tg.unique_consecutive(tg.ones(2, 2), dim=1.0)
    with pytest.raises(TypeError, match=r"^unique_consecutive\(\): argument 'return_inverse' must be bool, not "
                                        r"int$"):
        tg.ones(2).unique_consecutive(return_inverse=1)


def test_unique_argument_errors_name_the_aten_function():
    with pytest.raises(TypeError, match=r"^unique_dim\(\): argument 'dim' \(position 2\) must be int, not float$"):
        tg.unique(tg.ones(2, 2), dim=1.0)
    with pytest.raises(TypeError, match=r"^_unique2\(\): argument 'sorted' must be bool, not int$"):
        tg.unique(tg.ones(2), sorted=1)
    with pytest.raises(TypeError, match=r"^unique_dim\(\): argument 'return_inverse' must be bool, not int$"):
        tg.ones(2, 2).unique(return_inverse=1, dim=0)
    with pytest.raises(TypeError, match=r"^_unique2\(\): argument 'input' \(position 1\) must be Tensor, not list$"):
        tg.unique([1, 2])


# --------------------------------------------------------------------------- histograms
def test_histc_argument_and_range_errors():
    x = tg.tensor([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^histc\(\): argument 'bins' \(position 2\) must be int, not float$"):
        tg.histc(x, 3.0)
    with pytest.raises(TypeError, match=r"^histc\(\): argument 'bins' \(position 1\) must be int, not float$"):
        x.histc(3.0)
    with pytest.raises(TypeError, match=r"^histc\(\): argument 'bins' must be int, not float$"):
        tg.histc(x, bins=3.0)
    with pytest.raises(TypeError, match=r"^histc\(\): argument 'min' \(position 3\) must be Number, not str$"):
        tg.histc(x, 3, "a")
    with pytest.raises(RuntimeError, match=r"range of \[nan, 3\] is not finite"):
        tg.histc(x, bins=3, min=float("nan"), max=3)
    with pytest.raises(RuntimeError, match=r"range of \[nan, nan\] is not finite"):
        tg.histc(tg.tensor([float("nan")]))
    with pytest.raises(RuntimeError, match=r"range of \[-nan, -nan\] is not finite"):
        tg.histc(tg.tensor([1.0, float("nan"), 2.0]))
    with pytest.raises(RuntimeError, match=r"^torch.histogram: input tensor and hist tensor should have the same "
                                           r"dtype, but got input float and hist double$"):
        tg.histc(x, bins=3, out=tg.empty(3, dtype=tg.float64))
    assert tg.histc(tg.tensor([0.3, 0.6, 0.9, 0.1, 0.7]), bins=4, min=0, max=1).tolist() == [1.0, 1.0, 2.0, 1.0]


def test_histc_dtype_rules_follow_pytorchs_steps():
    # the range checks and the bin edges' linspace (in the input's dtype) come before the kernel
    for dt in (tg.int64, tg.uint8, tg.bool):
        with pytest.raises(RuntimeError, match="torch.histc: max must be larger than min"):
            tg.histc(tg.tensor([1, 0]).to(dt), bins=4, min=3, max=1)
        with pytest.raises(RuntimeError, match=r"torch.histogram\(\): bins must be > 0, but got 0 for dimension 0"):
            tg.histc(tg.tensor([1, 0]).to(dt), bins=0)
    with pytest.raises(NotImplementedError, match="\"linspace_cpu\" not implemented for 'Bool'"):
        tg.histc(tg.tensor([True, False]))
    with pytest.raises(RuntimeError, match="^value cannot be converted to type uint8_t without overflow$"):
        tg.histc(tg.tensor([], dtype=tg.uint8))
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int8_t without overflow$"):
        tg.histc(tg.tensor([127], dtype=tg.int8))
    with pytest.raises(RuntimeError, match="^value cannot be converted to type float without overflow$"):
        tg.histc(tg.tensor([1.0]), min=0, max=1e40)
    with pytest.raises(RuntimeError, match="^value cannot be converted to type c10::Half without overflow$"):
        tg.histc(tg.tensor([1.0], dtype=tg.float16), min=0, max=1e6)
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Short'"):
        tg.histc(tg.tensor([1], dtype=tg.int16))
    assert tg.histc(tg.tensor([0.0, 1.0, 2.0, 2.5], dtype=tg.bfloat16), 3, 0, 3).tolist() == [1.0, 1.0, 2.0]


def test_histogram_dtype_rules():
    def x(dt):
        return tg.tensor([0.0, 1.0, 2.0]).to(dt)

    # the data's range is read for float and double only
    for dt, name in ((tg.float16, "Half"), (tg.bfloat16, "BFloat16"), (tg.int64, "Long")):
        with pytest.raises(NotImplementedError, match=f"\"histogramdd\" not implemented for '{name}'"):
            tg.histogram(x(dt), 3)
    # with a range, the kernel takes the half types but no integers (bool fails in linspace first)
    assert tg.histogram(x(tg.bfloat16), 3, range=(0.0, 2.0)).hist.tolist() == [1.0, 1.0, 1.0]
    hist = tg.histogram(x(tg.float16), 3, range=(0.0, 2.0), density=True).hist
    assert hist.tolist() == [0.5, 0.499267578125, 0.50048828125]
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Long'"):
        tg.histogram(x(tg.int64), 3, range=(0.0, 2.0))
    with pytest.raises(NotImplementedError, match="\"histogram_cpu\" not implemented for 'Byte'"):
        tg.histogram(x(tg.uint8), tg.tensor([0, 1, 2], dtype=tg.uint8))
    with pytest.raises(NotImplementedError, match="\"linspace_cpu\" not implemented for 'Bool'"):
        tg.histogram(x(tg.bool), 3, range=(0.0, 2.0))
    with pytest.raises(RuntimeError, match="input tensor and bins tensors should have the same dtype, but got input "
                                           "with dtype long int and bins for dimension 0 with dtype float"):
        tg.histogram(tg.tensor([1]), tg.tensor([1.0, 2.0]))
    with pytest.raises(NotImplementedError, match="\"histogramdd\" not implemented for 'Half'"):
        tg.histogram(x(tg.float16), 3, weight=tg.ones(3))
    # an empty input has the range [0, 1] without reading the data
    assert tg.histogram(tg.tensor([], dtype=tg.float16), 3).hist.tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- scans, aminmax, diff
def test_cummax_logcumsumexp_argument_and_out_errors():
    x = tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0]])
    with pytest.raises(TypeError, match=r'^cummax\(\) missing 1 required positional arguments: "dim"$'):
        tg.cummax(x)
    with pytest.raises(TypeError, match=r'^logcumsumexp\(\) missing 1 required positional arguments: "dim"$'):
        tg.logcumsumexp(x)
    with pytest.raises(RuntimeError, match="^expected scalar_type Long but found Float$"):
        tg.cummax(x, 1, out=(tg.empty(0), tg.empty(0)))
    with pytest.raises(RuntimeError, match="^expected scalar_type Float but found Double$"):
        tg.cummin(x, 1, out=(tg.empty(0, dtype=tg.float64), tg.empty(0, dtype=tg.int64)))
    with pytest.raises(TypeError, match=r"^cummax\(\): argument 'out' must be tuple of Tensors, not Tensor$"):
        tg.cummax(x, 1, out=tg.empty(0))
    with pytest.raises(TypeError, match="^expected tuple of 2 elements but got 1$"):
        tg.cummax(x, 1, out=(tg.empty(0),))
    with pytest.raises(RuntimeError, match="^expected scalar_type Float but found Double$"):
        tg.logcumsumexp(x, 1, out=tg.empty(0, dtype=tg.float64))
    v, i = tg.empty(0), tg.empty(0, dtype=tg.int64)
    tg.cummax(x, 1, out=(v, i))
    assert v.tolist() == [[3.0, 3.0, 3.0], [0.0, 5.0, 5.0]] and i.tolist() == [[0, 0, 0], [0, 1, 2]]


def test_scan_out_refused_with_grad():
    pytest.importorskip("tensorgraft.autograd")
    x = tg.ones(2, 3, requires_grad=True)
    for call in (lambda: tg.cummax(x, 1, out=(tg.empty(0), tg.empty(0, dtype=tg.int64))),
                 lambda: tg.logcumsumexp(x, 1, out=tg.empty(0))):
        with pytest.raises(RuntimeError, match="functions with out=... arguments don't support automatic "
                                               "differentiation"):
            call()


def test_aminmax_empty_reduction_dim_message():
    with pytest.raises(IndexError, match=r"^aminmax: Expected reduction dim 0 to have non-zero size\.$"):
        tg.aminmax(tg.ones(0, 3), dim=-2)
    assert tg.aminmax(tg.ones(0, 3), dim=1).min.shape == (0,)


def test_diff_argument_positions():
    a = tg.ones(2, 4)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'n' must be int, not float$"):
        tg.diff(a, n=1.0)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'n' \(position 2\) must be int, not float$"):
        tg.diff(a, 1.0)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'n' \(position 1\) must be int, not float$"):
        a.diff(1.0)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'dim' \(position 3\) must be int, not float$"):
        tg.diff(a, 1, 0.0)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'n' must be int, not bool$"):
        tg.diff(a, n=True)
    with pytest.raises(TypeError, match=r"^diff\(\): argument 'prepend' must be Tensor, not list$"):
        tg.diff(a, prepend=[1.0])
    assert tg.diff(tg.tensor([1, 4, 9]), n=tg.tensor(1)).tolist() == [3, 5]
    out = tg.empty(0)
    assert tg.diff(tg.tensor([1.0, 4.0, 9.0]), out=out) is out and out.tolist() == [3.0, 5.0]
    assert not math.isnan(tg.diff(tg.tensor([1.0, 2.0]), dim=tg.tensor(0)).item())


def test_logcumsumexp_complex():
    inf, nan = float("inf"), float("nan")
    x = tg.tensor([complex(-inf, 1.0), complex(1.0, 2.0), complex(0.5, -1.0), complex(inf, 1.0), complex(nan, 0.0)],
                  dtype=tg.complex128)
    r = tg.logcumsumexp(x, 0).tolist()
    assert r[0] == complex(-inf, 0.0) and r[1] == complex(1.0, 2.0) and r[3] == complex(inf, 1.0)
    assert r[2] == pytest.approx(complex(0.10499301432446873, 1.7889591478473275), rel=1e-14)
    assert math.isnan(r[4].real) and math.isnan(r[4].imag)
    with pytest.raises(NotImplementedError, match="\"logcumsumexp_out_cpu\" not implemented for 'Long'"):
        tg.logcumsumexp(tg.tensor([1, 2]), 0)


def test_logcumsumexp_complex_gradient():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([[1 + 1j, 2 - 0.5j, -1 + 3j]], dtype=tg.complex128, requires_grad=True)
    tg.logcumsumexp(y, 1).backward(tg.tensor([[1 + 0j, 0.5j, -1 + 1j]], dtype=tg.complex128))
    expected = [complex(1.33630066026219, 0.5340596564948654), complex(-1.3834229514282277, 1.0145609307188515),
                complex(0.04712229116603793, -0.04862058721371728)]
    assert y.grad.resolve_conj().tolist()[0] == pytest.approx(expected, rel=1e-12)


def test_bincount_complex_weights_count_in_double():
    with warnings.catch_warnings():  # (PyTorch's cast warning, given once per process)
        warnings.simplefilter("ignore")
        r = tg.bincount(tg.tensor([1, 2]), tg.tensor([1.0, 2.0], dtype=tg.complex64))
    assert r.dtype == tg.float64 and r.tolist() == [0.0, 1.0, 2.0]


def test_histogram_arguments_refused_as_pytorch():
    x = tg.tensor([1.0, 2.0])
    for call, got in [(lambda: tg.histogram(x, [0.0, 1.0]), "(Tensor, list)"),
                      (lambda: x.histogram([0.0, 1.0]), "(list)"),
                      (lambda: tg.histogram(x, tg.tensor([0.0, 3.0]), range=(0.0, 1.0)), "(Tensor, Tensor, range=tuple)"),
                      (lambda: tg.histogram(x, bins=2.0), "(Tensor, bins=float)"),
                      (lambda: tg.histogram(x, 3, density=None), "(Tensor, int, density=NoneType)"),
                      (lambda: tg.histogram(x, 3, 4), "(Tensor, int, int)"),
                      (lambda: tg.histogram(x, True), "(Tensor, bool)")]:
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value).split("\n")[0] == ("histogram() received an invalid combination of arguments - got "
                                                  f"{got}, but expected one of:")
    with pytest.raises(TypeError, match=r"^histogram\(\): argument 'range' must be tuple of floats, but found element "
                                        r"of type str at pos 2$"):
        tg.histogram(x, range=(0.0, "a"))
    with pytest.raises(TypeError, match="^expected tuple of 2 elements but got 1$"):
        tg.histogram(x, 3, out=(tg.empty(0),))
    with pytest.raises(RuntimeError, match="input tensor and bins tensors should have the same dtype, but got input "
                                           "with dtype float and bins for dimension 0 with dtype long int"):
        tg.histogram(x, tg.tensor(3))
    with pytest.raises(IndexError, match="^Dimension specified as -1 but tensor has no dimensions$"):
        tg.histogramdd(tg.tensor(1.0), 3)
    assert tg.histogram(input=x, bins=3).hist.tolist() == [1.0, 0.0, 1.0]
    assert x.histogram(bins=tg.tensor([0.0, 1.0, 3.0])).hist.tolist() == [0.0, 2.0]


def _chain(fn, depth):
    names = []
    for _ in range(depth):
        names.append(type(fn).__name__)
        fn = fn.next_functions[0][0]
    return names


def test_quantile_graph_as_pytorch():
    pytest.importorskip("tensorgraft.autograd")
    y = tg.tensor([[[1.0, 2.0, 4.0, 7.0], [3.0, 1.0, 0.0, 2.0]]], dtype=tg.float64, requires_grad=True)
    # another dim than the last is moved last by unsqueeze(-1).transpose(dim, -1); the last is sorted in place
    r = tg.quantile(y, 0.3, dim=1)
    assert _chain(r.grad_fn, 6) == ["SqueezeBackward4", "LerpBackward1", "GatherBackward0", "ViewBackward0",
                                    "SortBackward0", "TransposeBackward0"]
    r = tg.quantile(y, 0.3, dim=2)
    assert _chain(r.grad_fn, 5) == ["SqueezeBackward4", "LerpBackward1", "GatherBackward0", "ViewBackward0",
                                    "SortBackward0"]
    assert type(r.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0].next_functions[0][0]
                .next_functions[0][0]).__name__ == "AccumulateGrad"
    # a tensor q: the quantiles moved first in place; its gradient through q * last_index (MulBackward1)
    q = tg.tensor([0.3, 0.8], dtype=tg.float64, requires_grad=True)
    r = tg.quantile(y, q, dim=2)
    assert r.shape == (2, 1, 2)
    assert _chain(r.grad_fn, 4) == ["SqueezeBackward4", "TransposeBackward1", "UnsqueezeBackward1", "LerpBackward1"]
    lerp = r.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert _chain(lerp.next_functions[2][0], 4) == ["SubBackward0", "MaskedFillBackward0", "ExpandBackward0",
                                                    "MulBackward1"]
    r.sum().backward()
    assert q.grad.tolist() == pytest.approx([6.0, 12.0], abs=1e-12)
    # nanquantile: q * (count - 1), then masked_fill
    q0 = tg.tensor(0.3, dtype=tg.float64, requires_grad=True)
    r = tg.nanquantile(y, q0, dim=2)
    lerp = r.grad_fn.next_functions[0][0]
    assert _chain(lerp.next_functions[2][0], 3) == ["SubBackward0", "MaskedFillBackward0", "MulBackward0"]
    assert type(lerp.next_functions[2][0].next_functions[0][0].next_functions[0][0].next_functions[0][0]).__name__ \
        == "AccumulateGrad"
