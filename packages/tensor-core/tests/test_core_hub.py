"""tensorgraft.hub (and utils.model_zoo): the cache directory, downloads (served here by a local
HTTP server, no network), load_state_dict_from_url of a PyTorch-written checkpoint, and hubconf
entry points of a local directory."""
from __future__ import annotations

import hashlib
import http.server
import os
import pathlib
import textwrap
import threading
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import hub

DATA = pathlib.Path(__file__).resolve().parent / "data" / "pytorch_checkpoints"


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www over HTTP on localhost; ``hits`` counts the GET requests per path."""
    root = tmp_path / "www"
    root.mkdir()
    hits = {}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):  # noqa: N802 - the stdlib's name
            hits[self.path] = hits.get(self.path, 0) + 1
            self.headers_seen = dict(self.headers)
            hits.setdefault("user-agents", []).append(self.headers.get("User-Agent"))
            return super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _reset_hub_dir():
    yield
    hub._hub_dir = None


# --------------------------------------------------------------------------- the cache directory
def test_get_dir_follows_pytorchs_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.delenv("TORCH_HUB", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert hub.get_dir() == os.path.expanduser("~/.cache/torch/hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")
    monkeypatch.setenv("TORCH_HUB", "x")
    with pytest.warns(UserWarning, match="TORCH_HUB is deprecated, please use env TORCH_HOME instead"):
        hub.get_dir()


# --------------------------------------------------------------------------- downloads
def test_download_url_to_file_over_http(server, tmp_path):
    root, url, hits = server
    payload = os.urandom(300_000)  # several read chunks
    (root / "blob.bin").write_bytes(payload)
    dst = tmp_path / "out" / "blob.bin"
    dst.parent.mkdir()
    hub.download_url_to_file(f"{url}/blob.bin", str(dst), progress=False)
    assert dst.read_bytes() == payload
    assert hits["user-agents"] == ["torch.hub"]
    digest = hashlib.sha256(payload).hexdigest()
    hub.download_url_to_file(f"{url}/blob.bin", str(dst), hash_prefix=digest[:10], progress=False)
    assert os.listdir(dst.parent) == ["blob.bin"]  # no .partial file left


def test_download_with_a_wrong_hash_leaves_nothing(server, tmp_path):
    root, url, _ = server
    (root / "w.pt").write_bytes(b"abc")
    dst = tmp_path / "w.pt"
    digest = hashlib.sha256(b"abc").hexdigest()
    with pytest.raises(RuntimeError, match=f'invalid hash value \\(expected "0000", got "{digest}"\\)'):
        hub.download_url_to_file(f"{url}/w.pt", str(dst), hash_prefix="0000", progress=False)
    assert os.listdir(tmp_path) == ["www"]
    dst.write_bytes(b"old checkpoint")  # a failed download never replaces what is there
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.download_url_to_file(f"{url}/w.pt", str(dst), hash_prefix="0000", progress=False)
    assert dst.read_bytes() == b"old checkpoint"


def test_download_errors_leave_nothing(server, tmp_path):
    _, url, _ = server
    from urllib.error import HTTPError
    with pytest.raises(HTTPError):
        hub.download_url_to_file(f"{url}/missing.pt", str(tmp_path / "m.pt"), progress=False)
    assert sorted(os.listdir(tmp_path)) == ["www"]


def test_progress_goes_to_stderr(server, tmp_path, capsys):
    root, url, _ = server
    (root / "p.bin").write_bytes(b"x" * 1000)
    hub.download_url_to_file(f"{url}/p.bin", str(tmp_path / "p.bin"), progress=True)
    out, err = capsys.readouterr()
    assert out == "" and err  # tqdm's bar or the percentage line
    hub.download_url_to_file(f"{url}/p.bin", str(tmp_path / "q.bin"), progress=False)
    assert capsys.readouterr() == ("", "")


def test_download_from_a_file_url(tmp_path):
    src = tmp_path / "src.pt"
    src.write_bytes(b"weights")
    hub.download_url_to_file(src.as_uri(), str(tmp_path / "dst.pt"), progress=False)
    assert (tmp_path / "dst.pt").read_bytes() == b"weights"


# --------------------------------------------------------------------------- load_state_dict_from_url
def _mlp_weight():
    return ((np.arange(12, dtype=np.float32) - np.float32(6)) / np.float32(10)).reshape(4, 3)


def test_load_state_dict_from_url_downloads_once(server, tmp_path, capsys):
    root, url, hits = server
    (root / "mlp.pt").write_bytes((DATA / "mlp_state_dict.pt").read_bytes())
    model_dir = tmp_path / "cache"
    sd = hub.load_state_dict_from_url(f"{url}/mlp.pt", model_dir=str(model_dir), progress=False)
    np.testing.assert_array_equal(sd["0.weight"].numpy(), _mlp_weight())
    assert capsys.readouterr().out == f'Downloading: "{url}/mlp.pt" to {model_dir / "mlp.pt"}\n'
    again = hub.load_state_dict_from_url(f"{url}/mlp.pt", model_dir=str(model_dir), progress=False)
    assert hits["/mlp.pt"] == 1 and capsys.readouterr().out == ""
    assert list(again) == list(sd)
    named = hub.load_state_dict_from_url(f"{url}/mlp.pt", model_dir=str(model_dir), file_name="other.pth",
                                         progress=False)
    assert (model_dir / "other.pth").exists() and list(named) == list(sd) and hits["/mlp.pt"] == 2


def test_load_state_dict_from_url_default_dir_and_model_zoo(server, tmp_path, monkeypatch):
    root, url, _ = server
    (root / "mlp.pt").write_bytes((DATA / "mlp_state_dict.pt").read_bytes())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    from tensorgraft.utils import model_zoo
    assert model_zoo.load_url is hub.load_state_dict_from_url
    sd = model_zoo.load_url(f"{url}/mlp.pt", progress=False)
    assert (tmp_path / "home" / "hub" / "checkpoints" / "mlp.pt").exists()
    np.testing.assert_array_equal(sd["0.weight"].numpy(), _mlp_weight())


def test_check_hash_uses_the_file_names_prefix(server, tmp_path):
    root, url, _ = server
    data = (DATA / "mlp_state_dict.pt").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    (root / f"mlp-{digest[:8]}.pth").write_bytes(data)
    (root / "mlp-deadbeef.pth").write_bytes(data)
    sd = hub.load_state_dict_from_url(f"{url}/mlp-{digest[:8]}.pth", model_dir=str(tmp_path / "c"),
                                      check_hash=True, progress=False)
    assert "0.weight" in sd
    with pytest.raises(RuntimeError, match='expected "deadbeef"'):
        hub.load_state_dict_from_url(f"{url}/mlp-deadbeef.pth", model_dir=str(tmp_path / "c"), check_hash=True,
                                     progress=False)
    assert not (tmp_path / "c" / "mlp-deadbeef.pth").exists()


def test_weights_only_defaults_to_false_as_pytorchs_hub(server, tmp_path):
    root, url, _ = server
    (root / "plain.pt").write_bytes((DATA / "plain_data.pt").read_bytes())
    d = hub.load_state_dict_from_url(f"{url}/plain.pt", model_dir=str(tmp_path / "c"), progress=False)
    assert d["best_acc"] == 0.75
    import pickle
    with pytest.raises(pickle.UnpicklingError, match="not an allowed global"):
        hub.load_state_dict_from_url(f"{url}/plain.pt", model_dir=str(tmp_path / "c"), weights_only=True,
                                     progress=False)


def test_a_checkpoint_zipped_alone_is_extracted(server, tmp_path):
    root, url, _ = server
    with zipfile.ZipFile(root / "legacy.zip", "w") as z:
        z.write(DATA / "legacy_format.pt", "legacy_format.pt")
    with pytest.warns(FutureWarning, match="Falling back to the old format < 1.6"):
        d = hub.load_state_dict_from_url(f"{url}/legacy.zip", model_dir=str(tmp_path / "c"), progress=False)
    np.testing.assert_array_equal(d["w"].numpy(), np.arange(6).reshape(2, 3))
    assert (tmp_path / "c" / "legacy_format.pt").exists()
    with zipfile.ZipFile(root / "evil.zip", "w") as z:
        z.writestr("../escaped.pt", b"x")
    with pytest.raises(ValueError, match="would be extracted outside"), pytest.warns(FutureWarning):
        hub.load_state_dict_from_url(f"{url}/evil.zip", model_dir=str(tmp_path / "c"), progress=False)
    assert not (tmp_path / "escaped.pt").exists()


# --------------------------------------------------------------------------- hubconf entry points
def _hub_dir(tmp_path, extra=""):
    d = tmp_path / "repo"
    d.mkdir()
    (d / "helper_module.py").write_text("SCALE = 10\n")
    (d / "hubconf.py").write_text(textwrap.dedent('''
        import tensorgraft
        from helper_module import SCALE

        dependencies = ["numpy"]
        NOT_CALLABLE = 3


        def tiny(n, scale=1):
            """A tensor of n values."""
            return tensorgraft.ones(n) * scale * SCALE


        def _private():
            pass
    ''') + extra)
    return d


def test_load_local_entry_point(tmp_path):
    d = _hub_dir(tmp_path)
    out = hub.load(str(d), "tiny", 3, source="local", scale=2)
    np.testing.assert_array_equal(out.numpy(), [20.0, 20.0, 20.0])
    assert str(d) not in __import__("sys").path  # the directory was on sys.path only while importing
    assert hub.list(str(d)) == ["tiny"]
    assert hub.help(str(d), "tiny") == "A tensor of n values."
    assert tg.hub.load(d, "tiny", 1, source="LOCAL").shape == (1,)


def test_load_local_errors(tmp_path):
    d = _hub_dir(tmp_path)
    with pytest.raises(RuntimeError, match="^Cannot find callable NOT_CALLABLE in hubconf$"):
        hub.load(str(d), "NOT_CALLABLE", source="local")
    with pytest.raises(RuntimeError, match="^Cannot find callable nothing in hubconf$"):
        hub.load(str(d), "nothing", source="local")
    with pytest.raises(ValueError, match="^Invalid input: model should be a string of function name$"):
        hub.load(str(d), 3, source="local")
    with pytest.raises(ValueError, match='^Unknown source: "ftp". Allowed values: "github" | "local".$'):
        hub.load(str(d), "tiny", source="ftp")
    with pytest.raises(FileNotFoundError, match="hubconf.py"):
        hub.load(str(tmp_path / "nowhere"), "tiny", source="local")
    (d / "hubconf.py").write_text("dependencies = ['numpy', 'no_such_package_xyz', 'nor_this_one']\n")
    with pytest.raises(RuntimeError, match="^Missing dependencies: no_such_package_xyz, nor_this_one$"):
        hub.load(str(d), "tiny", source="local")


def test_github_repositories_are_refused_with_what_to_do():
    for call in (lambda: hub.load("pytorch/vision:v0.10.0", "resnet18"),
                 lambda: hub.list("pytorch/vision"), lambda: hub.help("pytorch/vision", "resnet18")):
        with pytest.raises(RuntimeError, match=r"cannot load 'pytorch/vision.*' from GitHub.*source='local'.*"
                                               r"load_state_dict_from_url"):
            call()
