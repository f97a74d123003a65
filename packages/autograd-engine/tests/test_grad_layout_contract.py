"""A leaf's first ``.grad`` follows PyTorch's gradient layout contract (``AccumulateGrad``): the
leaf's strides when the leaf is dense (transposed, permuted, channels-last), row-major otherwise;
``enforce_grad_layout_policy(False)`` keeps the incoming gradient's layout instead. Before
2026-12-07 every first gradient was row-major. The PyTorch comparison is
test_grad_layout_contract_oracle.py."""
import numpy as np
import pytest

import tensorgraft as tg


def _leaves():
    yield "row_major", tg.randn(4, 6).requires_grad_()
    yield "transposed", tg.randn(6, 4).t().requires_grad_()
    yield "permuted", tg.randn(2, 3, 4).permute(2, 0, 1).requires_grad_()
    yield "channels_last", tg.randn(2, 3, 4, 5).to(memory_format=tg.channels_last).requires_grad_()


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("name", ["row_major", "transposed", "permuted", "channels_last"])
@pytest.mark.parametrize("loss", ["mul_sum", "exp_sum", "sum", "create_graph"])
def test_first_grad_takes_a_dense_leafs_strides(name, loss):
    p = dict(_leaves())[name]
    if loss == "create_graph":
        (g,) = tg.autograd.grad((p * p).sum(), p, create_graph=True)
        p2 = p.detach().requires_grad_()  # (a leaf with p's layout) whose grad carries a graph
        (p2 * g).sum().backward(create_graph=True)
        p = p2
        assert p.grad.grad_fn is not None
    else:
        out = {"mul_sum": lambda: (p * 2).sum(), "exp_sum": lambda: p.exp().sum(), "sum": lambda: p.sum()}[loss]()
        out.backward()
    assert p.grad.stride() == p.stride()
    assert p.grad.shape == p.shape
    expected = {"mul_sum": 2.0, "exp_sum": None, "sum": 1.0, "create_graph": None}[loss]
    if expected is not None:
        assert np.array_equal(p.grad.numpy(), np.full(p.shape, expected, np.float32))
    if loss == "exp_sum":
        np.testing.assert_allclose(p.grad.numpy(), np.exp(p.detach().numpy()), rtol=1e-6)


def test_non_dense_leaf_gets_a_row_major_grad():
    base = tg.randn(4, 8)
    p = base[:, ::2].detach()  # a strided view with gaps, made a leaf
    assert p.stride() == (8, 2)
    p.requires_grad_()
    (p * 3).sum().backward()
    assert p.grad.stride() == (4, 1) and p.grad.is_contiguous()


def test_later_gradients_accumulate_into_the_first_ones_layout():
    p = tg.randn(6, 4).t().requires_grad_()
    (p * 2).sum().backward()
    first = p.grad
    (p * 3).sum().backward()
    assert p.grad is first and p.grad.stride() == (1, 4)
    assert np.array_equal(p.grad.numpy(), np.full((4, 6), 5.0, np.float32))


def test_switching_the_policy_off_keeps_the_incoming_layout():
    p = tg.empty(2, 3, 4).permute(2, 0, 1).requires_grad_()
    with tg.autograd.enforce_grad_layout_policy(False):
        (p * 2).sum().backward()  # 2 * expanded ones: a row-major gradient, kept so
    assert p.grad.stride() == (6, 3, 1)
    p.grad = None
    with tg.autograd.enforce_grad_layout_policy(False):
        p.exp().sum().backward()  # exp(p) * ones follows p's layout
    assert p.grad.stride() == (1, 12, 4)


@pytest.mark.parametrize("fn", ["gelu", "silu", "tanh", "softmax0", "log_softmax0", "softmax1"])
def test_elementwise_results_follow_the_inputs_layout_and_softmax_is_row_major(fn):
    x = tg.randn(300, 400).t()
    if fn in ("tanh", "softmax0"):  # (tensor-core's own ops)
        f = {"tanh": tg.tanh, "softmax0": lambda t: t.softmax(0)}[fn]
    else:
        F = pytest.importorskip("tensorgraft.nn.functional", reason="nn-layers is not installed")
        f = {"gelu": F.gelu, "silu": F.silu, "log_softmax0": lambda t: F.log_softmax(t, 0),
             "softmax1": lambda t: F.softmax(t, 1)}[fn]
    y = f(x)
    # elementwise kernels keep the input's memory order; softmax reads input.contiguous() as ATen's
    expected = (1, 400) if fn in ("gelu", "silu", "tanh") else (300, 1)
    assert y.stride() == expected
    reference = f(x.contiguous())
    assert np.array_equal(y.numpy(), reference.numpy())
