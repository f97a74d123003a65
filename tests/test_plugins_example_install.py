"""The example plugin distributions, built and installed like any third-party plugin (hatchling,
``pip install --no-deps --no-build-isolation --target``, offline) into a private directory put on
PYTHONPATH: ``tensorgraft plugins --json`` lists what they registered and their own test suites
(which use the conformance kit) pass against the installed distributions."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("hatchling", reason="building plugin distributions needs hatchling")

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "plugins"
DISTS = ("tensorgraft-example-ops", "tensorgraft-example-device")


def _env(site, **extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(site) + os.pathsep + env.get("PYTHONPATH", "")
    for k in ("TENSORGRAFT_STRICT_PLUGINS", "TENSORGRAFT_DISABLED_PLUGINS", "TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD"):
        env.pop(k, None)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    site = tmp_path_factory.mktemp("examples") / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--disable-pip-version-check", "--target", str(site),
                           *(str(EXAMPLES / d) for d in DISTS)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return site


def _plugins_json(site, **env):
    proc = subprocess.run([sys.executable, "-m", "tensorgraft", "plugins", "--json"], capture_output=True, text=True,
                          env=_env(site, **env), timeout=300)
    assert proc.returncode == 0, proc.stderr
    return {p["distribution"]: p for p in json.loads(proc.stdout)["plugins"]}, proc


def test_plugins_json_lists_the_examples(site):
    plugins, proc = _plugins_json(site)
    ops = plugins["tensorgraft-example-ops"]
    assert ops["status"] == "loaded" and ops["version"] == "0.1.0" and ops["entry_point"] == "example-ops"
    assert ops["errors"] == []
    reg = ops["registered"]
    assert {"example.swish", "example.segment_sum"} <= set(reg["ops"]["names"])
    assert "swish kernel on cuda" in ops["report"]
    try:
        import tensorgraft.autograd  # noqa: F401
    except ImportError:
        pass
    else:
        assert "example.scaled_tanh" in reg["ops"]["names"]
        assert reg["formulas"]["names"] == ["example.segment_sum", "example.swish"]
    try:
        import tensorgraft.optim  # noqa: F401
    except ImportError:
        assert "optimizers" not in reg
    else:
        assert reg["optimizers"]["names"] == ["SignSGD"]
    dev = plugins["tensorgraft-example-device"]
    assert dev["status"] == "loaded" and dev["entry_point"] == "npcopy"
    assert dev["registered"]["devices"]["names"] == ["npcopy"]
    assert "npcopy transfers" in dev["report"]


def test_disabling_an_example(site):
    plugins, _ = _plugins_json(site, TENSORGRAFT_DISABLED_PLUGINS="tensorgraft-example-ops")
    assert "tensorgraft-example-ops" not in plugins and "tensorgraft-example-device" in plugins
    plugins, _ = _plugins_json(site, TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD="1")
    assert not set(DISTS) & set(plugins)


def test_installed_ops_and_device_work_together(site):
    code = ("import tensorgraft as tg\n"
            "from tensorgraft.ops.example import swish, swish_, segment_sum\n"
            "x = tg.tensor([-1.0, 0.0, 2.0]).to('npcopy')\n"
            "y = swish(x, beta=2.0)\n"
            "print(y.device, [round(v, 4) for v in y.cpu().tolist()])\n"
            "print(segment_sum(tg.ones(3, 2, device='npcopy'), tg.tensor([0, 0, 1], device='npcopy'), 2).cpu().tolist())\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=_env(site), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["npcopy:0 [-0.1192, 0.0, 1.964]", "[[2.0, 2.0], [1.0, 1.0]]"]


@pytest.mark.parametrize("dist", DISTS)
def test_example_test_suites_pass_when_installed(site, dist, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                           str(EXAMPLES / dist / "tests")], capture_output=True, text=True, cwd=tmp_path,
                          env=_env(site), timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout


FAKE_CUPY = ROOT / "packages" / "cuda-backend" / "tests" / "fake_cupy"


def test_cuda_kernel_registered_only_with_cupy(site):
    # without CuPy: this run's path minus the stand-in CuPy (tox cuda-fake puts it on PYTHONPATH)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep)
                 if p and os.path.realpath(p) != os.path.realpath(FAKE_CUPY)]
    no_cupy = os.pathsep.join([str(site), *inherited])
    probe = subprocess.run([sys.executable, "-c", "import importlib.util as u; print(u.find_spec('cupy') is None)"],
                           capture_output=True, text=True, env=dict(_env(site), PYTHONPATH=no_cupy), timeout=60)
    if probe.stdout.strip() == "True":
        plugins, _ = _plugins_json(site, PYTHONPATH=no_cupy)
        reg = plugins["tensorgraft-example-ops"]["registered"]
        assert "kernels" not in reg or "example.swish@cuda" not in reg["kernels"]["names"]
        assert plugins["tensorgraft-example-ops"]["report"]["swish kernel on cuda"].startswith("generic")
    # with CuPy importable (a NumPy-backed stand-in here) the specialised kernel is registered
    env_path = str(site) + os.pathsep + str(FAKE_CUPY)
    proc = subprocess.run([sys.executable, "-m", "tensorgraft", "plugins", "--json"], capture_output=True, text=True,
                          env=dict(_env(site), PYTHONPATH=env_path), timeout=300)
    assert proc.returncode == 0, proc.stderr
    entry = {p["distribution"]: p for p in json.loads(proc.stdout)["plugins"]}["tensorgraft-example-ops"]
    assert entry["registered"]["kernels"]["names"] == ["example.swish@cuda"]
    assert entry["report"]["swish kernel on cuda"] == "cupy.ElementwiseKernel"
