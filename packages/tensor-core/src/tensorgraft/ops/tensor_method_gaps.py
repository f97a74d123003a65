"""Tensor methods that PyTorch programs call and that no op family covers.

- ``prelu`` / ``hardshrink``: the method spellings of ``nn.functional``'s functions (PyTorch has
  them on Tensor). They need tensorgraft-nn, reached through ``nn_function_aliases`` as the
  top-level ``tensorgraft.prelu`` is, so numerics, gradients and ``grad_fn`` names are ``F``'s.
- ``is_distributed``: False, as in PyTorch (a legacy query that no longer reflects process groups).
- ``storage_type``: the legacy storage class of the tensor's dtype and device type (``FloatStorage``
  ..., defined in storage.py with the other storages).
- ``record_stream``: keeps a CUDA tensor's memory from being reused while work queued on another
  stream may still read it (see the function).

Plain methods, not registered ops: they compute nothing a gradient or a device kernel could apply to.
"""
from __future__ import annotations

import warnings
from tensorgraft.argument_errors import c_type_name

from ..storage import _TYPED_WARNING, legacy_storage_class
from ..tensor import Tensor


# --------------------------------------------------------------------------- nn.functional spellings
def _prelu(self, weight):
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 1) must be Tensor, not {c_type_name(weight)}")
    from .. import nn_function_aliases
    nn_function_aliases.functional("Tensor.prelu")
    return nn_function_aliases.prelu(self, weight)


def _hardshrink(self, lambd=0.5):
    from .. import nn_function_aliases
    lambd = nn_function_aliases.number_arg(lambd, "hardshrink", "lambd", 1)
    nn_function_aliases.functional("Tensor.hardshrink")
    return nn_function_aliases.hardshrink(self, lambd)


def _is_distributed(self) -> bool:
    return False


# --------------------------------------------------------------------------- legacy storage types
def _storage_type(self):
    warnings.warn(_TYPED_WARNING, UserWarning, stacklevel=2)
    if self.dtype.limited:
        return None  # (PyTorch has no legacy storage class for uint16/32/64 or the 8-bit floats)
    return legacy_storage_class(self.dtype, self._device.type)


# --------------------------------------------------------------------------- streams
# CuPy's memory pool keeps one arena per stream: freed memory goes back to the arena of the stream it
# was allocated on and is handed out again to later work on that stream, without waiting for work that
# other streams still have queued on it. That is the hazard PyTorch's ``record_stream`` guards against,
# and CuPy has no call to tell its pool about it. So the tensor's array is held here, with an event
# recorded on ``stream``, until that event has passed: the memory cannot return to the pool before the
# work queued on ``stream`` at the time of the call has finished. Finished entries are dropped on each
# call, so what is held is bounded by the work still in flight.
_held_for_streams: list = []


def _record_stream(self, stream):
    if not (hasattr(stream, "record_event") and hasattr(stream, "cuda_stream")):
        raise RuntimeError(f"record_stream(): expected a CUDA stream (tensorgraft.cuda.Stream), got "
                           f"{type(stream).__name__}")
    if self._device.type != "cuda":
        raise NotImplementedError(f"Could not run 'aten::record_stream' with arguments from the "
                                  f"'{self._device.type.upper()}' backend: only CUDA tensors are tied to streams")
    _held_for_streams[:] = [(event, array) for event, array in _held_for_streams if not event.query()]
    _held_for_streams.append((stream.record_event(), self._data))


def _to_padded_tensor(self, padding, output_size=None):
    # a nested tensor's own method (tensorgraft.nested) shadows this one; a dense tensor has no
    # padded form: PyTorch's dispatch error, named after the tensor's backend
    raise NotImplementedError(f"Could not run 'aten::to_padded_tensor' with arguments from the "
                              f"'{self._device.type.upper()}' backend: it takes a nested tensor "
                              "(torch.nested.nested_tensor / as_nested_tensor)")


# --------------------------------------------------------------------------- attach
for _name, _fn in (("prelu", _prelu), ("hardshrink", _hardshrink), ("is_distributed", _is_distributed),
                   ("storage_type", _storage_type), ("record_stream", _record_stream),
                   ("to_padded_tensor", _to_padded_tensor)):
    _fn.__name__ = _fn.__qualname__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn
