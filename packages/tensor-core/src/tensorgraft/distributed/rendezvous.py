"""How the processes of a job find each other (``init_method``): ``env://`` (the variables
``torchrun`` sets), ``tcp://host:port`` and ``file:///path``. Each yields the store, this
process's rank and the world size. The error messages are PyTorch's."""
from __future__ import annotations

import os
from urllib.parse import parse_qs, urlparse

from .store import FileStore, TCPStore


def _error(scheme: str, msg: str) -> ValueError:
    return ValueError(f"Error initializing torch.distributed using {scheme}:// rendezvous: {msg}")


def _query(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(url).query).items()}


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise _error("env", f"environment variable {name} expected, but not set")
    return value


_handlers: dict = {}  # schemes added by register_rendezvous_handler


def register_rendezvous_handler(scheme: str, handler) -> None:
    """Make ``init_method="scheme://..."`` call ``handler(url, timeout=..., rank=..., world_size=...)``,
    a generator yielding ``(store, rank, world_size)``, as in PyTorch."""
    if scheme in _handlers or scheme in ("env", "tcp", "file"):
        raise RuntimeError(f"Rendezvous handler for {scheme}:// already registered")
    _handlers[scheme] = handler


def rendezvous(url: str, rank: int, world_size: int, timeout):
    """``(store, rank, world_size)`` for ``init_method=url``."""
    scheme = urlparse(url).scheme
    if scheme in _handlers:
        kwargs = {k: v for k, v in (("rank", rank), ("world_size", world_size)) if v != -1}
        return next(_handlers[scheme](url, timeout=timeout, **kwargs))
    query = _query(url)
    if rank != -1:
        query.setdefault("rank", str(rank))
    if world_size != -1:
        query.setdefault("world_size", str(world_size))
    if scheme == "env":
        rank = int(query["rank"]) if "rank" in query else int(_env("RANK"))
        world_size = int(query["world_size"]) if "world_size" in query else int(_env("WORLD_SIZE"))
        host, port = _env("MASTER_ADDR"), int(_env("MASTER_PORT"))
        return TCPStore(host, port, world_size, rank == 0, timeout), rank, world_size
    if scheme == "tcp":
        parsed = urlparse(url)
        if parsed.port is None:
            raise _error("tcp", "port number missing")
        if "rank" not in query:
            raise _error("tcp", "rank parameter missing")
        if "world_size" not in query:
            raise _error("tcp", "world size parameter missing")
        rank, world_size = int(query["rank"]), int(query["world_size"])
        return TCPStore(parsed.hostname, parsed.port, world_size, rank == 0, timeout), rank, world_size
    if scheme == "file":
        parsed = urlparse(url)
        path = parsed.path or parsed.netloc
        if not path:
            raise _error("file", "path missing")
        if "rank" not in query:
            raise _error("file", "rank parameter missing")
        if "world_size" not in query:
            raise _error("file", "world size parameter missing")
        rank, world_size = int(query["rank"]), int(query["world_size"])
        store = FileStore(path, world_size)
        store.set_timeout(timeout)
        return store, rank, world_size
    raise RuntimeError(f"No rendezvous handler for {scheme}://; use env://, tcp://host:port or file:///path")
