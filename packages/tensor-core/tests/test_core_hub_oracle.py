"""tensorgraft.hub against torch.hub (PyTorch 2.13): the same cache directory, the same printed
download line, the same loaded values, the same errors."""
from __future__ import annotations

import contextlib
import hashlib
import io
import pathlib
import textwrap

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

DATA = pathlib.Path(__file__).resolve().parent / "data" / "pytorch_checkpoints"


@pytest.fixture(autouse=True)
def _reset_dirs():
    yield
    tg.hub._hub_dir = None
    torch.hub._hub_dir = None


@pytest.mark.parametrize("env", [{}, {"XDG_CACHE_HOME": "xdg"}, {"TORCH_HOME": "th"},
                                 {"TORCH_HOME": "th", "XDG_CACHE_HOME": "xdg"}])
def test_same_cache_directory(env, monkeypatch, tmp_path):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, str(tmp_path / v))
    assert tg.hub.get_dir() == torch.hub.get_dir()
    tg.hub.set_dir(tmp_path / "x")
    torch.hub.set_dir(tmp_path / "x")
    assert tg.hub.get_dir() == torch.hub.get_dir()


def _downloaded(lib, url, model_dir, **kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sd = lib.hub.load_state_dict_from_url(url, model_dir=str(model_dir), progress=False, **kwargs)
    return sd, out.getvalue()


@pytest.mark.parametrize("name", ["mlp_state_dict.pt", "training_checkpoint.pt", "legacy_format.pt"])
def test_same_download_line_and_values(name, tmp_path):
    src = tmp_path / "src" / name
    src.parent.mkdir()
    src.write_bytes((DATA / name).read_bytes())
    theirs, their_line = _downloaded(torch, src.as_uri(), tmp_path / "torch")
    ours, our_line = _downloaded(tg, src.as_uri(), tmp_path / "tg")
    assert our_line == their_line.replace(str(tmp_path / "torch"), str(tmp_path / "tg"))

    def same(a, b):
        if isinstance(b, torch.Tensor):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        elif isinstance(b, dict):
            assert list(a) == list(b)
            for k in b:
                same(a[k], b[k])
        elif isinstance(b, (list, tuple)):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                same(x, y)
        elif isinstance(b, (torch.dtype, torch.device, torch.Size)):
            assert str(a) == str(b)
        else:
            assert a == b
    same(ours, theirs)


def test_same_hash_mismatch_error(tmp_path):
    data = (DATA / "mlp_state_dict.pt").read_bytes()
    src = tmp_path / "mlp-00ff.pth"
    src.write_bytes(data)
    assert hashlib.sha256(data).hexdigest()[:4] != "00ff"
    assert_same_error(lambda lib: _downloaded(lib, src.as_uri(), tmp_path / lib.__name__, check_hash=True))


def test_same_local_hubconf_results_and_errors(tmp_path):
    d = tmp_path / "repo"
    d.mkdir()
    (d / "hubconf.py").write_text(textwrap.dedent('''
        dependencies = ["numpy"]
        VALUE = 3


        def double(x):
            """Twice x."""
            return 2 * x
    '''))
    assert tg.hub.load(str(d), "double", 21, source="local") == torch.hub.load(str(d), "double", 21, source="local")
    for model in ("VALUE", "missing"):
        assert_same_error(lambda lib: lib.hub.load(str(d), model, source="local"))
    assert_same_error(lambda lib: lib.hub.load(str(d), 3, source="local"))
    assert_same_error(lambda lib: lib.hub.load(str(d), "double", source="svn"))
    (d / "hubconf.py").write_text("dependencies = ['no_such_package_xyz']\n")
    assert_same_error(lambda lib: lib.hub.load(str(d), "double", source="local"))
