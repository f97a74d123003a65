"""Complex parameters without PyTorch.

PyTorch's optimizers update a complex parameter as the pairs of reals ``view_as_real`` shows while
keeping its state complex, so every element-wise optimizer must give a complex parameter exactly
(bit for bit) the trajectory and state of the same optimizer run on the real view; LBFGS likewise.
Adafactor, Muon, SparseAdam and ``fused=True`` refuse complex parameters, and a loaded state of the
wrong dtype fails as in PyTorch (the oracle file checks the messages against torch itself).
Gradients are written by hand, so this needs tensorgraft-core and tensorgraft-optim only."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.optim as optim
from tensorgraft.testing import assert_on_device

# (optimizer, keyword arguments): every built-in element-wise optimizer and the options that change
# its update rule (maximize, weight decay, amsgrad, momentum variants...)
CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.1, amsgrad=True)),
    ("Adamax", dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
    ("RAdam", dict(lr=0.1, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1, maximize=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.1, t0=2, weight_decay=0.1)),
    ("Rprop", dict(lr=0.1)),
    ("Rprop", dict(lr=0.1, maximize=True)),
]
IDS = [f"{name}-{'-'.join(kw)}" for name, kw in CASES]


def complex_normal(rng, shape, dtype=np.complex128):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def problem(seed, shapes, steps=7, dtype=np.complex128):
    """Initial values and per-step gradients (complex) of parameters of the given shapes."""
    rng = np.random.default_rng(seed)
    init = [complex_normal(rng, s, dtype) for s in shapes]
    grads = [[complex_normal(rng, s, dtype) for s in shapes] for _ in range(steps)]
    if steps > 3:
        # a zero and a repeated gradient entry: Rprop's sign logic and Adamax's max meet ties
        grads[2][0].reshape(-1)[0] = 0
        grads[3][0].reshape(-1)[1] = grads[2][0].reshape(-1)[1]
    return init, grads


def trajectory(name, kw, init, grads, as_real, foreach=None):
    """Run ``name`` over ``init`` with ``grads``; ``as_real`` optimizes the real views instead."""
    conv = (lambda a: a.view(a.real.dtype).reshape(a.shape + (2,))) if as_real else (lambda a: a)
    ps = [tg.tensor(conv(a).copy()) for a in init]
    opt = getattr(optim, name)(ps, foreach=foreach, **kw)
    for gs in grads:
        for p, g in zip(ps, gs):
            p.grad = tg.tensor(conv(g).copy())
        opt.step()
    return ps, opt


def real_view(a):
    return a.view(a.real.dtype).reshape(a.shape + (2,))


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_complex_trajectory_is_the_real_view_trajectory(name, kw, foreach):
    init, grads = problem(1, [(3, 4), (5,)])
    cps, copt = trajectory(name, kw, init, grads, as_real=False, foreach=foreach)
    rps, ropt = trajectory(name, kw, init, grads, as_real=True, foreach=foreach)
    for c, r in zip(cps, rps):
        assert c.dtype == tg.complex128
        np.testing.assert_array_equal(real_view(c.numpy()), r.numpy())
    cstate, rstate = copt.state_dict()["state"], ropt.state_dict()["state"]
    assert list(cstate) == list(rstate)
    for i in cstate:
        assert list(cstate[i]) == list(rstate[i])
        for key, cv in cstate[i].items():
            rv = rstate[i][key]
            if rv.ndim == 0:           # per-parameter scalars (step, eta, mu, mu_product): float32 in both
                assert cv.dtype == rv.dtype == tg.float32, key
                assert cv.item() == rv.item(), key
            else:                      # per-element state: complex, holding the real run's state as pairs
                assert cv.dtype == tg.complex128 and tuple(cv.shape) == tuple(cstate[i][key].shape), key
                np.testing.assert_array_equal(real_view(cv.numpy()), rv.numpy(), err_msg=key)


@pytest.mark.parametrize("name,kw", [CASES[1], CASES[4], CASES[12], CASES[16]], ids=[IDS[1], IDS[4], IDS[12], IDS[16]])
def test_large_complex64_parameters_cross_chunks(name, kw):
    """Parameters larger than a NumPy chunk (and a chunk boundary inside a complex element pair's
    parameter) still give the real-view trajectory, in complex64."""
    init, grads = problem(2, [(7, 3000), (11,), (4097,)], steps=3, dtype=np.complex64)
    cps, _ = trajectory(name, kw, init, grads, as_real=False)
    rps, _ = trajectory(name, kw, init, grads, as_real=True)
    for c, r in zip(cps, rps):
        assert c.dtype == tg.complex64
        np.testing.assert_array_equal(real_view(c.numpy()), r.numpy())


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", [CASES[1], CASES[4], CASES[11], CASES[15]], ids=[IDS[1], IDS[4], IDS[11], IDS[15]])
def test_mixed_group_updates_each_parameter_as_alone(name, kw, foreach):
    """Real and complex parameters (of two precisions) in one group: each gets the trajectory it gets
    alone in an optimizer of its own."""
    rng = np.random.default_rng(3)
    init = [complex_normal(rng, (2, 3)), rng.standard_normal(4), complex_normal(rng, 5, np.complex64),
            rng.standard_normal((2, 2)).astype(np.float32)]
    grads = [[(complex_normal(rng, a.shape, a.dtype) if a.dtype.kind == "c" else
               rng.standard_normal(a.shape).astype(a.dtype)) for a in init] for _ in range(5)]
    together = [tg.tensor(a.copy()) for a in init]
    opt = getattr(optim, name)(together, foreach=foreach, **kw)
    for gs in grads:
        for p, g in zip(together, gs):
            p.grad = tg.tensor(g.copy())
        opt.step()
    for i, a in enumerate(init):
        alone = tg.tensor(a.copy())
        o = getattr(optim, name)([alone], foreach=foreach, **kw)
        for gs in grads:
            alone.grad = tg.tensor(gs[i].copy())
            o.step()
        assert together[i].dtype == alone.dtype
        np.testing.assert_array_equal(together[i].numpy(), alone.numpy())
        state = opt.state[together[i]]
        for key, v in o.state[alone].items():
            assert state[key].dtype == v.dtype, key
            np.testing.assert_array_equal(state[key].numpy(), v.numpy(), err_msg=key)


def test_state_is_complex_and_starts_at_both_reals():
    """Adagrad's accumulator (made in the constructor) and Rprop's step sizes start with the initial
    value in both the real and the imaginary part, as the real view's state does."""
    p = tg.zeros(3, dtype=tg.complex64)
    opt = optim.Adagrad([p], initial_accumulator_value=0.5)
    s = opt.state[p]["sum"]
    assert s.dtype == tg.complex64
    np.testing.assert_array_equal(s.numpy(), np.full(3, 0.5 + 0.5j, np.complex64))
    q = tg.zeros(2, dtype=tg.complex128)
    opt = optim.Rprop([q], lr=0.25)
    for _ in range(2):      # the second step grows the step sizes where the sign kept (not at the zero)
        q.grad = tg.tensor(np.array([1 + 2j, -3 + 0j]))
        opt.step()
    st = opt.state[q]
    assert st["step_size"].dtype == st["prev"].dtype == tg.complex128
    assert st["step"].dtype == tg.float32 and st["step"].ndim == 0
    np.testing.assert_allclose(st["step_size"].numpy(), np.array([0.3 + 0.3j, 0.3 + 0.25j]), rtol=1e-15)
    np.testing.assert_allclose(q.numpy(), np.array([-0.55 - 0.55j, 0.55 + 0j]), rtol=1e-15)


def test_non_contiguous_complex_gradient_and_parameter_view():
    """A transposed gradient and a parameter that is a view of a larger tensor (copied in and out of
    the flat buffer) give the same update as contiguous ones."""
    rng = np.random.default_rng(4)
    base_values = complex_normal(rng, (4, 6))
    g = complex_normal(rng, (3, 4))
    base = tg.tensor(base_values.copy())
    view = base[:, :3]
    opt = optim.Adam([view], lr=0.1)
    view.grad = tg.tensor(g.copy()).t()
    opt.step()
    ref = tg.tensor(base_values[:, :3].copy())
    o = optim.Adam([ref], lr=0.1)
    ref.grad = tg.tensor(np.ascontiguousarray(g.T))
    o.step()
    np.testing.assert_array_equal(view.numpy(), ref.numpy())
    np.testing.assert_array_equal(base.numpy()[:, :3], ref.numpy())
    np.testing.assert_array_equal(base.numpy()[:, 3:], base_values[:, 3:])


@pytest.mark.parametrize("name,kw", [CASES[2], CASES[4], CASES[9], CASES[15], CASES[17]],
                         ids=[IDS[2], IDS[4], IDS[9], IDS[15], IDS[17]])
def test_load_state_dict_round_trip_continues_the_trajectory(name, kw):
    init, grads = problem(5, [(3, 2), (4,)], steps=8)
    full, _ = trajectory(name, kw, init, grads, as_real=False)
    first, opt = trajectory(name, kw, init, grads[:4], as_real=False)
    sd = opt.state_dict()
    ps = [tg.tensor(p.numpy().copy()) for p in first]
    resumed = getattr(optim, name)(ps, **kw)
    resumed.load_state_dict(sd)
    for key, v in resumed.state[ps[0]].items():
        assert v.dtype == opt.state[first[0]][key].dtype, key
    for gs in grads[4:]:
        for p, g in zip(ps, gs):
            p.grad = tg.tensor(g.copy())
        resumed.step()
    for a, b in zip(full, ps):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def _lbfgs_run(as_real, line_search_fn):
    rng = np.random.default_rng(6)
    m = rng.standard_normal((10, 10))
    hessian = tg.tensor(m @ m.T + np.eye(10))
    z0 = complex_normal(rng, 3)
    x0 = rng.standard_normal(4)
    z = tg.tensor(real_view(z0).copy() if as_real else z0.copy())
    x = tg.tensor(x0.copy())
    idle = tg.zeros(2, dtype=tg.complex128)             # never gets a gradient: zeros in the flat vector
    opt = optim.LBFGS([x, z, idle], lr=0.5, max_iter=6, line_search_fn=line_search_fn)

    def closure():
        # loss v.H.v + sum(v^4) over v = (x, real view of z); gradient written by hand
        zr = z.detach() if as_real else tg.view_as_real(z.detach())
        v = tg.cat([x.detach(), zr.reshape(-1)])
        hv = hessian @ v
        grad = 2 * hv + 4 * v ** 3
        x.grad = grad[:4].clone()
        gz = grad[4:].reshape(3, 2)
        z.grad = gz.clone() if as_real else tg.view_as_complex(gz.clone())
        return (v @ hv + (v ** 4).sum()).item()

    for _ in range(3):
        opt.step(closure)
    return x, z, opt.state[x]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_complex_is_the_real_view(line_search_fn):
    xc, zc, sc = _lbfgs_run(False, line_search_fn)
    xr, zr, sr = _lbfgs_run(True, line_search_fn)
    np.testing.assert_array_equal(xc.numpy(), xr.numpy())
    np.testing.assert_array_equal(real_view(zc.numpy()), zr.numpy())
    assert zc.dtype == tg.complex128
    # the flat vectors hold reals, two per complex element (the idle parameter's 2 elements too)
    assert sc["d"].dtype == tg.float64 and tuple(sc["d"].shape) == (4 + 6 + 4,)
    assert sc["func_evals"] == sr["func_evals"] and sc["n_iter"] == sr["n_iter"]


def test_adafactor_and_muon_refuse_complex_after_creating_earlier_state():
    real = tg.tensor(np.ones((3, 2)))
    cplx = tg.zeros((3, 2), dtype=tg.complex64)
    for p in (real, cplx):
        p.grad = tg.ones_like(p)
    opt = optim.Adafactor([real, cplx])
    with pytest.raises(RuntimeError, match="^Adafactor does not support complex parameters$"):
        opt.step()
    np.testing.assert_array_equal(real.numpy(), np.ones((3, 2)))        # not updated
    assert opt.state[real]["step"].item() == 0 and "row_var" in opt.state[real]
    assert cplx not in opt.state
    opt = optim.Muon([real, cplx])
    with pytest.raises(RuntimeError, match="^Muon does not support complex parameters$"):
        opt.step()
    np.testing.assert_array_equal(real.numpy(), np.ones((3, 2)))
    np.testing.assert_array_equal(opt.state[real]["momentum_buffer"].numpy(), np.zeros((3, 2)))
    assert cplx not in opt.state


def test_sparse_adam_refuses_complex_in_the_constructor():
    groups = [{"params": [tg.zeros(1), tg.zeros(1, dtype=tg.complex64)]}, {"params": [tg.zeros(1, dtype=tg.complex128)]}]
    with pytest.raises(ValueError, match=r"^Complex params at indices \[\[0, 1\], \[1, 0\]\]: SparseAdam does not "
                                         r"support complex parameters$"):
        optim.SparseAdam(groups)


def _with_grads(*dtypes):
    out = []
    for d in dtypes:
        p = tg.zeros(2, dtype=d)
        p.grad = tg.ones(2, dtype=d)
        out.append(p)
    return out


FUSED_MESSAGE = (r"^`fused=True` requires all the params to be floating point Tensors of supported devices: "
                 r"\['mps', 'cuda', 'xpu', 'hpu', 'cpu', 'mtia', 'privateuseone'\] but torch.complex64 and cpu$")


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_fused_adam_refuses_complex_after_creating_earlier_state(name):
    a, c, b = _with_grads(tg.float32, tg.complex64, tg.float32)
    untouched = tg.zeros(2, dtype=tg.complex64)          # no gradient: not checked
    opt = getattr(optim, name)([untouched, a, c, b], fused=True)
    with pytest.raises(RuntimeError, match=FUSED_MESSAGE):
        opt.step()
    for p in (a, b):
        np.testing.assert_array_equal(p.numpy(), np.zeros(2))
    st = opt.state_dict()["state"]
    assert sorted(st) == [1, 2]
    assert st[1]["step"].item() == 0 and list(st[1]) == ["step", "exp_avg", "exp_avg_sq"]
    assert st[2] == {}


def test_fused_sgd_and_adagrad_refuse_complex():
    a, c = _with_grads(tg.float32, tg.complex128)
    opt = optim.SGD([a, c], lr=0.1, fused=True)
    with pytest.raises(NotImplementedError, match="^\"fused_sgd_kernel\" not implemented for 'ComplexDouble'$"):
        opt.step()
    c, a = _with_grads(tg.complex64, tg.float32)
    opt = optim.SGD([c, a], lr=0.1, momentum=0.9, fused=True)
    with pytest.raises(RuntimeError, match=FUSED_MESSAGE):
        opt.step()
    assert opt.state_dict()["state"] == {}
    a, c = _with_grads(tg.float32, tg.complex64)
    opt = optim.Adagrad([a, c], fused=True)
    with pytest.raises(RuntimeError, match="^`fused` does not support sparse grad or complex param$"):
        opt.step()
    for p in (a, c):
        np.testing.assert_array_equal(p.numpy(), np.zeros(2))
        assert opt.state[p]["step"].item() == 0


def test_fused_checks_each_group_on_its_own():
    a, c = _with_grads(tg.float32, tg.complex64)
    opt = optim.AdamW([{"params": [a]}, {"params": [c]}], lr=0.1, fused=True)
    with pytest.raises(RuntimeError, match=FUSED_MESSAGE):
        opt.step()
    assert (a.numpy() != 0).all()       # the first group was updated before the second one failed


def _trained(name, dtype, kw, steps=2):
    (p,) = _with_grads(dtype)
    opt = getattr(optim, name)([p], **kw)
    for _ in range(steps):
        opt.step()
    return opt.state_dict()


@pytest.mark.parametrize("name,kw,foreach,saved,message", [
    ("Adam", {}, False, tg.float32, "^view_as_real is only supported for complex tensors$"),
    ("Rprop", {}, True, tg.float32, "^view_as_real is only supported for complex tensors$"),
    ("SGD", dict(lr=0.1, momentum=0.9), False, tg.float64,
     "^result type ComplexDouble can't be cast to the desired output type Double$"),
    ("Adam", {}, False, tg.complex128, "^expected dtype double for `end` but got dtype float$"),
    ("RMSprop", dict(centered=True), False, tg.complex128, "^expected dtype double for `end` but got dtype float$"),
    ("Adadelta", {}, True, tg.complex128, "^Tensors of the same index must be on the same device and the same dtype "
                                          "except `step` tensors"),
])
def test_loaded_state_of_another_dtype_fails_before_any_update(name, kw, foreach, saved, message):
    sd = _trained(name, saved, dict(kw, foreach=foreach))
    real, (p,) = tg.ones(3), _with_grads(tg.complex64)
    real.grad = tg.ones(3)
    opt = getattr(optim, name)([real, p], foreach=foreach, **kw)
    sd["param_groups"][0]["params"] = [0, 1]
    sd["state"] = {1: sd["state"][0]}
    opt.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=message):
        opt.step()
    np.testing.assert_array_equal(real.numpy(), np.ones(3))
    np.testing.assert_array_equal(p.numpy(), np.zeros(2))


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adagrad", {}), ("Adadelta", {}),
                                     ("ASGD", {}), ("Rprop", {}), ("RMSprop", {})])
def test_loaded_state_of_the_other_complex_precision_is_used_where_pytorch_uses_it(name, kw):
    """PyTorch's single-tensor path runs these with a complex64 state for a complex128 parameter; here
    the state is converted to the parameter's precision: the step is that of the converted state."""
    sd = _trained(name, tg.complex64, kw)
    (p,) = _with_grads(tg.complex128)
    opt = getattr(optim, name)([p], **kw)
    opt.load_state_dict(sd)
    opt.step()
    (q,) = _with_grads(tg.complex128)
    ref = getattr(optim, name)([q], **kw)
    for key, v in sd["state"][0].items():
        ref.state[q][key] = v.to(tg.complex128) if v.is_complex() else v
    ref.step()
    np.testing.assert_array_equal(p.numpy(), q.numpy())


@pytest.mark.parametrize("name,kw", [CASES[1], CASES[4], CASES[12], CASES[17]], ids=[IDS[1], IDS[4], IDS[12], IDS[17]])
def test_complex_on_every_device_follows_the_real_view(tg_device, name, kw):
    """On each device (where a device plugin's fused kernel would take real buckets), complex64 and
    float32 parameters in one group follow the CPU real-view trajectory; the state stays complex and
    on the device."""
    init, grads = problem(8, [(4, 5), (3,)], steps=4, dtype=np.complex64)
    rng = np.random.default_rng(9)
    real_init = rng.standard_normal(6).astype(np.float32)
    real_grads = [rng.standard_normal(6).astype(np.float32) for _ in grads]
    ps = [tg.tensor(a.copy(), device=tg_device) for a in init] + [tg.tensor(real_init.copy(), device=tg_device)]
    opt = getattr(optim, name)(ps, **kw)
    for gs, rg in zip(grads, real_grads):
        for p, g in zip(ps, gs + [rg]):
            p.grad = tg.tensor(g.copy(), device=tg_device)
        opt.step()
    ref, _ = trajectory(name, kw, init, grads, as_real=True)
    alone, _ = trajectory(name, kw, [real_init], [[g] for g in real_grads], as_real=False)
    for p, r in zip(ps, ref + alone):
        assert_on_device(p, tg_device)
        got = p.cpu().numpy()
        np.testing.assert_allclose(real_view(got) if got.dtype.kind == "c" else got, r.numpy(), rtol=1e-5, atol=1e-6)
    for p in ps:
        for value in opt.state[p].values():
            if value.dim() > 0:
                assert_on_device(value, tg_device)
                assert value.dtype == p.dtype
