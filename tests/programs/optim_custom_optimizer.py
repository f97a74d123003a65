"""Writing one's own optimizer and scheduler the way research code does: a Lion optimizer subclassing
torch.optim.Optimizer (defaults dict, lazy state init inside a @torch.no_grad() step, a closure
re-evaluated under enable_grad, sign updates with decoupled weight decay) and its multi-tensor twin
on torch._foreach_* lists, a factored Adafactor-like second moment for matrices, param groups with
their own hyperparameters and add_param_group, step pre/post hooks (global and per optimizer),
zero_grad(set_to_none) both ways, a state_dict round trip into a fresh optimizer, and a custom
LRScheduler subclass with get_lr from last_epoch."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.optim import Optimizer
from tensorgraft.optim.lr_scheduler import LRScheduler
from tensorgraft.optim.optimizer import ParamsT, register_optimizer_step_post_hook


class Lion(Optimizer):
    def __init__(self, params: ParamsT, lr: float = 1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        if lr <= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= betas[0] < 1.0 or not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameters: {betas}")
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["step"] = 0
                state["step"] += 1
                exp_avg = state["exp_avg"]
                p.mul_(1 - group["lr"] * group["weight_decay"])
                update = exp_avg.mul(beta1).add_(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-group["lr"])
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)
        return loss


class LionForeach(Lion):
    """The multi-tensor variant, as optimizer libraries ship one: the same update on lists."""

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            for p in params:
                if not self.state[p]:
                    self.state[p]["exp_avg"] = torch.zeros_like(p)
            exp_avgs = [self.state[p]["exp_avg"] for p in params]
            beta1, beta2 = group["betas"]
            torch._foreach_mul_(params, 1 - group["lr"] * group["weight_decay"])
            updates = torch._foreach_lerp(exp_avgs, grads, 1 - beta1)
            torch._foreach_sign_(updates)
            torch._foreach_add_(params, updates, alpha=-group["lr"])
            torch._foreach_lerp_(exp_avgs, grads, 1 - beta2)


class FactoredRMS(Optimizer):
    """Adafactor's idea in miniature: row and column running means of grad**2 for matrices."""

    def __init__(self, params, lr=1e-2, decay=0.8, eps=1e-30):
        super().__init__(params, {"lr": lr, "decay": decay, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g2 = p.grad.square() + group["eps"]
                state = self.state[p]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    if p.dim() == 2:
                        state["row"] = torch.zeros(p.shape[0])
                        state["col"] = torch.zeros(p.shape[1])
                    else:
                        state["sq"] = torch.zeros_like(p)
                state["step"] += 1
                rho = 1 - state["step"].item() ** -group["decay"]
                if p.dim() == 2:
                    state["row"].lerp_(g2.mean(1), 1 - rho)
                    state["col"].lerp_(g2.mean(0), 1 - rho)
                    v = torch.outer(state["row"], state["col"]) / state["row"].mean()
                else:
                    state["sq"].lerp_(g2, 1 - rho)
                    v = state["sq"]
                p.addcdiv_(p.grad, v.sqrt(), value=-group["lr"])


class WarmupCosine(LRScheduler):
    def __init__(self, optimizer, warmup, total, floor=0.1, last_epoch=-1):
        self.warmup, self.total, self.floor = warmup, total, floor
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t = self.last_epoch
        if t < self.warmup:
            return [base * (t + 1) / self.warmup for base in self.base_lrs]
        progress = (t - self.warmup) / max(1, self.total - self.warmup)
        scale = self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        return [base * scale for base in self.base_lrs]


torch.manual_seed(2)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
x, y = torch.randn(16, 4), torch.randn(16, 2)
loss_fn = nn.MSELoss()

try:
    Lion(model.parameters(), lr=-1)
except ValueError as e:
    print("ValueError:", e)
opt = Lion([
    {"params": model[0].parameters()},
    {"params": model[2].weight, "lr": 3e-3, "weight_decay": 0.1},
], lr=1e-2, betas=(0.9, 0.99))
print(opt)
print([sorted(g.keys()) for g in opt.param_groups])
opt.add_param_group({"params": [model[2].bias], "betas": (0.5, 0.9)})
print([(len(g["params"]), g["lr"], g["betas"], g["weight_decay"]) for g in opt.param_groups])
try:
    opt.add_param_group({"params": [model[2].bias]})
except ValueError as e:
    print("ValueError:", e)

calls = []
pre = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", len(o.state))))
post = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", len(o.state))))
sched = WarmupCosine(opt, warmup=2, total=6)
print("initial lrs:", [round(lr, 6) for lr in sched.get_last_lr()], sched.last_epoch)


def closure():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    return loss


for epoch in range(4):
    loss = opt.step(closure)
    sched.step()
    print(f"epoch {epoch}: loss {loss.item():.5f} lrs {[round(lr, 6) for lr in sched.get_last_lr()]}")
print(calls)
pre.remove()
post.remove()
opt.step(closure)
print(len(calls), opt.state[model[0].weight]["step"], opt.state[model[2].bias]["exp_avg"])

# the foreach variant takes the same steps as the loop
twin_a, twin_b = nn.Linear(4, 2), nn.Linear(4, 2)
twin_b.load_state_dict(twin_a.state_dict())
loop_opt = Lion(twin_a.parameters(), lr=0.05, weight_decay=0.1)
list_opt = LionForeach(twin_b.parameters(), lr=0.05, weight_decay=0.1)
for _ in range(3):
    for net_, opt_ in ((twin_a, loop_opt), (twin_b, list_opt)):
        opt_.zero_grad()
        loss_fn(net_(x), y).backward()
        opt_.step()
print("foreach agrees:", all(torch.allclose(a, b) for a, b in zip(twin_a.parameters(), twin_b.parameters())))
print(twin_b.bias, list_opt.state[twin_b.bias]["exp_avg"])
print("grad norms:", [round(n.item(), 5) for n in torch._foreach_norm([p.grad for p in twin_b.parameters()])])

sd = opt.state_dict()
print(sorted(sd.keys()), sorted(sd["state"].keys()))
print([(g["params"], g["lr"]) for g in sd["param_groups"]])
fresh = Lion([
    {"params": model[0].parameters()},
    {"params": model[2].weight, "lr": 1.0, "weight_decay": 0.0},
    {"params": [model[2].bias]},
], lr=5.0)
fresh.load_state_dict(sd)
print([g["lr"] for g in fresh.param_groups], [g["weight_decay"] for g in fresh.param_groups])
same = all(torch.equal(fresh.state[p]["exp_avg"], opt.state[p]["exp_avg"]) for p in model.parameters())
print("state restored:", same, fresh.state[model[0].weight]["exp_avg"] is opt.state[model[0].weight]["exp_avg"])
sched_sd = sched.state_dict()
print({k: v for k, v in sorted(sched_sd.items()) if k != "_get_lr_called_within_step"})
sched2 = WarmupCosine(fresh, warmup=2, total=6)
sched2.load_state_dict(sched_sd)
print(sched2.last_epoch, [round(lr, 6) for lr in sched2.get_last_lr()])

opt.zero_grad(set_to_none=False)
print("zeroed:", model[0].bias.grad)
opt.zero_grad()
print("none:", model[0].bias.grad)

global_calls = []
handle = register_optimizer_step_post_hook(
    lambda o, args, kwargs: global_calls.append(type(o).__name__))
torch.manual_seed(3)
net = nn.Linear(5, 3)
fact = FactoredRMS([{"params": [net.weight]}, {"params": [net.bias], "lr": 0.05}], lr=0.02)
fsched = torch.optim.lr_scheduler.StepLR(fact, step_size=2, gamma=0.5)
inputs, target = torch.randn(10, 5), torch.randint(0, 3, (10,))
for it in range(4):
    fact.zero_grad()
    loss = nn.functional.cross_entropy(net(inputs), target)
    loss.backward()
    fact.step()
    fsched.step()
    print(f"it {it}: loss {loss.item():.5f} lr {fsched.get_last_lr()}")
handle.remove()
print(global_calls)
st = fact.state[net.weight]
print(sorted(st.keys()), st["step"], st["row"], st["col"])
print(fact.state[net.bias]["sq"])
print(net.weight)
print(fact.state_dict()["param_groups"])
