"""Inference tensors meeting autograd, node names of core frontends, and the top-level anomaly and
grad-mode names (issue 4 follow-up). Plain expected-value tests run without torch; the
``*_oracle`` tests compare with PyTorch."""
import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function
from tensorgraft.testing.oracle import error_of

SAVED_MSG = ("Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in "
             "computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and "
             "use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`.")
REQUIRES_GRAD_MSG = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."


def _inference(T, *shape):
    with T.inference_mode():
        return T.ones(*shape)


# --------------------------------------------------------------------------- requires_grad
def test_requires_grad_on_inference_tensor_outside_is_refused():
    a = _inference(tg, 3)
    for fn in (lambda: a.requires_grad_(), lambda: setattr(a, "requires_grad", True),
               lambda: a.detach().requires_grad_(), lambda: a[1:].requires_grad_()):
        assert error_of(fn) == ("RuntimeError", REQUIRES_GRAD_MSG)
    with tg.inference_mode():
        with tg.inference_mode(False):
            assert error_of(lambda: a.requires_grad_()) == ("RuntimeError", REQUIRES_GRAD_MSG)
    assert a.requires_grad_(False) is a and not a.requires_grad
    assert a.clone().requires_grad_().requires_grad


def test_requires_grad_inside_inference_mode_is_allowed():
    with tg.inference_mode():
        p = tg.ones(2, requires_grad=True)
        q = tg.ones(2).requires_grad_()
    assert p.is_inference() and p.requires_grad and q.requires_grad and p.is_leaf


def test_requires_grad_dtype_error_comes_first():
    with tg.inference_mode():
        i = tg.ones(2, dtype=tg.int64)
    assert error_of(lambda: i.requires_grad_()) == ("RuntimeError",
                                                "only Tensors of floating point dtype can require gradients")


# --------------------------------------------------------------------------- saving for backward
def test_inference_tensor_saved_for_backward_is_refused():
    a = _inference(tg, 3)
    w = tg.ones(3, requires_grad=True)
    for fn in (lambda: a * w, lambda: w * a, lambda: a @ w, lambda: tg.exp(w) * a, lambda: w.pow(a)):
        assert error_of(fn) == ("RuntimeError", SAVED_MSG)


def test_inference_tensor_not_saved_is_fine():
    a = _inference(tg, 3)
    w = tg.ones(3, requires_grad=True)
    y = a + w  # AddBackward0 saves neither input
    assert y.grad_fn.name() == "AddBackward0" and not y.is_inference()
    (y * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0, 2.0]
    (a.clone() * w).sum().backward()  # the documented work-around
    assert w.grad.tolist() == [3.0, 3.0, 3.0]


class _SaveBoth(Function):
    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        return g * y, g * x


def test_custom_function_saving_inference_tensor_is_refused_only_when_recording():
    a = _inference(tg, 2)
    assert error_of(lambda: _SaveBoth.apply(a, tg.ones(2, requires_grad=True))) == ("RuntimeError", SAVED_MSG)
    assert _SaveBoth.apply(a, tg.ones(2)).tolist() == [1.0, 1.0]


def test_nothing_is_recorded_inside_inference_mode_even_under_enable_grad():
    w = tg.ones(3, requires_grad=True)
    a = _inference(tg, 3)
    with tg.inference_mode():
        with tg.enable_grad():
            assert tg.is_grad_enabled()
            y = w * 2
            z = a * w  # not recorded, so nothing is saved
    assert y.grad_fn is None and not y.requires_grad and y.is_inference()
    assert z.grad_fn is None


def test_inference_mode_decorated_function_output():
    @tg.inference_mode()
    def f(x):
        return x * x

    out = f(tg.ones(2, requires_grad=True))
    assert not out.requires_grad and out.is_inference()


def test_inference_autograd_oracle():
    torch = pytest.importorskip("torch")

    def run(T):
        a = _inference(T, 3)
        w = T.ones(3, requires_grad=True)
        with T.inference_mode():
            with T.enable_grad():
                y = w * 2
            p = T.ones(2, requires_grad=True)
        return {
            "requires_grad": error_of(lambda: a.requires_grad_()),
            "mul": error_of(lambda: a * w), "matmul": error_of(lambda: a @ w),
            "add": (a + w).requires_grad,
            "function": error_of(lambda: _SaveBoth.apply(a, w)) if T is tg else None,
            "enable_grad_inside": (y.requires_grad, y.grad_fn is None, y.is_inference()),
            "made_requiring_grad": (p.requires_grad, p.is_inference(), p.is_leaf),
        }

    mine, ref = run(tg), run(torch)
    assert mine.pop("function") == ("RuntimeError", SAVED_MSG)
    ref.pop("function")
    assert mine == ref


# --------------------------------------------------------------------------- in-place on a leaf
SETITEM_INDICES = [
    ("int", lambda T: 0), ("neg_int", lambda T: -1), ("partial_slice", lambda T: slice(1, None)),
    ("int_pair", lambda T: (0, 1)), ("slice_int", lambda T: (slice(None), 0)), ("none", lambda T: None),
    ("ellipsis_int", lambda T: (Ellipsis, 0)), ("zero_d_tensor", lambda T: T.tensor(0)),
    ("int_and_tensor", lambda T: (0, T.tensor([0]))), ("py_bool", lambda T: True),
    ("full_slice", lambda T: slice(None)), ("whole_range_slice", lambda T: slice(0, 2)),
    ("ellipsis", lambda T: Ellipsis), ("tensor", lambda T: T.tensor([0])),
    ("mask", lambda T: T.tensor([True, False])), ("full_slice_tensor", lambda T: (slice(None), T.tensor([0]))),
]
VIEW_MSG = "a view of a leaf Variable that requires grad is being used in an in-place operation."
LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation."


@pytest.mark.parametrize("name,index", SETITEM_INDICES, ids=[c[0] for c in SETITEM_INDICES])
def test_setitem_on_leaf_names_the_view(name, index):
    z = tg.zeros(2, 3, requires_grad=True)
    expected = LEAF_MSG if name in ("full_slice", "whole_range_slice", "ellipsis", "tensor", "mask",
                                    "full_slice_tensor") else VIEW_MSG
    assert error_of(lambda: z.__setitem__(index(tg), 5.0)) == ("RuntimeError", expected)
    assert z.abs().sum().item() == 0.0
    with tg.no_grad():
        z[index(tg)] = 5.0  # allowed without grad mode
    assert z.sum().item() > 0


@pytest.mark.parametrize("name,index", SETITEM_INDICES, ids=[c[0] for c in SETITEM_INDICES])
def test_setitem_on_leaf_oracle(name, index):
    torch = pytest.importorskip("torch")
    assert error_of(lambda: tg.zeros(2, 3, requires_grad=True).__setitem__(index(tg), 5.0)) == \
        error_of(lambda: torch.zeros(2, 3, requires_grad=True).__setitem__(index(torch), 5.0))


def test_setitem_on_zero_d_leaf_and_other_inplace_messages():
    zs = tg.zeros((), requires_grad=True)
    assert error_of(lambda: zs.__setitem__((), 5.0)) == ("RuntimeError", LEAF_MSG)
    z = tg.zeros(2, requires_grad=True)
    assert error_of(lambda: z.add_(1)) == ("RuntimeError", LEAF_MSG)
    assert error_of(lambda: z[0].add_(1)) == ("RuntimeError", VIEW_MSG)


# --------------------------------------------------------------------------- node names
def _x(T):
    return T.tensor([1.0, -2.0, 3.0], requires_grad=True)


def _y(T):
    return T.tensor([1.0, 2.0, 4.0], requires_grad=True)


NODE_CASES = [
    ("clamp_min_number", lambda T, x, y: T.clamp(x, min=0), "ClampBackward1"),
    ("clamp_max_number", lambda T, x, y: T.clamp(x, max=0), "ClampBackward1"),
    ("clamp_both_numbers", lambda T, x, y: x.clamp(-1, 1), "ClampBackward1"),
    ("clamp_positional", lambda T, x, y: x.clamp(0), "ClampBackward1"),
    ("clip_min_number", lambda T, x, y: T.clip(x, min=0), "ClampBackward1"),
    ("clamp_number_and_tensor", lambda T, x, y: T.clamp(x, min=0, max=T.tensor(1.0)), "ClampBackward1"),
    ("clamp_min_tensor", lambda T, x, y: T.clamp(x, min=T.tensor(0.0)), "ClampBackward0"),
    ("clamp_tensors", lambda T, x, y: T.clamp(x, min=T.tensor(0.0), max=T.tensor(1.0)), "ClampBackward0"),
    ("clamp_min_by_name", lambda T, x, y: T.clamp_min(x, 0), "ClampMinBackward0"),
    ("rsub", lambda T, x, y: T.rsub(x, y), "RsubBackward0"),
    ("rsub_alpha", lambda T, x, y: T.rsub(x, y, alpha=2), "RsubBackward0"),
    ("rsub_number", lambda T, x, y: T.rsub(x, 2), "RsubBackward1"),
    ("rsub_number_alpha", lambda T, x, y: T.rsub(x, 2, alpha=3), "RsubBackward1"),
    ("number_minus", lambda T, x, y: 2 - x, "RsubBackward1"),
    ("div_floor", lambda T, x, y: T.div(x, y, rounding_mode="floor"), "DivBackward2"),
    ("div_trunc", lambda T, x, y: T.div(x, y, rounding_mode="trunc"), "DivBackward2"),
    ("div_none", lambda T, x, y: T.div(x, y, rounding_mode=None), "DivBackward2"),
    ("div_number_floor", lambda T, x, y: x.div(2.0, rounding_mode="floor"), "DivBackward2"),
    ("divide_floor", lambda T, x, y: T.divide(x, y, rounding_mode="floor"), "DivBackward2"),
    ("div_plain", lambda T, x, y: T.div(x, y), "DivBackward0"),
]


@pytest.mark.parametrize("name,fn,node", NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_node_names(name, fn, node):
    assert fn(tg, _x(tg), _y(tg)).grad_fn.name() == node


@pytest.mark.parametrize("name,fn,node", NODE_CASES, ids=[c[0] for c in NODE_CASES])
def test_node_names_and_gradients_oracle(name, fn, node):
    torch = pytest.importorskip("torch")
    results = []
    for T in (tg, torch):
        x, y = _x(T), _y(T)
        out = fn(T, x, y)
        out.backward(T.tensor([1.0, 2.0, 3.0]))
        results.append((out.grad_fn.name(), out.tolist(), x.grad.tolist(),
                        None if y.grad is None else y.grad.tolist()))
    assert results[0] == results[1]


def test_rsub_values_and_gradients():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    y = tg.tensor([[10.0], [20.0]], requires_grad=True)
    out = tg.rsub(x, y, alpha=2)  # y - 2 * x, broadcast
    assert out.tolist() == [[8.0, 6.0], [18.0, 16.0]]
    out.sum().backward()
    assert x.grad.tolist() == [[-4.0, -4.0]] and y.grad.tolist() == [[2.0], [2.0]]
    i = tg.rsub(tg.tensor([1, 2]), tg.tensor([5, 5]))
    assert i.tolist() == [4, 3] and i.dtype == tg.int64


def test_div_rounding_gradients_are_zeros():
    x, y = _x(tg), _y(tg)
    tg.div(x, y, rounding_mode="floor").sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0] and y.grad.tolist() == [0.0, 0.0, 0.0]
    x = _x(tg)
    tg.div(x, 2.0, rounding_mode=None).sum().backward()
    assert x.grad.tolist() == [0.5, 0.5, 0.5]
    with pytest.raises(RuntimeError, match="div expected rounding_mode to be one of None, 'trunc', or 'floor'"):
        tg.div(x, 2.0, rounding_mode="round")
    assert tg.div(tg.tensor([7, -7]), 2, rounding_mode="floor").tolist() == [3, -4]


def test_positive_records_nothing():
    x = _x(tg)
    assert (+x) is x and x.positive().grad_fn is None


# --------------------------------------------------------------------------- top-level names
def test_anomaly_switches_at_top_level():
    assert tg.is_anomaly_enabled() is False and tg.is_anomaly_check_nan_enabled() is True
    try:
        tg.set_anomaly_enabled(True)
        assert tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
        tg.set_anomaly_enabled(True, check_nan=False)
        assert tg.is_anomaly_enabled() and not tg.is_anomaly_check_nan_enabled()
        tg.set_anomaly_enabled(False)  # check_nan back to its default, as in PyTorch
        assert not tg.is_anomaly_enabled() and tg.is_anomaly_check_nan_enabled()
    finally:
        tg.set_anomaly_enabled(False)
    assert tg.autograd.set_anomaly_enabled is tg.set_anomaly_enabled


def test_anomaly_switches_oracle():
    torch = pytest.importorskip("torch")

    def run(T):
        seen = [(T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled())]
        try:
            for args in ((True,), (True, False), (False,)):
                T.set_anomaly_enabled(*args)
                seen.append((T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled()))
        finally:
            T.set_anomaly_enabled(False)
        return seen

    assert run(tg) == run(torch)


def test_autograd_grad_mode_module():
    from tensorgraft.autograd.grad_mode import enable_grad, inference_mode, no_grad, set_grad_enabled
    assert (no_grad, enable_grad, set_grad_enabled, inference_mode) == \
        (tg.no_grad, tg.enable_grad, tg.set_grad_enabled, tg.inference_mode)
    assert tg.autograd.grad_mode.no_grad is tg.no_grad


def test_autograd_grad_mode_module_oracle():
    torch = pytest.importorskip("torch")
    for name in ("no_grad", "enable_grad", "set_grad_enabled", "inference_mode"):
        assert hasattr(torch.autograd.grad_mode, name) and hasattr(tg.autograd.grad_mode, name)


def test_inference_tensors_in_numpy_interop():
    a = _inference(tg, 2)
    assert np.asarray(a).tolist() == [1.0, 1.0] and a.numpy().tolist() == [1.0, 1.0]
