"""Oracle twin of test_grad_layout_contract.py: the strides of a leaf's first ``.grad`` and of
elementwise and softmax results, against PyTorch's, over leaf layouts, losses, the layout policy
switch and create_graph."""
import numpy as np
import pytest

import tensorgraft as tg

torch = pytest.importorskip("torch")

LAYOUTS = {
    "row_major": lambda lib, a: lib.tensor(a),
    "transposed": lambda lib, a: lib.tensor(a.reshape(6, 4)).t(),
    "permuted": lambda lib, a: lib.tensor(a.reshape(2, 3, 4)).permute(2, 0, 1),
    "channels_last": lambda lib, a: lib.tensor(a.reshape(1, 2, 3, 4)).to(memory_format=lib.channels_last),
    "sliced": lambda lib, a: lib.tensor(a.reshape(4, 6))[:, ::2],
    "size_one_dims": lambda lib, a: lib.tensor(a.reshape(1, 24, 1)).transpose(0, 2),
}
LOSSES = {
    "mul_sum": lambda p: (p * 2).sum(),
    "exp_sum": lambda p: p.exp().sum(),
    "sum": lambda p: p.sum(),
    "mean_square": lambda p: (p * p).mean(),
    "contiguous_first": lambda p: p.contiguous().sin().sum(),
}


def _grad_stride(lib, layout, loss, enforce, create_graph):
    a = np.arange(24, dtype=np.float32) / 10
    p = LAYOUTS[layout](lib, a).detach().requires_grad_()
    with lib.autograd.enforce_grad_layout_policy(enforce):
        if create_graph:
            (g,) = lib.autograd.grad(LOSSES[loss](p), p, create_graph=True)
            q = p.detach().requires_grad_()
            (q * g).sum().backward(inputs=[q], create_graph=True)
            p = q
        else:
            LOSSES[loss](p).backward()
    return p.grad.stride(), p.grad.detach().numpy()


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("enforce", [True, False])
@pytest.mark.parametrize("create_graph", [False, True])
def test_first_grad_strides_match_pytorch(layout, loss, enforce, create_graph):
    ours, ours_values = _grad_stride(tg, layout, loss, enforce, create_graph)
    theirs, their_values = _grad_stride(torch, layout, loss, enforce, create_graph)
    shape = their_values.shape
    if not enforce and not create_graph and 0 in theirs:
        # PyTorch keeps ("steals") an expanded incoming gradient as .grad, stride 0 and all;
        # tensorgraft copies it, densely (differences.md)
        assert ours == tg.empty(shape).stride()
        return
    # strides of size-1 dims carry no meaning (PyTorch's contract compares only the others)
    assert [s for s, n in zip(ours, shape) if n != 1] == [s for s, n in zip(theirs, shape) if n != 1]
    np.testing.assert_allclose(ours_values, their_values, rtol=1e-6)


FUNCTIONS = {
    "gelu": lambda lib, t: lib.nn.functional.gelu(t),
    "gelu_tanh": lambda lib, t: lib.nn.functional.gelu(t, approximate="tanh"),
    "silu": lambda lib, t: lib.nn.functional.silu(t),
    "tanh": lambda lib, t: t.tanh(),
    "sigmoid": lambda lib, t: t.sigmoid(),
    "softmax0": lambda lib, t: t.softmax(0),
    "softmax_last": lambda lib, t: t.softmax(-1),
    "log_softmax0": lambda lib, t: t.log_softmax(0),
    "F_softmax0": lambda lib, t: lib.nn.functional.softmax(t, 0),
    "F_log_softmax_last": lambda lib, t: lib.nn.functional.log_softmax(t, -1),
}


@pytest.mark.parametrize("fn", sorted(FUNCTIONS))
@pytest.mark.parametrize("layout", ["transposed_large", "transposed_small", "permuted_3d"])
def test_result_and_grad_strides_match_pytorch(fn, layout):
    a = np.random.default_rng(0).standard_normal(300 * 400 if layout == "transposed_large" else 24).astype(np.float32)
    strides = []
    for lib in (tg, torch):
        t = lib.tensor(a)
        x = {"transposed_large": lambda: t.reshape(300, 400).t(), "transposed_small": lambda: t.reshape(6, 4).t(),
             "permuted_3d": lambda: t.reshape(2, 3, 4).permute(2, 0, 1)}[layout]().detach().requires_grad_()
        y = FUNCTIONS[fn](lib, x)
        y.backward(lib.ones_like(y))
        strides.append((y.stride(), x.grad.stride()))
    assert strides[0] == strides[1]
