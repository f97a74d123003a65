"""Inference tensors and grad-mode decorators on generators (issue 4 follow-up), as far as core
alone shows them; what needs the autograd engine (requires_grad, saving for backward) is in
autograd-engine's ``test_autograd_engine_inference.py``.

Plain expected-value tests run without torch; the ``*_oracle`` tests compare with PyTorch.
"""
import sys
import threading

import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import error_of

INPLACE_MSG = ("Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get "
               "a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more "
               "details.")


# --------------------------------------------------------------------------- which tensors are inference tensors
def test_tensors_made_in_inference_mode_are_inference_tensors():
    normal = tg.ones(3)
    with tg.inference_mode():
        assert tg.is_inference_mode_enabled() and not tg.is_grad_enabled()
        a = tg.ones(3)
        b = normal * 2  # an op on a normal tensor still makes an inference tensor
        legacy = tg.Tensor([1.0, 2.0])
        normal_view = normal[1:]  # a view of a normal tensor stays normal
    assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()
    assert a.is_inference() and b.is_inference() and legacy.is_inference() and tg.is_inference(a)
    assert not normal.is_inference() and not normal_view.is_inference() and not tg.is_inference(normal)


def test_views_detach_and_data_of_inference_tensors_are_inference_tensors():
    with tg.inference_mode():
        a = tg.arange(6.0)
    for t in (a[1:], a.view(2, 3), a.reshape(3, 2), a.view(2, 3).t(), a.detach(), a.data, a.float()):
        assert t.is_inference()


def test_new_tensors_from_inference_tensors_outside_are_normal():
    with tg.inference_mode():
        a = tg.arange(4.0)
    for t in (a.clone(), a + 1, a.sum(), a.double(), tg.tensor([1.0])):
        assert not t.is_inference()
    c = a.clone()
    c.add_(1)  # the documented way out: a clone is a normal tensor
    assert c.tolist() == [1.0, 2.0, 3.0, 4.0]
    assert c._version == 1


def test_inference_tensor_has_no_version_counter():
    with tg.inference_mode():
        a = tg.ones(2)
        with pytest.raises(RuntimeError, match="^Inference tensors do not track version counter.$"):
            _ = a._version
    with pytest.raises(RuntimeError, match="^Inference tensors do not track version counter.$"):
        _ = a._version


# --------------------------------------------------------------------------- in-place writes
INPLACE_CASES = [  # (name, fn(T, t)): T is the module (tensorgraft, or torch in the oracle test)
    ("add_", lambda T, t: t.add_(1)),
    ("iadd", lambda T, t: t.__iadd__(1)),
    ("mul_", lambda T, t: t.mul_(T.ones(3))),
    ("setitem", lambda T, t: t.__setitem__(0, 5.0)),
    ("setitem_slice", lambda T, t: t.__setitem__(slice(None), 5.0)),
    ("zero_", lambda T, t: t.zero_()),
    ("fill_", lambda T, t: t.fill_(2.0)),
    ("copy_", lambda T, t: t.copy_(T.zeros(3))),
    ("clamp_", lambda T, t: t.clamp_(min=0.5)),
    ("uniform_", lambda T, t: t.uniform_()),
    ("out=", lambda T, t: T.add(T.ones(3), 1, out=t)),
    ("view_add_", lambda T, t: t[1:].add_(1)),
]


@pytest.mark.parametrize("name,fn", INPLACE_CASES, ids=[c[0] for c in INPLACE_CASES])
def test_inplace_on_inference_tensor_outside_is_refused_before_writing(name, fn):
    with tg.inference_mode():
        a = tg.ones(3)
    with pytest.raises(RuntimeError) as e:
        fn(tg, a)
    assert str(e.value) == INPLACE_MSG
    assert a.tolist() == [1.0, 1.0, 1.0]
    with tg.no_grad():  # no_grad is not inference mode
        assert error_of(lambda: fn(tg, a)) == ("RuntimeError", INPLACE_MSG)


def test_inplace_on_inference_tensor_inside_inference_mode_is_allowed():
    with tg.inference_mode():
        a = tg.ones(3)
    with tg.inference_mode():
        a.add_(1)
        a[0] = 5.0
    assert a.tolist() == [5.0, 2.0, 2.0]


def test_inplace_on_normal_tensor_inside_inference_mode_bumps_its_version():
    c = tg.ones(3)
    with tg.inference_mode():
        c.add_(1)
    assert c._version == 1 and not c.is_inference()


def test_backstop_refuses_direct_version_bumps_outside():
    # code that writes memory itself and bumps ``_vc`` (nn.init, optimizers) is caught too
    with tg.inference_mode():
        a = tg.ones(1)
        a._vc[0] += 1
    with pytest.raises(RuntimeError, match="Inplace update to inference tensor outside InferenceMode"):
        a._vc[0] += 1


# --------------------------------------------------------------------------- the mode itself
def test_inference_mode_false_nests():
    with tg.inference_mode():
        with tg.inference_mode(False):
            assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()
            b = tg.ones(2)
        assert tg.is_inference_mode_enabled() and not tg.is_grad_enabled()
        c = tg.ones(2)
    assert not b.is_inference() and c.is_inference()
    with tg.no_grad():
        with tg.inference_mode(False):  # like PyTorch: turns grad mode on
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()


def test_grad_mode_switches_inside_inference_mode_are_reported_and_restored():
    with tg.inference_mode():
        with tg.enable_grad():
            assert tg.is_grad_enabled() and tg.is_inference_mode_enabled()
            assert tg.ones(1).is_inference()
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled() and not tg.is_inference_mode_enabled()


def test_inference_mode_decorators():
    @tg.inference_mode()
    def f():
        return tg.ones(1).is_inference(), tg.is_inference_mode_enabled()

    @tg.inference_mode
    def g():
        return tg.ones(1).is_inference()

    @tg.inference_mode(False)
    def h():
        return tg.ones(1).is_inference()

    assert f() == (True, True) and g() is True
    with tg.inference_mode():
        assert h() is False
    assert f.__name__ == "f" and not tg.is_inference_mode_enabled()


def test_inference_mode_restores_after_exception_and_wrap_returns_to_plain_code():
    tensor_mod = sys.modules["tensorgraft.tensor"]
    with pytest.raises(ValueError):
        with tg.inference_mode():
            with tg.inference_mode():
                raise ValueError
    assert not tg.is_inference_mode_enabled() and tg.is_grad_enabled()
    assert tensor_mod.wrap.__code__ is tensor_mod._PLAIN_WRAP  # nothing left for the hot path to pay
    assert not tg.ones(1).is_inference()


def test_inference_mode_is_thread_local():
    seen = {}
    inside = threading.Event()
    done = threading.Event()

    def other():
        inside.wait()
        seen["mode"] = tg.is_inference_mode_enabled()
        seen["tensor"] = tg.ones(1).is_inference()
        done.set()

    th = threading.Thread(target=other)
    th.start()
    with tg.inference_mode():
        inside.set()
        done.wait(10)
        mine = tg.ones(1).is_inference()
    th.join()
    assert seen == {"mode": False, "tensor": False} and mine


# --------------------------------------------------------------------------- decorators on generators
GEN_MODES = [
    ("no_grad", lambda: tg.no_grad(), False),
    ("no_grad_bare", None, False),
    ("enable_grad", lambda: tg.enable_grad(), True),
    ("set_grad_enabled", lambda: tg.set_grad_enabled(False), False),
    ("inference_mode", lambda: tg.inference_mode(), False),
]


@pytest.mark.parametrize("name,make,inside", GEN_MODES, ids=[m[0] for m in GEN_MODES])
def test_decorated_generator_switches_mode_around_each_step(name, make, inside):
    def gen(n):
        for _ in range(n):
            got = yield tg.is_grad_enabled()
            assert got is None or got == "sent"
        return "done"

    deco = tg.no_grad if make is None else make()
    wrapped = deco(gen)
    assert wrapped.__name__ == "gen"
    outside = not inside
    with tg.set_grad_enabled(outside):
        it = wrapped(3)
        assert tg.is_grad_enabled() is outside  # creating it switches nothing
        assert next(it) is inside
        assert tg.is_grad_enabled() is outside  # the caller runs outside the mode between steps
        assert it.send("sent") is inside
        assert tg.is_grad_enabled() is outside
        assert next(it) is inside
        with pytest.raises(StopIteration) as stop:
            next(it)
        assert stop.value.value == "done"
        assert tg.is_grad_enabled() is outside
    assert tg.is_grad_enabled()


def test_decorated_generator_throw_and_close_run_inside_the_mode():
    seen = []

    @tg.no_grad()
    def gen():
        try:
            yield 1
        except KeyError:
            seen.append(("throw", tg.is_grad_enabled()))
            yield 2
        finally:
            seen.append(("finally", tg.is_grad_enabled()))

    it = gen()
    assert next(it) == 1
    assert it.throw(KeyError("k")) == 2
    it.close()
    assert seen == [("throw", False), ("finally", False)]
    assert tg.is_grad_enabled()


def test_inference_mode_decorated_generator_makes_inference_tensors():
    @tg.inference_mode()
    def gen():
        yield tg.ones(1)
        yield tg.ones(1)

    it = gen()
    first = next(it)
    between = tg.ones(1)
    second = next(it)
    assert first.is_inference() and second.is_inference() and not between.is_inference()


# --------------------------------------------------------------------------- oracle
def _scenarios(T):
    out = {}
    with T.inference_mode():
        a = T.ones(3)
        out["inside"] = (a.is_inference(), a[1:].is_inference(), T.is_inference_mode_enabled(), T.is_grad_enabled())
        with T.inference_mode(False):
            out["nested_false"] = (T.ones(1).is_inference(), T.is_inference_mode_enabled(), T.is_grad_enabled())
            out["nested_inplace"] = error_of(lambda: a.mul_(1))
        with T.enable_grad():
            out["enable_grad_inside"] = (T.is_grad_enabled(), T.ones(1).is_inference())
    out["outside"] = (a.clone().is_inference(), (a + 1).is_inference(), a.view(3, 1).is_inference(),
                      a.detach().is_inference(), a.data.is_inference())
    for name, fn in INPLACE_CASES:
        # only the error: PyTorch writes first and refuses when bumping the version; tensorgraft
        # refuses before writing (the tensor is left as it was), see the test above
        out["inplace_" + name] = error_of(lambda fn=fn: fn(T, a.view(3)))
    out["version"] = error_of(lambda: a._version)
    return out


def test_inference_scenarios_oracle():
    torch = pytest.importorskip("torch")
    assert _scenarios(tg) == _scenarios(torch)


def test_generator_decorator_oracle():
    torch = pytest.importorskip("torch")

    def run(T):
        @T.no_grad()
        def gen():
            yield T.is_grad_enabled()
            yield T.is_grad_enabled()

        @T.inference_mode()
        def igen():
            yield T.ones(1).is_inference()

        it = gen()
        got = [next(it), T.is_grad_enabled(), next(it), T.is_grad_enabled()]
        return got + [next(igen()), T.ones(1).is_inference()]

    assert run(tg) == run(torch)
