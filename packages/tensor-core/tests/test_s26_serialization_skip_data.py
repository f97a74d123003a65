"""tensorgraft.serialization.skip_data and register_package (torch.serialization's).

The behaviour checked below was observed with PyTorch 2.13 (CPU) on the same programs (computed
with torch: the values, the messages, the order the deserializers are asked in); the
repository's tests do not import torch.
"""
import io
import os
import threading
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import serialization as S
from tensorgraft.serialization import location_registry


@pytest.fixture
def registry():
    """The package registry as it was before the test (PyTorch has no way to unregister)."""
    saved = list(location_registry._package_registry)
    yield location_registry._package_registry
    location_registry._package_registry[:] = saved


def test_public_names():
    assert "skip_data" in S.__all__ and "register_package" in S.__all__
    assert S.skip_data.__module__ == "tensorgraft.serialization"
    assert S.register_package.__module__ == "tensorgraft.serialization"


# ---------------------------------------------------------------------------------------- skip_data
def test_docstring_example_saves_the_structure_without_the_values(tmp_path):
    # PyTorch 2.13 prints tensor([[0., 0., 0.], [0., 0., 0.]]) for this example
    t = tg.randn(2, 3)
    path = tmp_path / "t.pt"
    with S.skip_data():
        tg.save(t, path)
    skipped_size = os.path.getsize(path)
    loaded = tg.load(path, weights_only=True)
    assert repr(loaded) == "tensor([[0., 0., 0.],\n        [0., 0., 0.]])"
    tg.save(t, path)  # the same file with the values: same size, the bytes fill in the same places
    assert os.path.getsize(path) == skipped_size
    assert tg.equal(tg.load(path), t)


def test_skipped_save_keeps_everything_but_the_tensor_values():
    buf = io.BytesIO()
    x = tg.arange(6.0)
    with S.skip_data():
        tg.save({"x": x, "v": x[2:], "n": 3, "s": "hi", "a": np.arange(3.0)}, buf)
    buf.seek(0)
    d = tg.load(buf, weights_only=False)
    assert d["n"] == 3 and d["s"] == "hi"
    # (NumPy arrays keep their values: PyTorch pickles them inline, not as storages)
    assert d["a"].tolist() == [0.0, 1.0, 2.0]
    assert d["x"].tolist() == [0.0] * 6 and d["v"].tolist() == [0.0] * 4
    assert d["v"].storage_offset() == 2  # still a view of x's storage
    d["x"][3] = 7.0
    assert d["v"][1].item() == 7.0


def test_load_under_skip_data_gives_shapes_and_sharing_without_values():
    buf = io.BytesIO()
    x = tg.arange(6.0, dtype=tg.float64)
    tg.save({"x": x, "v": x[2:]}, buf)
    buf.seek(0)
    with S.skip_data():
        d = tg.load(buf)
    assert d["x"].dtype == tg.float64 and d["x"].shape == (6,)
    assert d["v"].storage_offset() == 2  # PyTorch 2.13: 2, and the storages are shared
    assert d["x"].tolist() == [0.0] * 6  # (PyTorch leaves them uninitialized; here zeros)
    d["x"][2] = 5.0
    assert d["v"][0].item() == 5.0


def test_plain_safetensors_file_under_skip_data(tmp_path):
    from safetensors.numpy import save_file
    path = str(tmp_path / "w.safetensors")
    save_file({"w": np.ones((2, 2), np.float32)}, path)
    with S.skip_data():
        d = tg.load(path)
    assert d["w"].shape == (2, 2) and d["w"].tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_save_for_pytorch_under_skip_data_writes_zero_records():
    t = tg.arange(1.0, 7.0).reshape(2, 3)
    full, skipped = io.BytesIO(), io.BytesIO()
    S.save_for_pytorch({"a": t, "b": t[1]}, full)
    with S.skip_data():
        S.save_for_pytorch({"a": t, "b": t[1]}, skipped)
    assert len(full.getvalue()) == len(skipped.getvalue())
    with zipfile.ZipFile(skipped) as zf:
        records = [n for n in zf.namelist() if "/data/" in n]
        assert records and all(set(zf.read(n)) <= {0} and len(zf.read(n)) == 24 for n in records)
    skipped.seek(0)
    d = tg.load(skipped)
    assert d["a"].tolist() == [[0.0] * 3] * 2 and d["b"].tolist() == [0.0] * 3
    full.seek(0)
    with S.skip_data():  # a PyTorch zip file loaded without its storages' bytes
        d = tg.load(full)
    assert d["a"].shape == (2, 3) and d["a"].tolist() == [[0.0] * 3] * 2


def test_refuses_the_legacy_format():
    # PyTorch 2.13's message, raised before anything is written
    buf = io.BytesIO()
    with S.skip_data():
        with pytest.raises(RuntimeError, match=r"^Cannot use skip_data=True with _use_new_zipfile_serialization=False$"):
            tg.save(tg.ones(2), buf, _use_new_zipfile_serialization=False)
    assert buf.getvalue() == b""
    tg.save(tg.ones(2), buf, _use_new_zipfile_serialization=False)  # outside the manager: accepted


def test_state_is_restored_per_thread_and_after_errors():
    from tensorgraft.serialization.data_skipping import skipping
    manager = S.skip_data(materialize_fake_tensors=True)
    assert manager.materialize_fake_tensors is True and S.skip_data().materialize_fake_tensors is False
    seen = []
    with pytest.raises(KeyError):
        with manager:
            with S.skip_data():
                pass
            seen.append(skipping())  # the inner block restored the outer one's state
            worker = threading.Thread(target=lambda: seen.append(skipping()))
            worker.start()
            worker.join()
            raise KeyError("x")
    assert seen == [True, False] and skipping() is False


# ---------------------------------------------------------------------------------- register_package
def _saved_tagged_ipu(registry, writer=tg.save):
    S.register_package(5, lambda obj: "ipu", lambda obj, location: None)
    buf = io.BytesIO()
    writer({"w": tg.ones(2)}, buf)
    del registry[0]  # (the tagger, registered first at the lowest priority)
    buf.seek(0)
    return buf


@pytest.mark.parametrize("writer", [tg.save, S.save_for_pytorch])
def test_tagger_decides_the_recorded_location(registry, writer):
    buf = _saved_tagged_ipu(registry, writer)
    # PyTorch 2.13: no deserializer knows "ipu"
    with pytest.raises(RuntimeError, match=r"^don't know how to restore data location of "
                                           r"torch.storage.UntypedStorage \(tagged with ipu\)$"):
        tg.load(buf)
    for map_location in ({"ipu": "cpu"}, "cpu"):
        buf.seek(0)
        assert tg.load(buf, map_location=map_location)["w"].tolist() == [1.0, 1.0]
    buf.seek(0)
    with pytest.raises(RuntimeError, match=r"tagged with ipu"):  # a callable's None: the registry decides
        tg.load(buf, map_location=lambda storage, location: None)


def test_deserializers_are_asked_in_priority_order(registry):
    buf = _saved_tagged_ipu(registry)
    asked = []

    def make(name, answer):
        def deserialize(obj, location):
            asked.append((name, location))
            return answer(obj) if location == "ipu" else None
        return deserialize

    S.register_package(12, lambda obj: None, make("12", lambda obj: obj * 3))
    S.register_package(11, lambda obj: None, make("11", lambda obj: obj * 2))
    assert tg.load(buf)["w"].tolist() == [2.0, 2.0]
    assert asked == [("11", "ipu")]  # as PyTorch 2.13: the first non-None answer wins
    asked.clear()
    buf.seek(0)
    assert tg.load(buf, map_location="cpu")["w"].tolist() == [1.0, 1.0]
    assert asked == []  # "cpu" is the CPU's deserializer's (priority 10)
    assert S.default_restore_location(tg.ones(1), "ipu").tolist() == [2.0]
    # as PyTorch: equal priorities compare the callables
    with pytest.raises(TypeError, match="'<' not supported between instances of 'function' and 'function'"):
        S.register_package(11, lambda obj: None, lambda obj, location: None)


def test_location_tag_asks_the_taggers(registry):
    assert S.location_tag(tg.ones(1)) == "cpu"
    S.register_package(1, lambda obj: "mine" if getattr(obj, "dtype", None) == tg.int64 else None, lambda obj, location: None)
    assert S.location_tag(tg.ones(1, dtype=tg.int64)) == "mine"
    assert S.location_tag(tg.ones(1)) == "cpu"
    with pytest.raises(RuntimeError, match="^don't know how to determine data location of int$"):
        S.location_tag(3)


def test_deserializer_must_return_a_tensor(registry):
    buf = _saved_tagged_ipu(registry)
    S.register_package(11, lambda obj: None, lambda obj, location: "nonsense")
    with pytest.raises(TypeError, match="returned str for location 'ipu'"):
        tg.load(buf)


def test_unknown_device_type_is_refused_in_pytorch_words():
    buf = io.BytesIO()
    tg.save(tg.ones(2), buf)
    buf.seek(0)
    # PyTorch 2.13, torch.load(f, map_location="vulkan:0")
    with pytest.raises(RuntimeError, match=r"^don't know how to restore data location of "
                                           r"torch.storage.UntypedStorage \(tagged with vulkan:0\)$"):
        tg.load(buf, map_location="vulkan:0")


# ------------------------------------------------------------------- the rest of torch.serialization.__all__
def test_every_name_of_pytorchs_all_is_here():
    # torch.serialization.__all__ of PyTorch 2.13
    for name in ("SourceChangeWarning", "mkdtemp", "register_package", "check_module_version_greater_or_equal",
                 "validate_cuda_device", "validate_hpu_device", "location_tag", "default_restore_location",
                 "normalize_storage_type", "storage_to_tensor_type", "save", "load", "StorageType", "LoadEndianness",
                 "get_crc32_options", "set_crc32_options", "get_default_load_endianness",
                 "set_default_load_endianness", "get_default_mmap_options", "set_default_mmap_options",
                 "clear_safe_globals", "get_safe_globals", "add_safe_globals", "safe_globals",
                 "get_unsafe_globals_in_checkpoint", "skip_data"):
        assert hasattr(S, name), name


def test_storage_type_and_helpers():
    assert str(S.StorageType("FloatStorage")) == "StorageType(dtype=torch.float32)"  # PyTorch 2.13's str
    assert S.StorageType("LongStorage").dtype is tg.int64
    with pytest.raises(KeyError, match='pickle storage type "Nope" is not recognized'):
        S.StorageType("Nope")
    assert S.normalize_storage_type(tg.FloatStorage) is tg.FloatStorage


def test_validate_hpu_device_without_an_hpu_backend():
    with pytest.raises(RuntimeError, match=r"^The HPU device module is not registered. If you are running on a "
                                           r"CPU-only machine, please use torch.load with map_location="):
        S.validate_hpu_device("hpu:0")


def test_crc32_option():
    assert S.get_crc32_options() is True  # PyTorch's default
    try:
        S.set_crc32_options(False)
        assert S.get_crc32_options() is False
        buf = io.BytesIO()
        S.save_for_pytorch({"w": tg.ones(3)}, buf)  # (the records still carry true checksums)
        with zipfile.ZipFile(buf) as zf:
            assert zf.testzip() is None
    finally:
        S.set_crc32_options(True)
