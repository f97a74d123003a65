"""tensorgraft.fft on a transformed dim of length 0 taken from the input (no ``n``/``s``): PyTorch
refuses it with RuntimeError "Invalid number of data points (0) specified"; NumPy's ValueError
leaked through before (found by the audio_ programs' probing)."""
import pytest

import tensorgraft as tg


@pytest.mark.parametrize("call", [
    lambda: tg.fft.fft(tg.zeros(3, 0)), lambda: tg.fft.rfft(tg.zeros(3, 0)), lambda: tg.fft.fft2(tg.zeros(3, 0)),
    lambda: tg.fft.fftn(tg.zeros(0, 3)), lambda: tg.fft.ifft(tg.zeros(0)), lambda: tg.fft.ihfft(tg.zeros(0)),
    lambda: tg.fft.rfft2(tg.zeros(2, 0)), lambda: tg.fft.fft(tg.zeros(0, dtype=tg.complex64)),
    lambda: tg.fft.fftn(tg.zeros(0, 3), s=(-1, 2)),
])
def test_empty_transformed_dim_is_refused(call):
    with pytest.raises(RuntimeError) as info:
        call()
    assert str(info.value) == "Invalid number of data points (0) specified"


def test_sized_transforms_of_empty_input_still_work():
    assert tuple(tg.fft.fft(tg.zeros(0), n=4).shape) == (4,)
    assert tuple(tg.fft.fftn(tg.zeros(0, 3), s=(2, -1)).shape) == (2, 3)
    with pytest.raises(RuntimeError, match=r"Invalid number of data points \(-2\) specified"):
        tg.fft.irfft(tg.zeros(0))  # (irfft's default length 2 * (0 - 1) is what it names)
