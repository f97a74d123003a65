"""Key-value stores the processes of a job meet through (``torch.distributed.Store`` and kin).

A store holds byte strings under string keys; ``get`` and ``wait`` block until a key exists (or the
store's timeout passes: ``DistStoreError``), ``add`` keeps an integer counter as ASCII digits. The
process group uses one to publish each rank's address and to count arrivals at barriers.

- ``HashStore``: in this process only (threads).
- ``TCPStore``: the master process serves the keys on a TCP port; every process (the master too)
  is a client. The wire format is this module's own (a command byte, then length-prefixed byte
  strings): processes of one job all run tensorgraft, so it need not speak PyTorch's.
- ``FileStore``: a file on a shared file system, appended under ``flock``.
- ``PrefixStore``: another store's keys under ``prefix/``.
"""
from __future__ import annotations

import fcntl
import os
import socket
import socketserver
import struct
import threading
import time
from datetime import timedelta

from .errors import DistNetworkError, DistStoreError

DEFAULT_STORE_TIMEOUT = timedelta(seconds=300)  # PyTorch's default for stores


def _as_bytes(value) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, list):  # PyTorch's bindings also take a list of byte values
        return bytes(value)
    raise TypeError(f"store values must be str or bytes, not {type(value).__name__}")


def _seconds(timeout) -> float:
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    return float(timeout)


def _timeout_error(keys, seconds: float) -> DistStoreError:
    return DistStoreError(f"wait timeout after {int(seconds * 1000)}ms, keys: " + ", ".join("/" + k for k in keys))


class Store:
    """The interface of every store (PyTorch's ``torch.distributed.Store``)."""

    def __init__(self, timeout=DEFAULT_STORE_TIMEOUT):
        self._timeout = timeout if isinstance(timeout, timedelta) else timedelta(seconds=float(timeout))

    @property
    def timeout(self) -> timedelta:
        return self._timeout

    def set_timeout(self, timeout) -> None:
        self._timeout = timeout if isinstance(timeout, timedelta) else timedelta(seconds=float(timeout))

    def _wait_seconds(self, timeout=None) -> float:
        return _seconds(self._timeout if timeout is None else timeout)

    # helpers built on the primitives below
    def multi_get(self, keys) -> list:
        return [self.get(k) for k in keys]

    def multi_set(self, keys, values) -> None:
        if len(keys) != len(values):
            raise ValueError(f"multi_set needs as many values as keys, got {len(keys)} keys and {len(values)} values")
        for k, v in zip(keys, values):
            self.set(k, v)

    def has_extended_api(self) -> bool:
        return True


class HashStore(Store):
    """A store inside this process: a dict guarded by a condition variable."""

    def __init__(self):
        super().__init__()
        self._data: dict[str, bytes] = {}
        self._cond = threading.Condition()

    def set(self, key: str, value) -> None:
        value = _as_bytes(value)
        with self._cond:
            self._data[key] = value
            self._cond.notify_all()

    def _wait_for(self, keys, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while any(k not in self._data for k in keys):
            left = deadline - time.monotonic()
            if left <= 0:
                raise _timeout_error([k for k in keys if k not in self._data], seconds)
            self._cond.wait(left)

    def get(self, key: str) -> bytes:
        with self._cond:
            self._wait_for([key], self._wait_seconds())
            return self._data[key]

    def wait(self, keys, timeout=None) -> None:
        with self._cond:
            self._wait_for(list(keys), self._wait_seconds(timeout))

    def add(self, key: str, amount: int) -> int:
        with self._cond:
            value = int(self._data.get(key, b"0")) + int(amount)
            self._data[key] = str(value).encode()
            self._cond.notify_all()
            return value

    def append(self, key: str, value) -> None:
        with self._cond:
            self._data[key] = self._data.get(key, b"") + _as_bytes(value)
            self._cond.notify_all()

    def check(self, keys) -> bool:
        with self._cond:
            return all(k in self._data for k in keys)

    def delete_key(self, key: str) -> bool:
        with self._cond:
            return self._data.pop(key, None) is not None

    def num_keys(self) -> int:
        with self._cond:
            return len(self._data)

    def compare_set(self, key: str, expected_value, desired_value) -> bytes:
        expected, desired = _as_bytes(expected_value), _as_bytes(desired_value)
        with self._cond:
            current = self._data.get(key)
            # PyTorch's rule: a missing key is set only when the expected value is empty
            if (current is None and expected == b"") or current == expected:
                self._data[key] = desired
                self._cond.notify_all()
                return desired
            return expected if current is None else current


class PrefixStore(Store):
    """``store``'s keys seen under ``prefix/`` (process groups keep their keys apart this way)."""

    def __init__(self, prefix: str, store: Store):
        super().__init__(store.timeout)
        self.underlying_store = store
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return f"{self._prefix}/{key}"

    @property
    def timeout(self) -> timedelta:
        return self.underlying_store.timeout

    def set_timeout(self, timeout) -> None:
        self.underlying_store.set_timeout(timeout)

    def set(self, key, value):
        self.underlying_store.set(self._k(key), value)

    def get(self, key):
        return self.underlying_store.get(self._k(key))

    def wait(self, keys, timeout=None):
        self.underlying_store.wait([self._k(k) for k in keys], timeout)

    def add(self, key, amount):
        return self.underlying_store.add(self._k(key), amount)

    def append(self, key, value):
        self.underlying_store.append(self._k(key), value)

    def check(self, keys):
        return self.underlying_store.check([self._k(k) for k in keys])

    def delete_key(self, key):
        return self.underlying_store.delete_key(self._k(key))

    def num_keys(self):
        return self.underlying_store.num_keys()

    def compare_set(self, key, expected_value, desired_value):
        return self.underlying_store.compare_set(self._k(key), expected_value, desired_value)


# --------------------------------------------------------------------------- TCPStore
# A request is a command byte and a list of byte strings; a reply is a status byte (0 ok, 1 timed
# out) and a list of byte strings. Blocking commands carry their timeout in milliseconds.
_OK, _TIMED_OUT = 0, 1


def _send_frame(sock, head: int, parts) -> None:
    out = [struct.pack("!BI", head, len(parts))]
    for p in parts:
        out.append(struct.pack("!I", len(p)))
        out.append(p)
    sock.sendall(b"".join(out))


def _recv_exact(sock, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise ConnectionError("the connection was closed")
        got += k
    return bytes(buf)


def _recv_frame(sock):
    head, count = struct.unpack("!BI", _recv_exact(sock, 5))
    parts = []
    for _ in range(count):
        (n,) = struct.unpack("!I", _recv_exact(sock, 4))
        parts.append(_recv_exact(sock, n) if n else b"")
    return head, parts


class _StoreServer(socketserver.ThreadingTCPServer):
    """The master's key-value server: one thread per client connection, so a blocking ``get`` of
    one client never holds up another."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address):
        self.keys = HashStore()
        super().__init__(address, _StoreRequestHandler)


class _StoreRequestHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock, store = self.request, self.server.keys
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            try:
                cmd, args = _recv_frame(sock)
            except (ConnectionError, OSError):
                return
            try:
                reply = self._run(store, chr(cmd), [a.decode() if i < self._text_args(chr(cmd), len(args)) else a
                                                    for i, a in enumerate(args)])
                _send_frame(sock, _OK, reply)
            except DistStoreError:
                _send_frame(sock, _TIMED_OUT, [])

    @staticmethod
    def _text_args(cmd: str, n: int) -> int:
        """How many leading arguments are keys (text); the rest are values (bytes)."""
        return {"S": 1, "P": 1, "X": 1, "U": n // 2}.get(cmd, n)

    @staticmethod
    def _run(store: HashStore, cmd: str, args):
        if cmd == "S":
            store.set(args[0], args[1])
            return []
        if cmd in "GW":  # get / wait: keys..., timeout in ms
            keys, seconds = args[:-1], int(args[-1]) / 1000
            with store._cond:
                store._wait_for(keys, seconds)
                return [store._data[k] for k in keys] if cmd == "G" else []
        if cmd == "A":
            return [str(store.add(args[0], int(args[1]))).encode()]
        if cmd == "P":
            store.append(args[0], args[1])
            return []
        if cmd == "C":
            return [b"1" if store.check(args) else b"0"]
        if cmd == "D":
            return [b"1" if store.delete_key(args[0]) else b"0"]
        if cmd == "N":
            return [str(store.num_keys()).encode()]
        if cmd == "X":
            return [store.compare_set(args[0], args[1], args[2])]
        if cmd == "U":
            half = len(args) // 2
            for k, v in zip(args[:half], args[half:]):
                store.set(k, v)
            return []
        raise ValueError(f"unknown store command {cmd!r}")


class TCPStore(Store):
    """PyTorch's ``TCPStore(host_name, port, world_size=None, is_master=False, timeout=...,
    wait_for_workers=True)``: the master serves the keys (``port=0`` picks a free port, read it
    back from ``.port``); every instance connects to it, retrying until ``timeout``. With
    ``world_size`` and ``wait_for_workers``, the master's constructor returns once ``world_size``
    instances have connected."""

    def __init__(self, host_name: str, port: int, world_size: int | None = None, is_master: bool = False,
                 timeout=DEFAULT_STORE_TIMEOUT, wait_for_workers: bool = True, multi_tenant: bool = False,
                 master_listen_fd=None, use_libuv: bool = True):
        super().__init__(timeout)
        self.host = host_name
        self._server = None
        # one connection per thread, so that a thread blocked in get() does not hold up the others
        self._local = threading.local()
        self._socks: list = []
        self._socks_lock = threading.Lock()
        if is_master:
            self._server = _StoreServer(("" if host_name in ("", "0.0.0.0") else host_name, int(port)))
            port = self._server.server_address[1]
            threading.Thread(target=self._server.serve_forever, name="tensorgraft-TCPStore", daemon=True).start()
        self.port = int(port)
        self._connection()  # fails here, not at the first request, when the master cannot be reached
        if world_size is not None and world_size > 0:
            self.add("init/", 1)  # every instance checks in; the master counts them
            if is_master and wait_for_workers:
                self._wait_for_workers(world_size)

    libuvBackend = True  # (PyTorch's attribute: which server implementation runs; answered for programs that read it)

    def _connect(self, seconds: float):
        deadline = time.monotonic() + seconds
        delay = 0.01
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=max(deadline - time.monotonic(), 0.01))
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as e:
                if time.monotonic() + delay > deadline:
                    raise DistNetworkError(
                        f"The client socket has timed out after {int(seconds * 1000)}ms while trying to connect to "
                        f"({self.host}, {self.port}): {e}. Check that the master process is running and that "
                        "MASTER_ADDR/MASTER_PORT name it.") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _connection(self):
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = self._local.sock = self._connect(self._wait_seconds())
            with self._socks_lock:
                self._socks.append(sock)
        return sock

    @property
    def _sock(self):
        return self._connection()

    def _wait_for_workers(self, world_size: int) -> None:
        deadline = time.monotonic() + self._wait_seconds()
        while (n := self.add("init/", 0)) < world_size:
            if time.monotonic() > deadline:
                raise DistStoreError(f"Timed out after {int(self._wait_seconds())} seconds waiting for clients. "
                                     f"{n}/{world_size} clients joined.")
            time.sleep(0.01)

    def _request(self, cmd: str, parts, keys_for_error=(), seconds=None):
        sock = self._connection()
        try:
            _send_frame(sock, ord(cmd), [_as_bytes(p) for p in parts])
            status, reply = _recv_frame(sock)
        except (ConnectionError, OSError) as e:
            raise DistNetworkError(f"lost the connection to the store at ({self.host}, {self.port}): {e}") from None
        if status == _TIMED_OUT:
            raise _timeout_error(keys_for_error, seconds)
        return reply

    def set(self, key, value):
        self._request("S", [key, value])

    def get(self, key):
        seconds = self._wait_seconds()
        return self._request("G", [key, str(int(seconds * 1000))], [key], seconds)[0]

    def multi_get(self, keys):
        seconds = self._wait_seconds()
        return self._request("G", [*keys, str(int(seconds * 1000))], keys, seconds)

    def multi_set(self, keys, values):
        if len(keys) != len(values):
            raise ValueError(f"multi_set needs as many values as keys, got {len(keys)} keys and {len(values)} values")
        self._request("U", [*keys, *values])

    def wait(self, keys, timeout=None):
        seconds = self._wait_seconds(timeout)
        self._request("W", [*keys, str(int(seconds * 1000))], list(keys), seconds)

    def add(self, key, amount):
        return int(self._request("A", [key, str(int(amount))])[0])

    def append(self, key, value):
        self._request("P", [key, value])

    def check(self, keys):
        return self._request("C", list(keys))[0] == b"1"

    def delete_key(self, key):
        return self._request("D", [key])[0] == b"1"

    def num_keys(self):
        return int(self._request("N", [])[0])

    def compare_set(self, key, expected_value, desired_value):
        return self._request("X", [key, expected_value, desired_value])[0]

    def close(self) -> None:
        """Drop the connection (and, on the master, stop serving)."""
        try:
            with self._socks_lock:
                for sock in self._socks:
                    sock.close()
                self._socks.clear()
            self._local = threading.local()
        finally:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: sockets may already be gone
            pass


# --------------------------------------------------------------------------- FileStore
class FileStore(Store):
    """Keys in a file that every process can open (``init_method="file:///path"``): each change is
    a record appended under an exclusive ``flock``; reads replay the file. The file is removed when
    the last of the ``world_size`` instances that used it is closed, as PyTorch does."""

    _REC = struct.Struct("!BII")  # kind (0 set, 1 delete), key length, value length

    def __init__(self, file_name: str, world_size: int = -1):
        super().__init__()
        self.path = file_name
        self._world_size = world_size
        self._closed = False
        fd = os.open(file_name, os.O_RDWR | os.O_CREAT, 0o644)
        os.close(fd)
        self.add("__filestore_users__", 1)

    def _locked(self, write: bool):
        f = open(self.path, "r+b" if write else "rb")
        fcntl.flock(f, fcntl.LOCK_EX if write else fcntl.LOCK_SH)
        return f

    def _read(self, f) -> dict:
        f.seek(0)
        blob = f.read()
        data, pos, size = {}, 0, self._REC.size
        while pos + size <= len(blob):
            kind, nk, nv = self._REC.unpack_from(blob, pos)
            pos += size
            key = blob[pos:pos + nk].decode()
            pos += nk
            if kind == 0:
                data[key] = blob[pos:pos + nv]
            else:
                data.pop(key, None)
            pos += nv
        return data

    def _append(self, f, kind: int, key: str, value: bytes = b"") -> None:
        k = key.encode()
        f.seek(0, os.SEEK_END)
        f.write(self._REC.pack(kind, len(k), len(value)) + k + value)
        f.flush()

    def _update(self, change):
        with self._locked(True) as f:
            return change(f, self._read(f))

    def _snapshot(self) -> dict:
        with self._locked(False) as f:
            return self._read(f)

    def set(self, key, value):
        self._update(lambda f, d: self._append(f, 0, key, _as_bytes(value)))

    def _wait_for(self, keys, seconds: float) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            data = self._snapshot()
            if all(k in data for k in keys):
                return data
            if time.monotonic() > deadline:
                raise _timeout_error([k for k in keys if k not in data], seconds)
            time.sleep(0.005)

    def get(self, key):
        return self._wait_for([key], self._wait_seconds())[key]

    def wait(self, keys, timeout=None):
        self._wait_for(list(keys), self._wait_seconds(timeout))

    def add(self, key, amount):
        def change(f, data):
            value = int(data.get(key, b"0")) + int(amount)
            self._append(f, 0, key, str(value).encode())
            return value
        return self._update(change)

    def append(self, key, value):
        self._update(lambda f, d: self._append(f, 0, key, d.get(key, b"") + _as_bytes(value)))

    def check(self, keys):
        data = self._snapshot()
        return all(k in data for k in keys)

    def delete_key(self, key):
        def change(f, data):
            if key not in data:
                return False
            self._append(f, 1, key)
            return True
        return self._update(change)

    def num_keys(self):
        return sum(1 for k in self._snapshot() if k != "__filestore_users__")

    def compare_set(self, key, expected_value, desired_value):
        expected, desired = _as_bytes(expected_value), _as_bytes(desired_value)

        def change(f, data):
            current = data.get(key)
            if (current is None and expected == b"") or current == expected:
                self._append(f, 0, key, desired)
                return desired
            return expected if current is None else current
        return self._update(change)

    def close(self) -> None:
        if self._closed or not os.path.exists(self.path):
            return
        self._closed = True
        if self.add("__filestore_users__", -1) <= 0 and self._world_size != -1:
            os.unlink(self.path)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


for _cls in (Store, HashStore, PrefixStore, TCPStore, FileStore):
    _cls.__module__ = "tensorgraft.distributed"
