"""Run PyTorch's OptimizerInfo database on tensorgraft: the same optimizer runs in both libraries.

PyTorch describes its optimizers in ``torch.testing._internal.common_optimizers`` (``optim_db``):
for each, a generator of constructor keywords (``lr``, ``weight_decay``, ``maximize``,
``amsgrad``, tensor ``lr``, ...), the implementation flags it supports (``foreach``,
``differentiable``, ``fused``), whether it takes complex parameters or needs a closure, the
learning-rate schedulers to run it with, and constructor/step inputs that must fail.

:func:`check_optimizer` builds, for every configuration (each keyword set, once per supported
implementation flag as PyTorch's own tests do, ``foreach=True`` too, ``capturable=True`` where the
constructor takes it, two parameter groups, sparse gradients where supported), the same parameters
in both libraries — a few shapes, a complex one where the optimizer supports complex — feeds both
the same gradients (those of a fixed quadratic ``sum(a*|p|**2/2 + Re(conj(b)*p))``; LBFGS
evaluates it through a closure), runs five steps and compares the parameters after every step and
the final ``state_dict()``; then it loads PyTorch's ``state_dict()`` into a fresh tensorgraft
optimizer and compares one more step. A configuration PyTorch refuses (at construction or at a
step) must be refused by tensorgraft with the same exception type and message.
:func:`check_schedulers` runs the database's scheduler combinations the same way (learning rates
and schedulers' ``state_dict()`` too); :func:`check_optimizer_errors` its error inputs (exception
type and message). Values are compared to the tolerances of ``opinfo`` (float32: 1e-4 relative).
The database is read from the installed PyTorch (it needs ``expecttest``); nothing is copied.

    from tensorgraft.testing.optiminfo import check_optimizer, optimizer_database, optimizer_key
    for info in optimizer_database():
        print(optimizer_key(info), check_optimizer(info, "float32"))
"""
from __future__ import annotations

import copy
import inspect
import math
import re
import types
import warnings
from typing import NamedTuple

import numpy as np

from .torch_values import _TOLERANCES, Unconvertible, _as_numpy, to_tensorgraft

__all__ = ["optimizer_database", "optimizer_key", "check_optimizer", "check_schedulers", "check_optimizer_errors"]

STEPS = 5
_COMPLEX = {"float32": "complex64", "float64": "complex128"}


def optimizer_database():
    """PyTorch's ``optim_db``."""
    from torch.testing._internal.common_optimizers import optim_db
    return optim_db


def optimizer_key(info) -> str:
    """The optimizer's class name: unique within the database."""
    return info.optim_cls.__name__


class _Config(NamedTuple):
    """One configuration compared: constructor keywords, whether the parameters are split into two
    groups, whether a complex parameter takes part (where the optimizer supports complex) and
    whether the gradients are sparse."""
    desc: str
    kwargs: dict
    groups: bool = False
    complex: bool = True
    sparse: bool = False

    def shown(self):
        extra = [w for w, on in (("2 groups", self.groups), ("sparse gradients", self.sparse)) if on]
        return f"{self.desc}: {_shown(self.kwargs)}" + "".join(f", {w}" for w in extra)


def _configurations(info, dtype):
    """Every configuration compared for ``info``."""
    from torch.testing._internal.common_optimizers import _get_optim_inputs_including_global_cliquey_kwargs
    # fused kernels refuse complex parameters: one configuration checks the refusal, the others run
    # the fused numerics on real parameters
    configs = [_Config(i.desc, i.kwargs, complex=not i.kwargs.get("fused")) for i in
               _get_optim_inputs_including_global_cliquey_kwargs("cpu", dtype, info)]
    if "fused" in info.supported_impls and info.supports_complex:
        configs.append(_Config("fused, complex parameter", {"fused": True}))
    base = info.optim_inputs_func("cpu", dtype)
    # PyTorch's helper leaves foreach out on the CPU (no foreach kernels there) but the CPU build
    # accepts foreach=True and runs the per-tensor loop: tensorgraft must agree with it too
    if "foreach" in info.supported_impls:
        configs += [_Config(f"{i.desc} & foreach", {**i.kwargs, "foreach": True}) for i in base]
    if info.has_capturable_arg:  # refused on CPU tensors (fused Adam/AdamW excepted)
        configs.append(_Config("capturable", {"capturable": True}))
        if "fused" in info.supported_impls:
            configs.append(_Config("capturable & fused", {"capturable": True, "fused": True}, complex=False))
    if info.supports_param_groups and not info.step_requires_closure:
        configs.append(_Config(f"{base[0].desc}, two parameter groups", dict(base[0].kwargs), groups=True))
    if info.supports_sparse:  # the database's kwargs for sparse gradients, then a few more
        sparse_kwargs = dict(info.metadata_for_sparse[0])
        for extra in ({}, {"maximize": True}, {"momentum": 0.9}, {"weight_decay": 0.1}, {"lr_decay": 0.1}):
            if all(k in inspect.signature(info.optim_cls.__init__).parameters for k in extra):
                configs.append(_Config("sparse", {**sparse_kwargs, **extra}, complex=False, sparse=True))
    return configs


def _shapes(info, config):
    """(shape, complex?) of the parameters: 2-D only for Muon, no complex where unsupported."""
    if info.optim_cls.__name__ == "Muon":
        return [((3, 4), False), ((4, 2), False), ((2, 5), False)]
    shapes = [((3, 4), False), ((5,), False), ((2, 1, 3), False)]
    return shapes + ([((2, 3), True)] if info.supports_complex and config.complex else [])


class _Problem:
    """Fixed parameters and a fixed quadratic to minimise, as arrays (one per parameter)."""

    def __init__(self, info, dtype_name, config):
        rng = np.random.default_rng(0)
        self.start, self.scale, self.shift = [], [], []
        for shape, cplx in _shapes(info, config):
            dt = np.dtype(_COMPLEX[dtype_name] if cplx else dtype_name)
            draw = (lambda: rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) if cplx else \
                (lambda: rng.standard_normal(shape))
            self.start.append(np.asarray(draw(), dtype=dt))
            self.scale.append(np.asarray(rng.uniform(0.5, 2.0, shape), dtype=np.dtype(dtype_name)))
            self.shift.append(np.asarray(draw(), dtype=dt))
        self.sparse = info.only_supports_sparse_grads or config.sparse
        # sparse gradients touch every other leading index (the rows an embedding lookup would)
        self.mask = [np.asarray((np.arange(a.shape[0] if a.ndim else 1) % 2 == 0).reshape((-1,) + (1,) * max(a.ndim - 1, 0))
                                if a.ndim else True, dtype=a.real.dtype) for a in self.start]


class _Side:
    """One library's run: its parameters, optimizer and the quadratic's gradients in its ops."""

    def __init__(self, lib, problem, kwargs, groups, differentiable):
        self.lib = lib
        self.problem = problem
        self.leaves = [lib.from_numpy(a.copy()).requires_grad_(True) for a in problem.start]
        # differentiable=True optimizes non-leaf tensors (a leaf that requires grad cannot be
        # updated in place with grad mode on): clones of the leaves, as PyTorch's tests do
        self.params = [p.clone() for p in self.leaves] if differentiable else self.leaves
        self.scale = [lib.from_numpy(a) for a in problem.scale]
        self.shift = [lib.from_numpy(a) for a in problem.shift]
        self.kwargs = kwargs
        self.groups = groups
        self.schedulers = []

    def param_arg(self, default_lr):
        if not self.groups:
            return self.params
        lr = self.kwargs.get("lr", default_lr)
        return [{"params": self.params[:2]}, {"params": self.params[2:], "lr": float(lr) * 0.5}]

    def closure(self):
        """Set every parameter's gradient, return the loss (a float64 0-d tensor).

        The loss is summed by NumPy in float64 for both libraries: a float32 sum in each library's
        own order would differ in the last bits, and LBFGS stops when two losses are closer than
        ``tolerance_change`` (1e-9), so that noise alone would change its iteration count."""
        loss = 0.0
        for p, a, b, a_np, b_np, mask in zip(self.params, self.scale, self.shift, self.problem.scale,
                                             self.problem.shift, self.problem.mask):
            x = p.detach()
            grad = a * x + b
            x_np = x.numpy().astype(np.complex128)
            loss += float(np.sum(0.5 * a_np * (x_np * x_np.conj()).real + (b_np.conj() * x_np).real))
            p.grad = (grad * self.lib.from_numpy(mask)).to_sparse() if self.problem.sparse else grad
        return self.lib.tensor(loss, dtype=self.lib.float64)


def _default_lr(info):
    lr = inspect.signature(info.optim_cls.__init__).parameters.get("lr")
    return 1e-3 if lr is None or lr.default is inspect.Parameter.empty else lr.default


def _error(exc):
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"


def _close(expected, actual, dtype_name, atol=None):
    """None when two state values (tensors, numbers, tuples, ...) agree, else what differs (``atol``
    replaces the dtype's absolute tolerance)."""
    import torch

    import tensorgraft
    if isinstance(expected, torch.Tensor):
        if not isinstance(actual, tensorgraft.Tensor):
            return f"{type(actual).__name__} {actual!r}, PyTorch a tensor"
        (ev, ed, es), (av, ad, as_) = _as_numpy(expected), _as_numpy(actual)
        if (ed, es) != (ad, as_):
            return f"{ad}{list(as_)}, PyTorch {ed}{list(es)}"
        rtol, tol = _TOLERANCES.get(ed, _TOLERANCES[dtype_name])
        atol = tol if atol is None else atol
        if ev.dtype.kind in "fc" and not np.allclose(av, ev, rtol=rtol, atol=atol, equal_nan=True):
            worst = np.nanmax(np.abs(av.astype(np.complex128) - ev)) if ev.size else 0.0
            return f"values differ (largest difference {worst:.3g})"
        if ev.dtype.kind not in "fc" and not np.array_equal(av, ev):
            return f"{av}, PyTorch {ev}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(actual, (tuple, list)) or len(actual) != len(expected):
            return f"{actual!r}, PyTorch {expected!r}"
        for e, a in zip(expected, actual):
            why = _close(e, a, dtype_name, atol)
            if why:
                return why
        return None
    if isinstance(expected, float) and isinstance(actual, (int, float)) and not isinstance(actual, bool):
        rtol, tol = _TOLERANCES[dtype_name]
        return None if math.isclose(actual, expected, rel_tol=rtol, abs_tol=tol if atol is None else atol) else f"{actual!r}, PyTorch {expected!r}"
    if type(expected) is not type(actual) and not (isinstance(expected, int) and isinstance(actual, int)):
        return f"{actual!r} ({type(actual).__name__}), PyTorch {expected!r} ({type(expected).__name__})"
    return None if expected == actual else f"{actual!r}, PyTorch {expected!r}"


# LBFGS's curvature history in float32: near convergence y (a difference of two gradients that agree
# to a few float32 steps) and s are rounding noise, so 1/(y.s), y.s/y.y and the two-loop coefficients
# of PyTorch's own float32 run (and the direction d they give) differ from its float64 run by about
# 1e-3 of their largest magnitude (and d, tiny at convergence, by ~1e-7: a few float32 steps of the
# O(1) gradients it is computed from). They are compared to that scale, plus 1e-6 (the parameters,
# which they steer, are compared at full tolerance).
_NOISY_STATE = {"LBFGS": ("al", "ro", "H_diag", "old_dirs", "old_stps", "d")}
_NOISE = 1e-3


def _magnitude(value):
    import torch
    if isinstance(value, (list, tuple)):
        return max((_magnitude(v) for v in value), default=0.0)
    if isinstance(value, torch.Tensor):
        return float(value.detach().abs().max()) if value.numel() else 0.0
    return abs(value) if isinstance(value, (int, float)) else 0.0


def _compare_state_dicts(expected, actual, dtype_name, noisy=()):
    es, as_ = expected["state"], actual["state"]
    if sorted(es) != sorted(as_):
        return f"state_dict state keys {sorted(as_)}, PyTorch {sorted(es)}"
    for index in sorted(es):
        if sorted(es[index]) != sorted(as_[index]):
            return f"state_dict state[{index}] keys {sorted(as_[index])}, PyTorch {sorted(es[index])}"
        for name in sorted(es[index]):
            e = es[index][name]
            atol = _NOISE * _magnitude(e) + 1e-6 if name in noisy and dtype_name == "float32" else None
            why = _close(e, as_[index][name], dtype_name, atol)
            if why:
                return f"state_dict state[{index}][{name!r}]: {why}"
    eg, ag = expected["param_groups"], actual["param_groups"]
    if len(eg) != len(ag):
        return f"{len(ag)} param_groups, PyTorch {len(eg)}"
    for i, (e, a) in enumerate(zip(eg, ag)):
        if sorted(e) != sorted(a):
            return f"param_groups[{i}] keys: extra {sorted(set(a) - set(e))}, missing {sorted(set(e) - set(a))}"
        for name in sorted(e):
            why = _close(e[name], a[name], dtype_name)
            if why:
                return f"param_groups[{i}][{name!r}]: {why}"
    return None


def _run(side, info, schedulers=()):
    """Construct and step; yields after each step (the losses fed to ReduceLROnPlateau)."""
    cls = getattr(__import__(side.lib.__name__ + ".optim", fromlist=["x"]), info.optim_cls.__name__)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = cls(side.param_arg(_default_lr(info)), **side.kwargs)
        scheds = side.schedulers = [make(opt) for make in schedulers]
        yield opt
        for _ in range(STEPS):
            if info.step_requires_closure:
                opt.step(side.closure)
            else:
                side.closure()
                opt.step()
            loss = side.closure()
            for s in scheds:
                s.step(float(loss)) if type(s).__name__ == "ReduceLROnPlateau" else s.step()
            yield opt


def _compare_runs(info, dtype_name, config, schedulers=(), ours_schedulers=()):
    """None when both runs agree, else what differs."""
    import torch

    import tensorgraft
    problem = _Problem(info, dtype_name, config)
    kwargs, groups = config.kwargs, config.groups
    differentiable = bool(kwargs.get("differentiable"))
    theirs = _Side(torch, problem, copy.deepcopy(kwargs), groups, differentiable)
    try:
        ours = _Side(tensorgraft, problem, to_tensorgraft(copy.deepcopy(kwargs)), groups, differentiable)
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        return f"building tensorgraft's parameters: {_error(exc)}"
    expected_run, actual_run = _run(theirs, info, schedulers), _run(ours, info, ours_schedulers)
    for step in range(STEPS + 1):
        where = "constructing" if step == 0 else f"step {step}"
        try:
            expected = next(expected_run)
        except Exception as exc:  # noqa: BLE001 - PyTorch refuses: tensorgraft must refuse alike
            try:
                next(actual_run)
            except Exception as mine:  # noqa: BLE001
                if type(mine) is type(exc) and str(mine) == str(exc):
                    return None
                return f"{where}: {_error(mine)}, PyTorch {_error(exc)}"
            return f"{where}: no error, PyTorch {_error(exc)}"
        try:
            actual = next(actual_run)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return f"{where}: {_error(exc)}"
        for i, (e, a) in enumerate(zip(theirs.params, ours.params)):
            why = _close(e.detach(), a.detach(), dtype_name)
            if why:
                return f"{where}: parameter {i} {tuple(e.shape)}: {why}"
        for i, (e, a) in enumerate(zip(expected.param_groups, actual.param_groups)):
            why = _close(e["lr"], a["lr"], dtype_name)
            if why:
                return f"{where}: param_groups[{i}]['lr']: {why}"
    try:
        mine = actual.state_dict()
    except Exception as exc:  # noqa: BLE001
        return f"state_dict(): {_error(exc)}"
    why = _compare_state_dicts(expected.state_dict(), mine, dtype_name, _NOISY_STATE.get(info.optim_cls.__name__, ()))
    for e, a in zip(theirs.schedulers, ours.schedulers):
        why = why or _compare_scheduler_states(e.state_dict(), a.state_dict(), type(e).__name__, dtype_name)
    return why or _compare_resumed(info, dtype_name, config, problem, theirs, expected)


def _compare_scheduler_states(expected, actual, name, dtype_name):
    if sorted(expected) != sorted(actual):
        return f"{name}.state_dict() keys: extra {sorted(set(actual) - set(expected))}, " \
               f"missing {sorted(set(expected) - set(actual))}"
    for key in sorted(expected):
        why = _close(expected[key], actual[key], dtype_name)
        if why:
            return f"{name}.state_dict()[{key!r}]: {why}"
    return None


def _one_step(side, opt, info):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if info.step_requires_closure:
            opt.step(side.closure)
        else:
            side.closure()
            opt.step()


def _compare_resumed(info, dtype_name, config, problem, theirs, expected):
    """PyTorch's final parameters and ``state_dict()`` loaded into a fresh tensorgraft optimizer: one
    more step there and in PyTorch agree (None), else what differs."""
    import tensorgraft
    try:
        state = to_tensorgraft(expected.state_dict())
    except Unconvertible:  # a sparse state (SGD's momentum for sparse gradients): not converted
        return None
    kwargs = to_tensorgraft(copy.deepcopy(config.kwargs))
    ours = _Side(tensorgraft, problem, kwargs, config.groups, bool(config.kwargs.get("differentiable")))
    with tensorgraft.no_grad():
        for mine, e in zip(ours.params, theirs.params):
            mine.copy_(to_tensorgraft(e.detach()))
    cls = getattr(tensorgraft.optim, info.optim_cls.__name__)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            resumed = cls(ours.param_arg(_default_lr(info)), **kwargs)
            resumed.load_state_dict(state)
        _one_step(ours, resumed, info)
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        return f"resumed from PyTorch's state_dict: {_error(exc)}"
    _one_step(theirs, expected, info)
    for i, (e, a) in enumerate(zip(theirs.params, ours.params)):
        why = _close(e.detach(), a.detach(), dtype_name)
        if why:
            return f"one step after loading PyTorch's state_dict: parameter {i} {tuple(e.shape)}: {why}"
    return None


def _verdict(info, dtype_name, cases):
    import torch
    if dtype_name in ("float16", "bfloat16") or not hasattr(torch, dtype_name):
        return ("skipped", f"{dtype_name}: the database's inputs are tuned for float32/float64")
    for desc, run in cases:
        why = run()
        if why:
            return ("different", f"{why} ({desc})")
    return ("same", "")


def _shown(kwargs):
    return "{" + ", ".join(f"{k}: {v}" for k, v in kwargs.items()) + "}"


def check_optimizer(info, dtype_name: str = "float32"):
    """Every configuration of ``info`` with ``dtype_name`` parameters in both libraries: the verdict
    (the first differing configuration, named)."""
    import torch
    dtype = getattr(torch, dtype_name)
    return _verdict(info, dtype_name, [(config.shown(), lambda config=config: _compare_runs(info, dtype_name, config))
                                       for config in _configurations(info, dtype)])


def _scheduler_counterpart(make):
    """PyTorch's test lambda (``lambda opt: StepLR(opt, ...)``) with tensorgraft's schedulers."""
    import tensorgraft
    import tensorgraft.optim.lr_scheduler as ours
    names = dict(make.__globals__)
    names.update({n: getattr(ours, n) for n in make.__code__.co_names if hasattr(ours, n)}, torch=tensorgraft)
    return types.FunctionType(make.__code__, names, make.__name__, make.__defaults__, make.__closure__)


def check_schedulers(info, dtype_name: str = "float32"):
    """Each scheduler combination of the database run with ``info``'s first configuration: the
    parameters and learning rates after every step, and the final state, in both libraries."""
    import torch
    kwargs = info.optim_inputs_func("cpu", getattr(torch, dtype_name))[0].kwargs
    cases = []
    for makers in info.scheduler_inputs:
        try:
            ours = [_scheduler_counterpart(m) for m in makers]
        except Exception as exc:  # noqa: BLE001
            return ("different", _error(exc))
        names = ", ".join(m.__code__.co_names[0] for m in makers)
        cases.append((f"schedulers {names}", lambda makers=makers, ours=ours:
                      _compare_runs(info, dtype_name, _Config("first", kwargs), makers, ours)))
    return _verdict(info, dtype_name, cases) if cases else ("skipped", "no scheduler inputs")


def _error_params(value, memo):
    """An error input's ``params`` in tensorgraft: the same object for the same PyTorch tensor (a
    duplicate stays a duplicate) and its ``grad`` kept (step errors need one). None: one fresh 2-D
    parameter, as PyTorch's tests pass."""
    import torch

    import tensorgraft
    if value is None:
        return [tensorgraft.randn(2, 2).requires_grad_(True)]
    if isinstance(value, torch.Tensor):
        if id(value) not in memo:
            if value.layout == torch.sparse_coo:  # to_tensorgraft keeps to strided tensors
                converted = tensorgraft.sparse_coo_tensor(to_tensorgraft(value._indices()),
                                                          to_tensorgraft(value._values()), tuple(value.shape))
            else:
                converted = to_tensorgraft(value)
            memo[id(value)] = converted
            if value.grad is not None:
                converted.grad = to_tensorgraft(value.grad)
        return memo[id(value)]
    if isinstance(value, (list, tuple)):
        return type(value)(_error_params(v, memo) for v in value)
    if isinstance(value, dict):
        return {k: _error_params(v, memo) for k, v in value.items()}
    return value


def check_optimizer_errors(info, dtype_name: str = "float32"):
    """Each of the database's error inputs for ``info``: tensorgraft raises (or, for a
    ``UserWarning``, warns) the same type with a message matching PyTorch's regex."""
    import torch

    import tensorgraft.optim
    from torch.testing._internal.common_optimizers import OptimizerErrorEnum
    if info.optim_error_inputs_func is None:
        return ("skipped", "no error inputs")
    cls = getattr(tensorgraft.optim, info.optim_cls.__name__)
    inputs = info.optim_error_inputs_func("cpu", getattr(torch, dtype_name))
    for err in inputs:
        given = err.optimizer_error_input
        desc = given.desc
        try:
            params = _error_params(given.params, {})
            kwargs = to_tensorgraft(dict(given.kwargs))
        except Exception as exc:  # noqa: BLE001
            return ("different", f"converting the input: {_error(exc)} ({desc})")
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                opt = cls(params, **kwargs)
                if err.error_on == OptimizerErrorEnum.STEP_ERROR:
                    opt.step()
                raised = None
            except Exception as exc:  # noqa: BLE001 - compared below
                raised = exc
        if issubclass(err.error_type, Warning):
            hits = [w for w in seen if issubclass(w.category, err.error_type)
                    and re.search(err.error_regex, str(w.message))]
            if raised is not None or not hits:
                got = _error(raised) if raised else ", ".join(str(w.message)[:80] for w in seen) or "no warning"
                return ("different", f"{got}, PyTorch warns {err.error_type.__name__} /{err.error_regex}/ ({desc})")
            continue
        if raised is None:
            return ("different", f"no error, PyTorch {err.error_type.__name__} /{err.error_regex}/ ({desc})")
        if type(raised) is not err.error_type or not re.search(err.error_regex, str(raised)):
            return ("different", f"{_error(raised)}, PyTorch {err.error_type.__name__} /{err.error_regex}/ ({desc})")
    return ("same", "") if inputs else ("skipped", "no error inputs")
