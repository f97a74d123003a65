"""The nested tensor object: one packed buffer plus the structure that cuts it into components.

Why a buffer and not a list of component tensors: a ``NestedTensor`` is a ``Tensor`` subclass whose
``_data`` *is* the packed buffer (``values()`` for the jagged layout, PyTorch's flat 1-D buffer
for the strided one). Every Tensor slot (``grad_fn``, ``_requires_grad``, ``_vc`` ...) then
describes that buffer, so

- an elementwise op is one NumPy op on the buffer (run natively on the nested tensor itself with
  subclass dispatch off), and its autograd node is the ordinary one (``ReluBackward0``);
- the autograd engine needs to know nothing about nested tensors: a nested leaf is an ordinary
  leaf whose gradient has the buffer's shape, which ``.grad`` hands back re-wrapped as a nested
  tensor of the same structure;
- component views (``unbind``, per-component ops) are ``narrow``/``view`` of the buffer, so their
  gradients flow back into it.

The structure lives in the instance ``__dict__`` (``Tensor`` has a ``__dict__`` slot), never in
ordinary tensors, so the hot path of plain tensors is untouched:

- both layouts: ``_nlayout`` (``strided``/``jagged``) and ``_sizes`` (each component's shape);
- jagged: ``_offsets`` (int64 tensor, B + 1 entries), ``_lengths`` (None, or the lengths of a
  tensor with holes made by ``narrow``/``nested_tensor_from_jagged(lengths=...)``), ``_ragged_idx``
  (the ragged dim of the nested tensor; the buffer's ragged dim is one less), ``_jint`` (the
  symbolic size printed as ``j1``, shared by every tensor made from the same offsets) and
  ``_min_seqlen``/``_max_seqlen``;
- strided: ``_starts`` (where each component starts in the flat buffer).

Inside ``tensorgraft.nested`` every op runs under ``DisableTorchFunctionSubclass``: there a nested
tensor behaves as its buffer, which is what the kernels want. Its logical shape comes from the
functions here (``nested_shape``), never from ``.shape``.
"""
from __future__ import annotations

import itertools

from .._C import DisableTorchFunctionSubclass
from .._C import state as _tf_state
from ..memory_layout import jagged, strided
from ..tensor import Tensor, _size, wrap

__all__ = ["NestedTensor", "NestedInt", "adopt", "make_jagged", "make_strided", "components", "nested_shape",
           "nested_dim", "is_nested", "NO_SIZES"]

NO_SIZES = "Internal error: NestedTensorImpl doesn't support sizes. Please file an issue."
NO_STRIDES = "Internal error: NestedTensorImpl doesn't support strides. Please file an issue."

# PyTorch numbers the symbolic ragged sizes of the process j1, j2 ... in the order new offsets
# tensors are met; tensors made from the same offsets share the number.
_jint_counter = itertools.count(1)


class NestedInt:
    """The symbolic size of a jagged tensor's ragged dim (PyTorch's nested int), printed ``j1``;
    times an int (a stride) it prints ``3*j1``. Equal only to itself (the same offsets)."""

    __slots__ = ("number", "coeff")

    def __init__(self, number: int, coeff: int = 1):
        self.number = number
        self.coeff = coeff

    def __repr__(self) -> str:
        return f"j{self.number}" if self.coeff == 1 else f"{self.coeff}*j{self.number}"

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, NestedInt) and other.number == self.number and other.coeff == self.coeff

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((NestedInt, self.number, self.coeff))

    def __mul__(self, other):
        if isinstance(other, int) and not isinstance(other, bool):
            return NestedInt(self.number, self.coeff * other)
        return NotImplemented

    __rmul__ = __mul__


def new_nested_int() -> NestedInt:
    return NestedInt(next(_jint_counter))


# offsets (or lengths) tensor id -> (weak reference to it, its NestedInt): PyTorch's registry, so
# that tensors made from the same offsets tensor share their ragged size
_jint_of: dict = {}


def nested_int_for(t: Tensor) -> NestedInt:
    import weakref
    entry = _jint_of.get(id(t))
    if entry is not None and entry[0]() is t:
        return entry[1]
    jint = new_nested_int()
    key = id(t)
    _jint_of[key] = (weakref.ref(t, lambda _, key=key: _jint_of.pop(key, None)), jint)
    return jint


def _as_buffer() -> bool:
    """True inside ``DisableTorchFunctionSubclass`` (the handlers here, and tensorgraft's ops they
    call): there a nested tensor is its buffer, so the methods defined on the class below (which
    Python finds before any dispatch) must act as the plain Tensor's."""
    return bool(_tf_state.subclasses_disabled or _tf_state.all_disabled)


class NestedTensor(Tensor):
    """A nested tensor (``torch.nested``): see the module docstring for how it is stored."""

    __module__ = "tensorgraft.nested"

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        from .ops import dispatch
        return dispatch(func, types, args, kwargs or {})

    # Python's protocols reach these directly (not through ``__torch_function__``)
    def __repr__(self, *, tensor_contents=None) -> str:
        with DisableTorchFunctionSubclass():
            return nested_repr(self)

    __str__ = __repr__

    def __len__(self) -> int:
        if _as_buffer():
            return Tensor.__len__(self)
        if self.__dict__["_nlayout"] is strided:
            raise RuntimeError(NO_SIZES)
        return len(self.__dict__["_sizes"])

    def __iter__(self):
        if _as_buffer():
            return Tensor.__iter__(self)
        with DisableTorchFunctionSubclass():
            return iter(components(self))

    def __getattr__(self, name):
        # (reached only when the attribute is missing) PyTorch's strided nested tensors are plain
        # ``Tensor`` objects, and its message names that class
        cls = "Tensor" if self.__dict__.get("_nlayout") is strided else "NestedTensor"
        raise AttributeError(f"'{cls}' object has no attribute '{name}'")

    # methods plain tensors do not have (PyTorch's NestedTensor defines them on its class too)
    def offsets(self):
        if self.__dict__["_nlayout"] is strided:
            raise AttributeError("'Tensor' object has no attribute 'offsets'")
        return self.__dict__["_offsets"]

    def lengths(self):
        if self.__dict__["_nlayout"] is strided:
            raise AttributeError("'Tensor' object has no attribute 'lengths'")
        return self.__dict__["_lengths"]

    def to_padded_tensor(self, padding, output_size=None):  # (PyTorch does not dispatch it either)
        from .factories import to_padded_tensor
        return to_padded_tensor(self, padding, output_size)

    def _wrap_grad(self, g):
        """A gradient the autograd engine computed for this tensor (the buffer's shape) shown as a
        nested tensor of this structure; for code that hands buffer gradients back to users
        (``autograd.grad``)."""
        if g is None or isinstance(g, NestedTensor):
            return g
        with DisableTorchFunctionSubclass():
            return like(g, self)

    # Tensor methods that never reach ``__torch_function__`` (PyTorch's ignored functions)
    def stride(self, dim=None):
        if _as_buffer():
            return Tensor.stride(self, dim)
        with DisableTorchFunctionSubclass():
            return stride_of(self, dim)

    def unflatten(self, dim, sizes):
        if _as_buffer():
            return Tensor.unflatten(self, dim, sizes)
        from .ops import unflatten
        with DisableTorchFunctionSubclass():
            return unflatten(self, dim, sizes)

    # ``new_*`` factories never reach ``__torch_function__`` either; PyTorch refuses them here
    def _new_factory(self, name, size):
        if self.__dict__["_nlayout"] is strided:
            from .ops import _no_kernel
            raise _no_kernel(name)
        if tuple(size) != ():
            raise RuntimeError("new_empty() not supported for NJT with shape != ()")
        return None

    def _new_sized(self, name, size, kwargs):
        """``new_empty``/``new_zeros``/``new_ones``: the dense factory on the buffer, else only the
        0-d result PyTorch's nested tensors allow (``_new_factory`` refuses other sizes)."""
        if _as_buffer():
            return getattr(Tensor, name)(self, *size, **kwargs)
        self._new_factory(name, _size_arg(size))
        with DisableTorchFunctionSubclass():
            return getattr(Tensor, name)(self, (), **kwargs)

    def new_empty(self, *size, **kwargs):
        return self._new_sized("new_empty", size, kwargs)

    def new_zeros(self, *size, **kwargs):
        return self._new_sized("new_zeros", size, kwargs)

    def new_ones(self, *size, **kwargs):
        return self._new_sized("new_ones", size, kwargs)

    def new_full(self, size, fill_value, **kwargs):
        if _as_buffer():
            return Tensor.new_full(self, size, fill_value, **kwargs)
        self._new_factory("new_full", size)
        with DisableTorchFunctionSubclass():
            return Tensor.new_full(self, (), fill_value, **kwargs)

    def __reduce_ex__(self, protocol):
        # pickled as its buffer and structure (PyTorch pickles both layouts)
        with DisableTorchFunctionSubclass():
            d = self.__dict__
            buffer = Tensor.detach(self).clone()
            if d["_nlayout"] is jagged:
                state = ("jagged", buffer, d["_offsets"], d["_lengths"], d["_ragged_idx"], d["_min_seqlen"],
                         d["_max_seqlen"])
            else:
                state = ("strided", buffer, d["_sizes"], d.get("_noncontig", False))
        return _rebuild, (state, self._requires_grad and self.grad_fn is None)

    def __deepcopy__(self, memo):
        if self.__dict__["_nlayout"] is strided:
            from .ops import _no_kernel
            raise _no_kernel("new_empty")
        if self.grad_fn is not None:  # PyTorch's refusal of a non-leaf (Tensor.__deepcopy__'s)
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
                               "because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        import copy
        fn, args = self.__reduce_ex__(4)
        state = tuple(copy.deepcopy(x, memo) if isinstance(x, Tensor) else x for x in args[0])
        return fn(state, args[1])


def _size_arg(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)


def _rebuild(state, requires_grad):
    with DisableTorchFunctionSubclass():
        if state[0] == "jagged":
            _, buffer, offsets, lengths, ragged_idx, min_seqlen, max_seqlen = state
            nt = make_jagged(buffer, offsets, lengths, ragged_idx, None, min_seqlen, max_seqlen)
        else:
            nt = make_strided(state[1], state[2])
            nt.__dict__["_noncontig"] = state[3]
        if requires_grad:
            Tensor.requires_grad_(nt, True)
    return nt


def is_nested(x) -> bool:
    return isinstance(x, NestedTensor)


# --------------------------------------------------------------------------- making nested tensors
def adopt(plain: Tensor, **structure) -> NestedTensor:
    """A NestedTensor whose buffer is ``plain``: same memory, version counter and graph node (so
    ``relu(nt).grad_fn`` is ``ReluBackward0``). A leaf that requires grad is aliased first, so
    that gradients reach it and not a second leaf."""
    if plain.grad_fn is None and plain._requires_grad:
        from ..ops.tensor_extras import _alias
        plain = _alias.frontend(plain)
    nt = wrap(plain._data, plain._device, NestedTensor)
    nt._vc = plain._vc
    nt._base = plain._base
    nt.grad_fn = plain.grad_fn
    nt._requires_grad = plain._requires_grad
    nt._output_nr = plain._output_nr
    nt.__dict__.update(structure)
    return nt


def _jagged_sizes(values_shape, offsets_list, lengths_list, ragged_idx):
    r = ragged_idx - 1
    sizes = []
    for i in range(len(offsets_list) - 1):
        n = lengths_list[i] if lengths_list is not None else offsets_list[i + 1] - offsets_list[i]
        shape = list(values_shape)
        shape[r] = n
        sizes.append(tuple(shape))
    return tuple(sizes)


def jagged_structure(values_shape, offsets, lengths=None, ragged_idx=1, jint=None, min_seqlen=None,
                     max_seqlen=None) -> dict:
    off = [int(v) for v in offsets._data.tolist()]
    lens = None if lengths is None else [int(v) for v in lengths._data.tolist()]
    seqlens = lens if lens is not None else [off[i + 1] - off[i] for i in range(len(off) - 1)]
    return {"_nlayout": jagged, "_offsets": offsets, "_lengths": lengths, "_ragged_idx": ragged_idx,
            "_jint": jint if jint is not None else nested_int_for(lengths if lengths is not None else offsets),
            "_min_seqlen": min_seqlen if min_seqlen is not None else (min(seqlens) if seqlens else 0),
            "_max_seqlen": max_seqlen if max_seqlen is not None else (max(seqlens) if seqlens else 0),
            "_sizes": _jagged_sizes(values_shape, off, lens, ragged_idx), "_off": off, "_lens": lens}


def make_jagged(values: Tensor, offsets: Tensor, lengths=None, ragged_idx: int = 1, jint=None, min_seqlen=None,
                max_seqlen=None) -> NestedTensor:
    return adopt(values, **jagged_structure(tuple(values._data.shape), offsets, lengths, ragged_idx, jint,
                                            min_seqlen, max_seqlen))


def like_jagged(values: Tensor, nt: NestedTensor, ragged_idx=None) -> NestedTensor:
    """A jagged tensor of ``values`` with ``nt``'s offsets (and so its ``j`` number)."""
    d = nt.__dict__
    return make_jagged(values, d["_offsets"], d["_lengths"], d["_ragged_idx"] if ragged_idx is None else ragged_idx,
                       d["_jint"], d["_min_seqlen"], d["_max_seqlen"])


def strided_structure(sizes) -> dict:
    starts, pos = [], 0
    for s in sizes:
        starts.append(pos)
        n = 1
        for k in s:
            n *= k
        pos += n
    return {"_nlayout": strided, "_sizes": tuple(tuple(s) for s in sizes), "_starts": tuple(starts)}


def make_strided(flat: Tensor, sizes) -> NestedTensor:
    return adopt(flat, **strided_structure(sizes))


def like(buffer: Tensor, nt: NestedTensor) -> NestedTensor:
    """A nested tensor with ``nt``'s structure over ``buffer`` (the result of an elementwise op)."""
    if nt.__dict__["_nlayout"] is jagged:
        return like_jagged(buffer, nt)
    return make_strided(buffer, nt.__dict__["_sizes"])


def from_components(comps, layout, like_nt=None) -> NestedTensor:
    """Pack plain component tensors (with autograd) into a nested tensor of ``layout``. A jagged
    result keeps ``like_nt``'s offsets when its components keep their ragged lengths."""
    from .. import cat
    if layout is strided:
        flat = cat([c.reshape(-1) for c in comps]) if comps else _empty_flat()
        return make_strided(flat, [tuple(c.shape) for c in comps])
    r = like_nt.__dict__["_ragged_idx"] - 1 if like_nt is not None else 0
    values = cat(list(comps), r)
    if like_nt is not None and [c.shape[r] for c in comps] == [s[r] for s in like_nt.__dict__["_sizes"]] \
            and like_nt.__dict__["_lengths"] is None:
        return like_jagged(values, like_nt)
    return make_jagged(values, offsets_of([c.shape[r] for c in comps]), ragged_idx=r + 1)


def offsets_of(lengths) -> Tensor:
    from .. import tensor, int64
    pos, out = 0, [0]
    for n in lengths:
        pos += int(n)
        out.append(pos)
    return tensor(out, dtype=int64)


def _empty_flat():
    from .. import empty
    return empty(0)


# --------------------------------------------------------------------------- reading the structure
def components(nt: NestedTensor) -> list:
    """The components as plain tensors viewing the buffer (call with subclass dispatch off)."""
    d = nt.__dict__
    if d["_nlayout"] is jagged:
        r = d["_ragged_idx"] - 1
        off, sizes = d["_off"], d["_sizes"]
        return [Tensor.narrow(nt, r, off[i], sizes[i][r]) for i in range(len(sizes))]
    out = []
    for start, shape in zip(d["_starts"], d["_sizes"]):
        n = 1
        for k in shape:
            n *= k
        out.append(Tensor.narrow(nt, 0, start, n).view(shape))
    return out


def nested_dim(nt: NestedTensor) -> int:
    d = nt.__dict__
    if d["_nlayout"] is jagged:
        return 1 + nt._data.ndim
    return 1 + (len(d["_sizes"][0]) if d["_sizes"] else 0)


def nested_shape(nt: NestedTensor) -> tuple:
    """The logical shape: the jagged one with its ``j`` symbol, the strided one with None for an
    irregular dim."""
    d = nt.__dict__
    if d["_nlayout"] is jagged:
        shape = list(nt._data.shape)
        shape[d["_ragged_idx"] - 1] = d["_jint"]
        return (len(d["_sizes"]), *shape)
    sizes = d["_sizes"]
    if not sizes:
        return (0,)
    dims = []
    for k in range(len(sizes[0])):
        v = {s[k] for s in sizes}
        dims.append(v.pop() if len(v) == 1 else None)
    return (len(sizes), *dims)


def size_of(nt: NestedTensor, dim=None):
    shape = nested_shape(nt)
    if dim is None:
        if nt.__dict__["_nlayout"] is strided:
            raise RuntimeError(NO_SIZES)
        return _size(shape)
    from ..tensor import _dim_argument, _wrap_dim
    if dim.__class__ is not int:
        dim = _dim_argument(dim, "size")
    k = _wrap_dim(dim, len(shape), "size")
    if shape[k] is None:
        raise RuntimeError(f"Given dimension {dim} is irregular and does not have a size.")
    return shape[k]


def stride_of(nt: NestedTensor, dim=None):
    d = nt.__dict__
    if d["_nlayout"] is strided:
        raise RuntimeError(NO_STRIDES)
    # PyTorch's jagged strides: the batch stride is the ragged one times the rest
    vs = list(nt._data.strides)
    item = nt._data.itemsize
    inner = [s // item for s in vs]
    r = d["_ragged_idx"] - 1
    batch = d["_jint"] * inner[r]
    strides = (batch, *inner)
    if dim is None:
        return strides
    from ..tensor import _wrap_dim
    return strides[_wrap_dim(dim, len(strides))]


def is_contiguous_nested(nt: NestedTensor) -> bool:
    d = nt.__dict__
    if d["_nlayout"] is strided:
        return not d.get("_noncontig", False)
    if d["_lengths"] is not None:
        return False  # a tensor with holes (narrow, lengths=...)
    flags = getattr(nt._data, "flags", None)  # (NumPy and CuPy arrays have them)
    return flags is None or bool(flags["C_CONTIGUOUS"])


# --------------------------------------------------------------------------- printing
def nested_repr(nt: NestedTensor) -> str:
    d = nt.__dict__
    if d["_nlayout"] is jagged:
        # PyTorch's NestedTensor.__repr__ (torch/nested/_internal/nested_tensor.py)
        if nt.grad_fn is not None:
            grad = f", grad_fn={nt.grad_fn!r}"
        else:
            grad = ", requires_grad=True" if nt._requires_grad else ""
        size = "(" + ", ".join(repr(s) for s in nested_shape(nt)) + ("," if nested_dim(nt) == 1 else "") + ")"
        return (f"NestedTensor(size={size}, offsets={Tensor.__repr__(d['_offsets'])}{grad}, "
                f"contiguous={is_contiguous_nested(nt)})")
    # the strided layout prints each component (flagged requires_grad as the nested tensor is)
    from ..printing import tensor_repr
    parts = []
    for c in components(nt):
        shown = wrap(c._data, c._device)
        shown._requires_grad = nt._requires_grad
        parts.append("\n".join("  " + line for line in tensor_repr(shown).split("\n")))
    text = "nested_tensor([\n" + ",\n".join(parts) + "\n]"
    if nt.grad_fn is not None:
        text += f", grad_fn=<{type(nt.grad_fn).__name__}>"
    elif nt._requires_grad:
        text += ", requires_grad=True"
    if nt._device.type != "cpu":
        text += f", device='{nt._device}'"
    return text + ")"
