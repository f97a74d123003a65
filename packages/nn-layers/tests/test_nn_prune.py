"""nn.utils.prune without PyTorch: the ``_orig``/``_mask`` layout, the forward pre-hook, iterative pruning
through PruningContainer, amount validation, global pruning, remove() and is_pruned()."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.utils import prune


def linear_with(weight, device="cpu"):
    m = nn.Linear(weight.shape[1], weight.shape[0]).to(device)
    with tg.no_grad():
        m.weight.copy_(tg.tensor(weight, dtype=tg.float32, device=device))
    return m


def distinct(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.permutation(np.arange(1, int(np.prod(shape)) + 1)).reshape(shape) * rng.choice([-1.0, 1.0], shape)


def test_l1_unstructured_layout_and_hook(tg_device):
    w = distinct((3, 4), 0)
    m = linear_with(w, tg_device)
    assert prune.l1_unstructured(m, "weight", amount=0.25) is m
    assert list(m.state_dict()) == ["bias", "weight_orig", "weight_mask"]
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_orig"]
    assert [n for n, _ in m.named_buffers()] == ["weight_mask"]
    mask = m.weight_mask.cpu().numpy()
    assert mask.dtype == np.float32
    np.testing.assert_array_equal(mask, (np.abs(w) > 3).astype(np.float32))
    assert not isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), w * mask)
    # the hook recomputes the pruned weight from the (changed) original before each call
    with tg.no_grad():
        m.weight_orig.fill_(2.0)
    m(tg.ones(1, 4, device=tg_device))
    np.testing.assert_allclose(m.weight.detach().cpu().numpy(), 2.0 * mask)
    assert prune.is_pruned(m) and not prune.is_pruned(nn.Linear(2, 2))


def test_gradient_reaches_orig_through_the_mask():
    w = distinct((2, 3), 1)
    m = linear_with(w)
    prune.l1_unstructured(m, "weight", amount=2)
    m(tg.ones(4, 3)).sum().backward()
    np.testing.assert_allclose(m.weight_orig.grad.numpy(), 4.0 * m.weight_mask.numpy())


def test_iterative_pruning_uses_a_container_and_only_prunes_survivors():
    w = distinct((4, 5), 2)
    m = linear_with(w)
    prune.l1_unstructured(m, "weight", amount=5)
    prune.l1_unstructured(m, "weight", amount=5)
    hooks = list(m._forward_pre_hooks.values())
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer) and len(hooks[0]) == 2
    assert all(isinstance(h, prune.L1Unstructured) for h in hooks[0])
    assert int(m.weight_mask.sum().item()) == 10
    np.testing.assert_array_equal(m.weight_mask.numpy(), (np.abs(w) > 10).astype(np.float32))
    # a structured step afterwards looks at whole rows that still have something alive
    prune.ln_structured(m, "weight", amount=1, n=1, dim=0)
    assert len(hooks[0]) == 3
    rows_alive = (m.weight_mask.numpy().sum(1) > 0).sum()
    assert rows_alive <= 3


def test_fractional_amount_rounds_like_python():
    m = linear_with(distinct((1, 5), 3))
    prune.random_unstructured(m, "weight", amount=0.5)   # round(2.5) == 2
    assert int((m.weight_mask == 0).sum().item()) == 2


@pytest.mark.parametrize("amount, exc, msg", [
    (-1, ValueError, "amount=-1 should either be a float in the range [0, 1] or a non-negative integer"),
    (1.5, ValueError, "amount=1.5 should either be a float in the range [0, 1] or a non-negative integer"),
    ("a", TypeError, "Invalid type for amount: a. Must be int or float."),
    (10, ValueError, "amount=10 should be smaller than the number of parameters to prune=6"),
])
def test_amount_errors_leave_module_untouched(amount, exc, msg):
    m = nn.Linear(3, 2)
    with pytest.raises(exc) as info:
        prune.l1_unstructured(m, "weight", amount=amount)
    assert str(info.value) == msg
    assert list(m.state_dict()) == ["weight", "bias"] and not m._forward_pre_hooks


def test_random_structured_and_ln_structured_prune_whole_channels():
    w = distinct((4, 6), 4)
    m = linear_with(w)
    prune.random_structured(m, "weight", amount=2, dim=1)
    cols = m.weight_mask.numpy().sum(0)
    assert sorted(cols.tolist()) == [0, 0, 4, 4, 4, 4]
    m2 = linear_with(w)
    prune.ln_structured(m2, "weight", amount=0.5, n=2, dim=0)
    keep = np.argsort(-np.linalg.norm(w, axis=1))[:2]
    expected = np.zeros((4, 6), np.float32)
    expected[keep] = 1
    np.testing.assert_array_equal(m2.weight_mask.numpy(), expected)
    with pytest.raises(ValueError, match="Structured pruning can only be applied to multidimensional tensors"):
        prune.ln_structured(nn.Linear(3, 2), "bias", amount=1, n=2, dim=0)


def test_importance_scores_drive_the_choice():
    m = nn.Linear(3, 2)
    scores = tg.tensor([[0.0, 5.0, 1.0], [3.0, 2.0, 4.0]])
    prune.l1_unstructured(m, "weight", amount=2, importance_scores=scores)
    np.testing.assert_array_equal(m.weight_mask.numpy(), [[0, 1, 0], [1, 1, 1]])
    with pytest.raises(AssertionError, match="importance_scores should have the same shape as parameter weight"):
        prune.l1_unstructured(nn.Linear(3, 2), "weight", amount=1, importance_scores=tg.ones(3))


def test_custom_from_mask_identity_and_remove():
    m = nn.Linear(3, 2)
    original = m.weight.detach().numpy().copy()
    prune.identity(m, "bias")
    np.testing.assert_array_equal(m.bias_mask.numpy(), [1, 1])
    mask = tg.tensor([[1, 0, 1], [0, 1, 1]])
    prune.custom_from_mask(m, "weight", mask)
    assert m.weight_mask.dtype == tg.float32
    prune.remove(m, "weight")
    assert isinstance(m.weight, nn.Parameter)
    np.testing.assert_allclose(m.weight.detach().numpy(), original * mask.numpy())
    assert list(m.state_dict()) == ["bias_orig", "weight", "bias_mask"]
    with pytest.raises(ValueError, match="Parameter 'weight' of module .* has to be pruned before pruning can be"):
        prune.remove(m, "weight")


def test_global_unstructured_pools_the_parameters():
    a = linear_with(distinct((2, 3), 5))
    b = linear_with(distinct((2, 3), 6) * 10)
    prune.global_unstructured([(a, "weight"), (b, "weight")], pruning_method=prune.L1Unstructured, amount=6)
    # b's entries are all at least 10, a's at most 6: the six smallest are exactly a's
    assert int(a.weight_mask.sum().item()) == 0 and int(b.weight_mask.sum().item()) == 6
    assert isinstance(next(iter(a._forward_pre_hooks.values())), prune.CustomFromMask)
    with pytest.raises(TypeError, match="parameters is not an Iterable"):
        prune.global_unstructured(3, prune.L1Unstructured, amount=1)
    with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
        prune.global_unstructured([(a, "weight")], prune.LnStructured, amount=1, n=1, dim=0)


def test_container_checks_and_prune_method():
    c = prune.PruningContainer()
    c._tensor_name = "w"
    with pytest.raises(TypeError, match="<class 'int'> is not a BasePruningMethod subclass"):
        c.add_pruning_method(3)
    other = prune.L1Unstructured(1)
    other._tensor_name = "v"
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter named 'w'"):
        c.add_pruning_method(other)
    with pytest.raises(TypeError):
        prune.BasePruningMethod()
    out = prune.L1Unstructured(0.5).prune(tg.tensor([1.0, -3.0, 2.0, 0.5]))
    np.testing.assert_array_equal(out.numpy(), [0.0, -3.0, 2.0, 0.0])
    assert prune.LnStructured(2, 1, 0).__dict__ == {"amount": 2, "n": 1, "dim": 0}
    assert prune.RandomStructured(1).__dict__ == {"amount": 1, "dim": -1}
