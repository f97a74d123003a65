"""torch.library.register_vmap: a custom op's own batching rule under the vectorized vmap (called
once with the physical tensors, their real in_dims and VmapInfo; outputs batched along the
out_dims it returns), the per-sample fallback for a custom op without one, and PyTorch's errors.
Expected values and messages were computed with PyTorch 2.13 (CPU) on the same inputs."""
from __future__ import annotations

from typing import Tuple

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import Tensor, library
from tensorgraft.func import _vmap

_counter = iter(range(10 ** 6))


@pytest.fixture(autouse=True)
def vectorized_vmap(monkeypatch):
    """register_vmap rules are the vectorized vmap's (the loop mode runs every op per slice)."""
    monkeypatch.setattr(_vmap, "_MODE", "vectorized")


def _ns():
    return f"tgs26vmap{next(_counter)}"


def _numpy_cube(ns):
    @library.custom_op(f"{ns}::numpy_cube", mutates_args=())
    def numpy_cube(x: Tensor) -> Tuple[Tensor, Tensor]:
        x_np = x.cpu().numpy()
        return tg.tensor(x_np ** 3, device=x.device), tg.tensor(3 * x_np ** 2, device=x.device)
    return numpy_cube


X = tg.arange(6.0).reshape(2, 3)
CUBE = [[0.0, 1.0, 8.0], [27.0, 64.0, 125.0]]
DCUBE = [[0.0, 3.0, 12.0], [27.0, 48.0, 75.0]]


def test_without_a_rule_the_op_runs_per_sample_on_plain_tensors():
    # PyTorch's batched fallback: the implementation may call .numpy() on what it gets
    op = _numpy_cube(_ns())
    y, dy = tg.vmap(op)(X)
    np.testing.assert_array_equal(y.numpy(), CUBE)
    np.testing.assert_array_equal(dy.numpy(), DCUBE)
    assert tg.vmap(lambda v: op(v)[0].sum())(X).tolist() == [9.0, 216.0]


def test_the_rule_is_called_once_with_physical_tensors_and_real_in_dims():
    op = _numpy_cube(_ns())
    calls = []

    def rule(info, in_dims, x):
        calls.append((info.batch_size, info.randomness, in_dims, tuple(x.shape), type(x) is Tensor))
        return op(x), (in_dims[0], in_dims[0])

    assert library.register_vmap(op, rule) is None
    y, dy = tg.vmap(op)(X)
    np.testing.assert_array_equal(y.numpy(), CUBE)
    np.testing.assert_array_equal(dy.numpy(), DCUBE)
    assert calls == [(2, "error", (0,), (2, 3), True)]
    # in_dims=1: the rule sees the input as given, mapped over dim 1 (PyTorch: in_dims (1,))
    y, _ = tg.vmap(op, in_dims=1, randomness="same")(X)
    assert calls[-1] == (3, "same", (1,), (2, 3), True)
    np.testing.assert_array_equal(y.numpy(), np.array(CUBE).T)
    # called through tensorgraft.ops.<ns>.<name> too
    packet = getattr(tg.ops, op._namespace).numpy_cube
    np.testing.assert_array_equal(tg.vmap(packet)(X)[0].numpy(), CUBE)
    assert len(calls) == 3


def test_nested_vmaps_call_the_rule_once_per_level():
    op = _numpy_cube(_ns())
    shapes = []

    def rule(info, in_dims, x):
        shapes.append((info.batch_size, in_dims, tuple(x.shape)))
        return op(x), (in_dims[0], in_dims[0])

    op.register_vmap(rule)
    y, _ = tg.vmap(tg.vmap(op))(X)
    np.testing.assert_array_equal(y.numpy(), CUBE)
    # (PyTorch 2.13: the inner level first, its physical tensor still batched at the outer one)
    assert shapes == [(3, (0,), (3,)), (2, (0,), (2, 3))]


def test_an_unbatched_call_inside_vmap_skips_the_rule():
    op = _numpy_cube(_ns())
    calls = []
    op.register_vmap(lambda info, in_dims, x: calls.append(1) or (op(x), (0, 0)))
    out, _ = tg.vmap(lambda x, y: op(y), in_dims=(0, None))(X, X)
    assert calls == [] and tuple(out.shape) == (2, 2, 3)
    np.testing.assert_array_equal(out[1].numpy(), CUBE)


def test_the_docstring_numpy_mul_rule_by_name_as_a_decorator():
    ns = _ns()

    @library.custom_op(f"{ns}::numpy_mul", mutates_args=())
    def numpy_mul(x: Tensor, y: Tensor) -> Tensor:
        return tg.tensor(x.cpu().numpy() * y.cpu().numpy(), device=x.device)

    seen = []

    @library.register_vmap(f"{ns}::numpy_mul")
    def numpy_mul_vmap(info, in_dims, x, y):
        seen.append(in_dims)
        x_bdim, y_bdim = in_dims
        x = x.movedim(x_bdim, -1) if x_bdim is not None else x.unsqueeze(-1)
        y = y.movedim(y_bdim, -1) if y_bdim is not None else y.unsqueeze(-1)
        return (x * y).movedim(-1, 0), 0

    assert numpy_mul_vmap is None  # (PyTorch's decorator returns None)
    a, b = tg.tensor([1.0, 2.0, 3.0]), tg.tensor([4.0, 5.0, 6.0])
    assert tg.vmap(numpy_mul)(a, b).tolist() == [4.0, 10.0, 18.0]
    assert tg.vmap(numpy_mul, in_dims=(0, None))(a, b).tolist() == [[4.0, 5.0, 6.0], [8.0, 10.0, 12.0],
                                                                    [12.0, 15.0, 18.0]]
    assert seen == [(0, 0), (0, None)]


def test_arguments_reach_the_rule_as_pytorchs_dispatcher_passes_them():
    # PyTorch 2.13: positional parameters positionally, trailing ones equal to their defaults
    # dropped; keyword-only ones by keyword, only when not their default
    ns = _ns()

    @library.custom_op(f"{ns}::scale", mutates_args=())
    def scale(x: Tensor, factor: float = 2.0) -> Tensor:
        return x * factor

    got = []

    def rule(info, in_dims, *args, **kwargs):
        got.append((in_dims, args[1:], kwargs))
        return scale(*args, **kwargs), 0

    scale.register_vmap(rule)
    t = tg.tensor([1.0, 2.0])
    assert tg.vmap(lambda v: scale(v, factor=3.0))(t).tolist() == [3.0, 6.0]
    assert tg.vmap(scale)(t).tolist() == [2.0, 4.0]
    assert tg.vmap(lambda v: scale(v, 2.0))(t).tolist() == [2.0, 4.0]
    assert got == [((0, None), (3.0,), {}), ((0,), (), {}), ((0,), (), {})]

    @library.custom_op(f"{ns}::sc2", mutates_args=())
    def sc2(x: Tensor, y: Tensor, *, f: float = 2.0) -> Tensor:
        return x * f + y

    def rule2(info, in_dims, *args, **kwargs):
        got.append((in_dims, args[2:], kwargs))
        return sc2(*args, **kwargs), 0

    sc2.register_vmap(rule2)
    assert tg.vmap(lambda v: sc2(v, v, f=3.0))(t).tolist() == [4.0, 8.0]
    assert tg.vmap(lambda v: sc2(v, v))(t).tolist() == [3.0, 6.0]
    assert got[-2:] == [((0, 0), (), {"f": 3.0}), ((0, 0), (), {})]


def test_a_define_impl_op_takes_a_rule_too():
    ns = _ns()
    library.define(f"{ns}::twice", "(Tensor x) -> Tensor")
    library.impl(f"{ns}::twice", "cpu", lambda x: tg.from_numpy(x.numpy() * 2))
    used = []

    def rule(info, in_dims, x):
        used.append(in_dims)
        return getattr(tg.ops, ns).twice(x), in_dims[0]

    library.register_vmap(getattr(tg.ops, ns).twice.default, rule)
    assert tg.vmap(getattr(tg.ops, ns).twice)(X).tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    assert used == [(0,)]


def test_an_unregistered_define_op_runs_per_sample():
    ns = _ns()
    library.define(f"{ns}::neg", "(Tensor x) -> Tensor")
    library.impl(f"{ns}::neg", "cpu", lambda x: tg.from_numpy(-x.numpy()))
    assert tg.vmap(getattr(tg.ops, ns).neg)(X).tolist() == [[-0.0, -1.0, -2.0], [-3.0, -4.0, -5.0]]


def test_bad_rule_returns_and_bad_ops_raise_pytorchs_errors():
    op = _numpy_cube(_ns())
    op.register_vmap(lambda info, in_dims, x: (op(x), (0, 0, 0)))
    with pytest.raises(RuntimeError, match=r"The autograd.Function's vmap staticmethod returned an incompatible "
                                           r"\(output, out_dims\) tuple. Expected out_dims=\(0, 0, 0\)"):
        tg.vmap(op)(X)
    op.register_vmap(lambda info, in_dims, x: op(x)[0])
    with pytest.raises(RuntimeError, match="Expected the vmap staticmethod to have two returns"):
        tg.vmap(op)(X)
    with pytest.raises(ValueError, match=r"^register_vmap\(3\): got unexpected type for op: <class 'int'>$"):
        library.register_vmap(3, lambda *a: None)
    with pytest.raises(AttributeError, match=r"^'_OpNamespace' 'nolib' object has no attribute 'nope'$"):
        library.register_vmap("nolib::nope", lambda *a: None)


def test_outside_vmap_the_rule_is_not_used_and_gradients_flow():
    op = _numpy_cube(_ns())
    calls = []
    op.register_vmap(lambda info, in_dims, x: calls.append(1) or (op(x), (0, 0)))
    y, _ = op(tg.tensor([2.0]))
    assert y.tolist() == [8.0] and calls == []

    ns = _ns()

    @library.custom_op(f"{ns}::nsin", mutates_args=())
    def nsin(x: Tensor) -> Tensor:
        return tg.from_numpy(np.sin(x.numpy()))

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    nsin.register_autograd(lambda ctx, g: g * ctx.saved_tensors[0].cos(), setup_context=setup_context)
    nsin.register_vmap(lambda info, in_dims, x: (nsin(x), in_dims[0]))
    x = (tg.arange(6.0).reshape(2, 3) / 4).requires_grad_()
    y = tg.vmap(nsin)(x)
    y.sum().backward()
    # PyTorch 2.13: the gradient through the rule's (non-batched) call of the op
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 0.9689124, 0.87758255], [0.7316889, 0.5403023, 0.31532237]],
                               rtol=1e-6)


def test_a_composite_define_op_runs_on_the_batched_tensors():
    # its kernel is made of tensorgraft ops (which have batching rules): no per-sample loop needed
    ns = _ns()
    library.define(f"{ns}::f", "(Tensor x) -> Tensor")
    library.impl(f"{ns}::f", "CompositeImplicitAutograd", lambda x: x.sin() * 2)
    np.testing.assert_allclose(tg.vmap(getattr(tg.ops, ns).f)(X).numpy(),
                               [[0.0, 1.6829419, 1.8185949], [0.2822400, -1.5136049, -1.9178485]], rtol=1e-6)


def test_the_hook_is_connected_whichever_of_func_and_library_loads_first():
    import subprocess
    import sys
    for first, second in (("tensorgraft.func", "tensorgraft.library"), ("tensorgraft.library", "tensorgraft.func")):
        code = (f"import tensorgraft, {first}, {second}\n"
                "from tensorgraft.library import custom_ops\n"
                "assert custom_ops._vmap_state is not None and custom_ops._vmap_call is not None\n")
        subprocess.run([sys.executable, "-c", code], check=True)
