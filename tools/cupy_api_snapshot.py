"""Write the public API of the installed CuPy (names, and parameter names where Python can read
them) to packages/cuda-backend/tests/fake_cupy/cupy_api.json.

CuPy imports without a GPU, so this runs on any machine: `pip install cupy-cuda13x` in a scratch
venv, then `python tools/cupy_api_snapshot.py`. The snapshot keeps the NumPy-backed fake CuPy
honest (it offers only what real CuPy offers, and refuses keywords real CuPy refuses) and lets
test_cuda_api_audit.py check every `xp.<name>` tensorgraft's kernels use, with no GPU and no CuPy.
"""
from __future__ import annotations

import importlib
import inspect
import json
import pathlib
import sys

MODULES = ("cupy", "cupy.linalg", "cupy.fft", "cupy.random", "cupy.lib.stride_tricks", "cupy.cuda",
           "cupyx", "cupyx.scipy.special")
OUT = pathlib.Path(__file__).resolve().parents[1] / "packages/cuda-backend/tests/fake_cupy/cupy_api.json"


def parameters(obj):
    """Parameter names, or None where they cannot be read (Cython functions, ufuncs) or where the
    callable takes **kwargs (anything goes)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return None
    return [p.name for p in sig.parameters.values() if p.kind is not p.VAR_POSITIONAL]


def snapshot():
    import cupy
    api = {"version": cupy.__version__, "modules": {}}
    for name in MODULES:
        mod = importlib.import_module(name)
        entries = {}
        for attr in sorted(dir(mod)):
            if attr.startswith("_"):
                continue
            obj = getattr(mod, attr)
            entries[attr] = parameters(obj) if callable(obj) and not inspect.isclass(obj) else None
        api["modules"][name] = entries
    api["ndarray"] = sorted(a for a in dir(cupy.ndarray) if not a.startswith("_") or a.startswith("__"))
    return api


def main() -> int:
    api = snapshot()
    OUT.write_text(json.dumps(api, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} (CuPy {api['version']}, {sum(map(len, api['modules'].values()))} names)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
