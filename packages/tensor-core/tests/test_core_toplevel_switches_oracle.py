"""Top-level constants, version comparisons, global switches, typename, set_default_tensor_type,
fork_rng, assert_allclose and the accelerator's CPU-build answers against PyTorch (oracle)."""
import inspect
import operator
import warnings

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import global_switches
from tensorgraft.torch_version import TorchVersion

torch = pytest.importorskip("torch")
from torch.torch_version import TorchVersion as TorchsVersion  # noqa: E402


@pytest.fixture
def both_restored():
    """Leave both libraries' switches as found (they are process-wide)."""
    saved = dict(vars(global_switches._state))
    t_det, t_warn = torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled()
    t_prec, t_always = torch.get_float32_matmul_precision(), torch.is_warn_always_enabled()
    yield
    vars(global_switches._state).clear()
    vars(global_switches._state).update(saved)
    torch.use_deterministic_algorithms(t_det, warn_only=t_warn)
    torch.set_float32_matmul_precision(t_prec)
    torch.set_warn_always(t_always)
    torch.set_default_dtype(torch.float32)
    tg.set_default_dtype(tg.float32)


def _error(call):
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the type and message are what is compared
        return type(exc), str(exc)
    return None


def test_constants_match():
    for name in ("pi", "e", "inf"):
        assert getattr(tg, name) == getattr(torch, name) and type(getattr(tg, name)) is type(getattr(torch, name))
    assert np.isnan(tg.nan) and tg.newaxis is torch.newaxis


def test_version_module_names_match():
    for name in ("cuda", "hip", "debug"):
        assert getattr(tg.version, name) == getattr(torch.version, name)  # PyTorch's CPU build
    assert type(tg.__version__).__name__ == type(torch.__version__).__name__ == "TorchVersion"


VERSIONS = ["0.9", "0.10", "1.0", "1.0.0", "1.0rc1", "1.0a2", "1.0b1", "1.0.dev3", "1.0.post2", "1.0+cpu",
            "1.10.0", "2.0", "2.13.0", "2.13.0+cpu", "2.13.0a0", "1!0.5", "abc", "1.0.post1.dev2"]
OTHERS = VERSIONS + [(1,), (1, 0), (2, 13), (2, 13, 0), [1, 10]]


def _outcome(op, a, b):
    try:
        return op(a, b)
    except TypeError as exc:
        return str(exc)


@pytest.mark.parametrize("mine", VERSIONS)
def test_torch_version_order_matches(mine):
    ours, theirs = TorchVersion(mine), TorchsVersion(mine)
    for other in OTHERS:
        for op in (operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne):
            assert _outcome(op, ours, other) == _outcome(op, theirs, other), (mine, op, other)


def test_torch_version_type_errors_match():
    for other in (1.5, None, 2):
        assert _error(lambda: TorchVersion("1.0") < other) == _error(lambda: TorchsVersion("1.0") < other)
    assert (TorchVersion("1.0") == 1) == (TorchsVersion("1.0") == 1)


def test_deterministic_switches_match(both_restored):
    for m in (tg, torch):
        m.set_deterministic_debug_mode(0)
    for mode in ("default", "warn", "error", 0, 1, 2, True):
        for m in (tg, torch):
            m.set_deterministic_debug_mode(mode)
        assert tg.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
        assert tg.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
        assert (tg.is_deterministic_algorithms_warn_only_enabled()
                == torch.is_deterministic_algorithms_warn_only_enabled())
    for args, kwargs in (((True,), {"warn_only": True}), ((False,), {}), ((True,), {})):
        for m in (tg, torch):
            m.use_deterministic_algorithms(*args, **kwargs)
        assert tg.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
    for bad in ("bad", 3, -1, 1.0, None):
        assert _error(lambda: tg.set_deterministic_debug_mode(bad)) == \
            _error(lambda: torch.set_deterministic_debug_mode(bad))
    for args, kwargs in ((("x",), {}), ((1,), {}), ((True,), {"warn_only": 1})):
        assert _error(lambda: tg.use_deterministic_algorithms(*args, **kwargs)) == \
            _error(lambda: torch.use_deterministic_algorithms(*args, **kwargs))


def test_signatures_match():
    for name in ("use_deterministic_algorithms", "set_deterministic_debug_mode", "set_float32_matmul_precision",
                 "set_warn_always", "typename", "set_default_tensor_type", "vmap"):
        ours = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(tg, name)).parameters.values()]
        theirs = [(p.name, p.kind, p.default) for p in inspect.signature(getattr(torch, name)).parameters.values()]
        assert ours == theirs, name
    ours = inspect.signature(tg.random.fork_rng).parameters
    theirs = inspect.signature(torch.random.fork_rng).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]
    ours = inspect.signature(tg.testing.assert_allclose).parameters
    theirs = inspect.signature(torch.testing.assert_allclose).parameters
    assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()]


def test_matmul_precision_matches(both_restored):
    for precision in ("high", "medium", "highest"):
        for m in (tg, torch):
            m.set_float32_matmul_precision(precision)
        assert tg.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
        assert tg.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    messages = []
    for m in (tg, torch):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            m.set_float32_matmul_precision("bad")
        messages.append([str(w.message).split(" (Triggered internally")[0] for w in seen])
    assert messages[0] == messages[1]
    assert _error(lambda: tg.set_float32_matmul_precision(1)) == _error(lambda: torch.set_float32_matmul_precision(1))


def test_small_switches_match(both_restored):
    assert _error(lambda: tg.set_flush_denormal("x")) == _error(lambda: torch.set_flush_denormal("x"))
    for bad in (0, -1, "a"):
        assert _error(lambda: tg.set_num_interop_threads(bad)) == _error(lambda: torch.set_num_interop_threads(bad))
    for value in (True, False):
        tg.set_warn_always(value)
        torch.set_warn_always(value)
        assert tg.is_warn_always_enabled() == torch.is_warn_always_enabled()
    for bad in (1, "x"):
        assert _error(lambda: tg.set_warn_always(bad)) == _error(lambda: torch.set_warn_always(bad))


def _typename_cases(m):
    dtypes = ("float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex64",
              "complex128")
    return [m.ones(2, dtype=getattr(m, d)) for d in dtypes] + [3, 3.0, "s", None, int, m.float32, m.Tensor, [1],
                                                               np.float32(1)]


def test_typename_matches():
    assert [tg.typename(o) for o in _typename_cases(tg)] == [torch.typename(o) for o in _typename_cases(torch)]


def test_set_default_tensor_type_matches(both_restored):
    for m in (tg, torch):
        m.set_warn_always(True)
    for arg in ("DoubleTensor", "torch.FloatTensor", "torch.DoubleTensor", "FloatTensor"):
        got = []
        for m in (tg, torch):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                value = getattr(m, arg) if not arg.startswith("torch.") else arg
                m.set_default_tensor_type(value)
            got.append((str(m.get_default_dtype()), [str(w.message).split(" (Triggered internally")[0] for w in seen]))
        assert got[0] == got[1], arg
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for bad in ("torch.LongTensor", "torch.FooTensor", "foo", 3, "float64"):
            mine = getattr(tg, bad) if bad == "float64" else bad
            theirs = getattr(torch, bad) if bad == "float64" else bad
            assert _error(lambda: tg.set_default_tensor_type(mine)) == \
                _error(lambda: torch.set_default_tensor_type(theirs)), bad
        assert _error(lambda: tg.set_default_tensor_type(tg.LongTensor)) == \
            _error(lambda: torch.set_default_tensor_type(torch.LongTensor))
        if not tg.accelerator.is_available():
            assert _error(lambda: tg.set_default_tensor_type("torch.cuda.FloatTensor")) == \
                _error(lambda: torch.set_default_tensor_type("torch.cuda.FloatTensor"))


def test_vmap_matches():
    x = np.random.default_rng(3).standard_normal((4, 3))
    ours = tg.vmap(lambda r: (r * r).sum())(tg.tensor(x))
    theirs = torch.vmap(lambda r: (r * r).sum())(torch.tensor(x))
    np.testing.assert_allclose(np.asarray(ours), theirs.numpy())


def test_assert_allclose_matches():
    cases = [
        (lambda m: m.ones(2), lambda m: m.zeros(2), {}),
        (lambda m: m.ones(2, dtype=m.float64), lambda m: [1.0001, 1.0], {}),
        (lambda m: m.ones(2, dtype=m.float16), lambda m: [1.0005, 1.0], {}),
        (lambda m: m.ones(2), lambda m: m.ones(2) * 1.00005, {}),
        (lambda m: m.tensor([float("nan")]), lambda m: m.tensor([float("nan")]), {"equal_nan": False}),
        (lambda m: m.ones(2), lambda m: m.ones(2), {"rtol": 1e-3}),
        (lambda m: m.ones(2), lambda m: m.zeros(2), {"msg": "custom"}),
    ]
    for actual, expected, kwargs in cases:
        results = []
        for m in (tg, torch):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                err = _error(lambda: m.testing.assert_allclose(actual(m), expected(m), **kwargs))
            results.append((err and (err[0], err[1].splitlines()[0]), [(w.category, str(w.message)) for w in seen]))
        assert results[0] == results[1], kwargs


def test_fork_rng_matches_in_effect():
    for m in (tg, torch):
        m.manual_seed(3)
        with m.random.fork_rng(devices=[]):
            m.manual_seed(10)
            m.rand(4)
        assert m.initial_seed() == 3
    ours, theirs = tg.rand(2), torch.rand(2)  # each library continues its own seed-3 stream
    tg.manual_seed(3)
    torch.manual_seed(3)
    assert tg.rand(2).tolist() == ours.tolist() and torch.rand(2).tolist() == theirs.tolist()


@pytest.mark.skipif(tg.accelerator.is_available(), reason="PyTorch here is a CPU build: compare without an accelerator")
def test_accelerator_matches_the_cpu_build():
    acc, tacc = tg.accelerator, torch.accelerator
    assert acc.is_available() == tacc.is_available() and acc.device_count() == tacc.device_count()
    assert acc.current_accelerator() == tacc.current_accelerator()
    assert acc.current_accelerator(check_available=True) == tacc.current_accelerator(check_available=True)
    for name in ("current_device_index", "synchronize", "empty_cache", "memory_allocated", "max_memory_allocated",
                 "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats", "get_memory_info",
                 "current_stream", "get_device_capability", "memory_stats", "reset_accumulated_memory_stats",
                 "empty_host_cache", "Graph"):
        assert _error(getattr(acc, name)) == _error(getattr(tacc, name)), name
    for name in ("current_stream", "get_device_capability", "synchronize", "memory_stats"):
        for arg in (0, "cpu", "cuda"):
            assert _error(lambda: getattr(acc, name)(arg)) == _error(lambda: getattr(tacc, name)(arg)), (name, arg)
    assert _error(lambda: acc.set_device_index(0)) == _error(lambda: tacc.set_device_index(0))
    assert _error(lambda: acc.device_index(0).__enter__()) == _error(lambda: tacc.device_index(0).__enter__())
    for name in ("current_device_idx", "set_device_idx"):
        args = () if name == "current_device_idx" else (0,)
        caught = []
        for mod in (acc, tacc):
            with warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                caught.append((_error(lambda: getattr(mod, name)(*args)), [str(w.message) for w in seen]))
        assert caught[0] == caught[1]
    device = tg.accelerator.current_accelerator().type if tg.accelerator.is_available() else "cpu"
    assert device == "cpu"


def test_accelerator_names_are_pytorchs():
    ours = set(tg.accelerator.__all__)
    theirs = set(torch.accelerator.__all__)
    assert ours == theirs
