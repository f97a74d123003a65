"""gradcheck / gradgradcheck, detect_anomaly, and the graph picture (to_dot / render)."""
import shutil
import warnings

import pytest

import tensorgraft as tg
from tensorgraft.autograd import Function, gradcheck, gradgradcheck
from tensorgraft.autograd.gradcheck import GradcheckError


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 2

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 2 * x * g


class WrongSquare(Square):
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * g  # wrong on purpose


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g


class CubeDetachedBackward(Cube):
    """First derivative right, second derivative wrong (the backward is not differentiable)."""

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * (x * x).detach() * g


def _x():
    return tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)


def test_gradcheck_accepts_correct_backward():
    assert gradcheck(Square.apply, (_x(),))
    assert gradcheck(lambda a, b: (a * b).exp().sum(0),
                     (tg.randn(2, 3, dtype=tg.float64, requires_grad=True),
                      tg.randn(3, dtype=tg.float64, requires_grad=True)))


def test_gradcheck_catches_wrong_backward():
    with pytest.raises(GradcheckError, match="Jacobian mismatch for output 0 with respect to input 0"):
        gradcheck(WrongSquare.apply, (_x(),))
    assert gradcheck(WrongSquare.apply, (_x(),), raise_exception=False) is False


def test_gradcheck_names_the_wrong_input():
    class WrongSecond(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * b  # d/db should be g * a

    a = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    b = tg.tensor([3.0, 5.0], dtype=tg.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(WrongSecond.apply, (a, b))


def test_gradcheck_error_message_matches_torch_format():
    torch = pytest.importorskip("torch")
    x = [1.0, 2.0, 3.0]

    def msg(mod, fn):
        try:
            mod.autograd.gradcheck(fn, (mod.tensor(x, dtype=mod.float64, requires_grad=True),))
        except Exception as e:  # noqa: BLE001
            return str(e)

    class TWrong(torch.autograd.Function):
        forward = staticmethod(WrongSquare.forward)
        backward = staticmethod(WrongSquare.backward)

    assert msg(tg, WrongSquare.apply) == msg(torch, TWrong.apply)


def test_gradcheck_warns_on_single_precision():
    with pytest.warns(UserWarning, match="is not a double precision"):
        gradcheck(Square.apply, (tg.tensor([1.0, 2.0], requires_grad=True),), eps=1e-3, atol=1e-2, rtol=1e-2)


def test_gradgradcheck():
    assert gradgradcheck(Cube.apply, (_x(),))
    assert gradgradcheck(lambda a: (a.tanh() * a).sum(), (_x(),))
    assert gradcheck(CubeDetachedBackward.apply, (_x(),))  # first order is fine ...
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(CubeDetachedBackward.apply, (_x(),))  # ... second order is not


# --------------------------------------------------------------------------- anomaly detection
class NanBackward(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1

    @staticmethod
    def backward(ctx, g):
        return g * float("nan")


def test_detect_anomaly_names_custom_function_node_and_forward_line():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with tg.autograd.detect_anomaly():
            x = tg.tensor([1.0], requires_grad=True)
            y = NanBackward.apply(x)  # FORWARD-LINE-MARKER
            with pytest.raises(RuntimeError, match=r"Function 'NanBackwardBackward' returned nan values in its "
                                                   r"0th output\."):
                y.sum().backward()
    texts = [str(m.message) for m in w]
    assert any("Anomaly Detection has been enabled" in t for t in texts)
    trace = [t for t in texts if t.startswith("Error detected in NanBackwardBackward")]
    assert trace and "FORWARD-LINE-MARKER" in trace[0]
    assert not tg.autograd.is_anomaly_enabled()


def test_detect_anomaly_sqrt_of_zero_matches_torch():
    torch = pytest.importorskip("torch")
    results = []
    for mod in (torch, tg):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            with mod.autograd.detect_anomaly():
                x = mod.tensor([0.0], requires_grad=True)
                y = (x * 0).sqrt()  # d sqrt = inf at 0; inf * 0 = nan in MulBackward0
                with pytest.raises(RuntimeError) as exc:
                    y.sum().backward()
        results.append((str(exc.value), [str(m.message).split("\n")[0] for m in w if "Error detected" in str(m.message)]))
    assert results[0] == results[1]
    assert results[1][0] == "Function 'MulBackward0' returned nan values in its 0th output."


def test_no_anomaly_check_without_mode():
    x = tg.tensor([1.0], requires_grad=True)
    NanBackward.apply(x).sum().backward()  # NaN gradients flow silently, as in PyTorch
    assert x.grad.isnan().all() if hasattr(x.grad, "isnan") else x.grad.item() != x.grad.item()


def test_set_detect_anomaly_forms():
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.autograd.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.autograd.is_anomaly_enabled()
    with tg.autograd.set_detect_anomaly(True, check_nan=False):
        assert tg.autograd.is_anomaly_enabled() and not tg.autograd.is_anomaly_check_nan_enabled()
        x = tg.tensor([1.0], requires_grad=True)
        NanBackward.apply(x).sum().backward()  # check_nan=False: no error
    assert not tg.autograd.is_anomaly_enabled()


# --------------------------------------------------------------------------- graph picture
def _tutorial_graph():
    a = tg.tensor([2.0, 3.0], requires_grad=True)
    b = tg.tensor([6.0, 4.0], requires_grad=True)
    return a, b, 3 * a ** 3 - b ** 2


def test_to_dot_tutorial_graph():
    a, b, q = _tutorial_graph()
    dot = tg.autograd.graph.to_dot(q, params={"a": a, "b": b})
    assert dot.startswith("digraph")
    assert dot.rstrip().endswith("}")
    labels = [line for line in dot.splitlines() if "label=" in line]
    names = " ".join(labels)
    assert names.count("PowBackward0") == 2
    assert names.count("MulBackward0") == 1
    assert names.count("SubBackward0") == 1
    assert 'label="a\\n(2)"' in dot and 'label="b\\n(2)"' in dot
    edges = [line for line in dot.splitlines() if "->" in line]
    assert len(edges) == 6  # a->pow, pow->mul, mul->sub, b->pow, pow->sub, sub->Q
    # gradients still right after inspection: dQ/da = 9a^2, dQ/db = -2b
    q.backward(gradient=tg.tensor([1.0, 1.0]))
    assert a.grad.tolist() == [36.0, 81.0]
    assert b.grad.tolist() == [-12.0, -8.0]


def test_render_with_graphviz(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz 'dot' program is not installed")
    _, _, q = _tutorial_graph()
    out = tg.autograd.graph.render(q, str(tmp_path / "g.svg"))
    assert "<svg" in open(out).read()


def test_render_without_graphviz_explains(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    _, _, q = _tutorial_graph()
    with pytest.raises(RuntimeError, match="Graphviz"):
        tg.autograd.graph.render(q, str(tmp_path / "g.png"))


def test_gradcheck_output_without_graph_must_be_constant():
    # as PyTorch (2.13, checked against it): outputs that do not require grad are left out while
    # another output requires grad; only when none does must the function be constant, every
    # finite difference zero
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    assert gradcheck(lambda a: (a * 2, tg.zeros(3, dtype=tg.float64)), (x,))
    assert gradcheck(lambda a: (a * 2, (a * 3).detach()), (x,), raise_exception=False)
    assert not gradcheck(lambda a: (a * 3).detach(), (x,), raise_exception=False)
