"""Forward AD over every registered op (core's, and nn's when installed): for each conformance
sample, the tangent of the public function's outputs equals the central finite difference along a
random tangent (float64). Ops where a finite difference cannot be the reference are skipped with
the reason (random ones may agree by chance on some machines, so they are not asserted to differ)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorgraft.autograd")
import tensorgraft as tg  # noqa: E402
import tensorgraft.autograd.forward_ad as fwAD  # noqa: E402
from tensorgraft.testing import _conformance_checks as checks  # noqa: E402
from tensorgraft.testing import conformance  # noqa: E402

try:
    import tensorgraft.nn  # noqa: F401  (registers nn's ops, swept too)
except ImportError:
    pass

# op -> why a finite difference of the sample is no reference for its tangent
NOT_COMPARABLE = {
    "normal": "draws new random numbers on every call", "poisson": "draws new random numbers on every call",
    "binomial": "no derivative (as in PyTorch)", "floor_divide": "no derivative (as in PyTorch)",
    **dict.fromkeys(("unique", "unique_consecutive", "histogram", "histogramdd"), "no derivative (as in PyTorch)"),
    "svd_lowrank": "random projections", "pca_lowrank": "random projections", "lobpcg": "random start",
    "cholesky_solve": "reads only a triangle of its factor; the perturbation moves the other one too",
    "cholesky_inverse": "reads only a triangle of its factor; the perturbation moves the other one too",
    "mode": "the sample has ties: the derivative picks one of them",
}


def _public(name):
    """The public function of op ``name`` (None for internal ops: ``*_backward``, ...); once a dual
    level has been entered, the dispatching wrapper."""
    owner = tg.nn.functional if name.startswith("nn.") else tg
    f = getattr(owner, name[3:] if name.startswith("nn.") else name, None)
    op = conformance._registry(None).ops[name]
    if f is None and op.method:
        f = getattr(tg.Tensor, op.method, None)
    return f


def _names():
    # (collected without entering a dual level: that would turn dispatch on for the whole worker)
    reg = conformance._registry(None)
    return [n for n in conformance.conformance_cases() if reg.ops[n].differentiable and _public(n) is not None
            and "samples" in conformance._info(reg.ops[n])]


def _mismatches(name):
    op = conformance._registry(None).ops[name]
    info = conformance._info(op)
    with fwAD.dual_level():
        f = _public(name)  # (looked up inside: the wrapper that carries tangents)
    assert hasattr(f, "__torch_function_wrapped__"), f"{name}: {f} does not dispatch"
    found = []
    for n, sample in enumerate(checks._get_samples(info, tg.float64, "cpu")):
        paths = checks._grad_paths(sample)
        if not paths:
            continue
        args, kwargs = checks._prepare(sample, ())
        inputs = tuple(checks._get_path(args, p) for p in paths)
        rng = np.random.default_rng(n)
        tangents = [tg.tensor(rng.standard_normal(x.shape), dtype=x.dtype) for x in inputs]
        fn = checks._wrap_for_grad(f, info, args, kwargs, paths)
        eps = 1e-6
        with tg.no_grad():
            plus, minus = (fn(*[x + s * eps * t for x, t in zip(inputs, tangents)]) for s in (1, -1))
        plus, minus = ((v,) if isinstance(v, tg.Tensor) else v for v in (plus, minus))
        with fwAD.dual_level():
            outs = fn(*[fwAD.make_dual(x, t) for x, t in zip(inputs, tangents)])
            outs = (outs,) if isinstance(outs, tg.Tensor) else outs
            got = [fwAD.unpack_dual(o).tangent for o in outs]
        for i, (g, p, m) in enumerate(zip(got, plus, minus)):
            expected = ((p - m) / (2 * eps)).numpy()
            if g is None:
                if np.abs(expected).max(initial=0) > 1e-6:
                    found.append(f"sample {n}, output {i}: no tangent")
            elif not np.allclose(g.detach().numpy(), expected, rtol=1e-4, atol=1e-5):
                found.append(f"sample {n}, output {i}: tangent off by {np.abs(g.detach().numpy() - expected).max():.3g}")
    return found


@pytest.mark.parametrize("name", _names())
def test_tangent_matches_finite_differences(name):
    if name in NOT_COMPARABLE:
        pytest.skip(f"a finite difference is no reference for {name}: {NOT_COMPARABLE[name]}")
    try:
        found = _mismatches(name)
    except RuntimeError as e:
        found = [f"raised {e}"]
    assert not found, found
