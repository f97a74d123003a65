"""tensorgraft.func.rearrange: functorch's einops-style rearrange (shapes, values, ellipsis,
anonymous axes, stacking a sequence, gradients, vmap) and its error types and messages.
Expected shapes, values and messages were computed with PyTorch 2.13's torch.func.rearrange."""
from __future__ import annotations

import pytest

import tensorgraft as tg
from tensorgraft import func
from tensorgraft.func import rearrange

X = tg.arange(24.0).reshape(2, 3, 4)


def test_exported_like_pytorch():
    assert "rearrange" in func.__all__ and func.rearrange is rearrange


def test_the_docstring_examples_shapes():
    images = tg.randn((32, 30, 40, 3))
    assert rearrange(images, "b h w c -> b h w c").shape == (32, 30, 40, 3)
    assert rearrange(images, "b h w c -> (b h) w c").shape == (960, 40, 3)
    assert rearrange(images, "b h w c -> h (b w) c").shape == (30, 1280, 3)
    assert rearrange(images, "b h w c -> b c h w").shape == (32, 3, 30, 40)
    assert rearrange(images, "b h w c -> b (c h w)").shape == (32, 3600)
    assert rearrange(images, "b (h1 h) (w1 w) c -> (b h1 w1) h w c", h1=2, w1=2).shape == (128, 15, 20, 3)
    assert rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2).shape == (32, 15, 20, 12)


@pytest.mark.parametrize("pattern, lengths, shape, first", [
    # (PyTorch 2.13: the result's shape and its first 8 values in memory order)
    ("a b c -> c b a", {}, (4, 3, 2), [0.0, 12.0, 4.0, 16.0, 8.0, 20.0, 1.0, 13.0]),
    ("a b c -> (a b) c", {}, (6, 4), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("a b (c d) -> a (d b) c", {"c": 2}, (2, 6, 2), [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 1.0, 3.0]),
    ("... c -> c ...", {}, (4, 2, 3), [0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 1.0, 5.0]),
    ("a ... -> ... a", {}, (3, 4, 2), [0.0, 12.0, 1.0, 13.0, 2.0, 14.0, 3.0, 15.0]),
    ("a ... c -> (a c) ...", {}, (8, 3), [0.0, 4.0, 8.0, 1.0, 5.0, 9.0, 2.0, 6.0]),
    ("... -> ...", {}, (2, 3, 4), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("a b c -> 1 a 1 (b c) 1", {}, (1, 2, 1, 12, 1), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("a b c -> a b c ()", {}, (2, 3, 4, 1), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("a b (c 1) -> (1 a) b c", {}, (2, 3, 4), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("a (b c) d -> a b c d", {"b": 3, "c": 1}, (2, 3, 1, 4), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("... (c d) -> ... c d", {"c": 2}, (2, 3, 2, 2), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]),
    ("  a   b c ->  (c a)  b ", {}, (8, 3), [0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 1.0, 5.0]),
    ("a b c->c a b", {}, (4, 2, 3), [0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 1.0, 5.0]),
    # a ``1`` on the left binds the whole dim and sums it away (functorch's first-class dims do)
    ("1 b c -> b c", {}, (3, 4), [12.0, 14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0]),
])
def test_values_match_pytorch(pattern, lengths, shape, first):
    out = rearrange(X, pattern, **lengths)
    assert tuple(out.shape) == shape
    assert out.flatten()[:8].tolist() == first


def test_a_sequence_is_stacked_and_a_0d_tensor_is_returned_as_it_is():
    assert rearrange([X[0], X[1]], "n b c -> b (n c)").shape == (3, 8)
    assert rearrange((X[0], X[1]), "n b c -> b n c")[1].tolist() == [[4.0, 5.0, 6.0, 7.0], [16.0, 17.0, 18.0, 19.0]]
    s = tg.tensor(3.0)
    assert rearrange(s, " -> ").shape == () and rearrange(s, " -> 1 1").shape == ()
    assert rearrange(tg.zeros(0, 3), "a b -> b a").shape == (3, 0)
    assert rearrange(tg.zeros(0, 3), "(a b) c -> a b c", a=2).shape == (2, 0, 3)


def test_gradients_and_vmap():
    x = X.clone().requires_grad_()
    rearrange(x, "1 b c -> (c b)").pow(2).sum().backward()
    assert x.grad[1, 0].tolist() == [24.0, 28.0, 32.0, 36.0]
    out = tg.vmap(lambda t: rearrange(t, "a b -> (b a)"))(X)
    assert out[1].tolist() == [12.0, 16.0, 20.0, 13.0, 17.0, 21.0, 14.0, 18.0, 22.0, 15.0, 19.0, 23.0]


@pytest.mark.parametrize("pattern, lengths, error, message", [
    ("a b (c d) -> a (d b) c", {}, func._rearrange.DimensionBindError,
     "cannot infer the sizes of two dimensions at once d2 and d3"),
    ("a b (c d) -> a (d b) c", {"c": 3}, func._rearrange.DimensionBindError,
     "inferred dimension does not evenly fit into larger dimension: 4 vs (3, '?')"),
    ("a b (c d e) -> a b c d e", {"c": 3, "d": 5}, func._rearrange.DimensionBindError,
     "inferred dimension does not evenly fit into larger dimension: 4 vs (3, 5, '?')"),
    ("a b c -> a b c", {"a": 3}, func._rearrange.DimensionBindError,
     "Dimension sizes to do not match (2 != 3) when matching dimension pack (d0,)"),
    ("a b (c d) -> a b c d", {"c": 2, "d": 3}, func._rearrange.DimensionBindError,
     "Dimension sizes to do not match (4 != 6) when matching dimension pack (d2, d3)"),
    ("a (b c) d -> a b c d", {"b": 0}, ZeroDivisionError, "integer modulo by zero"),
    ("a b c -> a b", {}, ValueError, "Identifiers only on one side of rearrange expression (should be on both): {'c'}"),
    ("a b -> a b", {}, ValueError,
     "Number of dimensions in pattern (2) must be equal to the number of dimensions in the tensor (3)"),
    ("a 1 b c -> a b c", {}, ValueError,
     "Number of dimensions in pattern (4) must be equal to the number of dimensions in the tensor (3)"),
    ("a b c d ... -> a b c d ...", {}, ValueError,
     "Number of dimensions in pattern (4) must be less than or equal to the number of dimensions in the tensor (3)"),
    ("a b c -> a b c", {"z": 3}, ValueError, "Identifiers not found in rearrange expression: {'z'}"),
    ("a b c", {}, ValueError, "Pattern must contain a single '->' separator"),
    ("a b c -> a b c -> a", {}, ValueError, "Pattern must contain a single '->' separator"),
    ("a b 2 -> a b", {}, ValueError, "rearrange only supports unnamed axes of size 1"),
    ("a b c -> a b (c 2)", {}, ValueError, "rearrange only supports unnamed axes of size 1"),
    ("a a c -> a c", {}, ValueError, "Indexing expression contains duplicate dimension 'a'"),
    ("a b c. -> a b c", {}, ValueError, "Expression may contain dots only inside ellipsis (...)"),
    ("a b c -> a b c ...", {}, ValueError, "Ellipsis found in right side, but not left side of a pattern a b c -> a b c ..."),
    ("(a ...) -> a ...", {}, ValueError, "Ellipsis is parenthesis in the left side is not allowed: (a ...) -> a ..."),
    ("a (b (c)) -> a", {}, ValueError, "Axis composition is one-level (brackets inside brackets not allowed)"),
    ("a b) -> a b", {}, ValueError, "Brackets are not balanced"),
    ("a (b c -> a", {}, ValueError, "Imbalanced parentheses in expression: 'a (b c '"),
    ("a b _c -> a b _c", {}, ValueError,
     "Invalid axis identifier: _c\naxis name should should not start or end with underscore"),
    ("a b c -> a b c", {"a": 2.0}, TypeError, "rearrange axis lengths must be integers, got: <class 'float'>"),
    ("a b c! -> a", {}, ValueError, "Unknown character '!'"),
    ("a...b c -> a", {}, ValueError, "Invalid axis identifier: a\u2026b\nnot a valid python identifier"),
    ("a b c -> a b c", {"\u2026": 2}, ValueError, "'\u2026' is not an allowed axis identifier"),
])
def test_errors_match_pytorch(pattern, lengths, error, message):
    with pytest.raises(error) as info:
        rearrange(X, pattern, **lengths)
    if error is ZeroDivisionError:  # Python's own message (3.10 says "integer division or modulo by zero")
        assert str(info.value) in (message, "integer division or modulo by zero")
        return
    assert str(info.value) == message
