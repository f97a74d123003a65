"""Graphs that users can see match PyTorch 2.13's: the nodes a gradient built with
create_graph=True records (names and edges of ``grad_fn`` and ``next_functions``), the order
saved-tensor pack hooks see an op's inputs in, the CopySlices of an in-place op on a view, the
refusal of an in-place op on a view of a leaf before anything is packed, and forward AD's error
for an op without a derivative. The expected values were produced with PyTorch 2.13 (CPU) on the
same inputs and are hard-coded here (these tests do not import torch)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.graphs import graph_text as _walk


_R = np.random.RandomState(0)
_X = _R.rand(3, 4) + 0.5
_W = _R.rand(4, 4) + 0.5
_Y = _R.rand(3, 4) + 0.5

# (case, expression of x, y, w (m is tensorgraft), PyTorch's graph of d(expr.sum())/dx under create_graph)
_GRAPHS = [
    ('log1p', 'x.log1p()',
     'DivBackward0[None,AddBackward1] AddBackward1[AccumulateGrad] AccumulateGrad[]'),
    ('sqrt', 'x.sqrt()',
     'DivBackward0[None,MulBackward1] MulBackward1[SqrtBackward0] SqrtBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('square', 'x.square()',
     'MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('pow_3', 'x ** 3',
     'MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('pow_xy', 'x ** y',
     'WhereBackward0[None,MulBackward0] MulBackward0[None,MulBackward0] MulBackward0[AccumulateGrad,PowBackward1] AccumulateGrad[] PowBackward1[AccumulateGrad,SubBackward1] AccumulateGrad[] SubBackward1[AccumulateGrad]'),
    ('pow_2x', '2 ** x',
     'MulBackward0[None,MulBackward1] MulBackward1[PowBackward2] PowBackward2[AccumulateGrad] AccumulateGrad[]'),
    ('sum', 'x.sum() * x',
     'AddBackward0[MulBackward0,ExpandBackward0] MulBackward0[None,SumBackward0] ExpandBackward0[SumBackward0] SumBackward0[AccumulateGrad] SumBackward0[MulBackward0] AccumulateGrad[] MulBackward0[None,AccumulateGrad]'),
    ('mean', 'x.mean() * x',
     'AddBackward0[MulBackward0,DivBackward1] MulBackward0[None,MeanBackward0] DivBackward1[ExpandBackward0] MeanBackward0[AccumulateGrad] ExpandBackward0[SumBackward0] AccumulateGrad[] SumBackward0[MulBackward0] MulBackward0[None,AccumulateGrad]'),
    ('mean_dim', 'x.mean(0) * x',
     'AddBackward0[MulBackward0,DivBackward1] MulBackward0[None,MeanBackward1] DivBackward1[ExpandBackward0] MeanBackward1[AccumulateGrad] ExpandBackward0[UnsqueezeBackward0] AccumulateGrad[] UnsqueezeBackward0[ViewBackward0] ViewBackward0[SumBackward1] SumBackward1[MulBackward0] MulBackward0[None,AccumulateGrad]'),
    ('prod', 'x.prod()',
     'MulBackward0[None,DivBackward0] DivBackward0[ProdBackward0,AccumulateGrad] ProdBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('norm', 'x.norm()',
     'MulBackward0[None,MaskedFillBackward0] MaskedFillBackward0[DivBackward0] DivBackward0[AccumulateGrad,LinalgVectorNormBackward0] AccumulateGrad[] LinalgVectorNormBackward0[AccumulateGrad]'),
    ('norm_dim', 'x.norm(dim=1)',
     'MulBackward0[None,MaskedFillBackward0] MaskedFillBackward0[DivBackward0] DivBackward0[AccumulateGrad,UnsqueezeBackward0] AccumulateGrad[] UnsqueezeBackward0[LinalgVectorNormBackward0] LinalgVectorNormBackward0[AccumulateGrad]'),
    ('norm_p3', 'x.norm(p=3)',
     'MulBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[AccumulateGrad,PowBackward0] MaskedFillBackward0[DivBackward0] AccumulateGrad[] PowBackward0[AbsBackward0] DivBackward0[None,PowBackward0] AbsBackward0[AccumulateGrad] PowBackward0[LinalgVectorNormBackward0] LinalgVectorNormBackward0[AccumulateGrad]'),
    ('norm_p1', 'x.norm(p=1) * x',
     'AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,LinalgVectorNormBackward0] MulBackward0[SgnBackward0,SumBackward0] LinalgVectorNormBackward0[AccumulateGrad] SgnBackward0[AccumulateGrad] SumBackward0[MulBackward0] AccumulateGrad[] MulBackward0[None,AccumulateGrad]'),
    ('max', 'x.max() * x',
     'AddBackward0[MulBackward0,MaskedFillBackward1] MulBackward0[None,MaxBackward1] MaskedFillBackward1[None,DivBackward0] MaxBackward1[AccumulateGrad] DivBackward0[SumBackward0,None] AccumulateGrad[] SumBackward0[MulBackward0] MulBackward0[None,AccumulateGrad]'),
    ('max_dim', 'x.max(1)[0] ** 2',
     'ScatterBackward0[None,UnsqueezeBackward0] UnsqueezeBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[MaxBackward0] MaxBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('amax', 'x.amax(1) ** 2',
     'MulBackward0[DivBackward0,None] DivBackward0[ViewBackward0,None] ViewBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[AmaxBackward0] AmaxBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('var', 'x.var()',
     'MulBackward0[None,SubBackward0] SubBackward0[AccumulateGrad,MeanBackward0] AccumulateGrad[] MeanBackward0[AccumulateGrad]'),
    ('std', 'x.std()',
     'MulBackward0[MulBackward1,SubBackward0] MulBackward1[MaskedFillBackward0] SubBackward0[AccumulateGrad,MeanBackward0] MaskedFillBackward0[DivBackward0] AccumulateGrad[] MeanBackward0[AccumulateGrad] DivBackward0[None,MulBackward1] MulBackward1[StdBackward0] StdBackward0[AccumulateGrad]'),
    ('matmul', '(x @ w) ** 2',
     'MmBackward0[MulBackward0,TBackward0] MulBackward0[None,MulBackward1] TBackward0[AccumulateGrad] MulBackward1[PowBackward0] AccumulateGrad[] PowBackward0[MmBackward0] MmBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[]'),
    ('addmm', 'm.addmm(y, x, w) ** 2',
     'MmBackward0[MulBackward0,TBackward0] MulBackward0[None,MulBackward1] TBackward0[AccumulateGrad] MulBackward1[PowBackward0] AccumulateGrad[] PowBackward0[AddmmBackward0] AddmmBackward0[AccumulateGrad,AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]'),
    ('mv', 'x.mv(w[0]) ** 2',
     'MulBackward0[ViewBackward0,SelectBackward0] ViewBackward0[MulBackward0] SelectBackward0[AccumulateGrad] MulBackward0[None,MulBackward1] AccumulateGrad[] MulBackward1[PowBackward0] PowBackward0[MvBackward0] MvBackward0[AccumulateGrad,SelectBackward0] AccumulateGrad[]'),
    ('trace', 'x[:, :3].trace() * x',
     'AddBackward0[MulBackward0,SliceBackwardBackward0] MulBackward0[None,TraceBackward0] SliceBackwardBackward0[ViewBackward0] TraceBackward0[SliceBackward0] ViewBackward0[IndexFillBackward1] SliceBackward0[AccumulateGrad] IndexFillBackward1[None,SumBackward0] AccumulateGrad[] SumBackward0[MulBackward0] MulBackward0[None,AccumulateGrad]'),
    ('exp2', 'x.exp2()',
     'MulBackward1[MulBackward0] MulBackward0[None,Exp2Backward0] Exp2Backward0[AccumulateGrad] AccumulateGrad[]'),
    ('expm1', 'x.expm1()',
     'MulBackward0[None,AddBackward1] AddBackward1[Expm1Backward0] Expm1Backward0[AccumulateGrad] AccumulateGrad[]'),
    ('log2', 'x.log2()',
     'DivBackward0[None,MulBackward1] MulBackward1[AccumulateGrad] AccumulateGrad[]'),
    ('log10', 'x.log10()',
     'DivBackward0[None,MulBackward1] MulBackward1[AccumulateGrad] AccumulateGrad[]'),
    ('atan', 'x.atan()',
     'DivBackward0[None,AddBackward1] AddBackward1[MulBackward0] MulBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[]'),
    ('tan', 'x.tan()',
     'MulBackward0[None,AddBackward1] AddBackward1[PowBackward0] PowBackward0[TanBackward0] TanBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('cos', 'x.cos()',
     'MulBackward0[None,NegBackward0] NegBackward0[SinBackward0] SinBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('erf', 'x.erf()',
     'MulBackward0[MulBackward1,None] MulBackward1[ExpBackward0] ExpBackward0[NegBackward0] NegBackward0[PowBackward0] PowBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('erfc', 'x.erfc()',
     'MulBackward0[MulBackward1,None] MulBackward1[ExpBackward0] ExpBackward0[NegBackward0] NegBackward0[PowBackward0] PowBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('asin', '(x / 3).asin()',
     'DivBackward0[MulBackward0,None] MulBackward0[None,RsqrtBackward0] RsqrtBackward0[AddBackward1] AddBackward1[MulBackward0] MulBackward0[NegBackward0,DivBackward0] NegBackward0[DivBackward0] DivBackward0[AccumulateGrad,None] AccumulateGrad[]'),
    ('acos', '(x / 3).acos()',
     'DivBackward0[MulBackward0,None] MulBackward0[None,NegBackward0] NegBackward0[RsqrtBackward0] RsqrtBackward0[AddBackward1] AddBackward1[MulBackward0] MulBackward0[NegBackward0,DivBackward0] NegBackward0[DivBackward0] DivBackward0[AccumulateGrad,None] AccumulateGrad[]'),
    ('asinh', 'x.asinh()',
     'MulBackward0[None,RsqrtBackward0] RsqrtBackward0[AddBackward1] AddBackward1[PowBackward0] PowBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('acosh', '(x + 1).acosh()',
     'MulBackward0[None,RsqrtBackward0] RsqrtBackward0[SubBackward1] SubBackward1[MulBackward0] MulBackward0[AddBackward0,AddBackward0] AddBackward0[AccumulateGrad,None] AccumulateGrad[]'),
    ('atanh', '(x / 3).atanh()',
     'DivBackward0[DivBackward0,None] DivBackward0[None,SubBackward0] SubBackward0[None,PowBackward0] PowBackward0[DivBackward0] DivBackward0[AccumulateGrad,None] AccumulateGrad[]'),
    ('logit', '(x / 3).logit()',
     'DivBackward0[WhereBackward0,None] WhereBackward0[DivBackward0,None] DivBackward0[None,MulBackward0] MulBackward0[DivBackward0,SubBackward0] DivBackward0[AccumulateGrad,None] SubBackward0[None,DivBackward0] AccumulateGrad[]'),
    ('sinc', 'x.sinc()',
     'WhereBackward0[None,MulBackward0] MulBackward0[None,DivBackward0] DivBackward0[SubBackward0,MulBackward1] SubBackward0[MulBackward0,SinBackward0] MulBackward1[MulBackward0] MulBackward0[MulBackward1,CosBackward0] SinBackward0[MulBackward1] MulBackward0[AccumulateGrad,AccumulateGrad] MulBackward1[AccumulateGrad] CosBackward0[MulBackward1] AccumulateGrad[]'),
    ('deg2rad', 'x.deg2rad() * x',
     'AddBackward0[MulBackward0,MulBackward1] MulBackward0[None,Deg2RadBackward0] MulBackward1[MulBackward0] Deg2RadBackward0[AccumulateGrad] MulBackward0[None,AccumulateGrad] AccumulateGrad[]'),
    ('atan2', 'm.atan2(x, y)',
     'MulBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[None,AccumulateGrad] MaskedFillBackward0[ReciprocalBackward0] AccumulateGrad[] ReciprocalBackward0[AddBackward0] AddBackward0[MulBackward0,MulBackward0] MulBackward0[AccumulateGrad,AccumulateGrad] MulBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[]'),
    ('maximum', 'm.maximum(x, y) * x',
     'AddBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[None,MaximumBackward0] MaskedFillBackward0[WhereBackward0] MaximumBackward0[AccumulateGrad,AccumulateGrad] WhereBackward0[DivBackward1,MulBackward0] AccumulateGrad[] AccumulateGrad[] DivBackward1[MulBackward0] MulBackward0[None,AccumulateGrad]'),
    ('lerp', 'm.lerp(x, y, 0.3) * x',
     'AddBackward0[MulBackward0,MulBackward1] MulBackward0[None,LerpBackward0] MulBackward1[MulBackward0] LerpBackward0[AccumulateGrad,AccumulateGrad] MulBackward0[None,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]'),
    ('lerp_t', 'm.lerp(x, y, w[:3]) * x',
     'AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,LerpBackward1] MulBackward0[MulBackward0,SubBackward0] LerpBackward1[AccumulateGrad,AccumulateGrad,SliceBackward0] MulBackward0[None,AccumulateGrad] SubBackward0[None,SliceBackward0] AccumulateGrad[] AccumulateGrad[] SliceBackward0[AccumulateGrad] AccumulateGrad[]'),
    ('addcmul', 'm.addcmul(x, x, y, value=0.5) * x',
     'AddBackward0[AddBackward0,MulBackward0] AddBackward0[MulBackward0,MulBackward0] MulBackward0[MulBackward0,MulBackward1] MulBackward0[None,AddcmulBackward0] MulBackward0[None,AccumulateGrad] MulBackward1[AccumulateGrad] AddcmulBackward0[AccumulateGrad,AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]'),
    ('addcdiv', 'm.addcdiv(x, x, y, value=0.5) * x',
     'AddBackward0[AddBackward0,MulBackward0] AddBackward0[MulBackward0,MulBackward0] MulBackward0[MulBackward0,DivBackward0] MulBackward0[None,AddcdivBackward0] MulBackward0[None,AccumulateGrad] DivBackward0[None,AccumulateGrad] AddcdivBackward0[AccumulateGrad,AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]'),
    ('cumprod', 'x.cumprod(1)',
     'DivBackward0[FlipBackward0,AccumulateGrad] FlipBackward0[CumsumBackward0] AccumulateGrad[] CumsumBackward0[FlipBackward0] FlipBackward0[MulBackward0] MulBackward0[CumprodBackward0,None] CumprodBackward0[AccumulateGrad]'),
    ('dist', 'm.dist(x, y)',
     'MulBackward0[None,MaskedFillBackward0] MaskedFillBackward0[DivBackward0] DivBackward0[SubBackward0,DistBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] DistBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]'),
    ('expand', 'x[0].expand(3, 4) * x',
     'AddBackward0[MulBackward0,SelectBackwardBackward0] MulBackward0[None,ExpandBackward0] SelectBackwardBackward0[ViewBackward0] ExpandBackward0[SelectBackward0] ViewBackward0[SumBackward1] SelectBackward0[AccumulateGrad] SumBackward1[MulBackward0] AccumulateGrad[] MulBackward0[None,AccumulateGrad]'),
    ('dot', 'x[0].dot(w[0]) * x',
     'AddBackward0[MulBackward0,SelectBackwardBackward0] MulBackward0[None,DotBackward0] SelectBackwardBackward0[MulBackward0] DotBackward0[SelectBackward0,SelectBackward0] MulBackward0[SumBackward0,SelectBackward0] SelectBackward0[AccumulateGrad] SelectBackward0[AccumulateGrad] SumBackward0[MulBackward0] AccumulateGrad[] AccumulateGrad[] MulBackward0[None,AccumulateGrad]'),
]


@pytest.mark.parametrize("case,expr,expected", _GRAPHS, ids=[c[0] for c in _GRAPHS])
def test_double_backward_graph_matches_pytorch(case, expr, expected):
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y, requires_grad=True)
    w = tg.tensor(_W, requires_grad=True)
    out = eval(expr, {"m": tg, "x": x, "y": y, "w": w})
    g, = tg.autograd.grad(out.sum(), x, create_graph=True)
    assert _walk(g.grad_fn) == expected


# the formulas that now follow PyTorch's order of operations: first and second derivatives agree with
# finite differences (float64)
@pytest.mark.parametrize("fn", [
    lambda x: x.asin(), lambda x: x.acos(), lambda x: (x + 2).acosh(), lambda x: x.asinh(), lambda x: x.atanh(),
    lambda x: x.erf(), lambda x: x.erfc(), lambda x: x.erfinv(), lambda x: x.sinc(), lambda x: x.tan(),
    lambda x: x.std(), lambda x: x.var(0), lambda x: x.std(1, correction=0),
    lambda x: tg.linalg.vector_norm(x, 0.5), lambda x: tg.linalg.vector_norm(x, 1.5, 1),
    lambda x: tg.linalg.vector_norm(x, 3), lambda x: tg.linalg.vector_norm(x, float("inf"), 0),
    lambda x: (x + 1).log1p(), lambda x: x.exp2(), lambda x: (x + 1).log10(), lambda x: x.cumprod(1),
    lambda x: tg.addcdiv(x, x.sin(), x + 2, value=0.3), lambda x: tg.lerp(x, x.cos(), 0.3),
    lambda x: tg.lerp(x, x.cos(), x * 0.5), lambda x: tg.atan2(x, x.cos() + 2), lambda x: 2 ** x,
    lambda x: x.max(1)[0], lambda x: x.sort(1)[0][:, :2], lambda x: x[:, :3].trace(), lambda x: x.mm(x.t()),
    lambda x: tg.addmm(x[0, :3], x, x.t()), lambda x: (x + 1) ** x.cos(),
])
def test_reordered_formulas_gradgradcheck(fn):
    x = tg.tensor(np.array([[0.31, -0.52, 0.13, 0.74], [-0.25, 0.66, -0.41, 0.18], [0.57, -0.09, 0.35, -0.63]]),
                  dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(fn, (x,))
    assert tg.autograd.gradgradcheck(fn, (x,))


def _packed_shapes(fn):
    log = []
    a = tg.ones(2, 3, requires_grad=True)
    b = tg.ones(3, requires_grad=True) * 2
    c = tg.ones(1, 3, requires_grad=True)
    with tg.autograd.graph.saved_tensors_hooks(lambda t: log.append(tuple(t.shape)) or t, lambda t: t):
        fn(a, b, c)
    return log


@pytest.mark.parametrize("fn,expected", [
    # PyTorch's generated nodes save their inputs by argument name: other/exponent/mat2/end before self
    (lambda a, b, c: a * b, [(3,), (2, 3)]),
    (lambda a, b, c: a / b, [(3,), (2, 3)]),
    (lambda a, b, c: b * c, [(1, 3), (3,)]),
    (lambda a, b, c: (a * 1).mul_(b), [(3,), (2, 3)]),
    (lambda a, b, c: a ** b, [(3,), (2, 3), (2, 3)]),
    (lambda a, b, c: tg.atan2(a, b), [(3,), (2, 3)]),
    (lambda a, b, c: tg.hypot(a, b), [(3,), (2, 3), (2, 3)]),
    (lambda a, b, c: tg.maximum(a, b), [(3,), (2, 3)]),
    (lambda a, b, c: a.mm(c.t()), [(3, 1), (2, 3)]),
    (lambda a, b, c: tg.lerp(a, c, b), [(1, 3), (2, 3), (3,)]),
    (lambda a, b, c: a.mv(b), [(2, 3), (3,)]),
    (lambda a, b, c: b.dot(c[0]), [(3,), (3,)]),
    # addmm keeps its two factors only (not ``input``)
    (lambda a, b, c: tg.addmm(b[:1], a, c.t()), [(2, 3), (3, 1)]),
    (lambda a, b, c: tg.addmv(b[:2], a, b), [(2, 3), (3,)]),
    (lambda a, b, c: tg.addr(a, b[:2], c[0]), [(2,), (3,)]),
])
def test_pack_hooks_see_pytorchs_order(fn, expected):
    assert _packed_shapes(fn) == expected


def test_addmm_input_changed_in_place_afterwards_is_no_error():
    # (PyTorch's AddmmBackward0 does not keep ``input``)
    b = tg.ones(3, requires_grad=True) * 1
    a = tg.ones(2, 4, requires_grad=True)
    c = tg.ones(4, 3, requires_grad=True)
    y = tg.addmm(b, a, c)
    b.mul_(2)
    y.sum().backward()
    assert a.grad.tolist() == [[3.0] * 4] * 2


# PyTorch's CopySlices of an in-place op on a view wraps the op's node: an edge for the base, then one
# per other input of the op
@pytest.mark.parametrize("stmt,expected", [
    ("v.exp_()", "CopySlices[CloneBackward0] CloneBackward0[AccumulateGrad] AccumulateGrad[]"),
    ("v.mul_(2)", "CopySlices[CloneBackward0,None] CloneBackward0[AccumulateGrad] AccumulateGrad[]"),
    ("v.mul_(y[0:2])", "CopySlices[CloneBackward0,SliceBackward0] CloneBackward0[AccumulateGrad] "
                       "SliceBackward0[AccumulateGrad] AccumulateGrad[] AccumulateGrad[]"),
    ("v.relu_()", "CopySlices[CloneBackward0] CloneBackward0[AccumulateGrad] AccumulateGrad[]"),
    ("v.clamp_(0.2, 0.5)", "CopySlices[CloneBackward0] CloneBackward0[AccumulateGrad] AccumulateGrad[]"),
    ("v[0].sigmoid_()", "CopySlices[CloneBackward0] CloneBackward0[AccumulateGrad] AccumulateGrad[]"),
    # a plain assignment into the view keeps its two edges (as PyTorch's)
    ("v[0] = y[0]", "CopySlices[CloneBackward0,SelectBackward0] CloneBackward0[AccumulateGrad] "
                    "SelectBackward0[AccumulateGrad] AccumulateGrad[] AccumulateGrad[]"),
])
def test_copy_slices_of_an_inplace_op_on_a_view(stmt, expected):
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y, requires_grad=True)  # noqa: F841 (used by the statement)
    b = x.clone()
    v = b[0:2]  # noqa: F841 (used by the statement)
    exec(stmt)
    assert _walk(b.grad_fn).replace("torch::autograd::", "") == expected


def test_copy_slices_gradients_first_and_second_order():
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y, requires_grad=True)
    b = x.clone()
    b[0:2].mul_(y[0:2]).exp_()
    gx, gy = tg.autograd.grad((b * b).sum(), (x, y), create_graph=True)
    e = np.exp(_X[:2] * _Y[:2])
    want_x = 2 * _X.copy()
    want_x[:2] = 2 * e * e * _Y[:2]
    np.testing.assert_allclose(gx.detach().numpy(), want_x, rtol=1e-12)
    np.testing.assert_allclose(gy.detach().numpy()[:2], 2 * e * e * _X[:2], rtol=1e-12)
    assert not gy.detach().numpy()[2:].any()
    # d/dx of sum(gx): 2 on the untouched rows, d(2 y e^2)/dx = 4 y^2 e^2 on the written ones
    g2, = tg.autograd.grad(gx.sum(), x)
    want2 = np.full_like(_X, 2.0)
    want2[:2] = 4 * _Y[:2] ** 2 * e * e
    np.testing.assert_allclose(g2.numpy(), want2, rtol=1e-12)


def test_copy_slices_hooks_and_second_backward():
    x = tg.tensor(_X, requires_grad=True)
    y = tg.tensor(_Y, requires_grad=True)
    b = x.clone()
    b[0:2].mul_(y[0:2])
    seen = []
    b.grad_fn.register_hook(lambda grad_inputs, grad_outputs: seen.append(len(grad_inputs)))
    b.sum().backward()
    assert seen == [2]
    np.testing.assert_allclose(y.grad.numpy()[:2], _X[:2])
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        b.sum().backward()


@pytest.mark.parametrize("stmt", ["v.exp_()", "v.mul_(y)", "v.sigmoid_()", "v[0].exp_()", "v.clamp_(0, 1)",
                                  "v.pow_(2)", "v[0] = y", "v.masked_fill_(v > 0.5, 1.0)"])
def test_inplace_on_a_view_of_a_leaf_refused_before_packing(stmt):
    x = tg.rand(3, 4, requires_grad=True)
    y = tg.rand(4, requires_grad=True)  # noqa: F841 (used by the statement)
    v = x[0:2]  # noqa: F841 (used by the statement)
    log = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: log.append(tuple(t.shape)) or t, lambda t: t):
        with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                               "in-place operation."):
            exec(stmt)
    assert log == []


_NO_FORWARD = "Trying to use forward AD with aten::{} that does not support it."
_NOT_YET = "Trying to use forward AD with {} that does not support it because it has not been implemented yet."


@pytest.mark.parametrize("call,message", [
    (lambda d: d.floor_divide(2), _NO_FORWARD.format("floor_divide")),
    (lambda d: d // d, _NO_FORWARD.format("floor_divide")),
    (lambda d: tg.histogram(d, bins=4), _NO_FORWARD.format("histogram")),
    (lambda d: tg.remainder(2, d), _NO_FORWARD.format("remainder")),
    (lambda d: tg.igamma(d, d), _NOT_YET.format("igamma")),
    (lambda d: tg.unique(d), _NOT_YET.format("_unique2")),
    (lambda d: tg.special.zeta(d, 2.0), _NOT_YET.format("special_zeta")),
])
def test_forward_ad_without_a_forward_derivative(call, message):
    fa = tg.autograd.forward_ad
    with fa.dual_level():
        d = fa.make_dual(tg.tensor([0.3, 0.6, 0.1, 0.9]), tg.ones(4))
        with pytest.raises(NotImplementedError) as info:
            call(d)
    assert str(info.value) == message


@pytest.mark.parametrize("api", ["jvp", "jacfwd"])
def test_func_forward_transforms_without_a_forward_derivative(api):
    f = (lambda x: x // 2)
    with pytest.raises(NotImplementedError, match=r"^Trying to use forward AD with aten::floor_divide that does not "
                                                   r"support it\.$"):
        if api == "jvp":
            tg.func.jvp(f, (tg.tensor([0.3, 0.6]),), (tg.ones(2),))
        else:
            tg.func.jacfwd(f)(tg.tensor([0.3, 0.6]))
