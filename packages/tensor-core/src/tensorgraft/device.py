"""Devices: the ``device`` value type and the registry of device backends.

A backend (CPU here, CUDA in tensorgraft-cuda, anything a plugin adds) says which array
module holds its arrays and how arrays move to and from host memory. Backends are
registered through the ``tensorgraft_register_devices`` hook at load time; ops look
their kernels up in a per-device-type table (see ``registry.py``).
"""
from __future__ import annotations

import threading

import numpy as np

__all__ = ["device", "DeviceBackend", "CPUBackend", "get_backend", "backends", "set_default_device",
           "get_default_device"]


# The device types PyTorch knows (its error message lists them); backends registered by
# plugins add theirs.
_TORCH_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia",
                "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")

# ``device()`` and ``device(x)`` are different calls in PyTorch's argument parser (and
# ``device('cpu', None)`` is a two-argument call): a default that no caller can pass tells them apart
_MISSING = object()


def _type_name(value) -> str:
    """A type as PyTorch's argument parser names it (its own device class is ``torch.device``)."""
    return "torch.device" if value.__class__ is device else type(value).__name__


def _invalid_combination(value) -> str:
    """PyTorch's message for a one-argument ``device(value)`` (or ``device()``) that fits no signature."""
    if value is _MISSING:
        return ("device() received an invalid combination of arguments - got (), but expected one of:\n"
                " * (torch.device device)\n * (str type, int index = -1)\n")
    name = _type_name(value)
    # the parser spells out a container's item types ("!list of [int]!"): only a plain value's line is written
    mismatch = "" if isinstance(value, (list, tuple, dict, set)) else (
        f"      didn't match because some of the arguments have invalid types: (!{name}!)\n")
    return (f"device() received an invalid combination of arguments - got ({name}), but expected one of:\n"
            f" * (torch.device device)\n{mismatch} * (str type, int index = -1)\n")


class device:
    """``tensorgraft.device('cpu')``, ``device('cuda:1')``, ``device('cuda', 0)``,
    ``device(type='cuda', index=0)``.

    Instances are interned, so the per-op device check is an identity comparison. As in PyTorch,
    ``device('cpu', 0)`` keeps its index (and differs from ``device('cpu')``); tensors always
    live on the index-less ``cpu`` device.
    """

    __module__ = "tensorgraft"  # printed <class 'tensorgraft.device'>, as PyTorch prints torch.device

    __slots__ = ("type", "index", "__weakref__")
    _interned: dict = {}

    def __new__(cls, type=_MISSING, index=_MISSING):  # noqa: A002 - PyTorch's parameter name
        if index is _MISSING:  # the one-argument form: a device, a string or an accelerator ordinal
            if type.__class__ is device:
                return type
            index = None
            if type is _MISSING or not isinstance(type, (str, int)) or isinstance(type, bool):
                raise TypeError(_invalid_combination(type))
        else:  # the (str type, int index) form, checked one argument at a time as PyTorch's parser does
            if type is _MISSING:  # device(index=0)
                raise TypeError(f"device() received an invalid combination of arguments - got (index="
                                f"{_type_name(index)}, ), but expected one of:\n * (torch.device device)\n      "
                                "didn't match because some of the keywords were incorrect: index\n"
                                " * (str type, int index = -1)\n")
            if not isinstance(type, str):
                raise TypeError(f"device(): argument 'type' (position 1) must be str, not {_type_name(type)}")
            if index is not None and (not isinstance(index, int) or isinstance(index, bool)):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not {_type_name(index)}")
        if isinstance(type, int):
            # PyTorch reads a bare ordinal as an index of the accelerator (cuda here), and refuses it
            # where there is none; asked each time (not interned), as a device may come or go
            if type < 0:
                raise RuntimeError("Device index must not be negative")
            from .accelerator import _available_type  # the accelerator module imports this one
            type, index = _available_type(), int(type)
        key = (type, index)
        d = cls._interned.get(key)
        if d is not None:
            return d
        typ, idx = _parse(type, index)
        d = cls._interned.get((typ, idx))
        if d is None:
            d = object.__new__(cls)
            object.__setattr__(d, "type", typ)
            object.__setattr__(d, "index", idx)
            cls._interned[(typ, idx)] = d
        try:
            cls._interned[key] = d
        except TypeError:
            pass
        return d

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if other.__class__ is not device:
            return NotImplemented  # PyTorch: device('cpu') == 'cpu' is False
        return self.type == other.type and self.index == other.index

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash((self.type, self.index))

    def _no_order(self, other):
        # devices have no order; PyTorch says so in its own words (anything else: Python's)
        if other.__class__ is device:
            raise TypeError("comparison not implemented")
        return NotImplemented

    __lt__ = __le__ = __gt__ = __ge__ = _no_order

    def __reduce__(self):
        return (device, (self.type, self.index))

    def __enter__(self):
        # PyTorch 2: inside the block this device is the factories' default (``zeros``, ``tensor``,
        # ``nn.Linear``'s parameters...); blocks nest, and each thread has its own default.
        _default_device.stack.append(_default_device.device)
        _default_device.device = None if self.type == "cpu" and self.index is None else self
        return self

    def __exit__(self, *exc):
        _default_device.device = _default_device.stack.pop()
        return False


class _DefaultDevice(threading.local):
    """The factories' default device, per thread as in PyTorch. ``None`` means the CPU (the
    common case costs the factories one attribute read); an index-less accelerator device
    follows that backend's current device at each call, as ``torch.set_default_device('cuda')``."""

    device = None

    def __init__(self):
        self.stack = []


_default_device = _DefaultDevice()


def set_default_device(device) -> None:  # noqa: F811 - the parameter shadows the class, as PyTorch's
    """``tensorgraft.set_default_device('cuda')``: factory functions called without ``device=``
    (``zeros``, ``tensor``, ``rand``, ``arange``, ..., and so the parameters of ``nn`` layers) create
    their tensors there; ``None`` or ``'cpu'`` restores the CPU. Functions that share memory with
    their input (``from_numpy``), ``*_like``/``new_*`` (their input's device), the legacy
    constructors (``FloatTensor(...)``), ``normal`` with number arguments and the RNG state stay as
    in PyTorch. The device is checked when a tensor is made on it, not here (as PyTorch)."""
    if device is None:
        _default_device.device = None
        return
    d = _device_cls(device)
    _default_device.device = None if d.type == "cpu" and d.index is None else d


def get_default_device() -> "device":
    """The device factory functions use when given none; an index-less accelerator default reads
    as its backend's current device (``cuda:0``)."""
    d = _default_device.device
    if d is None:
        return _device_cls("cpu")
    if d.index is None and d.type != "cpu":
        from .ops.conversion import resolve_device
        return resolve_device(d)
    return d


_device_cls = device


def _known_types():
    types = list(_TORCH_TYPES)
    types += [t for t in sorted(_backends) if t not in types]
    return types


def _parse(spec: str, index):
    """PyTorch's device-string grammar: ``type`` or ``type:N`` (N without leading zeros)."""
    if not spec:
        raise RuntimeError("Device string must not be empty")
    typ, sep, idx = spec.partition(":")
    if not typ or not all(c.isalpha() and c.isascii() or c == "_" for c in typ) or (sep and not (
            idx.isascii() and idx.isdigit() and (idx == "0" or idx[0] != "0"))):
        raise RuntimeError(f"Invalid device string: '{spec}'")
    if typ not in _TORCH_TYPES and typ not in _backends:
        raise RuntimeError(f"Expected one of {', '.join(_known_types())} device type at start of device string: "
                           f"{spec}")
    if sep:
        if index is not None:
            raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: "
                               f"{spec}")
        index = int(idx)
    if index is not None and index < 0:
        raise RuntimeError("Device index must not be negative")
    return typ, index


class DeviceBackend:
    """What a device plugin implements. Subclass it and register an instance through
    ``tensorgraft_register_devices``.

    ``xp`` is the array namespace the generic kernels run on (numpy, cupy, ...).
    Override ``from_host``/``to_host`` for devices whose arrays are not NumPy arrays.
    """

    type: str = ""
    xp = np

    def is_available(self) -> bool:
        return True

    def unavailable_reason(self) -> str:
        return f"device '{self.type}' is not available"

    def device_count(self) -> int:
        return 1

    def from_host(self, array: np.ndarray, index):
        """Copy a NumPy array onto device ``index``."""
        return np.array(array, copy=True)

    def to_host(self, array) -> np.ndarray:
        """A NumPy array with the data of a device array (a copy where memory differs)."""
        return np.asarray(array)

    def owns(self, array) -> bool:
        """Whether ``array`` is one of this device's arrays (used by ``as_tensor``)."""
        return isinstance(array, np.ndarray)

    def array_index(self, array):
        """The device index holding ``array``."""
        return None

    def synchronize(self, index=None) -> None:
        return None

    def on(self, index):
        """A context in which new arrays of this backend are made on device ``index`` (CUDA: that
        GPU made current). The default, for single-memory devices, does nothing."""
        import contextlib
        return contextlib.nullcontext()

    def new_random_stream(self, seed: int, index):
        """The random stream behind a ``Generator`` of device ``index`` seeded with ``seed``
        (0 <= seed < 2**64); called on the generator's first draw and after each ``manual_seed``.

        The samplers call a few methods of ``numpy.random.Generator`` on it: ``random``,
        ``standard_normal``, ``integers``, ``permutation``, ``uniform``, ``normal``,
        ``exponential``, ``lognormal``, ``standard_cauchy``, ``geometric``, ``choice``. The default
        is NumPy's PCG64: draws are made on the host and copied to the device. (The CPU's own
        stream, ``tensorgraft.cpu.random_stream``, draws PyTorch's CPU numbers instead; samplers
        recognise it by ``matches_pytorch`` and pass it the result's dtype.) A stream that draws
        on the device sets ``on_device = True``: its methods then take a ``dtype=`` keyword (the
        floating dtype to draw in) and return this backend's arrays on device ``index`` (an
        ``index`` attribute and ``at(index)`` give a view drawing on another device of the type);
        it keeps its state as bytes (``get_state()``/``set_state(data)``) and may omit ``choice``.
        """
        import numpy.random  # here, not at module level: importing numpy.random costs ~8 ms
        return numpy.random.Generator(numpy.random.PCG64(seed))


class CPUBackend(DeviceBackend):
    type = "cpu"
    xp = np

    def new_random_stream(self, seed: int, index):
        """PyTorch's CPU generator (MT19937 and PyTorch's transforms): the same seed gives
        PyTorch's numbers (see ``tensorgraft/cpu/random_stream.py``)."""
        from .cpu.random_stream import CPURandomStream
        return CPURandomStream(seed)

    def from_host(self, array, index):
        return array

    def to_host(self, array):
        return array


_backends: dict = {}


def backends() -> dict:
    return _backends


def get_backend(dev: device) -> DeviceBackend:
    b = _backends.get(dev.type)
    if b is None:
        known = ", ".join(sorted(_backends)) or "none"
        if dev.type == "cuda":
            raise RuntimeError(
                f"Cannot use device '{dev}': no CUDA backend is available (registered device backends: {known}). "
                "Install tensorgraft-cuda (pip install tensorgraft-cuda[cuda13]) on a machine with an NVIDIA GPU.")
        raise RuntimeError(f"Cannot use device '{dev}': no device backend is registered for '{dev.type}' "
                           f"(registered device backends: {known}).")
    return b
