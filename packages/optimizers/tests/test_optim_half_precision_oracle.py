"""float16/bfloat16 parameters against torch.optim, bit for bit: PyTorch computes each op of an
update in float32 and rounds it to the parameter's dtype (``add``'s alpha and scalar addend rounded
first, ``lerp_`` one fused multiply-add), which tensorgraft's kernels reproduce (``optim/_half_precision.py``).
Gradients span six orders of magnitude, so float16's subnormals are exercised. This is PyTorch's
default CPU path (single-tensor); its ``foreach=True`` path rounds some scalars differently
(``_foreach_mul_(tensors, beta2)`` takes beta2 in the half type), which tensorgraft's shared kernel
does not copy: there the results agree to the half type's rounding."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, maximize=True, eps=1e-3)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, amsgrad=True)),
    ("NAdam", dict(lr=1e-2)),
    ("NAdam", dict(lr=1e-2, weight_decay=0.1)),
    ("NAdam", dict(lr=1e-2, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RAdam", dict(lr=1e-2)),
    ("RAdam", dict(lr=1e-2, decoupled_weight_decay=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, momentum=0.5)),
    ("RMSprop", dict(lr=1e-2, centered=True)),
    ("RMSprop", dict(lr=1e-2, centered=True, momentum=0.9, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=1e-2)),
    ("Adamax", dict(lr=1e-2, weight_decay=0.1)),
    ("ASGD", dict(lr=1e-2)),
    ("ASGD", dict(lr=1e-2, t0=2, weight_decay=0.1, lambd=0.01)),
    ("Rprop", dict(lr=1e-2)),
    ("Adafactor", dict(lr=1e-2)),
    ("Adafactor", dict(lr=1e-2, weight_decay=0.1, maximize=True)),
]
SHAPES = [(4096,), (48, 40)]  # (the second: Adafactor's factored moments)


def _steps(lib, name, kwargs, dtype, p0, grads):
    params = [lib.tensor(p).to(getattr(lib, dtype)).requires_grad_() for p in p0]
    opt = getattr(lib.optim, name)(params, **kwargs)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = lib.tensor(g).to(p.dtype)
        opt.step()
    return [p.detach().float().numpy() for p in params], opt, params


def _both(name, kwargs, dtype, seed, smallest, steps):
    """The same problem (gradients of magnitudes down to 10**smallest) through torch and tensorgraft:
    ((torch's parameters, optimizer, parameters), (tensorgraft's ...))."""
    rng = np.random.default_rng(seed)
    p0 = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    grads = [[(rng.standard_normal(s) * 10.0 ** rng.uniform(smallest, 0, s)).astype(np.float32) for s in SHAPES]
             for _ in range(steps)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _steps(torch, name, kwargs, dtype, p0, grads)
    return theirs, _steps(tg, name, kwargs, dtype, p0, grads)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name, kwargs", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_half_precision_updates_match_pytorch_bit_for_bit(name, kwargs, dtype):
    (want, torch_opt, torch_params), (got, tg_opt, tg_params) = _both(name, kwargs, dtype, 5, -6, 6)
    for w, g in zip(want, got):
        differ = (w != g) & ~(np.isnan(w) & np.isnan(g))
        assert not differ.any(), f"{differ.sum()} of {w.size} values differ, first at {np.flatnonzero(differ)[0]}"
    # the state keeps PyTorch's dtypes and values
    for tp, gp in zip(torch_params, tg_params):
        for key, value in torch_opt.state[tp].items():
            mine = tg_opt.state[gp][key]
            if torch.is_tensor(value) and value.dim():
                assert str(mine.dtype).split(".")[-1] == str(value.dtype).split(".")[-1], key
                a, b = value.float().numpy(), mine.float().numpy()
                assert np.array_equal(a, b, equal_nan=True), key


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adadelta"])
def test_half_precision_foreach_updates_agree_to_rounding(name, dtype):
    kwargs = {"SGD": dict(lr=0.1, momentum=0.9), "Adam": dict(lr=1e-2, weight_decay=0.1, decoupled_weight_decay=True),
              "RMSprop": dict(lr=1e-2, momentum=0.5), "Adadelta": dict(lr=1.0)}[name]
    (want, _, _), (got, _, _) = _both(name, dict(kwargs, foreach=True), dtype, 6, -3, 4)
    step = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7}[dtype]  # the half type's relative step
    for w, g in zip(want, got):
        # (a step apart in a momentum buffer moves the parameter by lr times that step, every step)
        np.testing.assert_allclose(g, w, rtol=4 * step, atol=5e-3)
