"""``autograd.forward_ad`` against PyTorch: the tangent every op gives (values, dtype, None where
PyTorch has none), in-place and view semantics, custom Functions and the API's errors. Each case
is written once against a module ``m`` and run with both libraries (float64, so tangents agree to
rounding)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_result, error_of, run_in_both  # noqa: E402

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4))
T = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))
TY = RNG.standard_normal((3, 4))
SQ = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
TSQ = RNG.standard_normal((3, 3))
IMG = RNG.standard_normal((2, 3, 6, 6))
TIMG = RNG.standard_normal((2, 3, 6, 6))
KER = RNG.standard_normal((4, 3, 3, 3))


def _t(m, a):
    return m.tensor(a, dtype=m.float64)


def tangents_of(m, fn, pairs):
    """``fn(m, *duals)`` inside a dual level: per output, (primal, tangent) unpacked."""
    fw = m.autograd.forward_ad
    with fw.dual_level():
        duals = [fw.make_dual(_t(m, p), _t(m, t)) if t is not None else _t(m, p) for p, t in pairs]
        out = fn(m, *duals)
        outs = out if isinstance(out, (tuple, list)) else (out,)
        return [tuple(fw.unpack_dual(o)) if isinstance(o, m.Tensor) else o for o in outs]


ONE = [(X, T)]
TWO = [(X, T), (Y, TY)]
FIRST_ONLY = [(X, T), (Y, None)]

OPS = {
    "add": (lambda m, a, b: a + b, TWO),
    "mul": (lambda m, a, b: a * b, TWO),
    "mul_plain": (lambda m, a, b: a * b, FIRST_ONLY),
    "div": (lambda m, a, b: a / (b.abs() + 1), TWO),
    "pow_scalar": (lambda m, a: a.abs() ** 2.5, ONE),
    "pow_tensor": (lambda m, a, b: a.abs() ** b, TWO),
    "exp_sin_tanh": (lambda m, a: a.exp().sin().tanh(), ONE),
    "log_sqrt": (lambda m, a: (a.abs() + 0.1).log() + (a.abs() + 0.1).sqrt(), ONE),
    "sigmoid_relu": (lambda m, a: m.sigmoid(a) + m.relu(a), ONE),
    "atan2_maximum": (lambda m, a, b: m.atan2(a, b) + m.maximum(a, b), TWO),
    "where": (lambda m, a, b: m.where(a > 0, a, b), TWO),
    "clamp": (lambda m, a: a.clamp(-0.5, 0.5), ONE),
    "sum_dim": (lambda m, a: a.sum(dim=1), ONE),
    "mean": (lambda m, a: a.mean(), ONE),
    "prod": (lambda m, a: a.prod(dim=0), ONE),
    "std_var": (lambda m, a: (a.std(dim=1), a.var()), ONE),
    "norm": (lambda m, a: m.linalg.norm(a), ONE),
    "logsumexp": (lambda m, a: m.logsumexp(a, dim=1), ONE),
    "max_dim": (lambda m, a: a.max(dim=1), ONE),
    "amax": (lambda m, a: a.amax(dim=0), ONE),
    "cumsum_cumprod": (lambda m, a: (a.cumsum(1), a.cumprod(0)), ONE),
    "softmax": (lambda m, a: m.softmax(a, dim=1), ONE),
    "log_softmax": (lambda m, a: m.log_softmax(a, dim=0), ONE),
    "matmul": (lambda m, a, b: a @ b.T, TWO),
    "mm_plain": (lambda m, a, b: m.mm(a, b.T), FIRST_ONLY),
    "einsum": (lambda m, a, b: m.einsum("ij,kj->ik", a, b), TWO),
    "inv_det": (lambda m, a: (m.linalg.inv(a), m.linalg.det(a)), [(SQ, TSQ)]),
    "solve": (lambda m, a, b: m.linalg.solve(a, b[:, :3]), [(SQ, TSQ), (X, T)]),
    "cat_stack": (lambda m, a, b: (m.cat([a, b]), m.stack([a, b], dim=1)), FIRST_ONLY),
    "reshape_transpose": (lambda m, a: a.reshape(4, 3).transpose(0, 1) * 2, ONE),
    "getitem_advanced": (lambda m, a: a[m.tensor([2, 0])], ONE),
    "gather": (lambda m, a: a.gather(1, m.tensor([[0, 1], [2, 3], [1, 1]])), ONE),
    "index_select": (lambda m, a: a.index_select(1, m.tensor([3, 0])), ONE),
    "masked_fill": (lambda m, a: a.masked_fill(a > 0.5, 0.0), ONE),
    "split": (lambda m, a: a.split(2, dim=1), ONE),
    "unbind": (lambda m, a: a.unbind(0), ONE),
    "expand": (lambda m, a: a[:1].expand(3, 4) + 0, ONE),
    "flip_roll": (lambda m, a: (a.flip(0), a.roll(1, 1)), ONE),
    "argmax_no_tangent": (lambda m, a: a.argmax(), ONE),
    "compare_no_tangent": (lambda m, a: a > 0, ONE),
    "zeros_like_no_tangent": (lambda m, a: m.zeros_like(a), ONE),
    "detach_no_tangent": (lambda m, a: a.detach(), ONE),
    "times_zero": (lambda m, a: a * 0, ONE),
    "sign": (lambda m, a: a.sign(), ONE),
    "to_float32": (lambda m, a: a.to(m.float32), ONE),
    "complex_abs": (lambda m, a, b: m.complex(a, b).abs(), TWO),
    "complex_mul_real": (lambda m, a, b: (m.complex(a, b) * m.complex(b, a)).real, TWO),
}


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_tangents_match_pytorch(name):
    fn, pairs = OPS[name]
    ours, theirs = run_in_both(lambda m: tangents_of(m, fn, pairs))
    assert_same_result(ours, theirs, rtol=1e-9, atol=1e-12, check_requires_grad=False)


NN_OPS = {
    "linear": (lambda m, a, b: m.nn.functional.linear(a, b, b[0, :3]), [(X, T), (Y[:3, :].copy(), TY[:3, :].copy())]),
    "conv2d": (lambda m, a, k: m.nn.functional.conv2d(a, k, padding=1), [(IMG, TIMG), (KER, KER[::-1].copy())]),
    "max_pool_avg_pool": (lambda m, a: (m.nn.functional.max_pool2d(a, 2), m.nn.functional.avg_pool2d(a, 3)),
                          [(IMG, TIMG)]),
    "layer_norm": (lambda m, a: m.nn.functional.layer_norm(a, (4,)), ONE),
    "batch_norm_training": (lambda m, a: m.nn.functional.batch_norm(a, None, None, training=True), ONE),
    "gelu_softplus_silu": (lambda m, a: (m.nn.functional.gelu(a), m.nn.functional.softplus(a),
                                         m.nn.functional.silu(a)), ONE),
    "cross_entropy": (lambda m, a: m.nn.functional.cross_entropy(a, m.tensor([0, 3, 1])), ONE),
    "mse_loss": (lambda m, a, b: m.nn.functional.mse_loss(a, b), TWO),
    "embedding": (lambda m, w: m.nn.functional.embedding(m.tensor([[0, 2], [1, 1]]), w), ONE),
}


@pytest.mark.parametrize("name", sorted(NN_OPS))
def test_nn_functional_tangents_match_pytorch(name):
    pytest.importorskip("tensorgraft.nn")
    fn, pairs = NN_OPS[name]
    ours, theirs = run_in_both(lambda m: tangents_of(m, fn, pairs))
    assert_same_result(ours, theirs, rtol=1e-9, atol=1e-12, check_requires_grad=False)


def _inplace_story(m):
    """In-place writes and views: PyTorch's semantics of shared tangents."""
    fw = m.autograd.forward_ad
    shown = []
    with fw.dual_level():
        tangent = m.ones(3, dtype=m.float64)
        d = fw.make_dual(m.tensor([1.0, 2.0, 3.0], dtype=m.float64), tangent)
        tangent.mul_(5)                      # the dual sees its tangent object change
        shown.append(fw.unpack_dual(d).tangent.clone())
        d.mul_(2)                            # and the tangent object is updated in place
        shown.append(tangent.clone())
        x = m.zeros(2, 3, dtype=m.float64)
        row = x[1]                           # a view taken before the base has a tangent
        x[0] = d
        shown.append(fw.unpack_dual(x).tangent.clone())
        shown.append(fw.unpack_dual(row).tangent.clone())
        row.copy_(d * 3)                     # a write through the view reaches the base's tangent
        shown.append(fw.unpack_dual(x).tangent.clone())
        view = d.view(3, 1)
        shown.append(fw.unpack_dual(view).tangent.clone())
        d.copy_(m.ones(3, dtype=m.float64))  # overwritten by a value without tangent: zeros
        shown.append(fw.unpack_dual(d).tangent.clone())
        shown.append(fw.unpack_dual(view).tangent.clone())
        q = m.zeros(3, dtype=m.float64)
        q.add_(fw.make_dual(m.ones(3, dtype=m.float64), m.full((3,), 2.0, dtype=m.float64)))
        shown.append(fw.unpack_dual(q).tangent)
        out = m.empty(3, dtype=m.float64)
        shown.append(error_of(lambda: m.mul(fw.make_dual(m.ones(3, dtype=m.float64), m.ones(3, dtype=m.float64)), 3,
                                            out=out)))  # out= refused
        with m.no_grad():                    # no_grad does not stop forward AD
            shown.append(fw.unpack_dual(d.exp() * 2).tangent)
    shown.append(fw.unpack_dual(d).tangent)  # dropped with the level
    return shown


def test_inplace_and_view_semantics_match_pytorch():
    ours, theirs = run_in_both(_inplace_story)
    assert_same_result(ours, theirs, check_requires_grad=False)


def _tangent_requires_grad(m):
    fw = m.autograd.forward_ad
    p = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
    t = m.tensor([1.0, 2.0, 3.0], dtype=m.float64)
    with fw.dual_level():
        y = (fw.make_dual(p, t) * 3).exp().sum()
        jvp = fw.unpack_dual(y).tangent
        grad, = m.autograd.grad(jvp, p)        # forward-over-reverse: d/dp (J(p) t)
    return jvp, jvp.requires_grad, grad


def test_tangent_is_differentiable_with_respect_to_primal():
    ours, theirs = run_in_both(_tangent_requires_grad)
    assert_same_result(ours, theirs, rtol=1e-12, atol=1e-12, check_requires_grad=False)


class _Functions:
    """The same custom Functions in each library."""

    def __init__(self, m):
        class Exp(m.autograd.Function):
            @staticmethod
            def forward(ctx, x, k):
                ctx.seen = m.autograd.forward_ad.unpack_dual(x).tangent
                ctx.result = x.exp() * k
                return ctx.result

            @staticmethod
            def backward(ctx, g):
                return g * ctx.result, None

            @staticmethod
            def jvp(ctx, tx, tk):
                ctx.got = (tx, tk)
                return tx * ctx.result

        class Two(m.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.ab = (a, b)
                return a * b, a + b

            @staticmethod
            def backward(ctx, g1, g2):
                return g1, g2

            @staticmethod
            def jvp(ctx, ta, tb):
                a, b = ctx.ab
                return ta * b + a * tb, ta + tb

        class WrongCount(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2, a * 3

            @staticmethod
            def backward(ctx, g, h):
                return g

            @staticmethod
            def jvp(ctx, t):
                return t

        class WrongSize(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g

            @staticmethod
            def jvp(ctx, t):
                return t[:1]

        class NoJvp(m.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

            @staticmethod
            def backward(ctx, g):
                return g * 2

        self.Exp, self.Two, self.WrongCount, self.WrongSize, self.NoJvp = Exp, Two, WrongCount, WrongSize, NoJvp


def _custom_functions(m):
    fw = m.autograd.forward_ad
    F = _Functions(m)
    out = []
    with fw.dual_level():
        d = fw.make_dual(m.tensor([0.0, 1.0], dtype=m.float64), m.tensor([1.0, -1.0], dtype=m.float64))
        y = F.Exp.apply(d, 2.0)
        out.append(tuple(fw.unpack_dual(y)))
        plain = m.tensor([3.0, 4.0], dtype=m.float64)
        out.append(tuple(fw.unpack_dual(o) for o in F.Two.apply(d, plain)))  # plain's tangent: zeros
        out.append(F.NoJvp.apply(plain))  # no dual argument: runs as usual
        for cls in (F.WrongCount, F.WrongSize, F.NoJvp):
            out.append(error_of(lambda cls=cls: cls.apply(d)))
    return out


def test_custom_functions_match_pytorch():
    ours, theirs = run_in_both(_custom_functions)
    assert_same_result(ours, theirs, check_requires_grad=False)


ERRORS = {
    "make_dual_without_level": lambda m: m.autograd.forward_ad.make_dual(m.ones(2), m.ones(2)),
    "integer_primal": lambda m: _in_level(m, lambda fw: fw.make_dual(m.arange(3), m.ones(3))),
    "integer_tangent": lambda m: _in_level(m, lambda fw: fw.make_dual(m.ones(3), m.arange(3))),
    "size_mismatch": lambda m: _in_level(m, lambda fw: fw.make_dual(m.ones(3), m.ones(4))),
    "already_dual": lambda m: _in_level(m, lambda fw: fw.make_dual(fw.make_dual(m.ones(2), m.ones(2)), m.ones(2))),
    "wrong_level_make": lambda m: _in_level(m, lambda fw: fw.make_dual(m.ones(2), m.ones(2), level=3)),
    "wrong_level_unpack": lambda m: _in_level(m, lambda fw: fw.unpack_dual(fw.make_dual(m.ones(2), m.ones(2)), level=3)),
    "nested_level": lambda m: _in_level(m, lambda fw: fw.enter_dual_level()),
    "exit_wrong_level": lambda m: _in_level(m, lambda fw: fw.exit_dual_level(level=4)),
    "exit_without_level": lambda m: m.autograd.forward_ad.exit_dual_level(),
}


def _in_level(m, body):
    fw = m.autograd.forward_ad
    with fw.dual_level():
        return body(fw)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name):
    ours = error_of(lambda: ERRORS[name](tg))
    theirs = error_of(lambda: ERRORS[name](torch))
    assert theirs is not None
    assert ours == theirs


def _repr_story(m):
    fw = m.autograd.forward_ad
    with fw.dual_level():
        d = fw.make_dual(m.tensor([1.0, 2.0]), m.tensor([0.5, 0.25]))
        s = fw.make_dual(m.tensor(2.0), m.tensor(3.0))
        wide = fw.make_dual(m.arange(8.0), m.arange(8.0) * 10)
        return [repr(d), repr(s), repr(d.sum()), repr(wide * 1000), repr(fw.make_dual(m.ones(2, 2), m.eye(2)))]


def test_repr_matches_pytorch():
    ours, theirs = run_in_both(_repr_story)
    assert ours == theirs
