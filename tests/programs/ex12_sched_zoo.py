"""The LR-scheduler settings people copy from fine-tuning scripts and fast.ai-style blog posts:
OneCycleLR with three_phase and linear annealing, CosineAnnealingWarmRestarts stepped with a
fractional epoch inside the batch loop, ReduceLROnPlateau in max mode with cooldown and an
absolute threshold, SequentialLR warmup then decay, LambdaLR with one lambda per param group,
a scheduler saved and restored through state_dict, and the mistakes users make."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.optim import lr_scheduler

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))


def fmt(lrs):
    return "[" + ", ".join(f"{lr:.6f}" for lr in lrs) + "]"


opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
one = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10, three_phase=True,
                              anneal_strategy="linear", pct_start=0.3)
print("OneCycle start", fmt(one.get_last_lr()), "momentum", opt.param_groups[0]["momentum"])
for step in range(10):
    opt.step()
    one.step()
    if step < 9:
        print(f"  {step}: lr {fmt(one.get_last_lr())} momentum {opt.param_groups[0]['momentum']:.4f}")
print(sorted(k for k in opt.param_groups[0] if k not in ("params",)))
try:
    opt.step()
    one.step()
except Exception as e:
    print(type(e).__name__, e)

opt = torch.optim.AdamW(model.parameters(), lr=0.01, betas=(0.95, 0.99))
one_adam = lr_scheduler.OneCycleLR(opt, max_lr=0.05, epochs=2, steps_per_epoch=3, div_factor=10.0,
                                   final_div_factor=100.0)
print("adamw betas", opt.param_groups[0]["betas"], "initial_lr", opt.param_groups[0]["initial_lr"])
for _step in range(5):
    opt.step()
    one_adam.step()
    print(f"  lr {fmt(one_adam.get_last_lr())} betas ({opt.param_groups[0]['betas'][0]:.4f}, "
          f"{opt.param_groups[0]['betas'][1]})")

opt = torch.optim.SGD(model.parameters(), lr=0.5)
warm = lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.01)
iters = 3
for epoch in range(4):
    row = []
    for i in range(iters):
        opt.step()
        warm.step(epoch + i / iters)
        row.append(f"{warm.get_last_lr()[0]:.4f}")
    print(f"epoch {epoch}: {row} T_cur={warm.T_cur:.4f} T_i={warm.T_i}")

opt = torch.optim.SGD(model.parameters(), lr=1.0)
plateau = lr_scheduler.ReduceLROnPlateau(opt, mode="max", factor=0.5, patience=1, threshold=0.05,
                                         threshold_mode="abs", cooldown=1, min_lr=0.1)
accs = [0.50, 0.52, 0.53, 0.54, 0.60, 0.60, 0.61, 0.61, 0.61, 0.61, 0.70]
for epoch, acc in enumerate(accs):
    plateau.step(acc)
    print(f"epoch {epoch} acc {acc:.2f} lr {fmt(plateau.get_last_lr())} bad={plateau.num_bad_epochs} "
          f"cooldown={plateau.cooldown_counter} best={plateau.best:.2f}")

opt = torch.optim.SGD(model.parameters(), lr=0.1)
warmup = lr_scheduler.LinearLR(opt, start_factor=0.25, total_iters=3)
decay = lr_scheduler.ExponentialLR(opt, gamma=0.8)
seq = lr_scheduler.SequentialLR(opt, schedulers=[warmup, decay], milestones=[3])
lrs = []
for _epoch in range(7):
    opt.step()
    seq.step()
    lrs.append(f"{seq.get_last_lr()[0]:.5f}")
print("sequential", lrs)

groups = [{"params": model[0].parameters(), "lr": 0.1}, {"params": model[2].parameters(), "lr": 0.01}]
opt = torch.optim.SGD(groups, lr=1.0)
lam = lr_scheduler.LambdaLR(opt, lr_lambda=[lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)])
for _epoch in range(3):
    opt.step()
    lam.step()
    print("lambda", fmt(lam.get_last_lr()), lam.last_epoch)
print("lambda state keys", sorted(lam.state_dict()))

opt = torch.optim.SGD(model.parameters(), lr=0.2)
cos = lr_scheduler.CosineAnnealingLR(opt, T_max=6)
for _ in range(2):
    opt.step()
    cos.step()
saved = cos.state_dict()
print({k: (round(v, 6) if isinstance(v, float) else v) for k, v in saved.items() if k != "_get_lr_called_within_step"})
opt2 = torch.optim.SGD(model.parameters(), lr=0.2)
cos2 = lr_scheduler.CosineAnnealingLR(opt2, T_max=6)
cos2.load_state_dict(saved)
opt2.param_groups[0]["lr"] = cos.get_last_lr()[0]
opt.step()
cos.step()
opt2.step()
cos2.step()
print("resumed", fmt(cos.get_last_lr()), fmt(cos2.get_last_lr()))

for bad in [lambda: lr_scheduler.OneCycleLR(opt, max_lr=0.1),
            lambda: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
            lambda: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0),
            lambda: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=1.5),
            lambda: lr_scheduler.ReduceLROnPlateau(opt, mode="best"),
            lambda: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0),
            lambda: lr_scheduler.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0]),
            lambda: lr_scheduler.SequentialLR(opt, [lr_scheduler.StepLR(opt, 2)], milestones=[1]),
            lambda: lr_scheduler.StepLR(nn.Linear(1, 1), 2)]:
    try:
        bad()
    except Exception as e:
        print(type(e).__name__, e)
print(math.isclose(opt.param_groups[0]["lr"], 0.2))
