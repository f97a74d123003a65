"""Every CuPy name tensorgraft's code reaches for exists in real CuPy, checked without a GPU and
without CuPy: the source of every installed tensorgraft part is read, each ``xp.<name>...`` /
``cupy.<name>...`` / ``cupyx.<name>...`` chain and each keyword passed to such a call is looked up
in fake_cupy/cupy_api.json (CuPy 14's public API, written from the real package by
tools/cupy_api_snapshot.py). A NumPy function CuPy lacks would otherwise only fail on a GPU.

Where real CuPy is importable, the snapshot itself is checked against it."""
from __future__ import annotations

import ast
import json
import pathlib

import pytest

import tensorgraft

SNAPSHOT = json.loads((pathlib.Path(__file__).parent / "fake_cupy" / "cupy_api.json").read_text(encoding="utf-8"))
MODULES = SNAPSHOT["modules"]
ARRAY_NAMESPACES = {"xp": "cupy", "cp": "cupy", "cupy": "cupy", "cupyx": "cupyx"}


def _sources():
    """The .py files of every tensorgraft part on the path (namespace package: several roots)."""
    files = []
    for root in tensorgraft.__path__:
        files += sorted(pathlib.Path(root).rglob("*.py"))
    assert any(f.parts[-2:] == ("cuda", "fused.py") for f in files), "tensorgraft-cuda's source was not found"
    return files


def _chains(tree):
    """(chain, call node or None, line) for each ``xp.a.b`` attribute chain in a module."""
    calls = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    seen_inner = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in seen_inner:
            continue
        chain, cur = [], node
        while isinstance(cur, ast.Attribute):
            seen_inner.add(id(cur.value))
            chain.append(cur.attr)
            cur = cur.value
        if isinstance(cur, ast.Name) and cur.id in ARRAY_NAMESPACES:
            yield ARRAY_NAMESPACES[cur.id], chain[::-1], calls.get(id(node)), node.lineno


def _resolve(root, chain):
    """Look a chain up in the snapshot: (module, name, parameter names) or an error string."""
    module = root
    for i, part in enumerate(chain):
        sub = f"{module}.{part}"
        if sub in MODULES or any(m.startswith(sub + ".") for m in MODULES):
            module = sub
            continue
        names = MODULES.get(module)
        if names is None:
            return None  # a module the snapshot does not list (e.g. cupyx.scipy): not checked
        if part not in names:
            return f"{module}.{part} does not exist in CuPy {SNAPSHOT['version']}"
        if i == len(chain) - 1:
            return module, part, names[part]
        return None  # an attribute of a function or class (cupy.cuda.Device(...).id, ufunc.at)
    return None


def _audit(modules):
    """modules: (name, source) pairs. Returns (problems, number of chains checked)."""
    problems, checked = [], 0
    for name, source in modules:
        for root, chain, call, line in _chains(ast.parse(source)):
            if root == "cupy" and chain[0] == "ndarray":
                continue
            found = _resolve(root, chain)
            checked += 1
            where = f"{name}:{line}"
            if isinstance(found, str):
                problems.append(f"{where}: {found}")
            elif found and call is not None and found[2] is not None:
                module, fname, params = found
                for kw in call.keywords:
                    if kw.arg is not None and kw.arg not in params:
                        problems.append(f"{where}: {module}.{fname}() takes no keyword {kw.arg!r} "
                                        f"({', '.join(params)})")
    return problems, checked


def test_every_cupy_name_and_keyword_used_exists():
    problems, checked = _audit((p.name, p.read_text(encoding="utf-8")) for p in _sources())
    assert checked > 50, "the audit found almost no CuPy calls: did the source walk break?"
    assert not problems, "\n".join(problems)


def test_the_audit_catches_a_missing_name_and_a_bad_keyword():
    source = ("def k(xp, a):\n"
              "    b = xp.no_such_function(a)\n"
              "    c = xp.max(a, axis=0, initial=0.0)\n"        # CuPy's amax takes no initial=
              "    d = xp.linalg.svd(a, compute_uv=False)\n"    # fine
              "    return xp.cuda.Device(0).id, xp.add.at, cupyx.scatter_add, xp.linalg.no_such\n")
    problems, checked = _audit([("k.py", source)])
    assert checked == 7
    assert problems == [
        f"k.py:2: cupy.no_such_function does not exist in CuPy {SNAPSHOT['version']}",
        "k.py:3: cupy.max() takes no keyword 'initial' (a, axis, out, keepdims)",
        f"k.py:5: cupy.linalg.no_such does not exist in CuPy {SNAPSHOT['version']}",
    ], problems


def test_snapshot_matches_installed_cupy():
    cupy = pytest.importorskip("cupy", reason="real CuPy is not installed here: the snapshot is checked where it is")
    if getattr(cupy, "__version__", "").endswith("-fake"):
        pytest.skip("the NumPy-backed fake CuPy is on the path, not the real one")
    missing = [n for n in MODULES["cupy"] if not hasattr(cupy, n)]
    assert not missing, f"names in the snapshot that CuPy {cupy.__version__} lacks: {missing}"
