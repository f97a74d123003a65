"""The connections between the ranks of one process group, and the messages that travel on them.

Each rank listens on a port and publishes ``host:port`` in the store; every pair of ranks then
shares one TCP connection (the higher rank dials the lower). On each connection:

- a *sender thread* writes queued messages in order, so that ``send`` never blocks its caller and
  two ranks sending to each other at once cannot deadlock on full socket buffers;
- a *receiver thread* reads messages as soon as they arrive and files them under their channel
  (``inbox``), where a ``recv`` for that channel finds them.

A message is ``(channel, meta, payload)``: the channel names which operation it belongs to (a
collective's sequence number and step, or a point-to-point tag), ``meta`` describes the payload
(dtype and shape, checked by the receiver, so mismatched calls fail with both shapes named instead
of corrupting memory).

A receiver can name where a message should land before it arrives (``expect``): the receiver
thread then reads it straight into that memory (the ring all-reduce posts its scratch buffer and
the tensor's own chunks). Other payloads go into fresh ``np.empty`` buffers, not ``bytearray``s:
those are zero-filled and, past 32 MiB, mapped in 4 KB pages, which made a 64 MB all-reduce twice
as slow (docs/benchmarks.md, "Distributed").
"""
from __future__ import annotations

import queue
import socket
import struct
import threading
import time
from concurrent.futures import Future

import numpy as np

from .errors import DistBackendError, DistNetworkError

_HEADER = struct.Struct("!QHH")  # payload bytes, channel bytes, meta bytes
_ANY = object()


def _recv_exact_into(sock, view) -> None:
    got, n = 0, len(view)
    while got < n:
        k = sock.recv_into(view[got:])
        if k == 0:
            raise ConnectionError("connection closed by peer")
        got += k


class _Peer:
    """One connection: its sender thread and queue.

    A small message with nothing queued ahead of it is written by the caller itself
    (``try_send_now``): it fits in the socket buffer, and the peer's receiver thread always drains,
    so the write cannot block for long, and the caller skips a thread hand-off (most of a small
    collective's time). Larger messages go through the sender thread, so ``isend`` never waits."""

    INLINE_BYTES = 64 * 1024

    def __init__(self, mesh: Mesh, rank: int, sock: socket.socket):
        self.rank, self.sock, self.mesh = rank, sock, mesh
        self.outbox: queue.SimpleQueue = queue.SimpleQueue()
        self.queued = 0  # messages put in the outbox and not yet written
        self.state_lock = threading.Lock()  # guards queued
        self.write_lock = threading.Lock()  # one writer on the socket at a time
        name = f"tensorgraft-dist-{mesh.name}-peer{rank}"
        threading.Thread(target=self._send_loop, name=name + "-send", daemon=True).start()
        threading.Thread(target=self._recv_loop, name=name + "-recv", daemon=True).start()

    def _write(self, header, payload) -> None:
        self.sock.sendall(header)
        if len(payload):
            self.sock.sendall(payload)

    def try_send_now(self, header, payload) -> bool:
        """Write the message now if nothing is queued ahead of it and the socket is free."""
        with self.state_lock:
            if self.queued or not self.write_lock.acquire(blocking=False):
                return False
        try:
            self._write(header, payload)
        except OSError as e:
            self.mesh._fail(self.rank, e)
            raise DistNetworkError(f"sending to rank {self.rank} failed: {e}") from None
        finally:
            self.write_lock.release()
        return True

    def enqueue(self, item) -> None:
        with self.state_lock:
            self.queued += 1
        self.outbox.put(item)

    def _send_loop(self):
        while True:
            item = self.outbox.get()
            if item is None:
                return
            header, payload, fut = item
            try:
                with self.write_lock:
                    self._write(header, payload)
                fut.set_result(None)
            except OSError as e:
                fut.set_exception(DistNetworkError(f"sending to rank {self.rank} failed: {e}"))
                self.mesh._fail(self.rank, e)
            finally:
                with self.state_lock:
                    self.queued -= 1

    def _recv_loop(self):
        sock = self.sock
        head = bytearray(_HEADER.size)
        try:
            while True:
                _recv_exact_into(sock, memoryview(head))
                nbytes, nchan, nmeta = _HEADER.unpack(head)
                names = bytearray(nchan + nmeta)
                _recv_exact_into(sock, memoryview(names))
                channel = names[:nchan].decode()
                payload = self.mesh._landing(self.rank, channel, nbytes)
                if nbytes:
                    _recv_exact_into(sock, payload)
                self.mesh._deliver(self.rank, channel, names[nchan:].decode(), payload)
        except (ConnectionError, OSError) as e:
            self.mesh._fail(self.rank, e)


class Mesh:
    """All-to-all connections of one process group (``rank`` of ``size``)."""

    def __init__(self, store, rank: int, size: int, name: str, timeout: float, advertise_host: str):
        self.rank, self.size, self.name, self.timeout = rank, size, name, timeout
        self.peers: dict[int, _Peer] = {}
        self._inbox: dict[tuple, list] = {}  # (source rank, channel) -> [(meta, payload)...]
        self._waiters: dict[tuple, list] = {}  # (source rank or _ANY, channel) -> [callback...]
        self._targets: dict[tuple, memoryview] = {}  # (source rank, channel) -> where its payload goes
        self._cond = threading.Condition()
        self._broken: dict[int, str] = {}
        self._closed = False
        if size > 1:
            self._connect(store, advertise_host)

    # ------------------------------------------------------------------ setup
    def _connect(self, store, host: str):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("" if host != "127.0.0.1" else host, 0))
        listener.listen(self.size)
        store.set(f"addr/{self.rank}", f"{host}:{listener.getsockname()[1]}")
        socks: dict[int, socket.socket] = {}
        # dial every lower rank, telling it who we are
        for peer in range(self.rank):
            addr = store.get(f"addr/{peer}").decode()
            h, p = addr.rsplit(":", 1)
            s = self._dial(h, int(p), peer)
            s.sendall(struct.pack("!I", self.rank))
            socks[peer] = s
        # accept every higher rank
        listener.settimeout(self.timeout)
        for _ in range(self.rank + 1, self.size):
            try:
                s, _addr = listener.accept()
            except socket.timeout:
                raise DistNetworkError(f"rank {self.rank} timed out after {self.timeout:.0f}s waiting for the higher "
                                       "ranks of the process group to connect") from None
            s.settimeout(None)
            buf = bytearray(4)
            _recv_exact_into(s, memoryview(buf))
            socks[struct.unpack("!I", buf)[0]] = s
        listener.close()
        for peer, s in sorted(socks.items()):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.peers[peer] = _Peer(self, peer, s)

    def _dial(self, host: str, port: int, peer: int):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return socket.create_connection((host, port))
            except OSError as e:
                if time.monotonic() > deadline:
                    raise DistNetworkError(f"rank {self.rank} could not connect to rank {peer} at {host}:{port}: {e}")
                time.sleep(0.01)

    # ------------------------------------------------------------------ sending
    def send(self, dst: int, channel: str, meta: str, payload) -> Future:
        """Queue ``payload`` (bytes-like, kept alive until sent) for rank ``dst``; the future
        completes once the bytes are handed to the kernel."""
        self._check(dst)
        fut: Future = Future()
        c, m = channel.encode(), meta.encode()
        view = memoryview(payload).cast("B") if not isinstance(payload, (bytes, bytearray)) else payload
        header = _HEADER.pack(len(view), len(c), len(m)) + c + m
        peer = self.peers[dst]
        if len(view) <= peer.INLINE_BYTES and peer.try_send_now(header, view):
            fut.set_result(None)
            return fut
        peer.enqueue((header, view, fut))
        return fut

    # ------------------------------------------------------------------ receiving
    def expect(self, src: int, channel: str, into):
        """Have the message from ``src`` on ``channel`` read straight into ``into`` (a writable
        contiguous buffer of its exact size; a message of another size is received as usual).
        Returns the memoryview that ``recv`` gives as the payload when the message went there (a
        message already received, or being received, keeps its own buffer)."""
        view = memoryview(into).cast("B")
        with self._cond:
            if not self._inbox.get((src, channel)):
                self._targets[(src, channel)] = view
        return view

    def _landing(self, src: int, channel: str, nbytes: int) -> memoryview:
        """Where the receiver thread reads a payload of ``nbytes``: the posted buffer, or a new one."""
        with self._cond:
            target = self._targets.pop((src, channel), None)
        if target is not None and target.nbytes == nbytes:
            return target
        return memoryview(np.empty(nbytes, np.uint8))

    def _deliver(self, src: int, channel: str, meta: str, payload) -> None:
        with self._cond:
            self._targets.pop((src, channel), None)  # (posted while this message was already being read)
            for key in ((src, channel), (_ANY, channel)):
                waiters = self._waiters.get(key)
                if waiters:
                    callback = waiters.pop(0)
                    if not waiters:
                        del self._waiters[key]
                    break
            else:
                self._inbox.setdefault((src, channel), []).append((meta, payload))
                self._cond.notify_all()
                return
        callback(src, meta, payload)

    def _take(self, src, channel):
        """A message already here from ``src`` (or from anyone, ``_ANY``) on ``channel``."""
        if src is _ANY:
            for (s, ch), msgs in self._inbox.items():
                if ch == channel and msgs:
                    return (s, *self._pop((s, ch)))
            return None
        if self._inbox.get((src, channel)):
            return (src, *self._pop((src, channel)))
        return None

    def _pop(self, key):
        msgs = self._inbox[key]
        msg = msgs.pop(0)
        if not msgs:
            del self._inbox[key]
        return msg

    def recv(self, src, channel: str, timeout: float | None = None):
        """Block until a message from ``src`` (``None``: any rank) arrives on ``channel``;
        returns ``(source, meta, payload)``, the payload a memoryview (the ``expect``-ed buffer's
        when the message went there)."""
        src = _ANY if src is None else src
        if src is not _ANY:
            self._check(src)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        with self._cond:
            while True:
                got = self._take(src, channel)
                if got is not None:
                    return got
                self._raise_if_broken(src)
                left = deadline - time.monotonic()
                if left <= 0:
                    who = "any rank" if src is _ANY else f"rank {src}"
                    raise DistBackendError(f"rank {self.rank} timed out after {self.timeout:.0f}s waiting for a "
                                           f"message from {who} ({channel})")
                self._cond.wait(min(left, 1.0))

    def recv_async(self, src, channel: str, callback) -> None:
        """Call ``callback(source, meta, payload)`` when the message arrives (now if it is here)."""
        src = _ANY if src is None else src
        with self._cond:
            got = self._take(src, channel)
            if got is None:
                self._raise_if_broken(src)
                self._waiters.setdefault((src, channel), []).append(callback)
                return
        callback(*got)

    # ------------------------------------------------------------------ failures and shutdown
    def _check(self, rank: int) -> None:
        if rank not in self.peers:
            raise DistBackendError(f"rank {self.rank} has no connection to rank {rank} (group of size {self.size})")

    def _raise_if_broken(self, src) -> None:
        if self._closed:
            raise DistBackendError("the process group was destroyed")
        if self._broken and (src is _ANY or src in self._broken):
            rank = src if src is not _ANY else next(iter(self._broken))
            raise DistBackendError(f"Connection closed by peer: rank {rank} left the process group "
                                   f"({self._broken[rank]}); did it fail or finish early?")

    def _fail(self, rank: int, error) -> None:
        with self._cond:
            if self._closed:
                return
            self._broken.setdefault(rank, str(error))
            waiters = [cb for (src, _ch), cbs in self._waiters.items() if src in (rank, _ANY) for cb in cbs]
            self._waiters = {k: v for k, v in self._waiters.items() if k[0] not in (rank, _ANY)}
            self._cond.notify_all()
        for cb in waiters:
            cb(rank, None, DistBackendError(f"Connection closed by peer: rank {rank} left the process group"))

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for peer in self.peers.values():
            peer.outbox.put(None)
            try:
                peer.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            peer.sock.close()
