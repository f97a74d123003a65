"""Regressions of the serialization fuzz round 3 (tensorgraft.save/load against PyTorch 2.13's
torch.save/torch.load). The small PyTorch-written files below were made by torch.save (zlib +
base64 literals); the expected values and messages are what PyTorch 2.13 gave for the same calls.
No PyTorch is needed to run these tests.
"""
from __future__ import annotations

import argparse
import base64
import io
import pickletools
import warnings
import zipfile
import zlib

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.serialization import save_for_pytorch
from tensorgraft.serialization.pytorch_writer import write_archive

has_autograd = tg.Tensor._autograd is not None

# x = torch.arange(6.).reshape(2, 3); torch.save({"v": x[1:, 1:], "p": torch.nn.Parameter(x[1])}, f, ...)
# ZIP: the default zip format; LEGACY_<n>: _use_new_zipfile_serialization=False, pickle_protocol=n
ZIP = (
    "eNqlVMtu00AUHduJEwzkUR4JXVRCQiIImtpO0iYgSBUhs/CCNAgp6gLLdYbYwokzziQ8JKRKqIXuYMUOseYH+ASWqCxYsWOBuuIX"
    "mLFpajukpXDl8cj2nHvO3DnXTZWLAZBMgqnIgDmgu4ZpjeFSR8d6cfDIVhopsB6KTfY5AoU2QwBjxBjYIYiiNsKWPRQ0F26MLLuj"
    "YdgfOq42lgXEFgrtBFk8JCv1LkScDxEU29HxPf+lgGJeQhHF2xyZjcEI8SqPUWJNjamMym6jpMqpzDY6sWMYjm1DA1tOfyjcdTvQ"
    "hZ3bloEFJFxpoZMYnWqh0162AUrNkDfQXb0HMXQFlDaJQJMzY2bc9Cgza4SJ20JZldlCczsmzXoGo7MtdO6V93D+Jcq1UH5UbKqJ"
    "5KW9T1ggZHQ0Z1Y2B6RJZYsPHbenY20M3SHZg9JYjBT4iJAo7cef317QLdIxm3YerBzQ/q6/pttWt9+Dfaw0Ssdj9mO5TAXUH6M9"
    "llCwhwrIgvpEwMZTDB16XErjxr/w7odtYWxDqmHr5vcLPGHhD9WQArdCrl4Slcb1/xDgZ92sk9squcjYJOP9KlWUe/3jTZ58yB+q"
    "KA2uThRNXHD5byWVBMq0+657/+j6LwD5wADe5ofQtYgDnum0fzSrozSKx6yFVFmRq1KtVpGkaqW8XC6J8rJYkeVKbUWWqqIolsvV"
    "Uq1WoioffLj4tkB0FDyVDBU70RnsnMyU8uh/KIoONkAuhFxnwKxeiyYJmng+lGQ3mGSqc6J5gkbMhvK0WDDdAFF40DWpEPwrCyLe"
    "jWKDPkiHsCYHoi6LgoPHsxACfwmA/2ycpsrz1/Ztxi1OkInI/Jnx5ycxfyY479Md3n/2/2Bx3sckvPX+2l+7LHhO"
)
LEGACY_1 = (
    "eNp1kM1OwkAQx1taQNcv/NY3qJemhVLgJAdjQhY14KUX09SysU1qt7OdkmhCwqP4er6FU7h40MnOJvOf2Znf7NR1R31v4PQGruc7"
    "veHQcXtkfX/K7Idvw16BZgUdTdMKJVHGMguXQpWpzEGndHBAmSxFzEQo8kUa5dCYOC4LGOn4UYiwTD9FCcYKTCtoklgmUiE0eSMw"
    "KEpzhBY3A7NuI/M3aHOzqrZDddKWoMcoVZzYYYVpVrJQidcqzRYhiryUKlx2GTQsK2jXrakyehNgbJ+w+0xG+LwVGZjBIdWMPH/U"
    "HXrDge97Ix+aG4q4qIii9YjQnnHT4jpvIOxY3OA6wu7EcVhMi2ciRtq7ZE9qIZRY3KUxMmA3c9hD2J/DwYa4gMN/iItIRe8ChWJw"
    "ZCUEnRjJn1CdZAtzPOMGQSCcWDXIaQ2S1PPOEM7ncFF/9Ca+RLiaw3Vlv4D2V0M9slvab1vf0jWmQ74m/xr/AI4shnc="
)
LEGACY_3 = (
    "eNp1kD1PwzAQhpMmbcHQUr7pxhiWDlUV2okOqIvFR8OSBUUhsZqgEOccpxJISFlaWn4DAyN/jZ+AxMClFRJDseyT7vX5veeca68k"
    "+n4bfB3ff1w3W7l28alhfAbFsBuKoiSCS+7xyBkzkYY8BhUL7BreRKGUEXNY7IduDKWZTVCUjwlz0vCJpYAeumGXUUwDLiSUacnW"
    "MAtjCRWq23rhweMRVKmeZb89VVTHoHqSCy9oOZkMo5Q4gt1lYeQ7ksUpF864TaBkGHa1MMdKd8RAWz4hg4i78mYpEtDtOtb0Omav"
    "3e10T02z0zOhvODwkgw5KpcSqkOqU5WWprBGNapOYX3u4cgR8yROnJIr4TPB/PPQkwTIiQUbEjYtqC1gE6j/A5u4wn1gkgkCWwHi"
    "BlqwEqcRLDG2h9hdm8AOVSewOw+KTnsS9i04mC2Swxc4sqBZ/NUtKKusVLdVUf6u/AxDHzeeHM97/wezr4fg"
)
LEGACY_4 = (
    "eNplUD1LA0EQzeUuKomRIFjYWZ5NihDOpDKFpFn8io2NHOfdkl1Zb4+9vYCCcE1iIttl0llY+tf8CYKFk3hgIMPO7MzwZt7M5M6i"
    "XvqTt6r4ee9/Hz18Xh02c2fhFPnzL3sZ3hbhC7imkSipZSiFP6Iq5TIGBJm64FoL6tM44kEMU1PVTwn1U/5MU1iWVVImlQZSNjaP"
    "8XeMI2Q8RCfLlhSW9U9hjcDsaqlC1vQzzUUKZt9X9D7jIvI1jVOp/FEL5uC6ZjtFYDCkYCqrCqzsCxnomyI9B7PXbXvdVqfdOfG8"
    "dtcDY4dJBmTrQsM1cYhFyhMgNrEmMDM1XEzQUONeyFq7VBFVNDrjocZOxwPQMABjJcDKayMlgQoeqaYKMcxxXVZhOxusrFow2sQe"
    "A7HGMGONouN05b2it7rFQXHuu83Zg+ZWaV3yUzQ9fKg56kfvF5cMlcc="
)
LEGACY_5 = (
    "eNplUD1LA0EQzeXuVBIjQbCwszybFCHEpDKFpFn8io2NHOfdkl1Zb4+9vYCCcE1iIttl0llY+tf8CYKFk3hgIMPO7MzwZt7M5O6i"
    "VvqTt4r4ee9/Hz18Xh02cnfhFPnzL3sZ3hbhC3imniipZSiFP6Iq5TIGBJma4FoL6tM44kEMU1PRTwn1U/5MU1iWuSmTSgMpG5vH"
    "+DvGETIeopNlSwrL+qewRmB2tVQha/iZ5iIFs+8rep9xEfmaxqlU/qgJc/A8s50iMBhSMO6qAiv7Qgb6pkjPwex1W+1us9PqnLTb"
    "rW4bjB0mGZCtCw3XxCEWKU+A2MSawMxUcTFBQ417IWv1UkVU0eiMhxo7HQ9AwwCMlQArr42UBCp4pJoqxDDH85jLdjZYWaVgtIk9"
    "BmKNYcbqRcfpyntFb3WLg+Lcd5uzB42t0rrkp2h6+FBz1I/eL53Wlcw="
)
# torch.save([torch.empty(0, 4)[:, 3:], torch.arange(4.)[4:], torch.arange(4.)[1:]], f)
EMPTY_VIEWS = (
    "eNqlVctu00AUHdt51UAepVBapIoNUpAgsRMncYqglYWMhBckqZCqSsi4ztBYuHHHmRaBkKiEglSx4wMQez6ABV/RDSt2rFixYsOK"
    "mZi69qQpbRnZGSW5555zx+detwwhAUAmA8ZWHkwDy7d7zg4sdy1slbaeubqWBWuxtcs/RqBoY49Elsxt7LgD0fTh+rbjdk0M+wPP"
    "N3cqIuKKxdU0yTogkdYGRHwAEXXXs/BK8KOIhFWOxEgosSqQ3d7aRkkDYJRqG4IBDO4tShsJumX2bNtzXWhjx+sPxId+F/qwe8+x"
    "sYimbnSQiNG5DjrfI6w9vhdkldGFXtJIYJRtkyRgiHIGN0T5vR4FFDCa7qCLMUAFzQSAS22DM4QhukwBswHgCkZzHTQPSy0jnal/"
    "+v2LIxB6tyYe6CxYDA+09NTzNy1s7kB/QErQtTpzriddMuX//PPbG6qY3pP550HjkP/vczAt19nob8I+1rXqWSTUFSpg6Tn6wRMK"
    "/lgBBbAUClh/gaFHH5uu3T5j6aPlOhi7kGoY3vk+lyIsqVADOEJDFtyNubos6drifwiYXG0WzMSZZF3LjzEFsbtL5GOZXMu0kndX"
    "n1zPjzrwuNPMAiWev6Jr0qkrOTt/DlRD/tDG5dMKqIqUcf/DxqN/+2cBVA4NPCp5AH2HOPilReeA6XR1rXRKAZKqNBVVVZVGs16T"
    "FLVRrUmy3FTrTbmmymqD/FNTVKlOVb76svagSHQURyo5KjbUGR0B+THl7Bxl0dEGno0h2xyYNDTYJNEmnI8l2Y8mGet8Nk+0kQqx"
    "PB0ejDfwAfzobouurzxgeo+ljjovjl0WGKx8cuxHFlthsVH/5WLYawnAupwFR22xEAO/j4CPNmzLSKVuHthbuBUip5j9fnDEQE0G"
    "O8HRtyl4nQ6+B5M/mQowU6P4IPYPLI6nIA=="
)

_WO_DEFAULT_CHANGED = ("In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
                       "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
                       "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
                       "trusted source.")
_WO_DOCS = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default with "
            "weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _blob(parts) -> bytes:
    return zlib.decompress(base64.b64decode("".join(parts)))


def _archive(data_pkl: bytes) -> bytes:
    """A zip checkpoint holding only ``data.pkl`` (PyTorch's layout, no storages)."""
    buf = io.BytesIO()
    write_archive(buf, data_pkl, [])
    return buf.getvalue()


# --------------------------------------------------------------------------- storage offsets of loaded views
@pytest.mark.parametrize("name", ["ZIP", "LEGACY_1", "LEGACY_3", "LEGACY_4", "LEGACY_5"])
def test_loaded_views_keep_their_storage_offset(name):
    # PyTorch: v.storage_offset() 4, stride (3, 1); p (a Parameter over row 1) offset 3; one storage
    # of 24 bytes shared by both; as_strided counts from the storage's start
    r = tg.load(io.BytesIO(_blob(globals()[name])))
    v, p = r["v"], r["p"]
    assert v.tolist() == [[4.0, 5.0]] and p.tolist() == [3.0, 4.0, 5.0]
    assert v.stride() == (3, 1)
    assert v.storage_offset() == 4
    assert p.storage_offset() == 3
    assert v.untyped_storage().nbytes() == 24
    assert v.untyped_storage().data_ptr() == p.untyped_storage().data_ptr()
    assert v.as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]
    assert v.as_strided((2,), (1,)).tolist() == [4.0, 5.0]
    if has_autograd:
        assert p.requires_grad is True


def test_legacy_files_of_every_pickle_protocol_are_recognised():
    # the legacy stream's magic number is pickled with torch.save's pickle_protocol: PyTorch reads
    # protocols 1 (text LONG) and 3-5 (FRAME) too; they were refused as "not a safetensors file"
    for name in ("LEGACY_1", "LEGACY_3", "LEGACY_4", "LEGACY_5"):
        data = _blob(globals()[name])
        assert tg.load(io.BytesIO(data), weights_only=False)["v"].tolist() == [[4.0, 5.0]]


def test_legacy_file_of_protocol_4_from_a_path(tmp_path):
    path = tmp_path / "legacy4.pt"
    path.write_bytes(_blob(LEGACY_4))
    assert tg.load(path)["p"].tolist() == [3.0, 4.0, 5.0]
    with pytest.raises(RuntimeError, match=r"mmap can only be used with files saved with `torch.save\("):
        tg.load(str(path), mmap=True)


def test_parameter_of_a_view_keeps_its_offset():
    pytest.importorskip("tensorgraft.nn")
    r = tg.load(io.BytesIO(_blob(ZIP)))
    assert type(r["p"]).__name__ == "Parameter"
    assert r["p"].storage_offset() == 3
    assert r["p"].as_strided((2,), (1,), 0).tolist() == [0.0, 1.0]


def test_empty_views_past_their_storage_load():
    # PyTorch writes an empty slice with its offset, which may lie past the storage's end (offset 3
    # in the 0-byte storage of an empty (0, 4) tensor): it loads them; they were refused as corrupt
    a, b, c = tg.load(io.BytesIO(_blob(EMPTY_VIEWS)))
    assert a.shape == (0, 1) and a.stride() == (4, 1) and a.untyped_storage().nbytes() == 0
    assert b.shape == (0,) and b.untyped_storage().nbytes() == 16
    assert c.tolist() == [1.0, 2.0, 3.0] and c.storage_offset() == 1


# --------------------------------------------------------------------------- weights_only refusals
@pytest.mark.parametrize("module", ["posix", "os", "sys", "nt"])
def test_blocked_modules_use_pytorchs_message(module):
    data = _archive(b"\x80\x02c" + module.encode() + b"\nsystem\n.")
    expected = (f"Weights only load failed. {_WO_DEFAULT_CHANGED}\n\n\nTrying to load unsupported GLOBAL "
                f"{module}.system whose module {module} is blocked.{_WO_DOCS}")
    with pytest.raises(pickle_error()) as info:
        tg.load(io.BytesIO(data))
    assert str(info.value) == expected
    # blocked even when allow-listed, as in PyTorch
    with tg.serialization.safe_globals([(print, f"{module}.system")]):
        with pytest.raises(pickle_error()) as info:
            tg.load(io.BytesIO(data))
    assert str(info.value) == expected


def pickle_error():
    import pickle
    return pickle.UnpicklingError


def test_ellipsis_loads_with_weights_only_false():
    data = _archive(b"\x80\x02c__builtin__\nEllipsis\n.")
    assert tg.load(io.BytesIO(data), weights_only=False) is Ellipsis
    with pytest.raises(pickle_error(), match=r"GLOBAL Ellipsis was not an allowed global by default"):
        tg.load(io.BytesIO(data))
    data = _archive(b"\x80\x02c__builtin__\nNotImplemented\n.")
    assert tg.load(io.BytesIO(data), weights_only=False) is NotImplemented


def test_add_safe_globals_lists_a_global_once():
    tg.serialization.clear_safe_globals()
    try:
        tg.serialization.add_safe_globals([argparse.Namespace, argparse.Namespace])
        assert tg.serialization.get_safe_globals() == [argparse.Namespace]
        with tg.serialization.safe_globals([argparse.Namespace, np.dtype]):
            assert tg.serialization.get_safe_globals() == [argparse.Namespace, np.dtype]
        assert tg.serialization.get_safe_globals() == [argparse.Namespace]
    finally:
        tg.serialization.clear_safe_globals()


# --------------------------------------------------------------------------- load()'s arguments
def test_weights_only_defaults_to_false_with_a_pickle_module(tmp_path):
    import pickle
    path = tmp_path / "ns.pt"
    tg.save({"ns": argparse.Namespace(a=1)}, path)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL argparse.Namespace was not an allowed global"):
        tg.load(path)
    assert tg.load(path, pickle_module=pickle)["ns"].a == 1  # PyTorch: weights_only=False then


def test_force_weights_only_environment_variables(tmp_path, monkeypatch):
    import pickle
    path = tmp_path / "ns.pt"
    tg.save({"ns": argparse.Namespace(a=1)}, path)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.warns(UserWarning) as record:
        assert tg.load(path)["ns"].a == 1
    assert str(record[0].message) == ("Environment variable TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD detected, since the"
                                      "`weights_only` argument was not explicitly passed to `torch.load`, forcing "
                                      "weights_only=False.")
    with pytest.raises(pickle.UnpicklingError):  # an explicit weights_only=True wins
        tg.load(path, weights_only=True)
    monkeypatch.setenv("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "true")
    with pytest.raises(RuntimeError, match="^Only one of `TORCH_FORCE_WEIGHTS_ONLY_LOAD` or "
                                           "`TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD` should be set, but both were set.$"):
        tg.load(path)
    monkeypatch.delenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")
    with pytest.raises(pickle.UnpicklingError):
        tg.load(path, weights_only=False)  # forced to True


def test_pickle_load_args():
    data = _blob(ZIP)
    with pytest.warns(UserWarning, match=r"^pickle_load_args only works if `weights_only=False`\.$"):
        assert tg.load(io.BytesIO(data), encoding="latin1")["v"].tolist() == [[4.0, 5.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(TypeError, match=r"^Unpickler.__init__\(\) got an unexpected keyword argument 'errors'$"):
            tg.load(io.BytesIO(data), errors="strict")
    with pytest.raises(TypeError, match=r"^'bogus' is an invalid keyword argument for Unpickler\(\)$"):
        tg.load(io.BytesIO(data), weights_only=False, bogus=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tg.load(io.BytesIO(data), weights_only=False, errors="strict")["p"].tolist() == [3.0, 4.0, 5.0]


@pytest.mark.parametrize("bad", [3, None])
def test_load_of_something_not_a_file(bad):
    with pytest.raises(AttributeError) as info:
        tg.load(bad)
    assert str(info.value) == (f"'{type(bad).__name__}' object has no attribute 'seek'. You can only torch.load from "
                               "a file that is seekable. Please pre-load the data into a buffer like io.BytesIO and "
                               "try to load from it instead.")


def test_load_of_a_closed_file(tmp_path):
    path = tmp_path / "c.pt"
    path.write_bytes(_blob(ZIP))
    fh = open(path, "rb")
    fh.close()
    with pytest.raises(ValueError, match="^I/O operation on closed file$"):
        tg.load(fh)


# --------------------------------------------------------------------------- save_for_pytorch
def _pickle_globals(data: bytes) -> list:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        pkl = zf.read("archive/data.pkl")
    return [arg for op, arg, _ in pickletools.genops(pkl) if op.name == "GLOBAL"]


def test_empty_bytes_are_written_as_pytorch_allows():
    # protocol 2 spells b"" as the global bytes(), which PyTorch's weights_only loader refuses
    # ("GLOBAL bytes was not an allowed global by default"): written as _codecs.encode('', 'latin1')
    obj = [b"", bytearray(), b"ab\xff", {b"": b""}]
    buf = io.BytesIO()
    save_for_pytorch(obj, buf)
    data = buf.getvalue()
    assert set(_pickle_globals(data)) == {"_codecs encode", "__builtin__ bytearray"}
    assert tg.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)) == []
    assert tg.load(io.BytesIO(data)) == obj


def _written_storages(obj):
    buf = io.BytesIO()
    save_for_pytorch(obj, buf)
    data = buf.getvalue()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = sorted(n for n in zf.namelist() if "/data/" in n)
    return data, names


def test_real_and_imag_views_share_the_complex_memory():
    # PyTorch loads torch.save(c.real) with stride (2,) over a 48-byte storage, c.imag at offset 1
    c = tg.complex(tg.arange(6.0), -tg.arange(6.0))
    data, names = _written_storages({"re": c.real, "im": c.imag})
    assert len(names) == 1
    assert ("torch FloatStorage") in _pickle_globals(data)
    back = tg.load(io.BytesIO(data))
    assert back["re"].stride() == (2,) and back["im"].stride() == (2,)
    assert back["re"].storage_offset() == 0 and back["im"].storage_offset() == 1
    assert back["re"].untyped_storage().nbytes() == 48
    assert back["re"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert back["im"].tolist() == [-0.0, -1.0, -2.0, -3.0, -4.0, -5.0]


def test_a_view_of_another_dtype_is_written_over_the_whole_memory():
    # PyTorch: torch.save(i.view(torch.uint8)[3:]) loads with offset 3 in a 32-byte storage
    i = tg.arange(8, dtype=tg.int32)
    data, names = _written_storages(i.view(tg.uint8)[3:])
    assert len(names) == 1
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.getinfo(names[0]).file_size == 32
    back = tg.load(io.BytesIO(data))
    assert back.dtype == tg.uint8 and back.storage_offset() == 3 and back.shape == (29,)
    assert back.tolist() == np.arange(8, dtype="<i4").view(np.uint8)[3:].tolist()
    # the memory saved as two dtypes: two storages (PyTorch's torch.save refuses this)
    data, names = _written_storages([i, i.view(tg.float32)])
    assert len(names) == 2
    back = tg.load(io.BytesIO(data))
    assert back[0].tolist() == list(range(8)) and back[1].view(tg.int32).tolist() == list(range(8))


# --------------------------------------------------------------------------- get_unsafe_globals_in_checkpoint
def test_unsafe_globals_of_a_protocol_4_pickle():
    # protocol 4 fetches a module string it wrote before from the memo ("numpy", "argparse"): those
    # STACK_GLOBALs were read as the wrong pair of strings ("_reconstruct.ndarray", "i8.ArgumentParser")
    import pickle
    pkl = pickle.dumps([argparse.Namespace(a=1), np.dtype("float32"), np.arange(2), argparse.ArgumentParser],
                       protocol=4)
    names = tg.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(_archive(pkl)))
    names = [n.replace("numpy.core.", "numpy._core.") for n in names]  # (NumPy 1 pickles numpy.core)
    assert names == ["argparse.Namespace", "numpy.dtype", "numpy._core.multiarray._reconstruct", "numpy.ndarray",
                     "argparse.ArgumentParser"]
