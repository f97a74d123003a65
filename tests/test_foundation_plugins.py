"""The plugin system as a third party meets it: distributions with entry points in the
``tensorgraft`` group, built with hatchling and installed (into a private directory put on
PYTHONPATH so the test environment itself is never changed), then ``import tensorgraft`` and
``tensorgraft plugins`` in a fresh interpreter."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("hatchling", reason="building plugin distributions needs hatchling")

PLUGIN_TEMPLATE = {
    "raise_on_import": "raise RuntimeError('boom at import')\n",
    "raise_in_hook": textwrap.dedent("""
        from tensorgraft.plugins import hookimpl

        @hookimpl
        def tensorgraft_register_ops(registrar):
            raise ValueError('boom in register_ops')
        """),
    "duplicate_device": textwrap.dedent("""
        from tensorgraft.plugins import hookimpl
        from tensorgraft.device import CPUBackend

        @hookimpl
        def tensorgraft_register_devices(registrar):
            registrar.register_device(CPUBackend())
        """),
    "good_op": textwrap.dedent("""
        from tensorgraft.plugins import hookimpl
        from tensorgraft.registry import OpDef
        from tensorgraft.ops import _frontend as F

        @hookimpl
        def tensorgraft_register_ops(registrar):
            registrar.register_op(OpDef(name="goodns.twice", kernel=lambda xp, a: a * 2,
                                        make_frontend=lambda op: F.make_unary(op), differentiable=False))
        """),
}


def _build_dist(tmp_path, kind: str, dist_name: str) -> str:
    """Write a tiny hatchling project and install it into ``tmp_path/site``; return that dir."""
    pkg = dist_name.replace("-", "_")
    proj = tmp_path / dist_name
    (proj / pkg).mkdir(parents=True)
    (proj / pkg / "__init__.py").write_text(PLUGIN_TEMPLATE[kind])
    (proj / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        [project]
        name = "{dist_name}"
        version = "1.2.3"
        [project.entry-points.tensorgraft]
        {pkg} = "{pkg}"
        [tool.hatch.build.targets.wheel]
        packages = ["{pkg}"]
        """))
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--disable-pip-version-check", "--target", str(site), str(proj)], check=True,
                   capture_output=True, timeout=300)
    return str(site)


def _env(site: str, **env_extra) -> dict:
    """The test process's environment with `site` on the path and the plugin switches cleared:
    tox runs the suite with TENSORGRAFT_STRICT_PLUGINS=1, which would turn the broken plugin's
    recorded failure into a fatal error in every subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = site + os.pathsep + env.get("PYTHONPATH", "")
    for k in ("TENSORGRAFT_STRICT_PLUGINS", "TENSORGRAFT_DISABLED_PLUGINS", "TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(k, None)
    env.update(env_extra)
    return env


def _python(code: str, site: str, **env_extra) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(site, **env_extra),
                          timeout=300)


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory):
    return _build_dist(tmp_path_factory.mktemp("broken"), "raise_on_import", "tg-broken-plugin")


def test_broken_plugin_does_not_stop_import(broken_site):
    proc = _python("import tensorgraft as tg; print((tg.ones(2) * 3).sum().item())", broken_site)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "6.0"
    assert "TensorgraftPluginWarning" in proc.stderr
    assert "tg-broken-plugin 1.2.3" in proc.stderr and "boom at import" in proc.stderr


def test_plugins_command_names_the_broken_plugin(broken_site):
    proc = _python("import sys; from tensorgraft.cli import main; sys.exit(main(['plugins', '--json']))",
                   broken_site)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    entry = {p["distribution"]: p for p in data["plugins"]}["tg-broken-plugin"]
    assert entry["status"] == "failed" and entry["version"] == "1.2.3"
    assert "boom at import" in entry["errors"][0]
    core = {p["distribution"]: p for p in data["plugins"]}["tensorgraft-core"]
    assert core["registered"]["devices"]["names"] == ["cpu", "meta"]
    assert core["registered"]["ops"]["count"] > 50
    text = _python("import sys; from tensorgraft.cli import main; sys.exit(main(['plugins']))", broken_site)
    assert "tg-broken-plugin 1.2.3  [FAILED]" in text.stdout
    assert "error:" in text.stdout and "boom at import" in text.stdout
    module_form = subprocess.run([sys.executable, "-m", "tensorgraft", "plugins"], capture_output=True, text=True,
                                 env=_env(broken_site), timeout=300)
    assert "tg-broken-plugin" in module_form.stdout


def test_strict_mode_makes_load_errors_fatal(broken_site):
    proc = _python("import tensorgraft", broken_site, TENSORGRAFT_STRICT_PLUGINS="1")
    assert proc.returncode != 0
    assert "PluginLoadError" in proc.stderr and "tg-broken-plugin" in proc.stderr


def test_disabled_and_no_autoload(broken_site):
    for env in ({"TENSORGRAFT_DISABLED_PLUGINS": "tg-broken-plugin"},
                {"TENSORGRAFT_DISABLED_PLUGINS": "tg_broken_plugin"},
                {"TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD": "1"}):
        proc = _python("import tensorgraft, tensorgraft.plugins.manager as m; print(sorted(m.plugins))",
                       broken_site, **env)
        assert proc.returncode == 0, proc.stderr
        assert "Warning" not in proc.stderr
        assert "tg-broken-plugin" not in proc.stdout
        assert "tensorgraft-core" in proc.stdout


def test_failure_inside_a_hook_is_isolated(tmp_path):
    site = _build_dist(tmp_path, "raise_in_hook", "tg-hook-fails")
    proc = _python("import tensorgraft as tg, tensorgraft.plugins.manager as m; "
                   "print([f.phase for f in m.failures]); print(tg.ones(1).item())", site)
    assert proc.returncode == 0, proc.stderr
    assert "['tensorgraft_register_ops']" in proc.stdout and "1.0" in proc.stdout
    assert "boom in register_ops" in proc.stderr


def test_duplicate_registration_names_both_distributions(tmp_path):
    site = _build_dist(tmp_path, "duplicate_device", "tg-dup-device")
    proc = _python("import tensorgraft.plugins.manager as m; print(m.failures[0].describe())", site)
    assert proc.returncode == 0, proc.stderr
    assert "device 'cpu' is registered by both tensorgraft-core and tg-dup-device" in proc.stdout


def test_third_party_op_is_exposed_under_its_namespace(tmp_path):
    site = _build_dist(tmp_path, "good_op", "tg-good-op")
    proc = _python("import tensorgraft as tg; from tensorgraft.ops.goodns import twice; "
                   "print(twice(tg.ones(2)).tolist(), tg.ops.goodns.twice is twice)", site,
                   TENSORGRAFT_STRICT_PLUGINS="1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[2.0, 2.0] True"


def test_third_party_op_without_namespace_is_refused():
    import tensorgraft as tg
    from tensorgraft.registry import OpDef, Registrar, registry
    with pytest.raises(ValueError, match="tensorgraft.ops.<namespace>.<name>"):
        Registrar(registry, "someone-else").register_op(OpDef(name="add2", kernel=None, make_frontend=None))
    assert "add2" not in registry.ops
    # (behind a __torch_function__ dispatch wrapper once a test defined a Tensor subclass)
    assert getattr(tg.add, "__torch_function_wrapped__", tg.add) is registry.ops["add"].frontend


def test_every_core_ops_module_is_a_reserved_namespace():
    # a plugin's op namespace must not shadow a module of tensorgraft.ops (tensorgraft.ops.scatter...)
    import pkgutil

    import tensorgraft.ops as ops
    from tensorgraft.ops._bind import RESERVED_NAMESPACES
    modules = {m.name for m in pkgutil.iter_modules(ops.__path__)}
    assert modules <= RESERVED_NAMESPACES, sorted(modules - RESERVED_NAMESPACES)


def test_no_hook_is_called_per_op(monkeypatch):
    """Hooks fill registries at load time; running ops (and backward) never calls pluggy."""
    import pluggy._hooks as hooks
    import tensorgraft as tg
    calls = []
    real = hooks.HookCaller.__call__

    def counting(self, *a, **k):
        calls.append(self.name)
        return real(self, *a, **k)

    monkeypatch.setattr(hooks.HookCaller, "__call__", counting)
    x = tg.ones(3, 3)
    y = (x @ x + 1).sum()
    if tg.Tensor._autograd is not None:
        w = tg.ones(3, requires_grad=True)
        (w * 2).sum().backward()
    assert y.item() == 36.0
    assert calls == []
