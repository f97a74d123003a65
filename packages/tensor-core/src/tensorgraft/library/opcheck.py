"""``torch.library.opcheck``: the checks PyTorch runs on a custom op, on given arguments.

- ``test_schema``: the op changes only the arguments ``mutates_args`` names, and its outputs alias
  no input;
- ``test_autograd_registration``: an op called with inputs that require grad has a gradient
  (``register_autograd``) when its outputs need one;
- ``test_faketensor``: a fake implementation is registered and returns, for ``meta`` copies of the
  arguments, outputs of the shapes and dtypes the real implementation returns;
- ``test_aot_dispatch_dynamic``: a second call gives the same values, and with autograd the same
  gradients (PyTorch traces the op here; tensorgraft has no tracer, so it checks what tracing relies
  on: a deterministic op whose fake implementation exists).
"""
from __future__ import annotations

import copy

from ..tensor import Tensor
from .custom_ops import _resolve, _tensors_in

DEFAULT_TEST_UTILS = ("test_schema", "test_autograd_registration", "test_faketensor", "test_aot_dispatch_dynamic")


class OpCheckError(Exception):
    """A check of ``opcheck`` failed (PyTorch's ``OpCheckError``)."""


def _clone_args(value):
    if isinstance(value, Tensor):
        c = value.detach().clone()
        return c.requires_grad_(value.requires_grad) if value.requires_grad else c
    if isinstance(value, (list, tuple)):
        return type(value)(_clone_args(v) for v in value)
    if isinstance(value, dict):
        return {k: _clone_args(v) for k, v in value.items()}
    return copy.copy(value)


def _to_meta(value):
    if isinstance(value, Tensor):
        from .. import empty_strided
        return empty_strided(tuple(value.shape), value.stride(), dtype=value.dtype, device="meta")
    if isinstance(value, (list, tuple)):
        return type(value)(_to_meta(v) for v in value)
    return value


def _flat_outputs(out):
    return [o for o in (out if isinstance(out, (list, tuple)) else [out])]


def _same_values(a, b) -> bool:
    import numpy as np
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.shape != b.shape or a.dtype is not b.dtype:
            return False
        x, y = a.detach().cpu().numpy(), b.detach().cpu().numpy()
        return bool(np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    return a == b


def _test_schema(op, args, kwargs):
    cloned_args, cloned_kwargs = _clone_args(args), _clone_args(kwargs)
    bound = op._bind(cloned_args, cloned_kwargs)
    before = {name: _clone_args(v) for name, v in bound.arguments.items()}
    from ..grad_mode import no_grad
    with no_grad():
        op(*cloned_args, **cloned_kwargs)  # raises itself when an output aliases an input
    for name, value in bound.arguments.items():
        changed = any(not _same_values(a, b) for a, b in zip(_tensors_in(value), _tensors_in(before[name])))
        if changed and not (op._mutates_all or name in op._mutated):
            raise RuntimeError(f"{op._qualname}: the argument '{name}' was mutated, but it is not in the op's "
                               f"mutates_args {op._mutated!r}. Add it to mutates_args, or mutate a copy")


def _test_autograd_registration(op, args, kwargs):
    tensors = [t for v in list(args) + list(kwargs.values()) for t in _tensors_in(v)]
    if not any(t.requires_grad for t in tensors) or op._backward_fn is not None:
        return
    outputs = [o for o in _flat_outputs(op(*_clone_args(args), **_clone_args(kwargs))) if isinstance(o, Tensor)]
    if any(o.requires_grad for o in outputs):
        raise RuntimeError(f"{op._qualname}: its inputs require grad and it has no autograd formula; backward "
                           "through it will fail. Please use register_autograd to add one.")


def _test_faketensor(op, args, kwargs):
    real = _flat_outputs(op(*_clone_args(args), **_clone_args(kwargs)))
    fake = _flat_outputs(op(*_to_meta(args), **{k: _to_meta(v) for k, v in kwargs.items()}))
    if len(real) != len(fake):
        raise RuntimeError(f"{op._qualname}: the fake implementation returned {len(fake)} outputs, the real one "
                           f"{len(real)}")
    for i, (r, f) in enumerate(zip(real, fake)):
        if isinstance(r, Tensor) != isinstance(f, Tensor):
            raise RuntimeError(f"{op._qualname}: output {i} is a {type(r).__name__} from the real implementation and "
                               f"a {type(f).__name__} from the fake one")
        if isinstance(r, Tensor) and (tuple(r.shape) != tuple(f.shape) or r.dtype is not f.dtype):
            raise RuntimeError(f"{op._qualname}: output {i} of the fake implementation has shape {list(f.shape)} and "
                               f"dtype {f.dtype}, the real implementation's has shape {list(r.shape)} and dtype "
                               f"{r.dtype}")


def _test_aot_dispatch_dynamic(op, args, kwargs):
    if op._fake_fn is None:
        _test_faketensor(op, args, kwargs)  # raises PyTorch's "no fake impl" error
    first_args, second_args = _clone_args(args), _clone_args(args)
    first = _flat_outputs(op(*first_args, **_clone_args(kwargs)))
    second = _flat_outputs(op(*second_args, **_clone_args(kwargs)))
    for i, (a, b) in enumerate(zip(first, second)):
        if not _same_values(a, b):
            raise RuntimeError(f"{op._qualname}: output {i} differs between two calls with the same arguments")
    if op._backward_fn is None:
        return
    grads = []
    for call_args, outs in ((first_args, first), (second_args, second)):
        diff = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
        if not diff:
            return
        total = diff[0].sum()
        for o in diff[1:]:
            total = total + o.sum()
        total.backward()
        grads.append([t.grad for v in call_args for t in _tensors_in(v) if t.requires_grad])
    for a, b in zip(*grads):
        if (a is None) != (b is None) or (a is not None and not _same_values(a, b)):
            raise RuntimeError(f"{op._qualname}: the gradients differ between two calls with the same arguments")


_TESTS = {"test_schema": _test_schema, "test_autograd_registration": _test_autograd_registration,
          "test_faketensor": _test_faketensor, "test_aot_dispatch_dynamic": _test_aot_dispatch_dynamic}


def opcheck(op, args, kwargs=None, *, test_utils=DEFAULT_TEST_UTILS, raise_exception=True, atol=None, rtol=None):
    """Run the checks named in ``test_utils`` on ``op(*args, **kwargs)``. Returns
    ``{test: "SUCCESS" or the exception}``; with ``raise_exception`` the first failure raises
    ``OpCheckError``. ``atol``/``rtol`` are accepted (the comparisons here are exact)."""
    target = _resolve(op)
    kwargs = {} if kwargs is None else kwargs
    if isinstance(test_utils, str):
        test_utils = (test_utils,)
    unknown = [t for t in test_utils if t not in _TESTS]
    if unknown:
        raise ValueError(f"opcheck: unknown test_utils {unknown}; the checks are {list(_TESTS)}")
    results = {}
    for name in test_utils:
        try:
            _TESTS[name](target, tuple(args), dict(kwargs))
            results[name] = "SUCCESS"
        except Exception as exc:
            if raise_exception:
                raise OpCheckError(f"opcheck(op, ...): {name} failed with {exc} (scroll up for stack trace)") from exc
            results[name] = exc
    return results
