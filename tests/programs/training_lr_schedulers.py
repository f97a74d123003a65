"""Learning-rate schedulers as the torch.optim docs and training tutorials use them: one scheduler
per block, stepped once per epoch after optimizer.step(), printing get_last_lr() and the
scheduler's state_dict(), plus the common mistakes users hit."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.optim import lr_scheduler

torch.manual_seed(0)


def make_opt(lr=0.1, **kw):
    model = nn.Linear(3, 2)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, **kw)


def run(name, opt, sched, epochs=8, metric=None):
    lrs = []
    for epoch in range(epochs):
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(metric[epoch])
        lrs.append(", ".join(f"{lr:.6f}" for lr in sched.get_last_lr()))
    print(name)
    for epoch, lr in enumerate(lrs):
        print(f"  epoch {epoch}: [{lr}]")


def show_state(sched):
    sd = sched.state_dict()
    for key in sorted(sd):
        value = sd[key]
        if isinstance(value, float):
            value = round(value, 8)
        elif isinstance(value, list):
            value = [round(v, 8) if isinstance(v, float) else v for v in value]
        print(f"    {key}: {value!r}")


opt = make_opt()
s = lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
print(type(s).__name__, s.last_epoch, s.get_last_lr(), opt.param_groups[0]["initial_lr"])
run("StepLR", opt, s)
show_state(s)

opt = make_opt()
s = lr_scheduler.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)
run("MultiStepLR", opt, s)
show_state(s)

opt = make_opt()
s = lr_scheduler.ExponentialLR(opt, gamma=0.9)
run("ExponentialLR", opt, s, epochs=4)
show_state(s)

opt = make_opt()
s = lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)
run("CosineAnnealingLR", opt, s, epochs=10)
show_state(s)

opt = make_opt()
s = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.0)
run("CosineAnnealingWarmRestarts", opt, s, epochs=10)
show_state(s)

opt = make_opt()
s = lr_scheduler.LambdaLR(opt, lr_lambda=lambda epoch: 0.95 ** epoch)
run("LambdaLR", opt, s, epochs=4)
print("  LambdaLR state keys:", sorted(s.state_dict()))

opt = make_opt()
s = lr_scheduler.MultiplicativeLR(opt, lr_lambda=lambda epoch: 0.8)
run("MultiplicativeLR", opt, s, epochs=4)

opt = make_opt()
s = lr_scheduler.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
print("LinearLR initial", s.get_last_lr())
run("LinearLR", opt, s, epochs=6)
show_state(s)

opt = make_opt()
s = lr_scheduler.ConstantLR(opt, factor=0.5, total_iters=3)
run("ConstantLR", opt, s, epochs=5)

opt = make_opt()
s = lr_scheduler.PolynomialLR(opt, total_iters=5, power=2.0)
run("PolynomialLR", opt, s, epochs=7)
show_state(s)

opt = make_opt()
warm = lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=3)
decay = lr_scheduler.ExponentialLR(opt, gamma=0.5)
s = lr_scheduler.SequentialLR(opt, schedulers=[warm, decay], milestones=[3])
run("SequentialLR", opt, s, epochs=7)
print("  SequentialLR state keys:", sorted(s.state_dict()))
print("  milestones", s.state_dict()["_milestones"], "last_epoch", s.last_epoch)

opt = make_opt()
s1 = lr_scheduler.ConstantLR(opt, factor=0.1, total_iters=2)
s2 = lr_scheduler.ExponentialLR(opt, gamma=0.9)
s = lr_scheduler.ChainedScheduler([s1, s2])
run("ChainedScheduler", opt, s, epochs=5)
print("  ChainedScheduler state keys:", sorted(s.state_dict()))

opt = make_opt()
s = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
print("OneCycleLR initial", [f"{v:.6f}" for v in s.get_last_lr()], f"{opt.param_groups[0]['momentum']:.4f}")
moms = []
lrs = []
for step in range(10):
    opt.step()
    s.step()
    if step < 9:
        lrs.append(f"{s.get_last_lr()[0]:.6f}")
        moms.append(f"{opt.param_groups[0]['momentum']:.4f}")
print("  lrs", lrs)
print("  momentum", moms)
show_state(s)
try:
    s.step()
    opt.step()
    s.step()
except Exception as e:
    print(type(e).__name__, e)

opt = make_opt()
s = lr_scheduler.OneCycleLR(opt, max_lr=0.5, epochs=2, steps_per_epoch=4, anneal_strategy="linear",
                            pct_start=0.25, three_phase=True)
run("OneCycleLR linear three_phase", opt, s, epochs=7)

opt = make_opt(lr=0.01)
s = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, mode="triangular2")
print("CyclicLR initial", [f"{v:.6f}" for v in s.get_last_lr()])
run("CyclicLR triangular2", opt, s, epochs=9)
print("  momentum", f"{opt.param_groups[0]['momentum']:.4f}")
opt = make_opt(lr=0.01)
s = lr_scheduler.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range", gamma=0.9)
run("CyclicLR exp_range", opt, s, epochs=7)

model = nn.Linear(3, 2)
adam = torch.optim.Adam(model.parameters(), lr=0.01)
try:
    lr_scheduler.CyclicLR(adam, base_lr=0.001, max_lr=0.01)
except Exception as e:
    print(type(e).__name__, e)
s = lr_scheduler.CyclicLR(adam, base_lr=0.001, max_lr=0.01, step_size_up=2, cycle_momentum=False)
run("CyclicLR Adam", adam, s, epochs=5)

opt = make_opt()
s = lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1, threshold=0.01, cooldown=1,
                                   min_lr=0.01)
val_losses = [1.0, 0.9, 0.95, 0.92, 0.91, 0.93, 0.94, 0.95, 0.96, 0.97]
run("ReduceLROnPlateau", opt, s, epochs=10, metric=val_losses)
sd = s.state_dict()
print("  plateau keys", sorted(k for k in sd if k != "mode_worse"))
print("  best", sd["best"], "num_bad_epochs", sd["num_bad_epochs"], "cooldown_counter", sd["cooldown_counter"])
print("  last_epoch", s.last_epoch, "min_lrs", sd["min_lrs"], "mode_worse", sd["mode_worse"])

opt = make_opt()
s = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.1, patience=0, threshold_mode="abs")
run("ReduceLROnPlateau max", opt, s, epochs=4, metric=[0.5, 0.6, 0.6, 0.59])

# Two param groups with their own lr: every scheduler scales each group's initial lr.
model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
opt = torch.optim.SGD([{"params": model[0].parameters()}, {"params": model[1].parameters(), "lr": 0.01}],
                      lr=0.1)
s = lr_scheduler.StepLR(opt, step_size=2, gamma=0.1)
run("StepLR two groups", opt, s, epochs=4)
print("  initial_lr", [g["initial_lr"] for g in opt.param_groups])

# Save and restore a scheduler (resume training): the restored one continues the schedule.
opt = make_opt()
s = lr_scheduler.CosineAnnealingLR(opt, T_max=10)
for _ in range(4):
    opt.step()
    s.step()
saved = s.state_dict()
opt2 = make_opt()
for g in opt2.param_groups:
    g["lr"] = opt.param_groups[0]["lr"]
s2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=10)
s2.load_state_dict(saved)
print("restored last_epoch", s2.last_epoch, [f"{v:.6f}" for v in s2.get_last_lr()])
opt2.step()
s2.step()
opt.step()
s.step()
print("continued", f"{s.get_last_lr()[0]:.6f}", f"{s2.get_last_lr()[0]:.6f}", math.isclose(s.get_last_lr()[0],
                                                                                              s2.get_last_lr()[0]))

# Common mistakes.
opt = make_opt()
for bad in [lambda: lr_scheduler.StepLR(opt, step_size=2, gamma=0.1, last_epoch=3),
            lambda: lr_scheduler.LinearLR(opt, start_factor=0.0),
            lambda: lr_scheduler.LinearLR(opt, start_factor=1.5),
            lambda: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0),
            lambda: lr_scheduler.ReduceLROnPlateau(opt, mode="avg"),
            lambda: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0),
            lambda: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
            lambda: lr_scheduler.OneCycleLR(opt, max_lr=0.1),
            lambda: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
            lambda: lr_scheduler.StepLR("not an optimizer", step_size=2),
            lambda: lr_scheduler.SequentialLR(opt, [lr_scheduler.ConstantLR(opt)], milestones=[1])]:
    try:
        bad()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
