"""Regressions found by a randomized differential fuzz of the core ops against PyTorch: complex
gradients (PyTorch's conjugate Wirtinger convention), result dtypes, integer powers with negative
tensor exponents, complex logaddexp/logsumexp/float_power, clamp's promotion, and 0-d corner cases.
Expected values are written out here (no PyTorch); the ``_oracle`` file checks the same against it."""
import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd", reason="complex gradients need tensorgraft-autograd")

# points off the branch cuts of asin/acos/acosh/atanh, so the principal branches agree
_Z = np.array([0.3 + 0.4j, 1.2 - 0.5j, -2.0 + 0.1j, 0.5 - 3.0j, -0.7 - 0.2j])
_C = 1.5 - 0.7j  # the loss is Re(sum(_C * f(z)))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


# d f / d z of each holomorphic function
_DERIVATIVES = {
    "asin": lambda z: 1 / np.sqrt(1 - z * z),
    "acos": lambda z: -1 / np.sqrt(1 - z * z),
    "atan": lambda z: 1 / (1 + z * z),
    "asinh": lambda z: 1 / np.sqrt(z * z + 1),
    "acosh": lambda z: 1 / (np.sqrt(z - 1) * np.sqrt(z + 1)),
    "atanh": lambda z: 1 / (1 - z * z),
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "sinc": lambda z: (np.cos(np.pi * z) * np.pi * z - np.sin(np.pi * z)) / (np.pi * z * z),
}


def _wirtinger_grad(fn, z, device):
    """The gradient of Re(sum(_C * fn(z))) as PyTorch defines it: conj(_C * f'(z)) for holomorphic f."""
    x = tg.tensor(z, dtype=tg.complex128, device=device, requires_grad=True)
    y = fn(x)
    (g,) = tg.autograd.grad((y * _C).real.sum(), x)
    return g.detach().cpu().numpy()


@pytest.mark.parametrize("name", sorted(_DERIVATIVES))
def test_complex_gradient_is_conjugate_of_derivative(name, tg_device):
    got = _wirtinger_grad(getattr(tg, name), _Z, tg_device)
    np.testing.assert_allclose(got, np.conj(_C * _DERIVATIVES[name](_Z)), rtol=1e-10, atol=1e-12)


def test_acosh_real_gradient_below_minus_one_is_finite(tg_device):
    x = tg.tensor([-2.0, 3.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    tg.acosh(x).sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [1 / np.sqrt(3.0), 1 / np.sqrt(8.0)])


@pytest.mark.parametrize("with_zero", [False, True])
def test_complex_prod_and_cumprod_gradients(with_zero, tg_device):
    z = _Z[:4].copy()
    if with_zero:
        z[1] = 0
    others = np.array([np.prod(np.delete(z, i)) for i in range(len(z))])
    np.testing.assert_allclose(_wirtinger_grad(lambda t: t.prod(), z, tg_device), np.conj(_C * others),
                               rtol=1e-10, atol=1e-12)
    # d cumprod_j / d z_i = prod_{k <= j, k != i} z_k for j >= i
    expected = [sum(_C * np.prod(np.delete(z[:j + 1], i)) for j in range(i, len(z))) for i in range(len(z))]
    np.testing.assert_allclose(_wirtinger_grad(lambda t: t.cumprod(0), z, tg_device), np.conj(expected),
                               rtol=1e-10, atol=1e-12)


def test_complex_logsumexp_principal_angle_and_gradient(tg_device):
    z = np.array([1 + 3j, 2 - 2.5j, 0.5 + 3.1j, -1 - 3j])
    out = tg.logsumexp(tg.tensor(z, device=tg_device), 0)
    expected = np.log(np.sum(np.exp(z)))  # principal log: imaginary part in (-pi, pi]
    np.testing.assert_allclose(out.cpu().numpy(), expected, rtol=1e-10)
    assert -np.pi < out.imag.item() <= np.pi
    soft = np.exp(z - expected)
    np.testing.assert_allclose(_wirtinger_grad(lambda t: tg.logsumexp(t, 0), z, tg_device), np.conj(_C * soft),
                               rtol=1e-10)


def test_complex_logaddexp_values_and_gradient(tg_device):
    a = np.array([1 + 2j, -1 - 0.5j, 3 + 0j])
    b = np.array([0.5 - 1j, 3 + 0j, 1 + 1j])
    out = tg.logaddexp(tg.tensor(a, device=tg_device), tg.tensor(b, device=tg_device))
    assert out.dtype == tg.complex128
    np.testing.assert_allclose(out.cpu().numpy(), np.log(np.exp(a) + np.exp(b)), rtol=1e-12)
    got = _wirtinger_grad(lambda t: tg.logaddexp(t, tg.tensor(b, device=tg_device)), a, tg_device)
    np.testing.assert_allclose(got, np.conj(_C / (1 + np.exp(b - a))), rtol=1e-10)
    inf = tg.logaddexp(tg.tensor([complex("inf")], device=tg_device), tg.tensor([1 + 1j], device=tg_device))
    assert inf.cpu().numpy().tolist() == [complex("inf")]


def test_complex_addcmul_addcdiv_gradients(tg_device):
    t1, t2 = np.array([0.3 + 0.4j, 1.2 - 0.5j]), np.array([2 - 1j, 0.5 + 0.5j])
    T2 = tg.tensor(t2, device=tg_device)
    np.testing.assert_allclose(_wirtinger_grad(lambda t: tg.addcmul(T2, t, T2, value=-1.5), t1, tg_device),
                               np.conj(_C * -1.5 * t2))
    np.testing.assert_allclose(_wirtinger_grad(lambda t: tg.addcdiv(T2, T2, t, value=2), t1, tg_device),
                               np.conj(_C * -2 * t2 / (t1 * t1)))


def test_lgamma_digamma_keep_float16(tg_device):
    pytest.importorskip("scipy")
    x = tg.tensor([1.5, 3.0], dtype=tg.float16, device=tg_device)
    assert tg.lgamma(x).dtype == tg.float16
    assert tg.digamma(x).dtype == tg.float16
    np.testing.assert_allclose(tg.lgamma(x).float().cpu().numpy(), [-0.1208, 0.6931], atol=1e-3)


def test_float_power_keeps_complex(tg_device):
    z = tg.tensor([1 + 2j], device=tg_device)
    for out in (tg.float_power(z, tg.tensor([2], dtype=tg.int8, device=tg_device)), tg.float_power(z, 2)):
        assert out.dtype == tg.complex128
        np.testing.assert_allclose(out.cpu().numpy(), [-3 + 4j])
    np.testing.assert_allclose(tg.float_power(tg.tensor([3], device=tg_device), 1 + 2j).cpu().numpy(), [3 ** (1 + 2j)])
    w = tg.tensor([1 + 2j], dtype=tg.complex128, device=tg_device)
    w.float_power_(2)
    np.testing.assert_allclose(w.cpu().numpy(), [-3 + 4j])


def test_integer_pow_with_negative_tensor_exponents(tg_device):
    base = tg.tensor([0, 2, -1, 1, -2, 0, -1], device=tg_device)
    exp = tg.tensor([-1, -1, -3, -2, -1, 0, -2], device=tg_device)
    out = tg.pow(base, exp)
    assert out.dtype == tg.int64
    assert out.tolist() == [0, 0, -1, 1, 0, 1, 1]
    assert (base ** exp).tolist() == out.tolist()
    small = tg.pow(tg.tensor([0, 2, 255, 1], dtype=tg.uint8, device=tg_device),
                   tg.tensor([-1, -1, -3, -2], dtype=tg.int8, device=tg_device))
    assert small.dtype == tg.int16 and small.tolist() == [0, 0, 0, 1]
    assert tg.pow(2, tg.tensor([-1, -2], device=tg_device)).tolist() == [0, 0]
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed."):
        tg.tensor([2], device=tg_device) ** -2  # a Python exponent is still refused, as PyTorch


def test_remainder_fmod_node_names(tg_device):
    a = tg.tensor([1.0, 2.0], device=tg_device, requires_grad=True)
    b = tg.tensor([0.5, 3.0], device=tg_device)
    assert type(tg.remainder(a, b).grad_fn).__name__ == "RemainderBackward1"
    assert type((a % 1.5).grad_fn).__name__ == "RemainderBackward0"
    assert type(tg.fmod(a, b).grad_fn).__name__ == "FmodBackward1"
    assert type(a.fmod(2).grad_fn).__name__ == "FmodBackward0"


@pytest.mark.parametrize("fn, values, dtype", [
    (lambda t, d: tg.clamp(t([True, False], d), min=-1), [1, 0], "int64"),
    (lambda t, d: tg.clamp(t([True, False], d), max=1), [1, 0], "int64"),
    (lambda t, d: tg.clamp_min(t([True, False], d), -1), [1, 0], "int64"),
    (lambda t, d: tg.clamp(t([True, False], d), min=tg.tensor(0.5, device=d)), [1.0, 0.5], "float32"),
    (lambda t, d: tg.clamp(t([1, 2], d, tg.int8), min=tg.tensor([1.5, 1.5], device=d)), [1.5, 2.0], "float32"),
    (lambda t, d: tg.clamp(t([1.0, 2.0], d), min=tg.tensor([1.5, 1.5], dtype=tg.float64, device=d)),
     [1.5, 2.0], "float64"),
    (lambda t, d: tg.clamp(t([1, 2], d, tg.int8), min=tg.tensor([1, 1], device=d)), [1, 2], "int64"),
    (lambda t, d: tg.clamp(t([1, 2], d, tg.int8), min=tg.tensor(1, device=d)), [1, 2], "int8"),
    (lambda t, d: tg.clamp(t([1, 2], d, tg.uint8), min=-1), [255, 255], "uint8"),
])
def test_clamp_promotes_like_other_binary_ops(fn, values, dtype, tg_device):
    out = fn(lambda v, d, dt=None: tg.tensor(v, dtype=dt, device=d), tg_device)
    assert str(out.dtype) == "torch." + dtype
    assert out.tolist() == values


def test_clamp_refuses_complex(tg_device):
    with pytest.raises(NotImplementedError, match="clamp is not supported for complex types"):
        tg.clamp(tg.tensor([1j], device=tg_device), min=0)


def test_scatter_reduce_mean_keeps_integer_dtype(tg_device):
    x = tg.tensor([[1, 2], [3, -4]], dtype=tg.int32, device=tg_device)
    src = tg.tensor([[2, 5], [7, -9]], dtype=tg.int32, device=tg_device)
    idx = tg.zeros((2, 2), dtype=tg.int64, device=tg_device)
    out = tg.scatter_reduce(x, 0, idx, src, "mean", include_self=False)
    assert out.dtype == tg.int32 and out.tolist() == [[4, -2], [3, -4]]
    # with self: (1 + 2 + 7) // 3 and (2 + 5 - 9) // 3, floor division
    assert tg.scatter_reduce(x, 0, idx, src, "mean").tolist() == [[3, -1], [3, -4]]


def test_addcmul_integer_tensors_truncate_a_float_value(tg_device):
    def ints(v, dt=None):
        return tg.tensor(v, dtype=dt, device=tg_device)
    assert tg.addcmul(ints([1, 2]), ints([3, 4]), ints([1, 1]), value=-2.0).tolist() == [-5, -6]
    assert tg.addcmul(ints([1, 2]), ints([3, 4]), ints([1, 1]), value=0.5).tolist() == [1, 2]
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8_t without overflow"):
        tg.addcmul(ints([1], tg.uint8), ints([3], tg.uint8), ints([1], tg.uint8), value=-1.5)


def test_zero_dim_movedim_and_put(tg_device):
    x = tg.tensor(1.5, device=tg_device)
    assert tg.movedim(x, 0, -1).shape == () and tg.moveaxis(x, [-1], [0]).item() == 1.5
    z = tg.tensor(1 + 1j, device=tg_device)
    z.put_(tg.tensor([0, 0], device=tg_device), tg.tensor([2 + 0j, 3j], device=tg_device), accumulate=True)
    assert z.shape == () and z.item() == 3 + 4j


def test_pow_gradients_through_complex_logs(tg_device):
    z = np.array([0.5 + 1j, -1 + 0.3j])
    # (-2.5) ** z: d/dz = out * log(-2.5), the complex log (log 2.5 + i pi)
    got = _wirtinger_grad(lambda t: (-2.5) ** t, z, tg_device)
    np.testing.assert_allclose(got, np.conj(_C * (-2.5) ** z * np.log(-2.5 + 0j)), rtol=1e-10)
    # a complex scalar base over a real exponent: the real part of the complex gradient
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, device=tg_device, requires_grad=True)
    ((1.5 - 0.2j) ** x * _C).real.sum().backward()
    base = 1.5 - 0.2j
    np.testing.assert_allclose(x.grad.cpu().numpy(), np.real(np.conj(_C * base ** np.array([1.0, 2.0]) * np.log(base))))
    # an integer base tensor under a complex exponent
    e = tg.tensor(3 + 0.5j, dtype=tg.complex128, device=tg_device, requires_grad=True)
    out = tg.pow(tg.tensor(-2, device=tg_device), e)
    (g,) = tg.autograd.grad((out * _C).real, e)
    np.testing.assert_allclose(g.cpu().numpy(), np.conj(_C * (-2 + 0j) ** (3 + 0.5j) * np.log(-2 + 0j)), rtol=1e-10)


def test_zero_base_power_gradient(tg_device):
    x = tg.tensor([1.0, 2.0, 0.0, -1.0], device=tg_device, requires_grad=True)
    (0 ** x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0, float("-inf")]


def test_float_power_gradient_with_complex_exponent(tg_device):
    a = np.array([-1.5, 2.0])
    b = np.array([0.5 + 1j, -1 + 0.3j])
    A = tg.tensor(a, dtype=tg.float64, device=tg_device, requires_grad=True)
    B = tg.tensor(b, dtype=tg.complex128, device=tg_device, requires_grad=True)
    out = tg.float_power(A, B)
    ga, gb = tg.autograd.grad((out * _C).real.sum(), (A, B))
    ac = a.astype(complex)
    np.testing.assert_allclose(ga.cpu().numpy(), np.real(np.conj(_C * b * ac ** (b - 1))), rtol=1e-10)
    np.testing.assert_allclose(gb.cpu().numpy(), np.conj(_C * ac ** b * np.log(ac)), rtol=1e-10)
    assert ga.dtype == tg.float64


def test_logit_gradient_outside_unit_interval_is_nan(tg_device):
    x = tg.tensor([-0.5, 0.3, 1.5], device=tg_device, requires_grad=True)
    tg.logit(x).sum().backward()
    g = x.grad.cpu().numpy()
    assert np.isnan(g[0]) and np.isnan(g[2]) and abs(g[1] - 1 / (0.3 * 0.7)) < 1e-5


def test_ldexp_complex_gradient(tg_device):
    z = np.array([1 + 1j, 2 - 0.5j])
    got = _wirtinger_grad(lambda t: tg.ldexp(t, tg.tensor([0.5, 2.0], dtype=tg.float64, device=tg_device)), z,
                          tg_device)
    np.testing.assert_allclose(got, np.conj(_C * 2 ** np.array([0.5, 2.0])), rtol=1e-12)


def test_node_names_of_overloads(tg_device):
    a = tg.tensor([1.0, 2.0], device=tg_device, requires_grad=True)
    assert type((2 / a).grad_fn).__name__ == "MulBackward0"  # PyTorch: a.reciprocal() * 2
    assert type((a / 2).grad_fn).__name__ == "DivBackward0"
    assert type(tg.copysign(a, -1).grad_fn).__name__ == "CopysignBackward1"
    assert type(tg.copysign(a, a).grad_fn).__name__ == "CopysignBackward0"
    assert type(tg.sort(a).values.grad_fn).__name__ == "SortBackward0"
    assert type(tg.sort(a, stable=False).values.grad_fn).__name__ == "SortBackward1"
    assert type(a.sort(stable=True).values.grad_fn).__name__ == "SortBackward1"
    s = tg.tensor(1.0, device=tg_device, requires_grad=True)
    assert type(tg.movedim(s, 0, -1).grad_fn).__name__ == "AliasBackward0"
    g = a.new_ones(2)
    (2 / a).backward(g)
    assert a.grad.tolist() == [-2.0, -0.5]


def test_std_zero_spread_gradient_and_float32_range(tg_device):
    x = tg.tensor([[1.0, 2.0, 3.0], [1.5, 1.5, 1.5]], device=tg_device, requires_grad=True)
    tg.std(x, 1).sum().backward()
    assert x.grad.tolist() == [[-0.5, 0.0, 0.5], [0.0, 0.0, 0.0]]
    big = tg.tensor([3e29, -3e29, 1e29, 2.0], device=tg_device)
    out = tg.std(big)
    assert out.dtype == tg.float32
    np.testing.assert_allclose(out.item(), np.std(np.array([3e29, -3e29, 1e29, 2.0]), ddof=1), rtol=1e-6)


def test_cumprod_single_element_gradient(tg_device):
    for v in (0.0, float("inf"), float("nan"), 2.0):
        x = tg.tensor([[[v]]], device=tg_device, requires_grad=True)
        x.cumprod(1).backward(tg.tensor([[[3.5]]], device=tg_device))
        assert x.grad.item() == 3.5


@pytest.mark.parametrize("fn, node, grad", [
    (lambda x: x.fmod(1.5), "FmodBackward0", 2.0),
    (lambda x: x.remainder(1.5), "RemainderBackward0", 2.0),
    (lambda x: x % 2, "RemainderBackward0", 2.0),
    (lambda x: tg.lerp(x, tg.ones(3, device=x.device), 0.3), "LerpBackward0", 1.4),
], ids=["fmod", "remainder", "mod", "lerp"])
def test_number_operand_nodes_save_no_tensors(fn, node, grad, tg_device):
    # their gradients need nothing saved, so (as in PyTorch) a second backward works
    x = tg.tensor([1.0, 2.0, 3.0], device=tg_device, requires_grad=True)
    y = fn(x)
    assert type(y.grad_fn).__name__ == node
    y.sum().backward()
    y.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [grad] * 3)
    assert not hasattr(tg, "_fmod_scalar") and not hasattr(tg.Tensor, "_lerp_scalar")


def test_tensor_weight_lerp_still_saves(tg_device):
    x = tg.tensor([1.0, 2.0, 3.0], device=tg_device, requires_grad=True)
    y = tg.lerp(x, tg.ones(3, device=tg_device), tg.tensor(0.3, device=tg_device))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


def test_complex_lerp_gradients(tg_device):
    a, b, w = np.array([1 + 1j, 2 - 1j]), np.array([0.5j, 3 + 0j]), np.array([0.3 + 0.2j, -0.5j])
    ts = [tg.tensor(v, dtype=tg.complex128, device=tg_device, requires_grad=True) for v in (a, b, w)]
    grads = tg.autograd.grad((tg.lerp(*ts) * _C).real.sum(), ts)
    for got, d in zip(grads, (1 - w, w, b - a)):
        np.testing.assert_allclose(got.cpu().numpy(), np.conj(_C * d), rtol=1e-12)
    a_t, b_t = ts[0], ts[1]
    ga, gb = tg.autograd.grad((tg.lerp(a_t, b_t, 0.3 + 0.2j) * _C).real.sum(), (a_t, b_t))
    np.testing.assert_allclose(ga.cpu().numpy(), [np.conj(_C * (0.7 - 0.2j))] * 2, rtol=1e-12)
    np.testing.assert_allclose(gb.cpu().numpy(), [np.conj(_C * (0.3 + 0.2j))] * 2, rtol=1e-12)


# --------------------------------------------------------------------------- creation
@pytest.mark.parametrize("fn, values, dtype", [
    (lambda d: tg.full((2,), -2, dtype=tg.uint8, device=d), [254, 254], "uint8"),
    (lambda d: tg.full((1,), -129, dtype=tg.uint8, device=d), [127], "uint8"),
    (lambda d: tg.full((2,), 1 + 0j, dtype=tg.float32, device=d), [1.0, 1.0], "float32"),
    (lambda d: tg.full_like(tg.ones(2, dtype=tg.uint8, device=d), -1), [255, 255], "uint8"),
    (lambda d: tg.full_like(tg.ones(2, dtype=tg.uint8, device=d), 0.75), [0, 0], "uint8"),
    (lambda d: tg.tensor(-3, dtype=tg.uint8, device=d), 253, "uint8"),
    (lambda d: tg.tensor([-1, -3], dtype=tg.uint8, device=d), [255, 253], "uint8"),
    (lambda d: tg.tensor([1 + 0j], dtype=tg.bool, device=d), [True], "bool"),
    (lambda d: tg.scalar_tensor(-3, dtype=tg.uint8, device=d), 253, "uint8"),
    (lambda d: tg.as_tensor([3, -5], dtype=tg.uint8, device=d), [3, 251], "uint8"),
    (lambda d: tg.linspace(1 + 1j, -1.25, 1, device=d), [1 + 1j], "complex64"),
    (lambda d: tg.linspace(-0.5, 0, 1, dtype=tg.bool, device=d), [True], "bool"),
    (lambda d: tg.linspace(3, -5, 4, dtype=tg.uint8, device=d), [3, 85, 168, 251], "uint8"),  # -5 is 251 first
    (lambda d: tg.logspace(3, -5, 4, base=2, dtype=tg.uint8, device=d)[:1], [8], "uint8"),
])
def test_creation_values(fn, values, dtype, tg_device):
    out = fn(tg_device)
    assert str(out.dtype) == "torch." + dtype
    assert out.tolist() == values


@pytest.mark.parametrize("fn, exc, message", [
    (lambda: tg.full((2,), -2.0, dtype=tg.uint8), RuntimeError, "value cannot be converted to type uint8_t without overflow"),
    (lambda: tg.full((2,), 300, dtype=tg.uint8), RuntimeError, "value cannot be converted to type uint8_t without overflow"),
    (lambda: tg.full((2,), 1e10, dtype=tg.int32), RuntimeError, "value cannot be converted to type int without overflow"),
    (lambda: tg.full((2,), 1 + 1j, dtype=tg.float32), RuntimeError, "value cannot be converted to type float without overflow"),
    (lambda: tg.full_like(tg.ones(2, dtype=tg.uint8), -0.25), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda: tg.scalar_tensor(1 + 1j, dtype=tg.float32), RuntimeError,
     "value cannot be converted to type float without overflow"),
    (lambda: tg.tensor([1 + 1j], dtype=tg.int8), TypeError, "'complex' object cannot be interpreted as an integer"),
    (lambda: tg.tensor([1 + 1j], dtype=tg.float32), TypeError, "must be real number, not complex"),
    (lambda: tg.tensor([300, -1], dtype=tg.uint8), RuntimeError, "value cannot be converted to type uint8 without overflow"),
    (lambda: tg.tensor([2.5, -2.0], dtype=tg.uint8), RuntimeError, "value cannot be converted to type uint8 without overflow"),
    (lambda: tg.linspace(1 + 1j, 2, 3, dtype=tg.int8), RuntimeError,
     "torch.linspace(): inferred dtype c10::complex<float> can't be safely cast to passed dtype Char"),
    (lambda: tg.logspace(0, 1j, 3, dtype=tg.float32), RuntimeError,
     "torch.logspace(): inferred dtype c10::complex<float> can't be safely cast to passed dtype Float"),
    (lambda: tg.linspace(1, 2, 3, dtype=tg.bool), NotImplementedError, "\"linspace_cpu\" not implemented for 'Bool'"),
    (lambda: tg.linspace(0, -0.25, 4, dtype=tg.uint8), RuntimeError,
     "value cannot be converted to type uint8_t without overflow"),
    (lambda: tg.heaviside(tg.tensor([1.0, 0.0]), tg.tensor([1], dtype=tg.float64)), RuntimeError,
     "heaviside is not yet implemented for tensors with different dtypes."),
    (lambda: tg.heaviside(tg.tensor([1j]), tg.tensor([1j])), RuntimeError,
     "heaviside is not yet implemented for complex tensors."),
    (lambda: tg.heaviside(tg.tensor([1.0]), 1.0), TypeError,
     "heaviside(): argument 'values' (position 2) must be Tensor, not float"),
])
def test_creation_and_heaviside_errors(fn, exc, message):
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == message


def test_complex_logspace(tg_device):
    out = tg.logspace(1 + 1j, 1, 2, device=tg_device)
    assert out.dtype == tg.complex64
    np.testing.assert_allclose(out.cpu().numpy(), [10 ** (1 + 1j), 10], rtol=1e-6)
    two = tg.logspace(0, 1j, 3, base=2, dtype=tg.complex128, device=tg_device)
    np.testing.assert_allclose(two.cpu().numpy(), 2.0 ** np.linspace(0, 1j, 3), rtol=1e-12)
