"""Custom ops' gradients as PyTorch's ``torch.library`` gives them (the cases of PyTorch's own
``custom_op_db``, which tests/test_pytorch_autograd_function_oracle.py runs against PyTorch):
``ctx.needs_input_grad`` with one entry per input, gradients in the output's structure, and a
saved output that carries the op's own history into second-order gradients."""
from __future__ import annotations

import itertools

import numpy as np

import tensorgraft as tg
from tensorgraft import Tensor, library

_names = itertools.count()


def _ns():
    return f"tgcustomopgrad{next(_names)}"


def _f64(values, requires_grad=False):
    return tg.tensor(values, dtype=tg.float64, requires_grad=requires_grad)


def test_needs_input_grad_counts_the_ops_inputs_only():
    ns, seen = _ns(), []

    @library.custom_op(f"{ns}::mul", mutates_args=())
    def mul(x: Tensor, y: Tensor) -> Tensor:
        return tg.tensor(x.numpy() * y.numpy())

    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    def backward(ctx, grad):
        seen.append(ctx.needs_input_grad)
        x, y = ctx.saved_tensors
        return (grad * y if ctx.needs_input_grad[0] else None), (grad * x if ctx.needs_input_grad[1] else None)
    mul.register_autograd(backward, setup_context=setup_context)
    x, y = _f64([1.0, 2.0], requires_grad=True), _f64([[3.0, 4.0], [5.0, 6.0]])
    mul(x, y).sum().backward()
    assert seen == [(True, False)]
    assert x.grad.tolist() == [8.0, 10.0]  # (the broadcast gradient summed to x's shape)


def test_list_arguments_get_a_list_of_flags():
    ns, seen = _ns(), []

    @library.custom_op(f"{ns}::cat", mutates_args=())
    def cat(xs: list[Tensor], dim: int) -> Tensor:
        return tg.tensor(np.concatenate([x.numpy() for x in xs], axis=dim))

    def setup_context(ctx, inputs, output):
        ctx.sizes = [x.shape[inputs[1]] for x in inputs[0]]

    def backward(ctx, grad):
        seen.append(ctx.needs_input_grad)
        return list(grad.split(ctx.sizes)), None
    cat.register_autograd(backward, setup_context=setup_context)
    a, b = _f64([1.0], requires_grad=True), _f64([2.0, 3.0])
    (cat([a, b], 0) * _f64([1.0, 2.0, 3.0])).sum().backward()
    assert seen == [([True, False], False)] and a.grad.tolist() == [1.0]


def test_gradients_arrive_in_the_outputs_structure():
    ns, seen = _ns(), []

    @library.custom_op(f"{ns}::split_with_count", mutates_args=())
    def split_with_count(x: Tensor, splits: list[int]) -> tuple[list[Tensor], int]:
        return [tg.tensor(part) for part in np.split(x.numpy(), splits)], len(splits)

    def backward(ctx, grads, count_grad):
        seen.append((type(grads).__name__, len(grads), count_grad))
        return tg.cat(grads), None
    split_with_count.register_autograd(backward)
    x = _f64([1.0, 2.0, 3.0], requires_grad=True)
    parts, count = split_with_count(x, [1])
    assert isinstance(parts, list) and count == 1 and all(p.requires_grad for p in parts)
    (parts[0].sum() * 2 + parts[1].sum()).backward()
    assert seen == [("list", 2, None)] and x.grad.tolist() == [2.0, 1.0, 1.0]


def test_a_saved_output_carries_the_ops_history_into_second_gradients():
    ns = _ns()

    @library.custom_op(f"{ns}::cube", mutates_args=())
    def cube(x: Tensor) -> tuple[Tensor, Tensor]:
        return tg.tensor(x.numpy() ** 3), tg.tensor(3 * x.numpy() ** 2)

    @library.custom_op(f"{ns}::mul", mutates_args=())
    def mul(x: Tensor, y: Tensor) -> Tensor:
        return tg.tensor(x.numpy() * y.numpy())

    def mul_setup(ctx, inputs, output):
        ctx.save_for_backward(*inputs)

    def mul_backward(ctx, grad):
        x, y = ctx.saved_tensors
        return (grad * y if ctx.needs_input_grad[0] else None), (grad * x if ctx.needs_input_grad[1] else None)
    mul.register_autograd(mul_backward, setup_context=mul_setup)

    def cube_setup(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output[1])

    def cube_backward(ctx, grad, grad_dx):
        x, dx = ctx.saved_tensors
        return mul(grad, dx) + 6 * mul(grad_dx, x)
    cube.register_autograd(cube_backward, setup_context=cube_setup)
    x = _f64([1.5], requires_grad=True)
    (first,) = tg.autograd.grad(cube(x)[0].sum(), [x], create_graph=True)
    (second,) = tg.autograd.grad(first.sum(), [x])
    assert first.tolist() == [6.75] and second.tolist() == [9.0]  # 3x^2 and 6x, PyTorch's values
