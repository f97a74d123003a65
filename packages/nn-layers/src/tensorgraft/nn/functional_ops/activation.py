"""Fused activations: forward and derivative written against ``xp``; softmax/log_softmax over a dim."""
from __future__ import annotations

import math
import weakref

import numpy as np

from tensorgraft.dtypes import dtype as _dtype
from tensorgraft.ops._args import wrap_dim
from tensorgraft.ops._frontend import _type_name

from ._common import Tensor, formula, gs, nnop, record, same_device, wrap

_FLOAT = "fc"
# PyTorch has no complex kernel for most activations (silu has one): "<op>_cpu" refuses it
_REAL = "f"


# ---------------------------------------------------------------- argument errors
# PyTorch's argument parser refuses a wrong type with a TypeError naming the function, the argument
# and its position. The frontends test the usual type themselves (``type(v) is float``) and call
# these only when it is something else, so a well-formed call pays one identity test per argument.
_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: a class made by a class statement (or type())


def type_name(value) -> str:
    """The name CPython's C code gives ``value``'s type (its ``tp_name``), which is what PyTorch's
    messages print: the bare name for builtins and Python classes ("str", "Tensor", "Fraction"),
    "module.name" for types written in C elsewhere ("numpy.ndarray", "numpy.float64")."""
    cls = type(value)
    if cls.__flags__ & _HEAPTYPE or cls.__module__ == "builtins":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def check_tensor(x, fname: str, argname: str = "input", pos: int = 1) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Tensor, not {type_name(x)}")


def number_arg(value, fname: str, argname: str, pos: int, input=None):
    """ATen's ``Number`` parameter given something other than a float: a Python or NumPy number
    (returned as a Python number), or a 0-d tensor that does not require grad (its value). A
    string, None, a list, an array, a tensor of several elements or one that requires grad is a
    TypeError. ``input``, when given, is checked first, as PyTorch parses the arguments in order."""
    if input is not None:
        check_tensor(input, fname)
    if isinstance(value, (int, float, complex)):  # (bool is an int)
        return value
    if isinstance(value, (np.number, np.bool_)):
        return value.item()
    if isinstance(value, Tensor) and value.ndim == 0 and not value.requires_grad:
        return value.item()
    raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be Number, not {type_name(value)}")


def int_arg(value, fname: str, argname: str, pos: int) -> int:
    """ATen's ``int`` parameter given something other than an int: a NumPy integer or a 0-d integer
    tensor; not a bool, a float, a string, None or an object that merely has ``__index__``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, Tensor) and value.ndim == 0 and value._data.dtype.kind in "iu":
        return int(value.item())
    raise TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be int, not {type_name(value)}")


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


def _pointwise(name, fwd, bwd, node, tg_bwd=None, kinds=_FLOAT, inplace_check=None, double=None):
    """``f(input, *params, node_name=None)``; ``bwd(xp, x, g, *params)`` returns d/dx times g on
    arrays. ``node_name`` replaces the node's name: PyTorch calls the in-place variants of some
    activations ``...Backward1`` (and CELU, computed here by ELU's kernel, ``CeluBackward0``).
    ``inplace_check(*params)`` gives the error a ``...Backward1`` node raises when it runs (PyTorch's
    in-place backward works from the result, so it refuses negative slopes).

    When the backward pass is itself recorded (``create_graph=True``) the gradient is, as in
    PyTorch, either one node of its own (``double``: see ``_backward_op``), or, for the activations
    PyTorch differentiates as a composite (silu, mish), ``tg_bwd(x, g, *params)`` written with
    tensorgraft ops."""
    op_holder = []

    def frontend(input, *params, node_name=None):
        check_tensor(input, name)
        a = input._data
        if a.dtype.kind not in kinds:
            if a.dtype.kind == "b" and name == "hardtanh":
                raise RuntimeError("Bool inputs not supported for hardtanh")
            if a.dtype.kind == "c" and name == "hardtanh":  # hardtanh is a clamp
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
    recorded = tg_bwd if double is None else _backward_op(name, bwd, *double)

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
    return frontend


def _result_alias(node, data, device):
    """The result of ``node``'s op as a tensor whose ``grad_fn`` is ``node`` (what ``node.output``
    gives a formula that saved it): a gradient computed from it hangs on the op's own node."""
    r = wrap(data, device)
    r._requires_grad = True
    r.grad_fn = node
    r._output_nr = 0
    return r


def _backward_op(name, kernel, node, second=None, adjoint=None):
    """``backward(x, grad, *params)``: ``kernel``'s derivative as an op ``<name>_backward`` whose
    node is ``node`` (PyTorch's ``<Name>BackwardBackward0``), over both the incoming gradient and
    ``x``, so that the gradient requires grad whenever ``x`` does, as PyTorch's. It is linear in the
    gradient, so its own gradient there is itself again; for ``x`` it is ``second(x, grad, gg,
    *params)`` (``gg * grad * f''(x)``, with tensorgraft ops so that it can be differentiated once
    more), zeros where ``f`` is piecewise linear (``second`` None).

    ``node == "NotImplemented"``: PyTorch's node that only raises when reached (hardsigmoid), which
    hangs on the inputs that require grad only."""
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
    return backward


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


# ---------------------------------------------------------------- definitions
# Each activation: forward ``_<name>_f(xp, x, *params)``, derivative times the gradient
# ``_<name>_b(xp, x, g, *params)``, and, for the smooth ones, ``_<name>_dd(x, g, gg, *params)``:
# gg * g * f''(x), the gradient of that derivative for x (tensorgraft ops: differentiable again).
_GELU_K = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715
_INV_SQRT2 = 1 / math.sqrt(2.0)
_INV_SQRT2PI = 1 / math.sqrt(2 * math.pi)


def _gelu_f(xp, x, approximate):
    if approximate == "tanh":
        k = x.dtype.type(_GELU_K)
        return 0.5 * x * (1.0 + xp.tanh(k * (x + _GELU_C * x * x * x)))
    from .special import erf
    return 0.5 * x * (1.0 + erf(xp, x * x.dtype.type(_INV_SQRT2)))


def _gelu_b(xp, x, g, approximate):
    if approximate == "tanh":
        t = xp.tanh(_GELU_K * (x + _GELU_C * x * x * x))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _GELU_K * (1.0 + 3 * _GELU_C * x * x)
        return (g * d).astype(x.dtype, copy=False)
    from .special import erf
    cdf = 0.5 * (1.0 + erf(xp, x * x.dtype.type(_INV_SQRT2)))
    pdf = xp.exp(-0.5 * x * x) * x.dtype.type(_INV_SQRT2PI)
    return g * (cdf + x * pdf)


def _gelu_dd(x, g, gg, approximate):
    if approximate == "tanh":
        # f = x (1 + tanh u) / 2 with u = k (x + c x^3)
        du = _GELU_K * (1.0 + 3 * _GELU_C * x * x)
        t = (_GELU_K * (x + _GELU_C * x * x * x)).tanh()
        sech2 = 1.0 - t * t
        return gg * g * (sech2 * (du + 0.5 * x * (6 * _GELU_K * _GELU_C * x - 2.0 * t * du * du)))
    # gg g pdf (2 - x^2), expanded as PyTorch's formula: (gg g) (2 pdf - x^2 pdf), each pdf its own
    # exp(-x^2 / 2) / sqrt(2 pi) of Scalar products (the nodes its graph shows)
    def pdf():
        return _scalar_op("mul", "MulBackward1", _scalar_op("mul", "MulBackward1", x * x, -0.5).exp(), _INV_SQRT2PI)
    return gg * g * (_scalar_op("mul", "MulBackward1", pdf(), 2.0) - x * x * pdf())


gelu_op = _pointwise("gelu", _gelu_f, _gelu_b, "GeluBackward0", kinds=_REAL,
                     double=("GeluBackwardBackward0", _gelu_dd))


def _silu_f(xp, x):
    return x * _sig(xp, x)


def _silu_b(xp, x, g):
    s = _sig(xp, x)
    return g * (s * (1.0 + x * (1.0 - s)))


def _silu_tg(x, g):
    # grouped as PyTorch's composite, whose nodes a gradient taken with create_graph=True shows
    from .nn_aten_nodes import add_scalar
    s = x.sigmoid()
    return g * s * add_scalar(x * _one_minus(s), 1.0)


silu_op = _pointwise("silu", _silu_f, _silu_b, "SiluBackward0", tg_bwd=_silu_tg)


def _softplus_f(xp, x, beta, threshold):
    bx = x * beta
    # log(1 + e^bx) = log1p(e^-|bx|) + max(bx, 0) never overflows; dividing max(bx, 0) (not
    # max(x, 0)) by beta keeps it right for a negative beta too
    return xp.where(bx > threshold, x, xp.log1p(xp.exp(-xp.abs(bx))) / beta + xp.maximum(bx, 0) / beta)


def _softplus_b(xp, x, g, beta, threshold):
    bx = x * beta
    return xp.where(bx > threshold, g, g * _sig(xp, bx)).astype(x.dtype, copy=False)


def _softplus_dd(x, g, gg, beta, threshold):
    # beta gg g s (1 - s) below the threshold, s = sigmoid(beta x): sigmoid_backward of gg g,
    # masked, times beta, which is how PyTorch's graph shows it (SigmoidBackwardBackward0 inside)
    from tensorgraft.ops.elementwise import sigmoid_backward
    bx = _scalar_op("mul", "MulBackward1", x, beta)
    curve = sigmoid_backward.frontend(gg * g, bx.sigmoid()) * (bx <= threshold)
    return _scalar_op("mul", "MulBackward1", curve, beta)


softplus_op = _pointwise("softplus", _softplus_f, _softplus_b, "SoftplusBackward0", kinds=_REAL,
                         double=("SoftplusBackwardBackward0", _softplus_dd))


def _mish_f(xp, x):
    return x * xp.tanh(_softplus_f(xp, x, 1.0, 20.0))


def _mish_b(xp, x, g):
    t = xp.tanh(_softplus_f(xp, x, 1.0, 20.0))
    return g * (t + x * (1.0 - t * t) * _sig(xp, x))


def _mish_tg(x, g):
    # PyTorch's composite: tanh(log1p(exp x)) + x sigmoid(x) (1 - t^2), grouped as its graph shows
    # (exp overflowing to inf for large x still gives t = 1, so no threshold is needed)
    t = x.exp().log1p().tanh()
    return g * (t + x * x.sigmoid() * _one_minus(t * t))


mish_op = _pointwise("mish", _mish_f, _mish_b, "MishBackward0", tg_bwd=_mish_tg, kinds=_REAL)


def _elu_f(xp, x, alpha, scale, input_scale):
    return xp.where(x > 0, x * scale, (xp.expm1(xp.minimum(x, 0) * input_scale) * (alpha * scale))).astype(x.dtype, copy=False)


def _elu_b(xp, x, g, alpha, scale, input_scale, is_result=False):
    # tested as x > 0 so that a NaN input takes the exponential branch and gets a NaN gradient,
    # as PyTorch's vectorized kernel gives it
    if is_result:  # x is the result of the in-place variant: f' = input_scale * (f + alpha * scale) there
        d = xp.where(x > 0, x.dtype.type(scale), (x + alpha * scale) * input_scale)
    else:
        d = xp.where(x > 0, x.dtype.type(scale), xp.exp(xp.minimum(x, 0) * input_scale) * (alpha * scale * input_scale))
    return (g * d).astype(x.dtype, copy=False)


def _elu_dd(x, g, gg, alpha, scale, input_scale, is_result=False):
    if is_result:  # d f'/d f = input_scale on the exponential side (grouped as PyTorch's graph)
        return _scalar_op("mul", "MulBackward1", gg, input_scale) * (g * (x <= 0))
    # f'' = input_scale f' on the exponential side: elu_backward of gg g input_scale, masked, which
    # is how PyTorch's graph shows it (EluBackwardBackward0 again, under a product)
    from tensorgraft.registry import registry
    elu_backward = registry.ops["nn.elu_backward"].frontend
    return elu_backward(x, _scalar_op("mul", "MulBackward1", gg * g, input_scale), alpha, scale, input_scale) * (x <= 0)


_INPLACE_ELU = ("In-place elu backward calculation is triggered with a negative slope which is not supported. This is "
                "caused by calling in-place forward function with a negative slope, please call out-of-place version "
                "instead.")
elu_op = _pointwise("elu", _elu_f, _elu_b, "EluBackward0", kinds=_REAL, double=("EluBackwardBackward0", _elu_dd),
                    inplace_check=lambda alpha, scale, input_scale: _INPLACE_ELU if alpha < 0 else None)


def _leaky_f(xp, x, slope):
    return xp.where(x > 0, x, x * x.dtype.type(slope))


def _leaky_b(xp, x, g, slope, is_result=False):
    # (from the in-place variant's result, ``is_result``: the same test, its slope being >= 0)
    return xp.where(x > 0, g, g * g.dtype.type(slope))


_INPLACE_LEAKY = ("In-place leakyReLu backward calculation is triggered with a negative slope which is not supported. "
                  "This is caused by calling in-place forward function with a negative slope, please call out-of-place "
                  "version instead. File an issue at https://github.com/pytorch/pytorch if you do require supporting "
                  "in-place leakRelu backward calculation with negative slope")
leaky_relu_op = _pointwise("leaky_relu", _leaky_f, _leaky_b, "LeakyReluBackward0", kinds=_REAL,
                           double=("LeakyReluBackwardBackward0",),
                           inplace_check=lambda slope: _INPLACE_LEAKY if slope < 0 else None)


def _threshold_f(xp, x, threshold, value):
    # x <= threshold selects the value, so NaN stays NaN (and gets the gradient), as PyTorch's
    return xp.where(x <= threshold, x.dtype.type(value), x)


def _threshold_b(xp, x, g, threshold, value):
    return xp.where(x <= threshold, xp.zeros((), g.dtype), g)


threshold_op = _pointwise("threshold", _threshold_f, _threshold_b, "ThresholdBackward0", kinds="fiu",
                          double=("ThresholdBackwardBackward0",))


def _hardtanh_f(xp, x, lo, hi):
    if x.dtype.kind in "iu":
        lo, hi = int(lo), int(hi)  # integer inputs clamp to the bounds truncated toward zero
    return xp.clip(x, lo, hi).astype(x.dtype, copy=False)


def _hardtanh_b(xp, x, g, lo, hi):
    return xp.where((x > lo) & (x < hi), g, xp.zeros((), g.dtype))


hardtanh_op = _pointwise("hardtanh", _hardtanh_f, _hardtanh_b, "HardtanhBackward0", kinds="fiu",
                         double=("HardtanhBackwardBackward0",))


def _hardswish_f(xp, x):
    return x * xp.clip(x + 3.0, 0.0, 6.0).astype(x.dtype, copy=False) / x.dtype.type(6.0)


# at the kinks PyTorch takes the outer pieces: 0 at x = -3, 1 at x = 3
def _hardswish_b(xp, x, g):
    # the middle branch last, so a NaN input gets a NaN gradient (PyTorch's vectorized kernel)
    d = xp.where(x >= 3.0, 1.0, xp.where(x <= -3.0, 0.0, x / 3.0 + 0.5)).astype(x.dtype, copy=False)
    return g * d


def _hardswish_dd(x, g, gg):
    import tensorgraft as tg
    middle = (x > -3.0).logical_and(x < 3.0)
    return tg.where(middle, _scalar_op("div", "DivBackward1", gg * g, 3.0), 0.0)


hardswish_op = _pointwise("hardswish", _hardswish_f, _hardswish_b, "HardswishBackward0", kinds=_REAL,
                          double=("HardswishBackwardBackward0", _hardswish_dd))


def _hardsigmoid_f(xp, x):
    return xp.clip(x / x.dtype.type(6.0) + x.dtype.type(0.5), 0.0, 1.0).astype(x.dtype, copy=False)


# PyTorch's kernel multiplies by 1/6 taken in float32, for float64 too (checked bit for bit)
_ONE_SIXTH = float(np.float32(1.0 / 6.0))


def _hardsigmoid_b(xp, x, g):
    return xp.where((x > -3.0) & (x < 3.0), g * g.dtype.type(_ONE_SIXTH), xp.zeros((), g.dtype))


# PyTorch has no derivative of hardsigmoid's backward: its gradient is a node that raises if reached
hardsigmoid_op = _pointwise("hardsigmoid", _hardsigmoid_f, _hardsigmoid_b, "HardsigmoidBackward0", kinds=_REAL,
                            double=("NotImplemented",))


def _logsigmoid_f(xp, x):
    return -(xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x))))


def _logsigmoid_b(xp, x, g):
    return g * _sig(xp, -x)


def _logsigmoid_dd(x, g, gg):
    # gg g (s - 1) s, grouped as PyTorch's formula (its graph: SubBackward1, then two products)
    s = x.sigmoid()
    return gg * g * _scalar_op("sub", "SubBackward1", s, 1.0) * s


logsigmoid_op = _pointwise("log_sigmoid", _logsigmoid_f, _logsigmoid_b, "LogSigmoidBackward0", kinds=_REAL,
                           double=("LogSigmoidBackwardBackward0", _logsigmoid_dd))


# hardshrink/softshrink: NaN passes through the forward (the "inside" test is false) but gets no
# gradient (the "outside" test is false too), as PyTorch's kernels
def _hardshrink_f(xp, x, lambd):
    return xp.where((x >= -lambd) & (x <= lambd), xp.zeros((), x.dtype), x)


def _shrink_b(xp, x, g, lambd):
    return xp.where((x > lambd) | (x < -lambd), g, xp.zeros((), g.dtype))


hardshrink_op = _pointwise("hardshrink", _hardshrink_f, _shrink_b, "HardshrinkBackward0", kinds=_REAL,
                           double=("HardshrinkBackwardBackward0",))


def _softshrink_f(xp, x, lambd):
    # the shrunk band keeps the input's sign (PyTorch prints -0. for a small negative input)
    return xp.where(xp.abs(x) <= lambd, x * 0, x - xp.sign(x) * x.dtype.type(lambd))


softshrink_op = _pointwise("softshrink", _softshrink_f, _shrink_b, "SoftshrinkBackward0", kinds=_REAL,
                           double=("SoftshrinkBackwardBackward0",))


# ---------------------------------------------------------------- softmax / log_softmax
def _softmax_k(xp, x, dim):
    if x.size == 0:  # nothing to normalise (max() of an empty axis would raise)
        return xp.empty_like(x)
    m = x.max(axis=dim, keepdims=True)
    e = xp.exp(x - m)
    s = e.sum(axis=dim, keepdims=True)
    if dim == x.ndim - 1:
        # PyTorch's last-dim kernel scales by the sum's reciprocal, its other-dim kernel divides
        # (seen from its results): doing the same keeps more results bit-equal to PyTorch's
        e *= xp.reciprocal(s, out=s)
    else:
        e /= s
    return e


def _log_softmax_k(xp, x, dim):
    if x.size == 0:
        return xp.empty_like(x)
    m = x.max(axis=dim, keepdims=True)
    s = x - m
    s -= xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
    return s


def _softmax_like(name, kernel, node):
    holder = []

    def frontend(input, dim, dtype=None):
        check_tensor(input, name)
        if type(dim) is not int:  # the position of ``Tensor.softmax(dim)``'s, which F calls
            dim = int_arg(dim, name, "dim", 1)
        a = input._data
        if dtype is not None:
            if not isinstance(dtype, _dtype):
                raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not {type_name(dtype)}")
            a = a.astype(dtype.np)
        elif a.dtype.kind not in _FLOAT:
            last = a.ndim == 0 or wrap_dim(dim, a.ndim) == a.ndim - 1
            raise NotImplementedError(f'"{name}_{"lastdim_" if last else ""}kernel_impl" not implemented for '
                                      f"'{_type_name(a.dtype)}'")
        d = wrap_dim(dim, a.ndim)  # a 0-d input takes dim 0 or -1, as a 1-d one
        op = holder[0]
        out = wrap(op.table[input._device.type](a if a.ndim else a.reshape(1), d).reshape(a.shape), input._device)
        if input._requires_grad and gs.enabled:
            record(op, out, (input,), {"dim": d})
        return out
    op = nnop(name, kernel, frontend, node=node)
    holder.append(op)
    return frontend, op


softmax_op, _SOFTMAX = _softmax_like("softmax", _softmax_k, "SoftmaxBackward0")
log_softmax_op, _LOG_SOFTMAX = _softmax_like("log_softmax", _log_softmax_k, "LogSoftmaxBackward0")


def _softmax_b(xp, y, g, dim):
    return (g - (g * y).sum(axis=dim, keepdims=True)) * y


def _log_softmax_b(xp, y, g, dim):
    return g - xp.exp(y) * g.sum(axis=dim, keepdims=True)


# Their backward ops hang on the output (whose node is the forward's), as PyTorch's
# ``_softmax_backward_data``. Softmax's is self-adjoint in the gradient; log_softmax's is not.
def _softmax_dd(y, g, gg, dim):
    # gg (g - sum(g y)) - g sum(gg y), expanded as PyTorch's formula (its graph: two subtractions)
    return gg * g - gg * (g * y).sum(dim, keepdim=True) - g * (gg * y).sum(dim, keepdim=True)


def _log_softmax_adjoint(y, gg, dim):
    return gg - (gg * y.exp()).sum(dim, keepdim=True)


def _log_softmax_dd(y, g, gg, dim):
    # grouped as PyTorch's: (-sum(g) * exp(y)) * gg
    return -g.sum(dim, keepdim=True) * y.exp() * gg


_SOFTMAX_BACKWARD = _backward_op("softmax", _softmax_b, "SoftmaxBackwardDataBackward0", _softmax_dd)
_LOG_SOFTMAX_BACKWARD = _backward_op("log_softmax", _log_softmax_b, "LogSoftmaxBackwardDataBackward0",
                                     _log_softmax_dd, _log_softmax_adjoint)


def _softmax_like_grad(kernel, recorded):
    from tensorgraft.device import get_backend

    def grad(node, g):
        y = node.output
        d = node.attrs["dim"]
        if g.ndim == 0:
            return (g * 0,)
        if gs.enabled:
            return (recorded(y, g, d),)
        return (wrap(kernel(get_backend(g._device).xp, y._data, g._data, d), g._device),)
    return grad


formula("softmax", saves=(), saves_output=True)(_softmax_like_grad(_softmax_b, _SOFTMAX_BACKWARD))
formula("log_softmax", saves=(), saves_output=True)(_softmax_like_grad(_log_softmax_b, _LOG_SOFTMAX_BACKWARD))


# ---------------------------------------------------------------- rrelu
def _rrelu_k(xp, x, r, slope):
    """Training: ``r`` holds uniform draws in [lower, upper]; the slope (the saved "noise") is the
    draw where x <= 0 and 1 elsewhere, as ATen's ``rrelu_with_noise``. Eval: leaky_relu with the
    mean slope (no noise)."""
    if r is None:
        return xp.where(x > 0, x, x * x.dtype.type(slope)), None
    noise = xp.where(x <= 0, r, xp.ones((), x.dtype))
    return x * noise, noise


def rrelu_op(input, lower, upper, training, inplace=False, generator=None):
    check_tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    a = input._data
    if a.dtype.kind != "f":
        kernel = "rrelu_with_noise_out_cpu" if training else "leaky_relu_cpu"
        from tensorgraft.ops._frontend import _type_name
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(a.dtype)}'")
    r = None
    if training:
        # drawn on the input's device, by ``generator`` (torch.rrelu's) or that device's default one
        from tensorgraft.ops.creation import empty_like
        r = empty_like(input).uniform_(lower, upper, generator=generator)._data
    out, noise = _RRELU.table[input._device.type](a, r, (lower + upper) / 2)
    res = wrap(out, input._device)
    if input._requires_grad and gs.enabled:
        record(_RRELU, res, (input,), {"noise": noise, "lower": lower, "upper": upper, "training": training},
               node_name="RreluWithNoiseBackward1" if inplace else None)
    return res


_RRELU = nnop("rrelu_with_noise", _rrelu_k, rrelu_op, node="RreluWithNoiseBackward0")


def _rrelu_b(xp, x, g, noise, lower, upper, training):
    if training and upper - lower > 1e-6:
        return g * noise
    # eval, or a range too narrow to be random: leaky_relu's derivative with the mean slope
    return _leaky_b(xp, x, g, (lower + upper) / 2)


_RRELU_BACKWARD = _backward_op("rrelu_with_noise", _rrelu_b, "RreluWithNoiseBackwardBackward0")


@formula("rrelu_with_noise", saves=(0,))
def _rrelu_grad(node, g):
    x = node.inputs[0]
    a = node.attrs
    args = (a["noise"], a["lower"], a["upper"], a["training"])
    if gs.enabled:
        if node.name() == "RreluWithNoiseBackward1":
            # the in-place variant differentiates from its result, so the gradient's node hangs
            # on this node (as PyTorch's); the result has x's sign, so the same masks apply
            from tensorgraft.device import get_backend
            xp = get_backend(x._device).xp
            res = x._data * a["noise"] if a["noise"] is not None else _leaky_f(xp, x._data, (a["lower"] + a["upper"]) / 2)
            x = _result_alias(node, res, x._device)
        return (_RRELU_BACKWARD(x, g, *args),)
    from tensorgraft.device import get_backend
    return (wrap(_rrelu_b(get_backend(x._device).xp, x._data, g._data, *args), g._device),)


# ---------------------------------------------------------------- prelu
# One node (PreluKernelBackward0) over the input and the weight already viewed to broadcast
# against it, as ATen records it; with create_graph=True both gradients come from one node of their
# own (PreluKernelBackwardBackward0, over the output gradient, the input and the weight).
def _prelu_k(xp, x, w):
    return xp.where(x > 0, x, x * w)


def prelu_op(input, weight_view):
    same_device("_prelu_kernel", input, weight_view)
    out = wrap(_PRELU.table[input._device.type](input._data, weight_view._data), input._device)
    if gs.enabled and (input._requires_grad or weight_view._requires_grad):
        record(_PRELU, out, (input, weight_view), None)
    return out


_PRELU = nnop("prelu", _prelu_k, prelu_op, node="PreluKernelBackward0")


def _sum_to(t, shape):
    """``t`` summed over the dims it was broadcast along to reach its shape from ``shape``."""
    if tuple(t.shape) == tuple(shape):
        return t
    return t.sum_to_size(*shape) if len(shape) else t.sum()


def _prelu_b(xp, x, w, g):
    flat = x <= 0
    gw = xp.where(flat, g * x, xp.zeros((), g.dtype))
    lead = gw.ndim - w.ndim
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(w.shape) if n == 1 and gw.shape[lead + i] != 1)
    if axes:
        gw = gw.sum(axis=axes, keepdims=True).reshape(w.shape)
    return xp.where(flat, g * w, g), gw


def prelu_backward_op(grad, input, weight_view):
    """Both gradients of prelu for ``grad``, as tensors of one node when recorded."""
    gx, gw = _PRELU_BACKWARD.table[grad._device.type](input._data, weight_view._data, grad._data)
    gx, gw = wrap(gx, grad._device), wrap(gw, grad._device)
    if gs.enabled and (grad._requires_grad or input._requires_grad or weight_view._requires_grad):
        Tensor._autograd.record_multi(_PRELU_BACKWARD, (gx, gw), (grad, input, weight_view), None)
    return gx, gw


_PRELU_BACKWARD = nnop("prelu_backward", _prelu_b, prelu_backward_op, node="PreluKernelBackwardBackward0")


@formula("prelu", saves=(0, 1))
def _prelu_grad(node, g):
    x, w = node.inputs
    nx, nw = node.needs_input_grad
    if gs.enabled:
        gx, gw = prelu_backward_op(g, x, w)
    else:
        from tensorgraft.device import get_backend
        gx, gw = _prelu_b(get_backend(g._device).xp, x._data, w._data, g._data)
        gx, gw = wrap(gx, g._device), wrap(gw, g._device)
    return gx if nx else None, gw if nw else None


@formula("prelu_backward")
def _prelu_grad_of_grad(node, grads):
    # gx = where(x > 0, g, g w) and gw = sum over the broadcast dims of where(x > 0, 0, g x): both
    # bilinear, with a mask that is flat in x
    import tensorgraft as tg
    g, x, w = node.inputs
    ggx, ggw = grads
    need_g, need_x, need_w = node.needs_input_grad
    flat = x <= 0
    zero = g.new_zeros(())
    if ggx is None:
        ggx = tg.zeros_like(g)
    from_w = ggx * w if ggw is None else ggx * w + x * ggw
    d_g = tg.where(flat, from_w, ggx) if need_g else None
    d_x = (tg.zeros_like(x) if ggw is None else tg.where(flat, g * ggw, zero)) if need_x else None
    d_w = _sum_to(tg.where(flat, g * ggx, zero), tuple(w.shape)) if need_w else None
    return d_g, d_x, d_w


_prelu_grad_of_grad.multi_output = True


# ---------------------------------------------------------------- glu
# ``a * sigmoid(b)`` for the two halves of ``dim``: one node (GluBackward0) as in ATen, and its
# gradient, with create_graph=True, one node of its own (GluBackwardBackward0).
def _glu_k(xp, x, dim):
    a, b = xp.split(x, 2, axis=dim)
    return a * _sig(xp, b)


def glu_op(input, dim):
    out = wrap(_GLU.table[input._device.type](input._data, dim), input._device)
    if gs.enabled and input._requires_grad:
        record(_GLU, out, (input,), {"dim": dim})
    return out


_GLU = nnop("glu", _glu_k, glu_op, node="GluBackward0")


def _glu_b(xp, x, g, dim):
    a, b = xp.split(x, 2, axis=dim)
    s = _sig(xp, b)
    return xp.concatenate([g * s, g * a * s * (1 - s)], axis=dim)


def _glu_adjoint(x, gg, dim):
    a, b = x.chunk(2, dim)
    gga, ggb = gg.chunk(2, dim)
    s = b.sigmoid()
    return gga * s + ggb * a * s * (1 - s)


def _glu_dd(x, g, gg, dim):
    import tensorgraft as tg
    a, b = x.chunk(2, dim)
    gga, ggb = gg.chunk(2, dim)
    s = b.sigmoid()
    ds = s * (1 - s)
    return tg.cat([ggb * g * ds, g * ds * (gga + ggb * a * (1 - 2 * s))], dim)


_GLU_BACKWARD = _backward_op("glu", _glu_b, "GluBackwardBackward0", _glu_dd, _glu_adjoint)


@formula("glu", saves=(0,))
def _glu_grad(node, g):
    x = node.inputs[0]
    dim = node.attrs["dim"]
    if gs.enabled:
        return (_GLU_BACKWARD(x, g, dim),)
    from tensorgraft.device import get_backend
    return (wrap(_glu_b(get_backend(x._device).xp, x._data, g._data, dim), g._device),)
