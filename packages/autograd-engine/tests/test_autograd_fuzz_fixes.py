"""Regressions from the differential fuzzer of the autograd engine (expected values and messages
are PyTorch 2.13's, measured once and written down here)."""
import math

import pytest

import tensorgraft as torch

_NO_GRAD_OUTPUT = ("Output 0 of the user-provided function does not require gradients. The outputs must be computed "
                   "in a differentiable manner from the input when running in strict mode.")


# --------------------------------------------------------------------------- backward(inputs=[non_leaf])
def test_backward_inputs_non_leaf_that_retains_grad_is_counted_once():
    x = torch.ones(2, requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h * 3).sum().backward(inputs=[h])
    assert h.grad.tolist() == [3.0, 3.0]
    assert x.grad is None
    h2 = x * 2  # autograd.grad of a non-leaf: nothing retained
    assert torch.autograd.grad((h2 * 3).sum(), [h2])[0].tolist() == [3.0, 3.0]
    assert not h2.retains_grad


def test_backward_inputs_non_leaf_retains_grad_afterwards():
    x = torch.ones(2, requires_grad=True)
    h = x * 2
    (h * 3).sum().backward(inputs=[h], retain_graph=True)
    assert h.retains_grad
    assert h.grad.tolist() == [3.0, 3.0]
    (h * 5).sum().backward()
    assert h.grad.tolist() == [8.0, 8.0]
    assert x.grad.tolist() == [10.0, 10.0]


# --------------------------------------------------------------------------- dist at distance 0
def test_dist_second_derivative_at_zero_distance_is_nan():
    x = torch.tensor([[1., 2.], [1., 2.]], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.dist(x, x.flip(0)), x, create_graph=True)
    assert g.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    (gg,) = torch.autograd.grad(g.sum(), x)
    assert all(math.isnan(v) for row in gg.tolist() for v in row)


# --------------------------------------------------------------------------- what a node saves
@pytest.mark.parametrize("op, expected", [("max", [[0.0, 1.0], [1.0, 0.0]]), ("min", [[1.0, 0.0], [0.0, 1.0]]),
                                          ("median", [[1.0, 0.0], [0.0, 1.0]]),
                                          ("nanmedian", [[1.0, 0.0], [0.0, 1.0]])])
def test_reduction_along_dim_keeps_only_indices(op, expected):
    x = torch.tensor([[1., 3.], [4., 2.]], requires_grad=True)
    h = x * 1
    v = getattr(h, op)(dim=1).values
    h.add_(1)  # PyTorch's node saved the indices, not h: no error
    v.sum().backward()
    assert x.grad.tolist() == expected
    assert not hasattr(v.grad_fn, "_saved_self")
    h = x * 1
    v = getattr(h, op)()  # a full reduction reads its input: still checked
    h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        v.backward()


def test_copysign_sign_source_changed_in_place_is_no_error():
    x = torch.tensor([[1., 3.], [4., 2.]], requires_grad=True)
    w = torch.tensor([[1., -1.], [-2., 2.]], dtype=torch.float64, requires_grad=True)
    b = w * 1
    y = torch.copysign(x, b)
    b.mul_(2)
    y.sum().backward()
    assert x.grad.tolist() == [[1.0, -1.0], [-1.0, 1.0]]
    assert w.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]] and w.grad.dtype == torch.float64
    assert not hasattr(y.grad_fn, "_saved_other")


# --------------------------------------------------------------------------- calling a node
def test_node_call_returns_gradient_per_edge():
    x = torch.ones(3, requires_grad=True)
    r = (x * 2).grad_fn(torch.ones(3))
    assert isinstance(r, tuple) and len(r) == 2
    assert r[0].tolist() == [2.0, 2.0, 2.0] and r[1] is None
    r = (x + 1).grad_fn(torch.ones(3))
    assert r[0].tolist() == [1.0, 1.0, 1.0] and r[1] is None


def test_node_call_with_one_edge_returns_the_tensor():
    x = torch.ones(3, requires_grad=True)
    r = x.sum().grad_fn(torch.tensor(1.))
    assert isinstance(r, torch.Tensor) and r.tolist() == [1.0, 1.0, 1.0]
    r = x.exp().grad_fn(torch.ones(3))  # runs in the current grad mode: the result has history
    assert type(r.grad_fn).__name__ == "MulBackward0"
    a, _ = x.split(2)
    assert a.grad_fn(torch.ones(2), None).tolist() == [1.0, 1.0, 0.0]


def test_node_call_errors_and_accumulate():
    x = torch.ones(3, requires_grad=True)
    fn = (x * 2).grad_fn
    with pytest.raises(TypeError, match="^expected 1 arguments, got 0 instead$"):
        fn()
    with pytest.raises(TypeError, match="^expected 1 arguments, got 2 instead$"):
        fn(torch.ones(3), torch.ones(3))
    assert fn(None) == (None, None)
    acc = fn.next_functions[0][0]
    assert acc(torch.ones(3)) == ()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]
    z = (x * 2).exp()
    node = z.grad_fn
    z.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        node(torch.ones(3))


# --------------------------------------------------------------------------- autograd.grad(materialize_grads)
def test_materialized_grads_require_grad_under_create_graph():
    x = torch.ones(2, requires_grad=True)
    z = torch.ones(2, requires_grad=True)
    g = torch.autograd.grad((x * x).sum(), [x, z], create_graph=True, materialize_grads=True)
    assert g[1].tolist() == [0.0, 0.0] and g[1].requires_grad
    g = torch.autograd.grad((x * x).sum(), [x, z], materialize_grads=True)
    assert not g[1].requires_grad
    g = torch.autograd.grad((x * x).sum(), [x, z], grad_outputs=[torch.ones(3)], is_grads_batched=True,
                            create_graph=True, materialize_grads=True)
    assert g[1].requires_grad and tuple(g[0].shape) == (3, 2)


# --------------------------------------------------------------------------- autograd.functional strict order
@pytest.mark.parametrize("name, args", [("hessian", (torch.ones(2),)), ("hvp", (torch.ones(2), torch.ones(2))),
                                        ("vhp", (torch.ones(2), torch.ones(2)))])
def test_strict_checks_requires_grad_before_single_element(name, args):
    f = getattr(torch.autograd.functional, name)
    with pytest.raises(RuntimeError) as e:
        f(lambda a: torch.ones(2), *args, strict=True)
    assert str(e.value) == _NO_GRAD_OUTPUT
    with pytest.raises(RuntimeError, match=f"The Tensor returned by the function given to {name} should contain a "
                                           "single element"):
        f(lambda a: torch.ones(2), *args, strict=False)


# --------------------------------------------------------------------------- in-place error messages
def _inplace_message(make):
    with pytest.raises(RuntimeError) as e:
        make().sum().backward()
    return str(e.value).split("inplace operation: ")[1].split(" Hint")[0]


def test_inplace_error_names_nodes_as_pytorch():
    x = torch.ones(3, requires_grad=True)
    w = torch.ones(3, requires_grad=True)

    def view_of_changed_base():
        y = x * 1
        z = y[:2].sin()
        y.mul_(3)
        return z

    def pow_overload():
        z = (x * 1).pow(x)
        z.mul_(2)
        return z

    def copy_slices():
        y = x * 1
        z = w * y
        y[0] = 5.0
        return z

    def prod_overload():
        p = x.prod(0, keepdim=True)
        z = p.exp()
        p.mul_(2)
        return z

    tail = "is at version 1; expected version 0 instead."
    assert _inplace_message(view_of_changed_base) == f"[torch.FloatTensor [2]], which is output 0 of AsStrided, {tail}"
    assert _inplace_message(pow_overload) == f"[torch.FloatTensor [3]], which is output 0 of Pow1, {tail}"
    assert _inplace_message(copy_slices) == ("[torch.FloatTensor [3]], which is output 0 of "
                                             f"torch::autograd::CopySlices, {tail}")
    assert _inplace_message(prod_overload) == f"[torch.FloatTensor [1]], which is output 0 of Prod1, {tail}"
