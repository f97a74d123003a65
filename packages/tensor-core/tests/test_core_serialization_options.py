"""The rest of tensorgraft.serialization (torch.serialization's options and helpers): mmap and
endianness options, get_unsafe_globals_in_checkpoint, location_tag, default_restore_location,
validate_cuda_device, check_module_version_greater_or_equal, mkdtemp."""
from __future__ import annotations

import argparse
import io
import mmap
import os
import pathlib
import types
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import serialization as S

DATA = pathlib.Path(__file__).resolve().parent / "data" / "pytorch_checkpoints"


@pytest.fixture(autouse=True)
def _restore_options():
    yield
    S.set_default_load_endianness(None)
    import tensorgraft.serialization.torch_options as opts
    opts._mmap_flags = mmap.MAP_PRIVATE


def test_unsafe_globals_of_pytorch_files():
    assert set(S.get_unsafe_globals_in_checkpoint(DATA / "plain_data.pt")) == {
        "numpy._core.multiarray.scalar", "numpy.dtype", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
        "argparse.Namespace", "builtins.frozenset"}
    assert S.get_unsafe_globals_in_checkpoint(DATA / "training_checkpoint.pt") == []
    assert S.get_unsafe_globals_in_checkpoint(str(DATA / "mlp_state_dict.pt")) == []
    assert "torch.nn.modules.container.Sequential" in S.get_unsafe_globals_in_checkpoint(DATA / "whole_module.pt")
    assert S.get_unsafe_globals_in_checkpoint(DATA / "legacy_format.pt") == []
    with open(DATA / "plain_data.pt", "rb") as fh:
        assert "argparse.Namespace" in S.get_unsafe_globals_in_checkpoint(fh)
    with S.safe_globals([argparse.Namespace, frozenset]):
        assert {"argparse.Namespace", "builtins.frozenset"}.isdisjoint(
            S.get_unsafe_globals_in_checkpoint(DATA / "plain_data.pt"))


def test_unsafe_globals_of_tensorgraft_checkpoints(tmp_path):
    path = tmp_path / "own.pt"
    tg.save({"args": argparse.Namespace(lr=0.1, out=pathlib.PurePosixPath("/runs")), "w": tg.ones(2)}, path)
    # named as a pickle names the class: its module is pathlib._local from Python 3.13 on
    posix = pathlib.PurePosixPath
    assert S.get_unsafe_globals_in_checkpoint(path) == ["argparse.Namespace", f"{posix.__module__}.PurePosixPath"]
    tg.save({"w": tg.ones(2)}, path)
    assert S.get_unsafe_globals_in_checkpoint(path) == []


def test_mmap_options(tmp_path):
    assert S.get_default_mmap_options() == mmap.MAP_PRIVATE
    path = tmp_path / "w.pt"
    S.save_for_pytorch({"w": tg.arange(3.0)}, path)
    with S.set_default_mmap_options(mmap.MAP_SHARED):
        assert S.get_default_mmap_options() == mmap.MAP_SHARED
        shared = tg.load(path, mmap=True)
        shared["w"][0] = 42.0  # MAP_SHARED: the write reaches the file
    assert S.get_default_mmap_options() == mmap.MAP_PRIVATE
    assert tg.load(path)["w"].tolist() == [42.0, 1.0, 2.0]
    private = tg.load(path, mmap=True)
    private["w"][1] = -1.0  # MAP_PRIVATE (the default): it does not
    assert tg.load(path)["w"].tolist() == [42.0, 1.0, 2.0]
    S.set_default_mmap_options(mmap.MAP_PRIVATE)
    assert S.get_default_mmap_options() == mmap.MAP_PRIVATE
    with pytest.raises(ValueError, match="expected mmap.MAP_PRIVATE or mmap.MAP_SHARED, but got 5"):
        S.set_default_mmap_options(5)


def _without_byteorder_record(path) -> io.BytesIO:
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            if not info.filename.endswith("/byteorder"):
                z.writestr(info.filename, src.read(info))
    out.seek(0)
    return out


def test_load_endianness_for_files_without_a_byteorder_record():
    assert S.get_default_load_endianness() is None
    assert list(S.LoadEndianness) == [S.LoadEndianness.NATIVE, S.LoadEndianness.LITTLE, S.LoadEndianness.BIG]
    want = tg.load(DATA / "mlp_state_dict.pt")["0.bias"].tolist()
    assert tg.load(_without_byteorder_record(DATA / "mlp_state_dict.pt"))["0.bias"].tolist() == want
    S.set_default_load_endianness(S.LoadEndianness.BIG)
    swapped = tg.load(_without_byteorder_record(DATA / "mlp_state_dict.pt"))["0.bias"]
    np.testing.assert_array_equal(swapped.numpy(), np.array(want, np.float32).byteswap())
    assert tg.load(DATA / "mlp_state_dict.pt")["0.bias"].tolist() == want  # a recorded order wins
    with pytest.raises(TypeError, match="Invalid argument type in function set_default_load_endianness"):
        S.set_default_load_endianness("big")


def test_location_helpers():
    t = tg.ones(2)
    assert S.location_tag(t) == "cpu"
    assert S.default_restore_location(t, "cpu") is t
    with pytest.raises(RuntimeError, match="don't know how to determine data location of int"):
        S.location_tag(3)
    try:
        available = tg.cuda.is_available()
    except ImportError:
        available = False
    if not available:
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device but "
                                               r"torch.cuda.is_available\(\) is False"):
            S.validate_cuda_device("cuda:0")
    else:
        assert S.validate_cuda_device("cuda:0") == 0
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on CUDA device 99"):
            S.validate_cuda_device("cuda:99")


def test_version_check_and_mkdtemp():
    assert S.check_module_version_greater_or_equal(np, (1, 0)) is True
    assert S.check_module_version_greater_or_equal(np, (99, 0)) is False
    odd = types.SimpleNamespace(__name__="odd", __version__="1.x.3")
    with pytest.raises(RuntimeError, match="'odd' module version string is malformed '1.x.3'"):
        S.check_module_version_greater_or_equal(odd, (1, 2))
    with pytest.warns(UserWarning, match="continuing assuming that requirement is met"):
        assert S.check_module_version_greater_or_equal(odd, (1, 2), error_if_malformed=False) is True
    with S.mkdtemp() as d:
        assert os.path.isdir(d)
        (pathlib.Path(d) / "f").write_text("x")
    assert not os.path.exists(d)
    assert issubclass(S.SourceChangeWarning, Warning)
