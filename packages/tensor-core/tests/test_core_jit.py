"""tensorgraft.jit: scripting and tracing run eagerly, with PyTorch's checks, classes and file round trip."""
from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import typing
import warnings
import zipfile

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import jit

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")


def _nn():
    return pytest.importorskip("tensorgraft.nn", reason="scripted and traced modules derive from tensorgraft-nn's Module")


def _t(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape), dtype=tg.float32)


def _double(x):
    return x * 2


# --------------------------------------------------------------------------- the module itself
def test_jit_is_lazy_and_listed():
    code = "import sys, tensorgraft as tg; a = 'tensorgraft.jit' in sys.modules; tg.jit; print(a, 'jit' in dir(tg))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["False", "True"]
    assert tg.jit is jit


def test_module_classes_are_built_on_first_use():
    names = dir(jit)
    assert {"ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule"} <= set(names)
    with pytest.raises(AttributeError, match="^module 'tensorgraft.jit' has no attribute 'nope'$"):
        jit.nope  # noqa: B018
    assert issubclass(jit.TracerWarning, Warning) and issubclass(jit.Error, Exception)
    assert issubclass(jit.TracingCheckError, Exception) and not issubclass(jit.TracingCheckError, RuntimeError)


def test_imports_and_runs_functions_without_tensorgraft_nn():
    """Only what needs nn.Module needs tensorgraft-nn (made missing: its plugin is skipped, its import blocked)."""
    code = textwrap.dedent("""
        import sys
        sys.modules["tensorgraft.nn"] = None
        import warnings; warnings.simplefilter("ignore")
        import tensorgraft as tg
        from tensorgraft import jit
        def double(x):
            return x * 2
        print(jit.is_scripting(), jit.script(double)(tg.tensor(1.0)).item(), jit.trace(double, tg.ones(1))(tg.ones(1)).item())
        try:
            jit.ScriptModule
        except ModuleNotFoundError as exc:
            print(exc)
    """)
    env = {**os.environ, "TENSORGRAFT_DISABLED_PLUGINS": "nn"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["False 2.0 2.0", "tensorgraft.jit's modules need tensorgraft-nn, which is not "
                                       "installed. Install it with: pip install tensorgraft-nn"]


_PUBLIC = sorted(set(jit.__all__) - {"Final"})   # Final is typing.Final itself


@pytest.mark.parametrize("name", _PUBLIC)
def test_public_names_live_at_tensorgraft_jit(name):
    """Printed and pickled as tensorgraft.jit.X whatever file holds the code, so references stored by
    pickle or jit.save name the public module."""
    obj = getattr(jit, name)
    assert obj.__module__ == "tensorgraft.jit" and name in dir(jit)
    assert pickle.loads(pickle.dumps(obj)) is obj


def test_builtin_isinstance_and_jit_isinstance_are_apart():
    assert jit.isinstance.__name__ == "isinstance" and jit.isinstance is not builtins.isinstance
    assert jit.isinstance([1], typing.List[int]) and not jit.isinstance([1], typing.List[str])
    # the code that checks argument types with the builtin (Future, wait, save, trace) still does
    with pytest.raises(AssertionError, match="not an Exception"):
        jit.Future().set_exception(3)
    with pytest.raises(TypeError, match="expected a torch.jit.Future, got int"):
        jit.wait(3)
    with pytest.raises(AttributeError, match="^expected a dictionary of"):
        jit.trace_module(_nn().Linear(1, 1), [_T])


def test_module_classes_pickle_by_their_public_names():
    _nn()
    for name in ("ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule"):
        cls = getattr(jit, name)
        assert repr(cls) == f"<class 'tensorgraft.jit.{name}'>" and pickle.loads(pickle.dumps(cls)) is cls


def test_state_questions_and_markers():
    assert jit.is_scripting() is False and jit.is_tracing() is False
    marker = object()
    assert jit.annotate(typing.List[int], marker) is marker
    assert jit.Final is typing.Final
    a = jit.Attribute(3, int)
    assert (a.value, a.type, a._fields) == (3, int, ("value", "type"))
    for decorator in (jit.export, jit.unused, jit.script_method, jit.ignore):
        assert decorator(_double) is _double
    prop = property(lambda self: 1)
    assert jit.unused(prop) is prop


def test_ignore_forms():
    assert jit.ignore()(_double) is _double
    with pytest.warns(FutureWarning, match=r"^ignore\(True\) has been deprecated"):
        assert jit.ignore(True)(_double) is _double
    with pytest.warns(FutureWarning, match=r"^ignore\(drop_on_export=True\) has been deprecated"):
        assert jit.ignore(drop_on_export=True)(_double) is _double
    with pytest.raises(RuntimeError, match="^Argument to @torch.jit.ignore must be a bool or a function but got 3$"):
        jit.ignore(3)


def test_interface_and_script_if_tracing():
    class Proto:
        pass
    assert jit.interface(Proto) is Proto
    with pytest.raises(RuntimeError, match="^interface must be applied to a class$"):
        jit.interface(3)
    wrapped = jit.script_if_tracing(_double)
    assert wrapped is not _double and wrapped(4) == 8 and wrapped.__name__ == "_double"


@pytest.mark.parametrize("value, tp, expected", [
    ([1, 2], typing.List[int], True), ([1, 2.0], typing.List[int], False), ([], typing.List[int], True),
    ({"a": 1}, typing.Dict[str, int], True), ({"a": "b"}, typing.Dict[str, int], False),
    ((1, "a"), typing.Tuple[int, str], True), ((1, 2), typing.Tuple[int, str], False),
    ((1, 2, 3), typing.Tuple[int, ...], True), (None, typing.Optional[int], True), ("x", typing.Optional[int], False),
    (3, typing.Union[int, str], True), ([[1], [2]], list[list[int]], True), ([[1], ["x"]], list[list[int]], False),
    (tg.ones(1), tg.Tensor, True), (1, typing.Any, True),
])
def test_isinstance_checks_contained_types(value, tp, expected):
    assert jit.isinstance(value, tp) is expected


@pytest.mark.parametrize("tp, message", [
    (list, "Attempted to use list without a contained type. Please add a contained type, e.g. list[int]"),
    (typing.Dict, "Attempted to use Dict without contained types. Please add contained type, e.g. Dict[int, int]"),
    (typing.Optional, "Attempted to use Optional without a contained type. Please add a contained type, e.g. "
                      "Optional[int]"),
])
def test_isinstance_refuses_bare_containers(tp, message):
    with pytest.raises(RuntimeError) as info:
        jit.isinstance([1], tp)
    assert str(info.value) == message


def test_fusion_switches():
    before = jit.onednn_fusion_enabled()
    try:
        assert jit.enable_onednn_fusion(True) is None and jit.onednn_fusion_enabled() is True
        jit.enable_onednn_fusion(False)
        assert jit.onednn_fusion_enabled() is False
    finally:
        jit.enable_onednn_fusion(before)
    previous = jit.set_fusion_strategy([("DYNAMIC", 3)])
    try:
        assert jit.set_fusion_strategy([("STATIC", 1)]) == [("DYNAMIC", 3)]
        with pytest.raises(ValueError, match="^FusionBehavior only supported 'STATIC' or 'DYNAMIC', got: X$"):
            jit.set_fusion_strategy([("X", 2)])
    finally:
        jit.set_fusion_strategy(previous)
    with jit.optimized_execution(False), jit.fuser("fuser1"):
        pass
    with pytest.raises(Exception, match=r"^unrecognized fuser option \(name: nope\)$"):
        with jit.fuser("nope"):
            pass
    with pytest.warns(UserWarning, match="^Only works in script mode$"):
        with jit.strict_fusion():
            pass


# --------------------------------------------------------------------------- futures
def test_fork_runs_now_and_wait_returns_the_value():
    calls = []
    fut = jit.fork(lambda a, b=1: calls.append(a) or a + b, 2, b=5)
    assert calls == [2] and fut.done() and isinstance(fut, jit.Future)
    assert jit.wait(fut) == 7 and fut.value() == 7
    with pytest.raises(ZeroDivisionError):
        jit.fork(lambda: 1 / 0)
    with pytest.raises(TypeError, match="expected a torch.jit.Future"):
        jit.wait(3)


def test_future_protocol():
    fut = jit.Future()
    seen = []
    fut.add_done_callback(lambda f: seen.append(f.value()))
    chained = fut.then(lambda f: f.wait() * 10)
    assert not fut.done() and not chained.done()
    with pytest.raises(RuntimeError):
        fut.value()
    fut.set_result(4)
    assert seen == [4] and chained.wait() == 40
    with pytest.raises(RuntimeError, match="^Attempting to mark a completed Future as complete again"):
        fut.set_result(5)
    failed = jit.Future()
    failed.set_exception(ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        failed.wait()
    with pytest.raises(RuntimeError, match="^Got the following error when running the callback: ValueError: boom"):
        failed.then(lambda f: f.wait()).wait()
    with pytest.raises(AssertionError, match="^3 is of type <class 'int'>, not an Exception.$"):
        jit.Future().set_exception(3)


def test_future_wait_blocks_until_another_thread_sets_it():
    fut = jit.Future()
    timer = threading.Timer(0.05, fut.set_result, args=("late",))
    timer.start()
    assert fut.wait() == "late"
    timer.join()


# --------------------------------------------------------------------------- script and trace of functions
def test_script_function():
    with pytest.warns(DeprecationWarning, match="^`torch.jit.script` is deprecated. Please switch to `torch.compile`"):
        sf = jit.script(_double)
    assert isinstance(sf, jit.ScriptFunction) and sf.name == "_double" and sf.qualified_name == "__torch__._double"
    assert sf(tg.tensor([1.0, 2.0])).tolist() == [2.0, 4.0] and sf(x=tg.tensor(3.0)).item() == 6.0
    assert jit.script(sf) is sf
    with pytest.warns(FutureWarning, match="^`optimize` is deprecated and has no effect"):
        jit.script(_double, optimize=True)


def test_script_refuses_what_pytorch_refuses():
    with pytest.raises(RuntimeError, match=r"^Expected a single top-level function: .*test_core_jit.py:\d+$"):
        jit.script(lambda x: x)
    for obj, name in ((3, "int"), (None, "NoneType"), ("s", "str")):
        with pytest.raises(TypeError, match=f"^<class '{name}'> is a built-in class$"):
            jit.script(obj)

    class Pair:
        pass
    assert jit.script(Pair) is Pair
    d = {"a": 1}
    copied = jit.script(d)
    assert copied == d and copied is not d


def test_trace_runs_the_function_once_then_the_python_code_on_each_call():
    calls = []

    def f(x):
        calls.append(1)
        return x * 2 if x.sum().item() > 0 else -x    # a data-dependent branch
    with pytest.warns(DeprecationWarning, match="^`torch.jit.trace` is deprecated"):
        tf = jit.trace(f, tg.ones(2))
    assert isinstance(tf, jit.ScriptFunction) and len(calls) == 1
    assert tf(-tg.ones(2)).tolist() == [1.0, 1.0] and len(calls) == 2   # the other branch, taken anew
    tf2 = jit.trace(lambda a, b: a + b, [tg.ones(1), tg.ones(1)])       # a list is the argument list
    assert tf2(tg.ones(1), tg.ones(1)).item() == 2.0
    tf3 = jit.trace(lambda x: x, example_kwarg_inputs={"x": tg.ones(1)})
    assert tf3(tg.zeros(1)).item() == 0.0


_T = tg.ones(2)


@pytest.mark.parametrize("example, exc, message", [
    ((_T, 1), RuntimeError, "Type 'Tuple[Tensor, int]' cannot be traced. Only Tensors and (possibly nested) Lists, "
                            "Dicts, and Tuples of Tensors can be traced"),
    ((_T, None), RuntimeError, "Type 'Tuple[Tensor, NoneType]' cannot be traced."),
    ((_T, [1, 2]), RuntimeError, "Type 'Tuple[Tensor, List[int]]' cannot be traced."),
    ((_T, {"a": 1}), RuntimeError, "Type 'Tuple[Tensor, Dict[str, int]]' cannot be traced."),
    ((_T, (_T, (_T, 2))), RuntimeError, "Type 'Tuple[Tensor, Tuple[Tensor, Tuple[Tensor, int]]]' cannot be traced."),
    ((_T, [_T, 1]), RuntimeError, "Tracer cannot infer type of (tensor([1., 1.]), [tensor([1., 1.]), 1])\n:List "
                                  "inputs to traced functions must have consistent element type. Found Tensor and int"),
    ((_T, []), RuntimeError, "Tracer cannot infer type of (tensor([1., 1.]), [])\n:List trace inputs must have "
                             "elements"),
    ((_T, {}), RuntimeError, "Tracer cannot infer type of (tensor([1., 1.]), {})\n:Dictionary inputs must have "
                             "entries"),
    (3, TypeError, "'int' object is not iterable"),
    (None, TypeError, "'NoneType' object is not iterable"),
])
def test_trace_checks_the_example_inputs(example, exc, message):
    with pytest.raises(exc) as info:
        jit.trace(lambda *a: a[0], example)
    assert str(info.value).startswith(message)


def test_trace_accepts_nested_tensor_containers():
    assert jit.trace(lambda a, b: a, (_T, [(_T, _T)]))(_T, [(_T, _T)]) is _T
    assert jit.trace(lambda a, b: a, (_T, {"k": _T}))(_T, {}) is _T


@pytest.mark.parametrize("fn, kwargs, message", [
    (lambda x: None, {}, "The traced function didn't return any values! Side-effects are not captured in traces, so "
                         "it would be a no-op."),
    (lambda x: 3, {}, "Only tensors, lists, tuples of tensors, or dictionary of tensors can be output from traced "
                      "functions"),
    (lambda x: (x, 1), {}, "Only tensors, lists, tuples of tensors"),
    (lambda x: {"a": x}, {}, "Encountering a dict at the output of the tracer might cause the trace to be incorrect"),
    (lambda x: {"a": [x]}, {"strict": False}, "output ({'a': [tensor([1., 1.])]}) of traced region cannot be "
                                              "understood by the tracer, only outputs matching dict[Union[str, "
                                              "Tensor], Union[Tensor, Tuple[Tensor, ...]]]"),
])
def test_trace_checks_the_output(fn, kwargs, message):
    with pytest.raises(RuntimeError) as info:
        jit.trace(fn, _T, **kwargs)
    assert str(info.value).startswith(message)


def test_trace_output_containers():
    with pytest.warns(jit.TracerWarning, match="^Encountering a list at the output of the tracer"):
        jit.trace(lambda x: [x, x], _T)
    with warnings.catch_warnings():
        warnings.simplefilter("error", jit.TracerWarning)
        jit.trace(lambda x: [x], _T, strict=False)
        out = jit.trace(lambda x: {"a": x, "b": (x, x)}, _T, strict=False)(_T)
    assert set(out) == {"a", "b"}
    with pytest.raises(RuntimeError, match="^Could not get name of python class object$"):
        jit.trace(3, _T)


# --------------------------------------------------------------------------- modules
_MODELS_SOURCE = """
import tensorgraft.nn as nn
from tensorgraft import jit


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)
        self.seq = nn.Sequential(nn.ReLU(), nn.Linear(2, 2))
        self.scale = 2.0
        self.sizes = [1, 2]

    def forward(self, x):
        return self.seq(self.fc(x)) * self.scale

    @jit.export
    def first(self, x):
        return self.fc(x)
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A module of model classes importable by name (jit.save stores classes by import name)."""
    _nn()
    folder = tmp_path_factory.mktemp("jit_models")
    (folder / "tg_jit_test_models.py").write_text(_MODELS_SOURCE)
    sys.path.insert(0, str(folder))
    try:
        import tg_jit_test_models
        yield tg_jit_test_models
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("tg_jit_test_models", None)


_SCRIPTED_REPR = """RecursiveScriptModule(
  original_name=Net
  (fc): RecursiveScriptModule(original_name=Linear)
  (seq): RecursiveScriptModule(
    original_name=Sequential
    (0): RecursiveScriptModule(original_name=ReLU)
    (1): RecursiveScriptModule(original_name=Linear)
  )
)"""

_TRACED_REPR = """Net(
  original_name=Net
  (fc): Linear(original_name=Linear)
  (seq): Sequential(
    original_name=Sequential
    (0): ReLU(original_name=ReLU)
    (1): Linear(original_name=Linear)
  )
)"""


def test_script_module_is_a_script_module_copy_sharing_the_weights(models):
    nn = _nn()
    Net = models.Net
    m = Net()
    sm = jit.script(m)
    assert type(sm).__name__ == "RecursiveScriptModule" and sm is not m
    assert isinstance(sm, jit.ScriptModule) and isinstance(sm, jit.RecursiveScriptModule) and isinstance(sm, nn.Module)
    assert not isinstance(m, jit.ScriptModule) and not isinstance(nn.Linear(1, 1), jit.ScriptModule)
    assert repr(sm) == _SCRIPTED_REPR and sm.original_name == "Net" and sm.seq[1].original_name == "Linear"
    assert list(sm.state_dict()) == list(m.state_dict())
    assert sm.fc.weight is m.fc.weight                 # shared: an optimizer step on one is seen by the other
    x = _t(4, 3)
    assert tg.equal(sm(x), m(x)) and tg.equal(sm.first(x), m.fc(x))
    with tg.no_grad():
        m.fc.weight.add_(1.0)
    assert tg.equal(sm(x), m(x))
    m.scale, m.sizes[0] = 5.0, 9                        # plain attributes were copied
    assert sm.scale == 2.0 and sm.sizes == [1, 2]
    assert jit.script(sm) is sm
    with pytest.raises(RuntimeError, match="cannot be compiled since it inherits from nn.Module, pass an instance"):
        jit.script(Net)


def test_trace_module_runs_forward_once_through_call(models):
    Net = models.Net
    m = Net().eval()
    calls = []
    m.register_forward_hook(lambda mod, args, out: calls.append(1))
    tm = jit.trace(m, _t(1, 3))
    assert len(calls) == 1
    assert type(tm).__name__ == "TopLevelTracedModule" and type(tm.fc).__name__ == "TracedModule"
    assert isinstance(tm, jit.TopLevelTracedModule) and isinstance(tm.fc, jit.TracedModule)
    assert repr(tm) == _TRACED_REPR and tm.training is False
    x = _t(2, 3, seed=1)
    assert tg.equal(tm(x), m(x))
    with pytest.warns(UserWarning, match="^The input to trace is already a ScriptModule, tracing it is a no-op"):
        assert jit.trace(tm, x) is tm
    assert type(jit.trace(m.forward, x)).__name__ == "TopLevelTracedModule"
    with pytest.raises(AttributeError, match="^trace doesn't support compiling individual module's functions"):
        jit.trace(m.first, x)


def test_trace_module_methods_and_errors(models):
    Net = models.Net
    m = Net()
    tm = jit.trace_module(m, {"forward": _t(1, 3), "first": (_t(1, 3),)})
    assert type(tm).__name__ == "TopLevelTracedModule"
    with pytest.raises(AttributeError, match="^expected torch.nn.Module as the first argument$"):
        jit.trace_module(_double, {"forward": _T})
    with pytest.raises(AttributeError, match=r"^expected a dictionary of \(method_name, input\) pairs$"):
        jit.trace_module(m, _T)
    with pytest.raises(AttributeError, match="'nope'"):
        jit.trace_module(m, {"nope": _T})


def test_freeze_makes_the_weights_constants(models):
    Net = models.Net
    m = Net()
    with pytest.raises(RuntimeError, match="^Freezing expects a ScriptModule as input. Please use torch.jit.script"):
        jit.freeze(m.eval())
    sm = jit.script(m.train())
    with pytest.raises(RuntimeError, match="^Freezing is currently only implemented for modules in eval mode"):
        jit.freeze(sm)
    sm.eval()
    x = _t(3, 3, seed=2)
    expected = m(x)
    fr = jit.freeze(sm)
    assert type(fr).__name__ == "RecursiveScriptModule" and isinstance(fr, jit.ScriptModule)
    assert list(fr.parameters()) == [] and list(fr.state_dict()) == [] and list(fr.buffers()) == []
    out = fr(x)
    assert tg.equal(out, expected) and not out.requires_grad and out.grad_fn is None
    with tg.no_grad():
        m.fc.weight.add_(1.0)                           # constants were cloned
    assert tg.equal(fr(x), expected)
    assert fr.train() is fr and fr.training is False


def test_freeze_keeps_tied_weights_tied_and_buffers_constant():
    nn = _nn()
    tied = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 3))
    tied[2].weight = tied[0].weight
    fr = jit.freeze(jit.script(tied).eval())
    assert fr[0].weight is fr[2].weight and fr[1].running_mean is not tied[1].running_mean


def test_optimize_for_inference(models):
    Net = models.Net
    sm = jit.script(Net())
    assert sm.training
    opt = jit.optimize_for_inference(sm)
    assert sm.training is False and list(opt.parameters()) == []
    assert jit.optimize_for_inference(opt) is opt
    with pytest.raises(RuntimeError, match="^optimize_for_inference expects a ScriptModule as input"):
        jit.optimize_for_inference(Net())


def test_old_style_script_module_subclass():
    nn = _nn()

    class Old(jit.ScriptModule):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        @jit.script_method
        def forward(self, x):
            return self.lin(x) + 1
    old = Old()
    assert isinstance(old, jit.ScriptModule) and jit.script(old) is old
    x = _t(1, 2)
    assert tg.equal(old(x), old.lin(x) + 1)


# --------------------------------------------------------------------------- save and load
def _roundtrip(module, **load_kwargs):
    buf = io.BytesIO()
    jit.save(module, buf)
    buf.seek(0)
    return jit.load(buf, **load_kwargs)


def test_save_load_round_trip(models):
    nn = _nn()
    Net = models.Net
    m = Net()
    m.fc.weight.requires_grad_(False)
    m.register_buffer("stat", tg.arange(3.0))
    m.register_buffer("scratch", tg.zeros(2), persistent=False)
    m.kind, m.act, m.table = tg.float64, nn.functional.relu, {"a": (1, 2.5, None), 3: [tg.int32, "s"]}
    loaded = _roundtrip(jit.script(m))
    assert type(loaded).__name__ == "RecursiveScriptModule" and repr(loaded) == _SCRIPTED_REPR
    assert loaded.training is True and loaded.fc.training is True
    assert list(loaded.state_dict()) == list(m.state_dict())
    for k, v in m.state_dict().items():
        assert tg.equal(loaded.state_dict()[k], v)
    assert isinstance(loaded.fc.bias, nn.Parameter) and loaded.fc.bias.requires_grad
    assert not loaded.fc.weight.requires_grad and "scratch" not in loaded.state_dict()
    assert loaded.kind is tg.float64 and loaded.act is nn.functional.relu and loaded.sizes == [1, 2]
    assert loaded.table == m.table
    x = _t(2, 3, seed=3)
    assert tg.equal(loaded(x), m(x)) and tg.equal(loaded.first(x), m.first(x))


def test_saved_references_to_jit_names_use_the_public_module():
    """A reference is stored as "module:qualname"; those to jit's own names say tensorgraft.jit, as files
    written before jit became a package do, so both kinds load."""
    nn = _nn()
    m = nn.Linear(2, 2)
    m.check, m.future_class = jit.isinstance, jit.Future
    buf = io.BytesIO()
    jit.save(jit.script(m), buf)
    buf.seek(0)
    record = tg.load(buf)["tensorgraft.jit"]["modules"][0]
    assert record["attributes"]["check"] == ["ref", "tensorgraft.jit:isinstance"]
    assert record["attributes"]["future_class"] == ["ref", "tensorgraft.jit:Future"]
    buf.seek(0)
    loaded = jit.load(buf)
    assert loaded.check is jit.isinstance and loaded.future_class is jit.Future


def test_save_load_keeps_sharing_and_modes():
    nn = _nn()
    tied = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
    tied[1].weight = tied[0].weight
    tied.eval()
    loaded = _roundtrip(jit.trace(tied, _t(1, 3)))
    assert type(loaded).__name__ == "RecursiveScriptModule"   # as PyTorch loads a traced module
    assert loaded[0].weight is loaded[1].weight and loaded.training is False
    frozen = _roundtrip(jit.freeze(jit.script(tied)))
    assert list(frozen.parameters()) == [] and tg.equal(frozen(_t(2, 3)), tied(_t(2, 3)))
    assert frozen.train() is frozen and frozen.training is False


def test_extra_files_and_map_location(tmp_path):
    nn = _nn()
    path = tmp_path / "m.pt"
    jit.save(jit.script(nn.Linear(2, 2)), path, _extra_files={"meta.json": '{"v": 1}', "raw": b"\x00\x01"})
    extra = {"meta.json": "", "raw": "", "absent": "keep"}
    loaded = jit.load(str(path), map_location="cpu", _extra_files=extra)
    assert extra == {"meta.json": b'{"v": 1}', "raw": b"\x00\x01", "absent": "keep"}
    assert json.loads(extra["meta.json"]) == {"v": 1} and loaded.weight.device == tg.device("cpu")
    jit.script(nn.Linear(2, 2)).save(str(path))             # ScriptModule.save writes the same format
    assert type(jit.load(path)).__name__ == "RecursiveScriptModule"


def test_load_in_a_fresh_process(tmp_path):
    nn = _nn()
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).eval()
    path = tmp_path / "seq.pt"
    jit.save(jit.script(model), str(path))
    x = _t(2, 3, seed=4)
    code = textwrap.dedent(f"""
        import tensorgraft as tg
        m = tg.jit.load({str(path)!r})
        print(type(m).__name__, m(tg.tensor({x.tolist()!r})).tolist())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    kind, values = out.stdout.split(" ", 1)
    assert kind == "RecursiveScriptModule"
    np.testing.assert_allclose(np.array(eval(values)), model(x).detach().numpy(), rtol=1e-6)


def test_load_needs_the_classes_importable(tmp_path):
    _nn()
    (tmp_path / "jit_model_mod.py").write_text(textwrap.dedent("""
        import tensorgraft.nn as nn
        class Small(nn.Module):
            def __init__(self):
                super().__init__()
                self.lin = nn.Linear(2, 2)
            def forward(self, x):
                return self.lin(x)
    """))
    path = tmp_path / "small.pt"
    save_code = ("import sys; sys.path.insert(0, {d!r}); import tensorgraft as tg, jit_model_mod; "
                 "tg.jit.save(tg.jit.script(jit_model_mod.Small()), {p!r})").format(d=str(tmp_path), p=str(path))
    subprocess.run([sys.executable, "-c", save_code], capture_output=True, text=True, timeout=120, check=True)
    load_code = f"import tensorgraft as tg; tg.jit.load({str(path)!r})"
    proc = subprocess.run([sys.executable, "-c", load_code], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "needs the class jit_model_mod:Small, which cannot be imported here" in proc.stderr


def test_save_refuses_what_it_cannot_write():
    nn = _nn()
    with pytest.raises(AttributeError, match="^'Linear' object has no attribute 'save'$"):
        jit.save(nn.Linear(2, 2), io.BytesIO())
    with pytest.raises(RuntimeError, match="a scripted function is Python code"):
        jit.save(jit.script(_double), io.BytesIO())
    hooked = nn.Linear(2, 2)
    hooked.register_forward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="cannot store the hooks registered on the module"):
        jit.save(jit.script(hooked), io.BytesIO())
    with_lambda = nn.Linear(2, 2)
    with_lambda.post = lambda y: y
    with pytest.raises(RuntimeError, match="cannot store attribute 'post' of type builtins.function"):
        jit.save(jit.script(with_lambda), io.BytesIO())

    class Local(nn.Module):
        def forward(self, x):
            return x
    with pytest.raises(RuntimeError, match="cannot be imported by that name: define the class at the top level"):
        jit.save(jit.script(Local()), io.BytesIO())
    with pytest.raises(TypeError, match="_extra_files must map str names to str or bytes"):
        jit.save(jit.script(nn.Linear(2, 2)), io.BytesIO(), _extra_files={"a": 3})


def _zip_bytes(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in names:
            z.writestr(name, b"x")
    return buf.getvalue()


def test_load_explains_what_it_cannot_read(tmp_path):
    with pytest.raises(ValueError, match="^The provided filename .*missing.pt does not exist$"):
        jit.load(str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match="is a directory$"):
        jit.load(str(tmp_path))
    script_archive = tmp_path / "scripted.pt"
    script_archive.write_bytes(_zip_bytes(["model/data.pkl", "model/code/__torch__.py", "model/constants.pkl"]))
    with pytest.raises(RuntimeError, match="is a TorchScript archive written by PyTorch. tensorgraft runs no "
                                           r"TorchScript, so jit.load reads only .*torch.save\(model.state_dict"):
        jit.load(str(script_archive))
    checkpoint = io.BytesIO(_zip_bytes(["archive/data.pkl", "archive/version"]))
    with pytest.raises(RuntimeError, match=r"is a zip archive \(e.g. a PyTorch torch.save file\).* A torch.save "
                                           r"checkpoint loads with tensorgraft.load\(path\)"):
        jit.load(checkpoint)
    plain = tmp_path / "weights.safetensors"
    tg.save({"w": tg.ones(2)}, str(plain))
    with pytest.raises(RuntimeError, match="was not written by tensorgraft.jit.save"):
        jit.load(str(plain))
