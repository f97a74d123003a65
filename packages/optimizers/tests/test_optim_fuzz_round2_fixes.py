"""Optimizer regressions found by the second round of differential fuzzing against PyTorch 2.13
(expected values and messages are PyTorch's). Gradients are set directly, so the file runs without
the autograd engine."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import tensorgraft as tg

SPARSE_PLUS_DENSE = "add(sparse, dense) is not supported. Use add(dense, sparse) instead."


def sparse_grad():
    values = tg.tensor([[1.0, 2.0], [3.0, 4.0], [0.5, 0.5]], dtype=tg.float64)
    return tg.sparse_coo_tensor(tg.tensor([[1, 3, 1]]), values, (4, 2))


def dense_then_sparse(**kw):
    p = tg.zeros(4, 2, dtype=tg.float64)
    opt = tg.optim.SGD([p], lr=0.1, momentum=0.9, **kw)
    p.grad = tg.ones(4, 2, dtype=tg.float64)
    opt.step()
    p.grad = sparse_grad()
    return p, opt


def test_sgd_sparse_gradient_continues_a_dense_momentum_buffer():
    p, opt = dense_then_sparse(dampening=0.5)
    opt.step()
    buf = opt.state[p]["momentum_buffer"]
    assert not buf.is_sparse
    np.testing.assert_allclose(buf.numpy(), [[0.9, 0.9], [1.65, 2.15], [0.9, 0.9], [2.4, 2.9]], rtol=1e-12)
    np.testing.assert_allclose(p.numpy(), [[-0.19, -0.19], [-0.265, -0.315], [-0.19, -0.19], [-0.34, -0.39]],
                               rtol=1e-12)


def test_sgd_nesterov_sparse_gradient_after_dense_buffer_is_refused():
    p, opt = dense_then_sparse(nesterov=True)
    with pytest.raises(RuntimeError, match=r"^add\(sparse, dense\) is not supported"):
        opt.step()


def test_sgd_dense_gradient_after_sparse_buffer_is_refused():
    p = tg.zeros(4, 2, dtype=tg.float64)
    opt = tg.optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = sparse_grad()
    opt.step()
    assert opt.state[p]["momentum_buffer"].is_sparse
    p.grad = tg.ones(4, 2, dtype=tg.float64)
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == SPARSE_PLUS_DENSE


@pytest.mark.parametrize("name, option, value, key", [
    ("Adam", "amsgrad", True, "max_exp_avg_sq"),
    ("AdamW", "amsgrad", True, "max_exp_avg_sq"),
    ("RMSprop", "momentum", 0.5, "momentum_buffer"),
    ("RMSprop", "centered", True, "grad_avg"),
])
def test_option_switched_on_after_the_state_exists_raises_key_error(name, option, value, key):
    p = tg.tensor([1.0, 2.0], dtype=tg.float64)
    opt = getattr(tg.optim, name)([p], lr=0.1)
    p.grad = tg.ones(2, dtype=tg.float64)
    opt.step()
    opt.param_groups[0][option] = value
    with pytest.raises(KeyError) as info:
        opt.step()
    assert info.value.args == (key,)
    # a parameter without state yet gets the new key, as in PyTorch (its state is created whole)
    q = tg.tensor([1.0], dtype=tg.float64)
    opt2 = getattr(tg.optim, name)([q], lr=0.1)
    opt2.param_groups[0][option] = value
    q.grad = tg.ones(1, dtype=tg.float64)
    opt2.step()
    assert key in opt2.state[q]


def load_into_other_shape(name, shape_a, shape_b):
    a = tg.ones(shape_a, dtype=tg.float64)
    opt = getattr(tg.optim, name)([a])
    a.grad = tg.ones(shape_a, dtype=tg.float64)
    opt.step()
    b = tg.ones(shape_b, dtype=tg.float64)
    opt2 = getattr(tg.optim, name)([b])
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    b.grad = tg.ones(shape_b, dtype=tg.float64)
    with pytest.raises(RuntimeError) as info:
        opt2.step()
    return str(info.value)


def test_rprop_loaded_state_of_another_size_names_the_gradient_first():
    assert load_into_other_shape("Rprop", (2,), (5,)) == (
        "The size of tensor a (5) must match the size of tensor b (2) at non-singleton dimension 0")


@pytest.mark.parametrize("shape_a, shape_b, message", [
    ((2,), (5,), "The size of tensor a (2) must match the size of tensor b (5) at non-singleton dimension 0"),
    ((3, 4), (2, 4), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
    ((3, 4), (3, 5), "The size of tensor a (4) must match the size of tensor b (5) at non-singleton dimension 1"),
    ((3, 4), (1, 4), "output with shape [1, 4] doesn't match the broadcast shape [3, 4]"),
    ((4,), (1,), "output with shape [1] doesn't match the broadcast shape [4]"),
    ((1,), (3,), "output with shape [1] doesn't match the broadcast shape [3]"),
])
def test_adafactor_loaded_state_of_another_shape(shape_a, shape_b, message):
    assert load_into_other_shape("Adafactor", shape_a, shape_b) == message


def test_lbfgs_strong_wolfe_falling_back_to_the_start_keeps_int_t():
    p = tg.tensor([-2.061846564599783, -0.0674694032201646, 0.5271495309282715, -1.5747296764858876],
                  dtype=tg.float64)
    a = tg.tensor([0.16146130004158443, 1.1414920187052242, 0.3102003095151864, 1.8407314039383107],
                  dtype=tg.float64)
    b = tg.tensor([0.006957066738110932, -0.9595996649364941, 0.3922773871857915, -1.4811328771450891],
                  dtype=tg.float64)

    def closure():
        d = p.detach() - b
        p.grad = 2 * a * d + 0.4 * d ** 3
        return (a * d * d).sum() + 0.1 * (d ** 4).sum()

    opt = tg.optim.LBFGS([p], lr=1.3998, max_iter=1, history_size=5, line_search_fn="strong_wolfe",
                         tolerance_grad=1e-3, tolerance_change=1e-4)
    for _ in range(4):
        opt.step(closure)
    t = opt.state[p]["t"]
    assert type(t) is int and t == 0
    np.testing.assert_allclose(p.numpy(), [-0.42141471837729416, -0.9794446932252332, 0.4241048674964142,
                                           -1.502896555683918], rtol=1e-9)


@pytest.mark.parametrize("value, type_name", [(None, "NoneType"), (0, "int"), (1.0, "float")])
def test_step_refuses_a_non_bool_differentiable(value, type_name):
    p = tg.tensor([1.0, 2.0])
    opt = tg.optim.Adam([p], differentiable=value)
    p.grad = tg.ones(2)
    with pytest.raises(TypeError) as info:
        opt.step()
    assert str(info.value) == ("set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                               + type_name)
    np.testing.assert_array_equal(p.numpy(), [1.0, 2.0])
