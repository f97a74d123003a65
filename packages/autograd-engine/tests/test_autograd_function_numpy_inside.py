"""Custom autograd Functions written as PyTorch's own test database writes them (NumPy inside
``forward``/``backward``, ``setup_context``, ``save_for_forward`` and ``jvp``, ``mark_dirty``, a vmap
rule with a defaulted argument): the behaviours they rely on, each as PyTorch has it.
(tests/test_pytorch_autograd_function_oracle.py runs PyTorch's database itself against PyTorch.)"""
import numpy as np
import pytest

import tensorgraft as torch
from tensorgraft.autograd import forward_ad as fwAD


def _f64(values, requires_grad=False):
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


def test_numpy_of_a_tensor_requiring_grad_is_refused_only_while_grad_mode_is_on():
    x = _f64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        x.numpy()
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        np.asarray(x)
    with torch.no_grad():  # PyTorch checks grad mode too: under no_grad the array is handed out
        assert x.numpy().tolist() == [1.0, 2.0]
        assert np.asarray(x).tolist() == [1.0, 2.0]


class NumpyCube(torch.autograd.Function):
    """forward and backward through NumPy; jvp reads what save_for_forward kept."""

    @staticmethod
    def forward(x):
        return torch.tensor(x.numpy() ** 3), torch.tensor(3 * x.numpy() ** 2)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0], output[1])
        ctx.save_for_forward(inputs[0], output[1])

    @staticmethod
    def backward(ctx, grad_out, grad_dx):
        x, dx = ctx.saved_tensors
        return grad_out * dx + grad_dx * 6 * x

    @staticmethod
    def jvp(ctx, tangent):
        x, dx = ctx.saved_tensors
        return tangent * dx, tangent * 6 * x


def test_forward_may_read_an_input_requiring_grad_through_numpy():
    x = _f64([1.0, 2.0], requires_grad=True)
    cube, _ = NumpyCube.apply(x)  # (forward runs under no_grad, as in PyTorch)
    cube.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0]


def test_jvp_reads_the_tensors_saved_for_forward():
    x, t = _f64([1.0, 2.0]), _f64([1.0, 0.5])
    with fwAD.dual_level():
        cube, dx = NumpyCube.apply(fwAD.make_dual(x, t))
        assert fwAD.unpack_dual(cube).tangent.tolist() == [3.0, 6.0]
        assert fwAD.unpack_dual(dx).tangent.tolist() == [6.0, 6.0]


class SavedForBackwardOnly(torch.autograd.Function):
    seen = []

    @staticmethod
    def forward(x):
        return x * 2

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, g):
        return g * 2

    @staticmethod
    def jvp(ctx, tangent):
        SavedForBackwardOnly.seen.append(ctx.saved_tensors)
        return tangent * 2


@pytest.mark.parametrize("requires_grad", [False, True])
def test_jvp_without_save_for_forward_sees_nothing_saved(requires_grad):
    SavedForBackwardOnly.seen.clear()
    with fwAD.dual_level():
        x = fwAD.make_dual(_f64([1.0, 2.0], requires_grad=requires_grad), _f64([1.0, 1.0]))
        out = SavedForBackwardOnly.apply(x)
        assert fwAD.unpack_dual(out).tangent.tolist() == [2.0, 2.0]
    assert SavedForBackwardOnly.seen == [()]  # (save_for_backward's tensors are not jvp's, as in PyTorch)


class NumpyExp_(torch.autograd.Function):
    """exp in place through NumPy: the input is marked dirty and the output (the input) saved."""

    @staticmethod
    def forward(x):
        np.exp(x.numpy(), x.numpy())
        return x

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_dirty(inputs[0])
        ctx.save_for_backward(output)

    @staticmethod
    def backward(ctx, grad_output):
        (output,) = ctx.saved_tensors
        return grad_output * output


def test_an_output_saved_in_setup_context_after_mark_dirty_is_not_stale():
    x = _f64([0.5, 1.0], requires_grad=True)
    y = NumpyExp_.apply(x.clone())
    assert y._version == 1
    y.sum().backward()  # (its saved version is the one after the dirty bump, as PyTorch records it)
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]))


class SaveThenModify(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = x * 2
        ctx.save_for_backward(y)
        y.add_(1)  # forward's own in-place write, after saving: PyTorch records the version at the end
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return g * y


def test_saved_versions_are_taken_when_the_graph_is_recorded():
    x = _f64([1.0, 2.0], requires_grad=True)
    out = SaveThenModify.apply(x)
    out.sum().backward()
    assert x.grad.tolist() == [3.0, 5.0]  # PyTorch's result
    out.add_(1)  # a later in-place change of the saved output is still caught
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        SaveThenModify.apply(x).mul_(1).sum().backward()


class SelectWithDefault(torch.autograd.Function):
    @staticmethod
    def forward(x, idx=(2,)):
        return x[idx]

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.shape, ctx.idx = inputs[0].shape, inputs[1]

    @staticmethod
    def backward(ctx, grad_output):
        grad = grad_output.new_zeros(ctx.shape)
        grad[ctx.idx] = grad_output
        return grad, None

    @staticmethod
    def vmap(info, in_dims, x, idx):
        return SelectWithDefault.apply(x.movedim(in_dims[0], 1), idx), 0


def test_the_vmap_rule_gets_forwards_defaults():
    pytest.importorskip("tensorgraft.func")
    x = torch.arange(15.0).reshape(5, 3)
    out = torch.vmap(SelectWithDefault.apply)(x)  # (idx not given: the rule receives its default)
    assert out.tolist() == x[:, 2].tolist()
