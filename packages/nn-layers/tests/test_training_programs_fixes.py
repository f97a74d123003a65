"""Gaps found by the training-utility programs (tests/programs/training_*.py), checked without PyTorch
(the expected names, values and messages are PyTorch 2.13's, written out):

- utils.data: ``type(iter(loader))`` is ``_SingleProcessDataLoaderIter`` /
  ``_MultiProcessingDataLoaderIter``; ``ConcatDataset`` past its end raises "list index out of
  range"; ``prefetch_factor=0`` with workers is refused (it silently gave an empty epoch), and so
  is ``num_workers`` set after construction;
- save/load: a target without ``write`` gets PyTorch's AttributeError before anything is encoded;
  ``Counter`` (MultiStepLR's milestones), ``bytearray``, ``defaultdict``, ``argparse.Namespace``,
  ``pathlib`` paths, naive ``datetime`` values and NumPy arrays of dtypes no tensor has
  (``np.random.get_state()``) can be saved, and the ones PyTorch's ``weights_only`` load refuses are
  refused with its messages; an unknown ``map_location`` and contradictory load arguments get
  PyTorch's errors;
- gradient clipping: the total norm has the promoted (real) dtype of the gradients, complex gradients
  are measured by their moduli, ``clip_grad_value_`` refuses complex gradients, and
  ``clip_grads_with_norm_`` refuses a plain-number norm as PyTorch's clamp does;
- autocast: a device object as ``device_type`` is named ``torch.device`` in the error.
"""
import io

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.utils.data import ConcatDataset, DataLoader, TensorDataset


def test_dataloader_iterator_class_names():
    ds = TensorDataset(tg.arange(6.0))
    it = iter(DataLoader(ds, batch_size=2))
    assert type(it).__name__ == "_SingleProcessDataLoaderIter"
    assert [b[0].tolist() for b in it] == [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]
    workers = iter(DataLoader(ds, batch_size=3, num_workers=1))
    try:
        assert type(workers).__name__ == "_MultiProcessingDataLoaderIter"
        assert [b[0].tolist() for b in workers] == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    finally:
        workers._shutdown()
    assert type(workers).__mro__[1].__name__ == "_BaseDataLoaderIter"


def test_concat_dataset_index_past_the_end():
    cat = ConcatDataset([TensorDataset(tg.arange(3.0)), TensorDataset(tg.arange(2.0))])
    assert cat[4][0].item() == 1.0 and cat[-5][0].item() == 0.0
    for idx in (5, 100):
        with pytest.raises(IndexError, match=r"^list index out of range$"):
            cat[idx]
    with pytest.raises(ValueError, match="absolute value of index should not exceed dataset length"):
        cat[-6]


@pytest.mark.parametrize("target", [5, None, object()])
def test_save_to_something_not_writable(target):
    message = r"^expected 'f' to be string, path, or a file-like object with a 'write' attribute$"
    with pytest.raises(AttributeError, match=message):
        tg.save({"w": tg.ones(2)}, target)

    class Unsaveable:
        pass
    # the target is checked first: the object not being storable is not what is reported
    with pytest.raises(AttributeError, match=message):
        tg.save({"x": Unsaveable()}, target)


def test_save_to_writable_objects_still_works():
    buf = io.BytesIO()
    tg.save({"w": tg.ones(2)}, buf)
    buf.seek(0)
    assert tg.load(buf)["w"].tolist() == [1.0, 1.0]


# ------------------------------------------------------------------------------------- gradient clipping
nn = pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
from tensorgraft.nn.utils import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm  # noqa: E402


def _param(grad, dtype=None):
    p = nn.Parameter(tg.zeros(len(grad), dtype=dtype))
    p.grad = tg.tensor(grad, dtype=dtype)
    return p


@pytest.mark.parametrize("dtypes,expected", [
    ((tg.float32, tg.float64), tg.float64),
    ((tg.float64, tg.float32), tg.float64),
    ((tg.float16, tg.float32), tg.float32),
    ((tg.float16,), tg.float16),
    ((tg.complex64,), tg.float32),
    ((tg.complex128, tg.float32), tg.float64),
])
def test_total_norm_has_the_promoted_dtype_of_the_gradients(dtypes, expected):
    params = [_param([3.0, 4.0], dt) for dt in dtypes]
    total = clip_grad_norm_(params, 1e9)
    assert total.dtype is expected
    assert abs(total.item() - 5.0 * len(dtypes) ** 0.5) < 1e-2
    assert get_total_norm([p.grad for p in params]).dtype is expected


def test_complex_gradients_are_clipped_by_the_norm_of_their_moduli():
    p = _param([3 + 4j, 0j], tg.complex64)
    total = clip_grad_norm_([p], 1.0)
    assert total.dtype is tg.float32 and abs(total.item() - 5.0) < 1e-6
    assert abs(p.grad[0].item() - (0.6 + 0.8j)) < 1e-5
    q = _param([3j, 4.0], tg.complex128)
    assert get_total_norm([q.grad], norm_type=1).item() == 7.0
    assert get_total_norm([q.grad], norm_type=float("inf")).item() == 4.0


def test_per_tensor_norms_round_to_their_dtype_first():
    # the float16 gradient's own norm (sqrt(2) * 300 = 424.26...) rounds to float16 (424.25) first
    half = _param([300.0, 300.0], tg.float16)
    single = _param([0.0], tg.float32)
    total = get_total_norm([half.grad, single.grad])
    assert total.dtype is tg.float32 and total.item() == 424.25


def test_clip_grad_value_refuses_complex_gradients_before_clipping_any():
    real = _param([5.0, -5.0])
    comp = _param([3 + 4j], tg.complex64)
    with pytest.raises(NotImplementedError, match="^clamp is not supported for complex types$"):
        clip_grad_value_([real, comp], 1.0)
    assert real.grad.tolist() == [5.0, -5.0]


@pytest.mark.parametrize("max_norm,total_norm,name", [(1.0, 5.0, "float"), (1, 5, "float"),
                                                      (1.0, np.float64(5.0), "numpy.float64")])
def test_clip_grads_with_norm_wants_a_tensor_norm(max_norm, total_norm, name):
    p = _param([3.0, 4.0])
    with pytest.raises(TypeError) as info:
        clip_grads_with_norm_([p], max_norm, total_norm)
    assert str(info.value) == (
        f"clamp() received an invalid combination of arguments - got ({name}, max=float), but expected one of:\n"
        " * (Tensor input, Tensor min = None, Tensor max = None, *, Tensor out = None)\n"
        " * (Tensor input, Number min = None, Number max = None, *, Tensor out = None)\n")
    assert p.grad.tolist() == [3.0, 4.0]
    clip_grads_with_norm_([p], 1.0, tg.tensor(5.0))
    assert [round(v, 4) for v in p.grad.tolist()] == [0.6, 0.8]
    clip_grads_with_norm_([nn.Parameter(tg.zeros(1))], 1.0, 5.0)  # nothing to clip: nothing checked


# ------------------------------------------------------------------------------------- checkpoints
def test_counter_and_bytearray_round_trip():
    import collections
    obj = {"milestones": collections.Counter({2: 1, 4: 2}), "empty": collections.Counter(),
           "raw": bytearray(b"\x00\xffab"), "b": b"xy", "nested": [collections.Counter(a=3)]}
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    out = tg.load(buf, weights_only=True)
    assert type(out["milestones"]) is collections.Counter and out["milestones"] == obj["milestones"]
    assert list(out["milestones"]) == [2, 4] and type(out["empty"]) is collections.Counter
    assert type(out["raw"]) is bytearray and out["raw"] == obj["raw"] and type(out["b"]) is bytes
    assert out["nested"][0] == collections.Counter(a=3)


# ------------------------------------------------------------------------------------- worker prefetch
def test_prefetch_factor_zero_is_refused_not_an_empty_epoch():
    dl = DataLoader(list(range(4)), num_workers=1, prefetch_factor=0)
    with pytest.raises(AssertionError, match="^prefetch_factor must be greater than 0 for "
                                             "MultiProcessingDataLoaderIter$"):
        iter(dl)


def test_num_workers_set_after_construction_fails_as_in_pytorch():
    dl = DataLoader(list(range(4)), batch_size=2)
    assert [b.tolist() for b in dl] == [[0, 1], [2, 3]]
    dl.num_workers = 2  # prefetch_factor stayed None: PyTorch's comparison of it with 0 fails
    with pytest.raises(TypeError, match="^'<=' not supported between instances of 'NoneType' and 'int'$"):
        iter(dl)


def _checkpoint():
    buf = io.BytesIO()
    tg.save({"w": tg.ones(2), "n": 3}, buf)
    return buf


@pytest.mark.parametrize("where", ["xyz", {"cpu": "nowhere"}])
def test_load_to_a_location_no_device_is_named_by(where):
    buf = _checkpoint()
    buf.seek(0)
    name = where if isinstance(where, str) else where["cpu"]
    with pytest.raises(RuntimeError, match=rf"^don't know how to restore data location of "
                                           rf"torch\.storage\.UntypedStorage \(tagged with {name}\)$"):
        tg.load(buf, map_location=where)
    buf.seek(0)
    assert tg.load(buf, map_location={"cuda:0": "cpu"})["n"] == 3


def test_load_refuses_contradictory_arguments_before_reading():
    import pickle
    buf = _checkpoint()
    buf.seek(0)
    with pytest.raises(ValueError, match="^f must be a file path in order to use the mmap argument$"):
        tg.load(buf, mmap=True)
    with pytest.raises(RuntimeError, match="^Can not safely load weights when explicit pickle_module is specified$"):
        tg.load(buf, weights_only=True, pickle_module=pickle)
    assert buf.tell() == 0  # nothing was read
    assert tg.load(buf, pickle_module=pickle)["n"] == 3  # weights_only left to its default: accepted
    buf.seek(0)
    assert tg.load(buf, weights_only=False, mmap=False)["n"] == 3


def test_load_with_mmap_from_a_path(tmp_path):
    p = tmp_path / "c.pt"
    tg.save({"w": tg.arange(3.0)}, p)
    assert tg.load(p, mmap=True)["w"].tolist() == [0.0, 1.0, 2.0]
    assert tg.load(str(p), mmap=True, weights_only=True)["w"].tolist() == [0.0, 1.0, 2.0]


# ------------------------------------------------------------------------------------- autocast
def test_autocast_with_a_device_object_names_torch_device():
    with pytest.raises(ValueError) as info:
        tg.autocast(device_type=tg.device("cpu"))
    assert str(info.value) == "Expected `device_type` of type `str`, got: `<class 'torch.device'>`"
    with pytest.raises(ValueError, match="^Expected `device_type` of type `str`, got: `<class 'int'>`$"):
        tg.autocast(device_type=0)


# ------------------------------------------------------------------------------------- defaultdict
def _saved(obj):
    buf = io.BytesIO()
    tg.save(obj, buf)
    buf.seek(0)
    return buf


def test_defaultdict_round_trips_with_weights_only_false():
    import collections
    history = collections.defaultdict(list)
    history["loss"] += [0.5, 0.25]
    out = tg.load(_saved({"history": history, "w": tg.ones(1)}), weights_only=False)["history"]
    assert type(out) is collections.defaultdict and out.default_factory is list
    assert dict(out) == {"loss": [0.5, 0.25]} and out["new"] == []
    none = tg.load(_saved(collections.defaultdict(None, {1: 2})), weights_only=False)
    assert none.default_factory is None and dict(none) == {1: 2}


def test_defaultdict_is_refused_as_pytorchs_weights_only_load_refuses_it():
    import collections
    import pickle

    from tensorgraft.serialization import safe_globals
    full = _saved({"h": collections.defaultdict(int, a=1)})
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL collections.defaultdict was not an allowed global"):
        tg.load(full)  # weights_only defaults to True, as in PyTorch
    full.seek(0)
    with safe_globals([collections.defaultdict]), \
            pytest.raises(pickle.UnpicklingError, match=r"add_safe_globals\(\[int\]\)"):
        tg.load(full, weights_only=True)
    full.seek(0)
    with safe_globals([collections.defaultdict, int]), \
            pytest.raises(pickle.UnpicklingError, match="Can only SETITEM for dict, collections.OrderedDict, "
                                                        "collections.Counter, but got <class 'collections.defaultdict'>"):
        tg.load(full)
    with safe_globals([collections.defaultdict, int]):
        empty = tg.load(_saved([collections.defaultdict(int)]))[0]
    assert type(empty) is collections.defaultdict and empty.default_factory is int


def test_defaultdict_with_a_factory_that_cannot_be_named_is_not_saved():
    # pickled as torch.save pickles it, which fails for a local lambda with PyTorch 2.13's AttributeError
    import collections
    with pytest.raises(AttributeError, match=r"Can't pickle local object '.*<lambda>'"):
        tg.save(collections.defaultdict(lambda: 0), io.BytesIO())


# ------------------------------------------------------------------------------------- NumPy-only dtypes
def test_numpy_random_state_round_trips():
    rng_state = np.random.RandomState(0).get_state()  # ('MT19937', uint32 key, pos, has_gauss, cached)
    out = tg.load(_saved({"np_rng": rng_state}), weights_only=False)["np_rng"]
    assert type(out) is tuple and out[0] == "MT19937" and out[2:] == rng_state[2:]
    assert out[1].dtype == np.uint32 and np.array_equal(out[1], rng_state[1])
    a, b = np.random.RandomState(), np.random.RandomState()
    a.set_state(rng_state)
    b.set_state(out)
    assert a.rand() == b.rand()


@pytest.mark.parametrize("arr", [
    np.arange(6, dtype=np.uint16).reshape(2, 3).T, np.array(7, dtype=np.uint64), np.zeros((0, 3), dtype=np.uint32),
    np.arange(4, dtype=">u4"), np.array([["x", "yz"]]), np.array([b"ab", b"c"]),
])
def test_numpy_arrays_of_dtypes_no_tensor_has(arr):
    out = tg.load(_saved({"a": arr, "again": arr}))
    assert out["a"] is out["again"] and out["a"].flags.writeable
    assert out["a"].dtype == arr.dtype.newbyteorder("=") and out["a"].shape == arr.shape
    assert np.array_equal(out["a"], arr)


def test_numpy_unsigned_scalars_and_refused_dtypes():
    out = tg.load(_saved([np.uint32(3), np.uint64(2 ** 63), np.uint16(9)]))
    assert [type(v) for v in out] == [np.uint32, np.uint64, np.uint16] and out == [3, 2 ** 63, 9]
    # an object array is pickled, as torch.save does: refused by default, loaded with weights_only=False
    # (NumPy 1.x names its module numpy.core, NumPy 2 numpy._core)
    import pickle
    buf = _saved(np.array([1, "a"], dtype=object))
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL numpy\._?core\.multiarray\._reconstruct was not an "
                                                     "allowed global"):
        tg.load(buf)
    buf.seek(0)
    back = tg.load(buf, weights_only=False)
    assert back.dtype == object and back.tolist() == [1, "a"]


# ------------------------------------------------------------------------------------- configs in checkpoints
def test_argparse_namespace_and_paths_round_trip_with_weights_only_false():
    import argparse
    import pathlib
    args = argparse.Namespace(lr=0.1, epochs=3, name="run", dims=[1, 2], out=pathlib.PurePosixPath("runs/a"))
    out = tg.load(_saved({"args": args, "w": tg.ones(1)}), weights_only=False)["args"]
    assert type(out) is argparse.Namespace and vars(out) == vars(args)
    assert type(out.out) is pathlib.PurePosixPath


def test_argparse_namespace_and_paths_need_allow_listing_with_weights_only():
    import argparse
    import pathlib
    import pickle

    from tensorgraft.serialization import safe_globals
    buf = _saved({"args": argparse.Namespace(lr=0.1)})
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL argparse\.Namespace was not an allowed global"):
        tg.load(buf)
    buf.seek(0)
    with safe_globals([argparse.Namespace]):
        assert tg.load(buf)["args"].lr == 0.1
    path = pathlib.PurePosixPath("a/b")
    name = f"{type(path).__module__}.{type(path).__qualname__}"
    with pytest.raises(pickle.UnpicklingError, match=f"GLOBAL {name} was not an allowed global"):
        tg.load(_saved([path]), weights_only=True)
    with safe_globals([type(path)]):
        assert tg.load(_saved([path]))[0] == path


def test_naive_datetimes_round_trip_and_need_allow_listing():
    import datetime
    import pickle

    from tensorgraft.serialization import safe_globals
    values = {"at": datetime.datetime(2024, 1, 2, 3, 4, 5, 6), "day": datetime.date(2024, 1, 2),
              "t": datetime.time(3, 4, 5), "took": datetime.timedelta(days=-1, seconds=5, microseconds=7)}
    buf = _saved(values)
    assert tg.load(buf, weights_only=False) == values
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL datetime\.datetime was not an allowed global"):
        tg.load(buf)
    buf.seek(0)
    with safe_globals([datetime.datetime, datetime.date, datetime.time, datetime.timedelta]):
        assert tg.load(buf) == values
    # a timezone-aware one is pickled, as torch.save does, and loads back with weights_only=False
    aware = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    buf = _saved(aware)
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL datetime\.datetime was not an allowed global"):
        tg.load(buf)
    buf.seek(0)
    assert tg.load(buf, weights_only=False) == aware


def test_names_importable_from_pytorchs_module_paths():
    from tensorgraft.serialization import DEFAULT_PROTOCOL
    from tensorgraft.utils.data import get_worker_info
    from tensorgraft.utils.data.dataloader import get_worker_info as from_dataloader
    assert DEFAULT_PROTOCOL == 2 and from_dataloader is get_worker_info and from_dataloader() is None


# ------------------------------------------------------------------------------------- state_dict metadata
def test_state_dict_metadata_survives_save_and_load():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = model.state_dict()
    for obj, get in ((sd, lambda out: out), ({"model": sd, "epoch": 1}, lambda out: out["model"])):
        out = get(tg.load(_saved(obj)))
        assert out._metadata == sd._metadata and out._metadata["1"]["version"] == 2
    # with the versions known, a BatchNorm state without num_batches_tracked is incomplete, as in PyTorch
    loaded = tg.load(_saved(sd))
    del loaded["1.num_batches_tracked"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.num_batches_tracked"'):
        nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)).load_state_dict(loaded)
    import collections
    plain = tg.load(_saved(collections.OrderedDict(w=tg.ones(1))))  # no _metadata: none comes back
    assert type(plain) is collections.OrderedDict and not hasattr(plain, "_metadata")
