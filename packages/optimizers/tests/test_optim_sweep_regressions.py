"""Regressions found by a differential sweep of ``tensorgraft.optim`` against PyTorch 2.13, checked
here without PyTorch (the expected values and messages are PyTorch's, written out):

- a 0-d tensor ``lr`` (and Adam's tensor ``betas``) steps every optimizer, and the constants derived
  from it round to its dtype in the default code path; a many-element ``lr`` is refused;
- the constructor refusals PyTorch has for ``fused``/``foreach``/tensor hyper-parameters, in its order;
- ``capturable=True`` on CPU tensors and ``differentiable=True`` on leaves fail at ``step`` as in PyTorch;
- per-parameter scalars (NAdam's ``mu_product``, ASGD's ``eta``/``mu``) keep the dtype a loaded state
  gives them, and compute in it;
- LBFGS's ``state['t']`` after a line search is typed as PyTorch's;
- schedulers write a tensor ``lr`` in place.
"""
import copy

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.optim as optim
from tensorgraft.optim import lr_scheduler

FLAT = ["SGD", "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "Rprop", "ASGD"]
ALL = FLAT + ["Adafactor", "Muon", "SparseAdam", "LBFGS"]


def _params(rng, shapes=((3, 4), (5,)), dtype=np.float64, requires_grad=False):
    return [tg.tensor(rng.standard_normal(s).astype(dtype), requires_grad=requires_grad) for s in shapes]


def _run(name, lr, steps=4, seed=0, **kw):
    rng = np.random.default_rng(seed)
    shapes = ((3, 4), (4, 2)) if name in ("Muon", "Adafactor") else ((3, 4), (5,))
    ps = _params(rng, shapes)
    opt = getattr(optim, name)(ps, lr=lr, **kw)
    for _ in range(steps):
        for p in ps:
            p.grad = tg.tensor(rng.standard_normal(tuple(p.shape)) + 0.5 * p.numpy())
        opt.step()
    return ps, opt


@pytest.mark.parametrize("name", FLAT + ["Adafactor", "Muon"])
def test_tensor_lr_steps_like_its_float32_value(name):
    """A float32 0-d lr used to raise TypeError in the kernels (numpy array *= Tensor) for most
    optimizers. Its value is lr rounded to float32; PyTorch's default path also rounds the constants
    derived from it to float32, so the trajectories agree to float32 precision, not exactly."""
    lr = tg.tensor(0.01)
    ps, opt = _run(name, lr)
    ref, _ = _run(name, float(np.float32(0.01)))
    assert opt.param_groups[0]["lr"] is lr                 # kept as given, not replaced by a number
    for p, q in zip(ps, ref):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-6, atol=1e-7)


def test_tensor_lr_rounds_the_step_size_to_float32_in_the_default_path():
    # PyTorch: step_size = lr / bias_correction1 as 0-d float32 tensor arithmetic; the fused path
    # takes lr as a Python float instead
    rng = np.random.default_rng(1)
    p0, g = rng.standard_normal(6), rng.standard_normal(6)
    out = {}
    for fused in (None, True):
        p = tg.tensor(p0.copy())
        opt = optim.Adam([p], lr=tg.tensor(0.01), fused=fused)
        p.grad = tg.tensor(g)
        opt.step()
        out[fused] = p.numpy()
    bc1 = 1 - 0.9 ** 1
    lr32 = np.float32(0.01)
    default_step, fused_step = float(np.float32(lr32 / np.float32(bc1))), float(lr32) / bc1
    assert abs(default_step / fused_step - 1) > 1e-9                  # the two roundings differ
    ratio = (out[None] - p0) / (out[True] - p0)
    np.testing.assert_allclose(ratio, default_step / fused_step, rtol=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_many_element_tensor_lr_is_refused_first(name):
    p = tg.zeros(2, 2)
    with pytest.raises(ValueError, match="^Tensor lr must be 1-element$"):
        getattr(optim, name)([p], lr=tg.tensor([0.1, 0.2]))


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_adam_tensor_hyperparameter_refusals(name):
    cls = getattr(optim, name)
    p = tg.zeros(3)
    with pytest.raises(ValueError, match="^betas must be either both floats or both Tensors$"):
        cls([p], betas=(tg.tensor(0.9), 0.99))
    with pytest.raises(ValueError, match="^lr as a Tensor is not supported for capturable=False and foreach=True$"):
        cls([p], lr=tg.tensor(0.1), foreach=True, fused=True)     # before the fused checks
    with pytest.raises(ValueError, match=r"^betas\[0\] as a Tensor is not supported for capturable=False and "
                                         r"foreach=True$"):
        cls([p], betas=(tg.tensor(0.9), tg.tensor(0.99)), foreach=True)
    cls([p], lr=tg.tensor(0.1), foreach=True, capturable=True)  # allowed when capturable
    with pytest.raises(ValueError, match="^Invalid learning rate: -1.0$"):
        cls([p], lr=tg.tensor(-1.0))


def test_tensor_betas_step_adam():
    rng = np.random.default_rng(2)
    p0, grads = rng.standard_normal(5), [rng.standard_normal(5) for _ in range(3)]
    out = []
    for betas in ((tg.tensor(0.9), tg.tensor(0.99)), (float(np.float32(0.9)), float(np.float32(0.99)))):
        p = tg.tensor(p0.copy())
        opt = optim.Adam([p], lr=0.01, betas=betas)
        for g in grads:
            p.grad = tg.tensor(g)
            opt.step()
        out.append(p.numpy())
    assert isinstance(opt.param_groups[0]["betas"][0], float)
    np.testing.assert_allclose(out[0], out[1], rtol=1e-7)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "Adagrad"])
def test_fused_conflicts_are_refused_after_the_groups(name):
    cls = getattr(optim, name)
    p = tg.zeros(3)
    with pytest.raises(RuntimeError, match="^`fused` and `foreach` cannot be `True` together.$"):
        cls([p], fused=True, foreach=True)
    with pytest.raises(RuntimeError, match="^`fused` does not support `differentiable`$"):
        cls([p], fused=True, foreach=True, differentiable=True)
    with pytest.raises(ValueError, match="^optimizer got an empty parameter list$"):
        cls([], fused=True, foreach=True)


CAPTURABLE = {
    "Adam": ("params and state_steps", True), "AdamW": ("params and state_steps", True),
    "Adamax": ("params and state_steps", True), "RAdam": ("params and state_steps", True),
    "NAdam": ("params, mu_products and state_steps", True), "RMSprop": ("params and state_steps", True),
    "Rprop": ("params and state_steps", True), "Adadelta": ("params and state_steps", False),
    "ASGD": ("params, mus, etas, and state_steps", True),
}


@pytest.mark.parametrize("name", sorted(CAPTURABLE))
@pytest.mark.parametrize("foreach", [None, True])
def test_capturable_refuses_cpu_tensors_at_step(name, foreach):
    what, xla = CAPTURABLE[name]
    if foreach:
        what = {"NAdam": "params, mu_products, and state_steps"}.get(name, what)
        xla = name in ("RMSprop", "Rprop")
    devices = ["cuda", "xpu", "hpu", "privateuseone"] + (["xla"] if xla else [])
    p = tg.tensor(np.arange(3.0))
    opt = getattr(optim, name)([p], capturable=True, foreach=foreach)
    p.grad = tg.ones(3, dtype=tg.float64)
    with pytest.raises(AssertionError) as info:
        opt.step()
    assert str(info.value) == f"If capturable=True, {what} must be on supported devices: {devices}."
    np.testing.assert_array_equal(p.numpy(), np.arange(3.0))       # nothing was updated
    assert float(opt.state[p]["step"]) == 0.0                       # the state was created first


def test_capturable_with_fused_adam_runs_on_cpu():
    p = tg.tensor(np.arange(3.0))
    opt = optim.Adam([p], lr=0.1, capturable=True, fused=True)
    p.grad = tg.ones(3, dtype=tg.float64)
    opt.step()
    np.testing.assert_allclose(p.numpy(), np.arange(3.0) - 0.1, rtol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Rprop", "ASGD", "NAdam"])
def test_differentiable_refuses_leaves_that_require_grad(name):
    pytest.importorskip("tensorgraft.autograd", reason="requires_grad=True needs tensorgraft-autograd")
    leaf = tg.zeros(3, requires_grad=True)
    opt = getattr(optim, name)([leaf], differentiable=True)
    leaf.grad = tg.ones(3)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place "
                                           "operation.$"):
        opt.step()
    plain = tg.zeros(3)                                  # not requiring grad: updated as usual
    opt = getattr(optim, name)([plain], lr=0.1, differentiable=True)
    plain.grad = tg.ones(3)
    opt.step()
    assert np.all(plain.numpy() != 0)


def _loaded_copy(name, opt, ps, **kw):
    """A fresh optimizer over copies of ``ps`` that loaded ``opt``'s state (a torch-style round trip)."""
    qs = [tg.tensor(p.numpy().copy()) for p in ps]
    other = getattr(optim, name)(qs, **kw)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    return qs, other


def test_nadam_mu_product_takes_the_loaded_dtype_and_computes_in_it():
    rng = np.random.default_rng(3)
    ps = _params(rng)
    opt = optim.NAdam(ps, lr=0.01)
    for p in ps:
        p.grad = tg.tensor(rng.standard_normal(tuple(p.shape)))
    opt.step()
    assert opt.state[ps[0]]["mu_product"].dtype == tg.float32
    qs, loaded = _loaded_copy("NAdam", opt, ps, lr=0.01)
    mp = loaded.state[qs[0]]["mu_product"]
    assert mp.dtype == tg.float64 and loaded.state[qs[0]]["step"].dtype == tg.float32
    before = float(mp)
    for q in qs:
        q.grad = tg.ones(q.shape, dtype=tg.float64)
    loaded.step()
    mu = 0.9 * (1.0 - 0.5 * 0.96 ** (2 * 4e-3))
    after = loaded.state[qs[0]]["mu_product"]
    assert after.dtype == tg.float64 and float(after) == before * mu      # a float64 product, not float32


@pytest.mark.parametrize("foreach", [None, True])
def test_asgd_eta_and_mu_take_the_loaded_dtype_with_float32_values(foreach):
    rng = np.random.default_rng(4)
    ps = _params(rng)
    kw = dict(lr=0.1, lambd=0.1, alpha=0.75, t0=1, foreach=foreach)
    opt = optim.ASGD(ps, **kw)
    for p in ps:
        p.grad = tg.tensor(rng.standard_normal(tuple(p.shape)))
    opt.step()
    qs, loaded = _loaded_copy("ASGD", opt, ps, **kw)
    for _ in range(3):
        for q in qs:
            q.grad = tg.ones(q.shape, dtype=tg.float64)
        loaded.step()
    state = loaded.state[qs[0]]
    for key in ("eta", "mu"):
        value = float(state[key])
        assert state[key].dtype == tg.float64 and value == float(np.float32(value)), key
    assert float(state["mu"]) == float(np.float32(1 / 3))


def test_asgd_foreach_eta_is_float32_arithmetic():
    # PyTorch's foreach path computes eta with float32 tensor ops; at step 2 of these settings that
    # lands one float32 ulp away from the single-tensor path's rounded float64 value
    etas = {}
    for foreach in (False, True):
        p = tg.tensor(np.zeros(2))
        opt = optim.ASGD([p], lr=0.01, foreach=foreach)
        for _ in range(2):
            p.grad = tg.ones(2, dtype=tg.float64)
            opt.step()
        etas[foreach] = float(opt.state[p]["eta"])
    assert etas[False] == float(np.float32(0.01 / (1 + 1e-4 * 0.01 * 2) ** 0.75))
    assert etas[True] == float(np.nextafter(np.float32(etas[False]), np.float32(0)))


def _lbfgs_quadratic(line_search_fn, max_iter, lr=1):
    rng = np.random.default_rng(5)
    a = rng.standard_normal((4, 4))
    q = a.T @ a + np.eye(4)
    x = tg.tensor(rng.standard_normal(4))
    opt = optim.LBFGS([x], lr=lr, max_iter=max_iter, line_search_fn=line_search_fn)

    def closure():
        v = x.numpy()
        x.grad = tg.tensor(q @ v + 1)
        return tg.tensor(0.5 * v @ q @ v + v.sum())
    return x, opt, closure


def test_lbfgs_step_after_line_search_is_typed_as_torch():
    # the first iteration's step is a 0-d tensor (min(1, 1/|g|_1) * lr): a searched step is too
    x, opt, closure = _lbfgs_quadratic("strong_wolfe", 1)
    opt.step(closure)
    t = opt.state[x]["t"]
    assert isinstance(t, tg.Tensor) and t.dim() == 0 and t.dtype == tg.float64
    # later iterations start from lr itself: accepted unchanged it stays the int 1
    x, opt, closure = _lbfgs_quadratic("strong_wolfe", 1)
    for _ in range(4):
        opt.step(closure)
    assert type(opt.state[x]["t"]) is int and opt.state[x]["t"] == 1


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, 1, 0.5),
    lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=0),
    lambda o: lr_scheduler.OneCycleLR(o, 0.5, total_steps=10),
    lambda o: lr_scheduler.CyclicLR(o, 0.01, 0.1, 2),
], ids=["StepLR", "ReduceLROnPlateau", "OneCycleLR", "CyclicLR"])
def test_schedulers_write_a_tensor_lr_in_place(make):
    p = tg.zeros(2)
    lr = tg.tensor(0.1)
    opt = optim.SGD([p], lr=lr, momentum=0.9)
    sched = make(opt)
    for _ in range(4):
        p.grad = tg.ones(2)
        opt.step()
        sched.step(1.0) if isinstance(sched, lr_scheduler.ReduceLROnPlateau) else sched.step()
        assert opt.param_groups[0]["lr"] is lr
        last = sched.get_last_lr()[0]
        assert isinstance(last, tg.Tensor) and last is not lr and float(last) == float(lr)
        assert float(lr) == float(np.float32(float(lr)))              # rounded to the tensor's dtype
    initial = opt.param_groups[0].get("initial_lr")
    assert initial is not lr


def test_adagrad_accumulator_starts_from_the_optimizer_wide_value():
    """PyTorch fills ``sum`` with the constructor's ``initial_accumulator_value`` (``defaults``) for
    every group, a group's own value notwithstanding, also for groups added later."""
    a, b, c = tg.zeros(2), tg.zeros(2), tg.zeros(2)
    opt = optim.Adagrad([{"params": [a]}, {"params": [b], "initial_accumulator_value": 0.3}], lr=0.1,
                        initial_accumulator_value=0.2)
    opt.add_param_group({"params": [c], "initial_accumulator_value": 0.7})
    assert c not in opt.state                                # created at the first step, as in PyTorch
    for p in (a, b, c):
        p.grad = tg.ones(2)
    opt.step()
    for p in (a, b, c):
        np.testing.assert_allclose(opt.state[p]["sum"].numpy(), [1.2, 1.2], rtol=1e-6)
    assert opt.param_groups[1]["initial_accumulator_value"] == 0.3
