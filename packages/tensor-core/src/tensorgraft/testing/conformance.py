"""The op conformance kit: what every op — core's or a plugin's — must satisfy.

A plugin's test suite calls::

    from tensorgraft.testing.conformance import run_conformance

    def test_ops():
        run_conformance(namespace="example")     # every op named "example.*"

or parametrizes one test per op with ``conformance_cases(namespace="example")`` and
``check_op(name)``. For every op selected, and for every sample input the op declares, it checks:

``declared``       the op declares sample inputs; a differentiable op has a gradient formula
                   (when the autograd engine is installed) or is a ``function_op``.
``dtype``          float32 inputs give float32 outputs and float64 give float64 (no silent
                   up/down-casting); elementwise ops broadcast their inputs and promote mixed
                   float32/float64 operands to float64.
``reference``      results match the op's NumPy reference (``extra["reference"]``) in float64.
``gradcheck``      analytical gradients match finite differences (float64).
``gradgradcheck``  second derivatives too (skip with ``extra["gradgrad"] = False``).
``devices``        results (and gradients) on every other available device agree with CPU.
``no_grad``        under ``no_grad()`` outputs do not require grad; with grad mode on they do
                   and have a ``grad_fn``.
``inplace``        for ops with an in-place variant: it returns its input, matches the out-of-place
                   result, bumps the version counter (so a tensor saved for backward and then
                   modified is reported) and gradients flow through it.
``repr``           outputs print (``tensor(...)``, with ``grad_fn=<...Backward...>`` when recorded).

Samples are declared by the op (``OpDef.extra["samples"] = fn(dtype, device) -> [(args, kwargs), ...]``,
the ``samples=`` argument of the ``tensorgraft.plugins.api`` helpers) or registered here with
``register_samples(name, fn)``; core's ops have theirs in ``_core_samples``. Tensor arguments of
floating dtype are the ones differentiated (``Sample(args, kwargs, grad=(0,))`` picks others).
Tensors inside a list argument (``cat([a, b])``) count too. Per-op switches in ``extra``:
``reference``, ``composite`` (True: the gradient comes from the ops the frontend calls),
``gradgrad`` (False), ``dtype_rule`` (False), ``elementwise`` (True: broadcasting and mixed-precision
checks), ``mutates`` (indices of arguments the op writes into), ``non_tensor_output`` (True),
``requires`` (optional modules), ``conformance_skip`` ({check: reason}).
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["CHECKS", "Sample", "Failure", "ConformanceError", "register_samples", "samples_for", "conformance_cases",
           "check_op", "run_conformance", "core_sample_names"]

CHECKS = ("declared", "dtype", "reference", "gradcheck", "gradgradcheck", "devices", "no_grad", "inplace", "repr")


@dataclass
class Sample:
    """One call of an op: ``op(*args, **kwargs)``. ``grad``: indices of the arguments to
    differentiate (default: every floating-point tensor argument)."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    grad: tuple | None = None


@dataclass
class Failure:
    op: str
    check: str
    message: str

    def __str__(self) -> str:
        return f"[{self.op}] {self.check}: {self.message}"


class ConformanceError(AssertionError):
    """Raised by ``run_conformance``/``check_op(raise_=True)``; ``.failures`` lists every problem."""

    def __init__(self, failures):
        self.failures = list(failures)
        n_ops = len({f.op for f in self.failures})
        lines = "\n".join(f"  - {f}" for f in self.failures)
        super().__init__(f"{len(self.failures)} conformance failure(s) in {n_ops} op(s):\n{lines}")


_SKIPPED: dict = {}      # op name -> why its checks were skipped (an optional dependency is missing)
_REGISTERED: dict = {}   # op name -> dict(samples=..., reference=..., flags)
_CORE: dict | None = None


def register_samples(name: str, samples=None, *, reference=None, **flags):
    """Declare samples for an op the kit cannot find them on (usable as a decorator)."""
    def deco(fn):
        _REGISTERED[name] = {"samples": fn, "reference": reference, **flags}
        return fn
    return deco(samples) if samples is not None else deco


def _core() -> dict:
    global _CORE
    if _CORE is None:
        from ._core_samples import core_samples
        _CORE = core_samples()
    return _CORE


def core_sample_names() -> list:
    """Names of core ops that have samples: their own (``OpDef.extra``) or the kit's."""
    import tensorgraft  # noqa: F401
    from ..registry import registry
    return sorted(n for n, op in registry.ops.items()
                  if op.distribution == "tensorgraft-core" and _info(op).get("samples") is not None)


def _info(op) -> dict:
    """Samples/reference/flags for ``op``: OpDef.extra first, then ``register_samples``, then core's."""
    info = {}
    if op.distribution == "tensorgraft-core" and "samples" not in op.extra:
        info.update(_core().get(op.name, {}))  # the kit's own samples for core ops that declare none
    info.update(_REGISTERED.get(op.name, {}))
    for key in ("samples", "reference", "gradgrad", "dtype_rule", "elementwise", "conformance_skip",
                "autograd_function", "samples_extra", "gradcheck_tolerances", "requires", "mutates",
                "non_tensor_output", "non_differentiable_outputs"):
        if key in op.extra and op.extra[key] is not None:
            info[key] = op.extra[key]
    return info


def samples_for(op):
    return _info(op).get("samples")


def _registry(registry):
    if registry is None:
        import tensorgraft  # noqa: F401  (loads the plugins)
        from ..registry import registry as r
        return r
    return registry


def conformance_cases(registry=None, names=None, namespace=None) -> list:
    """Op names to check: ``names`` as given, every op under ``namespace`` (``"example"``
    selects ``example.*``), or every registered op."""
    reg = _registry(registry)
    if names is not None:
        missing = [n for n in names if n not in reg.ops]
        if missing:
            raise KeyError(f"no op named {', '.join(map(repr, missing))} is registered")
        return list(names)
    if namespace is not None:
        prefix = namespace.rstrip(".") + "."
        return sorted(n for n in reg.ops if n.startswith(prefix))
    return sorted(reg.ops)


# (imported here, below Sample and Failure, which the checks module imports from this one)
from . import _conformance_checks as _checks  # noqa: E402


def check_op(name_or_op, *, checks=None, devices=None, registry=None, raise_=False) -> list:
    """Run the checks for one op; returns the list of ``Failure`` (raises with ``raise_=True``)."""
    reg = _registry(registry)
    op = reg.ops[name_or_op] if isinstance(name_or_op, str) else name_or_op
    checks = set(CHECKS if checks is None else checks)
    unknown = checks - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown conformance checks {sorted(unknown)}; known: {', '.join(CHECKS)}")
    skip = dict(op.extra.get("conformance_skip") or {})
    checks -= set(skip)
    ag = _checks._autograd()
    info = _info(op)
    fails: list = []
    for mod in info.get("requires", ()):
        try:
            __import__(mod)
        except ImportError:
            _SKIPPED[op.name] = f"needs {mod}, which is not installed"
            return fails
    if not _checks._check_declared(op, info, ag, fails) or any(f.check == "declared" for f in fails):
        if raise_ and fails:
            raise ConformanceError(fails)
        return fails
    if "dtype" in checks:
        _checks._check_dtype(op, info, fails)
    if "reference" in checks:
        _checks._check_reference(op, info, fails)
    if ag is not None and checks & {"gradcheck", "gradgradcheck"}:
        _checks._check_grads(op, info, ag, fails, checks)
    if "devices" in checks:
        _checks._check_devices(op, info, ag, fails, devices)
    if ag is not None and "no_grad" in checks:
        _checks._check_no_grad(op, info, fails)
    if "inplace" in checks:
        _checks._check_inplace(op, info, ag, fails)
    if "repr" in checks:
        _checks._check_repr(op, info, ag, fails)
    if raise_ and fails:
        raise ConformanceError(fails)
    return fails


def run_conformance(namespace=None, names=None, *, checks=None, devices=None, registry=None) -> int:
    """Check every selected op (see ``conformance_cases``); raise ``ConformanceError`` listing
    every failure, or return the number of ops checked. Selecting nothing is an error."""
    selected = conformance_cases(registry, names=names, namespace=namespace)
    if not selected:
        raise ConformanceError([Failure(namespace or "*", "declared", "no op is registered under this namespace "
                                                                      "(did the plugin load? run 'tensorgraft plugins')")])
    fails = []
    for n in selected:
        fails += check_op(n, checks=checks, devices=devices, registry=registry)
    if fails:
        raise ConformanceError(fails)
    return len(selected)
