"""Carrying tangents through every call made while a dual level is entered.

PyTorch has a forward-mode formula per op. tensorgraft derives each op's Jacobian-vector product
from its reverse-mode formulas instead, with the double-vjp identity: for an op ``y = f(x)``,
``u -> J^T u`` is linear in the cotangent ``u``, so differentiating it with respect to ``u`` along
the tangent ``t`` gives ``J t``. That needs every op's backward to be differentiable (it is: the
same property double backward and ``tensorgraft.func.jvp`` rely on), and costs about two backward
passes of the op per call — the price of having no second table of formulas to keep in step.

The calls are caught by an internal ``TorchFunctionMode`` (``ForwardADMode``) kept under any mode
a program enters; a call without dual arguments goes straight through. For a call with one:

- the op runs on the real arguments as usual (aliasing, in-place effects, ``grad_fn``, random
  numbers: what the program sees does not change), and a *shadow* of it runs on differentiable
  stand-ins of the dual arguments, from which the tangents of the outputs come;
- a view of a dual tensor gets the same view of its tangent (so the two stay linked), computed by
  applying the call to the tangent — every view op is linear;
- an in-place op (``x.add_(d)``, ``x[0] = d``) writes the new tangent into the target's existing
  tangent, so tangents shared with ``make_dual`` or with views see the change (``out=`` is refused,
  as PyTorch refuses it);
- an op that draws random numbers draws the same ones in the shadow (the generator is rewound),
  so ``dropout`` of a dual tensor gets the tangent of the mask it applied.

The common ops have forward formulas (``_rules.py``) and skip the shadow. The handler runs on every
call of a program inside a level, so it keeps its per-call work small: how a function is handled is
worked out once per function, and where nothing can override a call (plain Tensors, no other mode)
it calls the implementation behind the function's dispatch wrapper, as the wrapper itself would.
"""
from __future__ import annotations

import ctypes
import re

import tensorgraft as tg
from tensorgraft._C import state as _dispatch_state
from tensorgraft.overrides import TorchFunctionMode
from tensorgraft.overrides._dispatch import public_name
from tensorgraft.random import default_generator_for
from tensorgraft.tensor import Tensor

from . import _tangents
from ._rules import RULES, tangent_by_rule, unaliased
from ._tangents import set_tangent, tangent_of

# Calls whose results carry no tangent although they may share memory with a dual argument
_NO_TANGENT = frozenset({"torch.Tensor.detach", "torch.detach", "torch.Tensor.data.__get__", "torch.Tensor.__deepcopy__",
                         "torch.Tensor.detach_"})

# Calls that return what they were given, or facts about it, never a new value with a tangent:
# they run without the random-generator bookkeeping
_QUERIES = frozenset({"size", "dim", "numel", "item", "tolist", "stride", "is_floating_point", "is_complex",
                      "element_size", "data_ptr", "storage_offset", "is_contiguous", "__len__", "__bool__",
                      "__format__", "__repr__", "__index__", "__int__", "__float__", "__complex__", "__get__",
                      "__contains__", "numpy", "__array__", "ndimension", "nelement", "requires_grad_",
                      "retain_grad", "untyped_storage", "__reduce_ex__", "get_device", "is_set_to", "equal",
                      "allclose", "isclose", "__eq__", "__ne__", "eq", "ne", "lt", "le", "gt", "ge", "__lt__", "__le__",
                      "__gt__", "__ge__", "argmax", "argmin", "argsort", "nonzero", "isnan", "isinf", "isfinite"})
_GET_TANGENT = frozenset({"torch.Tensor.T.__get__", "torch.Tensor.mT.__get__", "torch.Tensor.H.__get__",
                          "torch.Tensor.mH.__get__", "torch.Tensor.real.__get__", "torch.Tensor.imag.__get__"})

# In-place ops whose names do not end in one underscore (operators arrive as ``Tensor.add_`` & co.)
_INPLACE_NAMES = frozenset({"__setitem__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__",
                            "__imatmul__"})
_NOT_INPLACE = frozenset({"requires_grad_", "retain_grad", "share_memory_", "detach_", "set_", "resize_",
                          "resize_as_", "pin_memory", "record_stream"})


class ForwardADMode(TorchFunctionMode):
    """Internal: propagates tangents while a dual level is entered (hidden from the mode stack a
    program can read)."""

    _internal = True

    def __torch_function__(self, func, types, args=(), kwargs=None):
        try:
            kind, name, impl = _kinds[func]
        except (KeyError, TypeError):
            kind, name, impl = _kind_of(func)
        if kwargs is None:
            kwargs = {}
        # No argument overrides the call (``types`` lists overriding types, and plain Tensor for the
        # Python-flavoured functions) and no mode is left on: the function's dispatch wrapper would
        # call its implementation straight away, so call that (~0.5 µs a call)
        run = impl if impl is not None and (not types or types == _PLAIN_TYPES) and not _dispatch_state.modes else func
        duals = _dual_arguments(args, kwargs)
        if not duals:
            return run(*args, **kwargs)
        if kind == _OP_CALL:
            if kwargs and kwargs.get("out") is not None:
                _refuse_out(name)
            if name in RULES:
                return _call_by_rule(func, run, name, args, kwargs, duals)
        return _call_with_tangents(func, run, kind, name, args, kwargs, duals)


_PLAIN_TYPES = (Tensor,)


def _dual_arguments(args, kwargs) -> dict:
    """id -> (tensor, tangent) for the arguments (and items of list/tuple arguments) with a tangent."""
    found = {}
    level = _tangents.current
    if level is None:
        return found
    get = level.table.get
    for v in args:
        if isinstance(v, Tensor):
            entry = get(id(v))  # (tangent_of's first step, inline: it is most calls' only one)
            tangent = entry[1] if entry is not None and entry[0]() is v else tangent_of(v)
            if tangent is not None:
                found[id(v)] = (v, tangent)
        elif isinstance(v, (list, tuple)):
            _note_items(v, found)
    if kwargs:
        for v in kwargs.values():
            if isinstance(v, Tensor):
                _note(v, found)
            elif isinstance(v, (list, tuple)):
                _note_items(v, found)
    return found


def _note_items(items, found) -> None:
    for item in items:
        if isinstance(item, Tensor):
            _note(item, found)


def _note(t, found) -> None:
    if id(t) not in found:
        tangent = tangent_of(t)
        if tangent is not None:
            found[id(t)] = (t, tangent)


def _flat(result) -> list:
    """The tensors of a result, by position: a tensor, or the items of a tuple/list (a named tuple too)."""
    if isinstance(result, Tensor):
        return [result]
    if isinstance(result, (tuple, list)):
        return [r if isinstance(r, Tensor) else None for r in result]
    return []


def _differentiable(t) -> bool:
    return isinstance(t, Tensor) and (t.is_floating_point() or t.is_complex())


# func -> (how its calls are handled, its name, the implementation behind its dispatch wrapper or
# None), worked out on a function's first call: the name checks cost ~1.5 µs a call otherwise. The
# rule itself is looked up on every call (RULES may change: tests take rules out to compare with
# the general path). A plugin that binds an op again makes a new wrapper, hence a new entry.
_NO_TANGENT_CALL, _GET_TANGENT_CALL, _QUERY_CALL, _INPLACE_CALL, _OP_CALL = range(5)
_kinds: dict = {}


def _kind_of(func) -> tuple:
    try:
        kind = _kinds.get(func)
    except TypeError:  # (an unhashable callable: worked out on each call)
        return _classify(func)
    if kind is None:
        if len(_kinds) > 4096:  # (functions made on the fly and handed to handle_torch_function: kept bounded)
            _kinds.clear()
        kind = _kinds[func] = _classify(func)
    return kind


def _classify(func) -> tuple:
    name = getattr(func, "__name__", "")
    full = public_name(func)
    if full in _NO_TANGENT:
        kind = _NO_TANGENT_CALL
    elif full in _GET_TANGENT:
        kind = _GET_TANGENT_CALL
    elif name in _QUERIES:
        kind = _QUERY_CALL
    elif name in _INPLACE_NAMES or (name.endswith("_") and not name.endswith("__") and name not in _NOT_INPLACE):
        kind = _INPLACE_CALL
    else:
        kind = _OP_CALL
    return kind, name, getattr(func, "__torch_function_wrapped__", None)


def _call_with_tangents(func, run, kind, name, args, kwargs, duals):
    """``func`` called with dual arguments; ``run`` is ``func`` or, where nothing can override the
    call, the implementation it dispatches to."""
    if kind == _NO_TANGENT_CALL:
        result = func(*args, **kwargs)
        for o in _flat(result):
            if o is not None:
                set_tangent(o, None)  # not even a share of the base's tangent
        return result
    if kind == _GET_TANGENT_CALL:
        return _view_of_dual(func, args, kwargs, duals, func(*args, **kwargs))
    if kind == _QUERY_CALL:
        return run(*args, **kwargs)
    if kwargs and kwargs.get("out") is not None:
        _refuse_out(name)
    if kind == _INPLACE_CALL:
        if args and isinstance(args[0], Tensor):
            return _inplace(func, args, kwargs, duals)
    if name in RULES:
        return _call_by_rule(func, run, name, args, kwargs, duals)
    rng = _RandomState(kwargs, duals)
    return _tangents_by_shadow(func, args, kwargs, duals, func(*args, **kwargs), rng)


def _call_by_rule(func, run, name, args, kwargs, duals):
    """A deterministic op with a forward formula (no generator bookkeeping): its result, with the
    formula's tangent, or the general path's where the formula does not apply."""
    result = run(*args, **kwargs)
    tangent = tangent_by_rule(func, name, args, kwargs, result, duals, run)
    if tangent is not None:
        set_tangent(result, tangent)
        return result
    return _tangents_by_shadow(func, args, kwargs, duals, result, None)


def _refuse_out(name):
    raise NotImplementedError(f"Trying to use forward AD with {name}_out that does not support it because it is an "
                              "out= function")


def _tangents_by_shadow(func, args, kwargs, duals, result, rng):
    """The general path, once the op has run (``rng``: the generators' state from before it ran,
    None for an op known to draw nothing)."""
    outs = _flat(result)
    if not any(_differentiable(o) for o in outs):
        return result
    first = args[0] if args else None
    if any(o is first for o in outs):
        return result  # returned its argument (``x.to(x.dtype)``, ``contiguous()``): its tangent stands
    if id(first) in duals and any(o is not None and o._base is not None and (o._base is first or o._base is first._base)
                                  for o in outs):
        return _view_of_dual(func, args, kwargs, duals, result)
    # the shadow draws what the real run drew: rewind the generators it moved, then put them back
    if rng is not None:
        rng.after_real_run()
    drew = rng is not None and rng.drew()
    if drew:
        rng.rewind()
    tangents = _shadow_tangents(func, args, kwargs, duals)
    if drew:
        rng.forward()
    for o, tangent in zip(outs, tangents):
        if o is not None and tangent is not None:
            set_tangent(o, tangent)
    return result


def _view_of_dual(func, args, kwargs, duals, result):
    """A view of a dual tensor: its tangent is the same view of the tangent (views are linear). Every
    tensor argument is replaced — a dual one by its tangent, another floating one by zeros — so a
    view op of several tensors (``broadcast_tensors``, ``meshgrid``) gives each output its own
    operand's tangent, not a view of that operand's values."""
    viewed = func(*_tangent_arguments(args, duals), **_tangent_arguments(kwargs, duals))
    for o, t in zip(_flat(result), _flat(viewed)):
        if _differentiable(o) and t is not None and tuple(t.shape) == tuple(o.shape):
            set_tangent(o, t)
    return result


def _tangent_arguments(value, duals):
    if isinstance(value, Tensor):
        entry = duals.get(id(value))
        if entry is not None:
            return entry[1]
        return tg.zeros_like(value) if _differentiable(value) else value
    if isinstance(value, dict):
        return {k: _tangent_arguments(v, duals) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_tangent_arguments(v, duals) for v in value)
    return value


def _inplace(func, args, kwargs, duals):
    """An op that writes into its first argument: the shadow runs first on a copy (it needs the
    values from before the write), then the op itself (drawing what the shadow drew); the target's
    tangent is then updated in place."""
    target = args[0]
    rng = _RandomState(kwargs, duals)
    tangent, = _shadow_tangents(func, args, kwargs, duals, inplace_target=target)
    rng.rewind()
    result = func(*args, **kwargs)
    if _differentiable(target):
        _write_tangent(target, tangent)
    return result


def _write_tangent(target, tangent) -> None:
    old = tangent_of(target)
    base = target._base
    if old is None and base is not None and tangent_of(base) is None and base.is_contiguous():
        # writing into a view of a tensor without a tangent gives the whole base one (zeros
        # elsewhere), which the view's tangent is a window of
        set_tangent(base, tg.zeros(base.shape, dtype=base.dtype, device=base.device))
        old = tangent_of(target)
    if tangent is None:
        if old is None:
            return
        tangent = tg.zeros_like(old)
    if old is not None and tuple(old.shape) == tuple(tangent.shape) and not (old.requires_grad and old.is_leaf):
        # in place: ``make_dual``'s tangent object and the tangents of views see the write
        with tg.set_grad_enabled(tangent.requires_grad and tg.is_grad_enabled()):
            old.copy_(tangent)
        return
    set_tangent(target, tangent)


class _RandomState:
    """Rewinds the random generators an op may draw from, so that the shadow run draws what the
    real run drew: the CPU default generator, the default generator of another device an argument
    is on, and a ``generator=`` argument."""

    def __init__(self, kwargs, duals):
        gens = [tg.default_generator]
        for t, _ in duals.values():
            if t.device.type not in ("cpu", "meta"):
                g = default_generator_for(t.device)
                if all(g is not seen for seen in gens):
                    gens.append(g)
        g = kwargs.get("generator")
        if g is not None and all(g is not seen for seen in gens):
            gens.append(g)
        self.before = [(g, _state(g)) for g in gens]
        self.after = None

    def after_real_run(self) -> None:
        self.after = [(g, _state(g)) for g, _ in self.before]

    def rewind(self) -> None:
        for g, s in self.before:
            _restore(g, s)

    def drew(self) -> bool:
        return any(not _same_state(a, b) for (_, a), (_, b) in zip(self.before, self.after))

    def forward(self) -> None:
        for g, s in self.after:
            _restore(g, s)


def _state(g):
    stream = g._stream
    bits = getattr(stream, "_bits", None)
    if bits is not None:  # the CPU stream: its twister's memory, copied raw (0.5 us; its state dict: 30 us)
        address = _raw_state_address(bits)
        raw = ctypes.string_at(address, _MT_STATE_BYTES) if address is not None else bits.state
        return (bits, raw, stream.normal_cache, stream._float_normal_cache)
    return g.get_state()


def _restore(g, s) -> None:
    if isinstance(s, tuple):
        stream = g._stream
        bits, raw, stream.normal_cache, stream._float_normal_cache = s
        if stream._bits is not bits:  # (reseeded meanwhile: nothing to rewind to)
            return
        if isinstance(raw, bytes):
            ctypes.memmove(_raw_state_address(bits), raw, _MT_STATE_BYTES)
        else:
            bits.state = raw
    else:
        g.set_state(s)


def _same_state(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        if isinstance(a[1], bytes):
            return a[1] == b[1] and a[2:] == b[2:]
        sa, sb = a[1]["state"], b[1]["state"]
        return sa["pos"] == sb["pos"] and a[2:] == b[2:] and bool((sa["key"] == sb["key"]).all())
    if isinstance(a, tuple) or isinstance(b, tuple):
        return False
    return bool((a == b).all())


# NumPy's MT19937 keeps its state in a C struct (624 uint32 words, then the int position); copying
# that memory is the cheap snapshot. The layout is checked once against the public state, and the
# public state is used if it ever differs.
_MT_STATE_BYTES = 624 * 4 + 4
_raw_layout_ok = None


def _raw_state_address(bits):
    global _raw_layout_ok
    if _raw_layout_ok is None:
        try:
            import numpy as np
            address = bits.ctypes.state_address
            raw = ctypes.string_at(address, _MT_STATE_BYTES)
            public = bits.state["state"]
            _raw_layout_ok = bool((np.frombuffer(raw, np.uint32, 624) == public["key"]).all()) and \
                int.from_bytes(raw[-4:], "little", signed=True) == int(public["pos"])
        except (AttributeError, KeyError, TypeError, ValueError):
            _raw_layout_ok = False
    return bits.ctypes.state_address if _raw_layout_ok else None


def _differentiable_input(t):
    """What the shadow differentiates with respect to, for a dual tensor ``t``: ``t`` itself when it
    already requires grad (so the tangent stays differentiable with respect to ``t``'s history),
    else a detached leaf."""
    return t if t.requires_grad else t.detach().requires_grad_()


def _shadow_tangents(func, args, kwargs, duals, inplace_target=None):
    """The tangents of the op's outputs (of ``inplace_target`` after the write, for an in-place op),
    from a shadow run on stand-ins: ``J t`` by the double-vjp identity (see the module docstring)."""
    grad_enabled = tg.is_grad_enabled()
    with tg.enable_grad():
        wrt, stand_ins = {}, {}
        for key, (t, _) in duals.items():
            wrt[key] = _differentiable_input(t)
            # the shadow of an in-place op writes into a copy (the gradient is still taken with
            # respect to the value before the write)
            stand_ins[key] = wrt[key].clone() if t is inplace_target else wrt[key]
        if inplace_target is not None and id(inplace_target) not in stand_ins:
            stand_ins[id(inplace_target)] = inplace_target.detach().clone()  # (a target without a tangent)

        def swap(v):
            if isinstance(v, Tensor):
                return stand_ins.get(id(v), v)
            if isinstance(v, (list, tuple)) and any(isinstance(i, Tensor) for i in v):
                items = [swap(i) for i in v]
                return type(v)(*items) if hasattr(v, "_fields") else type(v)(items)
            return v
        shadow_args = [swap(a) for a in args]
        shadow_kwargs = {k: swap(v) for k, v in kwargs.items()}
        shadow = func(*shadow_args, **shadow_kwargs)
        shadow_outs = [swap(inplace_target)] if inplace_target is not None else _flat(shadow)
        positions = [i for i, o in enumerate(shadow_outs) if _differentiable(o) and o.requires_grad]
        tangents = [None] * len(shadow_outs)
        if not positions:
            return tangents
        keys = list(wrt)
        # ``u -> J^T u`` is linear, so where ``u`` sits does not matter: ones rather than zeros, as
        # some backward formulas compute with ``log|u|`` (logcumsumexp's) and are NaN at 0
        cotangents = [tg.ones_like(shadow_outs[i], requires_grad=True) for i in positions]
        _tangents.deriving_tangent += 1
        try:
            vjps = tg.autograd.grad([shadow_outs[i] for i in positions], [wrt[k] for k in keys], cotangents,
                                    create_graph=True, allow_unused=True)
        except (RuntimeError, NotImplementedError) as exc:
            refusal = _no_forward_derivative(exc)
            if refusal is None:
                raise
            raise refusal from None
        finally:
            _tangents.deriving_tangent -= 1
        pairs = [(g, duals[k][1]) for g, k in zip(vjps, keys) if g is not None and g.requires_grad]
        keep_graph = False
        if pairs:
            keep_graph = grad_enabled and (any(t.requires_grad for t, _ in duals.values())
                                           or any(tan.requires_grad for _, tan in pairs))
            products = tg.autograd.grad([g for g, _ in pairs], cotangents,
                                        [_like(tan, g) for g, tan in pairs], create_graph=keep_graph,
                                        allow_unused=True)
        else:
            products = [None] * len(positions)
    for i, p in zip(positions, products):
        o = shadow_outs[i]
        if p is None:
            p = tg.zeros_like(o)
        elif not keep_graph:
            p = unaliased(p.detach(), duals)
        tangents[i] = p
    return tangents


_NO_DERIVATIVE = re.compile(r"derivative for aten::(\w+) is not implemented$")
_DERIVATIVE_NOT_WRITTEN = re.compile(r"the derivative for '([\w.]+)(?:: \w+)?' is not implemented\.")
# where PyTorch's forward-AD message names the op otherwise than its backward's
_FORWARD_NAMES = {"zeta": "special_zeta"}


def _no_forward_derivative(exc):
    """PyTorch's error for an op without a forward derivative, from the error its backward raised
    in the shadow run: an op with no derivative at all (its node is ``NotImplemented``: ``x // y``,
    ``histogram``) names the aten op; one whose derivative is not written yet (igamma's, unique's)
    says so. None for any other error."""
    text = str(exc)
    m = _NO_DERIVATIVE.search(text)
    if m is not None:
        return NotImplementedError(f"Trying to use forward AD with aten::{m.group(1)} that does not support it.")
    m = _DERIVATIVE_NOT_WRITTEN.search(text)
    if m is not None:
        name = _FORWARD_NAMES.get(m.group(1), m.group(1))
        return NotImplementedError(f"Trying to use forward AD with {name} that does not support it because it has "
                                   "not been implemented yet.")
    return None


def _like(tangent, g):
    """The tangent in the dtype and device of the gradient it pairs with (a float64 tangent of a
    float32 primal, as ``make_dual`` allows)."""
    if tangent.dtype != g.dtype or tangent.device != g.device:
        return tangent.to(dtype=g.dtype, device=g.device)
    return tangent

