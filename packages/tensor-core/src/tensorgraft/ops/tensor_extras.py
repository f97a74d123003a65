"""PyTorch's smaller tensor functions that no other family covers.

- The ``*_copy`` functions (``permute_copy``, ``split_copy`` ...): the view op's result copied
  into fresh contiguous memory. The graph node is the view op's own, renamed to PyTorch's
  ``<Node>_copy``: the gradient of a copy of a view is the gradient of the view.
- The ``unsafe_*`` splits, ``dsplit``, ``isreal``, ``nonzero_static``, ``fill``, ``detach``,
  ``is_conj``/``is_neg``, ``poisson``/``binomial`` and ``empty_permuted``.
- ``_alias`` (``AliasBackward0``): what ``Tensor.as_subclass`` records, and ``_to_format``: the
  copy that ``contiguous``/``clone``/``to`` make when asked for another memory format.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..grad_mode import state as _gs
from ..device import get_backend
from ..tensor import Tensor, wrap, wrap_view
from .. import memory_layout as _ml
from . import _frontend as F
from ._frontend import check_tensor
from ._define import defop
from tensorgraft.dtypes import np_kind as _np_kind

# --------------------------------------------------------------------------- helpers


_renamed_nodes: dict = {}


def _rename_node(node, name):
    """Give ``node`` PyTorch's name for the copying variant of its op. The node keeps its
    formula and saved state; only its class (which carries the name) becomes a subclass."""
    cls = type(node)
    if cls.__name__ == name:   # pieces of one split share their node: rename it once
        return
    key = (cls, name)
    sub = _renamed_nodes.get(key)
    if sub is None:
        sub = _renamed_nodes[key] = type(name, (cls,), {"__slots__": (), "__module__": cls.__module__})
    node.__class__ = sub


def _copied(view, node_name=None):
    """A contiguous copy of ``view`` (a tensor or a tuple of them) that keeps its graph node,
    renamed ``node_name`` (default: the view's node name + ``_copy``)."""
    if isinstance(view, (tuple, list)):
        if node_name is None:  # the pieces of a split share one node: name it from the view's name once
            node = next((v.grad_fn for v in view if v.grad_fn is not None), None)
            node_name = None if node is None else type(node).__name__ + "_copy"
        return tuple(_copied(v, node_name) for v in view)
    out = wrap(view._data.copy(), view._device)
    node = view.grad_fn
    if node is not None:
        _rename_node(node, node_name or type(node).__name__ + "_copy")
        out.grad_fn = node
        out._requires_grad = True
        out._output_nr = view._output_nr
    return out


def _with_out(result, out, fname):
    if out is None:
        return result
    F.write_out(out, result._data, fname)
    return out


def _samples(build):
    def samples(dtype, device):
        from ..testing import make_tensor

        def X(shape, seed, lo=-2.0, hi=2.0):
            return make_tensor(shape, dtype=dtype, device=device, low=lo, high=hi, seed=seed)
        return [(args, kwargs) for args, kwargs in build(X)]
    return samples


# --------------------------------------------------------------------------- alias / *_copy
def _alias_frontend(op):
    def alias(input):
        out = wrap_view(input._data.view(), input)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return alias


_alias = defop("_alias", frontend=_alias_frontend, method=False, public=False, node="AliasBackward0",
               samples=_samples(lambda X: [((X((2, 3), 700),), {})]), reference=lambda a: a)


def _own_views(input, make_view, args, kwargs):
    """``make_view(input, ...)`` with a graph node of its own: a view op that hands back
    ``input`` unchanged (an expand to the same shape) would share ``input``'s node, which must
    not be renamed; viewing an alias of ``input`` instead gives the copy a node to name."""
    views = make_view(input, *args, **kwargs)
    node = input.grad_fn
    if node is not None and any(v.grad_fn is node for v in (views if isinstance(views, (tuple, list)) else (views,))):
        views = make_view(_alias.frontend(input), *args, **kwargs)
    return views


def _copy_function(name, make_view, node_name=None):
    def copy_fn(input, *args, out=None, **kwargs):
        check_tensor(input, name)
        return _with_out(_copied(_own_views(input, make_view, args, kwargs), node_name), out, name)
    copy_fn.__name__ = copy_fn.__qualname__ = name
    copy_fn.__doc__ = f"``{name}``: the same values as the view op, in fresh memory (PyTorch's ``{name}``)."
    return copy_fn


def _multi_copy_function(name, make_views):
    def copy_fn(input, *args, out=None, **kwargs):
        check_tensor(input, name)
        res = _copied(tuple(_own_views(input, make_views, args, kwargs)))
        if out is None:
            return res
        if len(out) != len(res):
            raise RuntimeError(f"{name}: expected {len(res)} output tensors, but got {len(out)}")
        for o, r in zip(out, res):
            F.store_into(o, r._data, name)
        return None
    copy_fn.__name__ = copy_fn.__qualname__ = name
    return copy_fn


def _slice_view(input, dim=0, start=None, end=None, step=1):
    from ._args import wrap_dim
    d = wrap_dim(dim, input._data.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return input[(slice(None),) * d + (slice(start, end, step),)]


def _view_copy_view(input, *shape):
    from ..dtypes import dtype as _dtype_cls
    if len(shape) == 1 and isinstance(shape[0], _dtype_cls):
        return input.detach().view(shape[0])  # reinterpreting bytes has no gradient
    return input.view(*shape)


def _view_as_complex_copy_view(input):
    if input._requires_grad and _gs.enabled:
        raise RuntimeError("view_as_complex_copy does not support automatic differentiation for outputs with "
                           "complex dtype.")
    from .complex import view_as_complex
    return view_as_complex(input)


def _real_view(input):
    from .complex import view_as_real
    return view_as_real(input)


_COPY_VIEWS = {
    "alias_copy": (lambda t: _alias.frontend(t), [((0,), {})]),
    "as_strided_copy": (lambda t, size, stride, storage_offset=None: t.as_strided(size, stride, storage_offset),
                        [((0, (2, 2), (1, 2)), {}), ((0, (3,), (2,), 1), {})]),
    "detach_copy": (lambda t: t.detach(), [((0,), {})]),
    "diagonal_copy": (lambda t, offset=0, dim1=0, dim2=1: t.diagonal(offset, dim1, dim2), [((0,), {}), ((0, 1), {})]),
    "expand_copy": (lambda t, size, *, implicit=False: t.expand(size), [((1, (2, 3, 4)), {})]),
    "permute_copy": (lambda t, dims: t.permute(dims), [((0, (1, 0)), {})]),
    "select_copy": (lambda t, dim, index: t.select(dim, index), [((0, 1, 2), {})]),
    "slice_copy": (_slice_view, [((0, 1, 0, 3, 2), {}), ((0,), {})]),
    "squeeze_copy": (lambda t, dim=None: t.squeeze() if dim is None else t.squeeze(dim),
                     [((2,), {}), ((2, 0), {}), ((2, (0,)), {})]),
    "t_copy": (lambda t: t.t(), [((0,), {})]),
    "transpose_copy": (lambda t, dim0, dim1: t.transpose(dim0, dim1), [((0, 0, 1), {})]),
    "unfold_copy": (lambda t, dimension, size, step: t.unfold(dimension, size, step), [((0, 1, 2, 1), {})]),
    "unsqueeze_copy": (lambda t, dim: t.unsqueeze(dim), [((0, 1), {})]),
    "view_copy": (_view_copy_view, [((0, (4, 3)), {}), ((0, -1), {})]),
    "view_as_real_copy": (_real_view, None),
    "view_as_complex_copy": (_view_as_complex_copy_view, None),
}
_COPY_MULTI = {
    "split_copy": (lambda t, split_size, dim=0: t.split(split_size, dim), [((0, 2, 1), {})]),
    "split_with_sizes_copy": (lambda t, split_sizes, dim=0: t.split_with_sizes(split_sizes, dim),
                              [((0, [1, 3], 1), {})]),
    "unbind_copy": (lambda t, dim=0: t.unbind(dim), [((0, 1), {})]),
}


def _copy_samples(spec):
    """Sample inputs by index: 0 a (3, 4) matrix, 1 a (3, 1) column, 2 a (1, 3, 4) tensor."""
    def samples(dtype, device):
        from ..testing import make_tensor
        base = [make_tensor(s, dtype=dtype, device=device, low=-2, high=2, seed=710 + i)
                for i, s in enumerate([(3, 4), (3, 1), (1, 3, 4)])]
        return [((base[args[0]],) + tuple(args[1:]), kw) for args, kw in spec]
    return samples


def _complex_samples(real_input):
    def samples(dtype, device):
        from ..testing import make_tensor
        if real_input:
            return [((make_tensor((3, 2), dtype=dtype, device=device, seed=720),), {})]
        cdt = {"float32": "complex64", "float64": "complex128"}.get(dtype.np.name if hasattr(dtype, "np") else "")
        if cdt is None:
            return []
        from .. import dtypes
        return [((make_tensor((3,), dtype=getattr(dtypes, cdt), device=device, seed=721),), {})]
    return samples


for _name, (_view_fn, _spec) in _COPY_VIEWS.items():
    _skip = None
    if _spec is None:
        _smp = _complex_samples(_name == "view_as_complex_copy")
        _skip = {"dtype": "view_as_* take one dtype family and make the other"}
        if _name == "view_as_complex_copy":  # PyTorch refuses to differentiate it (see above)
            _skip.update(gradcheck="not differentiable", gradgradcheck="not differentiable", devices="refuses grad",
                         repr="not differentiable")
    else:
        _smp = _copy_samples(_spec)
    # a full-range slice is the input itself here, so name its node rather than inherit it
    _node_name = "SliceBackward0_copy" if _name == "slice_copy" else None
    defop(_name, frontend=lambda op, f=_view_fn, n=_name, nn=_node_name: _copy_function(n, f, nn), method=False,
          differentiable=False, samples=_smp, conformance_skip=_skip)
for _name, (_view_fn, _spec) in _COPY_MULTI.items():
    defop(_name, frontend=lambda op, f=_view_fn, n=_name: _multi_copy_function(n, f), method=False,
          differentiable=False, samples=_copy_samples(_spec))

# ``narrow_copy`` has a node of its own in PyTorch (and is a Tensor method too)
defop("narrow_copy", frontend=lambda op: _copy_function("narrow_copy", lambda t, dim, start, length:
                                                         t.narrow(dim, start, length), "NarrowCopyBackward0"),
      differentiable=False, samples=_copy_samples([((0, 1, 1, 2), {}), ((0, 0, 0, 3), {})]))


# --------------------------------------------------------------------------- unsafe splits, dsplit
def _renamed_views(views, node_name):
    seen = set()
    for v in views:
        node = v.grad_fn
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            _rename_node(node, node_name)
    return views


def _unsafe_chunk(input, chunks, dim=0):
    check_tensor(input, "unsafe_chunk")
    return _renamed_views(input.chunk(chunks, dim), "UnsafeSplitBackward0")


def _unsafe_split(input, split_size, dim=0):
    check_tensor(input, "unsafe_split")
    return _renamed_views(input.split(split_size, dim), "UnsafeSplitBackward0")


def _unsafe_split_with_sizes(input, split_sizes, dim=0):
    check_tensor(input, "unsafe_split_with_sizes")
    return _renamed_views(input.split_with_sizes(split_sizes, dim), "UnsafeSplitWithSizesBackward0")


def _dsplit(input, indices_or_sections):
    check_tensor(input, "dsplit")
    nd = input._data.ndim
    if nd < 3:
        raise RuntimeError(f"torch.dsplit requires a tensor with at least 3 dimension, but got a tensor with {nd} "
                           "dimensions!")
    if isinstance(indices_or_sections, numbers.Integral):
        n = input._data.shape[2]
        if indices_or_sections == 0 or n % indices_or_sections:
            raise RuntimeError(f"torch.dsplit attempted to split along dimension 2, but the size of the dimension "
                               f"{n} is not divisible by the split_size {indices_or_sections}!")
    return input.tensor_split(indices_or_sections, 2)


_split_samples = _samples(lambda X: [((X((4, 6), 730), 2, 1), {}), ((X((5, 2), 731), 2), {})])
defop("unsafe_chunk", frontend=lambda op: _unsafe_chunk, differentiable=False, samples=_split_samples)
defop("unsafe_split", frontend=lambda op: _unsafe_split, differentiable=False, samples=_split_samples)
defop("unsafe_split_with_sizes", frontend=lambda op: _unsafe_split_with_sizes, differentiable=False,
      samples=_samples(lambda X: [((X((4, 6), 732), [2, 4], 1), {})]))
defop("dsplit", frontend=lambda op: _dsplit, differentiable=False,
      samples=_samples(lambda X: [((X((2, 2, 4), 733), 2), {}), ((X((2, 2, 6), 734), [1, 4]), {})]))


# --------------------------------------------------------------------------- predicates, nonzero_static
def _isreal(input):
    check_tensor(input, "isreal")
    if _np_kind(input._data.dtype) == "c":
        return input.imag == 0
    from .creation import ones_like
    from .. import dtypes
    return ones_like(input, dtype=dtypes.bool)


def _is_conj(input):
    check_tensor(input, "is_conj")
    return input.is_conj()


def _is_neg(input):
    check_tensor(input, "is_neg")
    return input.is_neg()


def _nonzero_static(input, *, size, fill_value=-1):
    check_tensor(input, "nonzero_static")
    if not isinstance(size, numbers.Integral) or size < 0:
        raise RuntimeError("nonzero_static: 'size' must be an non-negative integer")
    found = input.nonzero()
    n = found._data.shape[0]
    if n >= size:
        return found[:size].clone()
    from .creation import full
    pad = full((size - n, input._data.ndim), fill_value, dtype=found.dtype, device=input._device)
    return _cat_rows(found, pad)


def _cat_rows(top, bottom):
    xp = get_backend(top._device).xp
    return wrap(xp.concatenate((top._data, bottom._data)), top._device)


def _detach(input):
    check_tensor(input, "detach")
    return input.detach()


defop("isreal", frontend=lambda op: _isreal, differentiable=False, samples=_samples(lambda X: [((X((2, 3), 740),), {})]),
      reference=np.isreal)
defop("is_conj", frontend=lambda op: _is_conj, method=False, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X: [((X((2,), 741),), {})]), reference=lambda a: False)
defop("is_neg", frontend=lambda op: _is_neg, method=False, differentiable=False, non_tensor_output=True,
      samples=_samples(lambda X: [((X((2,), 742),), {})]), reference=lambda a: False)
defop("nonzero_static", frontend=lambda op: _nonzero_static, differentiable=False,
      samples=_samples(lambda X: [((X((3, 4), 743, -1, 1),), {"size": 5}), ((X((6,), 744),), {"size": 9})]))
defop("detach", frontend=lambda op: _detach, method=False, differentiable=False,
      samples=_samples(lambda X: [((X((2, 3), 745),), {})]), reference=lambda a: a)


# --------------------------------------------------------------------------- fill
def _fill_frontend(op):
    table = op.table

    def fill(input, value):
        check_tensor(input, "fill")
        if isinstance(value, Tensor):
            if value._data.ndim:
                raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                                   f"{value._data.ndim} dimensions.")
            data = table[input._device.type](input._data, value._data)
            out = wrap(data, input._device)
            if F.needs_grad(input, value):
                Tensor._autograd.record(op, out, (input, value), None, node_name="FillBackward1")
            return out
        out = wrap(table[input._device.type](input._data, value), input._device)
        if F.needs_grad(input):
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return fill


def _fill_kernel(xp, a, v):
    out = xp.empty_like(a)
    out[...] = v
    return out


defop("fill", kernel=_fill_kernel, frontend=_fill_frontend, method=False,
      samples=_samples(lambda X: [((X((2, 3), 750), 2.5), {}), ((X((2, 3), 751), X((), 752)), {})]),
      reference=lambda a, v: np.full_like(a, v))


# --------------------------------------------------------------------------- format copies
def _to_format_frontend(op):
    table = op.table

    def to_format(input, memory_format, node_name="CloneBackward0"):
        data = table[input._device.type](input._data, memory_format)
        out = wrap(data, input._device)
        if input._requires_grad and _gs.enabled:
            Tensor._autograd.record(op, out, (input,), None, node_name=node_name)
        return out
    return to_format


_to_format = defop("_to_format", kernel=lambda xp, a, fmt: _ml.copy_in_format(xp, a, fmt),
                   frontend=_to_format_frontend, method=False, public=False,
                   samples=_samples(lambda X: [((X((2, 3, 4, 5), 760), _ml.channels_last), {}),
                                               ((X((2, 3), 761), _ml.contiguous_format), {})]),
                   reference=lambda a, fmt: a)


def to_memory_format(input, memory_format, node_name="CloneBackward0"):
    """A copy of ``input`` laid out in ``memory_format``, recording ``node_name`` (what
    ``contiguous(memory_format=)``, ``clone(memory_format=)`` and ``to(memory_format=)`` call)."""
    return _to_format.frontend(input, memory_format, node_name)


def contiguous_as(input, memory_format):
    """``contiguous(memory_format=)``: ``input`` itself when it is already laid out so."""
    _ml.check_format_rank(input._data.ndim, memory_format)
    if _ml.is_contiguous_as(input._data, memory_format):
        return input
    if memory_format is _ml.preserve_format:
        raise RuntimeError("preserve memory format is unsupported by the contiguous operator")
    return to_memory_format(input, memory_format)


def clone_as(input, memory_format):
    """``clone(memory_format=)``; the default, ``preserve_format``, keeps a dense input's strides."""
    if memory_format is None:
        memory_format = _ml.preserve_format
    return to_memory_format(input, memory_format)


# --------------------------------------------------------------------------- empty_permuted
def _empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                    pin_memory=False):
    size = tuple(int(s) for s in size)
    order = tuple(int(d) for d in physical_layout)
    if len(size) != len(order):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; i.e. "
                           f"len(size) = {len(size)} is not equal to len(physical_layout) = {len(order)}")
    if sorted(order) != list(range(len(order))):
        raise RuntimeError("Duplicate dim not allowed" if len(set(order)) != len(order) else
                           f"Dimension out of range (expected to be in range of [{-len(order)}, {len(order) - 1}], "
                           f"but got {max(order)})")
    from .creation import empty
    t = empty(size, dtype=dtype, device=device)
    xp = get_backend(t._device).xp
    t._data = _ml.empty_with_strides(xp, size, _ml.format_strides(size, order), t._data.dtype)
    if requires_grad:
        t.requires_grad_(True)
    return t


defop("empty_permuted", frontend=lambda op: _empty_permuted, method=False, differentiable=False,
      samples=lambda dtype, device: [(((2, 3, 4), (0, 2, 1)), {"dtype": dtype, "device": device})],
      conformance_skip={"devices": "uninitialised memory"})


# --------------------------------------------------------------------------- poisson / binomial
def _draw(stream, on_device, method, *args):
    """``stream.<method>(*args)``. A device stream that lacks the sampler (tensorgraft-cuda's
    streams offer NumPy's uniform/normal/integer draws only) seeds a host generator from one of
    its own draws instead, so results still follow the device generator's seed and state; the
    host draw costs a copy to the device."""
    fn = getattr(stream, method, None)
    if fn is not None and (not on_device or method in type(stream).__dict__):
        return fn(*args), on_device
    seed = stream.integers(0, 2 ** 62, size=(1,))
    seed = int(seed.get()[0] if hasattr(seed, "get") else seed[0])
    host_args = [a.get() if hasattr(a, "get") else a for a in args]
    return getattr(np.random.default_rng(seed), method)(*host_args), False


def _pytorch_counts(sampler, g, *operands):
    """``sampler(g, *tensors)`` (``distributions/_sampling.py``'s PyTorch-exact Poisson or binomial
    draws, element by element in row-major order: PyTorch's result is a new contiguous tensor
    filled in its own order whatever the inputs' layout) over the host arrays ``operands``."""
    from .sampling import _CPU
    return sampler(g, *(wrap(np.ascontiguousarray(a).reshape(a.shape), _CPU) for a in operands))._host()


def _poisson_frontend(op):
    def poisson(input, generator=None):
        check_tensor(input, "poisson")
        from .creation import _not_implemented
        from .sampling import _matches_pytorch, _stream
        if _np_kind(input._data.dtype) != "f":  # rates are floats: PyTorch has no integer kernel
            raise _not_implemented("poisson_cpu", input.dtype)
        g, on_device = _stream(generator, input._device)
        lam = input._data if on_device else input._host()
        if not bool((lam >= 0).all()):  # NaN rates too, as PyTorch
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        if _matches_pytorch(g, on_device):  # the CPU stream: PyTorch's own counts
            from ..distributions._sampling import _poisson_pytorch
            data = _pytorch_counts(_poisson_pytorch, g, lam)
        else:
            data, on_device = _draw(g, on_device, "poisson", lam)
        out = _land(data.astype(input._data.dtype, copy=False), input, on_device)
        if F.needs_grad(input):
            Tensor._autograd.record(op, out, (input,), None)
        return out
    return poisson


def _binomial_frontend(op):
    def binomial(count, prob, generator=None):
        check_tensor(count, "binomial", "count")
        check_tensor(prob, "binomial", "prob", 2)
        from .creation import _KERNEL_TYPE_NAMES, _not_implemented
        from .sampling import _matches_pytorch, _stream
        for name, t in (("count", count), ("prob", prob)):  # PyTorch's checks, before any draw
            if t.dtype.category != 2:
                raise ValueError(f"binomial only supports floating-point dtypes for {name}, "
                                 f"got: {_KERNEL_TYPE_NAMES[t.dtype.name]}")
        if prob.dtype is not count.dtype:
            raise RuntimeError(f"Found dtype {_KERNEL_TYPE_NAMES[prob.dtype.name]} but expected "
                               f"{_KERNEL_TYPE_NAMES[count.dtype.name]}")
        g, on_device = _stream(generator, count._device)
        n = count._data if on_device else count._host()
        p = prob._data if on_device else prob._host()
        if _matches_pytorch(g, on_device):  # the CPU stream: PyTorch's own counts
            if n.dtype.itemsize < 4:  # float16/bfloat16: PyTorch's CPU kernel has neither
                raise _not_implemented("binomial_cpu", count.dtype)
            from ..distributions._sampling import _binomial_pytorch
            data = _pytorch_counts(_binomial_pytorch, g, *np.broadcast_arrays(n, p))
        else:
            data, on_device = _draw(g, on_device, "binomial", n.astype(np.int64), p)
        out = _land(data.astype(count._data.dtype, copy=False), count, on_device)
        if F.needs_grad(count, prob):
            Tensor._autograd.record(op, out, (count, prob), None, node_name="NotImplemented")
        return out
    return binomial


def _land(data, like, on_device):
    if on_device or like._device.type == "cpu":
        return wrap(data, like._device)
    from .creation import _finish
    return _finish(data, like._device, False)


# draws differ between devices and between calls, so finite differences of them mean nothing;
# PyTorch's gradient of both samplers is zero (poisson) or not implemented (binomial)
_RANDOM_SKIPS = {"devices": "random draws", "gradcheck": "random draws", "gradgradcheck": "random draws"}


def _positive(seed, hi=5.0):
    return _samples(lambda X: [((X((2, 3), seed, 0.5, hi),), {})])


defop("poisson", frontend=_poisson_frontend, method=False, samples=_positive(770),
      conformance_skip=_RANDOM_SKIPS)
defop("binomial", frontend=_binomial_frontend, method=False,
      samples=_samples(lambda X: [((X((2, 3), 771, 1.0, 9.0).floor(), X((2, 3), 772, 0.1, 0.9)), {})]),
      conformance_skip=dict(_RANDOM_SKIPS, repr="PyTorch's node is the C++ 'NotImplemented' (no Backward0 name)"))


# --------------------------------------------------------------------------- gradient
def _gradient(input, *, spacing=1, dim=None, edge_order=1):
    """``torch.gradient``: central differences inside, one-sided ones of ``edge_order`` at the
    ends; ``spacing`` a scalar step, one step per dim, or one coordinate tensor per dim.
    Written with differentiable ops, so its graph is their nodes (``CatBackward0`` last)."""
    check_tensor(input, "gradient")
    nd = input._data.ndim
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    if nd == 0:
        return ()
    from ._args import wrap_dim
    dims = list(range(nd)) if dim is None else [wrap_dim(d, nd) for d in
                                                  (dim if isinstance(dim, (list, tuple)) else (dim,))]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(dims):
            if dim is None:
                raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length "
                                   f"equal to 'self.dim() = {nd}', since dim argument was not given, but got a list of "
                                   f"length {len(spacing)}")
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(dims)}.")
        steps = list(spacing)
    else:
        steps = [spacing] * len(dims)
    for d in dims:
        if input._data.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    f = input if _np_kind(input._data.dtype) in "fc" else input.to(_default_float())
    return tuple(_gradient_along(f, d, s, edge_order) for d, s in zip(dims, steps))


def _default_float():
    from .. import dtypes
    return dtypes.get_default_dtype()


def _gradient_along(f, d, step, edge_order):
    n = f._data.shape[d]

    def part(start, length):
        return f.narrow(d, start, length)
    if isinstance(step, Tensor) and step._data.ndim == 1:
        return _nonuniform(f, d, step.to(f.dtype) if _np_kind(f._data.dtype) == "c" else step, edge_order, part)
    h = step.item() if isinstance(step, Tensor) else step
    inner = (part(2, n - 2) - part(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / h
        last = (part(n - 1, 1) - part(n - 2, 1)) / h
    else:
        first = (part(0, 1) * -1.5 + part(1, 1) * 2 - part(2, 1) * 0.5) / h
        last = (part(n - 3, 1) * 0.5 - part(n - 2, 1) * 2 + part(n - 1, 1) * 1.5) / h
    import tensorgraft
    return tensorgraft.cat((first, inner, last), d)


def _nonuniform(f, d, coords, edge_order, part):
    """Second-order-accurate differences on uneven steps (NumPy's ``gradient`` formulas)."""
    n = f._data.shape[d]
    shape = [1] * f._data.ndim
    shape[d] = -1
    dx = coords[1:] - coords[:-1]
    hd, hs = dx[:-1].view(shape), dx[1:].view(shape)
    inner = (part(0, n - 2) * (-hs / (hd * (hd + hs))) + part(1, n - 2) * ((hs - hd) / (hd * hs))
             + part(2, n - 2) * (hd / (hs * (hd + hs))))
    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / dx[0]
        last = (part(n - 1, 1) - part(n - 2, 1)) / dx[-1]
    else:
        a, b = dx[0], dx[1]
        first = (part(0, 1) * (-(2 * a + b) / (a * (a + b))) + part(1, 1) * ((a + b) / (a * b))
                 + part(2, 1) * (-a / (b * (a + b))))
        a, b = dx[-2], dx[-1]
        last = (part(n - 3, 1) * (b / (a * (a + b))) + part(n - 2, 1) * (-(a + b) / (a * b))
                + part(n - 1, 1) * ((2 * b + a) / (b * (a + b))))
    import tensorgraft
    return tensorgraft.cat((first, inner, last), d)


defop("gradient", frontend=lambda op: _gradient, method=False, differentiable=False,
      samples=_samples(lambda X: [((X((5,), 780),), {}), ((X((4, 5), 781),), {"spacing": 2.0, "edge_order": 2}),
                                  ((X((4, 5), 782),), {"dim": 1, "spacing": [0.5]})]),
      reference=lambda a, spacing=1, dim=None, edge_order=1: _np_gradient(a, spacing, dim, edge_order))


def _np_gradient(a, spacing, dim, edge_order):
    r = np.gradient(a, *(spacing if isinstance(spacing, list) else [spacing]), axis=dim, edge_order=edge_order)
    return (r,) if isinstance(r, np.ndarray) else tuple(r)
