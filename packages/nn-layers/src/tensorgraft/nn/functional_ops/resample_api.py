"""``F.interpolate`` and its deprecated ``upsample*`` spellings: PyTorch's argument checks, then the
per-dimension resampling matrices of ``resample.py`` (its kernels and formula, registered at
plugin load); "area" of 1-D/2-D inputs is the adaptive average pool, as in PyTorch.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.ops._frontend import _type_name
from tensorgraft.tensor import Tensor

from . import resample as _rs
from . import resample_uint8 as _rs8
# _check: TypeError "<fname>(): argument 'input' (position 1) must be Tensor, not list"
from .activation_args import check_tensor as _check, type_name as _type_name_of
from .pooling_api import adaptive_avg_pool1d, adaptive_avg_pool2d


_UPSAMPLE_NAMES = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
                   "trilinear": "Trilinear", "bicubic": "Bicubic", "lanczos": "Lanczos"}
_MODE_DIMS = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2, "lanczos": 2}


def _interp_input_error(input, mode):
    return NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                               "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
                               f"nearest-exact (got {mode})")


def _interp_kernel(mode, nsp, antialias):
    """The ATen kernel that refuses an integer, bool or complex input of ``mode`` (its name in the error)."""
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


def _kernel_name(mode, nsp, antialias):
    """The ATen function ``interpolate`` calls for ``mode`` (named in its argument errors)."""
    if mode == "nearest":
        return f"upsample_nearest{nsp}d"
    if mode == "nearest-exact":
        return f"_upsample_nearest_exact{nsp}d"
    if antialias or mode == "lanczos":
        return f"_upsample_{mode}2d_aa"
    return f"upsample_{mode}{nsp}d"


def _is_int_elem(v, first):
    """An element PyTorch's parser takes in a "tuple of ints": a bool only after the first (the
    first one picks the overload), an integer tensor of one element anywhere."""
    if isinstance(v, Tensor):
        return _np_kind(v._data.dtype) in "iu" and v._data.size == 1
    return isinstance(v, (int, np.integer)) and (not first or not isinstance(v, (bool, np.bool_)))


def _is_float_elem(v, first):
    """An element of a "tuple of floats": a Python or NumPy number (bool too), a tensor only after
    the first."""
    return isinstance(v, (int, float, np.number, np.bool_)) or (not first and isinstance(v, Tensor))


_SCALE_PARAMS = {1: "float scales = None", 2: "float scales_h = None, float scales_w = None",
                 3: "float scales_d = None, float scales_h = None, float scales_w = None"}


def _check_kernel_args(mode, nsp, antialias, output_size, scale_factors):
    """PyTorch's parser on the ``output_size`` / ``scale_factors`` that ``interpolate`` hands its
    kernel (one of them a sequence, the other None): a first element of the wrong type matches no
    overload (size=3.5 -> [3.5, 3.5]: "received an invalid combination of arguments"), a later one
    fails as it is unpacked."""
    kname = _kernel_name(mode, nsp, antialias)
    for seq, ok, pname, what in ((output_size, _is_int_elem, "output_size", "ints"),
                                 (scale_factors, _is_float_elem, "scale_factors", "floats")):
        if seq is None:
            continue
        if not ok(seq[0], True):
            align = mode not in ("nearest", "nearest-exact")
            ac, acp = (", bool", ", bool align_corners") if align else ("", "")

            def got(a):
                return "NoneType" if a is None else type(a).__name__

            def bad(a):
                if a is None:
                    return "!NoneType!"
                names = ", ".join(_type_name_of(e) for e in a)
                return f"!list of [{names}]!" if isinstance(a, list) else f"!tuple of ({names})!"
            raise TypeError(
                f"{kname}() received an invalid combination of arguments - got (Tensor, {got(output_size)}{ac}, "
                f"{got(scale_factors)}), but expected one of:\n * (Tensor input, tuple of ints output_size{acp}, tuple "
                "of floats scale_factors)\n      didn't match because some of the arguments have invalid types: "
                f"(Tensor, {bad(output_size)}{ac}, {bad(scale_factors)})\n * (Tensor input, tuple of ints output_size"
                f"{acp}, {_SCALE_PARAMS[nsp]}, *, Tensor out = None)\n")
        for i, e in enumerate(seq[1:], 2):
            if not ok(e, False):
                raise TypeError(f"{kname}(): argument '{pname}' must be tuple of {what}, but found element of type "
                                f"{_type_name_of(e)} at pos {i}")


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
        # (Python and NumPy ints, and integer tensors, as PyTorch's ``_is_integer``)
        if not all(isinstance(v, (int, np.integer)) or (isinstance(v, Tensor) and _np_kind(v._data.dtype) in "biu")
                   for v in size):
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
        # (what PyTorch passes on: a sequence as given, a number once per spatial dim)
        seq = size if isinstance(size, (tuple, list)) else [size] * nsp
        if mode == "area":
            if not _is_int_elem(seq[0], True):
                raise TypeError(f"adaptive_avg_pool{nsp}d(): argument 'output_size' (position 2) must be tuple of "
                                f"ints, but found element of type {_type_name_of(seq[0])} at pos 0")
        else:
            _check_kernel_args(mode, nsp, antialias, seq, None)
        out_sizes = tuple(int(v.item()) if isinstance(v, Tensor) else int(v) for v in seq)
        scales = (None,) * nsp
    else:
        if not recompute_scale_factor:
            _check_kernel_args(mode, nsp, antialias, None, scale_factor if isinstance(scale_factor, (tuple, list))
                               else [scale_factor] * nsp)
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
        from .pooling3d import _check_adaptive, adaptive_avg_pool3d_op
        _check_adaptive(input, "adaptive_avg_pool3d", "")
        if input._data.dtype.itemsize == 2 and _np_kind(input._data.dtype) == "f":
            return adaptive_avg_pool3d_op(input, out_sizes)  # (its half kernel sums in the half type)
    elif input.numel() == 0 and input.shape[1] == 0:  # (the spatial sizes are known positive here)
        raise RuntimeError(f"Non-empty {input.ndim}D data tensor expected but got a tensor with sizes "
                           f"{list(input.shape)}")
    if mode == "area":
        node = "AdaptiveAvgPool3DBackward0"
    else:
        node = f"Upsample{_UPSAMPLE_NAMES[mode]}{nsp}D{'Aa' if antialias else ''}Backward0"
    dt = input._data.dtype
    if dt.kind in "biu" and (dt != np.uint8 or mode in ("area", "linear", "trilinear")) or dt.kind == "c":
        # PyTorch's kernels take uint8 images for nearest/bilinear/bicubic (and lanczos) only; any
        # other integer, bool or complex input is refused by the kernel named below
        raise NotImplementedError(f"\"{_interp_kernel(mode, nsp, antialias)}\" not implemented for '{_type_name(dt)}'")
    if dt == np.uint8 and mode not in ("nearest", "nearest-exact"):
        # PyTorch resamples uint8 images in Pillow's fixed-point arithmetic, not float-and-round
        return _rs8.interpolate_uint8(input, in_sizes, out_sizes, mode, align_corners, scales, antialias)
    opmath = "float64" if input._data.dtype == np.float64 else "float32"
    # ATen's generic N-d kernel (linear, trilinear, bicubic; not bilinear's own) stores a half
    # input's weights in its dtype: they are rounded to it (resample.weights)
    half = dt if dt.itemsize == 2 and dt.kind != "i" and mode in ("linear", "trilinear", "bicubic") \
        and not antialias else None
    host = [_rs.weights(n_in, n_out, mode, bool(align_corners), s, bool(antialias), opmath, nsp, half)
            for n_in, n_out, s in zip(in_sizes, out_sizes, scales)]
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
