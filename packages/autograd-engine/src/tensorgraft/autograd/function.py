"""``tensorgraft.autograd.Function``: user-defined forward/backward pairs.

As in PyTorch, the ``ctx`` a Function's ``forward`` receives *is* the graph node; its class is
named ``<FunctionName>Backward``.
"""
from __future__ import annotations

import functools
import inspect
import traceback

from tensorgraft.grad_mode import no_grad, state as _gs
from tensorgraft.dtypes import BF16 as _BF16
from tensorgraft.tensor import INFERENCE_SAVED, Tensor, wrap, wrap_view

from . import anomaly, saved_hooks
from .engine import accumulator
from .node import _NO_EDGE, _SECOND_BACKWARD, Node, _modified_error, _new, fit_grads
from .saved_hooks import checked_unpack, rebuild_own_output


class _Packed:
    """What a pack hook returned for a tensor given to ``save_for_backward``."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


class FunctionCtx(Node):
    __slots__ = ("_saved", "_saved_versions", "_non_differentiable", "_dirty", "_materialize", "_fn",
                 "_out_meta", "_tensor_pos", "__dict__")

    def __repr__(self) -> str:
        # PyTorch prints the node's full class path: <torch.autograd.function.FBackward object at ...>
        cls = type(self)
        return f"<{cls.__module__}.{cls.__qualname__} object at {hex(id(self))}>"

    def __call__(self, *grads):
        # PyTorch's Python-defined nodes cannot be called directly, unlike its built-in ones
        raise TypeError(f"'{type(self).__name__}' object is not callable")

    def save_for_backward(self, *tensors):
        # what was passed is checked when the graph is recorded (Function.apply): PyTorch lets a
        # forward run without grad save anything
        self._saved = tensors
        self._saved_versions = tuple(t._vc[0] if isinstance(t, Tensor) else None for t in tensors)

    @property
    def saved_tensors(self):
        # set by release(): reading saved tensors after a backward without retain_graph is an
        # error even when nothing was saved, as in PyTorch
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        for_jvp = self.__dict__.get("_jvp_saved")
        if for_jvp is not None:  # inside ``jvp``: what save_for_forward kept (forward_ad/custom_function.py)
            return for_jvp
        out = []
        unpack = self._packed
        for t, v in zip(self._saved, self._saved_versions):
            if unpack is not None and t.__class__ is _Packed:
                out.append(checked_unpack(unpack, t.obj))
                continue
            if t.__class__ is tuple:  # one of our own outputs, kept as (array, device, vc, output_nr)
                t = rebuild_own_output(t, self)
                if t._vc[0] != v:
                    raise _modified_error(t, v, self, t._output_nr)
            elif t is not None and t._vc[0] != v:
                raise _modified_error(t, v, t.grad_fn, t._output_nr)
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def save_for_forward(self, *tensors):
        """Keep tensors for the Function's ``jvp``, as PyTorch's ``ctx.save_for_forward``: inside
        ``jvp`` (forward AD, ``forward_ad/custom_function.py``) ``ctx.saved_tensors`` reads them."""
        if not all(t is None or isinstance(t, Tensor) for t in tensors):
            raise AssertionError("save_for_forward expects all arguments to be tensors; you should save non-tensors "
                                 "as attributes on ctx.")
        self._saved_for_forward = tensors

    def mark_non_differentiable(self, *tensors):
        if not all(isinstance(t, Tensor) for t in tensors):
            # PyTorch's message, cut short exactly like this
            raise RuntimeError("mark_non_differentiable only accepts variable arguments, but got ")
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        if not all(isinstance(t, Tensor) for t in tensors):
            raise RuntimeError("mark_dirty can only accept variables, but argument ")
        self._dirty = {id(t): t for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)

    def release(self):
        # the node itself stays usable: a backward that reads no saved tensor can run again
        # (PyTorch frees only the saved values; plain ctx attributes stay)
        self._released = True
        self._saved = ()
        self._saved_versions = ()
        self._packed = None
        self.inputs = None

    def apply(self, grads):
        if self._materialize:
            # non-tensor outputs get None; integer/bool ones zeros of their own dtype, as PyTorch
            grads = [g if g is not None or meta is None else _zeros(meta) for g, meta in zip(grads, self._out_meta)]
        res = _user_backward(self._fn)(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        name = type(self).__name__
        n = len(self.needs_input_grad)  # one gradient per forward argument, tensor or not
        if len(res) != n:
            if len(res) < n or any(r is not None for r in res[n:]):
                raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(res)})")
            res = res[:n]
        pos = self._tensor_pos
        for i, r in enumerate(res):
            if r is None:
                continue
            if not isinstance(r, Tensor):
                raise RuntimeError(f"expected Variable or None (got {type(r).__name__})")
            if i not in pos:
                raise RuntimeError(f"function {name} returned a gradient different than None at position {i + 1}, "
                                   "but the corresponding forward input was not a Variable")
        grads = [res[i] for i in pos]
        for k, (g, meta) in enumerate(zip(grads, self.in_meta)):
            if g is not None:
                _check_grad(name, k, g, meta)
        # the graph has an edge per tensor argument only (as PyTorch's next_functions)
        needs = self.needs_input_grad
        return fit_grads(self, grads, [needs[i] for i in pos])


def _user_backward(cls):
    """The method that computes a Function's gradients: ``vjp`` where the class defines that
    instead of ``backward`` (the two are aliases); defining both is PyTorch's error."""
    backward, vjp = cls.backward, cls.vjp
    if vjp is Function.vjp:
        return backward
    if backward is not Function.backward:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should "
                           "only implement one of them.")
    return vjp


def _check_grad(name, index, g, meta):
    """PyTorch's checks on one gradient a custom backward returned, in its order: shape (it may
    be summed down to the input's shape, never broadcast up), real/complex kind, device."""
    shape, dtype, device = meta
    gshape = g._data.shape
    lead = len(gshape) - len(shape)
    if lead < 0 or any(s != 1 and s != gs for s, gs in zip(shape, gshape[lead:])):
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got {list(gshape)} but "
                           f"expected shape compatible with {list(shape)}")
    if g._data.dtype.kind == "c" and dtype.kind != "c":
        raise RuntimeError("Expected isFloatingType(grad.scalar_type()) || (input_is_complex == grad_is_complex) to be "
                           "true, but got false.  (Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")
    if g._device != device:
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - expected device "
                           f"{device} but got {g.device}")


def _zeros(meta):
    from tensorgraft.ops.creation import zeros
    shape, dtype, device = meta
    z = zeros(shape, dtype=dtype, device=device)
    z._vc[0] = 1  # PyTorch's zeros_like fills in place: the materialized gradient is at version 1
    return z


# Set by tensorgraft.func (func/_custom_functions.py) while any of its transforms runs, None
# otherwise: ``hook(cls, args, kwargs)`` returns what ``apply`` returns, or APPLY_AS_USUAL to let
# ``apply`` go on. A module global, not a thread-local: outside transforms ``apply`` pays one
# global load and an ``is None`` test (a thread-local read costs ~20 ns more); the hook itself
# tells threads apart.
_transform_hook = None
APPLY_AS_USUAL = object()
# Set by ``autograd.forward_ad`` while a dual level is entered (forward_ad/custom_function.py), the
# same way
_forward_ad_hook = None


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward`` (what ``grad_fn`` shows)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        # PyTorch puts every such class in its autograd.function module, whatever module defines
        # the Function (its repr shows that path)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"__module__": __name__})
        cls._forward_signature = None


class Function(metaclass=FunctionMeta):
    """Subclass with ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx, *grads)``,
    then call ``MyFunction.apply(*args)``."""

    # vmap of a Function needs a vmap rule, written (``vmap``) or generated; neither is the default
    generate_vmap_rule = False

    @staticmethod
    def forward(*args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise NotImplementedError("To use autograd.Function with vmap, you must either override the vmap staticmethod "
                                  "or set generate_vmap_rule=True.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to save state for backward from a ``forward`` that takes no ``ctx``."""
        raise NotImplementedError("setup_context is not implemented.")

    def __init__(self, *args, **kwargs):
        import warnings
        warnings.warn(f"{self.__class__} should not be instantiated. Methods on autograd functions are all static, "
                      "so you should invoke them on the class itself. Instantiating an autograd function will raise "
                      "an error in a future version of PyTorch.", DeprecationWarning, stacklevel=2)

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        hook = _transform_hook
        if hook is not None:
            # a tensorgraft.func transform runs (in some thread): its rules for Functions first
            result = hook(cls, args, kwargs)
            if result is not APPLY_AS_USUAL:
                return result
        hook = _forward_ad_hook
        if hook is not None:
            # a forward-AD dual level is entered: dual arguments go through the Function's ``jvp``
            result = hook(cls, args, kwargs)
            if result is not APPLY_AS_USUAL:
                return result
        return _apply(cls, args, kwargs)[0]


def _bound_arguments(cls, args, kwargs) -> tuple:
    """``forward``'s arguments by position: keywords bound (and, for the ``setup_context`` style,
    defaults filled in, since ``setup_context`` receives every input)."""
    if cls.setup_context is not Function.setup_context:
        return _bind_with_defaults(cls, args, kwargs)
    return _bind_keywords(cls, args, kwargs) if kwargs else args


def _apply(cls, args, kwargs):
    """``cls.apply(*args, **kwargs)`` past the hooks: (what ``apply`` returns, the ctx)."""
    separate_setup = cls.setup_context is not Function.setup_context
    args = _bound_arguments(cls, args, kwargs)
    ctx = _new(cls._backward_cls)
    ctx._released = False
    ctx._output = None
    ctx._versions = None
    ctx._hk = None
    ctx._packed = None
    ctx._fn = cls
    ctx._saved = ()
    ctx._saved_versions = ()
    ctx._non_differentiable = ()
    ctx._dirty = {}
    ctx._materialize = True
    ctx.attrs = None
    ctx.inputs = args
    needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
    ctx.needs_input_grad = needs
    record = _gs.enabled and any(needs)
    with no_grad():
        if separate_setup:
            # the forward(*args) + setup_context(ctx, inputs, output) style
            outputs = cls.forward(*args)
            cls.setup_context(ctx, args, outputs)
        else:
            outputs = cls.forward(ctx, *args)
    is_tuple = isinstance(outputs, tuple)
    outs = outputs if is_tuple else (outputs,)
    if ctx._dirty:
        _bump_dirty(ctx._dirty, outs)
    if not record:
        ctx._saved = ()
        return _unrecorded_outputs(args, outputs, outs, is_tuple, ctx._dirty), ctx
    if ctx._saved:  # versions as the graph is recorded, as PyTorch packs them: after forward's own in-place
        # writes and the version bump of what mark_dirty names (an output saved in setup_context included)
        ctx._saved_versions = tuple(t._vc[0] if isinstance(t, Tensor) else None for t in ctx._saved)
    return _record(cls, ctx, args, outputs, outs, is_tuple), ctx


def _unrecorded_outputs(args, outputs, outs, is_tuple, dirty):
    """What ``apply`` returns when it records nothing (grad mode off, or no input requiring grad),
    as PyTorch's: an input returned as-is comes back as a new tensor, a detached alias when it
    requires grad (its history is not the output's) and an alias of it otherwise (unless forward
    changed it in place: then it is returned itself)."""
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    if not any(id(o) in input_ids for o in outs):
        return outputs
    new_outs = []
    for o in outs:
        if isinstance(o, Tensor) and id(o) in input_ids:
            if o._requires_grad:
                o = o.detach()
            elif id(o) not in dirty:
                o = wrap_view(o._data, o)
        new_outs.append(o)
    return tuple(new_outs) if is_tuple else new_outs[0]


def _bump_dirty(dirty, outs):
    """An input ``forward`` changed in place (``mark_dirty``) must be returned, and its version
    moves on as after any in-place op."""
    returned = {id(o) for o in outs}
    if any(k not in returned for k in dirty):
        raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. The "
                           "inputs that are modified inplace must all be outputs of the Function.")
    for t in dirty.values():
        t._vc[0] += 1


def _record(cls, ctx, args, outputs, outs, is_tuple):
    """Make ``ctx`` the grad_fn of the differentiable outputs and keep what backward needs."""
    for k, t in enumerate(ctx._saved):
        if t is not None and not isinstance(t, Tensor):
            raise TypeError(f"save_for_backward can only save variables, but argument {k} is of type "
                            f"{type(t).__name__}")
    if any(t is not None and t._vc.__class__ is not list for t in ctx._saved):
        raise RuntimeError(INFERENCE_SAVED)  # inference tensors have no version to check at backward
    nf = []
    metas = []
    pos = []
    for k, a in enumerate(args):
        if isinstance(a, Tensor):  # non-tensor arguments get no edge, as in PyTorch
            pos.append(k)
            metas.append((a._data.shape, a._data.dtype, a._device))
            if a._requires_grad:
                nf.append((a.grad_fn, a._output_nr) if a.grad_fn is not None else (accumulator(a), 0))
            else:
                nf.append(_NO_EDGE)
    ctx._tensor_pos = tuple(pos)
    ctx.next_functions = tuple(nf)
    ctx.in_meta = metas
    ctx._num_outputs = len(outs)
    ctx._out_meta = [(tuple(o.shape), o.dtype, o.device) if isinstance(o, Tensor) else None for o in outs]
    if anomaly.enabled:
        ctx._trace = traceback.format_stack()[:-2]
    new_outs = []
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    saved_ids = {id(t): k for k, t in enumerate(ctx._saved) if t is not None}
    saved = list(ctx._saved)
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            new_outs.append(o)
            continue
        # marks name the object forward returned, so read them before an input is re-aliased
        non_differentiable = id(o) in ctx._non_differentiable
        dirty = id(o) in ctx._dirty
        if non_differentiable:
            if id(o) in input_ids:
                # an input returned (changed in place or not) but cut from the graph: PyTorch hands
                # back a detached alias and leaves the input's own history alone
                o = o.detach()
            new_outs.append(o)
            continue
        if id(o) in input_ids and not dirty:
            o = wrap_view(o._data, o)  # returning an input as-is gives a new alias, as PyTorch
        if o._data.dtype.kind not in "fc" and o._data.dtype is not _BF16:
            new_outs.append(o)
            continue
        if dirty and o._requires_grad and o.grad_fn is None:
            raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        if id(o) in saved_ids:
            # a saved output is kept without its grad_fn (no ctx -> tensor -> ctx cycle)
            saved[saved_ids[id(o)]] = (o._data, o._device, o._vc, i)
        if dirty and o._base is not None:
            # a view changed in place: as for any in-place op on a view, the base's history
            # takes the write (CopySlices over this node) and the view becomes an as_strided
            # view of the updated base, so gradients through the base see the Function too
            new_outs.append(_dirty_view_result(ctx, o, i))
            continue
        o.grad_fn = ctx
        o._output_nr = i
        o._requires_grad = True
        if o._base is not None:
            # a view: once its memory is changed in place it may not be used (engine.refresh_view)
            views = ctx.__dict__.setdefault("_view_versions", {})
            views[i] = o._vc[0]
        new_outs.append(o)
    if saved_hooks.in_force:
        # the hook keeps what it likes in place of each saved input (our own outputs stay)
        saved, ctx._packed = saved_hooks.pack_function_saved(saved, _Packed, ctx)
    ctx._saved = tuple(saved)
    ctx.inputs = None  # backward reads saved_tensors; unsaved inputs may be freed
    return tuple(new_outs) if is_tuple else new_outs[0]


def _dirty_view_result(ctx, view, nr):
    from tensorgraft.ops.indexing import assign_into_view
    result = wrap(view._data, view._device)  # the values forward wrote, as this node's output
    result._vc = [0]
    result.grad_fn = ctx
    result._output_nr = nr
    result._requires_grad = True
    assign_into_view(view, result)
    # that store wrote the same values again: PyTorch counts the Function's write once
    view._vc[0] -= 1
    return view


# --------------------------------------------------------------------------- keyword arguments
def _forward_parameters(cls):
    """``forward``'s parameters (without ``ctx`` in the ctx style), computed once per class."""
    sig = cls.__dict__.get("_forward_signature")
    if sig is None:
        sig = inspect.signature(cls.forward)
        if cls.setup_context is Function.setup_context:
            params = list(sig.parameters.values())[1:]
            sig = sig.replace(parameters=params)
        cls._forward_signature = sig
    return sig


def _bind_keywords(cls, args, kwargs):
    """The ctx style: PyTorch puts keyword arguments in the positional slot of the parameter of
    that name (no defaults filled in) so that each gets its gradient position; ``forward`` then
    sees only positional arguments."""
    params = [p for p in _forward_parameters(cls).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    index = {p.name: k for k, p in enumerate(params) if p.kind is p.POSITIONAL_OR_KEYWORD}
    slots = dict(enumerate(args))
    for key, value in kwargs.items():
        k = index.get(key)
        if k is None:
            raise TypeError(f"forward() got an unexpected keyword argument '{key}'")
        if k in slots:
            raise TypeError(f"forward() got multiple values for argument '{key}'")
        slots[k] = value
    for k in range(max(slots) + 1):
        if k not in slots:
            raise TypeError(f"forward() missing required argument: '{params[k].name}' (position {k})")
    return tuple(slots[k] for k in range(len(slots)))


def _bind_with_defaults(cls, args, kwargs):
    """The setup_context style: the inputs are ``forward``'s full argument list, defaults
    included (what ``setup_context`` receives as ``inputs``); keyword-only ones are refused."""
    bound = _forward_parameters(cls).bind(*args, **kwargs)
    bound.apply_defaults()
    if bound.kwargs:
        raise TypeError(f"forward() got an unexpected keyword argument '{next(iter(bound.kwargs))}'")
    return bound.args


class InplaceFunction(Function):
    pass


# --------------------------------------------------------------------------- once_differentiable
class Error(Node):
    """Stands for a backward that cannot be differentiated again (``once_differentiable``):
    reaching it in a backward pass is the error."""

    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::Error"  # PyTorch's C++ node; name() carries its namespace

    def apply(self, grads):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")


def _error_node(outputs):
    """The ``Error`` node the results of a ``once_differentiable`` backward hang on. As in PyTorch,
    its edges lead to fresh leaves holding the results' values, *not* to the incoming gradients or
    anything else of the user's graph: a pass that only needs the user's tensors (``autograd.grad``
    w.r.t. the inputs, gradgradcheck's analytical Jacobian) never reaches the node and finds those
    inputs unused, while a full ``backward()`` through the results reaches it and fails."""
    node = _new(Error)
    edges, meta = [], []
    for g in outputs:
        if isinstance(g, Tensor):
            stand_in = wrap(g._data, g._device)
            stand_in._requires_grad = True
            edges.append((accumulator(stand_in), 0))
            meta.append((g._data.shape, g._data.dtype))
        else:
            edges.append(_NO_EDGE)
            meta.append(None)
    node.next_functions = tuple(edges)
    node.needs_input_grad = tuple(isinstance(g, Tensor) for g in outputs)
    node.in_meta = meta
    node.inputs = None
    node.attrs = None
    node._versions = None
    node._output = None
    node._released = False
    node._hk = None
    node._packed = None
    return node


def once_differentiable(fn):
    """Run ``backward`` with grad mode off: its result cannot be differentiated again. When the
    pass records a graph (``create_graph=True``) and an incoming gradient requires grad, the
    results hang on an ``Error`` node, so differentiating them fails loudly instead of
    silently giving zero."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not _gs.enabled:
            return outputs
        # only an incoming gradient that requires grad makes the results differentiable at all
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return outputs
        if not isinstance(outputs, tuple):
            return _error_node((outputs,)).output_alias(outputs, 0) if isinstance(outputs, Tensor) else outputs
        node = _error_node(outputs)
        return tuple(node.output_alias(g, nr) if isinstance(g, Tensor) else g for nr, g in enumerate(outputs))
    return wrapper
