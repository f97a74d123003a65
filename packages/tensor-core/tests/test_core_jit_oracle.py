"""tensorgraft.jit against PyTorch's torch.jit: the same model scripted, traced and frozen in both gives
the same outputs, classes and printout; eager answers, checks and messages agree."""
from __future__ import annotations

import io
import typing
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft import jit  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


def _nn():
    return pytest.importorskip("tensorgraft.nn", reason="scripted and traced modules derive from tensorgraft-nn's Module")


class Net(torch.nn.Module):  # the same name as tensorgraft's, so the printouts can be compared
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
        self.bn = torch.nn.BatchNorm1d(4)
        self.seq = torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(4, 2))
        self.scale = 2.0

    def forward(self, x):
        return self.seq(self.bn(self.fc(x))) * self.scale


_TG_NET_SOURCE = """
import tensorgraft.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.seq = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))
        self.scale = 2.0

    def forward(self, x):
        return self.seq(self.bn(self.fc(x))) * self.scale
"""


@pytest.fixture(scope="module")
def tg_net(tmp_path_factory):
    """tensorgraft's Net, importable by name (jit.save stores classes by import name)."""
    import sys
    _nn()
    folder = tmp_path_factory.mktemp("jit_oracle_models")
    (folder / "tg_jit_oracle_models.py").write_text(_TG_NET_SOURCE)
    sys.path.insert(0, str(folder))
    try:
        import tg_jit_oracle_models
        yield tg_jit_oracle_models.Net
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("tg_jit_oracle_models", None)


def _pair(tg_net, seed=0):
    """The same network in both frameworks (tensorgraft's weights copied from PyTorch's)."""
    torch.manual_seed(seed)
    theirs, ours = Net(), tg_net()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((5, 3)).astype(np.float32)
    return theirs, ours, torch.tensor(x), tg.tensor(x)


def _close(a, b):
    np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6)


def _names(module):
    return [type(m).__name__ for m in module.modules()]


def test_scripted_module_matches(tg_net):
    theirs, ours, tx, gx = _pair(tg_net, 0)
    ts, gs = torch.jit.script(theirs), jit.script(ours)
    _close(ts(tx), gs(gx))
    assert repr(gs) == repr(ts) and _names(gs) == _names(ts)
    assert isinstance(gs, jit.ScriptModule) == isinstance(ts, torch.jit.ScriptModule) is True
    assert list(gs.state_dict()) == list(ts.state_dict()) and gs.original_name == ts.original_name
    ts.eval()
    gs.eval()
    _close(ts(tx), gs(gx))


def test_traced_module_matches(tg_net):
    theirs, ours, tx, gx = _pair(tg_net, 1)
    theirs.eval()
    ours.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tt = torch.jit.trace(theirs, tx)
    gt = jit.trace(ours, gx)
    _close(tt(tx), gt(gx))
    assert repr(gt) == repr(tt) and _names(gt) == _names(tt) and gt.training == tt.training


def test_frozen_module_matches(tg_net):
    theirs, ours, tx, gx = _pair(tg_net, 2)
    tf = torch.jit.freeze(torch.jit.script(theirs.eval()))
    gf = jit.freeze(jit.script(ours.eval()))
    t_out, g_out = tf(tx), gf(gx)
    _close(t_out, g_out)
    assert g_out.requires_grad == t_out.requires_grad is False
    assert list(gf.parameters()) == list(tf.parameters()) == []
    assert list(gf.state_dict()) == list(tf.state_dict()) == []
    assert type(gf).__name__ == type(tf).__name__


def test_optimize_for_inference_leaves_the_module_in_eval_mode(tg_net):
    theirs, ours, tx, gx = _pair(tg_net, 3)
    ts, gs = torch.jit.script(theirs), jit.script(ours)
    to, go = torch.jit.optimize_for_inference(ts), jit.optimize_for_inference(gs)
    assert gs.training == ts.training is False
    _close(to(tx), go(gx))


def test_saved_and_loaded_module_matches(tg_net, tmp_path):
    theirs, ours, tx, gx = _pair(tg_net, 4)
    torch.jit.save(torch.jit.script(theirs), str(tmp_path / "t.pt"))
    buf = io.BytesIO()
    jit.save(jit.script(ours), buf)
    buf.seek(0)
    tl, gl = torch.jit.load(str(tmp_path / "t.pt")), jit.load(buf)
    assert type(gl).__name__ == type(tl).__name__ and gl.training == tl.training
    _close(tl(tx), gl(gx))
    with pytest.raises(RuntimeError, match="is a TorchScript archive written by PyTorch"):
        jit.load(str(tmp_path / "t.pt"))
    torch.save(theirs.state_dict(), str(tmp_path / "sd.pt"))
    with pytest.raises(RuntimeError, match=r"is a zip archive \(e.g. a PyTorch torch.save file\)"):
        jit.load(str(tmp_path / "sd.pt"))


def _f(x, y):
    return x * y + 1


def test_scripted_and_traced_functions_match():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(4), rng.standard_normal(4)
    ts, gs = torch.jit.script(_f), jit.script(_f)
    _close(ts(torch.tensor(a), torch.tensor(b)), gs(tg.tensor(a), tg.tensor(b)))
    tt, gt = torch.jit.trace(_f, (torch.tensor(a), torch.tensor(b))), jit.trace(_f, (tg.tensor(a), tg.tensor(b)))
    _close(tt(torch.tensor(b), torch.tensor(a)), gt(tg.tensor(b), tg.tensor(a)))
    assert gs.name == ts.name == "_f"


def test_public_names_are_pytorchs():
    """Every name tensorgraft.jit offers is one torch.jit has, under the same name (isinstance included)."""
    lazy = ["ScriptModule", "RecursiveScriptModule", "TracedModule", "TopLevelTracedModule"]
    missing = [n for n in [*jit.__all__, *lazy] if not hasattr(torch.jit, n)]
    assert missing == []
    assert jit.isinstance.__name__ == torch.jit.isinstance.__name__ == "isinstance"
    assert set(lazy) <= set(dir(jit)) and set(lazy) <= set(dir(torch.jit))


def test_eager_answers_match():
    assert jit.is_scripting() == torch.jit.is_scripting() and jit.is_tracing() == torch.jit.is_tracing()
    assert jit.onednn_fusion_enabled() == torch.jit.onednn_fusion_enabled()
    assert jit.annotate(int, 3) == torch.jit.annotate(int, 3) and jit.Final is torch.jit.Final
    assert jit.Attribute._fields == torch.jit.Attribute._fields
    for name in ("Error", "TracerWarning", "TracingCheckError"):
        assert [c.__name__ for c in getattr(jit, name).__mro__] == [c.__name__ for c in getattr(torch.jit, name).__mro__]
    assert jit.wait(jit.fork(_f, 2, 3)) == torch.jit.wait(torch.jit.fork(_f, 2, 3))
    previous_t = torch.jit.set_fusion_strategy([("STATIC", 1)])
    previous_g = jit.set_fusion_strategy([("STATIC", 1)])
    try:
        assert previous_g == previous_t
    finally:
        torch.jit.set_fusion_strategy(previous_t)
        jit.set_fusion_strategy(previous_g)


@pytest.mark.parametrize("value, tp", [
    ([1, 2], typing.List[int]), ([1.0], typing.List[int]), ({"a": 1}, typing.Dict[str, int]),
    ((1, "a"), typing.Tuple[int, str]), (None, typing.Optional[int]), (3, typing.Union[int, str]),
    ([[1], [2]], typing.List[typing.List[int]]), (True, int), ("x", typing.Optional[int]),
])
def test_isinstance_matches(value, tp):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert jit.isinstance(value, tp) == torch.jit.isinstance(value, tp)


def _error(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the error itself is compared
            return type(exc).__name__, str(exc)
    return None


def _check_same_error(theirs, ours):
    expected = _error(theirs)
    assert expected is not None
    assert _error(ours) == expected


_TRACE_INPUTS = [
    lambda lib, t: (t, 1), lambda lib, t: (t, 1.5), lambda lib, t: (t, None), lambda lib, t: (t, [1, 2]),
    lambda lib, t: (t, {"a": 1}), lambda lib, t: (t, (t, (t, 2))), lambda lib, t: (t, [t, 1]),
    lambda lib, t: (t, []), lambda lib, t: (t, {}), lambda lib, t: (t, [1.5, 2]), lambda lib, t: (t, {"a": t, 2: t}),
    lambda lib, t: (t, [(t, t), (t,)]), lambda lib, t: 3, lambda lib, t: None,
]


@pytest.mark.parametrize("make", _TRACE_INPUTS)
def test_trace_input_errors_match(make):
    _check_same_error(lambda: torch.jit.trace(lambda *a: a[0], make(torch, torch.ones(2)), check_trace=False),
                      lambda: jit.trace(lambda *a: a[0], make(tg, tg.ones(2))))


@pytest.mark.parametrize("fn, strict", [
    (lambda x: None, True), (lambda x: 3, True), (lambda x: (x, 1), True), (lambda x: {"a": x}, True),
    (lambda x: (x, None), False),
])
def test_trace_output_errors_match(fn, strict):
    _check_same_error(lambda: torch.jit.trace(fn, torch.ones(2), strict=strict, check_trace=False),
                      lambda: jit.trace(fn, tg.ones(2), strict=strict))


def test_trace_list_output_warns_alike():
    def messages(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return [(w.category.__name__, str(w.message)) for w in caught if w.category.__name__ == "TracerWarning"]
    theirs = messages(lambda: torch.jit.trace(lambda x: [x, x], torch.ones(2), check_trace=False))
    assert messages(lambda: jit.trace(lambda x: [x, x], tg.ones(2))) == theirs and len(theirs) == 1


def test_deprecation_warnings_match():
    def texts(call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        return {str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)}
    assert texts(lambda: jit.script(_f)) == texts(lambda: torch.jit.script(_f))
    assert texts(lambda: jit.trace(_f, (tg.ones(1), tg.ones(1)))) == \
        texts(lambda: torch.jit.trace(_f, (torch.ones(1), torch.ones(1)), check_trace=False))


def test_module_errors_match():
    nn = _nn()
    _check_same_error(lambda: torch.jit.freeze(torch.nn.Linear(2, 2).eval()), lambda: jit.freeze(nn.Linear(2, 2).eval()))
    _check_same_error(lambda: torch.jit.freeze(torch.jit.script(torch.nn.Linear(2, 2))),
                      lambda: jit.freeze(jit.script(nn.Linear(2, 2))))
    _check_same_error(lambda: torch.jit.optimize_for_inference(torch.nn.Linear(2, 2)),
                      lambda: jit.optimize_for_inference(nn.Linear(2, 2)))
    _check_same_error(lambda: torch.jit.save(torch.nn.Linear(2, 2), "unused.pt"),
                      lambda: jit.save(nn.Linear(2, 2), "unused.pt"))
    _check_same_error(lambda: torch.jit.trace_module(_f, {"forward": torch.ones(1)}),
                      lambda: jit.trace_module(_f, {"forward": tg.ones(1)}))
    _check_same_error(lambda: torch.jit.trace_module(torch.nn.Linear(2, 2), torch.ones(2)),
                      lambda: jit.trace_module(nn.Linear(2, 2), tg.ones(2)))
    _check_same_error(lambda: torch.jit.trace(torch.nn.Linear(2, 2).extra_repr, torch.ones(2)),
                      lambda: jit.trace(nn.Linear(2, 2).extra_repr, tg.ones(2)))


def test_script_errors_match():
    for obj in (3, None, "s"):
        _check_same_error(lambda: torch.jit.script(obj), lambda: jit.script(obj))
    _check_same_error(lambda: torch.jit.trace(3, torch.ones(1)), lambda: jit.trace(3, tg.ones(1)))
    _check_same_error(lambda: torch.jit.ignore(3), lambda: jit.ignore(3))
    _check_same_error(lambda: torch.jit.interface(3), lambda: jit.interface(3))
    theirs = _error(lambda: torch.jit.script(lambda x: x))
    ours = _error(lambda: jit.script(lambda x: x))
    assert ours[0] == theirs[0] and ours[1].split(":")[0] == theirs[1].split(":")[0]


def test_load_errors_match(tmp_path):
    for path in (str(tmp_path / "missing.pt"), str(tmp_path)):
        _check_same_error(lambda: torch.jit.load(path), lambda: jit.load(path))


def test_future_errors_match():
    def twice(lib):
        fut = lib.futures.Future() if lib is torch else jit.Future()
        fut.set_result(1)
        fut.set_result(2)
    _check_same_error(lambda: twice(torch), lambda: twice(tg))
    _check_same_error(lambda: torch.futures.Future().set_exception(3), lambda: jit.Future().set_exception(3))

    def failing_callback(lib):
        fut = lib.futures.Future() if lib is torch else jit.Future()
        fut.set_exception(ValueError("boom"))
        fut.then(lambda f: f.wait()).wait()
    theirs, ours = _error(lambda: failing_callback(torch)), _error(lambda: failing_callback(tg))
    assert ours[0] == theirs[0] and theirs[1].startswith(ours[1])


def test_ignore_warnings_match():
    def caught(call):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            call()
        return [(x.category.__name__, str(x.message).removesuffix(" {}")) for x in w]
    assert caught(lambda: jit.ignore(True)) == caught(lambda: torch.jit.ignore(True))
    assert caught(lambda: jit.ignore(drop_on_export=True)) == caught(lambda: torch.jit.ignore(drop_on_export=True))
