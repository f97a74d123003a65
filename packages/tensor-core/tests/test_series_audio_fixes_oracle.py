"""Oracle twin of test_series_audio_fixes.py: fft transforms of empty dims raise PyTorch's error."""
import pytest

from tensorgraft.testing.oracle import assert_same_error, run_in_both

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("call", [
    lambda t: t.fft.fft(t.zeros(3, 0)), lambda t: t.fft.rfft(t.zeros(3, 0)), lambda t: t.fft.fft2(t.zeros(3, 0)),
    lambda t: t.fft.fftn(t.zeros(0, 3)), lambda t: t.fft.ifft(t.zeros(0)), lambda t: t.fft.ihfft(t.zeros(0)),
    lambda t: t.fft.hfft(t.zeros(0)), lambda t: t.fft.irfft(t.zeros(0)), lambda t: t.fft.rfft2(t.zeros(2, 0)),
    lambda t: t.fft.fft(t.zeros(0, dtype=t.complex64)), lambda t: t.fft.fftn(t.zeros(0, 3), s=(-1, 2)),
])
def test_empty_transformed_dim_error_matches(call):
    assert_same_error(call)


def test_sized_transform_of_empty_input_matches():
    ours, theirs = run_in_both(lambda t: t.fft.fftn(t.zeros(0, 3), s=(2, -1)))
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).split(".")[-1]
