"""``cond`` and ``while_loop``: PyTorch's structured control-flow operators, run eagerly.

PyTorch runs them eagerly only for a Python-constant predicate; otherwise it compiles them, and the
compiler is what checks that the two branches (or the loop body and its carried values) agree in
structure, rank and dtype and do not return their inputs. tensorgraft has no compiler, so it runs
the taken branch (the loop body) as ordinary code -- autograd records the ops it runs, the same
gradients PyTorch's ``CondAutogradOpBackward`` gives -- and makes those checks itself, with
PyTorch's wording:

- ``cond``: the branch not taken is run on "meta" copies of the operands (shapes and dtypes, no
  values, no graph), standing in for PyTorch's fake-tensor tracing. Where that run cannot be made
  (the branch reads a value, or mixes in a tensor of its own on another device) the comparison is
  skipped: the taken branch's result is right either way.
- ``while_loop``: every iteration's outputs are compared with the carried values.
"""
from __future__ import annotations

from .grad_mode import no_grad
from .tensor import Tensor
from .utils._pytree import tree_flatten, tree_map

__all__ = ["cond", "while_loop", "_assert"]


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``.

    Args:
        pred (bool or Tensor): a boolean expression or a tensor with one element.
        true_fn, false_fn (Callable): the branches; they take ``operands`` and must return the same
            structure of tensors with the same rank and dtype.
        operands (tuple or list of possibly nested dict/list/tuple of tensors): the branches' inputs.
    """
    if isinstance(pred, (bool, int, float)):  # PyTorch's eager case: no checks, just the branch
        return true_fn(*operands) if pred else false_fn(*operands)
    if not isinstance(pred, Tensor):
        raise RuntimeError(f"Expected pred to be bool or tensor, but got {pred}.")
    if pred.numel() != 1:
        raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got {pred}.")
    if not callable(true_fn) or not callable(false_fn):
        raise RuntimeError("Expect both branches to be callable.")
    if not isinstance(operands, (tuple, list)) or not all(isinstance(t, Tensor) for t in tree_flatten(operands)[0]):
        raise RuntimeError("Expect operands to be a tuple of possibly nested dict/list/tuple that only "
                           f"consists of tensor leaves, but got {operands}.")
    taken, other = (true_fn, false_fn) if bool(pred) else (false_fn, true_fn)
    out = taken(*operands)
    _check_no_aliasing("torch.cond", operands, out)
    other_out = _abstract_run(other, operands)
    if other_out is not _UNKNOWN:
        true_out, false_out = (out, other_out) if bool(pred) else (other_out, out)
        _check_branches_agree(true_out, false_out)
    return out


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run ``carried_inputs = body_fn(*carried_inputs)`` while ``cond_fn(*carried_inputs)``.

    ``cond_fn`` returns a bool or a one-element (0-d) tensor; ``body_fn`` returns values of the
    same structure, dtypes and shapes as ``carried_inputs`` (tensors and ints). The result is the
    last ``body_fn`` result, or ``carried_inputs`` as a tuple when the loop body never ran.
    """
    if not callable(cond_fn) or not callable(body_fn):
        raise RuntimeError("Expect cond_fn and body_fn to be callable.")
    flat, _ = tree_flatten(carried_inputs)
    bad = tuple(type(a) for a in flat if not isinstance(a, (Tensor, int)))
    if bad:
        raise AssertionError(f"{flat} can only be of ({Tensor}, {int}) but got {bad}")
    if not isinstance(carried_inputs, (tuple, list)):  # (PyTorch's message, missing space included)
        raise RuntimeError("Expect carried_inputs to be a tuple of possibly nested dict/list/tuple that only"
                           f"consists of tensor or int leaves, but got {carried_inputs}.")
    carried = tuple(carried_inputs)
    result = carried
    while True:
        go = cond_fn(*carried)
        if not isinstance(go, Tensor):
            # a Python value that cannot depend on the carried values (no Python ints among them)
            # is a constant, which PyTorch's compile refuses rather than loop forever
            if go and isinstance(go, (bool, int)) and not any(isinstance(a, int) for a in flat):
                raise RuntimeError("torch.while_loop: infinite loop detected. Infinite loop detected because "
                                   f"while_loop's cond_fn always returns the same value {go}.")
        elif go.dim() != 0:
            raise RuntimeError("torch.while_loop: unsupported cond_fn return type. Expected cond_fn to return a "
                               f"scalar tensor or a bool but got {go.shape}.")
        if not go:
            return result
        result = body_fn(*carried)
        next_carried = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        _check_no_aliasing("torch.while_loop", carried, next_carried)
        _check_body_matches(next_carried, carried)
        carried = next_carried


# ----------------------------------------------------------------------------- checks

_UNKNOWN = object()


def _abstract_run(fn, operands):
    """``fn``'s outputs on meta copies of ``operands`` (shapes and dtypes only), or _UNKNOWN when
    the branch cannot run without values."""
    fake = tree_map(lambda t: t.detach().to("meta"), operands)
    try:
        with no_grad():
            return fn(*fake)
    except Exception:  # noqa: BLE001 - reading values, other devices ...: nothing to compare against
        return _UNKNOWN


def _as_outputs(out):
    """The branch outputs as PyTorch compares them: a lone value is a one-element tuple."""
    return out if isinstance(out, (tuple, list, dict)) else (out,)


def _check_branches_agree(true_out, false_out):
    true_leaves, true_spec = tree_flatten(_as_outputs(true_out))
    false_leaves, false_spec = tree_flatten(_as_outputs(false_out))
    if true_spec != false_spec:
        raise RuntimeError("torch.cond: differing branch outputs. Expected branches to return the same pytree "
                           f"structure, but got {true_spec} and {false_spec}.")
    for a, b in zip(true_leaves, false_leaves):
        if isinstance(a, Tensor) != isinstance(b, Tensor):
            raise RuntimeError("When merging two branches' output in torch.cond, expected both outputs to be "
                               f"tensors, but got {type(a).__name__} and {type(b).__name__}.")
        if not isinstance(a, Tensor):
            continue
        if a.dim() != b.dim():  # (PyTorch's double space; sizes may differ, ranks may not)
            raise RuntimeError("When merging two branches' output in torch.cond,  expected same dim but got "
                               f"{a.dim()} and {b.dim()}.")
        if a.dtype != b.dtype:
            raise RuntimeError("When merging two branches' output in torch.cond,  expected same dtype but got "
                               f"{a.dtype} and {b.dtype}.")


def _check_body_matches(outputs, carried):
    if len(outputs) != len(carried):
        raise RuntimeError("Expected body_fn_output and carried_inputs to have same number of outputs but got "
                           f"lhs:{list(outputs)} and rhs:{list(carried)}")
    for k, (a, b) in enumerate(zip(outputs, carried)):
        if isinstance(a, float) or not isinstance(a, (Tensor, int)):
            raise RuntimeError("HOP body output unsupported. HigherOrderOperator body's output must consist of "
                               f"tensors or ints/bools only but got {type(a)}.")
        if isinstance(a, Tensor) != isinstance(b, Tensor):
            raise RuntimeError("Expected body_fn_output and carried_inputs to have same metadata but found:\n"
                               f"pair[{k}] differ in type: {a!r} vs {b!r}")
        if isinstance(a, Tensor):
            for what, x, y in (("dtype", a.dtype, b.dtype), ("shape", a.shape, b.shape)):
                if x != y:
                    raise RuntimeError("Expected body_fn_output and carried_inputs to have same metadata but "
                                       f"found:\npair[{k}] differ in '{what}: {x} vs {y}'")


def _check_no_aliasing(op, inputs, outputs):
    """PyTorch refuses a branch or body that returns one of its inputs (or a view of one): the
    result would alias an input only on some paths."""
    ins = [t for t in tree_flatten(inputs)[0] if isinstance(t, Tensor)]
    for out in tree_flatten(outputs)[0]:
        if isinstance(out, Tensor) and any(out is t or _same_memory(out, t) for t in ins):
            raise RuntimeError(f"{op}: Encountered aliasing during higher order op tracing. Higher order ops do "
                               "not support aliasing. Replace `return input` with `return input.clone()` to avoid "
                               "aliasing.")


def _same_memory(a, b) -> bool:
    x, y = a._data, b._data
    base_x = x if getattr(x, "base", None) is None else x.base
    base_y = y if getattr(y, "base", None) is None else y.base
    return base_x is base_y and a.device == b.device


def _assert(condition, message):
    """``torch._assert``: Python's ``assert`` as a function, so that tracers (``torch.fx``) can record it;
    an argument with ``__torch_function__`` (a Proxy) gets to handle the call."""
    from .tensor import Tensor
    if type(condition) is not Tensor:
        from .overrides import handle_torch_function, has_torch_function
        if has_torch_function((condition,)):
            return handle_torch_function(_assert, (condition,), condition, message)
    if not condition:
        raise AssertionError(message)
