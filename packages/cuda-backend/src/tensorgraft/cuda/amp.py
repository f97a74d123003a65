"""``torch.cuda.amp``: deprecated aliases of ``torch.amp``'s CUDA autocast and GradScaler."""
import warnings

from tensorgraft.amp import custom_bwd as _custom_bwd, custom_fwd as _custom_fwd
# the per-device deprecated aliases share their code with core's ``torch.cpu.amp``
from tensorgraft.cpu.amp import _DeprecatedAutocast, _DeprecatedGradScaler


class autocast(_DeprecatedAutocast):
    _alias_device = "cuda"


class GradScaler(_DeprecatedGradScaler):
    _alias_device = "cuda"


def custom_fwd(fwd=None, *, cast_inputs=None):
    warnings.warn("`torch.cuda.amp.custom_fwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_fwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _custom_fwd(fwd=fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    warnings.warn("`torch.cuda.amp.custom_bwd(args...)` is deprecated. Please use "
                  "`torch.amp.custom_bwd(args..., device_type='cuda')` instead.", FutureWarning, stacklevel=2)
    return _custom_bwd(bwd, device_type="cuda")
