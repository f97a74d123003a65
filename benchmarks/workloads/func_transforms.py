"""``tensorgraft.func`` transforms against ``torch.func``: per-sample gradients of an MLP by
``vmap(grad(loss))``, and the forward-mode Jacobians (``jacfwd``, ``hessian``, ``vmap(jacfwd)``)
of a small network R^32 -> R^10.

tensorgraft's vmap runs the function once per slice (a Python loop) and its forward mode is the
double-backward trick (one push through the linearized graph per basis tangent), where PyTorch
batches the whole computation: the ratios measure what that costs on small problems. No NumPy
side: there is no hand-written NumPy counterpart of these transforms worth timing."""
from __future__ import annotations

import os
import subprocess
import sys

from . import Unavailable, Workload
from .torch_function import TIMING_LOOP, _Child
from .training import _mod


def _func(lib):
    if lib == "torch":
        import torch.func as func
    else:
        import tensorgraft.func as func
    return func


def per_sample_grads_mlp(lib):
    """``vmap(grad(loss), in_dims=(None, 0, 0))`` of a 784-128-10 MLP over 64 examples."""
    def make():
        t = _mod(lib)
        func = _func(lib)
        nn, F = t.nn, t.nn.functional
        t.manual_seed(0)
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, x, y):
            out = func.functional_call(model, p, (x.unsqueeze(0),))
            return F.cross_entropy(out, y.unsqueeze(0))
        x, y = t.randn(64, 784), t.randint(0, 10, (64,))
        f = func.vmap(func.grad(loss), in_dims=(None, 0, 0))
        return lambda: f(params, x, y)
    return make


def _small_net(t):
    t.manual_seed(0)
    w1, w2 = t.randn(64, 32), t.randn(10, 64)
    x = t.randn(128, 32)

    def f(z):
        return (t.tanh(z @ w1.T) @ w2.T).sin()

    def g(z):
        return t.tanh(z @ w1.T).sum(-1).sin().sum()
    return f, g, x


def _on_small_net(build):
    """A workload over ``_small_net``: ``build(func, f, g, x)`` returns the call to time."""
    def workload(lib):
        def make():
            t = _mod(lib)
            f, g, x = _small_net(t)
            return build(_func(lib), f, g, x)
        return make
    workload.__doc__ = build.__doc__
    return workload


@_on_small_net
def jacfwd_small(func, f, g, x):
    """``jacfwd(f)(x)`` for f(x) = sin(tanh(x W1^T) W2^T): R^32 -> R^10."""
    jf, x0 = func.jacfwd(f), x[0]
    return lambda: jf(x0)


@_on_small_net
def hessian_small(func, f, g, x):
    """``hessian(g)(x)`` for g(x) = sum(sin(sum(tanh(x W1^T)))), x in R^32."""
    h, x0 = func.hessian(g), x[0]
    return lambda: h(x0)


@_on_small_net
def vmap_jacfwd(func, f, g, x):
    """``vmap(jacfwd(f))`` over 16 points (f as in jacfwd_small)."""
    vj, xs = func.vmap(func.jacfwd(f)), x[:16]
    return lambda: vj(xs)


def jacrev_mlp_ce(lib):
    """``jacrev`` of the per-example cross-entropy losses of a 32-64-10 GELU MLP over 16 examples
    w.r.t. the inputs: one batched backward over the 16 losses (nn's batched formulas)."""
    def make():
        t = _mod(lib)
        func = _func(lib)
        F = t.nn.functional
        t.manual_seed(0)
        w1, b1, w2, b2 = t.randn(64, 32) / 6, t.randn(64), t.randn(10, 64) / 8, t.randn(10)
        x, y = t.randn(16, 32), t.randint(0, 10, (16,))

        def losses(z):
            return F.cross_entropy(F.linear(F.gelu(F.linear(z, w1, b1)), w2, b2), y, reduction="none")
        jf = func.jacrev(losses)
        return lambda: jf(x)
    return make


def vmap_elementwise_small(lib):
    """``vmap(lambda a: (a.sin() * a).sum())`` over 64 rows of 16: what vmap itself costs around a
    function that does almost nothing."""
    def make():
        t = _mod(lib)
        func = _func(lib)
        t.manual_seed(0)
        x = t.randn(64, 16)
        f = func.vmap(lambda a: (a.sin() * a).sum())
        return lambda: f(x)
    return make


def _workload(name, maker, description):
    return Workload(name, description, tensorgraft=maker("tensorgraft"), torch=maker("torch"))


# A vectorized vmap turns tensorgraft's ``__torch_function__`` dispatch on for the whole process
# (its BatchedTensor is a Tensor subclass), which would make every later workload of the runner pay
# for dispatch: the workloads that call vmap run in a child process each, as torch_function.py's.
_VMAP_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[3])
from workloads import func_transforms
lib, case = sys.argv[1], sys.argv[2]
step = getattr(func_transforms, case)(lib)()
for _ in range(3):
    step()
""" + TIMING_LOOP


class _VmapChild(_Child):
    def __init__(self, lib, case, iters):
        self.iters = iters
        if lib == "torch":
            try:
                import torch  # noqa: F401
            except ImportError as exc:
                raise Unavailable(f"PyTorch is not installed ({exc})") from exc
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        self.proc = subprocess.Popen([sys.executable, "-c", _VMAP_CHILD, lib, case, here], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError(f"the {lib} timing process for '{case}' did not start")


def _in_child(name, maker, description, iters):
    """``maker``'s workload (this module's attribute ``name``), timed ``iters`` calls at a time in a
    child process per library."""
    return Workload(name, description, tensorgraft=lambda: _VmapChild("tensorgraft", name, iters),
                    torch=lambda: _VmapChild("torch", name, iters), custom_timer=True)


WORKLOADS = [
    _in_child("per_sample_grads_mlp", per_sample_grads_mlp,
              "vmap(grad(cross-entropy loss)) of a 784-128-10 MLP, per-sample gradients of 64 examples (child process)",
              20),
    _workload("jacfwd_small", jacfwd_small, "jacfwd of a tanh/matmul/sin network R^32 -> R^10"),
    _workload("hessian_small", hessian_small, "hessian (jacfwd of jacrev) of a scalar tanh/sin network on R^32"),
    _in_child("vmap_jacfwd", vmap_jacfwd, "vmap(jacfwd(f)) over 16 points, f: R^32 -> R^10 (child process)", 50),
    _workload("jacrev_mlp_ce", jacrev_mlp_ce,
              "jacrev of per-example cross-entropy losses of a 32-64-10 GELU MLP (16 examples) w.r.t. inputs"),
    _in_child("vmap_elementwise_small", vmap_elementwise_small,
              "vmap of sum(sin(a) * a) over 64 rows of 16: vmap's own overhead on a tiny function (child process)",
              500),
]
