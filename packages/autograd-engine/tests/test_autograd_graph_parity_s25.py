"""The graph a norm's gradient builds with create_graph=True is PyTorch 2.13's (``Tensor.norm`` and
``linalg.vector_norm``, formulas/reduction.py): node names and edges of the gradient, and the value
of the gradient of its squared sum. The expected strings and numbers were produced with PyTorch
2.13 (CPU) on the same inputs and are hard-coded here (these tests do not import torch)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.graphs import graph_text as _walk


_X = np.random.RandomState(0).rand(3, 4) + 0.5

# (case, expression of x (tg is tensorgraft), PyTorch's graph of d(expr.sum())/dx under
# create_graph, PyTorch's sum of d(sum(g * g))/dx)
_CASES = [
    ('norm', 'x.norm()',
     'MulBackward0[None,MaskedFillBackward0] MaskedFillBackward0[DivBackward0] DivBackward0[AccumulateGrad,'
     'LinalgVectorNormBackward0] AccumulateGrad[] LinalgVectorNormBackward0[AccumulateGrad]',
     4.163336342344337e-17),
    ('norm_dim', 'x.norm(dim=1)',
     'MulBackward0[None,MaskedFillBackward0] MaskedFillBackward0[DivBackward0] DivBackward0[AccumulateGrad,'
     'UnsqueezeBackward0] AccumulateGrad[] UnsqueezeBackward0[LinalgVectorNormBackward0] '
     'LinalgVectorNormBackward0[AccumulateGrad]',
     3.3306690738754696e-16),
    ('norm_inf', "x.norm(p=float('inf')) * x",
     'AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,LinalgVectorNormBackward0] '
     'MulBackward0[SgnBackward0,MulBackward0] LinalgVectorNormBackward0[AccumulateGrad] SgnBackward0[AccumulateGrad] '
     'MulBackward0[DivBackward0,None] AccumulateGrad[] DivBackward0[SumBackward0,None] SumBackward0[MulBackward0] '
     'MulBackward0[None,AccumulateGrad]',
     420.69116506955527),
    ('norm_p3_dim', 'x.norm(p=3, dim=1)',
     'MulBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[AccumulateGrad,PowBackward0] '
     'MaskedFillBackward0[DivBackward0] AccumulateGrad[] PowBackward0[AbsBackward0] DivBackward0[None,PowBackward0] '
     'AbsBackward0[AccumulateGrad] PowBackward0[UnsqueezeBackward0] UnsqueezeBackward0[LinalgVectorNormBackward0] '
     'LinalgVectorNormBackward0[AccumulateGrad]',
     -0.13414670190811623),
    ('vector_norm_ord1', 'tg.linalg.vector_norm(x, ord=1, dim=1) ** 2',
     'MulBackward0[SgnBackward0,UnsqueezeBackward0] SgnBackward0[AccumulateGrad] UnsqueezeBackward0[MulBackward0] '
     'AccumulateGrad[] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] '
     'PowBackward0[LinalgVectorNormBackward0] LinalgVectorNormBackward0[AccumulateGrad]',
     1725.2201972455673),
    ('vector_norm_half', 'tg.linalg.vector_norm(x, ord=0.5)',
     'MulBackward0[MulBackward0,PowBackward0] MulBackward0[MulBackward0,None] PowBackward0[LinalgVectorNormBackward0] '
     'MulBackward0[SgnBackward0,MaskedFillBackward0] LinalgVectorNormBackward0[AccumulateGrad] '
     'SgnBackward0[AccumulateGrad] MaskedFillBackward0[PowBackward0] AccumulateGrad[] PowBackward0[AbsBackward0] '
     'AbsBackward0[AccumulateGrad]',
     -55.296219775124655),
    ('vector_norm_dims', 'tg.linalg.vector_norm(x, dim=(0, 1), keepdim=True) * x',
     'AddBackward0[MulBackward0,MulBackward0] MulBackward0[None,LinalgVectorNormBackward0] '
     'MulBackward0[SumBackward1,MaskedFillBackward0] LinalgVectorNormBackward0[AccumulateGrad] '
     'SumBackward1[MulBackward0] MaskedFillBackward0[DivBackward0] AccumulateGrad[] MulBackward0[None,AccumulateGrad] '
     'DivBackward0[AccumulateGrad,LinalgVectorNormBackward0]',
     1293.9151479341754),
]


@pytest.mark.parametrize("case,expr,graph,hsum", _CASES, ids=[c[0] for c in _CASES])
def test_norm_double_backward_graph_is_pytorchs(case, expr, graph, hsum):
    x = tg.tensor(_X, requires_grad=True)
    out = eval(expr, {"x": x, "tg": tg})
    g, = tg.autograd.grad(out.sum(), x, create_graph=True)
    assert _walk(g.grad_fn) == graph
    h, = tg.autograd.grad((g * g).sum(), x)
    np.testing.assert_allclose(float(h.sum()), hsum, rtol=1e-9, atol=1e-12)
