"""``register_full_backward_hook`` support: observe the gradients flowing into a module's inputs
(``grad_input``) and out of its outputs (``grad_output``)."""
from __future__ import annotations

from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import Tensor


class BackwardHook:
    def __init__(self, module, hooks):
        self.module = module
        self.hooks = hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_slots = []
        self.grad_inputs = None
        self.pending = 0

    def setup_input_hook(self, args):
        if not _gs.enabled:
            return args
        new = list(args)
        self.n_inputs = len(args)
        self.grad_inputs = [None] * len(args)
        for i, a in enumerate(args):
            if isinstance(a, Tensor) and a.requires_grad:
                v = a.view(tuple(a.shape))
                new[i] = v
                self.input_slots.append(i)
                v.register_hook(self._make_input_hook(i))
        self.pending = len(self.input_slots)
        return tuple(new)

    def _make_input_hook(self, i):
        def hook(grad):
            self.grad_inputs[i] = grad
            self.pending -= 1
            if self.pending == 0:
                res = self._call(tuple(self.grad_inputs))
                if res is not None:
                    return res[i]
            return None
        return hook

    def _call(self, grad_inputs):
        out = None
        for h in self.hooks:
            r = h(self.module, grad_inputs if out is None else out, self.grad_outputs)
            if r is not None:
                out = tuple(r) if isinstance(r, (tuple, list)) else (r,)
        return out

    def setup_output_hook(self, result):
        if not _gs.enabled:
            return result
        outs = result if isinstance(result, tuple) else (result,)
        tens = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
        if not tens:
            return result
        self.grad_outputs = [None] * len(tens)
        remaining = [len(tens)]

        def make(j):
            def hook(grad):
                self.grad_outputs[j] = grad
                remaining[0] -= 1
                if remaining[0] == 0:
                    self.grad_outputs = tuple(self.grad_outputs)
                    if not self.input_slots:
                        self._call((None,) * max(self.n_inputs, 1))
                return None
            return hook
        for j, t in enumerate(tens):
            t.register_hook(make(j))
        return result
