"""``nn.Module`` methods that convert every parameter and buffer: ``_apply`` and the moves and
casts built on it (``to``, ``cuda``, ``cpu``, ``type``, ``to_empty``, ``float``, ...).

The functions here are ``Module`` methods (``module.py`` puts them in the class body, named and
qualified as if defined there; ``type_`` and ``float_`` are ``Module.type`` and ``Module.float``).
"""
from __future__ import annotations

import warnings

from tensorgraft import __future__ as _future
from tensorgraft import dtypes as _dt
from tensorgraft.device import device as _device
from tensorgraft.grad_mode import no_grad
from tensorgraft.memory_layout import memory_format as _memory_format
from tensorgraft.tensor import Tensor

from ..parameter import Parameter, is_lazy

# Module.to's three signatures, as PyTorch lists them when none takes the arguments given
_TO_SIGNATURES = (
    (("device", "dtype", "non_blocking", "copy"), None,
     "torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, bool copy = False, *, "
     "torch.memory_format memory_format = None"),
    (("dtype", "non_blocking", "copy"), "dtype",
     "torch.dtype dtype, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None"),
    (("tensor", "non_blocking", "copy"), "tensor",
     "Tensor tensor, bool non_blocking = False, bool copy = False, *, torch.memory_format memory_format = None"),
)
# Python types PyTorch's parser takes for a dtype
_PY_TYPE_DTYPES = {float: _dt.float64, int: _dt.int64, bool: _dt.bool, complex: _dt.complex128}


def _fits(name, value):
    """Whether ``value`` is of the type Module.to's parser wants for the argument ``name``."""
    if name == "device":
        return value is None or isinstance(value, (str, bytes, _device)) or (
            isinstance(value, int) and not isinstance(value, bool))
    if name == "dtype":
        return value is None or isinstance(value, _dt.dtype) or (isinstance(value, type) and value in _PY_TYPE_DTYPES)
    if name == "tensor":
        return isinstance(value, Tensor)
    if name == "memory_format":
        return value is None or isinstance(value, _memory_format)
    return isinstance(value, bool)  # non_blocking, copy


def _type_name(value):
    cls = type(value)
    if cls.__module__ == "builtins" or isinstance(value, Tensor):
        return cls.__name__
    if cls.__module__.split(".")[0] == "tensorgraft":  # torch.dtype, torch.device, torch.memory_format
        return f"torch.{cls.__name__}"
    return f"{cls.__module__}.{cls.__name__}"


def _parse_to(args, kwargs):
    """``(device, dtype, memory_format)`` of a ``Module.to`` call, bound to the first of its three
    signatures that takes the arguments (PyTorch's parser), with PyTorch's errors."""
    if len(args) > 4:
        raise TypeError(f"to() takes from 0 to 4 positional arguments but {len(args)} were given")
    for names, required, _ in _TO_SIGNATURES:
        if len(args) > len(names):
            continue
        bound = dict(zip(names, args))
        if any(k in bound or (k not in names and k != "memory_format") for k in kwargs):
            continue
        bound.update(kwargs)
        if (required is None or bound.get(required) is not None) and all(_fits(k, v) for k, v in bound.items()):
            break
    else:
        got = [_type_name(a) for a in args]
        # keywords are listed latest first, each followed by ", " when nothing came positionally
        kw = [f"{k}={_type_name(v)}" for k, v in reversed(kwargs.items())]
        got = ", ".join(got + kw) if got else "".join(k + ", " for k in kw)
        listed = "".join(f" * ({sig})\n" for _, _, sig in _TO_SIGNATURES)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                        f"{listed}")
    if "copy" in bound:
        raise RuntimeError(".to() does not accept copy argument")
    device, dtype = bound.get("device"), bound.get("dtype")
    if "tensor" in bound:
        device, dtype = bound["tensor"].device, bound["tensor"].dtype
    if isinstance(device, bytes):
        device = device.decode()
    if isinstance(device, str):
        device = _device(device)  # a bad string fails here, before anything moves
    if dtype in _PY_TYPE_DTYPES:
        dtype = _PY_TYPE_DTYPES[dtype]
    return device, dtype, bound.get("memory_format")


def _apply(self, fn, recurse=True):
    if recurse:
        for module in self.children():
            module._apply(fn)
    for key, param in list(self._parameters.items()):
        if param is None:
            continue
        with no_grad():
            new = fn(param)
        if new is not param and not is_lazy(param) and (
                (new._device.type == "meta") != (param._device.type == "meta")
                or (_future.get_overwrite_module_params_on_conversion()
                    and not _future.get_swap_module_params_on_conversion())):
            # PyTorch cannot swap a parameter's storage between the meta device and a real one
            # in place (nor does it under torch.__future__.set_overwrite_module_params_on_conversion):
            # each registration gets a new Parameter (weights tied before are separate afterwards,
            # to be tied again; an optimizer still holds the old objects)
            replacement = Parameter(new, requires_grad=param.requires_grad)
            if param.grad is not None:
                with no_grad():
                    replacement.grad = fn(param.grad)
            self._parameters[key] = replacement
            continue
        if new is not param:
            if param._requires_grad and not (new.is_floating_point() or new.is_complex()):
                # PyTorch sets ``param.data = new`` here, which refuses it
                raise RuntimeError("data set to a tensor that requires gradients must be floating point or complex "
                                   "dtype")
            param._data = new._data
            param._device = new._device
        if param.grad is not None:
            with no_grad():
                g = fn(param.grad)
            if g is not param.grad:
                param._grad = g
    for key, buf in self._buffers.items():
        if buf is not None:
            self._buffers[key] = fn(buf)
    return self


def to(self, *args, **kwargs):
    device, dtype, memory_format = _parse_to(args, kwargs)
    if dtype is not None:
        if not (dtype.is_floating_point or dtype.is_complex):
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dtype}")
        if dtype.is_complex:
            warnings.warn("Complex modules are a new feature under active development whose design may change, and "
                          "some modules might not work as expected when using complex tensors as parameters or "
                          "buffers. Please file an issue at https://github.com/pytorch/pytorch/issues/new?template="
                          "bug-report.yml if a complex module does not work as expected.", stacklevel=2)

    def convert(t):
        # floating and complex tensors take the dtype (a complex parameter moved to a real
        # dtype keeps its real part, as in PyTorch); integer buffers keep theirs. A memory format
        # applies to the 4-d and 5-d tensors only (a conv's weights), as in PyTorch
        try:
            kw = {"device": device}
            if dtype is not None and (t.is_floating_point() or t.is_complex()):
                kw["dtype"] = dtype
            if memory_format is not None and t.dim() in (4, 5):
                kw["memory_format"] = memory_format
            elif device is None and len(kw) == 1:
                return t
            return t.to(**kw)
        except NotImplementedError as exc:
            if t.device.type == "meta" and str(exc) == "Cannot copy out of meta tensor; no data!":
                # a module built on the meta device has no values to move: say what to do instead
                raise NotImplementedError(
                    f"{exc} Please use torch.nn.Module.to_empty() instead of torch.nn.Module.to() when moving "
                    "module from meta to a different device.") from None
            raise
    return self._apply(convert)


def cuda(self, device=None):
    dev = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
    return self._apply(lambda t: t.to(dev))


def cpu(self):
    return self._apply(lambda t: t.to("cpu"))


def type_(self, dst_type):  # Module.type (named so here not to hide the builtin)
    # every tensor, integer buffers too (as PyTorch); dst_type may be a dtype, a name
    # ("torch.DoubleTensor") or a legacy tensor type (torch.DoubleTensor)
    return self._apply(lambda t: t.type(dst_type))


def _no_backend(kind):
    """The conversion ``Module.xpu()``/``ipu()``/``mtia()`` applies: tensorgraft has none of these
    backends, so moving any tensor fails with the error of a PyTorch build without it (a module with no
    parameters or buffers is returned as it is, as there)."""
    def convert(t):
        if kind == "ipu":
            raise RuntimeError("PyTorch is not linked with support for ipu devices")
        if kind == "xpu":
            raise AssertionError("Torch not compiled with XPU enabled")
        raise AssertionError("Torch not compiled with MTIA enabled. Ensure you have `import "
                             "mtia.host_runtime.torch_mtia.dynamic_library` in your python src file and include "
                             "`//mtia/host_runtime/torch_mtia:torch_mtia` as your target dependency!")
    return convert


def xpu(self, device=None):
    return self._apply(_no_backend("xpu"))


def ipu(self, device=None):
    return self._apply(_no_backend("ipu"))


def mtia(self, device=None):
    return self._apply(_no_backend("mtia"))


def to_empty(self, *, device, recurse=True):
    """Give every parameter and buffer fresh storage on ``device`` (values not kept: tensorgraft's
    empty memory is zero-filled), keeping the Parameter objects."""
    from tensorgraft.ops.creation import empty_like
    return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)


def float_(self):  # Module.float
    return self._apply(lambda t: t.float() if t.is_floating_point() else t)


def double(self):
    return self._apply(lambda t: t.double() if t.is_floating_point() else t)


def half(self):
    return self._apply(lambda t: t.half() if t.is_floating_point() else t)


def bfloat16(self):
    return self._apply(lambda t: t.bfloat16() if t.is_floating_point() else t)


def share_memory(self):
    """Move every parameter, gradient and buffer into memory shared between processes
    (``Tensor.share_memory_``): Hogwild workers forked or spawned afterwards train this module."""
    return self._apply(lambda t: t.share_memory_())
