"""``vmap`` by a loop: call the function once per slice of the mapped dimension and stack the
results along ``out_dims``. Not vectorised (a Python loop over the batch), but every op works,
and nesting it or mixing it with ``grad`` needs nothing special. Argument checks and messages are
PyTorch's (``torch/_functorch/vmap.py``).

Custom ``autograd.Function`` classes follow PyTorch's rules under vmap (``Function.apply``'s
hook, in ``_custom_functions.py``, hands them to ``_apply_under_vmap``): the ctx style is refused,
a Function needs ``generate_vmap_rule = True`` or its own ``vmap`` staticmethod, a generated rule
is the slice-by-slice run itself, and a written rule is called with batched inputs and
``VmapInfo``."""
from __future__ import annotations

import functools
import sys
import threading
from typing import NamedTuple

import numpy as np

from tensorgraft.tensor import Tensor
from tensorgraft.utils._pytree import SUPPORTED_NODES

from ._custom_functions import _here as _transforms_here
from ._custom_functions import (
    EXTENDING_FUNC_DOC,
    differentiating_inside_vmap,
    innermost_vmap,
    refuse_ctx_style,
    vmap_running,
    vmap_stepped_out,
)
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten
from ._vmap_guards import batch_sizes, guards_installed, mapped_function
from ._vmap_random import BatchedDraws, stream_fingerprint

__all__ = ["vmap"]


# --------------------------------------------------------------------------- batched slices
# PyTorch's vmap runs the function on BatchedTensors, which refuse to be read as Python values
# (``.item()``, ``float()``, ``if t > 0:``, ``.tolist()``): every slice would give another value.
# Here the function runs on plain slices, so each slice's memory is marked instead: it is viewed
# as ``_BatchedArray``, an ndarray subclass that NumPy carries through ufuncs, reductions, views
# and matmul to everything computed from the slice; where NumPy drops it (``np.asarray``, ``np.where``,
# a reduction to a NumPy scalar...), the kernel wrappers of ``_vmap_guards.py`` put it back on what
# an op computed from a marked input. The mark is only ever used to *refuse* things, never to
# change a value.
_ITEM_MSG = ("vmap: It looks like you're calling .item() on a Tensor. We don't support vmap over calling .item() on a "
             "Tensor, please try to rewrite what you're doing with other operations. If error is occurring somewhere "
             "inside PyTorch internals, please file a bug report.")
_CONTROL_FLOW_MSG = ("vmap: It looks like you're attempting to use a Tensor in some data-dependent control flow. We "
                     "don't support that yet, please file an issue at https://github.com/pytorch/pytorch/issues .")
_WRAPPED_READ_MSG = (
    "vmap: It looks like you're either (1) calling .item() on a Tensor or (2) attempting to use a Tensor in some "
    "data-dependent control flow or (3) encountering this error in PyTorch internals. For (1): we don't support vmap "
    "over calling .item() on a Tensor, please try to rewrite what you're doing with other operations. For (2): we "
    "don't support data-dependent control flow in vmap yet, please file an issue at "
    "https://github.com/pytorch/pytorch/issues . For (3): please file an issue.")
_NO_STORAGE_MSG = "Cannot access data pointer of Tensor that doesn't have storage"
# (``__torch_function_wrapped__``: the method itself once ``__torch_function__`` dispatch wrapped it)
_TENSOR_FILE = getattr(Tensor.item, "__torch_function_wrapped__", Tensor.item).__code__.co_filename

_PROTOCOL_CODES = frozenset({getattr(Tensor.__index__, "__torch_function_wrapped__", Tensor.__index__).__code__})


def _read_by_user() -> bool:
    """Whether the value read now (a ``_BatchedArray`` method is running) is a Tensor-level read
    (``Tensor.item``/``__bool__``/``__float__``/``tolist``...) made by code outside tensorgraft,
    inside a running vmap. Reads by tensorgraft's own ops (shape checks, NumPy-level ``.item()``)
    go on as before: PyTorch makes those in C++, where vmap never sees them. A tensor used as an
    index (``__index__``: slice bounds, sizes) is refused wherever the conversion happens, as
    PyTorch's indexing reads the batched value too."""
    if innermost_vmap() is None:
        return False  # a result that leaked out of vmap (a gradient, say) reads as any tensor
    frame = sys._getframe(2)  # 0: this function, 1: the _BatchedArray method, 2: its caller
    if frame.f_code.co_filename != _TENSOR_FILE:
        return False
    # once __torch_function__ dispatch is on, its wrappers' frames sit between a user's ``x.item()``
    # and the method: walked over too
    binding = sys.modules.get("tensorgraft.overrides._binding")
    wrapper_file = binding.__file__ if binding is not None else None
    while frame is not None and frame.f_code.co_filename in (_TENSOR_FILE, wrapper_file):
        if frame.f_code in _PROTOCOL_CODES:
            return True
        frame = frame.f_back
    if frame is None:
        return False
    module = frame.f_globals.get("__name__") or ""
    return not (module == "tensorgraft" or module.startswith("tensorgraft."))


def _value_read_error(message):
    """The error for reading a batched value; inside a grad-like transform nested in the vmap,
    PyTorch's one message covering .item(), control flow and internals."""
    if differentiating_inside_vmap() and message is not _NO_STORAGE_MSG:
        return RuntimeError(_WRAPPED_READ_MSG)
    return RuntimeError(message)


class _BatchedArray(np.ndarray):
    """The memory of a tensor that depends on a vmap's mapped inputs (see above)."""

    def item(self, *args):
        if _read_by_user():
            raise _value_read_error(_ITEM_MSG)
        return np.ndarray.item(self, *args)

    def tolist(self):
        if _read_by_user():
            raise _value_read_error(_NO_STORAGE_MSG)
        return np.ndarray.tolist(self)

    def __bool__(self):
        if _read_by_user():
            raise _value_read_error(_CONTROL_FLOW_MSG)
        return np.ndarray.__bool__(self)

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        # (runs after every ufunc on a marked array: ``innermost_vmap() is None`` read inline)
        if not _transforms_here.vmap_randomness:
            # outside any vmap (a backward pass through vmap's results reads the marked slices it
            # saved): what is computed is plain, so gradients and optimizer state carry no mark
            if type(arr) is not np.ndarray:
                arr = arr.view(np.ndarray)
            return arr[()] if return_scalar else arr
        if return_scalar:  # (NumPy 2 only; NumPy 1.26 passes two arguments)
            return _ndarray_wrap(self, arr, context, return_scalar)
        return _ndarray_wrap(self, arr, context)

    def __repr__(self):
        # ``t.numpy()`` inside vmap hands the marked memory out: it shows as the array it is
        return repr(self.view(np.ndarray))

    def __reduce__(self):
        # pickled (torch.save of a gradient computed from a slice) as the plain array it is
        return np.ndarray.__reduce__(self.view(np.ndarray))


_ndarray_wrap = np.ndarray.__array_wrap__


def _mark_batched(t):
    # (host memory only: a device array keeps its own type; CuPy arrays are no ndarray subclass, a
    # stand-in CuPy may be one)
    if isinstance(t, Tensor) and type(t._data) is np.ndarray:
        t._data = t._data.view(_BatchedArray)
    return t


def _is_batched(t) -> bool:
    return isinstance(t, Tensor) and isinstance(t._data, _BatchedArray)


def _unmark(t):
    if isinstance(t, Tensor) and isinstance(t._data, _BatchedArray):
        t._data = t._data.view(np.ndarray)
    return t


_BN_NOT_BATCHED_MSG = (
    "Batch norm got a batched tensor as input while the running_mean or running_var, which will be updated in place, "
    "were not batched.\nIf you are using a module and do not need eval mode, please set `track_running_stats` to be "
    "False.If you are using a prebuilt module and do not need eval mode, please see the functorch website for "
    "resources on how to patch your module to work with vmap")


def _refuse_unbatched_running_stats(module, args):
    """Global forward pre-hook while a vmap runs: a training batch norm would write every slice's
    statistics into one unbatched running_mean/var; PyTorch refuses that (pointing to
    ``replace_all_batch_norm_modules_``). Checked before the module changes anything."""
    if innermost_vmap() is None or not getattr(module, "training", False):
        return None
    # (every module call runs this while a vmap runs: the loaded module is read, not imported anew)
    batchnorm = sys.modules.get("tensorgraft.nn.modules.batchnorm")
    if batchnorm is None:
        from tensorgraft.nn.modules import batchnorm
    if not isinstance(module, batchnorm._BatchNorm) or module.running_mean is None:
        return None
    if args and _is_batched(args[0]) and not (_is_batched(module.running_mean) and _is_batched(module.running_var)):
        raise RuntimeError(_BN_NOT_BATCHED_MSG)
    return None


_bn_hook_handle = None
_bn_hook_users = 0
_bn_lock = threading.Lock()


def _bn_check_installed(on: bool):
    """Install the batch-norm check for the outermost running vmap (any thread), remove it after
    the last one; only when tensorgraft.nn is loaded (otherwise no module can run)."""
    global _bn_hook_handle, _bn_hook_users
    with _bn_lock:
        if on:
            _bn_hook_users += 1
            if _bn_hook_handle is None:
                hooks = sys.modules.get("tensorgraft.nn.modules._global_hooks")
                if hooks is not None:
                    _bn_hook_handle = hooks.register_module_forward_pre_hook(_refuse_unbatched_running_stats)
        else:
            _bn_hook_users -= 1
            if _bn_hook_users == 0 and _bn_hook_handle is not None:
                _bn_hook_handle.remove()
                _bn_hook_handle = None


def _get_name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_get_name(func.func)}, ...)"
    return repr(func)


def _check_randomness_arg(randomness):
    if randomness not in ["error", "different", "same"]:
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int):
        return
    for x in tree_flatten(out_dims)[0]:
        if not (x is None or isinstance(x, int)):
            raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension should "
                             "appear.")


def _process_batched_inputs(in_dims, args, func):
    name = _get_name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or a "
                         f"(potentially nested) tuple matching the structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are trying "
                         "to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                         f"structure of `inputs`. in_dims has structure {tree_flatten(in_dims)[1]} but inputs has "
                         f"structure {args_spec}.")
    for i, (arg, in_dim) in enumerate(zip(flat_args, flat_in_dims)):
        if not isinstance(in_dim, int) and in_dim is not None:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but "
                             "in_dim must be either an integer dimension or None.")
        if isinstance(in_dim, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for an input but "
                             f"the input is of type {type(arg)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if in_dim is not None and (in_dim < -arg.dim() or in_dim >= arg.dim()):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={in_dim} for some input, "
                             f"but that input is a Tensor of dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        if in_dim is not None and in_dim < 0:
            flat_in_dims[i] = in_dim % arg.dim()
    batch_sizes = [arg.size(d) for d, arg in zip(flat_in_dims, flat_args) if d is not None]
    if not batch_sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != batch_sizes[0] for s in batch_sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{batch_sizes} for the mapped dimension")
    return batch_sizes[0], flat_in_dims, flat_args, args_spec


class _RunningGuards(threading.local):
    def __init__(self):
        self.running = []  # the _RandomnessGuard of each vmap running in this thread, innermost last


_guards = _RunningGuards()


class _RandomnessGuard:
    """'same': every slice starts from the same generator state; 'error': a slice that draws from
    the default generator is an error (detected by its state changing); 'different': the slices
    draw from the default generator as one batched draw would (``_vmap_random.py``)."""

    def __init__(self, randomness, batch_size):
        from tensorgraft.random import default_generator
        self.mode = randomness
        self.gen = default_generator
        # (the state is ~50 us to build; a vmap nested in a running one, as jacfwd's per-point
        # vmaps inside vmap(jacfwd(f)) are, finds the generator where the enclosing one found it
        # when their fingerprints are equal, and equal fingerprints mean equal states)
        self.start = stream_fingerprint(self.gen) if randomness != "different" else None
        if randomness == "different":
            self.state = None
        else:
            enclosing = _guards.running[-1] if _guards.running else None
            if self.start is not None and enclosing is not None and enclosing.start == self.start:
                self.state = enclosing.state
            else:
                self.state = self.gen.get_state()
        self.fingerprint = self.start if randomness == "error" else None
        self.batch_size = batch_size
        self.draws = None

    def before(self, slice_index=None):
        """Before the function runs on slice ``slice_index`` (None: once, for the whole batch)."""
        if self.mode == "same":
            self.gen.set_state(self.state)
        elif self.mode == "different" and slice_index is not None and self.batch_size > 1:
            if self.draws is None:
                self.draws = BatchedDraws(self.gen._rng(), self.batch_size)
            self.draws.start_slice(slice_index)

    def close(self):
        if self.draws is not None:
            self.draws.close()
            self.draws = None

    def after(self):
        if self.mode != "error":
            return
        # (checked after every slice: an unchanged fingerprint proves the state unchanged without
        # building the 5 KB state tensor; a changed one is checked in full, as before)
        fingerprint = self.fingerprint
        if fingerprint is not None and stream_fingerprint(self.gen) == fingerprint:
            return
        if not _same_state(self.gen.get_state(), self.state):
            self.gen.set_state(self.state)
            raise RuntimeError("vmap: called random operation while in randomness error mode. Please either use the "
                               "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                               "of vmap")


def _same_state(a, b):
    return a.shape == b.shape and bool((a == b).all())


def _flat_out_dims(output, out_dims, output_spec, func):
    def incompatible():
        raise ValueError(f"vmap({_get_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible "
                         f"with the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but "
                         f"outputs has structure {output_spec}.")
    if isinstance(output, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    flat = broadcast_prefix(out_dims, output_spec)
    if flat is None:
        incompatible()
    return flat


class VmapInfo(NamedTuple):
    """What a Function's ``vmap`` staticmethod receives first (PyTorch's ``VmapInfo``)."""
    batch_size: int
    randomness: str


def _check_vmap_support(cls):
    """PyTorch's refusals, in its order: the ctx style first, then a Function with both rules or
    none. True when the Function's own ``vmap`` staticmethod is to be called."""
    from tensorgraft.autograd.function import Function
    refuse_ctx_style(cls)
    has_rule = cls.vmap is not Function.vmap
    if cls.generate_vmap_rule and has_rule:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it has both generate_vmap_rule=True and an "
                           "overridden vmap staticmethod. Please set generate_vmap_rule=False or delete the "
                           "overridden vmap staticmethod to avoid ambiguity. " + EXTENDING_FUNC_DOC)
    if not cls.generate_vmap_rule and not has_rule:
        raise RuntimeError(f"You tried to vmap over {cls.__name__}, but it does not have vmap support. Please "
                           "override and implement the vmap staticmethod or set generate_vmap_rule=True. "
                           + EXTENDING_FUNC_DOC)
    return has_rule


def _apply_under_vmap(cls, args, kwargs, randomness):
    """``cls.apply(*args, **kwargs)`` on one slice inside a vmap whose ``randomness`` is given;
    ``APPLY_AS_USUAL`` (``apply`` goes on) when the Function's generated rule applies."""
    from tensorgraft.autograd.function import APPLY_AS_USUAL, _bind_with_defaults
    if not _check_vmap_support(cls):
        return APPLY_AS_USUAL  # generate_vmap_rule: the slice-by-slice run already is the generated rule
    args = _bind_with_defaults(cls, args, kwargs)  # (defaults filled in: one in_dim per forward parameter)
    # each slice is a batch of one: every tensor argument gets a batch dimension of size 1 in front
    in_dims = tuple(0 if isinstance(a, Tensor) else None for a in args)
    batched = [a.unsqueeze(0) if isinstance(a, Tensor) else a for a in args]
    output, out_dims = _call_rule(cls, VmapInfo(1, randomness), in_dims, batched)
    return _slice_of_rule_output(output, out_dims, 0)


def _call_rule(cls, info, in_dims, args):
    """``cls.vmap(info, in_dims, *args)``, its result checked as PyTorch checks it; returns the
    output and its out_dims flattened against it."""
    result = vmap_stepped_out(cls.vmap, info, in_dims, *args)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError("Expected the vmap staticmethod to have two returns, an output and out_dims with pytree "
                           f"structure compatible with the output. Got a {type(result)} instead")
    output, out_dims = result
    flat_dims = broadcast_prefix(out_dims, tree_flatten(output)[1])
    if flat_dims is None:
        raise RuntimeError("The autograd.Function's vmap staticmethod returned an incompatible (output, out_dims) "
                           f"tuple. Expected out_dims={out_dims} to be compatible with the structure of `output`. "
                           f"out_dims has structure {tree_flatten(out_dims)[1]} but output has structure "
                           f"{tree_flatten(output)[1]}. " + EXTENDING_FUNC_DOC)
    return output, flat_dims


def _slice_of_rule_output(output, flat_dims, index):
    """Slice ``index`` of what a vmap rule returned: batched outputs are selected along their
    out_dim, unbatched ones (out_dim None) are the same for every slice."""
    flat, spec = tree_flatten(output)
    picked = [o if d is None or not isinstance(o, Tensor) else o.select(d, index) for o, d in zip(flat, flat_dims)]
    return tree_unflatten(picked, spec)


def _function_with_rule(func):
    """The Function class when ``func`` is ``SomeFunction.apply`` with a written vmap rule (the
    rule then sees the whole batch at once, exactly as in PyTorch), else None."""
    from tensorgraft.autograd.function import Function
    cls = getattr(func, "__self__", None)
    if not (isinstance(cls, type) and issubclass(cls, Function)):
        return None
    if getattr(func, "__func__", None) is not Function.__dict__["apply"].__func__:
        return None  # a subclass's own apply, or some other classmethod
    return cls if _check_vmap_support(cls) else None


def _leaves_are_args(args_spec) -> bool:
    """Whether the arguments are all leaves (tensors, numbers...: no containers), so that the flat
    list is the arguments themselves (``tree_unflatten`` would rebuild the same tuple)."""
    return args_spec.type is tuple and all(c.type is None for c in args_spec.children())


def _run_slices(func, kwargs, batch_size, flat_in_dims, flat_args, args_spec, guard, randomness):
    """One result per slice of the mapped dimension, and the flat inputs of each slice (None
    where the slices are not the function's own inputs)."""
    rule_of = _function_with_rule(func)
    if rule_of is not None and not kwargs and batch_size > 0:
        # vmap(F.apply): the written rule maps the whole batch in one call, then is cut into slices
        guard.before()
        info = VmapInfo(batch_size, randomness)
        in_dims = tree_unflatten(flat_in_dims, args_spec)
        output, flat_dims = _call_rule(rule_of, info, in_dims, tree_unflatten(flat_args, args_spec))
        guard.after()
        return [_slice_of_rule_output(output, flat_dims, i) for i in range(batch_size)], None
    func = mapped_function(func)  # (``vmap(torch.nonzero)``: refused as the user's own call would be)
    if batch_size == 0:
        # PyTorch runs the function once, on batched tensors holding no slice at all; here it runs
        # once on zero-filled stand-ins shaped like one slice, so that the results' structure and
        # shapes are known (``wrapped`` then empties them along the mapped dimension). A stand-in for
        # an input requiring grad is the (zero) sum over its empty dimension, so results keep a graph.
        stand_ins = [a if d is None else _mark_batched(a.sum(d) if a.requires_grad
                                                       else a.new_zeros(tuple(a.shape[:d]) + tuple(a.shape[d + 1:])))
                     for a, d in zip(flat_args, flat_in_dims)]
        guard.before()
        result = func(*tree_unflatten(stand_ins, args_spec), **kwargs)
        guard.after()
        return [result], None
    results = []
    inputs = []
    # (per slice only what changes: the mapped inputs' slices; the guard's calls that do nothing in
    # its mode are left out, and arguments that are all leaves are passed without unflattening)
    mapped = [(j, a, d) for j, (a, d) in enumerate(zip(flat_args, flat_in_dims)) if d is not None]
    before = guard.before if guard.mode != "error" else None
    after = guard.after if guard.mode == "error" else None
    as_leaves = _leaves_are_args(args_spec)
    for i in range(batch_size):
        sliced = list(flat_args)
        for j, a, d in mapped:
            sliced[j] = _mark_batched(a.select(d, i))
        if before is not None:
            before(i)
        results.append(func(*sliced, **kwargs) if as_leaves else func(*tree_unflatten(sliced, args_spec), **kwargs))
        if after is not None:
            after()
        inputs.append(sliced)
    return results, inputs


# The node PyTorch's batched op records, by the node of the same op on one slice, where the two
# differ: a full reduction of a slice is a reduction over dims of the batch, a vector product a
# matrix product, and so on (what ``vmap(f)(x).grad_fn`` shows; found by running both).
_BATCHED_NODE = {
    "SumBackward0": "SumBackward1", "MeanBackward0": "MeanBackward1", "ProdBackward0": "ProdBackward1",
    "MaxBackward1": "MaxBackward0", "MinBackward1": "MinBackward0", "SqueezeBackward4": "SqueezeBackward5",
    "SqueezeBackward1": "SqueezeBackward2", "DotBackward0": "MvBackward0", "MvBackward0": "PermuteBackward0",
    "MmBackward0": "UnsafeViewBackward0", "TBackward0": "TransposeBackward0", "AddmmBackward0": "AddBackward0",
    "ConvolutionBackward0": "ViewBackward0",
}
# losses: PyTorch's batching rules compute them from elementwise ops and a reduction over the
# dims of each example, so the node is that of the reduction (None: the slice's own node)
_BATCHED_LOSS_NODE = {
    "MseLossBackward0": {"mean": "MeanBackward1", "sum": "SumBackward1"},
    "L1LossBackward0": {"mean": "MeanBackward1", "sum": "SumBackward1"},
    "NllLossBackward0": {"mean": "DivBackward0", "sum": "SumBackward1"},
}


def _batched_node_name(node):
    """The name of the node PyTorch's batched computation records where ``node`` recorded one
    slice's result."""
    name = type(node).__name__
    if name in _BATCHED_LOSS_NODE:
        attrs = getattr(node, "attrs", None)
        reduction = attrs.get("reduction") if isinstance(attrs, dict) else (
            attrs[0] if isinstance(attrs, tuple) and attrs else None)
        return _BATCHED_LOSS_NODE[name].get(reduction, name)
    if name == "ViewBackward0":
        # a Linear applied to one vector: addmm on it as a row, viewed back; batched, the bias is added
        nxt = node.next_functions
        if len(nxt) == 1 and nxt[0][0] is not None and type(nxt[0][0]).__name__ == "AddmmBackward0":
            return "AddBackward0"
    return _BATCHED_NODE.get(name, name)


def _passed_through(column, inputs, flat_in_dims):
    """The index of the mapped input whose slices ``column`` (one output over all slices) are,
    unchanged, or None."""
    if inputs is None:
        return None
    for j, d in enumerate(flat_in_dims):
        if d is not None and all(c is ins[j] for c, ins in zip(column, inputs)):
            return j
    return None


def _stack_results(column, dim):
    """``stack(column, dim)``, with the node PyTorch's batched computation would have recorded:
    the node of the op that made each slice's result (renamed where the batched op differs, see
    ``_BATCHED_NODE``), or a permute when the mapped dimension is moved away from the front. Only
    the node's name changes: its backward is stack's, so gradients are the same."""
    import tensorgraft
    from tensorgraft.grad_mode import is_grad_enabled, no_grad
    from tensorgraft.registry import registry
    with no_grad():
        out = tensorgraft.stack(column, dim=dim)
    if not (is_grad_enabled() and any(t.requires_grad for t in column)):
        return out
    first = column[0].grad_fn
    if dim != 0:
        name = "PermuteBackward0"
    elif first is not None and all(c.grad_fn is not None and type(c.grad_fn) is type(first) for c in column):
        name = _batched_node_name(first)
    else:
        name = None  # slices made by different ops (or leaves): stack's own node
    Tensor._autograd.record(registry.ops["stack"], out, tuple(column), {"dim": dim}, node_name=name)
    return out


# Which vmap runs: "loop" (this file: the function once per slice) or "vectorized" (once, on
# BatchedTensors: func/_vectorized/). The default is this one constant; ``TENSORGRAFT_VMAP``
# chooses for the process (read once, at import); tests set ``_MODE`` itself.
_DEFAULT_MODE = "vectorized"
_MODES = ("loop", "vectorized")
_MODE = __import__("os").environ.get("TENSORGRAFT_VMAP") or _DEFAULT_MODE
if _MODE not in _MODES:
    raise ValueError(f"TENSORGRAFT_VMAP={_MODE!r}: expected one of {', '.join(map(repr, _MODES))} (or unset for "
                     f"the default, {_DEFAULT_MODE!r})")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``vmap(f)(*args)``: ``f`` mapped over dimension ``in_dims`` of the inputs, results stacked
    along ``out_dims`` — computed slice by slice (``chunk_size`` is accepted and has no effect
    on the result)."""
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        if _MODE == "vectorized":  # BatchedTensors and batching rules (func/_vectorized/)
            from ._vectorized import vectorized_vmap
            return vectorized_vmap(func, in_dims, out_dims, randomness, chunk_size, args, kwargs)
        _check_out_dims(out_dims, func)
        batch_size, flat_in_dims, flat_args, args_spec = _process_batched_inputs(in_dims, args, func)
        if chunk_size is not None and not hasattr(type(chunk_size), "__index__"):
            # PyTorch splits the batch into chunks by repeating a list chunk_size times: a float
            # chunk_size passes vmap()'s own check and fails there, at call time
            raise TypeError(f"can't multiply sequence by non-int of type '{type(chunk_size).__name__}'")
        guard = _RandomnessGuard(randomness, batch_size)
        outermost = innermost_vmap() is None
        _bn_check_installed(True)
        guards_installed(True)  # results of ops on batched values stay marked; PyTorch's refusals
        sizes = batch_sizes()
        sizes.append(batch_size)
        running = _guards.running
        running.append(guard)
        try:
            with vmap_running(randomness):
                results, inputs = _run_slices(func, kwargs, batch_size, flat_in_dims, flat_args, args_spec, guard,
                                              randomness)
        finally:
            running.pop()
            guard.close()
            sizes.pop()
            guards_installed(False)
            _bn_check_installed(False)
        flat_first, output_spec = tree_flatten(results[0])
        # (a Tensor is a leaf, unless someone registered it as a container: its flat list is itself)
        plain = Tensor if Tensor not in SUPPORTED_NODES else None
        flat_results = [flat_first] + [[r] if r.__class__ is plain else tree_flatten(r)[0] for r in results[1:]]
        flat_dims = _flat_out_dims(results[0], out_dims, output_spec, func)
        name = _get_name(func)
        # what comes out is batched for an enclosing vmap when something that went in was
        batched_outside = not outermost and any(_is_batched(a) for a in flat_args)
        outs = []
        for k, (first, out_dim) in enumerate(zip(flat_first, flat_dims)):
            if out_dim is None:
                # computed from mapped inputs (this vmap's or an enclosing one's, as PyTorch checks):
                # not one value for all slices
                if _is_batched(first):
                    raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
                outs.append(first)  # PyTorch returns the unbatched value as it is
                continue
            column = [fr[k] for fr in flat_results]
            for v in column:
                if not isinstance(v, Tensor):
                    raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(v)}. "
                                     "Did you mean to set out_dims= to None for output?")
            ndim = first.dim() + 1
            if not -ndim <= out_dim < ndim:  # PyTorch's movedim of the result refuses it
                raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got "
                                 f"{out_dim})")
            dim = out_dim % ndim
            if batch_size == 0:  # the one result came from the stand-ins: no slice of it is kept
                out = _unmark(first.unsqueeze(dim).narrow(dim, 0, 0))
            elif (j := _passed_through(column, inputs, flat_in_dims)) is not None:
                # f returned its input unchanged: PyTorch hands back the input itself (moved to out_dims)
                out = flat_args[j] if flat_in_dims[j] == dim else flat_args[j].movedim(flat_in_dims[j], dim)
            elif len(column) > 1 and all(c is first for c in column):
                # one tensor, the same for every slice (a captured parameter): PyTorch expands it
                out = first.unsqueeze(dim).expand(tuple(first.shape[:dim]) + (batch_size,) + tuple(first.shape[dim:]))
            else:
                out = _unmark(_stack_results(column, dim))
            outs.append(_mark_batched(out) if batched_outside else out)
        return tree_unflatten(outs, output_spec)

    return wrapped
