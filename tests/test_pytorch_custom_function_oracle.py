"""PyTorch's databases of custom ``autograd.Function`` and ``torch.library.custom_op`` test cases
run on tensorgraft.

``torch.testing._internal.autograd_function_db`` writes ~14 Functions as OpInfos — NumPy inside
``forward`` and ``backward``, ``setup_context`` saving inputs, outputs and intermediates,
``save_for_forward`` and ``jvp``, ``mark_dirty``, ``mark_non_differentiable``,
``once_differentiable``, ``vmap`` staticmethods and ``generate_vmap_rule``, a ``forward`` with a
default argument. Each class runs here as a user would run it with ``import tensorgraft as torch``:
``tensorgraft.testing.opinfo`` writes it again on ``tensorgraft.autograd.Function`` with the same
methods (``torch`` in them meaning tensorgraft), and the checks compare outputs, gradients,
second-order gradients, forward-mode tangents, ``vmap``, the in-place variant and the ``func``
transforms (vjp, jvp, jacrev, jacfwd) with PyTorch's, except the difference listed below.

``torch.testing._internal.custom_op_db`` declares ~13 operators with ``@torch.library.custom_op``
(NumPy implementations; ``register_fake``, ``register_autograd`` with list inputs and outputs and
keyword-only arguments, ``register_vmap``). Its module runs again with ``import tensorgraft as torch``
(``tensorgraft.testing.as_tensorgraft``), declaring the same operators in tensorgraft, and the same
checks compare them.

A listed difference that no longer differs fails as stale, so the list stays true."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from torch.testing._internal.autograd_function_db import autograd_function_db  # noqa: E402
from torch.testing._internal.custom_op_db import custom_op_db  # noqa: E402

from tensorgraft.testing.opinfo import (  # noqa: E402
    check_forward, check_forward_ad, check_func_transforms, check_gradients, check_second_gradients, check_variants,
    check_vmap, judge_verdict,
)

FUNCTIONS = {o.name: o for o in (*autograd_function_db, *custom_op_db)}
CHECKS = {"forward float32": lambda o: check_forward(o, "float32"), "forward float64": lambda o: check_forward(o, "float64"),
          "gradients": check_gradients, "second gradients": check_second_gradients, "forward AD": check_forward_ad,
          "vmap": check_vmap, "in-place variant": lambda o: check_variants(o, "float64"),
          "func transforms": check_func_transforms}
# (Function, check) -> why tensorgraft's result differs
KNOWN = {
    ("CubeGenVmapAutogradFunction", "func transforms"): (
        "tensorgraft's func.jvp/jacfwd compute tangents by the double-backward trick, through the Function's "
        "backward; PyTorch's call its jvp staticmethod. This Function's backward and jvp disagree (its backward "
        "ignores the second output's gradient), so their tangents do; for a Function whose two agree they are the "
        "same (every other Function here)"),
}


def test_the_database_is_what_this_file_expects():
    """(the checks below run over PyTorch's Functions, not over an empty list)"""
    assert {"NumpyCubeAutogradFunction", "NumpyExpMarkDirtyAutogradFunction", "SortGenVmapAutogradFunction",
            "ForwardHasDefaultArgsAutogradFunction", "NumpyCubeCustomOp", "NumpySplitCopyWithIntCustomOp",
            "NumpyMulScalarCustomOp"} <= FUNCTIONS.keys()


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_function_matches_pytorch(name, check):
    verdict, detail = CHECKS[check](FUNCTIONS[name])
    judge_verdict(verdict, detail, KNOWN.get((name, check)))


def test_twin_is_a_tensorgraft_function_with_the_same_methods():
    """The rewritten class: a tensorgraft.autograd.Function subclass whose static methods run with
    tensorgraft (its apply gives tensorgraft tensors) and which keeps its class attributes."""
    import tensorgraft
    from tensorgraft.testing.opinfo import tensorgraft_callable
    apply = tensorgraft_callable(FUNCTIONS["ScaleGradGenVmapAutogradFunction"])
    twin = apply.__self__
    assert issubclass(twin, tensorgraft.autograd.Function) and twin.__name__ == "ScaleGradGenVmap"
    assert twin.generate_vmap_rule is True and twin.scale == 3.14
    x = tensorgraft.tensor([1.0, 2.0], dtype=tensorgraft.float64, requires_grad=True)
    y = apply(x)
    assert isinstance(y, tensorgraft.Tensor) and type(y.grad_fn).__name__ == "ScaleGradGenVmapBackward"
    y.sum().backward()
    assert x.grad.tolist() == [3.14, 3.14]  # (the class attribute, read through the twin)


def test_checks_see_a_wrong_backward(monkeypatch):
    """(the gradient check fails when the twin's backward is wrong)"""
    from tensorgraft.testing import opinfo
    info = FUNCTIONS["SelectAutogradFunction"]
    twin = opinfo.tensorgraft_callable(info).__self__
    right = twin.backward

    def wrong(ctx, grad_output):
        result, none = right(ctx, grad_output)
        return result * 1.01, none
    monkeypatch.setattr(twin, "backward", staticmethod(wrong))
    verdict, detail = check_gradients(info)
    assert verdict == "different" and "gradient 0" in detail


def test_custom_ops_are_tensorgraft_ops_declared_by_pytorchs_module():
    """The custom op db's module, run with tensorgraft, declared its operators in tensorgraft: the
    callable the checks use is ``tensorgraft.ops._torch_testing.<name>``."""
    import tensorgraft
    from tensorgraft.testing.opinfo import tensorgraft_callable
    ours = tensorgraft_callable(FUNCTIONS["NumpyMulCustomOp"])
    assert ours is tensorgraft.ops._torch_testing.numpy_mul
    x = tensorgraft.tensor([2.0, 3.0], requires_grad=True)
    y = ours(x, tensorgraft.tensor([4.0, 5.0]))
    assert y.tolist() == [8.0, 15.0] and type(y.grad_fn).__name__ == (
        "GeneratedBackwardFor__torch_testing_numpy_mul_defaultBackward")


def test_transform_check_sees_a_wrong_backward(monkeypatch):
    """(func.vjp/jacrev through a twin whose backward is 1% off: the transforms check reports it)"""
    from tensorgraft.testing import opinfo
    info = FUNCTIONS["MulGenVmapAutogradFunction"]
    twin = opinfo.tensorgraft_callable(info).__self__
    right = twin.backward
    monkeypatch.setattr(twin, "backward", staticmethod(lambda ctx, g: tuple(
        None if r is None else r * 1.01 for r in right(ctx, g))))
    verdict, detail = check_func_transforms(info)
    assert verdict == "different" and detail.startswith(("vjp", "jacrev")), detail
