"""Nodes, output numbers, gradients and errors of tensor-argument ``normal``, ``aminmax``,
``var_mean``/``std_mean``, complex ``cummax``/``cummin`` and in-place writes to custom Function
views, against PyTorch."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import as_both, error_of  # noqa: E402

pytest.importorskip("tensorgraft.autograd", reason="recording gradients needs tensorgraft-autograd")


@pytest.mark.parametrize("overload", [1, 2, 3])
@pytest.mark.parametrize("needs", ["mean", "std", "both"])
def test_normal_node_edges_and_gradient(overload, needs):
    rng = np.random.default_rng(1811)
    m_data, s_data = rng.standard_normal((2, 1)), np.abs(rng.standard_normal(3)) + 0.5
    results = []
    for lib in (tg, torch):
        mean = lib.tensor(m_data, requires_grad=needs in ("mean", "both"))
        std = lib.tensor(s_data, requires_grad=needs in ("std", "both"))
        args = {1: (mean, 1.5), 2: (0.5, std), 3: (mean, std)}[overload]
        y = lib.normal(*args)
        fn = y.grad_fn
        name = None if fn is None else type(fn).__name__
        edges = None if fn is None else [e[0] is None for e in fn.next_functions]
        grads = None
        if fn is not None:
            y.sum().backward()
            grads = [None if a.grad is None else a.grad.detach().numpy().tolist()
                     for a in args if isinstance(a, (tg.Tensor, torch.Tensor))]
        results.append((name, edges, grads, str(y.dtype).split(".")[-1], tuple(y.shape)))
    assert results[0] == results[1]


def test_normal_out_while_recording_error():
    msgs = [error_of(lambda lib=lib: lib.normal(lib.zeros(3, requires_grad=True), 1.0, out=lib.empty(3)))
            for lib in (tg, torch)]
    assert msgs[0] == msgs[1]


@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"dim": -1, "keepdim": False}])
@pytest.mark.parametrize("use", ["min", "max", "both"])
def test_aminmax_node_and_gradient(kwargs, use):
    rng = np.random.default_rng(1812)
    data = rng.integers(0, 3, (3, 4)).astype(np.float64)  # small integers: ties are common
    x, tx = as_both(data, requires_grad=True)
    r, tr = tg.aminmax(x, **kwargs), torch.aminmax(tx, **kwargs)
    assert type(r.min.grad_fn).__name__ == tr.min.grad_fn.name() == "AminmaxBackward0"
    assert (r.min.output_nr, r.max.output_nr) == (tr.min.output_nr, tr.max.output_nr)
    w = rng.standard_normal(2)
    for res in (r, tr):
        loss = 0
        if use in ("min", "both"):
            loss = loss + res.min.sum() * float(w[0])
        if use in ("max", "both"):
            loss = loss + res.max.sum() * float(w[1])
        loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fname", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0, "correction": 0},
                                    {"dim": -1, "unbiased": False, "keepdim": True}, {"correction": 2}])
@pytest.mark.parametrize("use", ["spread", "mean", "both"])
def test_var_mean_node_and_gradient(fname, kwargs, use):
    rng = np.random.default_rng(1813)
    x, tx = as_both(rng.standard_normal((3, 4)), requires_grad=True)
    (v, m), (tv, tm) = getattr(tg, fname)(x, **kwargs), getattr(torch, fname)(tx, **kwargs)
    assert type(v.grad_fn).__name__ == tv.grad_fn.name() and v.grad_fn is m.grad_fn
    assert (v.output_nr, m.output_nr) == (tv.output_nr, tm.output_nr)
    np.testing.assert_allclose(v.detach().numpy(), tv.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(m.detach().numpy(), tm.detach().numpy(), rtol=1e-12)
    w = rng.standard_normal(2)
    for a, b in ((v, m), (tv, tm)):
        parts = ([a.sum() * float(w[0])] if use != "mean" else []) + ([b.sum() * float(w[1])] if use != "spread" else [])
        sum(parts).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_std_mean_constant_input_gradient():
    x, tx = as_both(np.ones(3), requires_grad=True)
    tg.std_mean(x)[0].backward()
    torch.std_mean(tx)[0].backward()
    assert x.grad.tolist() == tx.grad.tolist()


@pytest.mark.parametrize("fname", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_cummax_complex_error(fname, dtype):
    msgs = [error_of(lambda lib=lib: getattr(lib, fname)(lib.ones(3, dtype=getattr(lib, dtype)), 0))
            for lib in (tg, torch)]
    assert msgs[0] is not None and msgs[0] == msgs[1]


def _functions(lib):
    class ViewOf(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.view(3)

        @staticmethod
        def backward(ctx, g):
            return g

    class Same(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    return ViewOf, Same


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("write", ["mul_", "add_", "zero_", "copy_"])
def test_custom_function_view_inplace_error(which, write):
    msgs = []
    for lib in (tg, torch):
        fn = _functions(lib)[which]
        a = lib.ones(3, requires_grad=True).clone()
        y = fn.apply(a)
        if write == "zero_":
            msgs.append(error_of(y.zero_))
        elif write == "copy_":
            msgs.append(error_of(lambda y=y, lib=lib: y.copy_(lib.zeros(3))))
        else:
            msgs.append(error_of(lambda y=y, write=write: getattr(y, write)(2.0)))
    assert msgs[0] is not None and msgs[0] == msgs[1]


@pytest.mark.parametrize("index", ["0", "slice(0, 2)", "(None,)", "lib.tensor([0, 1])", "..."])
def test_index_assignment_into_custom_function_view_refused_as_torch(index):
    """``y[i] = v`` on a view a custom Function returned: refused, naming the view op the index
    applies last (Select/Slice/Unsqueeze) or the Function for advanced and whole-tensor indices."""
    messages = []
    for lib in (torch, tg):
        ViewOf, _ = _functions(lib)
        y = ViewOf.apply(lib.ones(3, requires_grad=True).clone())
        with pytest.raises(RuntimeError) as info:
            y[eval(index, {"lib": lib})] = 3.0
        messages.append(str(info.value))
    assert messages[1] == messages[0]
