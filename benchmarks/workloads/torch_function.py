"""``__torch_function__`` dispatch: what tiny ops cost once tensorgraft has turned dispatch on (a
Tensor subclass was defined), on plain tensors, on subclass instances and under a no-op
``TorchFunctionMode`` — against PyTorch, which always checks for overrides (in C++).

Turning dispatch on is for the whole process and cannot be undone, so each implementation runs in
a child process of its own (started once per workload, timed on request, as distributed.py's
ranks): the runner's other workloads keep tensorgraft's undispatched functions. The child times
``iters`` calls per request and answers the seconds per call.
"""
from __future__ import annotations

import subprocess
import sys

from . import Unavailable, Workload

# The end of a child program: it has defined ``step()`` (and warmed it up); it says "ready", then
# answers each line ``n`` on its stdin with the seconds per call of ``n`` calls of ``step()``.
TIMING_LOOP = r"""
print("ready", flush=True)
for line in sys.stdin:
    n = int(line)
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    print((time.perf_counter() - t0) / n, flush=True)
"""

_CHILD = r"""
import sys, time
lib, case = sys.argv[1], sys.argv[2]
if lib == "torch":
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode
else:
    import tensorgraft as torch
    import tensorgraft.nn.functional as F
    from tensorgraft.overrides import TorchFunctionMode
torch.set_num_threads(1)


dispatch_on = not case.endswith("_off")  # "_off": tensorgraft as a program without subclasses runs it
case = case.removesuffix("_off")
if dispatch_on:
    class Sub(torch.Tensor):  # (defining it turns tensorgraft's dispatch on)
        pass
a, b = torch.ones(1), torch.ones(1)
x, w, bias = torch.ones(4, 8), torch.ones(16, 8), torch.ones(16)
if case == "subclass":
    a, b = a.as_subclass(Sub), b.as_subclass(Sub)
step = {"plain": lambda: a + b, "subclass": lambda: a + b, "mode": lambda: a + b,
        "linear": lambda: F.linear(x, w, bias), "sum_dim": lambda: x.sum(dim=1)}[case]
if case == "mode":
    class NoOp(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):
            return func(*args, **(kwargs or {}))
    NoOp().__enter__()
for _ in range(2000):
    step()
""" + TIMING_LOOP

_ITERS = 20000


class _Child:
    """One library's timing process for one case; each call times ``iters`` calls there. ``script``
    (a child program ending in ``TIMING_LOOP``) is this module's by default; forward_ad.py lends it
    its own."""

    def __init__(self, lib: str, case: str, script: str = _CHILD, iters: int = _ITERS):
        self.iters = iters
        if lib == "torch":
            try:
                import torch  # noqa: F401
            except ImportError as exc:
                raise Unavailable(f"PyTorch is not installed ({exc})") from exc
        self.proc = subprocess.Popen([sys.executable, "-c", script, lib, case], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError(f"the {lib} timing process for '{case}' did not start")

    def __call__(self) -> float:
        self.proc.stdin.write(f"{self.iters}\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def _workload(name, case, description):
    return Workload(name, description, tensorgraft=lambda: _Child("tensorgraft", case),
                    torch=lambda: _Child("torch", case), custom_timer=True)


WORKLOADS = [
    _workload("dispatch_off_linear_tiny", "linear_off", "F.linear(4x8, 16x8, 16), no subclass defined (the "
                                                        "baseline of dispatch_on_linear_tiny)"),
    _workload("dispatch_off_sum_dim", "sum_dim_off", "`x.sum(dim=1)` on 4x8, no subclass defined (the baseline "
                                                     "of dispatch_on_sum_dim)"),
    _workload("dispatch_on_add_tiny", "plain", "`a + b` on 1-element tensors, after a Tensor subclass was defined"),
    _workload("dispatch_on_linear_tiny", "linear", "F.linear(4x8, 16x8, 16) after a Tensor subclass was defined"),
    _workload("dispatch_on_sum_dim", "sum_dim", "`x.sum(dim=1)` on 4x8 after a Tensor subclass was defined"),
    _workload("subclass_add_tiny", "subclass", "`a + b` on 1-element instances of a Tensor subclass (result "
                                               "converted to the subclass)"),
    _workload("mode_add_tiny", "mode", "`a + b` on 1-element tensors under a no-op TorchFunctionMode"),
]
