"""``F.interpolate`` and its deprecated ``upsample*`` spellings: PyTorch's argument checks, then the
per-dimension resampling matrices of ``resample.py`` (its kernels and formula, registered at
plugin load); "area" of 1-D/2-D inputs is the adaptive average pool, as in PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.ops._frontend import _type_name

from . import resample as _rs
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check
from .conv_api import _pair
from .pooling_api import adaptive_avg_pool1d, adaptive_avg_pool2d


_UPSAMPLE_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
                   "trilinear": "Trilinear", "bicubic": "Bicubic", "lanczos": "Lanczos"}
_MODE_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2, "lanczos": 2}


def _interp_input_error(input, mode):
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                               "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                               f"nearest-exact (got {mode})")


def _interp_kernel(mode, nsp, antialias):
    """The ATen kernel that refuses an integer/bool input of ``mode`` (its name in the error)."""
    if mode == "area":
        return "adaptive_avg_pool3d_cpu"   # (1-D and 2-D area go through adaptive_avg_pool1d/2d)
    if antialias:
        return "compute_index_ranges_weights"
    if mode in ("nearest", "nearest-exact"):
        return "upsample_nearest2d_channels_last" if nsp == 2 else "compute_indices_weights_nearest"
    if mode == "bilinear":
        return "upsample_bilinear2d_channels_last"
    if mode == "bicubic":
        return "compute_indices_weights_cubic"
    return "compute_indices_weights_linear"   # linear, trilinear


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    _check(input, "interpolate")
    nsp = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: linear | bilinear | "
                             "bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is None and scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    in_sizes = tuple(input.shape[2:])
    if size is not None and isinstance(size, (tuple, list)):
        if len(size) != nsp:
            raise ValueError("Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(in_sizes)} and output size of {size}. Please provide input "
                             "tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
        if not all(isinstance(v, (int, np.integer)) for v in size):
            raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or Tuple[int, int, int], "
                            f"but got size with types {[type(v) for v in size]}")
    if scale_factor is not None and isinstance(scale_factor, (tuple, list)) and len(scale_factor) != nsp:
        raise ValueError("Input and scale_factor must have the same number of spatial dimensions, but got input with "
                         f"spatial dimensions of {list(in_sizes)} and scale_factor of shape {scale_factor}. Please "
                         "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                         "format.")
    if recompute_scale_factor is not None and recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and size is None:
        recompute_scale_factor = True   # area always works from the integer output size
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if input.ndim not in (3, 4, 5) or mode not in ("nearest", "nearest-exact", "area", *_MODE_DIMS):
        raise _interp_input_error(input, mode)
    if mode in _MODE_DIMS and _MODE_DIMS[mode] != nsp:
        if mode in ("bicubic", "lanczos"):
            raise _interp_input_error(input, mode)
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_MODE_DIMS[mode] + 2}D input")
    if mode == "lanczos":
        if align_corners:
            raise ValueError("Lanczos mode does not support align_corners=True")
        if not antialias:
            raise ValueError("Lanczos mode requires antialias=True")
    if size is not None:
        out_sizes = _pair(size, nsp)
        scales = (None,) * nsp
    else:
        sf = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nsp
        out_sizes = tuple(int(math.floor(n * s)) for n, s in zip(in_sizes, sf))
        scales = (None,) * nsp if recompute_scale_factor else tuple(float(s) for s in sf)
    if mode == "area" and nsp < 3:
        if nsp == 2:
            return adaptive_avg_pool2d(input, out_sizes)
        return adaptive_avg_pool1d(input, out_sizes[0])
    if mode != "area" and (min(in_sizes) <= 0 or min(out_sizes) <= 0):
        names = "DHW"[3 - nsp:]
        a = ", ".join(f"{c}: {n}" for c, n in zip(names, in_sizes))
        b = ", ".join(f"{c}: {n}" for c, n in zip(names, out_sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({a}) "
                           f"{'and ' if nsp == 1 else ''}output ({b})")
    if mode == "area":  # (PyTorch's adaptive_avg_pool3d, with its input check)
        from .pooling3d import _check_adaptive
        _check_adaptive(input, "adaptive_avg_pool3d", "")
    elif input.numel() == 0 and input.shape[1] == 0:  # (the spatial sizes are known positive here)
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if mode == "area":
        node = "AdaptiveAvgPool3DBackward0"
    else:
        node = f"Upsample{_UPSAMPLE_NAMES[mode]}{nsp}D{'Aa' if antialias else ''}Backward0"
    opmath = "float64" if input._data.dtype == np.float64 else "float32"
    host = [_rs.weights(n_in, n_out, mode, bool(align_corners), s, bool(antialias), opmath, nsp)
            for n_in, n_out, s in zip(in_sizes, out_sizes, scales)]
    dt = input._data.dtype
    if dt.kind in "biu" and (dt != np.uint8 or mode in ("area", "linear", "trilinear")):
        # PyTorch's kernels take uint8 images for nearest/bilinear/bicubic (and lanczos) only; any
        # other integer or bool input is refused by the kernel named below
        raise NotImplementedError(f"\"{_interp_kernel(mode, nsp, antialias)}\" not implemented for '{_type_name(dt)}'")
    from tensorgraft.device import get_backend
    mats = _rs.device_matrices(get_backend(input._device).xp, host, _rs.compute_dtype(dt, mode))
    return _rs.resample_op(input, mats, node)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
