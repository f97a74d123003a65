"""``out=`` of the sorting ops (sort, argsort, topk, kthvalue, median, nanmedian, mode) as PyTorch
2.13 takes it: the out tensors of exactly the result's dtypes (each op refusing others in its own
words), resized with PyTorch's deprecation warning when they held elements, returned themselves.
Every expected message, warning and value here is what PyTorch 2.13 gave for the same call."""
import re
import warnings

import pytest

import tensorgraft as tg


def _fn(name):
    """The function taking ``out=``: ``tg.<name>`` once ops/_bind.py leaves that op's ``out=`` to its
    frontend (it is not in TAKES_OUT), the op's frontend itself until then."""
    from tensorgraft.ops._bind import TAKES_OUT
    from tensorgraft.registry import registry
    return registry.ops[name].frontend if name in TAKES_OUT else getattr(tg, name)


def _x():
    return tg.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])


def _e(*shape, dtype=tg.float32):
    return tg.empty(*shape, dtype=dtype)


_RESIZED = ("An output with one or more elements was resized since it had shape {}, which does not match the "
            "required output shape {}.")

# name -> (call with out, the result's shape)
_CALLS = {
    "sort": (lambda x, out: _fn("sort")(x, dim=1, out=out), (2, 3)),
    "sort_stable": (lambda x, out: _fn("sort")(x, stable=True, dim=1, out=out), (2, 3)),
    "topk": (lambda x, out: _fn("topk")(x, 2, out=out), (2, 2)),
    "kthvalue": (lambda x, out: _fn("kthvalue")(x, 2, 1, out=out), (2,)),
    "median": (lambda x, out: _fn("median")(x, 1, out=out), (2,)),
    "nanmedian": (lambda x, out: _fn("nanmedian")(x, 1, out=out), (2,)),
    "mode": (lambda x, out: _fn("mode")(x, 1, out=out), (2,)),
}
_RESULTS = {"sort": ([[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]], [[1, 2, 0], [0, 2, 1]]),
            "topk": ([[3.0, 2.0], [5.0, 4.0]], [[0, 2], [1, 2]]),
            "kthvalue": ([2.0, 4.0], [2, 2]), "median": ([2.0, 4.0], [2, 2]), "nanmedian": ([2.0, 4.0], [2, 2]),
            "mode": ([1.0, 0.0], [1, 0])}
_RESULTS["sort_stable"] = _RESULTS["sort"]


@pytest.mark.parametrize("name", sorted(_CALLS))
@pytest.mark.parametrize("shape", ["right", "empty", "list"])
def test_out_tensors_are_written_and_returned(name, shape):
    call, want = _CALLS[name]
    v, i = (_e(*want), _e(*want, dtype=tg.int64)) if shape != "empty" else (_e(0), _e(0, dtype=tg.int64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (an empty out is resized without a word)
        r = call(_x(), [v, i] if shape == "list" else (v, i))
    assert r[0] is v and r[1] is i and r.values is v and r.indices is i
    assert type(r).__name__ == name.split("_")[0] + "_out"  # (PyTorch's class for out= results)
    assert (v.tolist(), i.tolist()) == _RESULTS[name]
    assert v.dtype == tg.float32 and i.dtype == tg.int64


_STRUCTURED = "Expected out tensor to have dtype {}, but got {} instead"
_MEDIAN_VALUES = ("Expected tensor for 'values' to have the same type as tensor for argument #2 'self'; but type {} "
                  "does not equal {} (while checking arguments for median)")
_MEDIAN_INDICES = ("Expected tensor for argument #1 'indices' to have scalar type Long; but got {} instead (while "
                   "checking arguments for median)")
_MODE = "expected scalar type '{}' but got '{}' for {} output"


@pytest.mark.parametrize("name", sorted(_CALLS))
@pytest.mark.parametrize("case", ["values_double", "values_half", "values_long", "indices_int", "indices_float",
                                  "both", "int_input"])
def test_out_dtype_refusals(name, case):
    call, want = _CALLS[name]
    x = _x()
    values, indices = tg.float32, tg.int64
    if case.startswith("values_"):
        values = {"values_double": tg.float64, "values_half": tg.float16, "values_long": tg.int64}[case]
    elif case.startswith("indices_"):
        indices = {"indices_int": tg.int32, "indices_float": tg.float32}[case]
    elif case == "both":
        values, indices = tg.float64, tg.int32
    else:
        x = x.long()
    words = {tg.float32: ("float", "Float", "torch.FloatTensor"), tg.float64: ("double", "Double", "torch.DoubleTensor"),
             tg.float16: ("c10::Half", "Half", "torch.HalfTensor"), tg.int64: ("long int", "Long", "torch.LongTensor"),
             tg.int32: ("int", "Int", "torch.IntTensor")}
    inp = tg.int64 if case == "int_input" else tg.float32
    bad_values = values != inp
    base = name.split("_")[0]
    if base in ("sort", "topk"):
        msg = (_STRUCTURED.format(words[inp][0], words[values][0]) if bad_values
               else _STRUCTURED.format("long int", words[indices][0]))
    elif base == "kthvalue":
        msg = "output values must be of same type as input" if bad_values else "output indices must be of scalar type Long"
    elif base in ("median", "nanmedian"):  # (indices checked first, both named median)
        msg = (_MEDIAN_INDICES.format(words[indices][2]) if indices != tg.int64
               else _MEDIAN_VALUES.format(words[values][2], words[inp][2]))
    else:
        msg = (_MODE.format(words[inp][1], words[values][1], "values") if bad_values
               else _MODE.format("Long", words[indices][1], "indices"))
    with pytest.raises(RuntimeError, match="^" + re.escape(msg) + "$"):
        call(x, (_e(*want, dtype=values), _e(*want, dtype=indices)))


@pytest.mark.parametrize("name, old, new", [
    ("sort", [5], [2, 3]), ("topk", [5], [2, 2]), ("median", [5], [2]), ("nanmedian", [5], [2]),
    # kthvalue and mode resize a view given the reduced dim back: the warning names its shape
    ("kthvalue", [5, 1], [2, 1]), ("mode", [5, 1], [2, 1])])
def test_non_empty_outs_are_resized_with_pytorchs_warning(name, old, new):
    call, want = _CALLS[name]
    v, i = _e(5), _e(5, dtype=tg.int64)
    with pytest.warns(UserWarning) as record:
        r = call(_x(), (v, i))
    texts = [str(w.message) for w in record]
    assert len(texts) == 2 and all(t.startswith(_RESIZED.format(old, new)) for t in texts)
    assert tuple(v.shape) == tuple(i.shape) == want and r[0] is v


def test_a_later_dtype_refusal_comes_after_the_first_outs_resize():
    # the structured kernels check and resize one out tensor after the other
    with pytest.warns(UserWarning, match=re.escape(_RESIZED.format([7], [2, 3]))):
        with pytest.raises(RuntimeError, match=re.escape(_STRUCTURED.format("long int", "int"))):
            _fn("sort")(_x(), out=(_e(7), _e(7, dtype=tg.int32)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # mode checks both dtypes before resizing anything
        with pytest.raises(RuntimeError, match=re.escape(_MODE.format("Long", "Int", "indices"))):
            _fn("mode")(_x(), 1, out=(_e(7), _e(7, dtype=tg.int32)))


def test_kthvalue_keepdim_and_squeezed_outs():
    v, i = _e(2, 1), _e(2, 1, dtype=tg.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # ([2, 1] is the kept-dim shape PyTorch resizes to: no warning)
        _fn("kthvalue")(_x(), 1, 1, out=(v, i))
    assert v.tolist() == [1.0, 0.0] and i.tolist() == [1, 0]
    r = _fn("kthvalue")(_x(), 1, 1, True, out=(_e(0), _e(0, dtype=tg.int64)))
    assert r.values.tolist() == [[1.0], [0.0]]


def test_kthvalue_refuses_values_out_sharing_the_input():
    x = tg.tensor([[3.0], [1.0]])
    with pytest.raises(RuntimeError, match=r"^unsupported operation: some elements of the input tensor and the "
                                           r"written-to tensor refer to a single memory location\. Please clone\(\)"):
        _fn("kthvalue")(x, 1, 1, True, out=(x, _e(2, 1, dtype=tg.int64)))


def test_out_sharing_the_input_reads_it_as_pytorch():
    x = _x()
    r = _fn("sort")(x, 1, out=(x, _e(2, 3, dtype=tg.int64)))
    assert r.values is x and x.tolist() == [[1.0, 2.0, 3.0], [0.0, 4.0, 5.0]]
    # an out resized first leaves PyTorch reading the input's remaining elements
    x = _x()
    with pytest.warns(UserWarning):
        r = _fn("topk")(x, 2, out=(x, _e(0, dtype=tg.int64)))
    assert r.values.tolist() == [[3.0, 1.0], [2.0, 0.0]] and r.indices.tolist() == [[0, 1], [0, 1]]
    x = _x()
    with pytest.warns(UserWarning):
        with pytest.raises(IndexError, match=re.escape("Dimension out of range (expected to be in range of [-1, 0], "
                                                       "but got 1)")):
            _fn("median")(x, 1, out=(x, _e(0, dtype=tg.int64)))


@pytest.mark.parametrize("call, err, msg", [
    (lambda: _fn("sort")(_x(), out=(_e(0),)), TypeError, "expected tuple of 2 elements but got 1"),
    (lambda: _fn("topk")(_x(), 1, out=(_e(0),) * 3), TypeError, "expected tuple of 2 elements but got 3"),
    (lambda: _fn("median")(_x(), 1, out=_e(0)), TypeError, "median(): argument 'out' must be tuple of Tensors, not Tensor"),
    (lambda: _fn("kthvalue")(_x(), 1, out=_e(0)), TypeError,
     "kthvalue(): argument 'out' must be tuple of Tensors, not Tensor"),
    (lambda: _fn("sort")(_x(), out=(_e(0), 1)), TypeError, "expected Tensor as element 1 in argument 3, but got int"),
    (lambda: _fn("sort")(_x(), stable=True, out=(_e(0), 1)), TypeError,
     "expected Tensor as element 1 in argument 4, but got int"),
    (lambda: _fn("topk")(_x(), 2, out=(_e(0), 1)), TypeError, "expected Tensor as element 1 in argument 5, but got int"),
    (lambda: _fn("kthvalue")(_x(), 2, out=(_e(0), 1)), TypeError,
     "expected Tensor as element 1 in argument 4, but got int"),
    (lambda: _fn("median")(_x(), 1, out=(1, _e(0))), TypeError, "expected Tensor as element 0 in argument 3, but got int"),
    (lambda: _fn("median")(_x(), out=_e(0)), TypeError, 'median() missing 1 required positional arguments: "dim"'),
    (lambda: _x().topk(1, out=(_e(0), _e(0))), TypeError, "topk() got an unexpected keyword argument 'out'"),
    (lambda: _x().median(1, out=(_e(0), _e(0))), TypeError, "median() got an unexpected keyword argument 'out'"),
    (lambda: _fn("topk")(_x(), 5, out=(_e(0, dtype=tg.float64), _e(0))), RuntimeError, "selected index k out of range"),
    (lambda: _fn("mode")(_x(), 5, out=(_e(0, dtype=tg.float64), _e(0))), RuntimeError,
     "expected scalar type 'Float' but got 'Double' for values output"),
    (lambda: _fn("kthvalue")(_x().bool(), 1, out=(_e(0), _e(0, dtype=tg.int64))), RuntimeError,
     "output values must be of same type as input"),
    (lambda: _fn("median")(_x().cfloat(), 1, out=(_e(0), _e(0, dtype=tg.int64))), RuntimeError,
     _MEDIAN_VALUES.format("torch.FloatTensor", "CPUComplexFloatType")),
])
def test_out_argument_refusals(call, err, msg):
    with pytest.raises(err, match="^" + re.escape(msg) + "$"):
        call()


def test_sort_out_of_a_tensor_is_an_invalid_combination():
    with pytest.raises(TypeError, match=re.escape("sort() received an invalid combination of arguments - got (Tensor, "
                                                  "out=Tensor), but expected one of:\n * (Tensor input, *, bool stable")):
        _fn("sort")(_x(), out=_e(0))


def test_empty_inputs_and_legacy_type_names():
    # mode of an empty input returns early: a plain resize (kthvalue's keeps its kept-dim view)
    with pytest.warns(UserWarning, match=re.escape(_RESIZED.format([7], [0]))):
        _fn("mode")(tg.ones(3, 0), 0, out=(_e(7), _e(7, dtype=tg.int64)))
    with pytest.warns(UserWarning, match=re.escape(_RESIZED.format([1, 7], [1, 0]))):
        _fn("kthvalue")(tg.ones(3, 0), 1, 0, out=(_e(7), _e(7, dtype=tg.int64)))
    # median names the dtypes without a legacy tensor type by their CPU type
    with pytest.raises(RuntimeError, match=re.escape(_MEDIAN_VALUES.format("torch.DoubleTensor", "CPUBoolType"))):
        _fn("median")(tg.ones(2, 3, dtype=tg.bool), 1, out=(_e(0, dtype=tg.float64), _e(0, dtype=tg.int64)))
    with pytest.raises(RuntimeError, match=re.escape(_MEDIAN_INDICES.format("CPUBFloat16Type"))):
        _fn("median")(tg.ones(2, 3), 1, out=(_e(0), _e(0, dtype=tg.bfloat16)))


def test_zero_dim_inputs():
    with pytest.warns(UserWarning, match=re.escape(_RESIZED.format([7], []))):
        r = _fn("median")(tg.tensor(2.0), 0, out=(_e(7), _e(7, dtype=tg.int64)))
    assert r.values.shape == () and r.values.item() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (PyTorch's 0-d mode resizes its outs silently)
        r = _fn("mode")(tg.tensor(2.0), 0, out=(_e(7), _e(7, dtype=tg.int64)))
    assert r.values.shape == r.indices.shape == () and r.values.item() == 2.0


def test_out_refused_while_recording_gradients():
    pytest.importorskip("tensorgraft.autograd")
    x = _x().requires_grad_()
    msg = "{}(): functions with out=... arguments don't support automatic differentiation, but one of the arguments requires grad."
    for name, call in (("sort", lambda: _fn("sort")(x, out=(_e(0), _e(0, dtype=tg.int64)))),
                       ("mode", lambda: _fn("mode")(x, 1, out=(_e(0, dtype=tg.float64), _e(0, dtype=tg.int64)))),
                       ("sort", lambda: tg.argsort(x, stable=True, out=_e(0, dtype=tg.int64)))):
        with pytest.raises(RuntimeError, match="^" + re.escape(msg.format(name)) + "$"):
            call()
    with tg.no_grad():
        r = _fn("sort")(x, out=(_e(0), _e(0, dtype=tg.int64)))
    assert r.values.grad_fn is None


# --------------------------------------------------------------------------- argsort(stable=..., out=)
def test_argsort_stable_out():
    o = _e(5, dtype=tg.int64)
    with pytest.warns(UserWarning, match=re.escape(_RESIZED.format([5], [2, 3]))):
        r = tg.argsort(_x(), stable=True, dim=1, out=o)
    assert r is o and o.tolist() == [[1, 2, 0], [0, 2, 1]]
    for dtype, word in ((tg.int32, "int"), (tg.float64, "double"), (tg.float32, "float")):
        with pytest.raises(RuntimeError, match="^" + re.escape(_STRUCTURED.format("long int", word)) + "$"):
            tg.argsort(_x(), stable=True, out=_e(2, 3, dtype=dtype))


_ARGSORT_SIGS = ("argsort() received an invalid combination of arguments - got {}, but expected one of:\n"
                 " * (Tensor input, *, bool stable, int dim = -1, bool descending = False, Tensor out = None)\n"
                 " * (Tensor input, int dim = -1, bool descending = False)\n{}")
_METHOD_SIGS = ("{}() received an invalid combination of arguments - got {}, but expected one of:\n"
                " * (*, bool stable, int dim = -1, bool descending = False)\n"
                " * (int dim = -1, bool descending = False)\n{}")
_NOTE = "      didn't match because some of the keywords were incorrect: {}\n"


@pytest.mark.parametrize("call, msg", [
    (lambda: tg.argsort(_x(), 1, out=_e(0, dtype=tg.int64)), _ARGSORT_SIGS.format("(Tensor, int, out=Tensor)",
                                                                                   _NOTE.format("out"))),
    (lambda: tg.argsort(_x(), out=_e(0, dtype=tg.int64)), _ARGSORT_SIGS.format("(Tensor, out=Tensor)", "")),
    (lambda: tg.argsort(_x(), dim=1, out=_e(0, dtype=tg.int64)),
     _ARGSORT_SIGS.format("(Tensor, out=Tensor, dim=int)", _NOTE.format("out, dim"))),
    (lambda: tg.argsort(_x(), stable=True, out=(_e(0),)),
     _ARGSORT_SIGS.format("(Tensor, out=tuple, stable=bool)", _NOTE.format("out, stable"))),
    (lambda: tg.argsort(_x(), 0, descending=1), _ARGSORT_SIGS.format("(Tensor, int, descending=int)",
                                                                     _NOTE.format("descending"))),
    (lambda: _x().argsort(dim=0, descending=1), _METHOD_SIGS.format("argsort", "(descending=int, dim=int, )",
                                                                     _NOTE.format("descending, dim"))),
    (lambda: _x().sort(1, out=(_e(0), _e(0))), _METHOD_SIGS.format("sort", "(int, out=tuple)", _NOTE.format("out"))),
    (lambda: _x().sort(out=(_e(0), _e(0))), _METHOD_SIGS.format("sort", "(out=tuple, )", "")),
    (lambda: tg.argsort(_x(), stable=True, dim=1, out=(_e(0),)), "argsort(): argument 'out' must be Tensor, not tuple"),
    (lambda: tg.argsort(_x(), 1, stable=True, out=_e(0)), "argsort() takes from 2 to 1 positional arguments but 2 were "
                                                          "given"),
    (lambda: tg.argsort(_x(), 1, True, out=_e(0)), "argsort() takes from 2 to 1 positional arguments but 3 were given"),
    (lambda: _x().argsort(stable=True, dim=1, out=_e(0)), "argsort() got an unexpected keyword argument 'out'"),
    (lambda: _x().argsort(stable=1, dim=0, descending=True), "argsort(): argument 'stable' must be bool, not int"),
    (lambda: _x().sort(stable=1, dim=0, descending=True), "sort(): argument 'stable' must be bool, not int"),
    (lambda: tg.argsort(_x(), stable=True, dim=0, descending=1), "argsort(): argument 'descending' must be bool, not int"),
    (lambda: _x().argsort(stable=True, dim=0.5, descending=True), "argsort(): argument 'dim' must be int, not float"),
    # the stable signature alone plausible: its parameters in order, then keywords it does not take
    (lambda: tg.argsort(_x(), dim=0, descending=1, out=_e(0)), 'argsort() missing 1 required positional arguments: '
                                                                '"stable"'),
    (lambda: tg.argsort(_x(), descending=None, stable=True, out=3), "argsort(): argument 'descending' must be bool, "
                                                                    "not NoneType"),
    (lambda: _x().argsort(dim=True, stable=False, out=(_e(0),)), "argsort(): argument 'dim' must be int, not bool"),
    (lambda: _x().argsort(dim=0, stable=False, out=(_e(0),)), "argsort() got an unexpected keyword argument 'out'"),
])
def test_sort_argsort_parser_errors(call, msg):
    with pytest.raises(TypeError, match="^" + re.escape(msg) + "$"):
        call()
