"""tensorgraft-cuda's plugin: registers the ``cuda`` device (always — without CuPy or a GPU it
reports itself unavailable, with the reason) and, only when CuPy is installed, the fused kernels.
Nothing here imports CuPy."""
from __future__ import annotations

import importlib.util

from tensorgraft.plugins.hookspecs import hookimpl


def _have_cupy() -> bool:
    try:
        return importlib.util.find_spec("cupy") is not None
    except (ImportError, ValueError):
        return False


@hookimpl
def tensorgraft_register_devices(registrar):
    from ._backend import BACKEND
    registrar.register_device(BACKEND)


@hookimpl
def tensorgraft_register_ops(registrar):
    if not _have_cupy():
        return
    from .fused import NN_KERNELS, OPTIMIZER_STEPS
    for key, fn in OPTIMIZER_STEPS.items():
        registrar.register_extension("fused_optimizer_step", key, fn)
    for name, fn in NN_KERNELS.items():
        registrar.register_extension("cuda_kernels", name, fn)


@hookimpl
def tensorgraft_configure(config):
    """Fused CUDA kernels for existing ops (core's softmax, tensorgraft-nn's gelu/layer_norm), once
    every plugin registered its ops; skipped for an op whose generic kernel has other parameters
    than the fused one expects (so a changed op never gets a mismatched kernel)."""
    if not _have_cupy():
        return
    import inspect

    from tensorgraft.registry import Registrar
    from .fused import OP_KERNELS
    registrar = Registrar(config.registry, "tensorgraft-cuda")
    for name, (params, fn) in OP_KERNELS.items():
        op = config.registry.ops.get(name)
        if op is None or op.kernel is None or "cuda" in op.kernels:
            continue
        try:
            got = tuple(inspect.signature(op.kernel).parameters)
        except (TypeError, ValueError):
            continue
        if got == params:
            registrar.register_kernel(name, "cuda", fn)


@hookimpl
def tensorgraft_report():
    from ._backend import BACKEND
    ok, reason, n = BACKEND.probe()
    out = {"CuPy": _cupy_version()}
    if ok:
        from . import get_device_name
        out["CUDA devices"] = ", ".join(f"cuda:{i} {get_device_name(i)}" for i in range(n))
    else:
        out["CUDA devices"] = f"none ({reason})"
    return out


def _cupy_version() -> str:
    if not _have_cupy():
        return "not installed"
    try:
        from importlib.metadata import PackageNotFoundError, version
        for dist in ("cupy-cuda13x", "cupy-cuda12x", "cupy"):
            try:
                return f"{version(dist)} ({dist})"
            except PackageNotFoundError:
                continue
    except Exception:  # noqa: BLE001
        pass
    return "installed"
