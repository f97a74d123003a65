"""Oracle twins of test_nn_prune.py: the same pruning calls on the same weights in tensorgraft and
PyTorch (deterministic methods: identical masks; random ones: counts and structure)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
from tensorgraft.nn.utils import prune  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402

tprune = pytest.importorskip("torch.nn.utils.prune")


def twin_linears(shape, seed):
    # distinct magnitudes, so topk never has to break a tie
    rng = np.random.default_rng(seed)
    w = (rng.permutation(np.arange(1, int(np.prod(shape)) + 1)).reshape(shape) * rng.choice([-1.0, 1.0], shape))
    w = (w / 7.0).astype(np.float32)
    b = rng.standard_normal(shape[0]).astype(np.float32)
    ours, theirs = nn.Linear(shape[1], shape[0]), torch.nn.Linear(shape[1], shape[0])
    with tg.no_grad():
        ours.weight.copy_(tg.tensor(w))
        ours.bias.copy_(tg.tensor(b))
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(w))
        theirs.bias.copy_(torch.tensor(b))
    return ours, theirs


def same_state(ours, theirs):
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for (k, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
        assert str(a.dtype) == str(b.dtype), k
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=k)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]


STEPS = [
    [("l1_unstructured", dict(amount=0.3))],
    [("l1_unstructured", dict(amount=7))],
    [("ln_structured", dict(amount=2, n=2, dim=0))],
    [("ln_structured", dict(amount=0.5, n=1, dim=1))],
    [("ln_structured", dict(amount=1, n=float("inf"), dim=-1))],
    [("l1_unstructured", dict(amount=5)), ("l1_unstructured", dict(amount=0.5))],
    [("l1_unstructured", dict(amount=4)), ("ln_structured", dict(amount=1, n=2, dim=0))],
    [("ln_structured", dict(amount=1, n=2, dim=1)), ("l1_unstructured", dict(amount=0.25))],
    [("ln_structured", dict(amount=1, n=2, dim=0)), ("ln_structured", dict(amount=1, n=1, dim=0)),
     ("identity", dict())],
]


@pytest.mark.parametrize("steps", STEPS, ids=lambda s: "+".join(f"{n}{sorted(k.items())}" for n, k in s))
def test_deterministic_pruning_matches_torch(steps):
    ours, theirs = twin_linears((4, 6), seed=len(str(steps)))
    for name, kwargs in steps:
        getattr(prune, name)(ours, "weight", **kwargs)
        getattr(tprune, name)(theirs, "weight", **kwargs)
    same_state(ours, theirs)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert type(ours.weight.grad_fn).__name__ == type(theirs.weight.grad_fn).__name__
    hooks_o, hooks_t = list(ours._forward_pre_hooks.values()), list(theirs._forward_pre_hooks.values())
    assert [type(h).__name__ for h in hooks_o] == [type(h).__name__ for h in hooks_t]
    x = np.random.default_rng(3).standard_normal((2, 6)).astype(np.float32)
    ours(tg.tensor(x)).sum().backward()
    theirs(torch.tensor(x)).sum().backward()
    np.testing.assert_allclose(ours.weight_orig.grad.numpy(), theirs.weight_orig.grad.numpy(), rtol=1e-6)
    tprune.remove(theirs, "weight")
    prune.remove(ours, "weight")
    same_state(ours, theirs)
    assert prune.is_pruned(ours) == tprune.is_pruned(theirs) is False


def test_importance_scores_and_custom_mask_match_torch():
    ours, theirs = twin_linears((3, 5), seed=11)
    scores = np.random.default_rng(11).permutation(15).reshape(3, 5).astype(np.float32)
    prune.l1_unstructured(ours, "weight", amount=4, importance_scores=tg.tensor(scores))
    tprune.l1_unstructured(theirs, "weight", amount=4, importance_scores=torch.tensor(scores))
    mask = (np.random.default_rng(12).random(3) > 0.5).astype(np.float32)
    prune.custom_from_mask(ours, "bias", tg.tensor(mask))
    tprune.custom_from_mask(theirs, "bias", torch.tensor(mask))
    same_state(ours, theirs)


def test_global_unstructured_matches_torch():
    pairs = [twin_linears((3, 4), seed=s) for s in (21, 22, 23)]
    prune.l1_unstructured(pairs[0][0], "weight", amount=3)
    tprune.l1_unstructured(pairs[0][1], "weight", amount=3)
    prune.global_unstructured([(o, "weight") for o, _ in pairs], pruning_method=prune.L1Unstructured, amount=0.4)
    tprune.global_unstructured([(t, "weight") for _, t in pairs], pruning_method=tprune.L1Unstructured, amount=0.4)
    for o, t in pairs:
        same_state(o, t)


@pytest.mark.parametrize("name, kwargs", [
    ("random_unstructured", dict(amount=0.4)),
    ("random_unstructured", dict(amount=5)),
    ("random_structured", dict(amount=2, dim=1)),
    ("random_structured", dict(amount=0.5, dim=0)),
])
def test_random_methods_prune_the_same_amount(name, kwargs):
    ours, theirs = twin_linears((4, 6), seed=31)
    for _ in range(2):  # the second round goes through a PruningContainer
        getattr(prune, name)(ours, "weight", **kwargs)
        getattr(tprune, name)(theirs, "weight", **kwargs)
        a, b = ours.weight_mask.numpy(), theirs.weight_mask.numpy()
        assert a.sum() == b.sum()
        if "structured" in name and "unstructured" not in name:  # whole channels: same channel profile
            assert sorted(a.sum(0).tolist()) == sorted(b.sum(0).tolist())
            assert sorted(a.sum(1).tolist()) == sorted(b.sum(1).tolist())


@pytest.mark.parametrize("call", [
    lambda p, m: p.l1_unstructured(m, "weight", amount=-1),
    lambda p, m: p.l1_unstructured(m, "weight", amount=1.5),
    lambda p, m: p.l1_unstructured(m, "weight", amount="a"),
    lambda p, m: p.l1_unstructured(m, "weight", amount=25),
    lambda p, m: p.random_structured(m, "weight", amount=7, dim=0),
    lambda p, m: p.ln_structured(m, "bias", amount=1, n=2, dim=0),
    lambda p, m: p.remove(m, "weight"),
    lambda p, m: p.global_unstructured(3, p.L1Unstructured, amount=1),
    lambda p, m: p.global_unstructured([(m, "weight")], p.RandomStructured, amount=1),
])
def test_error_messages_match_torch(call):
    ours, theirs = twin_linears((4, 6), seed=41)
    assert_same_error(lambda: call(prune, ours), lambda: call(tprune, theirs),
                      normalize=lambda message: message.replace("tensorgraft", "torch"))


def test_second_round_amount_counts_survivors_like_torch():
    ours, theirs = twin_linears((4, 6), seed=51)
    prune.l1_unstructured(ours, "weight", amount=20)
    tprune.l1_unstructured(theirs, "weight", amount=20)
    with pytest.raises(ValueError) as expected:
        tprune.l1_unstructured(theirs, "weight", amount=5)
    with pytest.raises(ValueError) as got:
        prune.l1_unstructured(ours, "weight", amount=5)
    assert str(got.value) == str(expected.value)
