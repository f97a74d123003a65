"""Loading plugins: entry points in the ``tensorgraft`` group, each in its own try/except.

Environment variables:

- ``TENSORGRAFT_STRICT_PLUGINS=1``: a plugin that fails to load raises ``PluginLoadError`` (for CI).
- ``TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD=1``: skip third-party entry points (tensorgraft's own
  parts — autograd, nn, optim, cuda — still load). ``load_plugin()`` registers one explicitly.
- ``TENSORGRAFT_DISABLED_PLUGINS=name,...``: skip these (entry-point or distribution names).
"""
from __future__ import annotations

import os
import sys
import warnings

import pluggy

from ..registry import Registrar, registry
from . import hookspecs

FIRST_PARTY = frozenset({"tensorgraft-core", "tensorgraft-autograd", "tensorgraft-nn", "tensorgraft-optim",
                         "tensorgraft-cuda"})
PHASES = ("tensorgraft_register_devices", "tensorgraft_register_ops", "tensorgraft_register_formulas",
          "tensorgraft_register_optimizers")


class TensorgraftPluginWarning(UserWarning):
    """A plugin failed to load and was disabled."""


class PluginLoadError(RuntimeError):
    """Raised instead of the warning when TENSORGRAFT_STRICT_PLUGINS=1."""


# Plain classes rather than dataclasses: generating dataclass methods costs ~0.3 ms a class, paid
# by every ``import tensorgraft``.
class PluginFailure:
    def __init__(self, distribution: str, version: str, entry_point: str, phase: str, exception: BaseException,
                 traceback: str = ""):
        self.distribution = distribution
        self.version = version
        self.entry_point = entry_point
        self.phase = phase
        self.exception = exception
        self.traceback = traceback

    def describe(self) -> str:
        return (f"{self.distribution} {self.version} (entry point '{self.entry_point}') failed during "
                f"{self.phase}: {type(self.exception).__name__}: {self.exception}")

    def __repr__(self):
        return f"PluginFailure({self.describe()!r})"


class PluginInfo:
    def __init__(self, distribution: str, version: str, entry_point: str, module: object, failed: bool = False,
                 extra: dict | None = None):
        self.distribution = distribution
        self.version = version
        self.entry_point = entry_point
        self.module = module
        self.failed = failed
        self.extra = {} if extra is None else extra

    def __repr__(self):
        return (f"PluginInfo({self.distribution!r}, {self.version!r}, entry_point={self.entry_point!r}, "
                f"failed={self.failed})")


class Config:
    """What ``tensorgraft_configure`` receives."""

    def __init__(self, registry, plugins: dict, failures: list):
        self.registry = registry
        self.plugins = plugins
        self.failures = failures


_pm: pluggy.PluginManager | None = None
plugins: dict = {}        # distribution -> PluginInfo
failures: list = []       # PluginFailure


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def get_plugin_manager() -> pluggy.PluginManager:
    global _pm
    if _pm is None:
        _pm = pluggy.PluginManager("tensorgraft")
        _pm.add_hookspecs(hookspecs)
    return _pm


def _fail(info: PluginInfo, phase: str, exc: BaseException) -> None:
    import traceback  # only ever needed here, when something went wrong

    failure = PluginFailure(info.distribution, info.version, info.entry_point, phase, exc,
                            "".join(traceback.format_exception(exc)))
    failures.append(failure)
    info.failed = True
    registry.forget(info.distribution)
    pm = get_plugin_manager()
    if info.module is not None and pm.is_registered(info.module):
        pm.unregister(info.module)
    if _flag("TENSORGRAFT_STRICT_PLUGINS"):
        raise PluginLoadError(failure.describe() + " (TENSORGRAFT_STRICT_PLUGINS=1)") from exc
    warnings.warn(f"tensorgraft plugin {failure.describe()}; the plugin is disabled and everything else "
                  f"keeps working. Run 'tensorgraft plugins' for details.", TensorgraftPluginWarning, stacklevel=3)


def _register(info: PluginInfo) -> bool:
    pm = get_plugin_manager()
    try:
        pm.register(info.module, name=info.distribution)
        hook = pm.hook.tensorgraft_add_hookspecs
        for impl in hook.get_hookimpls():
            if impl.plugin is info.module:
                impl.function(pluginmanager=pm)
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything
        _fail(info, "registration", exc)
        return False
    plugins[info.distribution] = info
    return True


def _run_phases(infos) -> None:
    pm = get_plugin_manager()
    for phase in PHASES:
        caller = getattr(pm.hook, phase, None)
        if caller is None or not caller.has_spec():
            continue
        for info in infos:
            if info.failed:
                continue
            for impl in caller.get_hookimpls():
                if impl.plugin is info.module:
                    try:
                        impl.function(registrar=Registrar(registry, info.distribution))
                    except Exception as exc:  # noqa: BLE001
                        _fail(info, phase, exc)


def _configure(infos) -> None:
    pm = get_plugin_manager()
    cfg = Config(registry, plugins, failures)
    for info in infos:
        if info.failed:
            continue
        for impl in pm.hook.tensorgraft_configure.get_hookimpls():
            if impl.plugin is info.module:
                try:
                    impl.function(config=cfg)
                except Exception as exc:  # noqa: BLE001
                    _fail(info, "tensorgraft_configure", exc)


def load_all(builtin_module, tg_module) -> None:
    """Called once from ``tensorgraft/__init__.py``."""
    from ..ops._bind import bind_all
    from ._entrypoints import Index

    installed = Index()  # one scan of sys.path for the entry points and core's version
    infos = [PluginInfo("tensorgraft-core", installed.version("tensorgraft-core") or "0+unknown", "builtin",
                        builtin_module)]
    _register(infos[0])
    disabled = {s.strip() for s in os.environ.get("TENSORGRAFT_DISABLED_PLUGINS", "").split(",") if s.strip()}
    no_autoload = _flag("TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD")
    seen = set()
    for ep in sorted(installed.entry_points("tensorgraft"), key=lambda e: (e.dist.name if e.dist else "", e.name)):
        dist = _canonical(ep.dist.name) if ep.dist else ep.name
        if (dist, ep.name) in seen:
            continue  # the same distribution found twice on sys.path (editable + wheel)
        seen.add((dist, ep.name))
        if ep.name in disabled or dist in disabled:
            continue
        if no_autoload and dist not in FIRST_PARTY:
            continue
        info = PluginInfo(dist, (ep.dist.version if ep.dist else None) or "?", ep.name, None)
        try:
            info.module = ep.load()
        except Exception as exc:  # noqa: BLE001
            _fail(info, "import", exc)
            plugins[dist] = info
            continue
        if _register(info):
            infos.append(info)
    # First-party parts before third-party ones, so a plugin's formulas find autograd's spec.
    infos.sort(key=lambda i: (i.distribution not in FIRST_PARTY, i.distribution != "tensorgraft-core"))
    _run_phases(infos)
    bind_all(registry, tg_module)
    _configure(infos)


def load_plugin(module, distribution: str | None = None, version: str = "0") -> None:
    """Register one plugin explicitly (e.g. with autoload off, or from a test)."""
    import tensorgraft
    from ..ops._bind import bind_all

    dist = distribution or getattr(module, "__name__", repr(module))
    info = PluginInfo(dist, version, "explicit", module)
    if _register(info):
        _run_phases([info])
        bind_all(registry, tensorgraft)
        _configure([info])


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def report() -> dict:
    """What ``tensorgraft plugins --json`` prints."""
    pm = get_plugin_manager()
    out = []
    for dist, info in sorted(plugins.items(), key=lambda kv: (kv[0] != "tensorgraft-core", kv[0])):
        provided = registry.provided_by.get(dist, {})
        entry = {
            "distribution": dist,
            "version": info.version,
            "entry_point": info.entry_point,
            "status": "failed" if info.failed else "loaded",
            "registered": {k: {"count": len(v), "names": sorted(v)} for k, v in sorted(provided.items())},
            "errors": [f.describe() for f in failures if f.distribution == dist],
        }
        if not info.failed:
            for impl in pm.hook.tensorgraft_report.get_hookimpls():
                if impl.plugin is info.module:
                    try:
                        entry["report"] = impl.function() or {}
                    except Exception as exc:  # noqa: BLE001
                        entry["report"] = {"error": repr(exc)}
        out.append(entry)
    return {"python": sys.version.split()[0], "plugins": out,
            "failures": [f.describe() for f in failures]}
