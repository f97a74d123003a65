"""``x.add_(y)`` & co. without autograd recording write through NumPy's ufunc straight into x's
array (``_frontend._store_directly``). These pin that the direct path stores exactly what the
general path (compute, then copy in) stores, keeps PyTorch's version counter and aliasing, and
steps aside where it does not apply: other dtypes, broadcasting into x, read-only views, a bool
alpha, and while the profiler or vmap wrap the kernels."""
import numpy as np
import pytest

import tensorgraft as tg

_OPS = {"add_": np.add, "sub_": np.subtract, "mul_": np.multiply, "div_": np.true_divide}


def _operand(kind, dtype):
    rng = np.random.default_rng(7)
    if kind == "tensor":
        return tg.tensor(rng.standard_normal((3, 4)).astype(dtype))
    if kind == "zero_dim":
        return tg.tensor(dtype(1.75))
    return {"int": 3, "float": 0.3}[kind]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["tensor", "zero_dim", "int", "float"])
@pytest.mark.parametrize("name", list(_OPS))
def test_direct_store_equals_the_out_of_place_result(name, kind, dtype):
    x0 = np.random.default_rng(3).standard_normal((3, 4)).astype(dtype)
    other = _operand(kind, dtype)
    x = tg.tensor(x0)
    view = x[1]  # shares x's memory
    version = x._version
    expected = getattr(tg.tensor(x0), name[:-1])(other)
    assert getattr(x, name)(other) is x
    np.testing.assert_array_equal(x.numpy().view(np.uint8), expected.numpy().view(np.uint8))
    assert x.dtype == expected.dtype and x._version == version + 1 and view._version == version + 1
    np.testing.assert_array_equal(view.numpy(), x.numpy()[1])


@pytest.mark.parametrize("name", ["add_", "sub_"])
def test_alpha_scales_other_first(name):
    x0 = np.arange(6, dtype=np.float32).reshape(2, 3)
    y = tg.tensor(np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3))
    x = tg.tensor(x0)
    getattr(x, name)(y, alpha=0.3)
    expected = getattr(tg.tensor(x0), name[:-1])(y, alpha=0.3)
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    x = tg.tensor(x0)
    x.add_(2.0, alpha=3)  # a number times alpha stays a (weak) Python number
    assert x.dtype == tg.float32 and x.tolist() == (x0 + 6).tolist()
    with pytest.raises(RuntimeError, match="Boolean alpha only supported for Boolean results"):
        tg.ones(2).add_(tg.ones(2), alpha=True)


def test_cases_the_direct_path_leaves_to_the_general_one():
    x = tg.ones(2, 3)
    x.add_(tg.tensor([[1.0, 2.0, 3.0]]))  # broadcast into x
    assert x.tolist() == [[2.0, 3.0, 4.0]] * 2
    x = tg.ones(3)
    x.add_(tg.ones(3, dtype=tg.float64))  # another dtype: cast as PyTorch casts
    assert x.dtype == tg.float32 and x.tolist() == [2.0] * 3
    i = tg.ones(3, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        i.mul_(tg.ones(3))
    with pytest.raises(RuntimeError, match="output with shape \\[3\\] doesn't match the broadcast shape \\[2, 3\\]"):
        tg.ones(3).add_(tg.ones(2, 3))
    b = tg.ones(1, 3).expand(2, 3)  # written through PyTorch's way (and refused for overlap)
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element"):
        b.add_(tg.ones(2, 3))


def test_overlapping_operand_is_read_before_it_is_written():
    x = tg.arange(6.0)
    x.sub_(x.flip(0))
    assert x.tolist() == [-5.0, -3.0, -1.0, 1.0, 3.0, 5.0]


def test_in_place_ops_still_reach_the_profiler():
    x, y = tg.ones(4), tg.ones(4)
    with tg.profiler.profile() as prof:
        x.sub_(y)
        x.mul_(2.0)
    assert {"aten::sub", "aten::mul"} <= {e.key for e in prof.key_averages()}
    assert x.tolist() == [0.0] * 4


def test_no_grad_update_of_a_leaf_that_requires_grad():
    pytest.importorskip("tensorgraft.autograd", reason="needs tensorgraft-autograd")
    w = tg.ones(3, requires_grad=True)
    with tg.no_grad():
        w.sub_(tg.full((3,), 0.5))
    assert w.requires_grad and w.grad_fn is None and w.tolist() == [0.5] * 3
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.sub_(1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weight", [0.1, 0.7, 0.0, 1.0, -0.3, 2.5, 3])
def test_lerp_direct_store_equals_the_out_of_place_result(dtype, weight):
    rng = np.random.default_rng(11)
    x0, end = rng.standard_normal((5, 6)).astype(dtype), tg.tensor(rng.standard_normal((5, 6)).astype(dtype))
    x = tg.tensor(x0)
    version = x._version
    assert x.lerp_(end, weight) is x
    expected = tg.lerp(tg.tensor(x0), end, weight)
    np.testing.assert_array_equal(x.numpy().view(np.uint8), expected.numpy().view(np.uint8))
    assert x._version == version + 1


@pytest.mark.parametrize("name", ["addcmul_", "addcdiv_"])
@pytest.mark.parametrize("shapes", [((4, 3), (4, 3)), ((4, 3), ()), ((), ())])
@pytest.mark.parametrize("value", [1, 0.25, -3])
def test_addcmul_addcdiv_direct_store_equals_the_out_of_place_result(name, shapes, value):
    rng = np.random.default_rng(12)
    x0 = rng.standard_normal((4, 3)).astype(np.float32)
    t1, t2 = (tg.tensor(rng.uniform(0.5, 2, s).astype(np.float32)) for s in shapes)
    x = tg.tensor(x0)
    getattr(x, name)(t1, t2, value=value)
    expected = getattr(tg, name[:-1])(tg.tensor(x0), t1, t2, value=value)
    np.testing.assert_array_equal(x.numpy().view(np.uint8), expected.numpy().view(np.uint8))


def test_lerp_and_addcmul_cases_left_to_the_general_path():
    x = tg.zeros(2, 3)
    x.lerp_(tg.ones(1, 3), 0.5)  # broadcast end
    assert x.tolist() == [[0.5] * 3] * 2
    x = tg.zeros(3)
    x.lerp_(tg.ones(3), tg.tensor(0.25))  # a tensor weight
    assert x.tolist() == [0.25] * 3
    with pytest.raises(RuntimeError, match="expected dtype float for `end` but got dtype double"):
        tg.zeros(3).lerp_(tg.ones(3, dtype=tg.float64), 0.5)
    x = tg.ones(3)
    x.addcmul_(tg.ones(3, dtype=tg.float64), tg.ones(3), value=2)  # promotes, then casts back
    assert x.dtype == tg.float32 and x.tolist() == [3.0] * 3
    with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
        tg.ones(3).addcdiv_(tg.ones(3, dtype=tg.int64), tg.ones(3, dtype=tg.int64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("call", ["clamp_(-0.5, 0.5)", "clamp_(min=0)", "clamp_(max=-1)", "clamp_(2, -2)",
                                  "clip_(0, 1)", "clamp_min_(0.25)", "clamp_max_(0)", "clamp_(None, 3)"])
def test_clamp_direct_store_equals_the_out_of_place_result(dtype, call):
    x0 = np.array([-3.0, -0.0, 0.0, 0.3, float("nan"), 2.0, float("inf")], dtype)
    x = tg.tensor(x0)
    version = x._version
    assert eval(f"x.{call}") is x
    name, args = call.split("(", 1)
    expected = eval(f"tg.tensor(x0).{name[:-1]}({args}")
    np.testing.assert_array_equal(x.numpy().view(np.uint8), expected.numpy().view(np.uint8))
    assert x._version == version + 1


def test_clamp_in_place_refusals_come_before_any_write():
    i = tg.tensor([1, 5], dtype=tg.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type long int"):
        i.clamp_(0.5)
    with pytest.raises(RuntimeError, match="At least one of 'min' or 'max' must not be None"):
        tg.ones(2).clamp_()
    x = tg.tensor([0.0, 3.0])
    x.clamp_(tg.tensor(1.0), tg.tensor([2.0, 2.5]))  # tensor bounds: the general path
    assert x.tolist() == [1.0, 2.5] and i.tolist() == [1, 5]
