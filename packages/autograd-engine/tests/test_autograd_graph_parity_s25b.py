"""Autograd graphs as PyTorch 2.13's (session 25, part b): basic indexing over several dims records
one view node per view op it applies (``x[1:, ::2]`` is two SliceBackward0), forward and under
create_graph. The expected strings, pack sequences and numbers were produced with PyTorch 2.13 (CPU)
on the same inputs and are hard-coded here (these tests do not import torch)."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.graphs import graph_text as _walk


_X3 = np.random.RandomState(0).rand(4, 5, 6)

# (index expression, PyTorch's forward graph, its graph of d(sum(y**3))/dx under create_graph,
# PyTorch's sum of d(sum(g**2))/dx)
_INDEX_CASES = [
    ('x[1:, ::2]',
     'SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     387.2708053189923),
    ('x[1:, 1]',
     'SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     181.13625703399208),
    ('x[1, 1:]',
     'SliceBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     'SelectBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     159.8703310662395),
    ('x[1:, None, ::2]',
     'SliceBackward0[UnsqueezeBackward0] UnsqueezeBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SqueezeBackward1] SqueezeBackward1[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[UnsqueezeBackward0] UnsqueezeBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     387.2708053189923),
    ('x[1:, :, 2:]',
     'SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     464.084036356816),
    ('x[1:, 2:, 1:]',
     'SliceBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     357.6408193960418),
    ('x[1:, 0, 1:3]',
     'SliceBackward0[SelectBackward0] SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SelectBackward0] SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     41.1360049669342),
    ('x[None, 1:, 1:]',
     'SliceBackward0[SliceBackward0] SliceBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     'SqueezeBackward1[SliceBackwardBackward0] SliceBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SliceBackward0] SliceBackward0[SliceBackward0] SliceBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     627.5970536680387),
    ('x[0, 1]',
     'SelectBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     'SelectBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     85.9853640539599),
    ('x[0, 1:, 1]',
     'SelectBackward0[SliceBackward0] SliceBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     'SelectBackwardBackward0[SliceBackwardBackward0] SliceBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[SliceBackward0] SliceBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     87.21913456514777),
    ('x[None, None]',
     'UnsqueezeBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     'SqueezeBackward1[SqueezeBackward1] SqueezeBackward1[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[UnsqueezeBackward0] UnsqueezeBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     1050.5875461816847),
    ('x[:, None, 1]',
     'SelectBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     'SqueezeBackward1[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     267.12162108795195),
    ('x[-2:, -1]',
     'SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     'SliceBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[SliceBackward0] SliceBackward0[AccumulateGrad] AccumulateGrad[]',
     138.15497547940592),
    ('x[1, ..., 2]',
     'SelectBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     'SelectBackwardBackward0[SelectBackwardBackward0] SelectBackwardBackward0[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[SelectBackward0] SelectBackward0[SelectBackward0] SelectBackward0[AccumulateGrad] AccumulateGrad[]',
     61.051318057468364),
    ('x[None]',
     'UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     'SqueezeBackward1[MulBackward0] MulBackward0[None,MulBackward1] MulBackward1[PowBackward0] PowBackward0[UnsqueezeBackward0] UnsqueezeBackward0[AccumulateGrad] AccumulateGrad[]',
     1050.5875461816847),
]


@pytest.mark.parametrize("expr,forward,backward,second", _INDEX_CASES, ids=[c[0] for c in _INDEX_CASES])
def test_basic_index_records_a_view_chain(expr, forward, backward, second):
    x = tg.tensor(_X3, requires_grad=True)
    y = eval(expr)
    assert _walk(y.grad_fn) == forward
    g, = tg.autograd.grad((y ** 3).sum(), x, create_graph=True)
    assert _walk(g.grad_fn) == backward
    gg, = tg.autograd.grad((g ** 2).sum(), x)
    assert float(gg.sum()) == pytest.approx(second, rel=1e-12)


def test_view_chain_result_is_a_view_of_the_base():
    """The chain's intermediate results are views of ``x`` too: the result's base is ``x`` and an
    in-place change through it reaches the base's gradient as PyTorch's (value from PyTorch 2.13)."""
    x = tg.tensor(_X3, requires_grad=True)
    y = x[1:, None, ::2][0]
    assert y._base is x and not y.is_contiguous()
    z = x.clone()
    v = z[1:, ::2]
    v.mul_(2)
    assert _walk(z.grad_fn) == "CopySlices[CloneBackward0,None] CloneBackward0[AccumulateGrad] AccumulateGrad[]"
    (z ** 2).sum().backward()
    assert float(x.grad.sum()) == pytest.approx(267.50549797747385, rel=1e-12)


# ---------------------------------------------------------------- what saved-tensor hooks pack
def _packed(expr, shapes, needs):
    """What ``saved_tensors_hooks`` packs while ``expr`` is recorded: an operand's name, or
    ``shape:dtype`` for another tensor."""
    rng = np.random.RandomState(1)
    ts = {k: tg.tensor(rng.rand(*s) + 0.5, requires_grad=k in needs) for k, s in shapes.items()}
    seq = []

    def pack(t):
        name = next((k for k, u in ts.items() if u.shape == t.shape and np.shares_memory(u._data, t._data)), None)
        seq.append(name or f"{tuple(t.shape)}:{str(t.dtype).split('.')[-1]}")
        return t
    with tg.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        eval(expr, {"tg": tg, **ts})
    return seq


# (expression, operand shapes, the operands that require grad, PyTorch's pack sequence): a
# product keeps each operand only for the other's gradient (addmm's matrices too, never its
# input), division its dividend only for the divisor's gradient, gather and masked_select their
# input after the index/mask, index_add its index and source only for the source's gradient
_PACK_CASES = [
    ('a.mm(b)', {'a': (3, 4), 'b': (4, 5)}, 'ab', ['b', 'a']),
    ('a.mm(b)', {'a': (3, 4), 'b': (4, 5)}, 'a', ['b']),
    ('a.mm(b)', {'a': (3, 4), 'b': (4, 5)}, 'b', ['a']),
    ('a @ b', {'a': (3, 4), 'b': (4, 5)}, 'ab', ['b', 'a']),
    ('a @ b', {'a': (3, 4), 'b': (4, 5)}, 'a', ['b']),
    ('a @ b', {'a': (3, 4), 'b': (4, 5)}, 'b', ['a']),
    ('a.bmm(b)', {'a': (2, 3, 4), 'b': (2, 4, 5)}, 'ab', ['b', 'a']),
    ('a.bmm(b)', {'a': (2, 3, 4), 'b': (2, 4, 5)}, 'a', ['b']),
    ('a.bmm(b)', {'a': (2, 3, 4), 'b': (2, 4, 5)}, 'b', ['a']),
    ('a.mv(b)', {'a': (3, 4), 'b': (4,)}, 'ab', ['a', 'b']),
    ('a.mv(b)', {'a': (3, 4), 'b': (4,)}, 'a', ['b']),
    ('a.mv(b)', {'a': (3, 4), 'b': (4,)}, 'b', ['a']),
    ('a.dot(b)', {'a': (4,), 'b': (4,)}, 'ab', ['a', 'b']),
    ('a.dot(b)', {'a': (4,), 'b': (4,)}, 'a', ['b']),
    ('a.dot(b)', {'a': (4,), 'b': (4,)}, 'b', ['a']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'cab', ['a', 'b']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'ca', ['b']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'cb', ['a']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'c', []),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'ab', ['a', 'b']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'a', ['b']),
    ('tg.addmm(c, a, b)', {'c': (3, 5), 'a': (3, 4), 'b': (4, 5)}, 'b', ['a']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'cab', ['a', 'b']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'ca', ['b']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'cb', ['a']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'c', []),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'ab', ['a', 'b']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'a', ['b']),
    ('tg.addmv(c, a, b)', {'c': (3,), 'a': (3, 4), 'b': (4,)}, 'b', ['a']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'cab', ['a', 'b']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'ca', ['b']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'cb', ['a']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'c', []),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'ab', ['a', 'b']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'a', ['b']),
    ('tg.baddbmm(c, a, b)', {'c': (2, 3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'b', ['a']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'cab', ['a', 'b']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'ca', ['b']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'cb', ['a']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'c', []),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'ab', ['a', 'b']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'a', ['b']),
    ('tg.addbmm(c, a, b)', {'c': (3, 5), 'a': (2, 3, 4), 'b': (2, 4, 5)}, 'b', ['a']),
    ('a / b', {'a': (3, 4), 'b': (3, 4)}, 'ab', ['b', 'a']),
    ('a / b', {'a': (3, 4), 'b': (3, 4)}, 'a', ['b']),
    ('a / b', {'a': (3, 4), 'b': (3, 4)}, 'b', ['b', 'a']),
    ('c.index_add(1, tg.tensor([0, 2]), b, alpha=2)', {'c': (3, 4), 'b': (3, 2)}, 'cb', ['(2,):int64', 'b']),
    ('c.index_add(1, tg.tensor([0, 2]), b, alpha=2)', {'c': (3, 4), 'b': (3, 2)}, 'c', []),
    ('c.index_add(1, tg.tensor([0, 2]), b, alpha=2)', {'c': (3, 4), 'b': (3, 2)}, 'b', ['(2,):int64', 'b']),
    ('a.gather(1, tg.tensor([[0, 1], [1, 1], [0, 0]]))', {'a': (3, 4)}, 'a', ['(3, 2):int64', 'a']),
    ('a.masked_select(tg.tensor([[True, False, True, True]]))', {'a': (3, 4)}, 'a', ['(1, 4):bool', 'a']),
]


@pytest.mark.parametrize("expr,shapes,needs,expected", _PACK_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in _PACK_CASES])
def test_saved_tensor_hooks_pack_what_pytorch_packs(expr, shapes, needs, expected):
    assert _packed(expr, shapes, needs) == expected


def test_division_by_a_number_or_rounded_packs_as_pytorch():
    """``a / 2.0`` packs nothing, a rounded division by a tensor its divisor (PyTorch 2.13)."""
    a = tg.rand(3, 4, dtype=tg.float64, requires_grad=True)
    seq = []
    with tg.autograd.graph.saved_tensors_hooks(lambda t: seq.append(tuple(t.shape)) or t, lambda t: t):
        y = a / 2.0
        z = tg.div(a, tg.rand(3, 4, dtype=tg.float64) + 1, rounding_mode="floor")
    assert seq == [(3, 4)] and y.grad_fn.name() == "DivBackward0" and z.grad_fn.name() == "DivBackward2"
    (y.sum() + z.sum()).backward()
    assert a.grad.tolist() == [[0.5] * 4] * 3


@pytest.mark.parametrize("expr", ["a.mm(b)", "a @ b", "tg.addmm(c, a, b)", "a / b"])
def test_operand_not_kept_may_change_in_place(expr):
    """Only ``a`` needs a gradient, which does not read ``a``: the node does not keep it, so it may
    be changed in place before backward, as in PyTorch (which raises nothing there either)."""
    rng = np.random.RandomState(2)
    a0, b0, c0 = rng.rand(3, 3) + 0.5, rng.rand(3, 3) + 0.5, rng.rand(3, 3)
    leaf = tg.tensor(a0, requires_grad=True)
    a = leaf.clone()
    y = eval(expr, {"tg": tg, "a": a, "b": tg.tensor(b0), "c": tg.tensor(c0)})
    g_expected = tg.autograd.grad(y.sum(), leaf, retain_graph=True)[0].numpy().copy()
    a.mul_(2)  # a is not kept: no error at backward
    g, = tg.autograd.grad(y.sum(), leaf)
    np.testing.assert_allclose(g.numpy(), g_expected)


def test_gather_keeps_its_input():
    """PyTorch's GatherBackward0 keeps the input: changing it in place before backward raises."""
    leaf = tg.rand(3, 4, requires_grad=True)
    a = leaf.clone()
    y = a.gather(1, tg.tensor([[0], [1], [2]]))
    assert tuple(y.grad_fn._saved_self.shape) == (3, 4)
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---------------------------------------------------------------- double-backward graphs
_A = np.random.RandomState(0).rand(3, 4) + 0.5
_B = np.random.RandomState(1).rand(3, 4) + 0.5
_C = np.random.RandomState(2).rand(4, 4)

# (case, expression, PyTorch's graph of d(y.sum())/da under create_graph, PyTorch's sum of
# d(sum(g**2))/da): dist/renorm as PyTorch's norm_backward/renorm_backward op for op, an mm with a
# column-major factor (x.t()) builds that factor's gradient column-major (mm_mat1/2_backward)
_SECOND_CASES = [
    ('dist_p3', 'tg.dist(a, b, 3)',
     'MulBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[SubBackward0,PowBackward0] MaskedFillBackward0[DivBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] PowBackward0[AbsBackward0] DivBackward0[None,PowBackward0] AccumulateGrad[] AccumulateGrad[] AbsBackward0[SubBackward0] PowBackward0[DistBackward0] DistBackward0[AccumulateGrad,AccumulateGrad]',
     -0.10365500208030215),
    ('dist_p1_5', 'tg.dist(a, b, 1.5)',
     'MulBackward0[MulBackward0,MaskedFillBackward0] MulBackward0[SgnBackward0,PowBackward0] MaskedFillBackward0[DivBackward0] SgnBackward0[SubBackward0] PowBackward0[AbsBackward0] DivBackward0[None,PowBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] AbsBackward0[SubBackward0] PowBackward0[DistBackward0] AccumulateGrad[] AccumulateGrad[] DistBackward0[AccumulateGrad,AccumulateGrad]',
     -0.6370263451956519),
    ('dist_p0_5', 'tg.dist(a, b, 0.5)',
     'MulBackward0[MulBackward0,PowBackward0] MulBackward0[MulBackward0,None] PowBackward0[DistBackward0] MulBackward0[SgnBackward0,MaskedFillBackward0] DistBackward0[AccumulateGrad,AccumulateGrad] SgnBackward0[SubBackward0] MaskedFillBackward0[PowBackward0] AccumulateGrad[] AccumulateGrad[] SubBackward0[AccumulateGrad,AccumulateGrad] PowBackward0[AbsBackward0] AbsBackward0[SubBackward0]',
     1530540.1481445127),
    ('dist_inf', "tg.dist(a, b, float('inf'))",
     'MulBackward0[SgnBackward0,None] SgnBackward0[SubBackward0] SubBackward0[AccumulateGrad,AccumulateGrad] AccumulateGrad[] AccumulateGrad[]',
     0.0),
    ('renorm_p2', 'a.renorm(2, 0, 1.0) * a',
     'AddBackward0[MulBackward0,WhereBackward0] MulBackward0[None,RenormBackward0] WhereBackward0[MulBackward0,MulBackward0] RenormBackward0[AccumulateGrad] MulBackward0[MulBackward1,SubBackward0] MulBackward0[None,AccumulateGrad] AccumulateGrad[] MulBackward1[ReciprocalBackward0] SubBackward0[MulBackward0,MulBackward0] ReciprocalBackward0[AddBackward1] MulBackward0[ReciprocalBackward0,MulBackward0] AddBackward1[LinalgVectorNormBackward0] MulBackward0[SumBackward1,MaskedFillBackward0] LinalgVectorNormBackward0[AccumulateGrad] SumBackward1[MulBackward0] MaskedFillBackward0[DivBackward0] MulBackward0[AccumulateGrad,MulBackward0] DivBackward0[AccumulateGrad,LinalgVectorNormBackward0]',
     2.048689781470219e-14),
    ('renorm_p3', 'a.renorm(3, 1, 0.5) * a',
     'AddBackward0[MulBackward0,WhereBackward0] MulBackward0[None,RenormBackward0] WhereBackward0[MulBackward0,MulBackward0] RenormBackward0[AccumulateGrad] MulBackward0[MulBackward1,SubBackward0] MulBackward0[None,AccumulateGrad] AccumulateGrad[] MulBackward1[ReciprocalBackward0] SubBackward0[MulBackward0,MulBackward0] ReciprocalBackward0[AddBackward1] MulBackward0[ReciprocalBackward0,MulBackward0] AddBackward1[LinalgVectorNormBackward0] MulBackward0[MulBackward0,MaskedFillBackward0] LinalgVectorNormBackward0[AccumulateGrad] MulBackward0[AccumulateGrad,PowBackward0] MaskedFillBackward0[DivBackward0] PowBackward0[AbsBackward0] DivBackward0[SumBackward1,PowBackward0] AbsBackward0[AccumulateGrad] SumBackward1[MulBackward0] PowBackward0[LinalgVectorNormBackward0] MulBackward0[AccumulateGrad,MulBackward0]',
     0.010634193228038092),
    ('renorm_p1', 'a.renorm(1, 0, 1.0) * a',
     'AddBackward0[MulBackward0,WhereBackward0] MulBackward0[None,RenormBackward0] WhereBackward0[MulBackward0,MulBackward0] RenormBackward0[AccumulateGrad] MulBackward0[MulBackward1,SubBackward0] MulBackward0[None,AccumulateGrad] AccumulateGrad[] MulBackward1[ReciprocalBackward0] SubBackward0[MulBackward0,MulBackward0] ReciprocalBackward0[AddBackward1] MulBackward0[ReciprocalBackward0,MulBackward0] AddBackward1[LinalgVectorNormBackward0] MulBackward0[SgnBackward0,SumBackward1] LinalgVectorNormBackward0[AccumulateGrad] SgnBackward0[AccumulateGrad] SumBackward1[MulBackward0] MulBackward0[AccumulateGrad,MulBackward0]',
     -0.06468592123863204),
    ('t_mm', '(a.t() @ a) ** 2',
     'AddBackward0[MmBackward0,TBackward0] MmBackward0[TBackward0,MulBackward0] TBackward0[TBackward0] TBackward0[TBackward0] MulBackward0[None,MulBackward1] TBackward0[MmBackward0] TBackward0[AccumulateGrad] MulBackward1[PowBackward0] MmBackward0[AccumulateGrad,TBackward0] AccumulateGrad[] PowBackward0[MmBackward0] TBackward0[MulBackward0] MmBackward0[TBackward0,AccumulateGrad]',
     297425.4711167768),
    ('mm_t', '(a @ a.t()) ** 2',
     'AddBackward0[MmBackward0,TBackward0] MmBackward0[MulBackward0,TBackward0] TBackward0[TBackward0] MulBackward0[None,MulBackward1] TBackward0[TBackward0] TBackward0[MmBackward0] MulBackward1[PowBackward0] TBackward0[AccumulateGrad] MmBackward0[TBackward0,AccumulateGrad] PowBackward0[MmBackward0] AccumulateGrad[] TBackward0[MulBackward0] MmBackward0[AccumulateGrad,TBackward0]',
     297425.4711167768),
    ('addmm_t', 'tg.addmm(c, a.t(), a) ** 2',
     'AddBackward0[MmBackward0,TBackward0] MmBackward0[TBackward0,MulBackward0] TBackward0[TBackward0] TBackward0[TBackward0] MulBackward0[None,MulBackward1] TBackward0[MmBackward0] TBackward0[AccumulateGrad] MulBackward1[PowBackward0] MmBackward0[AccumulateGrad,TBackward0] AccumulateGrad[] PowBackward0[AddmmBackward0] TBackward0[MulBackward0] AddmmBackward0[AccumulateGrad,TBackward0,AccumulateGrad] AccumulateGrad[]',
     340236.10349168413),
]


@pytest.mark.parametrize("name,expr,graph,second", _SECOND_CASES, ids=[c[0] for c in _SECOND_CASES])
def test_double_backward_graphs(name, expr, graph, second):
    a = tg.tensor(_A, requires_grad=True)
    b = tg.tensor(_B, requires_grad=True)
    c = tg.tensor(_C, requires_grad=True)
    y = eval(expr, {"tg": tg, "a": a, "b": b, "c": c})
    g, = tg.autograd.grad(y.sum(), a, create_graph=True)
    assert _walk(g.grad_fn) == graph
    gg, = tg.autograd.grad((g ** 2).sum(), a)
    assert float(gg.sum()) == pytest.approx(second, rel=1e-9, abs=1e-12)


def test_dist_and_renorm_gradients_at_zero_are_pytorchs():
    """A zero distance (p = 3): first and second derivatives 0, as PyTorch 2.13 (the masked
    ``g / norm**2`` passes no gradient back); a zero slice of renorm gets a zero gradient."""
    a = tg.tensor(_A, requires_grad=True)
    b = tg.tensor(_A.copy(), requires_grad=True)
    g, = tg.autograd.grad(tg.dist(a, b, 3), a, create_graph=True)
    assert g.detach().abs().sum().item() == 0
    gg, = tg.autograd.grad((g ** 2).sum(), a)
    assert gg.tolist() == [[0.0] * 4] * 3
    x = tg.tensor(np.vstack([_A[:1], np.zeros((1, 4)), _A[2:]]), requires_grad=True)
    g, = tg.autograd.grad((x.renorm(3, 0, 0.5) * x).sum(), x)
    assert g[1].tolist() == [0.0] * 4 and np.isfinite(g.numpy()).all()
