"""``torch.hub``: pretrained weights from a URL, cached on disk, and models from a local hub directory.

``load_state_dict_from_url(url)`` downloads a checkpoint once into the hub cache (the same directory
PyTorch uses, ``$TORCH_HOME/hub/checkpoints``, so weights PyTorch already downloaded are reused) and
loads it with ``tensorgraft.load``, which reads PyTorch's ``torch.save`` files.

``load(dir, model, source="local")`` calls an entry point of a ``hubconf.py`` in a local directory,
as PyTorch does. Repositories on GitHub are refused: their ``hubconf.py`` builds PyTorch models with
PyTorch's code, so running it here would need PyTorch, and downloading code to run it is what
tensorgraft does not do (see ``_refuse_github``).
"""
from __future__ import annotations

import errno
import hashlib
import importlib.util
import os
import re
import sys
import uuid
import warnings
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]

ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
VAR_DEPENDENCY = "dependencies"
MODULE_HUBCONF = "hubconf.py"
READ_DATA_CHUNK = 128 * 1024
# the hash prefix a checkpoint's file name carries, as in resnet18-f37072fd.pth
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

_hub_dir: str | None = None


def _get_torch_home() -> str:
    default = os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")
    return os.path.expanduser(os.getenv(ENV_TORCH_HOME, default))


def get_dir() -> str:
    """The hub cache directory: what :func:`set_dir` set, else ``$TORCH_HOME/hub`` (``TORCH_HOME``
    defaults to ``$XDG_CACHE_HOME/torch``, itself ``~/.cache/torch``): PyTorch's directory."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d) -> None:
    """Use ``d`` (a path) as the hub cache directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


# --------------------------------------------------------------------------- downloads
class _Progress:
    """A progress bar on stderr: tqdm's when it is installed (as PyTorch), else a percentage line."""

    def __init__(self, total, enabled):
        self.total, self.done, self.bar = total, 0, None
        self.enabled = enabled
        if enabled:
            try:
                from tqdm import tqdm
                self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024)
            except ImportError:
                pass

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled:
            if self.total:
                sys.stderr.write(f"\r{100.0 * self.done / self.total:.1f}%")
            else:
                sys.stderr.write(f"\r{self.done} bytes")
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\n")


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download ``url`` to the path ``dst``. The bytes go to a temporary file next to ``dst`` that
    replaces it only once complete (and, with ``hash_prefix``, once its SHA-256 hex digest starts
    with it), so an interrupted or corrupted download never leaves a file where a checkpoint was."""
    dst = os.path.expanduser(os.fspath(dst))
    for _ in range(100):
        tmp = f"{dst}.{uuid.uuid4().hex}.partial"
        try:
            fh = open(tmp, "xb")  # noqa: SIM115 - closed below on every path
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        with fh, urlopen(Request(url, headers={"User-Agent": "torch.hub"})) as response:
            length = response.headers.get("Content-Length")
            bar = _Progress(int(length) if length and length.isdigit() else None, progress)
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            try:
                while True:
                    chunk = response.read(READ_DATA_CHUNK)
                    if not chunk:
                        break
                    fh.write(chunk)
                    if sha256 is not None:
                        sha256.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _single_file_zip(path: str) -> bool:
    """A checkpoint zipped as the only member of a zip file (how some pre-1.6 weights were shipped);
    a PyTorch 1.6+ checkpoint is a zip too, but of several records."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
    return len(members) == 1 and not members[0].is_dir()


def _extract_single_member(path: str, model_dir: str) -> str:
    with zipfile.ZipFile(path) as zf:
        (member,) = zf.infolist()
        target = os.path.realpath(os.path.join(model_dir, member.filename))
        root = os.path.realpath(model_dir)
        if os.path.commonpath([root, target]) != root:  # "../x" or an absolute name: never outside
            raise ValueError(f"The zip file '{path}' holds '{member.filename}', which would be extracted outside "
                             f"{model_dir}")
        zf.extract(member, model_dir)
    return target


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location=None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None, weights_only: bool = False):
    """The object saved at ``url`` (a state_dict, usually), downloaded once into ``model_dir``
    (default ``get_dir()/checkpoints``) and loaded with ``tensorgraft.load``. ``check_hash``: the
    file name's ``-<hex>.`` part must prefix the file's SHA-256 digest. ``weights_only`` defaults
    to False as in PyTorch's hub: a pickled object in the file is then unpickled (its code runs), as in
    PyTorch; pass ``weights_only=True`` for sources you do not trust."""
    from ..serialization import load
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead", stacklevel=2)
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        sys.stdout.write(f'Downloading: "{url}" to {cached}\n')
        hash_prefix = None
        if check_hash:
            match = HASH_REGEX.search(filename)
            hash_prefix = match.group(1) if match else None
        download_url_to_file(url, cached, hash_prefix, progress=progress)
    if _single_file_zip(cached):
        warnings.warn("Falling back to the old format < 1.6. This support will be deprecated in favor of default "
                      "zipfile format introduced in 1.6. Please redo torch.save() to save it in the new zipfile "
                      "format.", FutureWarning, stacklevel=2)
        cached = _extract_single_member(cached, model_dir)
    return load(cached, map_location=map_location, weights_only=weights_only)


# --------------------------------------------------------------------------- hubconf entry points
def _refuse_github(repo: str):
    return RuntimeError(
        f"tensorgraft.hub cannot load '{repo}' from GitHub: a hub repository's hubconf.py builds PyTorch models with "
        "PyTorch's own code, and tensorgraft does not download code to run it. Clone the repository, make its model "
        "code import tensorgraft instead of torch, and call tensorgraft.hub.load(path, model, source='local'); "
        "pretrained weights load with tensorgraft.hub.load_state_dict_from_url(url).")


def _hubconf(directory: str):
    """The ``hubconf.py`` module of a local directory, imported with the directory on ``sys.path``
    (so it can import its own modules), and its ``dependencies`` checked."""
    path = os.path.join(directory, MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
    sys.path.insert(0, directory)
    try:
        spec = importlib.util.spec_from_file_location("hubconf", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(directory)
    missing = [name for name in getattr(module, VAR_DEPENDENCY, None) or []
               if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _entry(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    func = getattr(module, model, None)
    if func is None or not callable(func):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return func


def _local_dir(repo_or_dir) -> str:
    if isinstance(repo_or_dir, (str, os.PathLike)) and os.path.isdir(repo_or_dir):
        return os.fspath(repo_or_dir)
    raise _refuse_github(str(repo_or_dir))


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False, verbose=True,
         skip_validation=False, **kwargs):
    """``hubconf.<model>(*args, **kwargs)`` of the local directory ``repo_or_dir`` (``source='local'``)."""
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        raise _refuse_github(str(repo_or_dir))
    if not os.path.isdir(repo_or_dir):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), os.path.join(repo_or_dir, MODULE_HUBCONF))
    return _entry(_hubconf(os.fspath(repo_or_dir)), model)(*args, **kwargs)


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True):  # noqa: A001
    """The entry points of a hub directory's ``hubconf.py`` (PyTorch takes a GitHub repository
    here; tensorgraft takes a local directory and refuses GitHub, see the module docstring)."""
    module = _hubconf(_local_dir(github))
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None):  # noqa: A001
    """The docstring of an entry point of a hub directory's ``hubconf.py`` (a local directory, as
    :func:`list`)."""
    return _entry(_hubconf(_local_dir(github)), model).__doc__
