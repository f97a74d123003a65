"""Views, storage offsets and strides through ``tensorgraft.save``/``load`` (format version 2),
``pickle`` and ``copy``: tensors that view one storage keep sharing it, with their offsets and
strides, as after PyTorch's ``torch.save``/``torch.load``.

The expected offsets, strides, storage sizes and values were computed with PyTorch 2.13 (CPU)
running the same programs on torch tensors; they are hard-coded so these tests run without torch.
"""
from __future__ import annotations

import collections
import copy
import io
import json
import pickle

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.serialization import CheckpointError

needs_autograd = pytest.mark.skipif(tg.Tensor._autograd is None, reason="the autograd engine is not installed")


def _roundtrip(obj, **load_args):
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    return tg.load(buf, **load_args)


def _same_storage(a, b) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _brief_example():
    t = tg.arange(6.)
    return {"a": t, "b": t, "v": t[1:4], "tt": t.view(2, 3).t()}


# ------------------------------------------------------------------------------------------ save / load
@pytest.mark.parametrize("wrap", ["flat dict", "list", "nested"])
def test_views_of_one_base_share_their_storage_after_load(wrap):
    d = _brief_example()
    obj = d if wrap == "flat dict" else [d["a"], d["b"], d["v"], d["tt"]] if wrap == "list" else {"m": d, "n": 1}
    r = _roundtrip(obj)
    if wrap == "list":
        r = dict(zip("a b v tt".split(), r))
    elif wrap == "nested":
        r = r["m"]
    assert r["a"] is r["b"]
    r["a"][2] = 100
    # PyTorch: r["v"] -> [1., 100., 3.], storage_offset 1; r["tt"] stride (1, 3) and sees the write
    assert r["v"].tolist() == [1.0, 100.0, 3.0] and r["v"].storage_offset() == 1
    assert r["tt"].stride() == (1, 3) and r["tt"].storage_offset() == 0
    assert r["tt"].tolist() == [[0.0, 3.0], [1.0, 4.0], [100.0, 5.0]]
    assert _same_storage(r["a"], r["v"]) and _same_storage(r["a"], r["tt"])
    assert r["v"].untyped_storage().nbytes() == 24


def test_a_slice_saved_alone_keeps_the_whole_storage():
    # PyTorch: torch.save(t[1:3]) writes all 6 elements; the loaded tensor has offset 1, 24 bytes
    r = _roundtrip(tg.arange(6.)[1:3])
    assert r.tolist() == [1.0, 2.0] and r.storage_offset() == 1 and r.untyped_storage().nbytes() == 24
    x = tg.arange(12.).view(3, 4)[:, ::2]  # PyTorch: stride (4, 2), offset 0, 48 bytes
    r = _roundtrip(x)
    assert r.stride() == (4, 2) and r.storage_offset() == 0 and r.untyped_storage().nbytes() == 48
    assert r.tolist() == [[0.0, 2.0], [4.0, 6.0], [8.0, 10.0]]
    s = _roundtrip(tg.arange(6.)[2])  # a 0-d view: PyTorch offset 2, 24 bytes
    assert s.item() == 2.0 and s.dim() == 0 and s.storage_offset() == 2 and s.untyped_storage().nbytes() == 24


def test_a_tensor_over_part_of_a_numpy_array_saves_only_its_own_memory():
    # PyTorch: from_numpy of a NumPy slice is a 24-byte storage of its own (the array's rest is not
    # written); a view of it comes back at offset 1 of those 24 bytes, by save/load and by pickle
    x = tg.from_numpy(np.arange(10.)[5:8])
    r = _roundtrip([x, x[1:]])
    assert r[0].untyped_storage().nbytes() == 24 and r[1].storage_offset() == 1 and _same_storage(r[0], r[1])
    p = pickle.loads(pickle.dumps(x[1:]))
    assert p.storage_offset() == 1 and p.untyped_storage().nbytes() == 24 and p.tolist() == [6.0, 7.0]


def test_expanded_tensor_keeps_its_zero_stride():
    r = _roundtrip(tg.arange(3.).expand(2, 3))  # PyTorch: stride (0, 1)
    assert r.stride() == (0, 1) and r.tolist() == [[0.0, 1.0, 2.0]] * 2


DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16", "bfloat16",
          "float32", "float64", "complex64", "complex128", "float8_e4m3fn", "float8_e5m2"]


@pytest.mark.parametrize("name", DTYPES)
def test_views_keep_offsets_and_strides_for_every_dtype(name):
    dtype = getattr(tg, name, None)
    if dtype is None:
        pytest.skip(f"tensorgraft has no {name}")
    x = tg.arange(6).to(dtype).view(2, 3)
    r = _roundtrip({"x": x, "y": x.t(), "z": x[1]})
    # PyTorch (every dtype): y stride (1, 3), z storage_offset 3, one storage
    assert r["y"].stride() == (1, 3) and r["z"].storage_offset() == 3 and r["z"].stride() == (1,)
    assert _same_storage(r["x"], r["y"]) and _same_storage(r["x"], r["z"])
    assert r["y"].dtype is dtype and r["z"].dtype is dtype
    def values(v):
        return v.tolist() if name == "bool" else (v.real if dtype.is_complex else v).to(tg.float64).tolist()
    assert values(r["y"]) == ([[False, True], [True, True], [True, True]] if name == "bool"
                              else [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]])
    assert values(r["z"]) == ([True] * 3 if name == "bool" else [3.0, 4.0, 5.0])


def test_views_of_memory_no_entry_holds_whole_in_a_flat_state_dict_stay_a_plain_safetensors_dict(tmp_path):
    # (a documented choice: a flat {name: tensor} file stays the same dict for safetensors readers,
    # so a slice of a tensor that is not itself in the dict is stored as its values)
    from safetensors.numpy import load_file
    big = tg.arange(10.)
    sd = {"w": big[2:5], "u": big[2:5].view(3, 1).t()}
    p = tmp_path / "sd.safetensors"
    tg.save(sd, p)
    assert sorted(load_file(str(p))) == ["u", "w"]
    r = tg.load(p)
    assert r["w"].tolist() == [2.0, 3.0, 4.0] and r["u"].tolist() == [[2.0, 3.0, 4.0]]
    # with the base in the dict, every key is still a plain safetensors entry and the views share
    sd["base"] = big
    tg.save(sd, p)
    files = load_file(str(p))
    assert sorted(files) == ["base", "u", "w"] and files["w"].tolist() == [2.0, 3.0, 4.0]
    r = tg.load(p)
    r["base"][3] = -1
    assert r["w"].tolist() == [2.0, -1.0, 4.0] and r["w"].storage_offset() == 2


def test_tied_weights_in_a_state_dict_share_one_storage():
    nn = pytest.importorskip("tensorgraft.nn")
    m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    m[1].weight = m[0].weight
    sd = m.state_dict()
    r = _roundtrip(sd)
    assert list(r) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    # PyTorch: the two entries are distinct tensors over one storage
    assert r["0.weight"] is not r["1.weight"] and _same_storage(r["0.weight"], r["1.weight"])
    r["0.weight"][0, 0] = 123.0
    assert r["1.weight"][0, 0].item() == 123.0
    m2 = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    m2.load_state_dict(r)
    np.testing.assert_array_equal(m2[0].weight.detach().numpy(), m2[1].weight.detach().numpy())


def test_parameter_and_its_detached_view():
    nn = pytest.importorskip("tensorgraft.nn")
    p = nn.Parameter(tg.arange(6.))
    r = _roundtrip({"p": p, "v": p[2:4].detach()})
    # PyTorch: Parameter requiring grad; the view offset 2, not requiring grad, sharing the storage
    assert type(r["p"]) is nn.Parameter and r["p"].requires_grad
    assert r["v"].storage_offset() == 2 and not r["v"].requires_grad and _same_storage(r["p"], r["v"])
    r["v"][0] = 9.0
    assert r["p"][2].item() == 9.0


@needs_autograd
def test_a_view_of_a_tensor_requiring_grad():
    y = tg.arange(6.).requires_grad_()
    r = _roundtrip([y, y[1:]])
    # PyTorch: both load as leaves requiring grad, the second at offset 1 of the first's storage
    assert r[0].requires_grad and r[1].requires_grad and r[1].grad_fn is None
    assert r[1].storage_offset() == 1 and r[1].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert _same_storage(r[0], r[1])


@pytest.mark.parametrize("load_args", [{"map_location": "cpu"}, {"map_location": lambda s, loc: s},
                                       {"map_location": {"cpu": "cpu"}}, {"weights_only": True},
                                       {"weights_only": False}])
def test_load_options_keep_the_views(load_args):
    t = tg.arange(6.)
    r = _roundtrip([t, t[2:]], **load_args)
    r[0][3] = 9.0
    assert r[1].tolist() == [2.0, 9.0, 4.0, 5.0] and r[1].storage_offset() == 2  # PyTorch's, for each


def test_mmap_load_of_a_tensorgraft_file_keeps_the_views(tmp_path):
    p = tmp_path / "c.pt"
    tg.save(_brief_example(), p)
    r = tg.load(p, mmap=True)
    r["a"][2] = 100
    assert r["v"].tolist() == [1.0, 100.0, 3.0] and r["tt"].stride() == (1, 3)


def test_loaded_views_save_again_as_views():
    r = _roundtrip(_roundtrip(_brief_example()))
    r["a"][1] = -7
    assert r["v"].tolist() == [-7.0, 2.0, 3.0] and r["v"].storage_offset() == 1 and r["tt"].stride() == (1, 3)


def test_storage_is_written_once():
    from safetensors.numpy import load as load_bytes
    buf = io.BytesIO()
    t = tg.arange(6.)
    tg.save([t, t[1:4], t.view(2, 3).t(), t[::2]], buf)
    entries = load_bytes(buf.getvalue())
    assert len(entries) == 1 and next(iter(entries.values())).size == 6


# ------------------------------------------------------------------------------------------ old files
def _v1_file(records, root, arrays, version=1) -> io.BytesIO:
    """A checkpoint as tensorgraft wrote it before format version 2 (its encoder's exact layout:
    six-field tensor records, each entry a tensor's own values)."""
    from safetensors.numpy import save
    doc = {"v": version, "root": root, "tensors": records}
    return io.BytesIO(save(arrays, metadata={"format": "pt", "tensorgraft": json.dumps(doc)}))


def test_format_version_1_files_still_load():
    a = np.arange(6, dtype=np.float32)
    f = _v1_file([["a", "float32", [6], "cpu", False, "t"], ["a", "float32", [6], "cpu", False, "t"],
                  ["v", "float32", [3], "cpu", False, "t"], ["c", "complex64", [2], "cpu", True, "t"]],
                 ["d", [["a", ["T", 0]], ["b", ["T", 1]], ["v", ["T", 2]], ["c", ["T", 3]]]],
                 {"a": a, "v": a[1:4].copy(), "c": np.array([[1, 2], [3, 4]], np.float32)})
    r = tg.load(f)
    assert r["a"].tolist() == list(range(6)) and r["v"].tolist() == [1.0, 2.0, 3.0]
    assert r["c"].tolist() == [1 + 2j, 3 + 4j]
    r["a"][0] = 5.0  # the two records of one entry share it, as version 1 restored them
    assert r["b"][0].item() == 5.0 and r["a"] is not r["b"]
    assert r["v"].storage_offset() == 0 and not _same_storage(r["a"], r["v"])


def test_unknown_format_version_is_refused():
    with pytest.raises(CheckpointError, match="format version 3; this tensorgraft reads versions 1, 2"):
        tg.load(_v1_file([], None, {}, version=3))


@pytest.mark.parametrize("offset, stride, shape", [(4, [1], [3]), (0, [3], [3]), (-1, [1], [2]), (0, [1, 1], [2]),
                                                   (0, [-1], [2])])
def test_a_record_reaching_outside_its_storage_is_corrupt(offset, stride, shape):
    from safetensors.numpy import save
    doc = {"v": 2, "root": ["T", 0], "tensors": [["s", "float32", shape, "cpu", False, "t", offset, stride]]}
    raw = save({"s": np.zeros(6, np.float32)}, metadata={"format": "pt", "tensorgraft": json.dumps(doc)})
    with pytest.raises(CheckpointError, match="corrupt: tensor record 0"):
        tg.load(io.BytesIO(raw))


# ------------------------------------------------------------------------------------------ pickle / copy
def test_pickle_keeps_the_whole_storage_offset_and_strides():
    t = tg.arange(6.)
    p = pickle.loads(pickle.dumps(t[1:4]))
    # PyTorch: offset 1, the whole 24-byte storage
    assert p.tolist() == [1.0, 2.0, 3.0] and p.storage_offset() == 1 and p.untyped_storage().nbytes() == 24
    p = pickle.loads(pickle.dumps(t.view(2, 3).t()))
    assert p.stride() == (1, 3) and p.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    p = pickle.loads(pickle.dumps(tg.arange(12.).view(3, 4)[:, ::2]))  # PyTorch: (4, 2), offset 0, 48 bytes
    assert p.stride() == (4, 2) and p.untyped_storage().nbytes() == 48 and p.tolist() == [[0.0, 2.0], [4.0, 6.0],
                                                                                          [8.0, 10.0]]
    p = pickle.loads(pickle.dumps(tg.arange(3.).expand(2, 3)))  # PyTorch: stride (0, 1), 12 bytes
    assert p.stride() == (0, 1) and p.untyped_storage().nbytes() == 12
    b = pickle.loads(pickle.dumps(tg.arange(6.).to(tg.bfloat16)[2:]))
    assert b.dtype is tg.bfloat16 and b.storage_offset() == 2 and b.tolist() == [2.0, 3.0, 4.0, 5.0]


def test_pickle_of_a_list_of_views_copies_each_storage():
    t = tg.arange(6.)
    c = pickle.loads(pickle.dumps([t, t[1:4]]))
    # PyTorch's pickle (not torch.save) writes a storage per tensor: the copies do not share
    c[0][2] = -1.0
    assert c[1].tolist() == [1.0, 2.0, 3.0] and c[1].storage_offset() == 1


@needs_autograd
def test_pickle_keeps_requires_grad_of_a_detached_view():
    y = tg.arange(6.).requires_grad_()
    p = pickle.loads(pickle.dumps(y.detach()[2:].requires_grad_()))
    assert p.requires_grad and p.storage_offset() == 2 and p.is_leaf


def test_copy_copy_of_a_view_shares_the_memory():
    t = tg.arange(6.)
    c = copy.copy(t[1:4])
    c[0] = 50.0
    # PyTorch: t -> [0, 50, 2, 3, 4, 5]; the copy at offset 1 of the 24-byte storage
    assert t.tolist() == [0.0, 50.0, 2.0, 3.0, 4.0, 5.0] and c.storage_offset() == 1
    assert c.untyped_storage().nbytes() == 24


def test_deepcopy_of_views_shares_one_new_storage():
    t = tg.arange(6.)
    c = copy.deepcopy([t, t[1:4], t.view(2, 3).t()])
    c[0][2] = -5.0
    # PyTorch: the copies share one new storage; the original is untouched
    assert c[1].tolist() == [1.0, -5.0, 3.0] and c[1].storage_offset() == 1 and c[2].stride() == (1, 3)
    assert t[2].item() == 2.0
    d = copy.deepcopy(t[1:3])  # PyTorch: offset 1, the whole 24-byte storage copied
    assert d.storage_offset() == 1 and d.untyped_storage().nbytes() == 24 and not _same_storage(d, t)


def test_deepcopy_of_a_state_dict_with_tied_weights():
    nn = pytest.importorskip("tensorgraft.nn")
    m = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    m[1].weight = m[0].weight
    c = copy.deepcopy(m.state_dict())
    # PyTorch: distinct tensors sharing one new storage
    assert c["0.weight"] is not c["1.weight"] and _same_storage(c["0.weight"], c["1.weight"])
    assert not _same_storage(c["0.weight"], m[0].weight)
    assert type(c) is collections.OrderedDict
    mc = copy.deepcopy(m)
    assert mc[0].weight is mc[1].weight


def test_pickled_parameter_view_keeps_its_storage_and_offset():
    nn = pytest.importorskip("tensorgraft.nn")
    p = nn.Parameter(tg.arange(6.)[1:4])
    p.note = "kept"
    q = pickle.loads(pickle.dumps(p))
    # PyTorch 2.13: Parameter, offset 1, 24 bytes, requires_grad, attributes kept
    assert type(q) is nn.Parameter and q.requires_grad and q.note == "kept"
    assert (q.storage_offset(), q.untyped_storage().nbytes(), q.tolist()) == (1, 24, [1.0, 2.0, 3.0])
    whole = nn.Parameter(tg.ones(3))
    assert copy.copy(whole).data_ptr() == whole.data_ptr()  # copy.copy shares memory, as PyTorch's


def test_untyped_storage_slice_is_a_storage_over_the_same_bytes():
    # PyTorch 2.13: storage[a:b] is an UntypedStorage of b-a bytes at data_ptr()+a sharing the memory
    # (so bytes()/bytearray() of a slice read part of a from_file mapping); steps other than 1 refuse
    s = tg.zeros(8, dtype=tg.uint8).untyped_storage()
    s[2:4] = 5
    assert s.tolist() == [0, 0, 5, 5, 0, 0, 0, 0]
    part = s[2:6]
    assert type(part) is tg.UntypedStorage
    assert (part.nbytes(), part.data_ptr() - s.data_ptr(), part.tolist()) == (4, 2, [5, 5, 0, 0])
    part[0] = 99
    assert s[2] == 99
    assert (s[-3:].tolist(), s[5:2].nbytes(), s[2:100].tolist()) == ([0, 0, 0], 0, [99, 5, 0, 0, 0, 0])
    assert bytearray(tg.arange(4.).untyped_storage()[4:8]) == bytearray(b"\x00\x00\x80?")
    with pytest.raises(RuntimeError, match="Trying to slice with a step of 2, but only a step of 1 is supported"):
        s[1:7:2]


def test_untyped_storage_public_constructors():
    # PyTorch 2.13: UntypedStorage() is 0 bytes, UntypedStorage(n) n bytes, UntypedStorage(seq) its
    # items modulo 256; set_() onto one views it; bad arguments raise these RuntimeErrors
    assert tg.UntypedStorage().nbytes() == 0
    s = tg.UntypedStorage(8, device="cpu")
    assert (s.nbytes(), s.device) == (8, tg.device("cpu"))
    assert tg.UntypedStorage([1, 256, 300]).tolist() == [1, 0, 44]
    t = tg.tensor([], dtype=tg.float32).set_(s)
    s[0:4] = 1
    assert t.shape == (2,) and t.untyped_storage().data_ptr() == s.data_ptr()
    assert t.view(tg.uint8)[:4].tolist() == [1, 1, 1, 1]
    with pytest.raises(RuntimeError, match="alloc_cpu.. seems to have been called with negative number: "
                                           "18446744073709551615"):
        tg.UntypedStorage(-1)
    with pytest.raises(RuntimeError, match=r"^torch.UntypedStorage\(\): Expected a sequence type, but got float$"):
        tg.UntypedStorage(2.5)
    with pytest.raises(RuntimeError, match=r"from a sequence \(list\), but one of the items was of type float instead "
                                           "of int"):
        tg.UntypedStorage([1, 2.0])


def test_plain_pickle_gives_two_tensor_objects_their_own_memory():
    # PyTorch 2.13: two tensor objects over one storage pickle as two storages; one object twice stays one
    t = tg.arange(4.)
    out = pickle.loads(pickle.dumps({"a": t.detach(), "b": t.detach(), "c": t, "d": t}))
    out["a"][0] = 9
    assert out["b"][0].item() == 0.0 and out["c"] is out["d"]
    assert copy.copy(t).data_ptr() == t.data_ptr()
