"""Complex gradcheck against PyTorch (oracle): the same functions pass, the same wrong backwards fail,
with the same message (which part of a complex output, the numerical and analytical matrices)."""
import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")


def _z(m, values):
    return m.tensor(values, dtype=m.complex128, requires_grad=True)


def _values(seed, n=4):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n) + 1j * rng.standard_normal(n)


FUNCTIONS = [
    ("square", lambda m, z: z * z),
    ("abs", lambda m, z: z.abs()),
    ("conj", lambda m, z: z.conj()),
    ("conj_times_z", lambda m, z: z.conj() * z),
    ("view_as_real", lambda m, z: m.view_as_real(z)),
    ("angle_and_exp", lambda m, z: (z.angle(), z.exp())),
    ("fft", lambda m, z: m.fft.fft(z)),
    ("ifftn", lambda m, z: m.fft.ifftn(z.reshape(2, 2), norm="forward")),
    ("irfft", lambda m, z: m.fft.irfft(z, n=6)),
]


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_the_same_functions_pass_as_in_torch(name, fn):
    values = _values(41)
    results = [m.autograd.gradcheck(lambda z, m=m: fn(m, z), (_z(m, values),)) for m in (torch, tg)]
    assert results == [True, True]
    results = [m.autograd.gradgradcheck(lambda z, m=m: fn(m, z), (_z(m, values),)) for m in (torch, tg)]
    assert results == [True, True]


def _wrong(m, kind):
    """Hand-written backwards with a mistake that leaves the real part of the gradient right."""
    class Wrong(m.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            if kind == "norm":
                return (z * z.conj()).real
            if kind == "two_outputs":
                return z.abs(), z * 2
            return z * z

        @staticmethod
        def backward(ctx, *gs):
            z, = ctx.saved_tensors
            if kind == "norm":
                return gs[0] * 2 * z.conj()
            if kind == "two_outputs":
                return gs[0] * z / z.abs() + gs[1].conj() * 2
            grad = gs[0] * (2 * z).conj()
            imaginary_cotangent = bool((gs[0].real == 0).all())
            if kind == "half_imag" or (kind == "real_pass" and not imaginary_cotangent):
                return m.complex(grad.real, grad.imag * 0.5)
            return grad
    return Wrong


@pytest.mark.parametrize("kind", ["half_imag", "real_pass", "norm", "two_outputs"])
def test_wrong_imaginary_gradients_fail_with_torchs_message(kind):
    values = np.array([1 + 2j, 0.5 - 1j])
    messages = []
    for m in (torch, tg):
        fn = _wrong(m, kind).apply
        assert m.autograd.gradcheck(fn, (_z(m, values),), raise_exception=False) is False
        with pytest.raises(Exception) as info:
            m.autograd.gradcheck(fn, (_z(m, values),))
        messages.append((type(info.value).__name__, str(info.value)))
    assert messages[1] == messages[0]


def test_real_input_with_complex_output_fails_like_torch():
    messages = []
    for m in (torch, tg):
        class Rotate(m.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                return x * (1 + 2j)

            @staticmethod
            def backward(ctx, g):
                return (g * (1 + 2j)).real      # should be conj(1 + 2j)

        x = m.tensor([1.0, 2.0], dtype=m.float64, requires_grad=True)
        assert m.autograd.gradcheck(lambda x, m=m: x * (1 + 2j), (x,))
        with pytest.raises(Exception) as info:
            m.autograd.gradcheck(Rotate.apply, (x,))
        messages.append((type(info.value).__name__, str(info.value)))
    assert messages[1] == messages[0]


def test_complex_gradients_agree_with_torch():
    """What gradcheck compares: the backward of each real part, with grad_output 1 and 1j."""
    values = _values(42, 3)
    grads = []
    for m in (torch, tg):
        z = _z(m, values)
        out = z * z.conj() * z + z.abs()
        real_part, = m.autograd.grad(out, z, m.ones_like(out), retain_graph=True)
        imag_part, = m.autograd.grad(out, z, m.ones_like(out) * 1j)
        grads.append((real_part.detach().numpy(), imag_part.detach().numpy()))
    np.testing.assert_allclose(grads[1][0], grads[0][0], atol=1e-12)
    np.testing.assert_allclose(grads[1][1], grads[0][1], atol=1e-12)
