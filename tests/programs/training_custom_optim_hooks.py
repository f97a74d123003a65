"""Extending torch.optim the way the docs and blog posts show: a custom Optimizer subclass (state in
self.state[p], defaults, a closure, @torch.no_grad step), a custom LRScheduler subclass (linear warmup
then inverse square root), a LambdaLR with a callable object whose state is saved, optimizer hooks
(register_step_pre_hook / register_step_post_hook, state_dict and load_state_dict hooks), the
global optimizer hooks, LBFGS with a closure, and printing of all of it."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.optim import Optimizer
from tensorgraft.optim.lr_scheduler import LambdaLR, LRScheduler
from tensorgraft.optim.optimizer import register_optimizer_step_post_hook, register_optimizer_step_pre_hook

torch.manual_seed(0)


class SignSGD(Optimizer):
    """SGD on the sign of the gradient, with optional momentum (signum)."""

    def __init__(self, params, lr=1e-3, momentum=0.0, weight_decay=0.0):
        if lr <= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if group["weight_decay"] != 0:
                    grad = grad.add(p, alpha=group["weight_decay"])
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["momentum_buffer"] = torch.clone(grad).detach()
                else:
                    state["momentum_buffer"].mul_(group["momentum"]).add_(grad, alpha=1 - group["momentum"])
                state["step"] += 1
                p.add_(torch.sign(state["momentum_buffer"]), alpha=-group["lr"])
        return loss


class WarmupInvSqrt(LRScheduler):
    def __init__(self, optimizer, warmup_steps, last_epoch=-1):
        self.warmup_steps = warmup_steps
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        step = max(self.last_epoch, 1)
        scale = min(step / self.warmup_steps, math.sqrt(self.warmup_steps / step))
        return [base_lr * scale for base_lr in self.base_lrs]


class Decay:
    def __init__(self, rate):
        self.rate = rate

    def __call__(self, epoch):
        return self.rate ** epoch


X = torch.randn(32, 4)
Y = X @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
model = nn.Linear(4, 1)
opt = SignSGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
print(opt)
print(opt.defaults)
sched = WarmupInvSqrt(opt, warmup_steps=3)
print("initial lr", sched.get_last_lr(), sched.last_epoch)

events = []
pre = opt.register_step_pre_hook(lambda o, args, kwargs: events.append(("pre", len(args), sorted(kwargs))))
post = opt.register_step_post_hook(lambda o, args, kwargs: events.append(("post",)))


def closure():
    opt.zero_grad()
    loss = F.mse_loss(model(X), Y)
    loss.backward()
    return loss


for step in range(8):
    loss = opt.step(closure)
    sched.step()
    print(f"step {step} loss {loss.item():.4f} lr {sched.get_last_lr()[0]:.5f}")
print(events[:3], len(events))
pre.remove()
post.remove()
opt.step(closure)
print(len(events))
print(opt.state[model.weight]["step"], opt.state[model.weight]["momentum_buffer"].shape)
sd = opt.state_dict()
print(sd["state"][1], sd["param_groups"])
print(sched.state_dict())


def drop_momentum(optimizer, state_dict):
    # the per-parameter dicts of a state_dict are the optimizer's own: build new ones
    state_dict["state"] = {k: {n: v for n, v in s.items() if n != "momentum_buffer"}
                           for k, s in state_dict["state"].items()}
    return state_dict


handle = opt.register_state_dict_post_hook(drop_momentum)
print(opt.state_dict()["state"])
handle.remove()
print(sorted(opt.state_dict()["state"][0]))
opt2 = SignSGD(model.parameters(), lr=1.0)
opt2.register_load_state_dict_pre_hook(lambda o, sd: print("pre-load groups", len(sd["param_groups"])))
opt2.register_load_state_dict_post_hook(lambda o: print("post-load lr", o.param_groups[0]["lr"]))
opt2.load_state_dict(opt.state_dict())
print(opt2.state[model.bias])
try:
    SignSGD(model.parameters(), lr=0.0)
except ValueError as e:
    print("ValueError", e)

# A LambdaLR with a callable object: its attributes are saved and restored.
opt3 = torch.optim.SGD(model.parameters(), lr=1.0)
lam = LambdaLR(opt3, lr_lambda=Decay(0.5))
for _ in range(3):
    opt3.step()
    lam.step()
state = lam.state_dict()
print(state["lr_lambdas"], lam.get_last_lr())
opt4 = torch.optim.SGD(model.parameters(), lr=1.0)
lam2 = LambdaLR(opt4, lr_lambda=Decay(0.9))
lam2.load_state_dict(state)
print(lam2.lr_lambdas[0].rate, lam2.last_epoch)
opt4.step()
lam2.step()
print(lam2.get_last_lr())
fn_sched = LambdaLR(torch.optim.SGD(model.parameters(), lr=1.0), lambda e: 1.0 / (e + 1))
print(fn_sched.state_dict()["lr_lambdas"])

# Global hooks on every optimizer.
calls = []
h1 = register_optimizer_step_pre_hook(lambda o, a, k: calls.append(type(o).__name__ + ":pre"))
h2 = register_optimizer_step_post_hook(lambda o, a, k: calls.append(type(o).__name__ + ":post"))
sgd = torch.optim.SGD(model.parameters(), lr=0.01)
sgd.step()
opt.step(closure)
h1.remove()
h2.remove()
sgd.step()
print(calls)

# LBFGS needs a closure.
torch.manual_seed(0)
lin = nn.Linear(4, 1)
lbfgs = torch.optim.LBFGS(lin.parameters(), lr=0.5, max_iter=10, history_size=5, line_search_fn="strong_wolfe")


def lbfgs_closure():
    lbfgs.zero_grad()
    loss = F.mse_loss(lin(X), Y)
    loss.backward()
    return loss


for i in range(3):
    loss = lbfgs.step(lbfgs_closure)
    print(f"lbfgs {i} {loss.item():.5f}")
print(f"{F.mse_loss(lin(X), Y).item():.6f}")
print(sorted(lbfgs.state_dict()["state"][0].keys()))
print(lbfgs.state_dict()["state"][0]["func_evals"], lbfgs.state_dict()["state"][0]["n_iter"])
try:
    lbfgs.step()
except Exception as e:
    print(type(e).__name__, e)
