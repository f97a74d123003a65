"""``Tensor.grad_dtype`` (PyTorch 2.13), ``autograd.enforce_grad_layout_policy`` and
``autograd.graph.region_activation_memory_budget``. Expected values and messages were computed with
PyTorch 2.13 (CPU build); no PyTorch is imported here."""
import copy

import pytest

import tensorgraft as tg
from tensorgraft.autograd.graph_policies import is_grad_layout_policy_enforced


def test_grad_dtype_docstring_example():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad_dtype == tg.float32  # by default, the tensor's dtype
    x.grad_dtype = tg.float16
    assert x.grad_dtype == tg.float16
    x.grad_dtype = None  # any gradient dtype
    assert x.grad_dtype is None


def test_grad_dtype_on_leaves_only():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="^grad_dtype can only be accessed on leaf tensors.$"):
        _ = y.grad_dtype
    with pytest.raises(RuntimeError, match="^grad_dtype can only be set on leaf tensors.$"):
        y.grad_dtype = tg.float16
    plain = tg.tensor([1, 2])  # a leaf that does not require grad has one too
    assert plain.grad_dtype == tg.int64
    plain.grad_dtype = tg.float16
    assert plain.grad_dtype == tg.float16
    with pytest.raises(RuntimeError, match="^grad_dtype must be a torch.dtype or None, but got str$"):
        x.grad_dtype = "a"


def test_grad_dtype_is_not_copied_but_survives_requires_grad_changes():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.grad_dtype = tg.float64
    assert x.detach().grad_dtype == tg.float32 and copy.deepcopy(x).grad_dtype == tg.float32
    x.requires_grad_(False)
    assert x.grad_dtype == tg.float64
    x.requires_grad_(True)
    assert x.grad_dtype == tg.float64


def test_backward_casts_to_grad_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.grad_dtype = tg.float16
    (x * 3).sum().backward()
    assert x.grad.dtype == tg.float16 and x.grad.tolist() == [3.0, 3.0]
    (x * 3).sum().backward()  # accumulates in float16
    assert x.grad.dtype == tg.float16 and x.grad.tolist() == [6.0, 6.0]
    x5 = tg.tensor([1.0, 2.0], requires_grad=True)
    x5.grad_dtype = tg.float16
    x5.half().sum().backward()
    assert x5.grad.dtype == tg.float16
    seen = []
    x3 = tg.tensor([1.0, 2.0], requires_grad=True)
    x3.grad_dtype = tg.float64
    x3.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.dtype))
    (x3 * 1).sum().backward()
    assert seen == [tg.float64]


def test_backward_after_clearing_grad_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.grad_dtype = None
    (x * 3).sum().backward()
    assert x.grad.dtype == tg.float32


def test_changing_grad_dtype_with_a_gradient_present():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    x.grad_dtype = tg.float16
    (x * 3).sum().backward()
    with pytest.raises(RuntimeError, match="^Cannot set grad_dtype to 'Double' because there is already a gradient "
                                           "with dtype 'c10::Half'. Please clear the gradient"):
        x.grad_dtype = tg.float64
    x.grad_dtype = tg.float16  # the same dtype as the gradient: allowed
    x.grad_dtype = None  # None: always allowed
    x.grad = None
    x.grad_dtype = tg.float64
    (x * 3).sum().backward()
    assert x.grad.dtype == tg.float64
    y = tg.tensor([1.0, 2.0], requires_grad=True)
    y.grad = tg.ones(2)
    with pytest.raises(RuntimeError, match="^Cannot set grad_dtype to 'Long' because there is already a gradient "
                                           "with dtype 'float'."):
        y.grad_dtype = tg.int64
    z = tg.zeros(2, dtype=tg.uint16)
    z.grad = tg.zeros(2, dtype=tg.uint16)
    with pytest.raises(RuntimeError, match="already a gradient with dtype 'short unsigned int'"):
        z.grad_dtype = tg.float32


def test_assigning_grad_follows_grad_dtype():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype 'double' to a tensor with "
                                           "grad_dtype 'Float'."):
        x.grad = tg.ones(2, dtype=tg.float64)
    x.grad_dtype = tg.float16
    with pytest.raises(RuntimeError, match="^attempting to assign a gradient with dtype 'float' to a tensor with "
                                           "grad_dtype 'Half'."):
        x.grad = tg.ones(2)
    x.grad = tg.ones(2, dtype=tg.float16)
    x.grad_dtype = None
    x.grad = tg.ones(2, dtype=tg.float64)  # any dtype
    assert x.grad.dtype == tg.float64


def test_enforce_grad_layout_policy_switch():
    policy = tg.autograd.enforce_grad_layout_policy
    assert "enforce_grad_layout_policy" in tg.autograd.__all__
    assert is_grad_layout_policy_enforced()
    with policy(False):
        assert not is_grad_layout_policy_enforced()
    assert is_grad_layout_policy_enforced()
    policy(False)  # as a function: takes effect at once
    try:
        assert not is_grad_layout_policy_enforced()
    finally:
        policy(True)

    @policy(False)
    def inside():
        return is_grad_layout_policy_enforced()
    assert is_grad_layout_policy_enforced() and inside() is False and is_grad_layout_policy_enforced()
    with pytest.raises(TypeError, match="^set_grad_layout_enforcement_enabled\\(\\): argument 'enabled' \\(position "
                                        "1\\) must be bool, not str$"):
        policy("a")
    # the docstring's example: the gradient comes out row-major either way (PyTorch 2.13: (6, 3, 1))
    p = tg.empty(2, 3, 4).permute(2, 0, 1).requires_grad_()
    with policy(False):
        (p * 2).sum().backward()
    assert p.grad.stride() == (6, 3, 1)


def test_region_activation_memory_budget_refused_in_eager_mode():
    budget = tg.autograd.graph.region_activation_memory_budget
    with pytest.raises(RuntimeError, match="^torch.autograd.graph.region_activation_memory_budget can only be used "
                                           "inside a torch.compile region; it has no effect in eager mode.$"):
        budget(0.5)
    with pytest.raises(ValueError, match="must be in \\[0, 1\\], got 2$"):
        budget(2)
    with pytest.raises(TypeError, match="expects a float, got bool$"):
        budget(True)
