"""``tensorgraft.autograd.Function``: user-defined forward/backward pairs.

As in PyTorch, the ``ctx`` a Function's ``forward`` receives *is* the graph node; its class is
named ``<FunctionName>Backward``.
"""
from __future__ import annotations

import functools
import traceback

from tensorgraft.grad_mode import no_grad, state as _gs
from tensorgraft.tensor import INFERENCE_SAVED, Tensor, wrap, wrap_view

from . import anomaly, saved_hooks
from .engine import accumulator
from .node import _NO_EDGE, _SECOND_BACKWARD, Node, _modified_error, _new, fit_grads
from .saved_hooks import checked_unpack


class _Packed:
    """What a pack hook returned for a tensor given to ``save_for_backward``."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj


class FunctionCtx(Node):
    __slots__ = ("_saved", "_saved_versions", "_non_differentiable", "_dirty", "_materialize", "_fn",
                 "_out_meta", "_tensor_pos", "__dict__")

    def save_for_backward(self, *tensors):
        for k, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {k} is of type "
                                f"{type(t).__name__}")
        self._saved = tensors
        self._saved_versions = tuple(t._vc[0] if t is not None else None for t in tensors)

    @property
    def saved_tensors(self):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        out = []
        unpack = self._packed
        for t, v in zip(self._saved, self._saved_versions):
            if unpack is not None and t.__class__ is _Packed:
                out.append(checked_unpack(unpack, t.obj))
                continue
            if t.__class__ is tuple:  # one of our own outputs, kept as (array, device, vc, output_nr)
                data, device, vc, nr = t
                t = wrap(data, device)
                t._vc = vc
                t._requires_grad = True
                t.grad_fn = self
                t._output_nr = nr
                if vc[0] != v:
                    raise _modified_error(t, v, self, nr)
            elif t is not None and t._vc[0] != v:
                raise _modified_error(t, v, t.grad_fn, t._output_nr)
            out.append(t)
        return tuple(out)

    saved_variables = saved_tensors

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors):
        self._dirty = {id(t) for t in tensors}

    def set_materialize_grads(self, value: bool):
        self._materialize = bool(value)

    def release(self):
        self._released = True
        self._saved = ()
        self._saved_versions = ()
        self._packed = None
        self.inputs = None

    def apply(self, grads):
        if self._released:
            raise RuntimeError(_SECOND_BACKWARD)
        if self._materialize:
            grads = [g if g is not None else _zeros(meta) for g, meta in zip(grads, self._out_meta)]
        res = self._fn.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.needs_input_grad)  # one gradient per forward argument, tensor or not
        if len(res) != n:
            if len(res) < n or any(r is not None for r in res[n:]):
                raise RuntimeError(f"function {type(self).__name__} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(res)})")
            res = res[:n]
        pos = self._tensor_pos
        for i, r in enumerate(res):
            if r is None:
                continue
            if i not in pos:
                raise TypeError(f"function {type(self).__name__} returned a gradient different than None at "
                                f"position {i + 1}, but the corresponding forward input was not a Variable")
            if not isinstance(r, Tensor):
                raise TypeError(f"function {type(self).__name__} returned a gradient of type {type(r).__name__} at "
                                f"position {i + 1}; expected a Tensor or None")
        # the graph has an edge per tensor argument only (as PyTorch's next_functions)
        needs = self.needs_input_grad
        return fit_grads(self, [res[i] for i in pos], [needs[i] for i in pos])


def _zeros(meta):
    from tensorgraft.ops.creation import zeros
    shape, dtype, device = meta
    return zeros(shape, dtype=dtype, device=device)


class FunctionMeta(type):
    """Gives every Function subclass its node class, ``<Name>Backward`` (what ``grad_fn`` shows)."""

    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (FunctionCtx,), {"__module__": cls.__module__})


class Function(metaclass=FunctionMeta):
    """Subclass with ``@staticmethod forward(ctx, *args)`` and ``@staticmethod backward(ctx, *grads)``,
    then call ``MyFunction.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

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
        ctx._dirty = ()
        ctx._materialize = True
        ctx.attrs = None
        ctx.inputs = args
        needs = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        ctx.needs_input_grad = needs
        record = _gs.enabled and any(needs)
        with no_grad():
            if cls.setup_context is not Function.setup_context:
                # the forward(*args) + setup_context(ctx, inputs, output) style
                outputs = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, outputs)
            else:
                outputs = cls.forward(ctx, *args, **kwargs)
        if not record:
            ctx._saved = ()
            return outputs
        if any(t is not None and t._vc.__class__ is not list for t in ctx._saved):
            raise RuntimeError(INFERENCE_SAVED)  # inference tensors have no version to check at backward
        is_tuple = isinstance(outputs, tuple)
        outs = outputs if is_tuple else (outputs,)
        nf = []
        metas = []
        pos = []
        for k, a in enumerate(args):
            if isinstance(a, Tensor):  # non-tensor arguments get no edge, as in PyTorch
                pos.append(k)
                metas.append((a._data.shape, a._data.dtype))
                if a._requires_grad:
                    nf.append((a.grad_fn, a._output_nr) if a.grad_fn is not None else (accumulator(a), 0))
                else:
                    nf.append(_NO_EDGE)
        ctx._tensor_pos = tuple(pos)
        ctx.next_functions = tuple(nf)
        ctx.in_meta = metas
        ctx._num_outputs = len(outs)
        ctx._out_meta = [(tuple(o.shape), o.dtype, o.device) if isinstance(o, Tensor) else ((), None, None)
                         for o in outs]
        if anomaly.enabled:
            ctx._trace = traceback.format_stack()[:-1]
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
            if id(o) in input_ids and id(o) not in ctx._dirty:
                o = wrap_view(o._data, o)  # returning an input as-is gives a new alias, as PyTorch
            if non_differentiable or o._data.dtype.kind not in "fc":
                new_outs.append(o)
                continue
            if id(o) in ctx._dirty and o._requires_grad and o.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
            if id(o) in saved_ids:
                # a saved output is kept without its grad_fn (no ctx -> tensor -> ctx cycle)
                saved[saved_ids[id(o)]] = (o._data, o._device, o._vc, i)
            o.grad_fn = ctx
            o._output_nr = i
            o._requires_grad = True
            new_outs.append(o)
        if saved_hooks.in_force:
            # the hook keeps what it likes in place of each saved input (our own outputs stay)
            saved, ctx._packed = saved_hooks.pack_function_saved(saved, _Packed)
        ctx._saved = tuple(saved)
        ctx.inputs = None  # backward reads saved_tensors; unsaved inputs may be freed
        return tuple(new_outs) if is_tuple else new_outs[0]


class InplaceFunction(Function):
    pass


def once_differentiable(fn):
    """Run ``backward`` with grad mode off: its result cannot be differentiated again."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            return fn(ctx, *args)
    return wrapper
