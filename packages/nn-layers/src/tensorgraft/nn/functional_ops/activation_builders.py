"""How an activation becomes ops: ``_pointwise`` declares a pointwise activation (its op, its
formula and, for ``create_graph=True``, its backward op from ``_backward_op``), with the helpers
their derivative formulas share. The activations themselves are in ``activation.py``,
softmax/log_softmax in ``softmax.py``, prelu and glu in ``prelu_glu.py``."""
from __future__ import annotations

import weakref

from tensorgraft.ops._frontend import _type_name

from ._common import batched_of, formula, gs, nnop, record, wrap
from .activation_args import check_tensor
from tensorgraft.dtypes import np_kind as _np_kind

_FLOAT = "fc"
# PyTorch has no complex kernel for most activations (silu has one): "<op>_cpu" refuses it
_REAL = "f"


# The inputs in-place activations saved (``activation_api._inplace``'s copies of the input before it
# was overwritten), by id: PyTorch's in-place kernels that differentiate from their input (hardtanh_,
# threshold_, hardswish_) save a clone of it, so a create_graph gradient hangs on CloneBackward0.
_SAVED_BY_INPLACE = weakref.WeakValueDictionary()


def saved_by_inplace(t):
    """Mark ``t``, the copy an in-place activation keeps of its input, as such."""
    _SAVED_BY_INPLACE[id(t)] = t


# the name PyTorch's CPU kernel goes by in its "not implemented for <dtype>" error, where that is
# not simply "<op>_cpu"
_CPU_KERNEL = {"gelu": "GeluKernelImpl", "softshrink": "softshrink_check"}


def _param_saved(i, only=None, int_one=False):
    """The node's ``i``-th param as ``_saved_<name>`` shows it; ``only``: the node-name prefixes that
    show it (CELU runs ELU's kernel, but CeluBackward0 shows only its alpha); ``int_one``: a 1.0
    there shows as the int 1 PyTorch's functional passes (elu's and selu's ``input_scale``)."""
    from tensorgraft.autograd.saved_properties import NOT_SAVED, FromNode

    def get(node):
        if only is not None and not type(node).__name__.startswith(only):
            return NOT_SAVED
        v = node.attrs[i]
        return 1 if int_one and v == 1.0 else v
    return FromNode(get)


def _pointwise(name, fwd, bwd, node, tg_bwd=None, kinds=_FLOAT, inplace_check=None, double=None, saved=()):
    """``f(input, *params, node_name=None)``; ``bwd(xp, x, g, *params)`` returns d/dx times g on
    arrays. ``node_name`` replaces the node's name: PyTorch calls the in-place variants of some
    activations ``...Backward1`` (and CELU, computed here by ELU's kernel, ``CeluBackward0``).
    ``inplace_check(*params)`` gives the error a ``...Backward1`` node raises when it runs (PyTorch's
    in-place backward works from the result, so it refuses negative slopes).

    When the backward pass is itself recorded (``create_graph=True``) the gradient is, as in
    PyTorch, either one node of its own (``double``: see ``_backward_op``), or, for the activations
    PyTorch differentiates as a composite (silu, mish), ``tg_bwd(x, g, *params)`` written with
    tensorgraft ops. ``saved``: the names PyTorch's node shows the params under (``_saved_<name>``), in
    order; an entry may be ``(name, *more)`` (``_param_saved``'s further arguments)."""
    op_holder = []

    def frontend(input, *params, node_name=None):
        check_tensor(input, name)
        a = input._data
        if _np_kind(a.dtype) not in kinds:
            if _np_kind(a.dtype) == "b" and name == "hardtanh":
                raise RuntimeError("Bool inputs not supported for hardtanh")
            if _np_kind(a.dtype) == "c" and name == "hardtanh":  # hardtanh is a clamp
                raise NotImplementedError("clamp is not supported for complex types")
            raise NotImplementedError(f"\"{_CPU_KERNEL.get(name, name + '_cpu')}\" not implemented for "
                                      f"'{_type_name(a.dtype)}'")
        op = op_holder[0]
        out = wrap(op.table[input._device.type](a, *params), input._device)
        if input._requires_grad and gs.enabled:
            record(op, out, (input,), params, node_name=node_name)
        return out

    frontend.__name__ = name
    op = nnop(name, fwd, frontend, node=node)
    op_holder.append(op)
    recorded = tg_bwd if double is None else _backward_op(name, bwd, *double, batched_params=same_params)

    from tensorgraft.device import get_backend

    def grad(node_, g):
        x = node_.inputs[0]
        if inplace_check is not None and node_.name().endswith("Backward1"):
            msg = inplace_check(*node_.attrs)
            if msg:
                raise RuntimeError(msg)
            if gs.enabled and double is not None:
                # PyTorch's in-place variant differentiates from its result (``is_result``): with
                # create_graph=True the gradient's node hangs on the result, i.e. on this node, not
                # on the input's history (a plain backward keeps the input's formula: the same
                # values to an ulp, and bit-equal to the out-of-place gradient)
                xp = get_backend(x._device).xp
                result = _result_alias(node_, fwd(xp, x._data, *node_.attrs), x._device)
                return (recorded(result, g, *node_.attrs, True),)
        if gs.enabled:
            if double is not None and _SAVED_BY_INPLACE.get(id(x)) is x:
                x = x.clone()  # (see _SAVED_BY_INPLACE) recorded only now, when a graph is built
            return (recorded(x, g, *node_.attrs),)
        xp = get_backend(x._device).xp
        return (wrap(bwd(xp, x._data, g._data, *node_.attrs), g._device),)
    formula(name)(grad)
    if saved:
        grad.saved_defaults = {(n if n.__class__ is str else n[0]): _param_saved(i, *(() if n.__class__ is str else n[1:]))
                               for i, n in enumerate(saved) if n is not None}

    @batched_of(grad)
    def grad_batched(node_, g):
        # g is (batch, *x.shape): x is broadcast to it, so that the kernels (and the backward op's
        # node under create_graph) see operands of one shape, as they do per entry
        x = node_.inputs[0]
        if (inplace_check is not None and node_.name().endswith("Backward1")) or g.shape[1:] != x.shape:
            return None  # (the in-place variant's checks and result aliasing: once per entry)
        if gs.enabled:
            if double is None:
                return (recorded(x, g, *node_.attrs),)  # tensorgraft ops, which broadcast
            if _SAVED_BY_INPLACE.get(id(x)) is x:
                x = x.clone()
            return (recorded(x.expand(g.shape), g, *node_.attrs),)
        xp = get_backend(x._device).xp
        return (wrap(bwd(xp, xp.broadcast_to(x._data, g._data.shape), g._data, *node_.attrs), g._device),)
    return frontend


def _result_alias(node, data, device):
    """The result of ``node``'s op as a tensor whose ``grad_fn`` is ``node`` (what ``node.output``
    gives a formula that saved it): a gradient computed from it hangs on the op's own node."""
    r = wrap(data, device)
    r._requires_grad = True
    r.grad_fn = node
    r._output_nr = 0
    return r


def _backward_op(name, kernel, node, second=None, adjoint=None, batched_params=None):
    """``backward(x, grad, *params)``: ``kernel``'s derivative as an op ``<name>_backward`` whose
    node is ``node`` (PyTorch's ``<Name>BackwardBackward0``), over both the incoming gradient and
    ``x``, so that the gradient requires grad whenever ``x`` does, as PyTorch's. It is linear in the
    gradient, so its own gradient there is itself again; for ``x`` it is ``second(x, grad, gg,
    *params)`` (``gg * grad * f''(x)``, with tensorgraft ops so that it can be differentiated once
    more), zeros where ``f`` is piecewise linear (``second`` None).

    ``node == "NotImplemented"``: PyTorch's node that only raises when reached (hardsigmoid), which
    hangs on the inputs that require grad only.

    ``batched_params(x, params)``: the params for operands with more leading dims than ``x``
    (a dim counted from the end), or None where there are none; ``same_params`` for pointwise
    ops. Without it the op's gradient runs once per entry of a batched backward."""
    holder = []
    refuses = node == "NotImplemented"

    def backward(x, grad, *params):
        op = holder[0]
        out = wrap(op.table[grad._device.type](x._data, grad._data, *params), grad._device)
        if gs.enabled and (grad._requires_grad or x._requires_grad):
            inputs = (grad, x)
            if refuses:
                inputs = tuple(t for t in inputs if t._requires_grad)
            record(op, out, inputs, params)
        return out

    op = nnop(name + "_backward", kernel, backward, node=node)
    holder.append(op)

    def grad_of_grad(n, gg):
        if refuses:
            raise RuntimeError(f"derivative for aten::{name}_backward is not implemented")
        g, x = n.inputs
        need_g, need_x = n.needs_input_grad
        for_g = for_x = None
        if need_g:
            for_g = backward(x, gg, *n.attrs) if adjoint is None else adjoint(x, gg, *n.attrs)
        if need_x:
            for_x = x.new_zeros(x.shape) if second is None else second(x, g, gg, *n.attrs)
        return for_g, for_x
    formula(name + "_backward")(grad_of_grad)

    @batched_of(grad_of_grad)
    def grad_of_grad_batched(n, gg):
        # gg is (batch, *output shape); x is broadcast to it, so that every operand has one shape
        g, x = n.inputs
        params = None if batched_params is None else batched_params(x, n.attrs)
        if refuses or params is None or tuple(x.shape) != tuple(g.shape) or gg.shape[1:] != x.shape:
            return None
        need_g, need_x = n.needs_input_grad
        xb = x.expand(gg.shape)
        for_g = for_x = None
        if need_g:
            for_g = backward(xb, gg, *params) if adjoint is None else adjoint(xb, gg, *params)
        if need_x:
            for_x = gg.new_zeros(gg.shape) if second is None else second(xb, g, gg, *params)
        return for_g, for_x
    return backward


def same_params(x, params):
    """A pointwise backward op's params hold for operands with more leading dims as they are."""
    return params


def _sig(xp, x):
    return 1.0 / (1.0 + xp.exp(-x))


def _scalar_op(op_name, node_name, t, number):
    """``t <op> number`` recorded as ATen's Scalar overload (``MulBackward1``, ``SubBackward1``):
    PyTorch's derivative formulas compute in C++ with numbers, and a gradient taken with
    create_graph=True shows those nodes; the values and the gradient are the core op's."""
    from tensorgraft.grad_mode import no_grad
    from tensorgraft.registry import registry
    op = registry.ops[op_name]
    with no_grad():
        out = op.frontend(t, number)
    if gs.enabled and t._requires_grad:
        record(op, out, (t, number), {"alpha": 1} if op_name in ("add", "sub") else None, node_name=node_name)
    return out


def _one_minus(t):
    """``1 - t`` with the 1 a 0-d tensor, as PyTorch's composite backward formulas write it: its
    graph shows SubBackward0 (a tensor minus a tensor), not RsubBackward1."""
    return t.new_ones(()) - t
