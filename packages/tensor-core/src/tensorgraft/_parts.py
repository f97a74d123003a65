"""The separately installed parts, and the error a user gets when one is missing."""
from __future__ import annotations

import sys

PARTS = {
    "tensorgraft.autograd": "tensorgraft-autograd",
    "tensorgraft.func": "tensorgraft-autograd",
    "tensorgraft.nn": "tensorgraft-nn",
    "tensorgraft.fx": "tensorgraft-nn",
    "tensorgraft.optim": "tensorgraft-optim",
    "tensorgraft.cuda": "tensorgraft-cuda",
}


def missing_part_error(modname: str) -> ModuleNotFoundError:
    top = ".".join(modname.split(".")[:2])
    dist = PARTS[top]
    extra = "[cuda13]" if dist == "tensorgraft-cuda" else ""
    err = ModuleNotFoundError(
        f"No module named '{modname}': it is provided by the {dist} distribution, which is not installed. "
        f"Install it with: pip install {dist}{extra}")
    err.name = modname
    return err


class MissingPartFinder:
    """Last on ``sys.meta_path``: reached only when no installed distribution provides the module.

    A meta path finder only needs ``find_spec``; subclassing ``importlib.abc.MetaPathFinder`` would
    import ``importlib.abc`` and with it ``importlib.resources``, ``pathlib``, ``tempfile``... (~5 ms
    of every ``import tensorgraft``) for nothing."""

    def find_spec(self, fullname, path=None, target=None):
        # Only the part itself: Python imports a package before its submodules, so reaching here for
        # ``tensorgraft.autograd.no_such_module`` means the part IS installed and the submodule simply
        # does not exist — that is Python's own "No module named ..." error, not "install the part".
        if fullname in PARTS:
            raise missing_part_error(fullname)
        return None


def install_finder() -> None:
    if not any(isinstance(f, MissingPartFinder) for f in sys.meta_path):
        sys.meta_path.append(MissingPartFinder())
