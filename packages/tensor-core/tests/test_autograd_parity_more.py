"""Autograd parity of core ops built from pieces or drawn at random: the nodes of tensor-argument
``normal``, the one shared node of ``aminmax``/``var_mean``/``std_mean``, ``cummax``/``cummin``
refusing complex input, and in-place writes to views a custom Function returned."""
import numpy as np
import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd", reason="recording gradients needs tensorgraft-autograd")


def _rand(rng, shape, device, dtype=tg.float64):
    return tg.tensor(rng.standard_normal(shape), dtype=dtype, device=device)


# --------------------------------------------------------------------------- normal
@pytest.mark.parametrize("overload", [1, 2, 3])
def test_normal_records_its_overload_and_has_zero_gradient(tg_device, overload):
    rng = np.random.default_rng(1801)
    mean = _rand(rng, (2, 1), tg_device).requires_grad_()
    std = (_rand(rng, (3,), tg_device).abs() + 0.5).requires_grad_()
    args = {1: (mean, 1.5), 2: (0.25, std), 3: (mean, std)}[overload]
    y = tg.normal(*args)
    assert y.requires_grad
    assert type(y.grad_fn).__name__ == f"NormalBackward{overload}"
    tensors = [a for a in args if isinstance(a, tg.Tensor)]
    assert len(y.grad_fn.next_functions) == len(tensors)  # number operands get no edge
    (y * 3.0).sum().backward()
    for t in tensors:
        assert t.grad.shape == t.shape
        assert not t.grad.cpu().numpy().any()


def test_normal_edge_only_for_the_operand_that_needs_grad(tg_device):
    rng = np.random.default_rng(1802)
    mean = _rand(rng, (3,), tg_device)
    std = (_rand(rng, (3,), tg_device).abs() + 0.1).requires_grad_()
    fn = tg.normal(mean, std).grad_fn
    assert type(fn).__name__ == "NormalBackward3"
    assert fn.next_functions[0][0] is None and fn.next_functions[1][0] is not None


def test_normal_not_recorded_under_no_grad_or_for_plain_inputs(tg_device):
    rng = np.random.default_rng(1803)
    mean = _rand(rng, (3,), tg_device).requires_grad_()
    with tg.no_grad():
        assert not tg.normal(mean, 1.0).requires_grad
    assert tg.normal(mean.detach(), 1.0).grad_fn is None


def test_normal_out_is_written_and_refused_while_recording(tg_device):
    rng = np.random.default_rng(1804)
    mean = _rand(rng, (3,), tg_device)
    out = tg.empty(3, dtype=tg.float64, device=tg_device)
    assert tg.normal(mean, 0.0, out=out) is out
    np.testing.assert_array_equal(out.cpu().numpy(), mean.cpu().numpy())  # std 0: the mean itself
    before = out.clone()
    with pytest.raises(RuntimeError, match=r"normal\(\): functions with out=\.\.\. arguments don't support"):
        tg.normal(mean.requires_grad_(), 1.0, out=out)
    assert tg.equal(out, before)  # refused before anything was written
    sized = tg.empty(4, device=tg_device)
    assert tg.normal(2.0, 0.0, (4,), out=sized) is sized
    assert sized.cpu().numpy().tolist() == [2.0] * 4


# --------------------------------------------------------------------------- aminmax
def test_aminmax_shares_one_node_and_splits_ties_evenly(tg_device):
    x = tg.tensor([[1.0, 1.0, 2.0, 2.0], [3.0, 0.0, 0.0, 3.0]], dtype=tg.float64, device=tg_device,
                  requires_grad=True)
    r = tg.aminmax(x)
    assert r.min.grad_fn is r.max.grad_fn
    assert type(r.min.grad_fn).__name__ == "AminmaxBackward0"
    assert (r.min.output_nr, r.max.output_nr) == (0, 1)
    (r.min * 2 + r.max * 3).backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 0, 0, 0], [1.5, 1, 1, 1.5]])


@pytest.mark.parametrize("keepdim", [False, True])
def test_aminmax_along_a_dim_and_with_one_output_used(tg_device, keepdim):
    x = tg.tensor([[1.0, 1.0, 2.0, 2.0], [3.0, 0.0, 0.0, 3.0]], dtype=tg.float64, device=tg_device,
                  requires_grad=True)
    r = tg.aminmax(x, dim=-1, keepdim=keepdim)
    assert r.max.shape == ((2, 1) if keepdim else (2,))
    (r.min.sum() * 2 + r.max.sum() * 3).backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[1, 1, 1.5, 1.5], [1.5, 1, 1, 1.5]])
    x.grad = None
    tg.aminmax(x, dim=0, keepdim=keepdim).max.sum().backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), [[0, 1, 1, 0], [1, 0, 0, 1]])


def test_aminmax_gradients_match_finite_differences():
    rng = np.random.default_rng(1805)
    x = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: tg.aminmax(t, dim=1), (x,))
    assert tg.autograd.gradgradcheck(lambda t: tg.aminmax(t), (x,))


# --------------------------------------------------------------------------- var_mean / std_mean
@pytest.mark.parametrize("fname,node", [("var_mean", "VarMeanBackward0"), ("std_mean", "StdMeanBackward0")])
def test_var_mean_share_one_node(tg_device, fname, node):
    rng = np.random.default_rng(1806)
    x = _rand(rng, (2, 4), tg_device).requires_grad_()
    spread, mean = getattr(tg, fname)(x, dim=1)
    assert spread.grad_fn is mean.grad_fn
    assert type(spread.grad_fn).__name__ == node
    assert (spread.output_nr, mean.output_nr) == (0, 1)


@pytest.mark.parametrize("fname", ["var_mean", "std_mean"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}, {"dim": 0, "correction": 0},
                                    {"dim": -1, "unbiased": False, "keepdim": True}, {"correction": 2}])
def test_var_mean_gradient_is_the_sum_of_its_parts(tg_device, fname, kwargs):
    rng = np.random.default_rng(1807)
    data = rng.standard_normal((3, 4))
    weights = rng.standard_normal(2)
    x = tg.tensor(data, device=tg_device, requires_grad=True)
    spread, mean = getattr(tg, fname)(x, **kwargs)
    (spread.sum() * float(weights[0]) + mean.sum() * float(weights[1])).backward()
    # the same through the separate ops, whose gradients are tested on their own
    y = tg.tensor(data, device=tg_device, requires_grad=True)
    one = tg.std if fname == "std_mean" else tg.var
    mean_kwargs = {k: v for k, v in kwargs.items() if k in ("dim", "keepdim")}
    (one(y, **kwargs).sum() * float(weights[0]) + y.mean(**mean_kwargs).sum() * float(weights[1])).backward()
    np.testing.assert_allclose(x.grad.cpu().numpy(), y.grad.cpu().numpy(), rtol=1e-12, atol=1e-12)


def test_std_mean_of_constant_input_has_zero_spread_gradient():
    x = tg.ones(3, requires_grad=True)
    spread, _ = tg.std_mean(x)
    spread.backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("fname", ["var_mean", "std_mean"])
def test_var_mean_gradients_match_finite_differences(fname):
    rng = np.random.default_rng(1808)
    x = tg.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    fn = getattr(tg, fname)
    assert tg.autograd.gradcheck(lambda t: fn(t, dim=1, correction=0), (x,))
    assert tg.autograd.gradgradcheck(lambda t: fn(t, keepdim=True), (x,))


def test_var_mean_not_recorded_under_no_grad():
    x = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        assert not any(t.requires_grad for t in (*tg.var_mean(x), *tg.std_mean(x), *tg.aminmax(x)))


# --------------------------------------------------------------------------- cummax / cummin
@pytest.mark.parametrize("fname", ["cummax", "cummin"])
def test_cummax_refuses_complex_input(tg_device, fname):
    z = tg.ones(3, dtype=tg.complex64, device=tg_device)
    with pytest.raises(NotImplementedError, match=f'"{fname}_cpu" not implemented for \'ComplexFloat\''):
        getattr(tg, fname)(z, 0)


# --------------------------------------------------------------------------- custom Function views
def _view_function():
    from tensorgraft.autograd import Function

    class ViewOf(Function):
        @staticmethod
        def forward(ctx, x):
            return x.view(3)

        @staticmethod
        def backward(ctx, g):
            return g
    return ViewOf


def _as_is_function():
    from tensorgraft.autograd import Function

    class Same(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g
    return Same


_CUSTOM_VIEW = (r"Output 0 of {} is a view and is being modified inplace\. This view was created inside a custom "
                r"Function \(or because an input was returned as-is\)")


@pytest.mark.parametrize("make,name", [(_view_function, "ViewOf"), (_as_is_function, "Same")])
@pytest.mark.parametrize("write", ["mul_", "add_", "zero_"])
def test_inplace_on_custom_function_view_is_refused(tg_device, make, name, write):
    a = tg.ones(3, device=tg_device, requires_grad=True).clone()
    y = make().apply(a)
    before = a.clone()
    with pytest.raises(RuntimeError, match=_CUSTOM_VIEW.format(name)):
        if write == "zero_":
            y.zero_()
        else:
            getattr(y, write)(2.0)
    assert tg.equal(a, before)  # refused before anything was written


def test_inplace_on_custom_function_view_allowed_without_recording(tg_device):
    ViewOf = _view_function()
    a = tg.ones(3, device=tg_device, requires_grad=True).clone()
    y = ViewOf.apply(a)
    with tg.no_grad():
        y.mul_(2.0)
    z = ViewOf.apply(tg.ones(3, device=tg_device))  # nothing requires grad: nothing recorded
    z.mul_(2.0)
    assert z.cpu().numpy().tolist() == [2.0, 2.0, 2.0]


def test_inplace_on_custom_function_fresh_output_is_allowed(tg_device):
    from tensorgraft.autograd import Function

    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    a = tg.ones(3, device=tg_device, requires_grad=True)
    y = Double.apply(a)
    y.mul_(3.0)
    y.sum().backward()
    assert a.grad.cpu().numpy().tolist() == [6.0, 6.0, 6.0]


def test_index_assignment_into_custom_function_view_is_refused():
    y = _view_function().apply(tg.ones(3, requires_grad=True).clone())
    with pytest.raises(RuntimeError, match="^Output 0 of Select is a view and is being modified inplace. This view "
                                           "was created inside a custom Function"):
        y[0] = 3.0
    with pytest.raises(RuntimeError, match="^Output 0 of ViewOf is a view"):
        y[tg.tensor([0, 1])] = 3.0
    assert y.tolist() == [1.0, 1.0, 1.0]   # refused before anything was written
    with tg.no_grad():
        y[0] = 3.0                         # outside grad mode the write is allowed, as in PyTorch
    assert y.tolist() == [3.0, 1.0, 1.0]
