"""The ``*_copy`` functions (``permute_copy``, ``split_copy`` ...): the view op's result copied
into fresh contiguous memory. The graph node is the view op's own, renamed to PyTorch's
``<Node>_copy``: the gradient of a copy of a view is the gradient of the view. Also ``_alias``
(``AliasBackward0``), what ``Tensor.as_subclass`` records, and the helpers the package's other
modules share (node renaming, ``out=``, sample builders).
"""
from __future__ import annotations


from ...grad_mode import state as _gs
from ...memory_layout import sparse_coo
from ...tensor import Tensor, wrap, wrap_view
from .. import _frontend as F
from .._frontend import check_tensor
from .._define import defop

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
        from ...testing import make_tensor

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
    from .._args import wrap_dim
    d = wrap_dim(dim, input._data.ndim)
    if step <= 0:
        raise RuntimeError("slice step must be positive")
    return input[(slice(None),) * d + (slice(start, end, step),)]


def _view_copy_view(input, *shape):
    from ...dtypes import dtype as _dtype_cls
    if len(shape) == 1 and isinstance(shape[0], _dtype_cls):
        return input.detach().view(shape[0])  # reinterpreting bytes has no gradient
    return input.view(*shape)


def _view_as_complex_copy_view(input):
    if input._requires_grad and _gs.enabled:
        raise RuntimeError("view_as_complex_copy does not support automatic differentiation for outputs with "
                           "complex dtype.")
    from ..complex import view_as_complex
    return view_as_complex(input)


def _real_view(input):
    from ..complex import view_as_real
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
        from ...testing import make_tensor
        base = [make_tensor(s, dtype=dtype, device=device, low=-2, high=2, seed=710 + i)
                for i, s in enumerate([(3, 4), (3, 1), (1, 3, 4)])]
        return [((base[args[0]],) + tuple(args[1:]), kw) for args, kw in spec]
    return samples


def _complex_samples(real_input):
    def samples(dtype, device):
        from ...testing import make_tensor
        if real_input:
            return [((make_tensor((3, 2), dtype=dtype, device=device, seed=720),), {})]
        cdt = {"float32": "complex64", "float64": "complex128"}.get(dtype.np.name if hasattr(dtype, "np") else "")
        if cdt is None:
            return []
        from ... import dtypes
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

def _narrow_copy_frontend(op):
    strided = _copy_function("narrow_copy", lambda t, dim, start, length: t.narrow(dim, start, length),
                             "NarrowCopyBackward0")

    def narrow_copy(input, dim, start, length, *, out=None):
        # a sparse COO tensor is narrowed by its own kernel (PyTorch's narrow_copy_sparse): its
        # ``narrow`` view stays refused, as PyTorch refuses it
        if isinstance(input, Tensor) and input.layout is sparse_coo:
            from ..sparse_coo import sparse_narrow_copy
            return _with_out(sparse_narrow_copy(input, dim, start, length), out, "narrow_copy")
        if isinstance(start, Tensor) and start._data.size == 1 and start._data.dtype.kind in "iu":
            start = int(start.item())  # (PyTorch's narrow_copy reads a one-element integer tensor as its int)
        if isinstance(input, Tensor):
            _narrow_copy_checks(input, dim, start, length)
        return strided(input, dim, start, length, out=out)
    return narrow_copy


def _narrow_copy_checks(input, dim, start, length):
    """PyTorch's dense narrow_copy makes checks of its own, unlike narrow's: a dim past the last is
    an internal assertion (negative ones are wrapped first), and a negative length is reported as
    exceeding the size."""
    from .._args import is_int, wrap_dim
    a = input._data
    if not (is_int(dim) and is_int(length) and is_int(start)):
        return  # (the narrow view's own argument errors)
    if a.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if dim >= a.ndim:
        raise RuntimeError("Expected dim < static_cast<int64_t>(self_sizes.size()) to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an enhancement request "
                           "to PyTorch.)")
    n = a.shape[wrap_dim(dim, a.ndim)]
    start = int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got {start})")
    start += n if start < 0 else 0
    if length < 0 or start > n - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")


# ``narrow_copy`` has a node of its own in PyTorch (and is a Tensor method too)
defop("narrow_copy", frontend=_narrow_copy_frontend,
      differentiable=False, samples=_copy_samples([((0, 1, 1, 2), {}), ((0, 0, 0, 3), {})]))
