"""``register_full_backward_hook``/``register_full_backward_pre_hook`` support: observe (and
optionally replace) the gradients flowing out of a module's outputs (``grad_output``) and into its
inputs (``grad_input``).

As in PyTorch, the module's tensor inputs and tensor outputs each pass through one identity node
(``BackwardHookFunctionBackward``), so a hook sees the gradients of *all* inputs at once and what
it returns replaces them, whatever the number of inputs.
"""
from __future__ import annotations

from tensorgraft.caller_warnings import warn_at_caller
from tensorgraft.grad_mode import state as _gs
from tensorgraft.tensor import Tensor


def _function_cls():
    global _BackwardHookFunction
    if _BackwardHookFunction is None:
        from tensorgraft.autograd.function import Function

        class BackwardHookFunction(Function):
            @staticmethod
            def forward(ctx, callback, materialize, *args):
                # fresh aliases (not the inputs themselves), so that marking those of inputs that do
                # not require grad as non-differentiable takes effect
                outs = tuple(a.view(tuple(a.shape)) for a in args)
                ctx.mark_non_differentiable(*[o for o, a in zip(outs, args) if not a.requires_grad])
                # on the outputs' side, one the loss does not use reaches the hooks as None (PyTorch
                # reads the outputs' gradients before any are filled in); the inputs' side sees zeros
                ctx.set_materialize_grads(materialize)
                ctx.callback = callback
                return outs

            @staticmethod
            def backward(ctx, *grads):
                res = ctx.callback(grads)
                return (None, None) + tuple(grads if res is None else res)

        _BackwardHookFunction = BackwardHookFunction
    return _BackwardHookFunction


_BackwardHookFunction = None


class BackwardHook:
    def __init__(self, module, user_hooks, user_pre_hooks):
        self.module = module
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply_on_tensors(self, callback, args, materialize=True):
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (_gs.enabled and any(args[i].requires_grad for i in idx)):
            return args, None
        new = _function_cls().apply(callback, materialize, *[args[i] for i in idx])
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def _input_callback(self, grads):
        if self.grad_outputs is None:
            # the gradient reached the inputs without passing through the outputs (double backward)
            return None
        res = self._pack_with_none(self.input_tensors_index, grads, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                   f"got {len(out)}, but expected {len(res)}")
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def _output_callback(self, grads):
        self.grad_outputs = self._pack_with_none(self.output_tensors_index, grads, self.n_outputs)
        if self.user_pre_hooks:
            expected = len(self.grad_outputs)
            for hook in self.user_pre_hooks:
                out = hook(self.module, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != expected:
                    raise RuntimeError("Backward pre hook returned an invalid number of grad_output, "
                                       f"got {len(out)}, but expected {expected}")
                self.grad_outputs = out
        local = self.grad_outputs
        if self.input_tensors_index is None:
            # PyTorch warns this from C++ during backward (it names the user's backward() line), for
            # full hooks only: a module whose only hooks are the old register_backward_hook kind
            # (run here with full semantics) has them on its output's node there, which never warns
            if self.user_pre_hooks or self.module.__dict__.get("_is_full_backward_hook") is not False \
                    or len(self.user_hooks) > len(self.module._backward_hooks):
                warn_at_caller("Full backward hook is firing when gradients are computed with respect to module outputs "
                               "since no inputs require gradients. See https://docs.pytorch.org/docs/main/generated/"
                               "torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for more details.")
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (isinstance(res, tuple) and all(r is None for r in res)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_tensors_index)

    def setup_input_hook(self, args):
        res, idx = self._apply_on_tensors(self._input_callback, args)
        self.n_inputs = len(args)
        self.input_tensors_index = idx
        return res

    def setup_output_hook(self, result):
        is_tuple = isinstance(result, tuple)
        args = result if is_tuple else (result,)
        res, idx = self._apply_on_tensors(self._output_callback, args, False)
        self.n_outputs = len(args)
        self.output_tensors_index = idx
        return res if is_tuple else res[0]
