"""``vmap(..., randomness="different")`` draws as PyTorch's batched random ops do.

PyTorch's batching rule for a random op makes one draw for the whole batch: ``randn(6)`` under a
vmap of size 3 is ``randn(3, 6)``, ``bernoulli(p)`` one draw over the stacked ``p``. The loop of
``_vmap.py`` calls the op once per slice instead. For samplers that draw element after element
the two are the same numbers, but not for the normal sampler, which transforms blocks of 16
uniforms at once (``randn(18)`` is not three ``randn(6)``), nor when a slice makes several draws
(all slices' first draw comes before any slice's second one in PyTorch).

So while such a vmap runs, the samplers of the default CPU stream are replaced (on the stream
object only, and put back afterwards): the first slice's ``k``-th draw of size ``S`` draws
``(batch, *S)`` values at once and keeps them; slice ``i``'s ``k``-th draw of the same kind takes
row ``i``. A slice whose draws differ from the first slice's (another size, another sampler)
draws on its own, as before. Nested vmaps compose: the inner one's batched draw goes through the
outer one's replacement, which batches it again, as PyTorch's nested batching rules do.

``randomness="error"`` checks after every slice that the default generator did not move:
``stream_fingerprint`` says so in ~2 us, where building its state takes ~40 us.
"""
from __future__ import annotations

import inspect
import sys
import threading

import numpy as np

__all__ = ["BatchedDraws", "stream_fingerprint"]

# the samplers that draw a sized array (the others -- permutation, multinomial_indices -- PyTorch
# also runs per slice, or draw through these)
_SIZED = ("normal", "uniform", "integers", "random_unbounded", "exponential", "geometric", "cauchy", "lognormal",
          "bernoulli")


class BatchedDraws:
    """The replaced samplers of one running vmap; ``start_slice(i)`` before slice ``i`` runs,
    ``close()`` once the slices have run."""

    def __init__(self, stream, batch_size):
        self.stream = stream
        self.batch = batch_size
        self.thread = threading.get_ident()  # (another thread drawing meanwhile draws as usual)
        self.slice = 0
        self.calls = 0
        self.kept = []  # (key, values of all slices), one per draw of the first slice
        self.saved = {}  # what each replaced sampler was: an enclosing vmap's replacement, or None
        self.plain = {}  # the samplers as they were (the batched draw of the first slice goes there)
        for name in _SIZED:
            if getattr(type(stream), name, None) is None:
                continue
            self.saved[name] = stream.__dict__.get(name)
            self.plain[name] = getattr(stream, name)
        for name in self.saved:
            stream.__dict__[name] = self._replacement(name)

    def start_slice(self, i):
        self.slice = i
        self.calls = 0

    def close(self):
        for name, prev in self.saved.items():
            if prev is None:
                self.stream.__dict__.pop(name, None)
            else:
                self.stream.__dict__[name] = prev

    def _replacement(self, name):
        draw = self.plain[name]
        signature = inspect.signature(getattr(type(self.stream), name))

        def batched(*args, **kwargs):
            if threading.get_ident() != self.thread:
                return draw(*args, **kwargs)
            params = signature.bind(None, *args, **kwargs)
            params.apply_defaults()
            params = dict(params.arguments)
            del params["self"]
            p = params.get("p") if name == "bernoulli" else None
            if isinstance(p, np.ndarray):
                shape = p.shape
                key = (name, shape, p.dtype == np.float64)
            else:
                size = params["size"]
                shape = () if size is None else (tuple(size) if isinstance(size, (tuple, list)) else (int(size),))
                key = (name, shape, tuple((k, v) for k, v in params.items() if k != "size"))
            k = self.calls
            self.calls += 1
            if self.slice == 0:
                if isinstance(p, np.ndarray):
                    # bernoulli over a tensor of probabilities: uniforms of its precision, compared per slice
                    dtype = np.float64 if p.dtype == np.float64 else np.float32
                    values = self.plain["uniform"](0.0, 1.0, (self.batch,) + shape, dtype)
                else:
                    values = draw(**dict(params, size=(self.batch,) + shape))
                self.kept.append((key, values))
            elif k < len(self.kept) and self.kept[k][0] == key:
                values = self.kept[k][1]
            else:
                return draw(*args, **kwargs)  # this slice draws differently: on its own
            row = values[self.slice]
            return row < p if isinstance(p, np.ndarray) else row

        return batched


# --------------------------------------------------------------------------- randomness='error'
def stream_fingerprint(gen):
    """What ``gen.get_state()`` is computed from, for the CPU stream (None for another stream):
    equal fingerprints mean equal states, at a small fraction of get_state's cost (~40 us, most of
    it NumPy's ``MT19937.state``, which copies the twister into a new dict)."""
    global _stream_class
    if _stream_class is None:
        from tensorgraft.cpu.random_stream import CPURandomStream
        _stream_class = CPURandomStream
    s = gen._rng()  # (get_state() would make the stream too)
    if s.__class__ is not _stream_class:
        return None
    bits = s._bits
    raw = _twister_memory(bits)
    if raw is None:
        return None
    return s, bits, s.seed, s.normal_cache, s._float_normal_cache, raw


_TWISTER_BYTES = 624 * 4 + 4  # NumPy's mt19937_state: uint32 key[624], then int pos
_twister_layout_ok = None  # whether the memory read below is that layout (checked once)
_stream_class = None  # CPURandomStream, imported on first use
# (bit generator, a ctypes char array over its state struct) of the last twister read: vmap reads
# the same one after every slice, and ``.raw`` of the array (~0.1 us) is a quarter of
# ``ctypes.string_at`` plus the address lookup. Holding the generator keeps that memory alive.
_last_twister = (None, None)


def _twister_memory(bits):
    """The bytes of an MT19937's key and position, read from its state struct (``ctypes``
    interface: ~0.2 us); None where that memory does not hold what ``bits.state`` reports."""
    global _twister_layout_ok, _last_twister
    if _twister_layout_ok is False:
        return None
    held, memory = _last_twister
    if held is not bits:
        if type(bits).__name__ != "MT19937":
            return None
        import ctypes
        memory = (ctypes.c_char * _TWISTER_BYTES).from_address(bits.ctypes.state_address)
        _last_twister = (bits, memory)
    raw = memory.raw
    if _twister_layout_ok is None:
        state = bits.state["state"]
        pos = int.from_bytes(raw[-4:], sys.byteorder, signed=True)
        _twister_layout_ok = raw[:-4] == np.asarray(state["key"], dtype=np.uint32).tobytes() and pos == state["pos"]
        if not _twister_layout_ok:
            return None
    return raw
