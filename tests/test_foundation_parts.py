"""Parts that are not installed fail clearly: ``import tensorgraft.nn`` names the distribution and the
pip command; ``requires_grad=True`` without the autograd engine says the engine is needed.

In a tox env where a part is missing this is checked for real; where it is installed, a subprocess
hides it from the path finder (and ``sys.modules``) so the same message is checked."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap

import pytest

PARTS = {"nn": "tensorgraft-nn", "optim": "tensorgraft-optim", "autograd": "tensorgraft-autograd",
         "cuda": "tensorgraft-cuda"}


def _installed(sub):
    import tensorgraft  # noqa: F401
    try:
        return importlib.util.find_spec(f"tensorgraft.{sub}") is not None
    except ModuleNotFoundError:
        return False


def _hidden_import(sub: str) -> subprocess.CompletedProcess:
    code = textwrap.dedent(f"""
        import sys, importlib.machinery as M
        import tensorgraft
        # make the installed part invisible to the normal path finder (wheel or editable install)
        real = M.PathFinder.find_spec.__func__
        def find_spec(cls, name, path=None, target=None):
            if name == 'tensorgraft.{sub}' or name.startswith('tensorgraft.{sub}.'):
                return None
            return real(cls, name, path, target)
        M.PathFinder.find_spec = classmethod(find_spec)
        for m in [m for m in sys.modules if m == 'tensorgraft.{sub}' or m.startswith('tensorgraft.{sub}.')]:
            del sys.modules[m]
        tensorgraft.__dict__.pop('{sub}', None)
        try:
            import tensorgraft.{sub}
        except ModuleNotFoundError as e:
            print('ERR', e)
        try:
            tensorgraft.{sub}
        except ModuleNotFoundError as e:
            print('ATTR', e)
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("sub", sorted(PARTS))
def test_missing_part_names_distribution(sub):
    dist = PARTS[sub]
    if not _installed(sub):
        import tensorgraft
        with pytest.raises(ModuleNotFoundError, match=f"{dist}.*pip install {dist}"):
            importlib.import_module(f"tensorgraft.{sub}")
        with pytest.raises(ModuleNotFoundError, match=dist):
            getattr(tensorgraft, sub)
        return
    proc = _hidden_import(sub)
    assert proc.returncode == 0, proc.stderr
    assert f"ERR No module named 'tensorgraft.{sub}': it is provided by the {dist} distribution" in proc.stdout
    assert f"pip install {dist}" in proc.stdout
    assert "ATTR" in proc.stdout


def test_requires_grad_without_autograd_says_what_to_install(monkeypatch):
    import tensorgraft as tg
    if _installed("autograd"):
        monkeypatch.setattr(tg.Tensor, "_autograd", None)
    with pytest.raises(RuntimeError, match=r"autograd engine.*pip install tensorgraft-autograd"):
        tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="tensorgraft-autograd"):
        tg.ones(2).requires_grad_()


def test_core_alone_still_computes():
    import tensorgraft as tg
    x = tg.ones(2, 3)
    assert (x + x).sum().item() == 12.0
    assert tg.no_grad is not None  # the grad-mode switch lives in core


def test_lazy_attributes_resolve_installed_parts():
    import tensorgraft as tg
    for sub in PARTS:
        if _installed(sub):
            mod = getattr(tg, sub)
            assert mod.__name__ == f"tensorgraft.{sub}"
    with pytest.raises(AttributeError, match="no attribute 'not_a_part'"):
        _ = tg.not_a_part


@pytest.mark.parametrize("sub", sorted(PARTS))
def test_missing_submodule_of_installed_part_is_not_blamed_on_installation(sub):
    """``tensorgraft.<part>.no_such_module`` with the part installed is Python's plain error: telling
    the user to ``pip install`` a distribution they already have would send them the wrong way."""
    if not _installed(sub):
        pytest.skip(f"tensorgraft.{sub} is not installed in this environment")
    with pytest.raises(ModuleNotFoundError) as info:
        importlib.import_module(f"tensorgraft.{sub}.no_such_module")
    assert str(info.value) == f"No module named 'tensorgraft.{sub}.no_such_module'"
    assert info.value.name == f"tensorgraft.{sub}.no_such_module"


def test_tensorboard_extra_is_declared_where_the_docs_say():
    """``pip install tensorgraft-core[tensorboard]`` (or ``tensorgraft[tensorboard]``) brings what
    ``tensorgraft.utils.tensorboard`` imports: tensorboard itself and Pillow for images."""
    tomllib = pytest.importorskip("tomllib")  # (Python 3.11+)
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    core = tomllib.loads((root / "packages/tensor-core/pyproject.toml").read_text())["project"]
    extra = [req.split(">")[0].split("=")[0].lower() for req in core["optional-dependencies"]["tensorboard"]]
    assert set(extra) == {"tensorboard", "pillow"}
    meta = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert meta["optional-dependencies"]["tensorboard"] == ["tensorgraft-core[tensorboard]==" + meta["version"]]
