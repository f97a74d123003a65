"""``F.pad``: the argument checks of PyTorch's ``pad`` (mode, length, the value only for "constant"),
then ``padding.py``'s constant or index-gather op. Separate from ``padding.py`` (kernels and formulas,
registered at plugin load) and from the convolutions, which use it for padding='same'.
"""
from __future__ import annotations

from . import padding as _padding
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation import check_tensor as _check


def pad(input, pad, mode="constant", value=None):
    _check(input, "pad")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode != "constant" and value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if mode != "constant" and (input.ndim - len(pad) // 2) not in (1, 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\nSupported combinations for "
            "non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: "
            "padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "constant":
        return _padding.constant_pad(input, pad, 0.0 if value is None else value)
    return _padding.index_pad(input, pad, mode)
