"""Forward-mode AD (``autograd.forward_ad``): the Jacobian-vector product of a network's output
with respect to its input, against PyTorch's forward AD.

tensorgraft has forward formulas for the common ops (autograd/forward_ad/_rules.py: every op here)
and derives the others' tangents from their reverse-mode formulas (two backward passes of the op,
see autograd/forward_ad/_propagation.py), where PyTorch has a forward formula per op; on small
tensors the ratio shows the per-call cost of its ``__torch_function__`` mode. A dual level turns
tensorgraft's dispatch on for the process, so each library runs in a child process
(torch_function.py's).
"""
from __future__ import annotations

from . import Workload
from .torch_function import TIMING_LOOP, _Child

_CHILD = r"""
import sys, time
lib, case = sys.argv[1], sys.argv[2]
if lib == "torch":
    import torch
else:
    import tensorgraft as torch
fwAD = torch.autograd.forward_ad
torch.set_num_threads(1)
torch.manual_seed(0)
if case == "mlp":
    nn = torch.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    x, t = torch.randn(256, 784), torch.randn(256, 784)
    f = lambda d: model(d)
else:  # elementwise
    x, t = torch.randn(1000), torch.randn(1000)
    f = lambda d: ((d.sin() * d).exp() + d ** 2).sum()


def step():
    with fwAD.dual_level():
        return fwAD.unpack_dual(f(fwAD.make_dual(x, t))).tangent


for _ in range(3):
    step()
""" + TIMING_LOOP


def _workload(name, case, iters, description):
    return Workload(name, description, tensorgraft=lambda: _Child("tensorgraft", case, _CHILD, iters),
                    torch=lambda: _Child("torch", case, _CHILD, iters), custom_timer=True)


WORKLOADS = [
    _workload("forward_ad_elementwise", "elementwise", 200,
              "jvp of ((x.sin()*x).exp() + x**2).sum() on 1000 elements, with forward_ad dual tensors"),
    _workload("forward_ad_mlp784", "mlp", 5,
              "jvp of the 784-512-512-10 MLP's output w.r.t. its input (batch 256), with forward_ad"),
]
