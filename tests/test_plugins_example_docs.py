"""docs/plugins.md as a recipe: write the tutorial plugin from scratch, using only the files the
document spells out (its ```lang title="path"``` blocks), install it, and run its conformance test.
If the document and the plugin API drift apart, this fails."""
from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("hatchling", reason="building plugin distributions needs hatchling")

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
BLOCK = re.compile(r'^```\w+ title="([^"]+)"\n(.*?)^```', re.S | re.M)


def _files():
    return {path: body for path, body in BLOCK.findall(DOC.read_text())}


def test_doc_spells_out_a_complete_plugin():
    files = _files()
    assert set(files) == {"pyproject.toml", "src/tensorgraft_softclip/__init__.py",
                          "src/tensorgraft_softclip/plugin.py", "tests/test_softclip.py"}
    assert '[project.entry-points.tensorgraft]' in files["pyproject.toml"]


def test_follow_the_doc(tmp_path):
    proj = tmp_path / "tensorgraft-softclip"
    for path, body in _files().items():
        f = proj / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(body)
    site = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--disable-pip-version-check", "--target", str(site), str(proj)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    env = dict(os.environ, PYTHONPATH=str(site) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TENSORGRAFT_STRICT_PLUGINS="1")
    env.pop("TENSORGRAFT_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("TENSORGRAFT_DISABLED_PLUGINS", None)

    listing = subprocess.run([sys.executable, "-m", "tensorgraft", "plugins", "--json"], capture_output=True,
                             text=True, env=env, timeout=300)
    assert listing.returncode == 0, listing.stderr
    entry = {p["distribution"]: p for p in json.loads(listing.stdout)["plugins"]}["tensorgraft-softclip"]
    assert entry["status"] == "loaded" and entry["registered"]["ops"]["names"] == ["softclip.softclip"]

    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                          str(proj / "tests")], capture_output=True, text=True, cwd=proj, env=env, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout

    # and the kit really checks the tutorial's gradient: break it, and the same test fails
    plugin = proj / "src" / "tensorgraft_softclip" / "plugin.py"
    broken = plugin.read_text().replace("return (grad * (1 - t * t),)", "return (grad * (1 - t),)")
    assert broken != plugin.read_text()
    installed = site / "tensorgraft_softclip" / "plugin.py"
    installed.write_text(broken)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib",
                          str(proj / "tests")], capture_output=True, text=True, cwd=proj, env=env, timeout=300)
    assert run.returncode != 0
    assert "[softclip.softclip] gradcheck" in run.stdout
