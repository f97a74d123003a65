"""What the flat optimizers refuse about complex parameters, with PyTorch's errors.

A complex parameter itself is updated as its ``view_as_real`` pairs (see ``_flat.py``); what is left
is where PyTorch refuses:

- ``fused=True`` (SGD, Adam, AdamW, Adagrad): PyTorch's fused kernels take real floating-point
  parameters only. Each optimizer refuses at ``step`` in its own words and at its own moment (Adam
  and AdamW check parameter by parameter while creating state, so the parameters before the first
  complex one get their initial state; SGD checks the first parameter, then fails in the kernel;
  Adagrad checks before anything). Nothing of the group is updated here (PyTorch's fused SGD runs
  its kernel per dtype in an order of its own, so it may update some real parameters first and name
  another complex dtype than the first one met).
- a loaded state whose dtype is not the complex parameter's: ``load_state_dict`` casts state to a
  parameter's dtype only for real floating-point parameters, so a complex parameter keeps what was
  loaded. A real state then fails (``view_as_real`` of it, or SGD's complex-into-real cast); a complex
  state of the other precision fails on the ``foreach`` path and in a ``lerp_`` towards the gradient
  on the single-tensor path (the optimizer's ``_lerped_state``). Where PyTorch's single-tensor path
  runs with the other precision, the state is converted to the parameter's dtype here (the flat
  buffer has one dtype).
"""
from __future__ import annotations

import numpy as np

from tensorgraft.tensor import Tensor
from tensorgraft.dtypes import np_kind as _np_kind
from tensorgraft.dtypes import CPP_TYPE_NAMES

__all__ = ["real_dtype_of", "check_loaded_complex_state", "refuse_fused_complex"]

_FUSED_DEVICES = "['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone']"
# ATen's scalar type names (error messages name dtypes so) and the C++ type names of ``lerp_``'s message
_SCALAR_TYPE = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double", "complex64": "ComplexFloat",
                "complex128": "ComplexDouble"}
_SAME_INDEX = ("Tensors of the same index must be on the same device and the same dtype except `step` tensors "
               "that can be CPU and float32/64, and optimizer states that can be bfloat16 for mixed-precision "
               "training")


def real_dtype_of(dtype):
    """The dtype of a complex dtype's real and imaginary parts (complex64 -> float32)."""
    return np.empty(0, dtype=dtype).real.dtype


def _per_element(init) -> bool:
    return not (init == "count" or (isinstance(init, tuple) and init[0] == "scalar"))


def check_loaded_complex_state(opt, group, spec, params) -> None:
    """Raise PyTorch's error where a complex parameter's state (loaded, or set by hand) has a dtype the
    update cannot use; ``params`` are one bucket's (all of one complex dtype)."""
    state = opt.state
    lerped = opt._lerped_state
    for p in params:
        d = state.get(p)
        if not d:
            continue
        want = p._data.dtype
        for key, init in spec:
            v = d.get(key)
            if not _per_element(init) or not isinstance(v, Tensor) or v._data.dtype == want:
                continue
            have = v._data.dtype
            if have.kind != "c":
                if opt._real_state_for_complex == "cast":
                    result = np.result_type(have, want)
                    raise RuntimeError(f"result type {_SCALAR_TYPE.get(result.name, result.name)} can't be cast to "
                                       f"the desired output type {_SCALAR_TYPE.get(have.name, have.name)}")
                raise RuntimeError("view_as_real is only supported for complex tensors")
            if group.get("foreach"):
                raise RuntimeError(_SAME_INDEX)
            if key in lerped:
                h, w = real_dtype_of(have).name, real_dtype_of(want).name
                raise RuntimeError(f"expected dtype {CPP_TYPE_NAMES.get(h, h)} for `end` but got dtype {CPP_TYPE_NAMES.get(w, w)}")


def refuse_fused_complex(opt, group) -> None:
    """Raise what PyTorch's ``fused=True`` step raises for a group with a complex parameter (that has
    a gradient), after the state changes PyTorch makes before it raises."""
    params = [p for p in group["params"] if p._grad is not None]
    style = opt._fused_complex_refusal
    if style == "adagrad":
        raise RuntimeError("`fused` does not support sparse grad or complex param")
    if style == "sgd" and _np_kind(params[0]._data.dtype) != "c":
        if group["momentum"] != 0:
            for p in params:
                opt.state[p]          # noqa: B018 - PyTorch looks up every momentum buffer first
        first = next(p for p in params if _np_kind(p._data.dtype) == "c")
        raise NotImplementedError(f"\"fused_sgd_kernel\" not implemented for '{_SCALAR_TYPE[first._data.dtype.name]}'")
    at = next(i for i, p in enumerate(params) if _np_kind(p._data.dtype) == "c")
    bad = params[at]
    if style == "adam":
        _create_state(opt, group, params[:at])
        opt.state[bad]                # noqa: B018 - PyTorch's state lookup leaves an empty entry
    raise RuntimeError("`fused=True` requires all the params to be floating point Tensors of supported devices: "
                       f"{_FUSED_DEVICES} but {bad.dtype} and {bad.device.type}")


def _create_state(opt, group, params) -> None:
    """The initial state of ``params`` (real ones; those that have state keep it)."""
    from ._flat import Bucket
    bykey: dict = {}
    for p in params:
        bykey.setdefault((p._device, p._data.dtype), []).append(p)
    if not bykey:
        return
    spec = opt._spec(group)
    for plist in bykey.values():
        Bucket(opt, group, plist, spec)
