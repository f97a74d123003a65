"""``ModuleTracker``: which modules are running now, forward or backward, by their fully qualified
names (the ``state_dict`` prefixes), for tools that attribute work to modules (FLOP and memory
counters, loggers).

It watches every module through the global forward hooks. Entering a module's forward adds its name
to ``parents``; leaving removes it. For the backward pass, the same names are added when the
gradients of a module's outputs are ready (its backward starts) and removed when those of its inputs
are (its backward ends), through ``register_multi_grad_hook``; at the end of each backward pass
``parents`` goes back to ``{"Global"}``. Names come from the first module seen: the outermost
module is its class name ("Sequential"), its children "Sequential.0", and so on.

Needs tensorgraft-nn (the module hooks) and tensorgraft-autograd (the gradient hooks).
"""
from __future__ import annotations

import logging
import weakref

__all__ = ["ModuleTracker"]

logger = logging.getLogger(__name__)


class ModuleTracker:
    """A context manager; inside it, ``parents`` is the set of the names of the modules running
    now, always with "Global", and ``is_bw`` says whether a backward pass is running.

    ``is_bw`` stays True only while the backward runs; ``parents`` may keep names of modules whose
    backward never reached their inputs (those without inputs that require grad) until the pass ends.
    """

    def __init__(self) -> None:
        self.parents = {"Global"}
        self._names = weakref.WeakKeyDictionary()     # module -> its name
        self._named_children = weakref.WeakSet()     # modules whose children have names already
        self._reset_queued = False
        self._handles = []

    @property
    def is_bw(self) -> bool:
        """Whether a backward pass is running now."""
        from tensorgraft.autograd import engine
        return bool(engine.passes)

    def _name_of(self, module) -> str:
        if module not in self._names:
            self._names[module] = type(module).__name__
        name = self._names[module]
        if module not in self._named_children:
            for child_name, child in module.named_children():
                self._names[child] = f"{name}.{child_name}"
                self._name_of(child)
            self._named_children.add(module)
        return name

    def _enter(self, name, backward):
        def enter(*_):
            if backward:
                self._reset_after_backward()
            if name in self.parents:
                logger.info("module hierarchy tracking: %s entered again during %s", name,
                            "backward" if backward else "forward")
            self.parents.add(name)
        return enter

    def _leave(self, name, backward):
        def leave(*_):
            if name in self.parents:
                self.parents.remove(name)
            else:
                logger.info("module hierarchy tracking: leaving %s, which was not entered, during %s", name,
                            "backward" if backward else "forward")
        return leave

    def _reset_after_backward(self):
        # once per backward pass: whatever the gradient hooks left, the pass's end clears it
        if self._reset_queued:
            return
        from tensorgraft.autograd import Variable

        def reset():
            self.parents = {"Global"}
            self._reset_queued = False
        Variable._execution_engine.queue_callback(reset)
        self._reset_queued = True

    def _watch(self, values, callback):
        from tensorgraft.autograd.graph import register_multi_grad_hook
        from tensorgraft.tensor import Tensor
        from tensorgraft.utils._pytree import tree_flatten
        leaves, _ = tree_flatten(values)
        tensors = [t for t in leaves if isinstance(t, Tensor) and t.requires_grad]
        if tensors:
            self._handles.append(register_multi_grad_hook(tensors, callback))

    def _forward_pre_hook(self, module, args):
        name = self._name_of(module)
        self._enter(name, False)()
        self._watch(args, self._leave(name, True))   # the inputs' gradients: this module's backward is done

    def _forward_hook(self, module, args, output):
        name = self._name_of(module)
        self._leave(name, False)()
        self._watch(output, self._enter(name, True))  # the outputs' gradients: its backward begins

    def __enter__(self):
        from tensorgraft.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
        self._handles.append(register_module_forward_pre_hook(self._forward_pre_hook))
        self._handles.append(register_module_forward_hook(self._forward_hook))
        return self

    def __exit__(self, *exc_info):
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
