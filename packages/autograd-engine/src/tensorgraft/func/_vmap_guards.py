"""What keeps a slice-by-slice ``vmap`` honest about which values are batched, installed only while
some vmap runs (the outermost one of the first busy thread installs, the last one to finish
removes; nothing here costs anything outside vmap).

``_vmap.py`` marks the memory of each slice (``_BatchedArray``) and NumPy carries the mark through
ufuncs and views, but not through everything: a kernel that ends in ``np.asarray``, ``np.where``,
a reduction to a NumPy scalar or a fresh output array drops it, so ``any``/``argmax``/``where``/
``cat``... looked unbatched (out_dims=None let them out, ``if t.any():`` ran). Two kinds of patch
fix that and add PyTorch's refusals:

- every op's CPU kernel (``OpDef.table["cpu"]``) is wrapped: when an argument is batched, the
  results are marked too (the mark follows data, never changes a value); ``nn.batch_norm`` is
  refused first when it would write batched statistics into unbatched running stats;
- the user-facing functions and methods PyTorch refuses under vmap are wrapped: reading a batched
  tensor's memory (``.numpy()``, ``np.asarray``), ops whose output shape depends on the values
  (``nonzero``, ``where(cond)``, ``unique``, ``masked_select`` over a batched mask, indexing with
  a batched boolean mask), ``equal``/``allclose``/``is_nonzero``, and in-place ops that would
  write a batched value into an unbatched tensor. Only calls made by user code are refused:
  tensorgraft's own composites run slice by slice where PyTorch has batching rules in C++.
"""
from __future__ import annotations

import re
import sys
import threading
import types
from collections import deque
from itertools import repeat as _repeat
from operator import is_ as _is

import numpy as np

from ._custom_functions import _here as _transforms_here
from ._custom_functions import every_vmap_same_randomness

__all__ = ["guards_installed", "batch_sizes", "mapped_function"]

_DYNAMIC_MSG = ("vmap: We do not support batching operators that can output dynamic shape. Attempted to vmap over "
                "aten::{}. Please file an issue at https://github.com/pytorch/pytorch/issues if you need this "
                "feature.")
_BOOL_MASK_MSG = ("vmap: We do not support batching operators that can support dynamic shape. Attempting to batch "
                  "over indexing with a boolean mask.")
_MASKED_SELECT_MSG = ("vmap: Attempted to vmap over `mask` in torch.masked_select(self, mask) We cannot support this "
                      "because for each batch this would return a differently shaped Tensor. Please file an issue at "
                      "https://github.com/pytorch/pytorch/issues if you need this feature.")
_SAME_RANDOMNESS_MSG = ("Vmap does not currently support same randomness with a batched tensor input. Please file an "
                        "issue with functorch")
_REQUIRES_GRAD_MSG = (
    "You are attempting to call Tensor.requires_grad_() (or perhaps using torch.autograd.functional.* APIs) inside of a "
    "function being transformed by a functorch transform. This is unsupported, please attempt to use the functorch "
    "transforms (e.g. grad, vjp, jacrev, jacfwd, hessian) or call requires_grad_() outside of a function being "
    "transformed instead.")
_NO_RULE_MSG = "Batching rule not implemented for aten::{}. We could not generate a fallback."
_ALLCLOSE_MSG = ("vmap over torch.allclose isn't supported yet. Please file an issue at "
                 "https://github.com/pytorch/pytorch/issues if you need this feature.")
_INPLACE_MSG = ("vmap: {name}(self, *extra_args) is not possible because there exists a Tensor `other` in extra_args "
                "that has more elements than `self`. This happened due to `other` being vmapped over but `self` not "
                "being vmapped over {where}. Please try to use out-of-place operators instead of {name}. If said "
                "operator is being called inside the PyTorch framework, please file a bug report instead.")

# How PyTorch names an in-place op in its refusal (measured): ops with their own batching rule use
# one of these names and say "in a vmap"; the others go through its fallback, which names the
# aten op and the vmap level. ``add_`` checks shapes first and fails as a broadcast would.
_ARITHMETIC = "inplace arithmetic"
_INPLACE_NAMES = {
    "sub_": _ARITHMETIC, "subtract_": _ARITHMETIC, "mul_": _ARITHMETIC, "multiply_": _ARITHMETIC,
    "div_": _ARITHMETIC, "divide_": _ARITHMETIC, "true_divide_": _ARITHMETIC, "copy_": _ARITHMETIC,
    "__isub__": _ARITHMETIC, "__imul__": _ARITHMETIC, "__itruediv__": _ARITHMETIC, "__setitem__": _ARITHMETIC,
    "masked_fill_": _ARITHMETIC,
    "fill_": "fill_", "index_put_": "index_put_", "index_add_": "index_add_", "index_fill_": "index_fill_",
    "scatter_add_": "scatter_add_",
}
_ATEN_NAMES = {"__ipow__": "pow_", "__imod__": "remainder_", "__ifloordiv__": "floor_divide_", "clip_": "clamp_",
               "clamp_min_": "clamp_", "clamp_max_": "clamp_", "__iand__": "bitwise_and_", "__ior__": "bitwise_or_",
               "__ixor__": "bitwise_xor_", "__ilshift__": "__ilshift__", "__irshift__": "__irshift__"}
_BROADCAST_CHECKED = {"add_", "__iadd__"}
# in-place methods that never take a batched value to write (or change what ``self`` is, not its values)
_NOT_WRITES = {"requires_grad_", "share_memory_", "resize_", "resize_as_", "set_", "detach_", "apply_", "map_",
               "map2_"}


class _ThisThread(threading.local):
    def __init__(self):
        self.sizes = []  # batch size of each running vmap, outermost first


_here = _ThisThread()


def batch_sizes():
    """The batch sizes of this thread's running vmaps (a list the caller pushes to and pops)."""
    return _here.sizes


# --------------------------------------------------------------------------- batched values
def _batched_array_type():
    from ._vmap import _BatchedArray
    return _BatchedArray


_BA = None  # _BatchedArray, set on install (``_vmap`` imports this module)


def _any_batched(values) -> bool:
    for v in values:
        if isinstance(v, _BA):
            return True
        if isinstance(v, (list, tuple)):
            for w in v:
                if isinstance(w, _BA):
                    return True
    return False


def _any_item_batched(values) -> bool:
    # (one level only, as ``_any_batched`` looks into a list argument)
    for w in values:
        if isinstance(w, _BA):
            return True
    return False


def _mark(out):
    cls = out.__class__
    if cls is np.ndarray:
        return out.view(_BA)
    if cls is tuple:
        return tuple([_mark(o) for o in out])
    if cls is list:
        return [_mark(o) for o in out]
    if isinstance(out, np.generic):  # a reduction to a NumPy scalar: kept as a marked 0-d array
        return np.asarray(out).view(_BA)
    return out


def _is_batched_tensor(t) -> bool:
    from tensorgraft.tensor import Tensor
    return isinstance(t, Tensor) and isinstance(t._data, _BA)


def _batched_tensor_in(values) -> bool:
    for v in values:
        if _is_batched_tensor(v):
            return True
        if isinstance(v, (list, tuple)) and any(_is_batched_tensor(w) for w in v):
            return True
    return False


def _from_user(depth=2) -> bool:
    """Whether the wrapped function was called by code outside tensorgraft (``depth`` 2: the
    caller of the wrapper that calls this)."""
    module = sys._getframe(depth).f_globals.get("__name__") or ""
    return not (module == "tensorgraft" or module.startswith("tensorgraft."))


# --------------------------------------------------------------------------- kernels
def _refuse_batch_norm(args, kwargs):
    # (x, weight, bias, running_mean, running_var, training, momentum, eps): a training batch norm
    # writes each slice's statistics into running stats that are the same for every slice
    x, rm, rv, training = args[0], args[3], args[4], args[5]
    if training and rm is not None and isinstance(x, _BA) and not (isinstance(rm, _BA) and isinstance(rv, _BA)):
        from ._vmap import _BN_NOT_BATCHED_MSG
        raise RuntimeError(_BN_NOT_BATCHED_MSG)


_KERNEL_REFUSALS = {"nn.batch_norm": _refuse_batch_norm}


def _marking_kernel(kernel, refuse):
    # (every kernel call goes through here while a vmap runs: ``innermost_vmap() is None`` is read
    # inline, as this thread's stack of running vmaps being empty, and ``_any_batched(args)`` is
    # inlined too, with the class and the thread's state bound once: ~0.3 us less per kernel call)
    here = _transforms_here
    batched_class = _BA if _BA is not None else _batched_array_type()
    sequence = (list, tuple)

    def kernel_under_vmap(*args, **kwargs):
        if not here.vmap_randomness:
            return kernel(*args, **kwargs)
        for v in args:
            if isinstance(v, batched_class) or (isinstance(v, sequence) and _any_item_batched(v)):
                break
        else:
            if not (kwargs and _any_batched(kwargs.values())):
                return kernel(*args, **kwargs)
        if refuse is not None:
            refuse(args, kwargs)
        return _mark(kernel(*args, **kwargs))
    kernel_under_vmap.__wrapped__ = kernel
    return kernel_under_vmap


# --------------------------------------------------------------------------- user-facing functions
_checks_of = {}  # original function -> its check, while the patches are in place


def mapped_function(func):
    """What vmap calls for the user's ``func``: ``func`` itself, or, when it is one of the patched
    functions passed directly (``vmap(torch.nonzero)``, ``vmap(t.copy_)``: the object taken before
    the patches went in), the function with its check, which vmap's own frame would otherwise
    count as an internal call."""
    target, bound = (func.__func__, (func.__self__,)) if isinstance(func, types.MethodType) else (func, ())
    check = _checks_of.get(target) if isinstance(target, types.FunctionType) else None
    if check is None:
        return func

    def checked(*args, **kwargs):
        check(*bound, *args, **kwargs)
        return func(*args, **kwargs)
    return checked


def _refusing(func, check):
    """``func`` calling ``check(*args, **kwargs)`` first when user code calls it inside a vmap."""
    _checks_of[func] = check
    here = _transforms_here

    def under_vmap(*args, **kwargs):
        # (``innermost_vmap() is not None and _from_user()``, inlined: every call of a patched
        # method, tensorgraft's own included, passes here while a vmap runs)
        if here.vmap_randomness:
            module = sys._getframe(1).f_globals.get("__name__") or ""
            if not (module == "tensorgraft" or module.startswith("tensorgraft.")):
                check(*args, **kwargs)
        return func(*args, **kwargs)
    under_vmap.__wrapped__ = func
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        try:
            setattr(under_vmap, attr, getattr(func, attr))
        except (AttributeError, TypeError):
            pass
    return under_vmap


def _check_memory_read(self, *args, **kwargs):
    if _is_batched_tensor(self):
        from ._vmap import _NO_STORAGE_MSG, _value_read_error
        raise _value_read_error(_NO_STORAGE_MSG)


def _check_nonzero(input, *args, as_tuple=False, **kwargs):
    if _is_batched_tensor(input):
        raise RuntimeError(_NO_RULE_MSG.format("nonzero_numpy") if as_tuple else _DYNAMIC_MSG.format("nonzero"))


def _check_where(condition, *args, **kwargs):
    if not args and not kwargs and _is_batched_tensor(condition):  # where(cond): the indices of the True values
        raise RuntimeError(_DYNAMIC_MSG.format("where"))


def _check_unique(input, *args, dim=None, **kwargs):
    if _is_batched_tensor(input):
        raise RuntimeError(_DYNAMIC_MSG.format("_unique2" if dim is None else "unique_dim"))


def _check_unique_consecutive(input, *args, **kwargs):
    if _is_batched_tensor(input):
        raise RuntimeError(_DYNAMIC_MSG.format("unique_consecutive"))


def _check_masked_select(input, mask, *args, **kwargs):
    if _is_batched_tensor(mask):  # a batched input with one mask for all slices keeps one shape
        raise RuntimeError(_MASKED_SELECT_MSG)


def _check_equal(*args, **kwargs):
    if _batched_tensor_in(args) or _batched_tensor_in(kwargs.values()):
        raise RuntimeError(_NO_RULE_MSG.format("equal"))


def _check_allclose(*args, **kwargs):
    if _batched_tensor_in(args) or _batched_tensor_in(kwargs.values()):
        raise RuntimeError(_ALLCLOSE_MSG)


def _check_is_nonzero(self, *args, **kwargs):
    if _is_batched_tensor(self):
        from ._vmap import _CONTROL_FLOW_MSG, _value_read_error
        raise _value_read_error(_CONTROL_FLOW_MSG)


def _check_same_randomness(*args, **kwargs):
    """Random ops that take tensors (the probabilities of ``bernoulli``, the means of ``normal``...):
    PyTorch cannot give every slice the same draw from different inputs. (Under nested vmaps the
    mark does not say which vmap batched a value: refused only when all of them say "same".)"""
    if (_batched_tensor_in(args) or _batched_tensor_in(kwargs.values())) and every_vmap_same_randomness():
        raise RuntimeError(_SAME_RANDOMNESS_MSG)


def _check_requires_grad(*args, **kwargs):
    raise RuntimeError(_REQUIRES_GRAD_MSG)  # any tensor, either flag: PyTorch refuses the call itself


def _bool_mask_in(index) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(_is_batched_tensor(i) and i._data.dtype == np.bool_ for i in items)


def _check_getitem(self, index, *args):
    if _bool_mask_in(index):
        raise RuntimeError(_BOOL_MASK_MSG)


def _inplace_check(name):
    """The check of in-place method ``name``: a batched value written into an unbatched tensor."""
    def check(self, *args, **kwargs):
        if _is_batched_tensor(self) or not (_batched_tensor_in(args) or _batched_tensor_in(kwargs.values())):
            return
        if name == "__setitem__" and _bool_mask_in(args[0]):
            raise RuntimeError(_BOOL_MASK_MSG)
        if name in _BROADCAST_CHECKED:
            other = args[0] if args else kwargs.get("other")
            shape = list(self.shape)
            slice_shape = list(np.broadcast_shapes(tuple(shape), tuple(getattr(other, "shape", ()))))
            raise RuntimeError(f"output with shape {shape} doesn't match the broadcast shape "
                               f"{list(_here.sizes) + slice_shape}")
        label = _INPLACE_NAMES.get(name)
        if name == "masked_fill_" and not _is_batched_tensor(args[0] if args else kwargs.get("mask")):
            label = None  # only the value is batched: PyTorch's batching rule passes it to its fallback
        if label is not None:
            raise RuntimeError(_INPLACE_MSG.format(name=label, where="in a vmap"))
        label = "aten::" + _ATEN_NAMES.get(name, name)
        raise RuntimeError(_INPLACE_MSG.format(name=label, where=f"at level {len(_here.sizes)}"))
    return check


_FUNCTION_CHECKS = {"nonzero": _check_nonzero, "where": _check_where, "unique": _check_unique,
                    "unique_consecutive": _check_unique_consecutive, "masked_select": _check_masked_select,
                    "equal": _check_equal, "allclose": _check_allclose, "bernoulli": _check_same_randomness,
                    "multinomial": _check_same_randomness, "normal": _check_same_randomness,
                    "poisson": _check_same_randomness, "binomial": _check_same_randomness}
_METHOD_CHECKS = {"nonzero": _check_nonzero, "unique": _check_unique, "unique_consecutive": _check_unique_consecutive,
                  "masked_select": _check_masked_select, "equal": _check_equal, "allclose": _check_allclose,
                  "is_nonzero": _check_is_nonzero, "numpy": _check_memory_read, "__array__": _check_memory_read,
                  "__getitem__": _check_getitem, "bernoulli": _check_same_randomness,
                  "multinomial": _check_same_randomness, "requires_grad_": _check_requires_grad}
_INPLACE_METHOD = re.compile(r"^[a-z]\w*[^_]_$")
_INPLACE_DUNDERS = ("__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__",
                    "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__", "__setitem__")


# --------------------------------------------------------------------------- install / remove
_lock = threading.Lock()
_users = 0
_saved = []  # (owner, attribute or table key, original, wrapper)
_MISSING = object()
_consume = deque(maxlen=0).extend  # (runs an iterator to its end: the C loop of the bulk writes below)


def _call_get(get, name, default):
    return get(name, default)


def _patches():
    """(owner, name, wrapper-maker) for everything patched while a vmap runs."""
    import tensorgraft
    from tensorgraft.registry import registry
    from tensorgraft.tensor import Tensor
    for name in list(registry.ops):
        op = registry.ops[name]
        if op.table.get("cpu") is not None:
            yield op.table, "cpu", lambda k, n=name: _marking_kernel(k, _KERNEL_REFUSALS.get(n))
    for name, check in _FUNCTION_CHECKS.items():
        yield tensorgraft, name, lambda f, c=check: _refusing(f, c)
    checks = dict(_METHOD_CHECKS)
    for name in list(vars(Tensor)):
        if (_INPLACE_METHOD.match(name) and name not in _NOT_WRITES) or name in _INPLACE_DUNDERS:
            checks.setdefault(name, _inplace_check(name))
    for name, check in checks.items():
        if callable(vars(Tensor).get(name)):
            yield Tensor, name, lambda f, c=check: _refusing(f, c)


def _get(owner, name):
    return owner.get(name, _MISSING) if isinstance(owner, dict) else vars(owner).get(name, _MISSING)


def _set(owner, name, value):
    if isinstance(owner, dict):
        owner[name] = value
    elif value is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, value)


# What the last install patched, kept so that the next vmap call (a training loop makes one per
# step) installs the same wrappers again instead of walking the registry and building ~600 of
# them anew (~1.5 ms a call). Reused only while everything it was built from is unchanged: the
# same ops and Tensor attributes, each patched object still the original it wrapped, and the ops
# left alone (no CPU kernel) still without one; anything else rebuilds it.
class _Group:
    """Patched entries whose owners are all plain dicts (kernel tables) or all classes and
    modules, checked, installed and restored by ``map`` over parallel lists: a loop in C, where
    one Python-level read and write per entry made install + remove cost ~280 us, which a vmap
    over a small function paid on every call."""
    __slots__ = ("tables", "owners", "names", "originals", "wrappers", "getters")

    def __init__(self, entries, tables):
        self.tables = tables
        self.owners = [e[0] for e in entries]
        self.names = [e[1] for e in entries]
        self.originals = [e[2] for e in entries]
        self.wrappers = [e[3] for e in entries]
        # (``vars()`` of a class is a live view of its namespace: made once, read on every check)
        self.getters = None if tables else [vars(owner).get for owner in self.owners]

    def current(self):
        """What each entry's owner holds now (``_MISSING`` where nothing)."""
        if self.tables:
            return list(map(dict.get, self.owners, self.names, _repeat(_MISSING)))
        return list(map(_call_get, self.getters, self.names, _repeat(_MISSING)))

    def holds(self, values) -> bool:
        return all(map(_is, self.current(), values))

    def install(self):
        _consume(map(dict.__setitem__ if self.tables else setattr, self.owners, self.names, self.wrappers))

    def restore(self):
        """Put the originals back where the wrappers still are (a kernel bound anew meanwhile stays)."""
        put = dict.__setitem__ if self.tables else setattr
        current = self.current()
        if all(map(_is, current, self.wrappers)):
            _consume(map(put, self.owners, self.names, self.originals))
            return
        for owner, name, original, wrapper, now in zip(self.owners, self.names, self.originals, self.wrappers,
                                                       current):
            if now is wrapper:
                put(owner, name, original)


class _Plan:
    __slots__ = ("ops_items", "no_kernel", "tensor_names", "entries", "patched", "checks", "op_names", "op_values",
                 "groups", "others", "unpatched")

    def __init__(self):
        from tensorgraft.registry import registry
        from tensorgraft.tensor import Tensor
        self.ops_items = list(registry.ops.items())
        self.op_names = [name for name, _ in self.ops_items]
        self.op_values = [op for _, op in self.ops_items]
        self.no_kernel = [op for _, op in self.ops_items if op.table.get("cpu") is None]
        self.tensor_names = list(vars(Tensor))
        self.entries = []  # (owner, name, original, wrapper): all that was looked at, patched or not
        for owner, name, make in _patches():
            original = _get(owner, name)
            self.entries.append((owner, name, original, None if original is _MISSING else make(original)))
        self.patched = [e for e in self.entries if e[3] is not None]
        self.checks = dict(_checks_of)  # (filled by the wrappers just made)
        self.groups = (_Group([e for e in self.patched if e[0].__class__ is dict], True),
                       _Group([e for e in self.patched if not isinstance(e[0], dict)], False))
        # (a dict subclass as owner, should one appear: patched one by one, as ``_set`` does)
        self.others = [e for e in self.patched if e[0].__class__ is not dict and isinstance(e[0], dict)]
        self.unpatched = [e for e in self.entries if e[3] is None]

    def still_valid(self) -> bool:
        from tensorgraft.registry import registry
        from tensorgraft.tensor import Tensor
        ops = registry.ops
        # (the same as comparing ``list(ops.items())``, without building ~650 pairs)
        if list(ops) != self.op_names or list(ops.values()) != self.op_values:
            return False
        if list(vars(Tensor)) != self.tensor_names:
            return False
        if any(op.table.get("cpu") is not None for op in self.no_kernel):
            return False
        if not all(group.holds(group.originals) for group in self.groups):
            return False
        return all(_get(owner, name) is original for owner, name, original, _ in self.others + self.unpatched)


_plan = None
_installed = None  # the plan whose groups are installed now (``_saved`` holds the other entries)


def guards_installed(on: bool) -> None:
    """Install the patches for the first running vmap (any thread), remove them after the last."""
    global _users, _BA, _plan, _installed
    with _lock:
        if on:
            _users += 1
            if _users > 1:
                return
            _BA = _batched_array_type()
            try:
                if _plan is None or not _plan.still_valid():
                    _plan = None
                    _checks_of.clear()
                    _plan = _Plan()
                else:
                    _checks_of.update(_plan.checks)
                _installed = _plan  # (before the writes: a failure part-way restores what was written)
                for group in _plan.groups:
                    group.install()
                for entry in _plan.others:
                    owner, name, _, wrapper = entry
                    _set(owner, name, wrapper)
                    _saved.append(entry)
            except BaseException:
                _restore()
                _users -= 1
                raise
        else:
            _users -= 1
            if _users == 0:
                _restore()


def _restore():
    global _installed
    _checks_of.clear()
    while _saved:
        owner, name, original, wrapper = _saved.pop()
        if _get(owner, name) is wrapper:  # (a kernel bound anew meanwhile stays)
            _set(owner, name, original)
    plan, _installed = _installed, None
    if plan is not None:
        for group in reversed(plan.groups):
            group.restore()
