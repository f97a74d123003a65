"""The key-value stores of tensorgraft.distributed: every store gives the same answers."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest

import tensorgraft.distributed as dist


@pytest.fixture(params=["hash", "tcp", "file", "prefix"])
def store(request, tmp_path):
    if request.param == "hash":
        yield dist.HashStore()
    elif request.param == "tcp":
        s = dist.TCPStore("127.0.0.1", 0, 1, True)
        yield s
        s.close()
    elif request.param == "file":
        yield dist.FileStore(str(tmp_path / "store"), 1)
    else:
        yield dist.PrefixStore("job", dist.HashStore())


def test_set_get_add_append_check_delete(store):
    store.set("a", "1")
    store.set("b", b"\x00\xff")
    assert store.get("a") == b"1" and store.get("b") == b"\x00\xff"
    assert store.add("n", 3) == 3 and store.add("n", -1) == 2 and store.get("n") == b"2"
    store.append("s", "ab")
    store.append("s", b"cd")
    assert store.get("s") == b"abcd"
    assert store.check(["a", "n"]) and not store.check(["a", "missing"])
    assert store.multi_get(["a", "s"]) == [b"1", b"abcd"]
    store.multi_set(["x", "y"], ["1", b"2"])
    assert store.get("y") == b"2"
    assert store.delete_key("a") is True and store.delete_key("a") is False
    assert not store.check(["a"])


def test_compare_set_follows_pytorch(store):
    # a missing key is set only when the expected value is empty; otherwise the current value comes back
    assert store.compare_set("k", "x", "v") == b"x"
    assert not store.check(["k"])
    assert store.compare_set("k", "", "v") == b"v"
    assert store.compare_set("k", "other", "w") == b"v"
    assert store.compare_set("k", "v", "w") == b"w" and store.get("k") == b"w"


def test_get_and_wait_time_out_with_the_missing_key(store):
    store.set_timeout(timedelta(milliseconds=150))
    t0 = time.monotonic()
    with pytest.raises(dist.DistStoreError, match=r"wait timeout after 150ms, keys: /.*missing"):
        store.get("missing")
    assert time.monotonic() - t0 >= 0.14
    with pytest.raises(dist.DistStoreError, match="missing2"):
        store.wait(["missing2"], timedelta(milliseconds=50))
    assert issubclass(dist.DistStoreError, RuntimeError)


def test_get_blocks_until_another_thread_sets(store):
    threading.Timer(0.1, lambda: store.set("late", "here")).start()
    assert store.get("late") == b"here"
    store.wait(["late"])


def test_num_keys_counts_keys():
    s = dist.HashStore()
    s.set("a", "1")
    s.add("b", 1)
    assert s.num_keys() == 2


def test_tcpstore_clients_share_the_masters_keys_and_master_waits_for_workers():
    master_box = {}

    def start_master():
        master_box["m"] = dist.TCPStore("127.0.0.1", port, 2, True, timedelta(seconds=10))
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t = threading.Thread(target=start_master)
    t.start()
    time.sleep(0.2)
    assert t.is_alive()  # the master waits for its second instance
    client = dist.TCPStore("127.0.0.1", port, 2, False, timedelta(seconds=10))
    t.join(10)
    master = master_box["m"]
    assert (master.host, master.port, master.timeout) == ("127.0.0.1", port, timedelta(seconds=10))
    client.set("from_client", "1")
    assert master.get("from_client") == b"1"
    assert master.add("init/", 0) == 2  # both instances checked in
    client.close()
    master.close()


def test_tcpstore_client_without_master_names_the_address():
    with pytest.raises(dist.DistNetworkError, match=r"timed out after 200ms while trying to connect to \(127.0.0.1, 1\)"):
        dist.TCPStore("127.0.0.1", 1, timeout=timedelta(milliseconds=200))


def test_prefix_store_puts_keys_under_its_prefix():
    base = dist.HashStore()
    p = dist.PrefixStore("pre", base)
    p.set("x", "1")
    assert base.get("pre/x") == b"1" and p.check(["x"]) and p.underlying_store is base


def test_filestore_is_removed_by_its_last_user(tmp_path):
    path = str(tmp_path / "fs")
    a, b = dist.FileStore(path, 2), dist.FileStore(path, 2)
    a.set("k", "v")
    assert b.get("k") == b"v" and b.num_keys() == 1
    a.close()
    assert (tmp_path / "fs").exists()
    b.close()
    assert not (tmp_path / "fs").exists()


def test_store_values_must_be_text_or_bytes():
    with pytest.raises(TypeError, match="str or bytes, not int"):
        dist.HashStore().set("k", 3)
