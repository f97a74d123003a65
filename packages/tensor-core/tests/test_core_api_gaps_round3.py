"""PyTorch functions and behaviours that were missing or differed (session 22's API sweep): the
sparse row products (hspmm, smm, sspaddmm...), as_strided_/as_strided_scatter, the deprecated
non-in-place resize, is_storage, conj_physical_, torch._tensor_str, storage offsets through detach()
and set_(), linalg.cross's error prefix, float32 I0/I1 overflow and the sparse matmul messages.
Expected values are PyTorch 2.13's."""
import math
import warnings

import pytest

import tensorgraft as torch


def _coo(t):
    return t.sparse_dim(), t.dense_dim(), t._indices().tolist(), t._values().tolist(), t.is_coalesced()


@pytest.fixture
def operands():
    s = torch.sparse_coo_tensor([[1, 0, 1], [2, 0, 0]], [3., 1., 2.], (3, 3))  # stored out of order
    d = torch.arange(6.).reshape(3, 2)
    inp = torch.sparse_coo_tensor([[2, 0], [1, 1]], [5., 6.], (3, 2))
    return s, d, inp


# --------------------------------------------------------------------------- sparse row products
def test_hspmm_keeps_the_rows_mat1_stores_as_a_hybrid_tensor(operands):
    s, d, _ = operands
    for f in (torch.hspmm, torch.hsmm):
        r = f(s, d)
        assert _coo(r) == (1, 1, [[0, 1]], [[0.0, 1.0], [12.0, 17.0]], False)
        assert tuple(r.shape) == (3, 2) and r.dtype == torch.float32
    r = torch.hspmm(torch.sparse_coo_tensor([[0], [0]], [1], (2, 2)), torch.ones(2, 2, dtype=torch.long))
    assert _coo(r)[2:4] == ([[0]], [[1, 1]]) and r.dtype == torch.int64
    empty = torch.hspmm(torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), [], (3, 3)), d)
    assert empty._nnz() == 0 and tuple(empty.shape) == (3, 2)


def test_smm_and_sspaddmm_values_order_and_scaling(operands):
    s, d, inp = operands
    assert _coo(torch.smm(s, d)) == (2, 0, [[0, 0, 1, 1], [0, 1, 0, 1]], [0.0, 1.0, 12.0, 17.0], False)
    assert _coo(s.smm(d)) == _coo(torch.smm(s, d))
    r = torch.sspaddmm(inp, s, d, beta=2, alpha=3)  # input's entries first, in their stored order
    assert _coo(r) == (2, 0, [[2, 0, 0, 0, 1, 1], [1, 1, 0, 1, 0, 1]], [10.0, 12.0, 0.0, 3.0, 36.0, 51.0], False)
    r = torch.sspaddmm(inp.coalesce(), s, d)
    assert _coo(r)[2:4] == ([[0, 2, 0, 0, 1, 1], [1, 1, 0, 1, 0, 1]], [6.0, 5.0, 0.0, 1.0, 12.0, 17.0])
    assert _coo(inp.sspaddmm(s, d)) == _coo(torch.saddmm(inp, s, d))
    assert torch.smm(s.int(), d.int())._values().tolist() == [0, 1, 12, 17]


def test_spmm_and_dsmm_are_mm(operands):
    s, d, _ = operands
    expected = [[0.0, 1.0], [12.0, 17.0], [0.0, 0.0]]
    assert torch.spmm(s, d).tolist() == expected and torch.dsmm(s, d).tolist() == expected
    assert torch.spmm(s, d).layout == torch.strided


@pytest.mark.parametrize("call, error, message", [
    (lambda s, d, i: torch.sspaddmm(i, s, d[:2]), RuntimeError, "sspaddmm: Argument #3: Expected dim 0 size 3, got 2"),
    (lambda s, d, i: torch.sspaddmm(i, s.to_dense(), d), RuntimeError,
     "sspaddmm: expected 'mat1' to have sparse layout, got 'mat1' with layout Strided"),
    (lambda s, d, i: torch.sspaddmm(i, s, d.to_sparse()), RuntimeError,
     "sspaddmm: expected 'mat2' to have strided layout, got 'mat2' with layout Sparse"),
    (lambda s, d, i: torch.sspaddmm(i.double(), s, d), RuntimeError,
     "dtype of values (Float) must match dtype of sparse tensor (Double)"),
    (lambda s, d, i: torch.sspaddmm(i, s, d.double()), RuntimeError, "expected scalar type Float but found Double"),
    (lambda s, d, i: torch.hspmm(s, d[:2]), RuntimeError, "hspmm: Argument #3: Expected dim 0 size 3, got 2"),
    (lambda s, d, i: torch.hspmm(s, d.to_sparse()), RuntimeError,
     "addmm_sparse_dense: expected strided result tensor, got tensor with layout Sparse"),
    (lambda s, d, i: torch.hspmm(torch.ones(2, 2, 2).to_sparse(), d), RuntimeError,
     "hspmm: Argument #2: matrices expected, got 3D tensor"),
    (lambda s, d, i: torch.sspaddmm(torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), [], (4, 2)), s, d),
     RuntimeError, "sspaddmm: Argument #1: Expected dim 0 size 3, got 4"),
    (lambda s, d, i: torch.sspaddmm(torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), [], (3, 5)), s, d),
     RuntimeError, "sspaddmm: Argument #1: Expected dim 1 size 2, got 5"),
    (lambda s, d, i: torch.smm(s.to_dense(), d), RuntimeError, "tensor.sspaddmm(...) can only be called on sparse tensors"),
    (lambda s, d, i: torch.hspmm(s.to_dense(), d), NotImplementedError, "Could not run 'aten::hspmm'"),
    # the sparse @ dense product's own messages (mm, matmul, @, sparse.mm, addmm)
    (lambda s, d, i: torch.mm(s, torch.ones(2, 2)), RuntimeError, "addmm: Argument #3 (dense): Expected dim 0 size 3, got 2"),
    (lambda s, d, i: s @ torch.ones(2, 2), RuntimeError, "addmm: Argument #3 (dense): Expected dim 0 size 3, got 2"),
    (lambda s, d, i: torch.sparse.mm(s, torch.ones(2, 2)), RuntimeError, "addmm: Argument #3 (dense): Expected dim 0 size 3, got 2"),
    (lambda s, d, i: torch.addmm(torch.zeros(3, 2), s, torch.ones(2, 2)), RuntimeError,
     "addmm: Argument #3 (dense): Expected dim 0 size 3, got 2"),
    (lambda s, d, i: torch.mm(s, torch.ones(3, 2, dtype=torch.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda s, d, i: torch.mm(s.to_sparse_csr(), torch.ones(2, 2)), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (3x3 and 2x2)"),
    (lambda s, d, i: torch.mm(s.to_sparse_csr(), torch.ones(3, 2, dtype=torch.float64)), RuntimeError,
     "expected scalar type Float but found Double"),
    (lambda s, d, i: torch.ones(2, 3) @ torch.ones(2, 3), RuntimeError,
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)"),
])
def test_sparse_product_errors(operands, call, error, message):
    with pytest.raises(error, match=None) as info:
        call(*operands)
    assert str(info.value).startswith(message)


# --------------------------------------------------------------------------- as_strided_ / as_strided_scatter
def test_as_strided_in_place_restrides_the_tensor_itself():
    b = torch.arange(6.)
    r = b.as_strided_((2, 2), (1, 2))
    assert r is b and b.tolist() == [[0.0, 2.0], [1.0, 3.0]] and b.stride() == (1, 2) and b._base is None
    c = torch.as_strided_(torch.arange(6.), (2, 2), (1, 2), 1)
    assert c.tolist() == [[1.0, 3.0], [2.0, 4.0]] and c.storage_offset() == 1


@pytest.mark.parametrize("call, expected", [
    (lambda: torch.as_strided_scatter(torch.zeros(6), torch.ones(2, 2), (2, 2), (1, 4)), [1., 1., 0., 0., 1., 1.]),
    (lambda: torch.as_strided_scatter(torch.zeros(6), torch.ones(2, 2, dtype=torch.float64), (2, 2), (1, 2)),
     [1., 1., 1., 1., 0., 0.]),
    (lambda: torch.as_strided_scatter(torch.zeros(6, dtype=torch.int64), torch.ones(2, 2), (2, 2), (1, 2)),
     [1, 1, 1, 1, 0, 0]),
    (lambda: torch.as_strided_scatter(torch.zeros(2, 3).t(), torch.ones(2), (2,), (1,)),  # the input's layout
     [[1., 0.], [1., 0.], [0., 0.]]),
    (lambda: torch.as_strided_scatter(torch.zeros(6)[2:], torch.ones(2), (2,), (1,)), [1., 1., 0., 0.]),
    (lambda: torch.as_strided_scatter(torch.arange(6.).reshape(2, 3), torch.ones(2, 2), (2, 2), (1, 2), 1),
     [[0., 1., 1.], [1., 1., 5.]]),
    (lambda: torch.zeros(6).as_strided_scatter(torch.ones(2, 2), (2, 2), (1, 2)), [1., 1., 1., 1., 0., 0.]),
])
def test_as_strided_scatter_values(call, expected):
    assert call().tolist() == expected


@pytest.mark.parametrize("call, message", [
    (lambda: torch.as_strided_scatter(torch.zeros(6), torch.ones(2, 2), (2, 2), (1, 2), 3),
     "setStorage: sizes [2, 2], strides [1, 2], storage offset 3, and itemsize 4 requiring a storage size of 28 "
     "are out of bounds for storage of size 24"),
    (lambda: torch.as_strided_scatter(torch.zeros(6), torch.ones(2, 2), (2, 2), (1,)),
     "mismatch in length of strides and shape"),
    (lambda: torch.as_strided_scatter(torch.zeros(6), torch.ones(3, 2), (2, 2), (1, 2)),
     "expected src to have a size equal to the slice of self. src size = [3, 2], slice size = [2, 2]"),
])
def test_as_strided_scatter_errors(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == message


# --------------------------------------------------------------------------- storage offsets
def test_detach_and_set_keep_the_storage_offset_without_making_a_view():
    a = torch.arange(6.)
    b = a[2:].detach()
    assert b._base is None and b.storage_offset() == 2
    assert b.as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]  # offsets count from the storage's start
    assert b.as_strided((2,), (1,)).tolist() == [2.0, 3.0]
    c = torch.zeros(2)
    c.set_(a[2:])
    assert c._base is None and c.storage_offset() == 2 and c.tolist() == [2.0, 3.0, 4.0, 5.0]
    d = torch.zeros(2)
    d.set_(a.untyped_storage(), 3, (2,), (1,))
    assert d._base is None and d.storage_offset() == 3 and d.tolist() == [3.0, 4.0]
    e = torch.zeros(2)
    e.set_(b)  # a detached view: its storage's start, not b's first element
    assert e.storage_offset() == 2 and e.is_set_to(b)
    e.set_()
    assert e.storage_offset() == 0 and e.numel() == 0


# --------------------------------------------------------------------------- deprecated resize, storages
def test_non_inplace_resize_is_a_deprecated_reshape():
    with pytest.warns(UserWarning, match="^non-inplace resize is deprecated$"):
        assert torch.arange(6.).resize(2, 3).tolist() == [[0., 1., 2.], [3., 4., 5.]]
    with pytest.warns(UserWarning, match="^non-inplace resize_as is deprecated$"):
        assert tuple(torch.arange(6.).resize_as(torch.ones(3, 2)).shape) == (3, 2)
    with pytest.warns(UserWarning):
        assert torch.arange(6.).reshape(2, 3).t().resize(6).tolist() == [0., 3., 1., 4., 2., 5.]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError) as info:
            torch.arange(6.).resize(4)
        assert str(info.value) == (
            "requested resize to 4 (4 elements in total), but the given tensor has a size of 6 (6 elements). "
            "autograd's resize can only change the shape of a given tensor, while preserving the number of elements. ")
        with pytest.raises(RuntimeError, match=r"^requested resize to \(2, 3\) \(\(2, 3\) elements in total\)"):
            torch.arange(6.).resize((2, 3))  # as PyTorch: sizes are separate ints


def test_top_level_resize_as_and_conj_physical_and_is_storage():
    t = torch.ones(2)
    assert torch.resize_as_(t, torch.ones(3, 3)) is t and tuple(t.shape) == (3, 3)
    c = torch.tensor([1 + 1j])
    assert torch.conj_physical_(c) is c and c.tolist() == [1 - 1j]
    assert torch.is_storage(torch.ones(2).untyped_storage())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.is_storage(torch.ones(2).storage())
    assert not torch.is_storage(torch.ones(2)) and not torch.is_storage([1])


def test_tensor_str_module_exposes_the_print_options():
    assert torch._tensor_str.PRINT_OPTS.precision == 4
    with torch._tensor_str.printoptions(precision=2):
        assert str(torch.tensor([1.23456])) == "tensor([1.23])"
    assert str(torch.tensor([1.23456])) == "tensor([1.2346])"


# --------------------------------------------------------------------------- messages and numerics
@pytest.mark.parametrize("call, message", [
    (lambda: torch.cross(torch.ones(2, 3), torch.ones(2, 4), dim=1),
     "linalg.cross: inputs dimension 1 must have length 3. Got 3 and 4"),
    (lambda: torch.cross(torch.ones(2, 3), torch.ones(3), dim=1), "linalg.cross: inputs must have the same number of dimensions."),
    (lambda: torch.ones(2, 4).cross(torch.ones(2, 4), dim=1), "linalg.cross: inputs dimension 1 must have length 3. Got 4 and 4"),
])
def test_cross_shape_errors_name_linalg_cross(call, message):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == message


def test_cross_type_error_names_the_function_called():
    with pytest.raises(TypeError, match=r"^cross\(\): argument 'other' \(position 2\) must be Tensor, not str$"):
        torch.cross(torch.ones(3), "a")


def test_float32_bessel_i0_i1_overflow_where_float32_exp_does():
    x = torch.tensor([88.5, 88.72283172607422, 88.72283935546875, -90.0, 100.0, math.inf, -math.inf])
    i0 = torch.i0(x).tolist()
    assert i0[2:5] == [math.inf] * 3 and math.isnan(i0[5]) and math.isnan(i0[6])
    assert i0[0] == pytest.approx(1.1564e37, rel=1e-4) and i0[1] == pytest.approx(1.4433e37, rel=1e-4)
    i1 = torch.special.i1(x).tolist()
    assert i1[2:5] == [math.inf, -math.inf, math.inf] and math.isnan(i1[5])
    assert torch.special.modified_bessel_i0(x).tolist()[2:5] == [math.inf] * 3
    assert torch.special.modified_bessel_i1(x).tolist()[2:5] == [math.inf, -math.inf, math.inf]
    assert torch.i0(x.bfloat16()).tolist()[3:5] == [math.inf, math.inf]
    # float64 does not overflow until ~713
    assert torch.i0(x.double()).tolist()[3] == pytest.approx(5.1392e37, rel=1e-4)


# --------------------------------------------------------------------------- complex pow
def _c(values):
    return [complex(v) for v in values]


def _same(x, y):
    return all((a == b) or (math.isnan(a) and math.isnan(b)) for a, b in ((x.real, y.real), (x.imag, y.imag)))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_complex_pow_special_values_are_cpows(dtype):
    inf, nan = math.inf, math.nan
    dt = getattr(torch, dtype)
    base = torch.tensor([0j, complex(inf, 0), complex(0, inf), complex(nan, 0), 1 + 1j], dtype=dt)
    cases = [  # (exponent, PyTorch 2.13's values)
        (0j, [complex(nan, nan)] * 4 + [1 + 0j]),
        (1 + 0j, [complex(0, -0.0), complex(inf, nan), complex(inf, nan), complex(nan, nan), None]),
        (-1 + 0j, [complex(inf, nan), complex(0, -0.0), complex(0, -0.0), complex(nan, nan), None]),
        (1 + 1j, [complex(0, -0.0), complex(inf, nan), complex(inf, nan), complex(nan, nan), None]),
        (complex(inf, 0), [complex(0, -0.0), complex(inf, nan), complex(inf, nan), complex(nan, nan), complex(inf, nan)]),
    ]
    for exponent, expected in cases:
        got = torch.pow(base, torch.full((5,), exponent, dtype=dt)).tolist()
        for g, e in zip(got, expected):
            if e is not None:
                assert _same(g, e), (exponent, got, expected)


def test_complex_pow_real_exponents_go_through_exp_log():
    x = torch.tensor([1j, 1 + 1j, -1 + 0j])
    # PyTorch: cexp(y * clog(x)), not repeated products, for a tensor exponent
    assert torch.pow(x, torch.tensor([1 + 0j, 1 + 0j, 1 + 0j])).tolist() == [
        complex(-4.371138828673793e-08, 1.0), complex(0.9999999403953552, 0.9999999403953552),
        complex(-1.0, -8.742277657347586e-08)]
    assert (x ** torch.tensor(2.0)).tolist()[0] == complex(-1.0, -8.742277657347586e-08)
    # a Python number exponent: 2, 3 are products, 0.5 is sqrt, -1 a reciprocal, others exp-log
    assert (x ** 2).tolist()[0] == complex(-1.0, 0.0)
    assert (x ** 0.5).tolist()[2] == 1j
    assert (torch.tensor([0j]) ** -1).tolist()[0].real == math.inf
    assert (torch.tensor([1j]) ** 4.0).tolist()[0] == complex(1.0, 1.7484555314695172e-07)
    assert (torch.tensor([2 + 0j], dtype=torch.complex128) ** 3.0).tolist()[0] == 8 + 0j
    assert (torch.tensor([2 + 0j], dtype=torch.complex128) ** 0.5).tolist()[0] == complex(1.4142135623730951, 0)
    assert (torch.tensor([1.0, 2.0]) ** 1j).tolist()[1] == pytest.approx(complex(0.7692, 0.6390), abs=1e-4)


# --------------------------------------------------------------------------- sparse COO odds and ends
def test_sparse_sign_sgn_round_keep_the_pattern():
    x = torch.sparse_coo_tensor([[0, 0, 1], [1, 1, 2]], [float("nan"), 2., -3.], (2, 3))
    s = torch.sign(x).coalesce()
    assert s._indices().tolist() == [[0, 1], [1, 2]] and s._values().tolist() == [0.0, -1.0]  # sign(NaN + 2) = 0
    assert torch.sgn(x).to_dense().tolist() == [[0.0, 0.0, 0.0], [0.0, 0.0, -1.0]]
    r = torch.round(torch.tensor([[0., -1.6, 0], [0.3, 0, 2.5]]).to_sparse())
    assert r.is_sparse and r.to_dense().tolist() == [[0.0, -2.0, 0.0], [0.0, 0.0, 2.0]]


def test_dense_plus_sparse_never_broadcasts():
    x = torch.tensor([[0., -1.6, 0], [0.3, 0, 2.5]]).to_sparse()
    for call, size in [(lambda: 1 - x, "[]"), (lambda: torch.ones(3) + x, "[3]"), (lambda: torch.tensor(1.) + x, "[]")]:
        with pytest.raises(RuntimeError) as info:
            call()
        assert str(info.value) == (f"add: expected 'self' and 'other' to have same size, but self has size {size} "
                                   "while other has size [2, 3] (FYI: dense-sparse addition does not currently "
                                   "support broadcasting)")
    with pytest.raises(RuntimeError, match=r"^add\(sparse, dense\) is not supported"):
        x + 1


def test_sparse_data_comparisons_are_elementwise_or_refused():
    x = torch.tensor([[0., -1.6, 0], [0.3, 0, 2.5]]).to_sparse()
    with pytest.raises(NotImplementedError):
        torch.angle(x)  # (was a TypeError from Python's '<')


def test_bmm_of_a_batch_of_sparse_matrices():
    d = torch.arange(12.).reshape(2, 3, 2)
    assert torch.bmm(torch.ones(2, 2, 3).to_sparse(), d).tolist() == [[[6., 9.], [6., 9.]], [[24., 27.], [24., 27.]]]
    with pytest.raises(RuntimeError, match="^bmm_sparse: Tensor 'self' must have 0 dense dims, but has 2$"):
        torch.bmm(torch.ones(2, 2, 3).to_sparse(1), d)
    with pytest.raises(RuntimeError, match=r"^bmm_sparse: 'self.size\(2\)' and 'mat2.size\(1\)' must match$"):
        torch.bmm(torch.ones(2, 2, 3).to_sparse(), d[:, :2])
    with pytest.raises(RuntimeError, match=r"^bmm_sparse: 'self.size\(0\)' and 'mat2.size\(0\)' must match$"):
        torch.bmm(torch.ones(2, 2, 3).to_sparse(), d[:1])


def test_bmm_of_sparse_matrices_gradient():
    pytest.importorskip("tensorgraft.autograd")
    s = torch.ones(2, 2, 3, requires_grad=True)
    r = torch.bmm(s.to_sparse(), torch.arange(12.).reshape(2, 3, 2))
    assert type(r.grad_fn).__name__ == "BmmBackward0"
    r.sum().backward()
    assert s.grad.tolist() == [[[1., 5., 9.], [1., 5., 9.]], [[13., 17., 21.], [13., 17., 21.]]]


# --------------------------------------------------------------------------- scans and logaddexp
def test_float32_scans_accumulate_in_double_as_pytorch_cpu():
    x = torch.tensor([0.1, 0.2, 0.3, 1e8, -1e8, 0.7])
    assert [v.hex() for v in torch.cumsum(x, 0).tolist()] == [
        '0x1.99999a0000000p-4', '0x1.3333340000000p-2', '0x1.3333340000000p-1', '0x1.7d78400000000p+26',
        '0x1.3333340000000p-1', '0x1.4ccccc0000000p+0']  # (a float32 running sum loses the 0.6 under 1e8)
    y = torch.tensor([1.1, 1.3, 0.7, 1.9, 1.01])
    assert [v.hex() for v in torch.cumprod(y, 0).tolist()] == [
        '0x1.19999a0000000p+0', '0x1.6e147a0000000p+0', '0x1.0041880000000p+0', '0x1.e6e2ea0000000p+0',
        '0x1.ebc1580000000p+0']
    z = torch.tensor([0.1 + 0.2j, 0.3 - 0.1j, 1e8 + 1j, -1e8 + 0.5j, 0.7 + 0.7j])
    assert torch.cumsum(z, 0).tolist()[3] == complex(0.4000000059604645, 1.600000023841858)
    assert torch.cumsum(torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64), 0, dtype=torch.float32).tolist()[2] \
        == float.fromhex('0x1.3333340000000p-1')
    # the half types still accumulate in float32 (3000 bfloat16 ones: 3008, the nearest bfloat16)
    assert torch.cumsum(torch.ones(3000, dtype=torch.bfloat16), 0)[-1].item() == 3008.0
    assert torch.cumsum(torch.ones(3000, dtype=torch.float16), 0)[-1].item() == 3000.0


def test_logaddexp_of_zero_dim_tensors():
    assert round(torch.logaddexp(torch.tensor(1.), torch.tensor(2.)).item(), 4) == 2.3133
    assert torch.logaddexp(torch.tensor(math.inf), torch.tensor(math.inf)).item() == math.inf


# --------------------------------------------------------------------------- helpers' follow-ups
def test_storage_offset_of_a_view_of_a_detached_view():
    assert torch.arange(6.)[2:].detach()[1:].storage_offset() == 3


def test_mT_mH_of_zero_dim_tensors_are_deprecated_identities():
    with pytest.warns(UserWarning, match="^Tensor.mT is deprecated on 0-D tensors. This function is the identity"):
        assert torch.tensor(2.).mT.item() == 2.0
    with pytest.warns(UserWarning, match=r"^Tensor.mH is deprecated on 0-D tensors. Consider using x.conj\(\)."):
        assert torch.tensor(1 + 2j).mH.item() == 1 - 2j
    with pytest.raises(RuntimeError, match="Got 3-D tensor. For batches of matrices, consider using tensor.mH$"):
        _ = torch.ones(2, 2, 2).H


def test_meta_tensors_get_device_and_apply_():
    t = torch.ones(2, device="meta")
    assert t.get_device() == -1 and t.apply_(lambda v: v) is t


def test_apply_and_map_errors():
    with pytest.raises(TypeError, match="^must be real number, not str$"):
        torch.ones(2).apply_(lambda v: "a")
    with pytest.raises(RuntimeError) as info:
        torch.ones(2).map_(torch.ones(3), lambda a, b: a)
    assert str(info.value) == ("The expanded size of the tensor (2) must match the existing size (3) at non-singleton "
                               "dimension 0.  Target sizes: [2].  Tensor sizes: [3]")


def test_typed_storage_warns_once_per_process():
    torch.ones(1).storage()  # (whatever came first)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.ones(2).storage()
    assert not [w for w in caught if "TypedStorage is deprecated" in str(w.message)]


def test_full_takes_a_zero_dim_tensor_only():
    assert torch.full((2,), torch.tensor(5.)).tolist() == [5.0, 5.0]
    with pytest.raises(TypeError, match=r"^full\(\): argument 'fill_value' \(position 2\) must be Number, not Tensor$"):
        torch.full((2,), torch.tensor([5.]))


def test_str_of_a_subclass_uses_its_repr():
    class Shown(torch.Tensor):
        def __repr__(self):
            return "Shown!"
    assert str(torch.ones(2).as_subclass(Shown)) == "Shown!"


def test_softmax_of_an_empty_integer_tensor_returns_it():
    assert torch.softmax(torch.tensor([], dtype=torch.int64), 0).dtype == torch.int64
    assert torch.log_softmax(torch.tensor([], dtype=torch.int64), 0).shape == (0,)
    with pytest.raises(NotImplementedError, match="\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"):
        torch.softmax(torch.tensor([1, 2]), 0)
