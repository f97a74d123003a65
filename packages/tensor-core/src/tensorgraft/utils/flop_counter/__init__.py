"""``tensorgraft.utils.flop_counter`` (PyTorch's ``torch.utils.flop_counter``): count the FLOPs a
piece of code runs, per module, forward and backward, under PyTorch's op names and with PyTorch's
numbers.

    with FlopCounterMode(display=False) as counter:
        model(x).sum().backward()
    counter.get_total_flops(); counter.get_flop_counts()["Global"]  # {aten.addmm: ..., aten.mm: ...}

How it counts: PyTorch watches the ATen ops (a ``TorchDispatchMode``); tensorgraft has no ATen
layer, so a ``TorchFunctionMode`` sees the public calls (``F.linear``, ``@``, ``F.conv2d``,
``einsum``, ...) and ``decompositions.py`` turns each into the ATen ops PyTorch would run, with
their FLOPs. The backward FLOPs are counted when the call's autograd node runs (a pre-hook on the
output's ``grad_fn``), by whichever ``FlopCounterMode`` is active then. Recurrent modules, which run
fused kernels no mode sees, are counted from global module hooks (``rnn.py``). Modules are named by
a ``ModuleTracker``, as in PyTorch. Nothing is installed when no counter is active."""
from __future__ import annotations

import sys
import warnings
import weakref
from collections import defaultdict

from ...overrides import TorchFunctionMode
from ...overrides._dispatch import public_name
from . import decompositions as _decompositions
# (the formulas and helpers PyTorch's module exposes beside its __all__)
from .formulas import (AtenOp, _scaled_mm_flop, addmm_flop, aten, baddbmm_flop, bmm_flop,  # noqa: F401
                       conv_backward_flop, conv_flop, conv_flop_count, flop_registry, get_shape, mm_flop,
                       register_flop_formula, sdpa_backward_flop, sdpa_backward_flop_count, sdpa_flop,
                       sdpa_flop_count, shape_wrapper)
from .table import (convert_num_with_suffix, convert_to_percent_str, format_table, get_suffix_str,  # noqa: F401
                    suffixes)

__all__ = ["FlopCounterMode", "register_flop_formula"]

# the counters entered now, innermost last: the backward of a call counts into each
_active: list = []
# the autograd nodes given a counting hook: one per node however many counters saw the call
_hooked = weakref.WeakKeyDictionary()


def _to_nodes(token):
    """A gradient token (``decompositions._tok``) with its tensors replaced by their graph nodes."""
    if token is None or token is True:
        return token
    if isinstance(token, (tuple, list)):
        return type(token)(_to_nodes(t) for t in token)
    if token.grad_fn is not None:
        return token.grad_fn
    from tensorgraft.autograd import engine
    return engine.accumulator(token)


def _needed(token, running) -> bool:
    """Whether the backward pass running now computes that gradient (PyTorch computes only the
    gradients that lead to the requested inputs: ``autograd.grad(y, x)`` skips ``w``'s)."""
    if token is None:
        return False
    if token is True:
        return True
    if isinstance(token, tuple):
        return any(_needed(t, running) for t in token)
    return running is None or token in running


def _backward_counts(items):
    """The backward items of a node for the pass running now: (op, args, out) to count."""
    from tensorgraft.autograd import engine
    running = engine.passes[-1].nodes if engine.passes else None
    counts = []
    for op, args, out, token in items:
        if isinstance(token, list):  # convolution_backward: its output_mask
            mask = [_needed(t, running) for t in token]
            if any(mask):
                counts.append((op, args + (mask,), tuple(o if m else None for o, m in zip(out, mask))))
        elif _needed(token, running):
            counts.append((op, args, out))
    return counts


def _count_backward(items):
    # attributed to the modules the tracker has open *now*, as PyTorch attributes a backward op to
    # the modules open when it runs: not to those of the forward call (a module called twice, or
    # whose inputs' gradients are done, has left the backward by then)
    if not _active:
        return
    counts = _backward_counts(items)
    for counter in _active:
        counter._add(counts, counter.mod_tracker.parents)


def _hook_backward(node, items):
    # a node pre-hook runs after the tensor hooks of the node's outputs (the tracker's), as
    # PyTorch's ops run after them
    if node is None or not items or node in _hooked:
        return
    _hooked[node] = True
    items = [(op, args, out, _to_nodes(token)) for op, args, out, token in items]

    def prehook(grad_outputs):
        _count_backward(items)
    node.register_prehook(prehook)


_formula_codes = None


def _tensor_backward():
    from ...tensor import Tensor
    return Tensor.backward


def _backward_seen_by(mode, tensor, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """``tensor.backward(...)`` with ``mode`` on (``Tensor.backward`` itself would dispatch to it again)."""
    from ...tensor import Tensor
    if Tensor._autograd is None:  # (no autograd engine: its own error, the mode being off here)
        return tensor.backward(gradient, retain_graph, create_graph, inputs)
    with mode:
        Tensor._autograd.backward(tensor, gradient, retain_graph, create_graph, inputs=inputs)


def _in_gradient_formula() -> bool:
    """Whether the call comes from a built-in node's gradient formula, rather than from user code the
    backward pass runs: the innermost of those frames on the stack decides."""
    global _formula_codes
    if _formula_codes is None:
        from tensorgraft.autograd.function import FunctionCtx
        from tensorgraft.autograd.node import MultiOutputOpNode, OpNode
        from tensorgraft.autograd.saved_hooks import unpack_node
        _formula_codes = ({OpNode.apply.__code__: True, MultiOutputOpNode.apply.__code__: True,
                           FunctionCtx.apply.__code__: False, unpack_node.__code__: False})
    frame = sys._getframe(2)
    while frame is not None:
        verdict = _formula_codes.get(frame.f_code)
        if verdict is not None:
            return verdict
        frame = frame.f_back
    return False


_custom_op_run = None


def _inside_custom_op_kernel() -> bool:
    """Whether the call is made by a custom op's implementation (``library.custom_op``): PyTorch's
    counter sees the op itself (no formula: 0 FLOPs) and runs its kernel with the mode off."""
    global _custom_op_run
    if _custom_op_run is None:
        from ...library.custom_ops import CustomOpDef
        _custom_op_run = CustomOpDef._run.__code__
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is _custom_op_run:
            return bool(frame.f_locals.get("below_autograd"))
        frame = frame.f_back
    return False


def normalize_tuple(x):
    if not isinstance(x, tuple):
        return (x,)
    return x


class FlopCounterMode:
    """
    ``FlopCounterMode`` is a context manager that counts the number of flops within its context.

    It does this using a ``TorchFunctionMode`` (PyTorch: a ``TorchDispatchMode``).

    It also supports hierarchical output by passing a module (or list of
    modules) to FlopCounterMode on construction. If you do not need hierarchical
    output, you do not need to use it with a module.

    Example usage

    .. code-block:: python

        mod = ...
        with FlopCounterMode(mod) as flop_counter:
            mod.sum().backward()

    """

    def __init__(self, mods=None, depth: int = 2, display: bool = True, custom_mapping=None) -> None:
        super().__init__()
        self.flop_counts = defaultdict(lambda: defaultdict(int))
        self.depth = depth
        self.display = display
        self.mode = None
        if custom_mapping is None:
            custom_mapping = {}
        if mods is not None:
            warnings.warn("mods argument is not needed anymore, you can stop passing it", stacklevel=2)
        self.flop_registry = {
            **flop_registry,
            **{k: v if getattr(v, "_get_raw", False) else shape_wrapper(v) for k, v in custom_mapping.items()},
        }
        self.mod_tracker = _ModuleTrackerOrGlobal()
        self._module_handles = []
        self._in_counted_module = 0

    def get_total_flops(self) -> int:
        return sum(self.flop_counts["Global"].values())

    def get_flop_counts(self):
        """Return the flop counts as a dictionary of dictionaries.

        The outer
        dictionary is keyed by module name, and the inner dictionary is keyed by
        operation name.

        Returns:
            Dict[str, Dict[Any, int]]: The flop counts as a dictionary.
        """
        return {k: dict(v) for k, v in self.flop_counts.items()}

    def get_table(self, depth=None):
        if depth is None:
            depth = self.depth
        if depth is None:
            depth = 999999
        header = ["Module", "FLOP", "% Total"]
        values = []
        global_flops = self.get_total_flops()
        global_suffix = get_suffix_str(global_flops)
        is_global_subsumed = False

        def process_mod(mod_name, depth):
            nonlocal is_global_subsumed
            total_flops = sum(self.flop_counts[mod_name].values())
            is_global_subsumed |= total_flops >= global_flops
            padding = " " * depth
            rows = [[padding + mod_name, convert_num_with_suffix(total_flops, global_suffix),
                     convert_to_percent_str(total_flops, global_flops)]]
            for k, v in self.flop_counts[mod_name].items():
                rows.append([padding + " - " + str(k), convert_num_with_suffix(v, global_suffix),
                             convert_to_percent_str(v, global_flops)])
            return rows

        for mod in sorted(self.flop_counts.keys()):
            if mod == "Global":
                continue
            mod_depth = mod.count(".") + 1
            if mod_depth > depth:
                continue
            values.extend(process_mod(mod, mod_depth - 1))

        # the "Global" rows only when some FLOPs ran outside every module
        if "Global" in self.flop_counts and not is_global_subsumed:
            for value in values:
                value[0] = " " + value[0]
            values = process_mod("Global", 0) + values

        if len(values) == 0:
            values = [["Global", "0", "0%"]]

        return format_table(header, values, ("left", "right", "right"))

    # NB: This context manager is NOT reentrant
    def __enter__(self):
        self.flop_counts.clear()
        self.mod_tracker.__enter__()
        self._in_counted_module = 0
        self._watch_recurrent_modules()
        self.mode = _FlopCounterFunctionMode(self)
        self.mode.__enter__()
        _active.append(self)
        return self

    def __exit__(self, *args):
        if self.mode is None:
            raise AssertionError("Internal error: FlopCounter.__exit__ called but mode is None")
        b = self.mode.__exit__(*args)
        self.mode = None  # break cycles
        if self in _active:
            _active.remove(self)
        for handle in self._module_handles:
            handle.remove()
        self._module_handles.clear()
        self.mod_tracker.__exit__()
        if self.display:
            print(self.get_table(self.depth))
        return b

    def _add(self, counts, parents):
        """Count ``(op, argument shapes, output shape)`` items through the ops' formulas."""
        registry = self.flop_registry
        for op, args, out_shape, *_ in counts:
            formula = registry.get(op)
            if formula is None:
                continue
            flop_count = formula(*args, out_val=out_shape)
            for par in set(parents):
                self.flop_counts[par][op] += flop_count

    def _count_plan(self, forward, backward, outputs):
        parents = set(self.mod_tracker.parents)
        self._add(forward, parents)
        if backward:
            for out in outputs:
                if getattr(out, "requires_grad", False) and out.grad_fn is not None:
                    _hook_backward(out.grad_fn, backward)
                    break

    def _watch_recurrent_modules(self):
        try:
            from tensorgraft.nn.modules.module import (register_module_forward_hook,
                                                       register_module_forward_pre_hook)
        except ImportError:
            return
        from . import fast_paths, rnn
        plans = {}

        def pre_hook(module, args):
            try:
                plan = rnn.module_plan(module, args, {})
                if plan is None:
                    plan = fast_paths.module_plan(module, args)
            except Exception:  # arguments the module itself will refuse: its own error is the one to see
                plan = None
            if plan is not None:
                plans[id(module)] = plan
                self._in_counted_module += 1

        def hook(module, args, output):
            plan = plans.pop(id(module), None)
            if plan is None:
                return
            self._in_counted_module -= 1
            forward, backward = plan
            outputs = [o.data if type(o).__name__ == "PackedSequence" else o
                       for o in (output if isinstance(output, tuple) else (output,))]
            # (the tracker has left the module already: its name joins the parents still open)
            parents = set(self.mod_tracker.parents) | {_name_of(self.mod_tracker, module)}
            self._add(forward, parents)
            if backward:
                self._hook_any(outputs, backward)
        self._module_handles.append(register_module_forward_pre_hook(pre_hook))
        self._module_handles.append(register_module_forward_hook(hook))

    def _hook_any(self, outputs, backward):
        """Count a module's backward once per pass, when the first of its outputs' nodes runs: in a
        node pre-hook, after every tensor hook on the outputs (the tracker's, which enter this
        module and leave the next one), as PyTorch's ops run after them."""
        from tensorgraft.autograd import engine
        nodes = {o.grad_fn for o in outputs if getattr(o, "requires_grad", False) and o.grad_fn is not None}
        if not nodes or any(n in _hooked for n in nodes):
            return
        items = [(op, args, out, _to_nodes(token)) for op, args, out, token in backward]
        counted = weakref.WeakSet()  # the backward passes that have counted it

        def prehook(grad_outputs):
            running = engine.passes[-1] if engine.passes else None
            if running is None or running in counted:
                return
            counted.add(running)
            _count_backward(items)
        for node in nodes:
            _hooked[node] = True
            node.register_prehook(prehook)


def _name_of(tracker, module):
    name_of = getattr(tracker, "_name_of", None)
    return name_of(module) if name_of is not None else "Global"


class _ModuleTrackerOrGlobal:
    """The ModuleTracker, or where tensorgraft-nn is not installed (no modules to name) just "Global"."""

    def __init__(self):
        try:
            import tensorgraft.nn  # noqa: F401
            from ..module_tracker import ModuleTracker
        except ImportError:
            self._tracker = None
        else:
            self._tracker = ModuleTracker()

    @property
    def parents(self):
        return self._tracker.parents if self._tracker is not None else {"Global"}

    def _name_of(self, module):
        return self._tracker._name_of(module)

    def __enter__(self):
        if self._tracker is not None:
            self._tracker.__enter__()
        return self

    def __exit__(self, *exc_info):
        if self._tracker is not None:
            self._tracker.__exit__(*exc_info)


class _FlopCounterFunctionMode(TorchFunctionMode):
    """Sees each public call while its counter is entered; counts the ones PyTorch counts."""

    # not listed by ``overrides._get_current_function_mode_stack()``: PyTorch's counter is no
    # function mode, so code inspecting that stack must not find it
    _internal = True

    def __init__(self, counter: FlopCounterMode) -> None:
        super().__init__()
        self.counter = counter
        self._plans = {}  # function -> its decomposition (None: not counted), filled as calls come
        try:
            from tensorgraft.autograd.engine import passes
        except ImportError:
            passes = ()
        self._backward_passes = passes

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func is _tensor_backward():
            # a mode is off while its handler runs: back on for the pass, so that what user code
            # runs in it (a custom Function's backward, a checkpoint's recomputation) is seen
            return _backward_seen_by(self, *args, **kwargs)
        out = func(*args, **kwargs)
        counter = self.counter
        if counter._in_counted_module:
            return out  # a recurrent module: counted whole by its hooks
        if self._backward_passes and _in_gradient_formula():
            # tensorgraft's gradient formulas call public functions, but their FLOPs are counted
            # by the nodes' hooks, as PyTorch counts the ops its formulas run; what user code runs
            # in a backward pass (a custom Function's backward, a checkpoint's recomputation, a
            # hook) is counted as it runs, as PyTorch counts it
            return out
        try:
            plan = self._plans[func]
        except (KeyError, TypeError):
            plan = _decompositions.PLANS.get(public_name(func))
            try:
                self._plans[func] = plan
            except TypeError:
                pass
        if plan is None:
            return out
        try:
            forward, backward = plan(args, kwargs, out)
        except Exception:  # an argument form the decomposition does not know: the call ran, count nothing
            return out
        if not forward or _inside_custom_op_kernel():
            return out
        counter._count_plan(forward, backward, out if isinstance(out, (tuple, list)) else (out,))
        return out
