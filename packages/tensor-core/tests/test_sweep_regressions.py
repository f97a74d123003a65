"""Regressions found by running tutorial-style PyTorch snippets under ``import tensorgraft as torch``:
bitwise ops on floats, dtype mismatches in matrix products, einsum's sublist form, ``out=``,
writes through ``expand()``, the ``.T``/``.H`` deprecations, copy-construct warnings."""
import warnings

import numpy as np
import pytest

import tensorgraft as tg


def _msg(fn, exc=Exception):
    with pytest.raises(exc) as info:
        fn()
    return str(info.value)


def _caught(fn):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fn()
    return [str(w.message) for w in seen]


# --------------------------------------------------------------------------- bitwise ops need integers
@pytest.mark.parametrize("fn, kernel, typename", [
    (lambda: tg.tensor([1.5]) & 1, "bitwise_and", "Float"),
    (lambda: tg.tensor([1.5], dtype=tg.float64) | 1, "bitwise_or", "Double"),
    (lambda: tg.tensor([1 + 1j]) ^ 1, "bitwise_xor", "ComplexFloat"),
    (lambda: tg.tensor([1], dtype=tg.int32) & tg.tensor([1.5]), "bitwise_and", "Float"),
    (lambda: 1 & tg.tensor([1.5], dtype=tg.float16), "bitwise_and", "Half"),
    (lambda: tg.tensor([1.5]) << 1, "lshift", "Float"),
    (lambda: tg.bitwise_right_shift(tg.tensor([1.5]), tg.tensor([1])), "rshift", "Float"),
    (lambda: tg.tensor([1.5]).bitwise_and_(1), "bitwise_and", "Float"),
])
def test_bitwise_ops_on_floats_name_the_kernel(fn, kernel, typename):
    assert _msg(fn, NotImplementedError) == f'"{kernel}_cpu" not implemented for \'{typename}\''


def test_bitwise_ops_on_integers_still_work(tg_device):
    a = tg.tensor([6, 3], device=tg_device)
    assert (a & 5).tolist() == [4, 1]
    assert (a << 1).tolist() == [12, 6]
    assert (tg.tensor([True, False], device=tg_device) ^ True).tolist() == [False, True]


# --------------------------------------------------------------------------- matrix products of two dtypes
F32, F64, I64 = tg.float32, tg.float64, tg.int64


@pytest.mark.parametrize("fn, message", [
    (lambda: tg.ones(3, dtype=I64) @ tg.ones(3), "dot : expected both vectors to have same dtype, but found Long "
                                                 "and Float"),
    (lambda: tg.ones(2, 3) @ tg.ones(3, dtype=F64), "addmv input tensors must have the same dtype, but got Double, "
                                                    "Float, and Double"),
    (lambda: tg.ones(2, 2, 3, dtype=F64) @ tg.ones(3), "addmv input tensors must have the same dtype, but got "
                                                       "Float, Double, and Float"),
    (lambda: tg.ones(2, 3).mv(tg.ones(3, dtype=I64)), "addmv input tensors must have the same dtype, but got Long, "
                                                      "Float, and Long"),
    (lambda: tg.ones(3, dtype=F64) @ tg.ones(3, 2), "expected m1 and m2 to have the same dtype, but got: double != "
                                                    "float"),
    (lambda: tg.ones(2, 2, 3, dtype=I64) @ tg.ones(3, 2), "expected m1 and m2 to have the same dtype, but got: "
                                                          "long int != float"),
    (lambda: tg.ones(2, 3) @ tg.ones(2, 3, 2, dtype=F64), "expected scalar type Float but found Double"),
    (lambda: tg.ones(3, dtype=I64) @ tg.ones(2, 3, 2), "expected scalar type Long but found Float"),
    (lambda: tg.bmm(tg.ones(2, 2, 3), tg.ones(2, 3, 2, dtype=F64)), "expected scalar type Float but found Double"),
])
def test_matmul_dtype_mismatch_names_the_product_it_reduces_to(fn, message):
    assert _msg(fn, RuntimeError) == message


# --------------------------------------------------------------------------- einsum
def test_einsum_sublist_form_matches_the_equation(tg_device):
    rng = np.random.default_rng(11)
    a = tg.tensor(rng.standard_normal((2, 3)), device=tg_device)
    b = tg.tensor(rng.standard_normal((3, 4)), device=tg_device)
    np.testing.assert_allclose(tg.einsum(a, [0, 1], b, [1, 2], [0, 2]).cpu().numpy(), (a @ b).cpu().numpy())
    np.testing.assert_allclose(tg.einsum(a, [0, 1], [1]).cpu().numpy(), a.sum(0).cpu().numpy())
    np.testing.assert_allclose(tg.einsum(a, [Ellipsis, 0], [Ellipsis]).cpu().numpy(), a.sum(1).cpu().numpy())
    # implicit output: the labels used once, in order (here 0 and 2, read as A and C)
    assert tg.einsum(a, [0, 1], b, [1, 2]).shape == (2, 4)
    # 26..51 are the lower-case letters
    np.testing.assert_allclose(tg.einsum(a, [30, 51], [51, 30]).cpu().numpy(), a.t().cpu().numpy())


def test_einsum_sublist_out_of_range_and_output_subscript_errors():
    a = tg.ones(2, 3)
    assert _msg(lambda: tg.einsum(a, [0, 52]), ValueError) == \
        "einsum(): subscript in subscript list is not within the valid range [0, 52)"
    assert _msg(lambda: tg.einsum("ij->k", a), RuntimeError) == \
        "einsum(): output subscript k does not appear in the equation for any input operand"
    assert _msg(lambda: tg.einsum("i->ii", tg.ones(2)), RuntimeError) == \
        "einsum(): output subscript i appears more than once in the output"


# --------------------------------------------------------------------------- var_mean / mean warnings
def test_var_mean_warns_under_its_own_name_and_mean_of_nothing_is_quiet():
    seen = _caught(lambda: tg.std_mean(tg.tensor([1.0])))
    assert len(seen) == 1 and seen[0].startswith("std_mean(): degrees of freedom is <= 0.")
    seen = _caught(lambda: tg.var_mean(tg.tensor([1.0, 2.0]), 0, correction=2))
    assert len(seen) == 1 and seen[0].startswith("var_mean(): degrees of freedom")
    v, m = tg.var_mean(tg.tensor([1.0, 2.0, 4.0]))
    assert (round(v.item(), 5), round(m.item(), 5)) == (2.33333, 2.33333)
    assert _caught(lambda: tg.tensor([]).mean()) == []
    assert tg.tensor([]).mean().isnan().item()
    assert _caught(lambda: tg.zeros(0, 3).mean(0)) == []


# --------------------------------------------------------------------------- .T / .H
@pytest.fixture
def warn_always():
    tg.set_warn_always(True)
    yield
    tg.set_warn_always(False)


def test_T_warns_off_matrices(warn_always):
    assert _caught(lambda: tg.ones(2, 3).T) == []
    assert _caught(lambda: tg.tensor(1.0).T) == [
        "Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."]
    for shape in ((3,), (2, 3, 4)):
        seen = _caught(lambda: tg.ones(*shape).T)
        assert len(seen) == 1 and seen[0].startswith("The use of `x.T` on tensors of dimension other than 2")
    with pytest.warns(UserWarning, match="The use of `x.T`"):
        assert tg.ones(2, 3, 4).T.shape == (4, 3, 2)


def test_H_on_scalars_vectors_and_matrices(warn_always):
    seen = _caught(lambda: tg.tensor(2.0).H)
    assert seen == ["Tensor.H is deprecated on 0-D tensors. Consider using x.conj()."]
    with pytest.warns(UserWarning, match="Tensor.H is deprecated"):
        assert tg.tensor(1 + 2j).H.item() == 1 - 2j
    assert _msg(lambda: tg.ones(2).H, RuntimeError) == \
        "tensor.H is only supported on matrices (2-D tensors). Got 1-D tensor."
    z = tg.tensor([[1 + 1j, 2j], [3, 4 - 1j]])
    assert z.H.tolist() == [[1 - 1j, 3], [-2j, 4 + 1j]]


# --------------------------------------------------------------------------- copy construction
def test_copy_constructing_from_a_tensor_warns():
    x = tg.ones(2)
    seen = _caught(lambda: tg.tensor(x))
    assert seen == ["To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                    "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor)."]
    seen = _caught(lambda: x.new_tensor(x))
    assert len(seen) == 1 and seen[0].endswith("rather than tensor.new_tensor(sourceTensor).")
    assert _caught(lambda: tg.tensor([1.0, 2.0])) == []
    assert _caught(lambda: tg.tensor([x[0], x[1]])) == []
    assert _caught(lambda: x.new_tensor([3])) == []
    c = tg.tensor(x.numpy())
    c[0] = 5
    assert x.tolist() == [1.0, 1.0]


# --------------------------------------------------------------------------- out=
def test_out_is_written_and_returned_for_functions_that_lacked_it(tg_device):
    rng = np.random.default_rng(3)
    a = tg.tensor(rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32), device=tg_device)
    b = tg.tensor(rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32), device=tg_device)
    for name, args in [("mul", (a, b)), ("exp", (a,)), ("sqrt", (a,)), ("maximum", (a, b)), ("pow", (a, 2)),
                       ("clamp", (a, 0.7, 1.5)), ("tril", (a,)), ("mean", (a, 1)), ("eq", (a, b)),
                       ("logsumexp", (a, 0)), ("sigmoid", (a,))]:
        fn = getattr(tg, name)
        expected = fn(*args)
        out = tg.empty(expected.shape, dtype=expected.dtype, device=tg_device)
        assert fn(*args, out=out) is out, name
        np.testing.assert_allclose(out.cpu().numpy(), expected.cpu().numpy(), rtol=1e-6, err_msg=name)


def test_out_of_functions_that_ignored_it_is_written(tg_device):
    v = tg.tensor([[1.0, 0.0, 0.0]], device=tg_device)
    w = tg.tensor([[0.0, 1.0, 0.0]], device=tg_device)
    out = tg.empty(1, 3, device=tg_device)
    assert tg.cross(v, w, dim=1, out=out) is out and out.cpu().tolist() == [[0.0, 0.0, 1.0]]
    out = tg.empty(1, 1, device=tg_device)
    assert tg.inner(v, w + v, out=out) is out and out.cpu().tolist() == [[1.0]]
    idx = tg.empty(0, dtype=tg.int64, device=tg_device)
    assert tg.nonzero(v, out=idx) is idx and idx.cpu().tolist() == [[0, 0]]
    pos = tg.empty(2, dtype=tg.int64, device=tg_device)
    tg.searchsorted(tg.tensor([1.0, 3.0], device=tg_device), tg.tensor([2.0, 4.0], device=tg_device), out=pos)
    assert pos.cpu().tolist() == [1, 2]
    dot = tg.empty((), device=tg_device)
    tg.tensordot(v[0], w[0] + v[0], dims=1, out=dot)
    assert dot.item() == 1.0
    prod = tg.zeros(2, 2, device=tg_device)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # chain_matmul's deprecation
        tg.chain_matmul(tg.eye(2, device=tg_device) * 2, tg.eye(2, device=tg_device), out=prod)
    assert prod.cpu().tolist() == [[2.0, 0.0], [0.0, 2.0]]
    norm = tg.zeros((), device=tg_device)
    tg.frobenius_norm(tg.ones(2, 2, device=tg_device), (0, 1), out=norm)
    assert norm.item() == 2.0


def test_out_of_another_shape_is_resized_with_a_warning():
    a, b = tg.tensor([1.0, 2.0]), tg.tensor([3.0, 4.0])
    empty = tg.empty(0)
    assert _caught(lambda: tg.mul(a, b, out=empty)) == []
    assert empty.tolist() == [3.0, 8.0]
    wrong = tg.zeros(1, 2)
    seen = _caught(lambda: tg.exp(a, out=wrong))
    assert len(seen) == 1 and seen[0].startswith("An output with one or more elements was resized since it had "
                                                 "shape [1, 2], which does not match the required output shape [2].")
    assert wrong.shape == (2,)
    grown = tg.zeros(3)
    seen = _caught(lambda: tg.add(a, b, out=grown))
    assert len(seen) == 1 and "had shape [3]" in seen[0]
    assert grown.tolist() == [4.0, 6.0]


def test_out_dtype_rule_and_type_of_out():
    a = tg.tensor([1.5, 2.5])
    assert _msg(lambda: tg.exp(a, out=tg.empty(2, dtype=tg.int64)), RuntimeError) == \
        "result type Float can't be cast to the desired output type Long"
    wide = tg.empty(2, dtype=tg.float64)
    tg.mul(a, 2, out=wide)
    assert wide.dtype == tg.float64 and wide.tolist() == [3.0, 5.0]
    assert _msg(lambda: tg.exp(a, out=[0.0, 0.0]), TypeError) == "exp(): argument 'out' must be Tensor, not list"


def test_out_in_the_signature():
    import inspect
    assert "out" in inspect.signature(tg.mul).parameters
    assert list(inspect.signature(tg.exp).parameters) == ["input", "out"]


# --------------------------------------------------------------------------- writes through expand()
def test_write_to_an_expanded_tensor_reaches_every_alias():
    base = tg.zeros(1, 3)
    e = base.expand(2, 3)
    e[0, 0] = 1
    assert e.tolist() == [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]] and base.tolist() == [[1.0, 0.0, 0.0]]
    e[1] = tg.tensor([4.0, 5.0, 6.0])
    assert base.tolist() == [[4.0, 5.0, 6.0]]
    e.fill_(2)
    assert base.tolist() == [[2.0, 2.0, 2.0]]
    e.zero_()
    assert base.tolist() == [[0.0, 0.0, 0.0]]
    e[0].add_(1)
    assert base.tolist() == [[1.0, 1.0, 1.0]]


def test_overlapping_write_to_an_expanded_tensor_is_refused():
    overlap = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
               "location. Please clone() the tensor before performing the operation.")
    base = tg.zeros(1, 3)
    e = base.expand(2, 3)
    assert _msg(lambda: e.add_(1), RuntimeError) == overlap
    assert _msg(lambda: e.__setitem__((slice(None), 1), 5.0), RuntimeError) == overlap
    assert _msg(lambda: tg.ones(2, 3).expand(2, 2, 3).mul_(2), RuntimeError) == overlap
    assert base.tolist() == [[0.0, 0.0, 0.0]]


# --------------------------------------------------------------------------- indexing details
def test_uint8_index_warns_and_masks():
    x = tg.arange(6).reshape(2, 3)
    with pytest.warns(UserWarning, match="^indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                                         "torch.bool instead.$"):
        r = x[tg.tensor([0, 1], dtype=tg.uint8)]
    assert r.tolist() == [[3, 4, 5]]


@pytest.mark.parametrize("dtype, name, fill_name", [
    (tg.int32, "int", "int"), (tg.int64, "int64_t", "int64_t"), (tg.float32, "float", "float"),
    (tg.float64, "double", "double"), (tg.uint8, "uint8_t", "uint8_t"), (tg.float16, "double", "c10::Half")])
def test_complex_number_into_a_real_tensor(dtype, name, fill_name):
    x = tg.zeros(2, dtype=dtype)
    assert _msg(lambda: x.__setitem__(0, 1 + 2j), RuntimeError) == \
        f"value cannot be converted to type {name} without overflow"
    assert _msg(lambda: x.__setitem__(slice(None), 1j), RuntimeError) == \
        f"value cannot be converted to type {name} without overflow"
    assert _msg(lambda: x.fill_(1 + 2j), RuntimeError) == \
        f"value cannot be converted to type {fill_name} without overflow"
    assert x.tolist() == [0, 0]
    z = tg.zeros(2, dtype=tg.complex64)
    z[0] = 1 + 2j
    assert z.tolist() == [1 + 2j, 0j]


# --------------------------------------------------------------------------- ragged data, full()
@pytest.mark.parametrize("data, exc, message", [
    ([1, [2]], TypeError, "'list' object cannot be interpreted as an integer"),
    ([1, (2,)], TypeError, "'tuple' object cannot be interpreted as an integer"),
    ([1.5, [2.0]], TypeError, "must be real number, not list"),
    ([[1], 2], TypeError, "not a sequence"),
    ([[1, 2], [3]], ValueError, "expected sequence of length 2 at dim 1 (got 1)"),
    ([[[1, 2]], [[3]]], ValueError, "expected sequence of length 2 at dim 2 (got 1)"),
    ([[1.5], [[2]]], TypeError, "must be real number, not list"),
])
def test_ragged_nested_lists(data, exc, message):
    assert _msg(lambda: tg.tensor(data), exc) == message


def test_ragged_list_with_an_empty_first_row_is_empty():
    t = tg.tensor([[], [1]])
    assert t.shape == (2, 0) and t.dtype == tg.float32
    assert tg.tensor([[], [1]], dtype=tg.int64).dtype == tg.int64


def test_full_refuses_a_non_number():
    assert _msg(lambda: tg.full((2,), "a"), TypeError) == \
        "full(): argument 'fill_value' (position 2) must be Number, not str"
    assert _msg(lambda: tg.full((2,), None), TypeError) == \
        "full(): argument 'fill_value' (position 2) must be Number, not NoneType"
    assert tg.full((2,), np.float32(1.5)).tolist() == [1.5, 1.5]
    assert tg.full((1,), tg.tensor(3)).tolist() == [3]


# --------------------------------------------------------------------------- NumPy's axis= / keepdims=
def test_axis_and_keepdims_spell_dim_and_keepdim(tg_device):
    rng = np.random.default_rng(17)
    x = tg.tensor(rng.standard_normal((3, 4)).astype(np.float32), device=tg_device)
    assert tg.equal(x.sum(axis=1), x.sum(dim=1))
    assert tg.sum(x, axis=0, keepdims=True).shape == (1, 4)
    assert tg.equal(tg.argmax(x, axis=1), x.argmax(1))
    assert tg.equal(x.cumsum(axis=1), x.cumsum(1))
    assert tg.cat([x, x], axis=1).shape == (3, 8)
    assert x.unsqueeze(axis=0).shape == (1, 3, 4)
    assert tg.equal(x.max(axis=0).values, x.max(0).values)
    assert _msg(lambda: tg.sum(x, dim=0, axis=0), TypeError) == "sum() got an unexpected keyword argument 'axis'"
    # ops without a dim parameter keep their own keywords only
    assert "axis" in _msg(lambda: x.flip(axis=0), TypeError)


# --------------------------------------------------------------------------- remainder's zero, dim_order
def test_zero_remainder_takes_the_dividends_sign(tg_device):
    a = tg.tensor([0.0, -0.0, 4.0, -4.0, 3.0, -3.0, 5.0], device=tg_device)
    b = tg.tensor([-2.0, -2.0, -2.0, 2.0, 1.5, -1.5, 3.0], device=tg_device)
    r = tg.remainder(a, b).cpu()
    assert r.tolist() == [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0]
    assert tg.signbit(r).tolist() == [False, True, False, True, False, True, False]
    assert tg.signbit(tg.tensor([4.0, 0.0], device=tg_device) % -2).cpu().tolist() == [False, False]
    assert (tg.tensor([-7, 7], device=tg_device) % 3).cpu().tolist() == [2, 1]


def test_dim_order():
    assert tg.ones(2, 3).dim_order() == (0, 1)
    assert tg.ones(2, 3).t().dim_order() == (1, 0)
    assert tg.ones(2, 3, 4).permute(2, 0, 1).dim_order() == (1, 2, 0)
    assert tg.ones(2, 3, 4, 5).to(memory_format=tg.channels_last).dim_order() == (0, 2, 3, 1)
    assert tg.ones(2, 1, 3).dim_order() == (0, 1, 2)
    ambiguous = "The tensor does not have unique dim order, or cannot map to exact one of the given memory formats."
    assert _msg(lambda: tg.ones(2, 1, 3).dim_order(ambiguity_check=True), RuntimeError) == ambiguous
    assert tg.ones(2, 1, 3).dim_order(ambiguity_check=[tg.contiguous_format]) == (0, 1, 2)
    assert _msg(lambda: tg.ones(2, 3, 1, 1).dim_order(ambiguity_check=[tg.contiguous_format, tg.channels_last]),
                RuntimeError) == ambiguous
    assert _msg(lambda: tg.ones(2).dim_order(ambiguity_check=5), TypeError) == \
        "The ambiguity_check argument must be a bool or a list of memory formats."
