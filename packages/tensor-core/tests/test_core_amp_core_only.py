"""GradScaler's default device is CUDA: without a usable CUDA device (or without tensorgraft-cuda
installed at all) it warns and disables itself, as PyTorch's CPU build does."""
import pytest

import tensorgraft as tg


def _cuda_usable():
    from tensorgraft.device import backends
    cuda = backends().get("cuda")
    return cuda is not None and cuda.is_available()


@pytest.mark.skipif(_cuda_usable(), reason="needs a machine without a usable CUDA device")
def test_grad_scaler_without_cuda_warns_and_disables():
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available.  Disabling."):
        scaler = tg.amp.GradScaler()
    assert not scaler.is_enabled()
    loss = tg.tensor(2.0)
    assert scaler.scale(loss) is loss   # a disabled scaler hands outputs back unscaled


def test_grad_scaler_on_the_cpu_scales():
    scaler = tg.amp.GradScaler("cpu", init_scale=8.0)
    assert scaler.is_enabled() and scaler.get_scale() == 8.0
    assert scaler.scale(tg.tensor(2.0)).item() == 16.0
