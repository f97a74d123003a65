"""Optimizer hooks hand out torch.utils.hooks.RemovableHandle, the one handle class, as in PyTorch."""
import tensorgraft as tg
import tensorgraft.optim as optim
from tensorgraft.optim.optimizer import register_optimizer_step_post_hook
from tensorgraft.utils.hooks import RemovableHandle


def test_handles_are_utils_hooks_handles_and_remove():
    w = tg.zeros(2)  # (no requires_grad: this part is tested without the autograd engine too)
    opt = optim.SGD([w], lr=1.0)
    calls = []
    pre = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    post = register_optimizer_step_post_hook(lambda o, a, k: calls.append("post"))
    assert isinstance(pre, RemovableHandle) and isinstance(post, RemovableHandle)
    assert optim.optimizer.RemovableHandle is RemovableHandle
    assert post.id > pre.id  # one counter for every handle
    w.grad = tg.ones(2)
    opt.step()
    with pre, post:
        pass  # leaving the block removes both
    opt.step()
    assert calls == ["pre", "post"]
