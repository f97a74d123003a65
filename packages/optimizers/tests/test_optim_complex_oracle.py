"""Complex parameters against torch.optim: every optimizer, mixed real/complex groups, both code
paths (``foreach``), ``state_dict`` dtypes, shapes and values, ``load_state_dict`` (round trips, a
torch state_dict, states of another dtype) and the refusals (Adafactor, Muon, SparseAdam,
``fused=True``) with their messages. Each scenario is one function run with either library."""
import copy
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

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


def complex_normal(rng, shape, dtype):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


def draw(rng, shape, dtype):
    dtype = np.dtype(dtype)
    return complex_normal(rng, shape, dtype) if dtype.kind == "c" else rng.standard_normal(shape).astype(dtype)


MIXED = [((3, 4), "complex128"), ((5,), "float64"), ((7,), "complex64"), ((2, 2), "float32")]


def problem(seed, spec=MIXED, steps=6):
    rng = np.random.default_rng(seed)
    init = [draw(rng, s, d) for s, d in spec]
    grads = [[draw(rng, s, d) for s, d in spec] for _ in range(steps)]
    return init, grads


def run(lib, name, kw, init, grads, opt=None, params=None):
    params = params or [lib.tensor(a.copy(), requires_grad=True) for a in init]
    opt = opt or getattr(lib.optim, name)(params, **kw)
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = lib.tensor(g.copy())
        opt.step()
    return params, opt


def numpy_of(t):
    return t.detach().numpy()


def tol(dtype):
    """Single precision (float32 and complex64) to float32 rounding; double to float64 rounding."""
    return dict(rtol=2e-5, atol=1e-6) if str(dtype).endswith(("float32", "complex64")) else dict(rtol=1e-11, atol=1e-13)


def assert_same(torch_params, tg_params, torch_opt, tg_opt):
    for a, b in zip(torch_params, tg_params):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(numpy_of(b), numpy_of(a), **tol(a.dtype))
    sa, sb = torch_opt.state_dict()["state"], tg_opt.state_dict()["state"]
    assert list(sa) == list(sb)
    for i in sa:
        assert list(sa[i]) == list(sb[i])
        for key, va in sa[i].items():
            vb = sb[i][key]
            if not isinstance(va, torch.Tensor):
                assert va == vb, key
                continue
            assert (str(vb.dtype), tuple(vb.shape)) == (str(va.dtype), tuple(va.shape)), (i, key)
            np.testing.assert_allclose(numpy_of(vb), numpy_of(va), err_msg=f"{i} {key}", **tol(va.dtype))


@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", CASES, ids=IDS)
def test_mixed_group_matches_torch(name, kw, foreach):
    init, grads = problem(11)
    kw = dict(kw, foreach=foreach)
    tp, to = run(torch, name, kw, init, grads)
    gp, go = run(tg, name, kw, init, grads)
    assert_same(tp, gp, to, go)


@pytest.mark.parametrize("name,kw", [CASES[2], CASES[4], CASES[8], CASES[12], CASES[13], CASES[15], CASES[17]],
                         ids=[IDS[2], IDS[4], IDS[8], IDS[12], IDS[13], IDS[15], IDS[17]])
def test_state_dict_round_trip_and_torch_state_dict(name, kw):
    """Stopping after 3 steps and resuming in a new optimizer from the state_dict (tensorgraft's own,
    and torch's) continues as torch's resumed run (which for the real float64 parameter keeps its
    per-parameter scalars in float64 from then on)."""
    init, grads = problem(12, steps=6)

    def resume(lib, sd, values):
        params = [lib.tensor(v.copy(), requires_grad=True) for v in values]
        opt = getattr(lib.optim, name)(params, **kw)
        opt.load_state_dict(sd)
        return run(lib, name, kw, init, grads[3:], opt=opt, params=params)

    torch_first, torch_half = run(torch, name, kw, init, grads[:3])
    torch_sd = copy.deepcopy(torch_half.state_dict())     # torch's resumed run updates the loaded tensors
    tp, to = resume(torch, torch_half.state_dict(), [numpy_of(p) for p in torch_first])
    first, half = run(tg, name, kw, init, grads[:3])
    for sd in (half.state_dict(), torch_sd):
        gp, go = resume(tg, sd, [numpy_of(p) for p in first])
        assert_same(tp, gp, to, go)


def _lbfgs(lib, line_search_fn):
    rng = np.random.default_rng(13)
    m = rng.standard_normal((12, 12))
    hessian = lib.tensor(m @ m.T + np.eye(12))
    x = lib.tensor(rng.standard_normal(2), requires_grad=True)
    z = lib.tensor(complex_normal(rng, 2, np.complex128), requires_grad=True)
    idle = lib.zeros(3, dtype=lib.complex128, requires_grad=True)
    w = lib.tensor(complex_normal(rng, 2, np.complex128), requires_grad=True)
    opt = lib.optim.LBFGS([x, z, idle, w], lr=0.5, max_iter=7, line_search_fn=line_search_fn)

    def closure():
        # v = (x, z as reals, w as reals) and loss = v.H.v + sum(v^4); gradients by hand
        zr, wr = (lib.view_as_real(t.detach()).reshape(-1) for t in (z, w))
        v = lib.cat([x.detach(), zr, wr, lib.zeros(2, dtype=lib.float64)])
        grad = 2 * (hessian @ v) + 4 * v ** 3
        x.grad = grad[:2].clone()
        z.grad = lib.view_as_complex(grad[2:6].reshape(2, 2).clone())
        w.grad = lib.view_as_complex(grad[6:10].reshape(2, 2).clone())
        return lib.tensor((v @ hessian @ v + (v ** 4).sum()).item())

    for _ in range(3):
        opt.step(closure)
    return [x, z, idle, w], opt


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search_fn):
    tp, to = _lbfgs(torch, line_search_fn)
    gp, go = _lbfgs(tg, line_search_fn)
    for a, b in zip(tp, gp):
        assert str(a.dtype) == str(b.dtype)
        np.testing.assert_allclose(numpy_of(b), numpy_of(a), rtol=1e-9, atol=1e-12)
    sa, sb = to.state[tp[0]], go.state[gp[0]]
    assert (sa["func_evals"], sa["n_iter"]) == (sb["func_evals"], sb["n_iter"])
    for key in ("d", "prev_flat_grad"):
        assert (str(sb[key].dtype), tuple(sb[key].shape)) == (str(sa[key].dtype), tuple(sa[key].shape))
        np.testing.assert_allclose(numpy_of(sb[key]), numpy_of(sa[key]), rtol=1e-8, atol=1e-10)


def _outcome(lib, scenario):
    """(exception type and message or None, parameter values, {index: state keys}) of a scenario."""
    params, opt = None, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, opt = scenario(lib)
            err = None
    except Exception as exc:        # noqa: BLE001 - the outcome compared is the exception itself
        err = (type(exc).__name__, str(exc))
        params, opt = getattr(exc, "partial", (None, None))
    values = [numpy_of(p) for p in params] if params else None
    state = {i: sorted(s) for i, s in opt.state_dict()["state"].items()} if opt else None
    return err, values, state


def _refused(name, dtypes, kw, groups=False):
    def scenario(lib):
        params = []
        for d in dtypes:
            p = lib.zeros(2, 2, dtype=getattr(lib, d), requires_grad=True)
            p.grad = lib.ones(2, 2, dtype=getattr(lib, d))
            params.append(p)
        opt = getattr(lib.optim, name)([{"params": [p]} for p in params] if groups else params, **kw)
        try:
            opt.step()
        except Exception as exc:
            exc.partial = (params, opt)
            raise
        return params, opt
    return scenario


REFUSALS = [
    ("Adafactor", ["float32", "complex64", "float32"], {}),
    ("Adafactor", ["complex128"], {}),
    ("Muon", ["float64", "complex64"], {}),
    ("Adam", ["float32", "complex64", "float32"], dict(fused=True)),
    ("AdamW", ["complex128", "float32"], dict(fused=True)),
    ("SGD", ["float32", "complex128"], dict(lr=0.1, fused=True)),
    ("SGD", ["float32", "float32", "complex64"], dict(lr=0.1, fused=True)),
    ("SGD", ["complex64", "float32"], dict(lr=0.1, momentum=0.9, fused=True)),
    ("SGD", ["float32", "float32", "complex64"], dict(lr=0.1, momentum=0.9, fused=True)),
    ("Adagrad", ["float32", "complex64"], dict(fused=True)),
    # not a complex refusal, but where one must not come first: capturable refuses CPU tensors after
    # the whole group's state (all dtypes, complex included) was created
    ("Adam", ["float32", "float64", "complex64"], dict(capturable=True)),
    ("RMSprop", ["complex128", "float32"], dict(capturable=True, foreach=True)),
]


@pytest.mark.parametrize("name,dtypes,kw", REFUSALS, ids=[f"{n}-{'-'.join(d)}-{len(k)}" for n, d, k in REFUSALS])
def test_refusals_match_torch(name, dtypes, kw):
    scenario = _refused(name, dtypes, kw)
    expected, got = _outcome(torch, scenario), _outcome(tg, scenario)
    assert expected[0] is not None
    assert got[0] == expected[0]
    for a, b in zip(expected[1], got[1]):
        np.testing.assert_array_equal(b, a)
    assert got[2] == expected[2]


def test_fused_groups_are_checked_one_by_one_as_in_torch():
    scenario = _refused("AdamW", ["float32", "complex64"], dict(fused=True), groups=True)
    expected, got = _outcome(torch, scenario), _outcome(tg, scenario)
    assert got[0] == expected[0]
    for a, b in zip(expected[1], got[1]):
        np.testing.assert_allclose(b, a, rtol=1e-6)
    assert got[2] == expected[2]


def test_sparse_adam_refusal_matches_torch():
    def scenario(lib):
        groups = [{"params": [lib.zeros(1, requires_grad=True), lib.zeros(1, dtype=lib.complex64, requires_grad=True)]},
                  {"params": [lib.zeros(1, dtype=lib.complex128, requires_grad=True)]}]
        return None, lib.optim.SparseAdam(groups)
    expected, got = _outcome(torch, scenario), _outcome(tg, scenario)
    assert expected[0][0] == "ValueError" and got[0] == expected[0]


LOADS = [("complex64", "complex128"), ("complex128", "complex64"), ("float32", "complex64"), ("float64", "complex128")]


@pytest.mark.parametrize("saved,loaded", LOADS, ids=[f"{a}-into-{b}" for a, b in LOADS])
@pytest.mark.parametrize("foreach", [False, True])
@pytest.mark.parametrize("name,kw", [CASES[2], CASES[3], CASES[7], CASES[8], CASES[10], CASES[11], CASES[12],
                                     CASES[13], CASES[14], CASES[15], CASES[16]],
                         ids=[IDS[i] for i in (2, 3, 7, 8, 10, 11, 12, 13, 14, 15, 16)])
def test_loading_a_state_of_another_dtype_matches_torch(name, kw, foreach, saved, loaded):
    """load_state_dict leaves a complex parameter's state in the dtype it was saved with: where torch's
    step then fails, the same error; where it runs, the same parameters (state kept in the
    parameter's precision here, so complex64 tolerances)."""
    def scenario(lib):
        rng = np.random.default_rng(14)
        src = lib.tensor(draw(rng, (2, 3), saved), requires_grad=True)
        first = getattr(lib.optim, name)([src], foreach=foreach, **kw)
        for _ in range(2):
            src.grad = lib.tensor(draw(rng, (2, 3), saved))
            first.step()
        p = lib.tensor(draw(rng, (2, 3), loaded), requires_grad=True)
        opt = getattr(lib.optim, name)([p], foreach=foreach, **kw)
        opt.load_state_dict(first.state_dict())
        p.grad = lib.tensor(draw(rng, (2, 3), loaded))
        try:
            opt.step()
        except Exception as exc:
            exc.partial = ([p], None)
            raise
        return [p], None
    expected, got = _outcome(torch, scenario), _outcome(tg, scenario)
    assert got[0] == expected[0]
    if expected[0] is None:
        np.testing.assert_allclose(got[1][0], expected[1][0], rtol=1e-5, atol=1e-6)
