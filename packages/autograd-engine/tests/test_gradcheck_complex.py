"""gradcheck/gradgradcheck with complex inputs and outputs: every real direction is checked, so a
backward that is wrong only in its imaginary part fails, while correct holomorphic and
non-holomorphic functions pass."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function, gradcheck, gradgradcheck
from tensorgraft.autograd.gradcheck import GradcheckError


def _z(rng, *shape, device="cpu"):
    values = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return tg.tensor(values, dtype=tg.complex128, device=device, requires_grad=True)


def _z2():
    """Two fixed points, so the messages' matrices can be read off by hand."""
    return tg.tensor([1 + 2j, 0.5 - 1j], dtype=tg.complex128, requires_grad=True)


PASSING = [
    ("square", lambda z: z * z),
    ("abs", lambda z: z.abs()),
    ("conj", lambda z: z.conj()),
    ("conj_times_z", lambda z: z.conj() * z),
    ("view_as_real", lambda z: tg.view_as_real(z)),
    ("real_imag_parts", lambda z: (z.real, z.imag * 2)),
    ("angle", lambda z: z.angle()),
    ("fft", lambda z: tg.fft.fft(z)),
    ("ifft_ortho", lambda z: tg.fft.ifft(z, norm="ortho")),
    ("fft2", lambda z: tg.fft.fft2(z.reshape(2, 3))),
    ("irfft", lambda z: tg.fft.irfft(z, n=8)),
    ("hfft", lambda z: tg.fft.hfft(z, n=9)),
]


@pytest.mark.parametrize("name, fn", PASSING, ids=[c[0] for c in PASSING])
def test_correct_complex_gradients_pass(name, fn, tg_device):
    rng = np.random.default_rng(31)
    z = _z(rng, 6, device=tg_device)
    assert gradcheck(fn, (z,))


@pytest.mark.parametrize("name, fn", PASSING[:6], ids=[c[0] for c in PASSING[:6]])
def test_correct_complex_second_derivatives_pass(name, fn, tg_device):
    rng = np.random.default_rng(32)
    assert gradgradcheck(fn, (_z(rng, 4, device=tg_device),))


def test_real_input_to_complex_output_passes():
    rng = np.random.default_rng(33)
    x = tg.tensor(rng.standard_normal(6), requires_grad=True)
    assert gradcheck(lambda x: tg.fft.rfft(x), (x,))
    assert gradcheck(lambda x: tg.complex(x, x * x), (x,))
    assert gradgradcheck(lambda x: tg.fft.rfft(x * x), (x,))


def _square_function(imag_factor=1.0, when=None):
    """``z * z`` with a hand-written backward whose imaginary part is scaled by ``imag_factor``
    (only for cotangents with zero real part when ``when == 'imaginary'``, zero imaginary part when
    ``when == 'real'``): the real part of every gradient stays right."""
    class Square(Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            z, = ctx.saved_tensors
            grad = g * (2 * z).conj()
            hit = (when is None or (when == "imaginary" and bool((g.real == 0).all()))
                   or (when == "real" and bool((g.imag == 0).all())))
            return tg.complex(grad.real, grad.imag * imag_factor) if hit else grad
    return Square


def test_a_correct_hand_written_backward_passes():
    z = _z2()
    assert gradcheck(_square_function().apply, (z,))


def test_a_backward_wrong_only_in_its_imaginary_part_fails():
    z = _z2()
    with pytest.raises(GradcheckError) as info:
        gradcheck(_square_function(0.5).apply, (z,))
    msg = str(info.value)
    # the imaginary part of the output is checked first, as PyTorch
    assert msg.startswith("While considering the imaginary part of complex outputs only, Jacobian mismatch for "
                          "output 0 with respect to input 0,\nnumerical:")
    numerical, analytical = msg.split("\nanalytical:")
    assert "4.0000+2.0000j" in numerical and "-2.0000+1.0000j" in numerical      # d Im(z^2)/da + 1j d/db
    assert "4.+1.0000j" in analytical and "-2.+0.5000j" in analytical
    assert gradcheck(_square_function(0.5).apply, (z,), raise_exception=False) is False


@pytest.mark.parametrize("when", ["imaginary", "real"])
def test_the_message_names_the_part_of_the_output_that_is_wrong(when):
    z = _z2()
    with pytest.raises(GradcheckError, match=f"^While considering the {when} part of complex outputs only, "
                                             "Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(_square_function(-1.0, when).apply, (z,))


def test_a_real_output_of_a_complex_input_is_checked_in_both_halves():
    class SquaredNorm(Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return (z * z.conj()).real

        @staticmethod
        def backward(ctx, g):
            z, = ctx.saved_tensors
            return g * 2 * z.conj()          # conj: only the imaginary part of the gradient is wrong

    z = _z2()
    assert gradcheck(lambda z: (z * z.conj()).real, (z,))
    with pytest.raises(GradcheckError, match="^Jacobian mismatch for output 0 with respect to input 0,\nnumerical:"):
        gradcheck(SquaredNorm.apply, (z,))


def test_the_output_index_counts_every_output():
    class AbsAndDouble(Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z.abs(), z * 2

        @staticmethod
        def backward(ctx, g_abs, g_double):
            z, = ctx.saved_tensors
            # the second output's gradient has the conjugate cotangent: wrong for imaginary cotangents
            return g_abs * z / z.abs() + g_double.conj() * 2

    z = _z2()
    with pytest.raises(GradcheckError, match="^While considering the imaginary part of complex outputs only, "
                                             "Jacobian mismatch for output 1 with respect to input 0"):
        gradcheck(AbsAndDouble.apply, (z,))


def test_a_real_input_with_a_wrong_imaginary_output_gradient_fails():
    class Rotate(Function):
        @staticmethod
        def forward(ctx, x):
            return x * (1 + 2j)

        @staticmethod
        def backward(ctx, g):
            return (g * (1 + 2j)).real       # should be conj(1 + 2j): right for g = 1, wrong for g = 1j

    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="^While considering the imaginary part of complex outputs only, "
                                             r"Jacobian mismatch for output 0 with respect to input 0,\nnumerical:tensor"
                                             r"\(\[\[2.0000, 0.0000\],(.|\n)*analytical:tensor\(\[\[-2.,  0.\],"):
        gradcheck(Rotate.apply, (x,))


def test_gradgradcheck_checks_the_imaginary_direction_of_the_second_derivative():
    class Square(Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z * z

        @staticmethod
        def backward(ctx, g):
            z, = ctx.saved_tensors
            # the right value, but the graph drops how it depends on Im(z)
            return g * 2 * tg.complex(z.real, -z.imag.detach())

    rng = np.random.default_rng(34)
    z = _z(rng, 3)
    assert gradcheck(Square.apply, (z,))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(Square.apply, (z,))
    assert gradgradcheck(lambda z: z * z, (z,))


def test_complex64_inputs_warn_like_float32():
    z = tg.tensor([1 + 2j], dtype=tg.complex64, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double precision"):
        assert gradcheck(lambda z: z * z, (z,), eps=1e-3, atol=1e-2)
