"""``register_multi_grad_hook`` must not keep its tensors alive (PyTorch's keeps their nodes): a hook
on every module output (``ModuleTracker``, ``FlopCounterMode``) would otherwise hold every activation
until the handle is removed."""
import gc
import weakref

import tensorgraft as torch
from tensorgraft.autograd.graph import register_multi_grad_hook


def test_registered_tensors_can_be_collected():
    leaf = torch.randn(3, requires_grad=True)
    out = leaf * 2
    handle = register_multi_grad_hook((leaf, out), lambda grads: None)
    out_ref = weakref.ref(out)
    del out
    gc.collect()
    assert out_ref() is None  # (the leaf, like PyTorch's, is kept by its gradient accumulator's hook)
    handle.remove()


def test_the_hook_still_sees_every_gradient_of_the_pass():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a * 3
    c = b.sum() * 2
    calls = []
    register_multi_grad_hook((a, b), lambda grads: calls.append([g.tolist() for g in grads]))
    del b
    c.backward()
    # PyTorch 2.13: one call with both gradients, b's first computed, then a's
    assert calls == [[[6.0, 6.0], [2.0, 2.0]]]
    calls.clear()
    x = torch.tensor([1.0], requires_grad=True)
    y = torch.tensor([1.0], requires_grad=True)
    register_multi_grad_hook((x, y), lambda grads: calls.append([None if g is None else g.tolist() for g in grads]))
    (x * 5).sum().backward()  # y takes no part in this pass: None for it
    assert calls == [[[5.0], None]]
