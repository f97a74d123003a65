"""torch.istft of a two-sided spectrum as PyTorch 2.13 computes it: a real result inverts only the
first n_fft / 2 + 1 bins (as a onesided spectrum), and a complex window's envelope is window ** 2
(not |window| ** 2). Expected values computed with PyTorch 2.13 CPU; no torch import."""
import pytest

import tensorgraft as tg

SPEC = [[1 + 2j, -0.5 + 1j, 0.25 - 0.5j], [2 - 1j, 1 + 0.5j, -1 + 1j], [0.5 + 0.5j, -2 + 0j, 1 - 1j],
        [3 + 0j, 0.5 - 2j, -0.25 + 0.75j]]


def _spec():
    return tg.tensor(SPEC, dtype=tg.complex64)


def test_real_result_of_a_two_sided_spectrum():
    # (was the real part of the full inverse FFT: [-0.375, -0.4583...])
    with pytest.warns(UserWarning, match="A window was not provided"):
        out = tg.istft(_spec(), n_fft=4)
    assert out.dtype == tg.float32
    assert out.tolist() == pytest.approx([-0.2291666716337204, -0.7291666865348816], abs=1e-7)


def test_complex_result_of_a_two_sided_spectrum():
    with pytest.warns(UserWarning, match="A window was not provided"):
        out = tg.istft(_spec(), n_fft=4, return_complex=True)
    assert out.tolist() == pytest.approx([-0.375 + 0.4375j, -0.4583333432674408 + 0.3958333432674408j], abs=1e-7)


def test_complex_window_envelope_is_its_square():
    w = tg.tensor([1 + 0.5j, 0.75 - 0.25j, 1.25 + 1j, 0.5 + 0.5j], dtype=tg.complex64)
    out = tg.istft(_spec(), n_fft=4, window=w, return_complex=True)
    assert out.tolist() == pytest.approx([-0.1411253958940506 + 0.5881472229957581j,
                                          -0.30966877937316895 + 0.8091816902160645j], abs=1e-6)


def test_complex_window_refused_for_a_real_result():
    w = tg.ones(4, dtype=tg.complex64)
    with pytest.raises(RuntimeError, match="^Complex windows are incompatible with return_complex=False$"):
        tg.istft(_spec(), n_fft=4, window=w, return_complex=False)
