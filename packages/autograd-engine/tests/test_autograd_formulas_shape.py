"""gradcheck / gradgradcheck (float64) of the shape-op formulas."""
import pytest

import tensorgraft as tg
from tensorgraft.autograd import gradcheck, gradgradcheck


def _x(*shape, seed=0):
    tg.manual_seed(seed)
    return tg.randn(*shape, dtype=tg.float64, requires_grad=True)


CASES = [
    ("view", lambda x: x.view(6, 2)),
    ("reshape_copy", lambda x: x.transpose(0, 1).reshape(-1)),
    ("flatten", lambda x: x.flatten(1)),
    ("unflatten", lambda x: x.unflatten(2, (2, 1))),
    ("squeeze", lambda x: x[:, :1].squeeze(1)),
    ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("permute", lambda x: x.permute(2, 0, 1)),
    ("transpose", lambda x: x.transpose(0, 2)),
    ("movedim", lambda x: x.movedim(0, -1)),
    ("mT", lambda x: x.mT),
    ("expand", lambda x: x[:, :1].expand(3, 2, 2) * 1.5),
    ("repeat", lambda x: x.repeat(2, 1, 3)),
    ("tile", lambda x: x.tile((2,))),
    ("cat", lambda x: tg.cat([x, x * 2, x[:1]], 0)),
    ("stack", lambda x: tg.stack([x, x.flip(0)], 1)),
    ("hstack", lambda x: tg.hstack([x, x])),
    ("split", lambda x: x.split([1, 1], 1)[1] * 3),
    ("chunk", lambda x: x.chunk(3)[2]),
    ("unbind", lambda x: x.unbind(2)[0]),
    ("flip", lambda x: x.flip(0, 1)),
    ("roll", lambda x: x.roll((1, 1), (0, 2))),
    ("rot90", lambda x: x.rot90(1, (0, 2))),
    ("narrow", lambda x: x.narrow(0, 1, 2)),
    ("select", lambda x: x.select(2, 1)),
    ("diagonal", lambda x: x.diagonal(0, 0, 2)),
    ("diag_embed", lambda x: x.diag_embed(1)),
    ("diag", lambda x: x[0].diag()),
    ("tril", lambda x: x.tril(-1)),
    ("triu", lambda x: x.triu()),
    ("clone", lambda x: x.clone()),
    ("contiguous", lambda x: x.mT.contiguous()),
    ("meshgrid", lambda x: tg.meshgrid(x[0, 0], x[1, 1], indexing="xy")[0]),
    ("broadcast_tensors", lambda x: tg.broadcast_tensors(x, x[0])[1]),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 2))),
]

DOUBLE = {"view", "reshape_copy", "permute", "expand", "repeat", "cat", "stack", "split", "unbind", "flip", "roll",
          "narrow", "select", "diagonal", "diag_embed", "tril", "rot90", "meshgrid"}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_gradcheck(case):
    name, fn = case
    x = _x(3, 2, 2)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("case", [c for c in CASES if c[0] in DOUBLE], ids=sorted(DOUBLE, key=[c[0] for c in CASES].index))
def test_gradgradcheck(case):
    name, fn = case
    x = _x(3, 2, 2)
    assert gradgradcheck(lambda t: fn(t) ** 2, (x,))


def test_gradcheck_detects_a_wrong_formula():
    """The check above can fail: a deliberately wrong backward is caught."""
    from tensorgraft.autograd import Function

    class BadFlip(Function):
        @staticmethod
        def forward(ctx, x):
            return x.flip(0)

        @staticmethod
        def backward(ctx, g):
            return g  # should be g.flip(0)

    x = _x(3, 2)
    with pytest.raises(RuntimeError):
        gradcheck(BadFlip.apply, (x,))
