"""float32 optimizer steps against torch.optim, bit for bit, where PyTorch's update is made of
``add_(alpha=)``/``lerp_`` fused multiply-adds that tensorgraft's kernels now fuse the same way
(``optim/_half_precision.add_scaled_``, ``ops/fused_multiply_add.py``): SGD in every form, ASGD and
Adamax. Adam's ``exp_avg_sq`` goes through ``addcmul_``, which tensorgraft still rounds twice, so
Adam is checked to agree within an ulp (docs/user-guide/differences.md, "Fused multiply-adds")."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

STEPS = 8


def _trajectory(lib, name, kwargs, dtype):
    rng = np.random.default_rng(5)
    p0 = rng.standard_normal(20011).astype(dtype)
    grads = [rng.standard_normal(20011).astype(dtype) for _ in range(STEPS)]
    p = lib.nn.Parameter(lib.tensor(p0))
    opt = getattr(lib.optim, name)([p], **kwargs)
    for g in grads:
        p.grad = lib.tensor(g)
        opt.step()
    return np.ascontiguousarray(p.detach().numpy())


EXACT = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=1e-3)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True, weight_decay=1e-4, maximize=True)),
    ("ASGD", dict(lr=0.01, weight_decay=1e-3)),
    ("Adamax", dict(lr=2e-3, weight_decay=1e-2)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", EXACT, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXACT)])
def test_steps_match_pytorch_bit_for_bit(name, kwargs, dtype):
    ours, theirs = _trajectory(tg, name, kwargs, dtype), _trajectory(torch, name, kwargs, dtype)
    np.testing.assert_array_equal(ours.view(np.uint8), theirs.view(np.uint8))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_agrees_to_the_last_bit_where_addcmul_rounds_twice(name):
    ours, theirs = _trajectory(tg, name, dict(lr=1e-3), np.float32), _trajectory(torch, name, dict(lr=1e-3), np.float32)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
    assert (ours == theirs).mean() > 0.99
