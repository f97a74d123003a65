"""Random number generation: ``Generator``, ``manual_seed`` and one default generator per device.

As in PyTorch, every device has its own default generator (the CPU's is ``default_generator``;
the others are made on first use, one per device index), a sampler on device ``d`` with
``generator=None`` draws from ``d``'s, and a ``Generator(device=...)`` draws from a stream that
``d``'s backend makes (``DeviceBackend.new_random_stream``). So a CUDA draw leaves the CPU
sequence alone, and the same seed gives different numbers on different device types.

The CPU stream is PyTorch's: its Mersenne Twister and its ways of turning the twister's words into
values (``tensorgraft/cpu/random_stream.py``), so ``manual_seed(0); randn(3)`` prints what PyTorch
prints, and so do ``rand``, ``randint``, ``randperm``, ``normal``, ``bernoulli``, dropout, the
``nn.init`` initialisers and the samplers of ``utils.data`` (float32 normals to float32 rounding).
``get_state()`` is PyTorch's 5056-byte layout: states move between the two. Other samplers
(gamma, Poisson, ...) draw from the same twister through NumPy: reproducible, not PyTorch's values.
CUDA streams are cuRAND's (not PyTorch's numbers).
"""
from __future__ import annotations

import contextlib
from tensorgraft.argument_errors import c_type_name

from .device import device as _device

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng"]

_DEFAULT_SEED = 67280421310721  # PyTorch's default_generator initial seed
_CPU = _device("cpu")


class Generator:
    """``tensorgraft.Generator(device='cpu')`` with ``manual_seed``, ``seed``, ``initial_seed``,
    ``get_state``/``set_state``; ``Generator(device='cuda')`` draws on the current CUDA device."""

    def __init__(self, *args, **kwargs):
        # PyTorch's Generator takes only ``device``, positionally or by name (and words it so)
        if len(args) > 1:
            raise TypeError(f"Generator() takes from 0 to 1 positional arguments but {len(args)} were given")
        for k in kwargs:
            if k != "device":
                raise TypeError(f"Generator() got an unexpected keyword argument '{k}'")
            if args:
                raise TypeError("argument for Generator() given by name ('device') and position (1)")
        device = args[0] if args else kwargs.get("device", "cpu")
        dev = _device(device)
        if dev.type == "cpu":
            dev = _CPU  # PyTorch: Generator('cpu:0').device is device(type='cpu')
        else:
            from .ops.conversion import resolve_device  # the backend, its availability, the index
            dev = resolve_device(dev)
        self.device = dev
        self._seed = _DEFAULT_SEED
        self._stream = None
        self._own_stream = None  # the stream _rng() made (``drawing_from`` may lend another one)

    def _rng(self):
        """The stream, built on first use: for the CPU, ``numpy.random`` takes ~8 ms to import,
        which ``import tensorgraft`` (creating the default generator) should not pay."""
        s = self._stream
        if s is None:
            from .device import DeviceBackend, get_backend
            backend = get_backend(self.device)
            make = getattr(backend, "new_random_stream", None)  # a duck-typed backend: NumPy's default
            s = make(self._seed, self.device.index) if make is not None else \
                DeviceBackend.new_random_stream(backend, self._seed, self.device.index)
            self._stream = self._own_stream = s
        return s

    def manual_seed(self, seed) -> "Generator":
        # the method takes a Python int only (tensorgraft.manual_seed converts with int() first)
        if seed.__class__ is not int:
            import numpy as np
            if isinstance(seed, np.integer):
                raise TypeError("an integer is required")
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
        self._seed = _seed_value(seed)
        s = self._stream
        if s is not None and s is self._own_stream and hasattr(s, "reseed"):
            s.reseed(self._seed)  # in place: building the CPU stream's twister costs ~0.1 ms
        else:
            self._stream = None  # restarts from ``seed`` on next use
        return self

    def seed(self) -> int:
        import numpy as np
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """A uint8 CPU tensor: PyTorch's 5056-byte layout for the CPU stream, the device stream's
        own bytes otherwise (NumPy's bit-generator state as JSON for a plain NumPy stream)."""
        s = self._rng()
        if hasattr(s, "bit_generator"):
            import json
            raw = json.dumps(s.bit_generator.state).encode()
        else:
            raw = bytes(s.get_state())
        import numpy as np
        from .ops.conversion import from_numpy
        return from_numpy(np.frombuffer(raw, dtype=np.uint8).copy())  # a CPU tensor whatever the default device

    def set_state(self, new_state) -> "Generator":
        from .tensor import Tensor
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state.dtype is not _uint8() or new_state.device.type != "cpu":
            raise TypeError("RNG state must be a torch.ByteTensor")
        import numpy as np
        raw = np.ascontiguousarray(new_state._host()).tobytes()
        s = self._rng()
        if not hasattr(s, "bit_generator"):
            s.set_state(raw)
            seed = getattr(s, "seed", None)
            if isinstance(seed, int):  # PyTorch's CPU state carries the initial seed, and restores it
                self._seed = seed
            return self
        import json
        try:
            s.bit_generator.state = json.loads(raw.decode())
        except (ValueError, TypeError, KeyError):  # not a state get_state() made
            raise RuntimeError(f"Expected a CPU generator state as get_state() returns it, but found an RNG state of "
                               f"{len(raw)} bytes that is not one") from None
        return self

    def clone_state(self) -> "Generator":
        """A new generator of the same device in this one's state (and with its initial seed)."""
        g = Generator(self.device)
        g._seed = self._seed
        g.set_state(self.get_state())
        return g

    def graphsafe_get_state(self):
        # PyTorch: only CUDA generators (for CUDA graphs) have it
        raise NotImplementedError("graphsafe_get_state is not supported in this Generator")

    def graphsafe_set_state(self, state):
        raise NotImplementedError("graphsafe_set_state is not supported in this Generator")

    def get_offset(self) -> int:
        s = self._rng()
        if hasattr(s, "get_offset"):  # a counter-based device stream
            return s.get_offset()
        raise RuntimeError(f"{self.device.type.upper()} Generator does not use offset")

    def set_offset(self, offset) -> "Generator":
        s = self._rng()
        if hasattr(s, "set_offset"):
            s.set_offset(offset)
            return self
        raise RuntimeError(f"{self.device.type.upper()} Generator does not use offset")

    def __repr__(self):
        return f"<torch._C.Generator object at {hex(id(self))}>"


def _seed_value(seed) -> int:
    """A seed as PyTorch takes it: a 64-bit integer, negative ones wrapped to unsigned."""
    seed = int(seed)
    if not -(1 << 63) <= seed < (1 << 64):
        raise ValueError("Overflow when unpacking long long")
    return seed & 0xFFFF_FFFF_FFFF_FFFF


def _uint8():
    from .dtypes import uint8
    return uint8


default_generator = Generator()

# Default generators of the other devices, made on first use: device -> Generator.
_defaults: dict = {}
# Seeds given before a device's default generator exists: (type or None, index or None) -> seed;
# the most specific entry applies when it is made (``tensorgraft.cuda.manual_seed`` before CUDA
# is initialised, ``tensorgraft.manual_seed`` before any draw on a device).
_pending: dict = {}


def default_generator_for(dev) -> Generator:
    """The default generator of device ``dev`` (an index-less accelerator device means its
    backend's current device)."""
    if dev.type == "cpu":
        return default_generator
    g = _defaults.get(dev)
    if g is None:
        if dev.index is None:
            from .ops.conversion import resolve_device
            resolved = resolve_device(dev)
            if resolved.index is not None:  # an index-less device type (meta) has its one generator
                return default_generator_for(resolved)
        g = _defaults[dev] = Generator(dev)
        for key in ((dev.type, dev.index), (dev.type, None), (None, None)):
            if key in _pending:
                g.manual_seed(_pending[key])
                break
    return g


def seed_default_generators(seed, type=None, index=None) -> None:  # noqa: A002 - as device(type=...)
    """Seed the default generators of every non-CPU device (``type=None``), of one type, or of one
    device: those that exist now, and those made later."""
    seed = _seed_value(seed)
    for key in [k for k in _pending if (type is None or k[0] == type) and (index is None or k[1] == index)]:
        del _pending[key]
    _pending[(type, index)] = seed
    for dev, g in list(_defaults.items()):
        if (type is None or dev.type == type) and (index is None or g.device.index == index):
            g.manual_seed(seed)


def random_stream(generator, dev):
    """The stream a sampler making a tensor on ``dev`` draws from: ``generator``'s (which must be
    of ``dev``'s device type, as in PyTorch) or, when it is None, ``dev``'s default generator's."""
    if generator is None:
        if dev is _CPU:
            return default_generator._rng()
        g = default_generator_for(dev)
    else:
        g = generator
        if not isinstance(g, Generator):  # PyTorch's argument parser rejects it before sampling
            raise TypeError(f"argument 'generator' must be torch.Generator, not {c_type_name(g)}")
        if g.device.type != dev.type:
            raise RuntimeError(f"Expected a '{dev.type}' device type for generator but found '{g.device.type}'")
    s = g._rng()
    if g.device.index != dev.index and hasattr(s, "at"):
        s = s.at(dev.index)  # same device type, another index: draw there
    return s


def manual_seed(seed) -> Generator:
    """Seed the default generator of every device (the CPU's, and those of device plugins, made
    now or later)."""
    default_generator.manual_seed(int(seed))  # any number int() takes, as PyTorch's
    seed = default_generator.initial_seed()
    seed_default_generators(seed)
    from .device import backends
    for b in backends().values():  # a backend that keeps random state of its own
        hook = getattr(b, "manual_seed_all", None)
        if hook is not None:
            hook(seed)
    return default_generator


def seed() -> int:
    """Seed every device's default generator with a non-deterministic seed; returns it."""
    s = default_generator.seed()
    seed_default_generators(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def numpy_generator(generator=None):
    """The host stream of a CPU ``generator``, or of the CPU default generator, for callers that
    draw on the host: NumPy's ``Generator`` methods (``integers`` as ``random_(low, high)``, so
    ``integers(1 << 63)`` is an int64 ``random_()``; see ``tensorgraft/cpu/random_stream.py``)."""
    if generator is None:
        return default_generator._rng()
    if generator.device.type != "cpu":
        raise RuntimeError(f"Expected a 'cpu' device type for generator but found '{generator.device.type}'")
    return generator._rng()


_warned_fork_rng_all_devices = False


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Run the block with the random state forked: on exit the CPU generator and the default
    generators of ``devices`` (indices of ``device_type``, the accelerator's type by default; all
    of its devices when None) are put back as they were on entry. ``enabled=False`` forks nothing."""
    if not enabled:
        yield
        return
    module = None
    if device_type is None:
        from .accelerator import current_accelerator
        accelerator = current_accelerator()
        device_type = accelerator.type if accelerator is not None else None
    if device_type == "meta":  # meta tensors hold no values, so draw nothing
        yield
        return
    if device_type is not None:
        import importlib
        try:
            module = importlib.import_module(f"{__name__.rpartition('.')[0]}.{device_type}")
        except ImportError:
            raise RuntimeError(f"torch has no module of `{device_type}`, you should register a module by "
                               "`torch._register_device_module`.") from None
    if module is None or not module.is_available():
        devices = []
    elif devices is None:
        devices = list(range(module.device_count()))
        global _warned_fork_rng_all_devices
        if len(devices) > 1 and not _warned_fork_rng_all_devices:
            import warnings
            _warned_fork_rng_all_devices = True
            warnings.warn(f"{device_type.upper()} reports that you have {len(devices)} available devices, and you "
                          f"have used {_caller} without explicitly specifying which devices are being used. For "
                          f"safety, the random state of *every* {device_type.upper()} device is saved and restored, "
                          f"which can be slow with many devices. Pass the '{_devices_kw}' keyword argument of "
                          f"{_caller} with the devices you use (devices=[] for none) to silence this warning.",
                          UserWarning, stacklevel=3)
    else:
        devices = list(devices)
    cpu_seed, cpu_state = default_generator.initial_seed(), default_generator.get_state()
    device_states = [module.get_rng_state(d) for d in devices]
    try:
        yield
    finally:
        default_generator.manual_seed(cpu_seed)  # initial_seed() comes back too, not only the stream
        default_generator.set_state(cpu_state)
        for d, state in zip(devices, device_states):
            module.set_rng_state(state, d)


@contextlib.contextmanager
def drawing_from(generator):
    """In the block, samplers that take no ``generator`` and draw on ``generator``'s device type
    draw from ``generator`` instead of the default generator: for calling code whose signature has
    no generator argument on behalf of a caller that passed one (``torch.rrelu(..., generator)``)."""
    target = default_generator if generator.device.type == "cpu" else default_generator_for(generator.device)
    saved = target._stream  # None when nothing drew yet: then the default starts from its seed later, as before
    target._stream = generator._rng()
    try:
        yield
    finally:
        target._stream = saved
