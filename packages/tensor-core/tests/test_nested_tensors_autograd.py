"""``tensorgraft.nested`` with the autograd engine (and, where marked, nn): gradients reach nested
leaves (whose ``.grad`` is nested) and the components of ``as_nested_tensor``; the transformer
pieces (linear, layer_norm, sdpa) on jagged tensors. Expected numbers are PyTorch 2.13's."""
from __future__ import annotations

import re
import warnings

import pytest

pytest.importorskip("tensorgraft.autograd")

import tensorgraft as tg  # noqa: E402


def _a():
    return tg.arange(6.).reshape(2, 3) / 5


def _b():
    return (tg.arange(9.).reshape(3, 3) - 4) / 5


def _W():
    return tg.arange(18.).reshape(2, 3, 3) / 7


def _leaf(layout):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return tg.nested.nested_tensor([_a(), _b()], layout=layout, requires_grad=True)


def flat(nt):
    return [v for c in nt.unbind() for v in c.reshape(-1).tolist()]


def approx(values):
    return pytest.approx(values, abs=2e-4)


BOTH = pytest.mark.parametrize("layout", [tg.strided, tg.jagged], ids=["strided", "jagged"])


@BOTH
def test_leaf_grad_is_nested(layout):
    x = _leaf(layout)
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert type((x * 2).grad_fn).__name__ == "MulBackward0" and type(x.relu().grad_fn).__name__ == "ReluBackward0"
    ((x * 2).relu().to_padded_tensor(0.) * _W()).sum().backward()
    g = x.grad
    assert g.is_nested and g.layout is layout and g is x.grad and not g.requires_grad
    assert [tuple(c.shape) for c in g.unbind()] == [(2, 3), (3, 3)]
    assert flat(g) == approx([0.0, 0.2857, 0.5714, 0.8571, 1.1429, 1.4286,
                              0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 4.2857, 4.5714, 4.8571])
    if layout is tg.jagged:
        assert g.offsets() is x.offsets() and g.shape[1] == x.shape[1]
    x.grad = None
    assert x.grad is None


@BOTH
def test_grads_through_components(layout):
    x = _leaf(layout)
    (x.unbind()[1] ** 2).sum().backward()
    assert flat(x.grad) == approx([0.0] * 6 + [-1.6, -1.2, -0.8, -0.4, 0.0, 0.4, 0.8, 1.2, 1.6])


def test_jagged_values_and_reductions_grads():
    x = _leaf(tg.jagged)
    assert type(x.values().grad_fn).__name__ == "AliasBackward0"
    (x.values() ** 2).sum().backward()
    assert flat(x.grad) == approx([0.0, 0.4, 0.8, 1.2, 1.6, 2.0, -1.6, -1.2, -0.8, -0.4, 0.0, 0.4, 0.8, 1.2, 1.6])
    x.grad = None
    x.sum(-1).values().sum().backward()
    assert flat(x.grad) == [1.0] * 15
    x.grad = None
    ((x.transpose(1, 2) * 3).to_padded_tensor(0.) * _W()).sum().backward()
    assert flat(x.grad) == approx([0.0, 1.2857, 2.5714, 0.4286, 1.7143, 3.0,
                                   3.8571, 5.1429, 6.4286, 4.2857, 5.5714, 6.8571, 4.7143, 6.0, 7.2857])


def test_softmax_over_the_ragged_dim_grad_is_per_component():
    # PyTorch 2.13's jagged backward here disagrees with its own dense computation; tensorgraft gives
    # the dense one: each component's softmax over its rows, as below
    x = _leaf(tg.jagged)
    (x.softmax(1).to_padded_tensor(0.) * _W()).sum().backward()
    assert flat(x.grad) == approx([-0.0981] * 3 + [0.0981] * 3 + [-0.0961] * 3 + [-0.048] * 3 + [0.1442] * 3)


def test_strided_matmul_grad():
    x = _leaf(tg.strided)
    tg.matmul(x, x.transpose(1, 2)).to_padded_tensor(0.).sum().backward()
    assert flat(x.grad) == approx([1.2, 2.0, 2.8, 1.2, 2.0, 2.8, -1.2, 0.0, 1.2, -1.2, 0.0, 1.2, -1.2, 0.0, 1.2])


@BOTH
def test_as_nested_tensor_keeps_history(layout):
    c1, c2 = _a().requires_grad_(), _b().requires_grad_()
    nt = tg.nested.as_nested_tensor([c1, c2], layout=layout)
    assert not nt.is_leaf and nt.requires_grad
    (nt.to_padded_tensor(0.) ** 2 * _W()).sum().backward()
    assert c1.grad.reshape(-1).tolist() == approx([0.0, 0.0571, 0.2286, 0.5143, 0.9143, 1.4286])
    assert c2.grad.reshape(-1).tolist() == approx([-2.0571, -1.7143, -1.2571, -0.6857, 0.0, 0.8, 1.7143, 2.7429, 3.8857])
    d = tg.arange(24.).reshape(2, 3, 4).requires_grad_()
    (tg.nested.as_nested_tensor(d, layout=layout).to_padded_tensor(0.) * 2).sum().backward()
    assert d.grad.reshape(-1).tolist() == [2.0] * 24
    # nested_tensor copies: no history
    assert not tg.nested.nested_tensor([c1, c2], layout=layout).requires_grad


def test_views_of_dense_tensors_pass_gradients_back():
    v = tg.arange(12.).reshape(6, 2).requires_grad_()
    nj = tg.nested.nested_tensor_from_jagged(v, tg.tensor([0, 2, 6]))
    assert not nj.is_leaf
    (nj.to_padded_tensor(0.) * tg.arange(16.).reshape(2, 4, 2)).sum().backward()
    assert v.grad.reshape(-1).tolist() == [0.0, 1.0, 2.0, 3.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]
    X = tg.arange(12.).reshape(3, 4).requires_grad_()
    narrowed = tg.nested.narrow(X, 1, 0, tg.tensor([1, 2, 3]), layout=tg.jagged)
    sum(c.sum() * (i + 1) for i, c in enumerate(narrowed.unbind())).backward()
    assert X.grad.tolist() == [[1.0, 0.0, 0.0, 0.0], [2.0, 2.0, 0.0, 0.0], [3.0, 3.0, 3.0, 0.0]]
    m = tg.arange(6.).reshape(2, 3).requires_grad_()
    ms = tg.nested.masked_select(m, tg.tensor([[True, False, True], [True, True, True]]))
    (ms.to_padded_tensor(0.) * tg.arange(6.).reshape(2, 3)).sum().backward()
    assert m.grad.tolist() == [[0.0, 0.0, 1.0], [3.0, 4.0, 5.0]]


def test_printing_with_autograd():
    s = _leaf(tg.strided)
    assert repr(s).endswith("], requires_grad=True)") and "[0.6000, 0.8000, 1.0000]], requires_grad=True)," in repr(s)
    assert repr(s.relu()).endswith("\n], grad_fn=<ReluBackward0>)")
    j = _leaf(tg.jagged)
    jn = repr(j.shape[1])
    assert repr(j) == f"NestedTensor(size=(2, {jn}, 3), offsets=tensor([0, 2, 5]), requires_grad=True, contiguous=True)"
    assert re.fullmatch(rf"NestedTensor\(size=\(2, {jn}, 3\), offsets=tensor\(\[0, 2, 5\]\), "
                        r"grad_fn=<ReluBackward0 object at 0x[0-9a-f]+>, contiguous=True\)", repr(j.relu()))


def test_autograd_errors():
    with pytest.raises(RuntimeError, match="^Only Tensors of floating point and complex dtype can require gradients$"):
        tg.nested.nested_tensor([tg.tensor([1])], requires_grad=True)
    with pytest.raises(RuntimeError, match="^only Tensors of floating point dtype can require gradients$"):
        tg.nested.nested_tensor([tg.tensor([1])], requires_grad=True, layout=tg.jagged)
    x = _leaf(tg.jagged)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place operation.$"):
        x.add_(1)
    with tg.no_grad():
        assert not (x * 2).requires_grad
    assert x.detach().requires_grad_().is_leaf


# --------------------------------------------------------------------------- nn
def _det(shape, scale):
    n = 1
    for d in shape:
        n *= d
    return (tg.arange(float(n)).reshape(shape) * scale).sin()


@BOTH
def test_nn_layers_on_nested(layout):
    nn = pytest.importorskip("tensorgraft.nn")
    lin, ln, drop = nn.Linear(3, 4), nn.LayerNorm(4), nn.Dropout(0.3)
    with tg.no_grad():
        lin.weight.copy_(tg.arange(12.).reshape(4, 3).sin())
        lin.bias.copy_(tg.arange(4.).cos())
    drop.eval()
    x = tg.nested.nested_tensor([_a(), _b()], layout=layout)
    assert flat(lin(x)) == approx([1.532, 0.0054, 0.111, -1.4988, 2.5825, -0.9394, 0.9312, -2.1779,
                                   0.1314, 1.2651, -0.9825, -0.5933, 1.1819, 0.3203, -0.1624, -1.2724,
                                   2.2323, -0.6245, 0.6578, -1.9516])
    out = drop(ln(lin(x)))
    assert out.is_nested and out.layout is layout
    assert flat(out)[:8] == approx([1.3937, -0.0299, 0.0686, -1.4325, 1.3711, -0.5733, 0.4594, -1.2571])
    (out.to_padded_tensor(0.) * tg.arange(24.).reshape(2, 3, 4)).sum().backward()
    assert lin.bias.grad is not None and ln.weight.grad is not None


def test_functional_linear_and_layer_norm_jagged():
    F = pytest.importorskip("tensorgraft.nn.functional")
    x = _leaf(tg.jagged)
    w = tg.arange(12.).reshape(4, 3).requires_grad_()
    (F.linear(x, w).values() * tg.arange(20.).reshape(5, 4)).sum().backward()
    assert flat(x.grad) == approx([42.0, 48.0, 54.0, 114.0, 136.0, 158.0, 186.0, 224.0, 262.0,
                                   258.0, 312.0, 366.0, 330.0, 400.0, 470.0])
    assert w.grad.reshape(-1).tolist() == approx([0.0, 8.0, 16.0, 0.0, 9.0, 18.0, 0.0, 10.0, 20.0, 0.0, 11.0, 22.0])
    x.grad = None
    (F.layer_norm(x, (3,)).values() * tg.arange(15.).reshape(5, 3)).sum().backward()
    assert flat(x.grad) == approx([-0.0023, 0.0, 0.0023] * 5)
    with pytest.raises(ValueError, match=re.escape("NestedTensor linear_default(input: jt, weight: t, bias: t?): expected "
                                                   "input to be a contiguous jagged layout NestedTensor")):
        F.linear(x.transpose(1, 2), tg.ones(2, 3))
    with pytest.raises(RuntimeError, match=re.escape("mat1 and mat2 shapes cannot be multiplied (5x3 and 4x2)")):
        F.linear(x, tg.ones(2, 4))
    s = _leaf(tg.strided)
    with pytest.raises(RuntimeError, match=re.escape("Shape mismatch for NestedTensor Linear: Expected input's (a "
                                                     "nested tensor) 'last_dim' to equal 'weight.size(1), but got: "
                                                     "last_dim = 3, and weight.size(1) = 4")):
        F.linear(s, tg.ones(2, 4))
    with pytest.raises(ValueError, match="^NestedTensor layer_norm requires weight and bias$"):
        F.layer_norm(s, (3,))
    assert F.dropout(x, 0.0).values().tolist() == x.values().tolist()


def test_multi_head_attention_with_jagged_tensors():
    """PyTorch's transformer tutorial with nested tensors: project, split heads, sdpa, merge."""
    F = pytest.importorskip("tensorgraft.nn.functional")
    E, H = 8, 2
    Wq, Wk, Wv, Wo = _det((E, E), 0.37), _det((E, E), 0.53), _det((E, E), 0.71), _det((E, E), 0.29)

    def mha(q, k, v, unflatten=True):
        q, k, v = F.linear(q, Wq), F.linear(k, Wk), F.linear(v, Wv)
        if unflatten:
            q, k, v = (t.unflatten(-1, [H, E // H]).transpose(1, 2) for t in (q, k, v))
        else:
            q, k, v = (t.view(t.size(0), -1, H, E // H).transpose(1, 2) for t in (q, k, v))
        o = F.scaled_dot_product_attention(q, k, v)
        return F.linear(o.transpose(1, 2).flatten(-2), Wo)

    x = tg.nested.nested_tensor([_det((3, E), 0.1), _det((5, E), 0.2)], layout=tg.jagged, requires_grad=True)
    out = mha(x, x, x)
    assert out.shape[1] == x.shape[1] and [tuple(c.shape) for c in out.unbind()] == [(3, 8), (5, 8)]
    first, last = out.unbind()[0][0].tolist(), out.unbind()[1][-1].tolist()
    assert first == approx([-0.5425, 2.406, -2.7347, 1.319, 0.9381, -2.5968, 2.5991, -0.9434])
    assert last == approx([-0.8648, 0.2819, 0.4808, -0.9368, 0.7952, -0.1464, -0.5958, 0.958])
    assert flat(mha(x, x, x, unflatten=False)) == approx(flat(out))
    kv = tg.nested.nested_tensor([_det((4, E), 0.3), _det((2, E), 0.4)], layout=tg.jagged)
    assert mha(x, kv, kv).unbind()[0][0].tolist() == approx([-4.0724, 3.4766, -0.663, -2.5734, 4.1683, -3.1043,
                                                             0.0601, 3.0225])
    out.to_padded_tensor(0.).pow(2).sum().backward()
    assert pytest.approx([-28.6495, -19.7867, -2.8437, 15.8706, 29.3352, 32.6862, 25.1095, 9.9687], abs=2e-3) == \
        x.grad.unbind()[0][0].tolist()
    q4 = x.unflatten(-1, [H, E // H]).transpose(1, 2)
    with pytest.raises(RuntimeError, match="^No viable backend for scaled_dot_product_attention was found.$"):
        F.scaled_dot_product_attention(x, x, x)
    with pytest.raises(RuntimeError, match="^No viable backend for scaled_dot_product_attention was found.$"):
        F.scaled_dot_product_attention(q4, q4, q4, is_causal=True)
    with pytest.raises(ValueError, match="^Masks are not yet supported!$"):
        F.scaled_dot_product_attention(q4, q4, q4, attn_mask=tg.ones(2, 2))
    with pytest.raises(ValueError, match=re.escape("Expected query, key, and value to be nested tensors, but got "
                                                   "query.is_nested: False, key.is_nested: True, and value.is_nested: "
                                                   "True instead.")):
        F.scaled_dot_product_attention(tg.ones(2, 2, 3, 4), q4, q4)


@BOTH
def test_backward_of_a_nested_tensor_and_grad_assignment(layout):
    x = _leaf(layout)
    y = x * 2
    with pytest.raises(RuntimeError, match="^grad can be implicitly created only for scalar outputs$"):
        y.backward()
    other = tg.nested.nested_tensor([_a(), _b()], layout=layout)
    if layout is tg.strided:
        y.backward(other)
        assert flat(x.grad) == approx([0.0, 0.4, 0.8, 1.2, 1.6, 2.0, -1.6, -1.2, -0.8, -0.4, 0.0, 0.4, 0.8, 1.2, 1.6])
        with pytest.raises(RuntimeError, match="^Internal error: NestedTensorImpl doesn't support sizes"):
            x.grad = other
    else:
        jy, jo = repr(y.shape[1]), repr(other.shape[1])
        with pytest.raises(RuntimeError) as info:
            y.backward(other)
        assert str(info.value) == (f"Mismatch in shape: grad_output[0] has a shape of torch.Size([2, {jo}, 3]) and "
                                   f"output[0] has a shape of torch.Size([2, {jy}, 3]).")
        y.backward(tg.ones_like(y))
        assert flat(x.grad) == [2.0] * 15
        with pytest.raises(RuntimeError) as info:
            x.grad = other
        assert str(info.value) == (f"attempting to assign a gradient of size '[2, {jo}, 3]' to a tensor of size "
                                   f"'[2, {jy}, 3]'. Please ensure that the gradient and the tensor are the same size")
        x.grad = tg.zeros_like(x)
        assert x.grad.is_nested and flat(x.grad) == [0.0] * 15
    x.grad = None


def test_hooks_and_retain_grad_see_nested_gradients():
    x = _leaf(tg.jagged)
    seen = []

    def hook(g):
        seen.append(g)
        return g * 2
    z = x * 3
    handle = z.register_hook(hook)
    z.to_padded_tensor(0.).sum().backward()
    assert seen[0].is_nested and seen[0].layout is tg.jagged and flat(x.grad) == [6.0] * 15
    handle.remove()
    w = x * 3
    w.retain_grad()
    x.grad = None
    w.to_padded_tensor(0.).sum().backward()
    assert w.grad.is_nested and flat(w.grad) == [1.0] * 15 and flat(x.grad) == [3.0] * 15


def test_layer_norm_and_linear_shape_errors():
    F = pytest.importorskip("tensorgraft.nn.functional")
    s = tg.nested.nested_tensor([_a(), _b()])
    for f, msg in [
        (lambda: F.layer_norm(s, (4,), tg.ones(4), tg.zeros(4)),
         "The shape at dimension 0of normalized_shape doesn't match the input"),
        (lambda: F.layer_norm(s, (3, 3), tg.ones(3, 3), tg.zeros(3, 3)),
         "normalized_shape extends into irregular dimensions for the nested tensor"),
        (lambda: F.linear(tg.nested.nested_tensor([tg.ones(2, 3), tg.ones(2, 14)]), tg.ones(2, 3)),
         "Expected all tensors in nested tensor to have the same trailing dimension, instead last dimension equals:   "
         "3\n 14\n[ torch.LongTensor{2} ]"),
        (lambda: F.layer_norm(tg.nested.nested_tensor([tg.ones(2), tg.ones(3)], layout=tg.jagged), (1,)),
         "layer_norm(): not supported for NestedTensor objects with 2 or fewer dimensions"),
        (lambda: F.linear(s.transpose(1, 2), tg.ones(2, 2)), "for now linear only supports contiguous nested tensor"),
    ]:
        with pytest.raises(RuntimeError) as info:
            f()
        assert str(info.value) == msg
    holes = tg.nested.narrow(tg.arange(12.).reshape(3, 4), 1, 0, tg.tensor([1, 2, 3]), layout=tg.jagged)
    with pytest.raises(ValueError, match=re.escape("NestedTensor native_dropout_default(self: jt, float: any, train: "
                                                   "any?): expected self to be a contiguous jagged layout NestedTensor")):
        F.dropout(holes, 0.5)
    with pytest.raises(ValueError, match="^NestedTensor native_dropout_default"):
        F.dropout(tg.nested.nested_tensor([_a(), _b()], layout=tg.jagged).transpose(1, 2), 0.5, training=False)


def test_embedding_of_nested_indices():
    F = pytest.importorskip("tensorgraft.nn.functional")
    ids = tg.nested.nested_tensor([tg.tensor([1, 2]), tg.tensor([0])], layout=tg.jagged)
    w = tg.arange(6.).reshape(3, 2).requires_grad_()
    out = F.embedding(ids, w)
    assert out.shape[1] == ids.shape[1] and [c.tolist() for c in out.unbind()] == [[[2.0, 3.0], [4.0, 5.0]], [[0.0, 1.0]]]
    out.to_padded_tensor(0.).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
    strided = F.embedding(tg.nested.nested_tensor([tg.tensor([1, 2]), tg.tensor([0])]), w)
    assert strided.layout is tg.strided and [c.tolist() for c in strided.unbind()][1] == [[0.0, 1.0]]
    holes = tg.nested.narrow(tg.arange(6).reshape(2, 3) % 3, 1, 0, tg.tensor([1, 2]), layout=tg.jagged)
    with pytest.raises(ValueError, match=re.escape("NestedTensor embedding_default(weight: t, indices: jt, padding_idx: "
                                                   "any?, scale_grad_by_freq: any?, sparse: any?): expected indices to "
                                                   "be a contiguous jagged layout NestedTensor")):
        F.embedding(holes, w)


def test_functional_keywords_and_missing_rules():
    F = pytest.importorskip("tensorgraft.nn.functional")
    j = tg.nested.nested_tensor([_a(), _b()], layout=tg.jagged)
    s = tg.nested.nested_tensor([_a(), _b()])
    for nt in (j, s):
        out = F.linear(input=nt, weight=tg.ones(2, 3), bias=tg.zeros(2))
        assert flat(out) == approx([0.6, 0.6, 2.4, 2.4, -1.8, -1.8, 0.0, 0.0, 1.8, 1.8])
    with pytest.raises(NotImplementedError, match=r"^aten\.constant_pad_nd\.default$"):
        F.pad(j, (0, 1))
    with pytest.raises(NotImplementedError, match=r"^aten\.norm\.ScalarOpt_dim$"):
        F.normalize(j, dim=-1)
    with pytest.raises(NotImplementedError, match=r"^Could not run 'aten::constant_pad_nd' with arguments from the "
                                                  r"'NestedTensorCPU' backend\."):
        F.pad(s, (0, 1))


def test_autograd_grad_of_a_nested_input_is_nested():
    x = tg.nested.nested_tensor([tg.ones(2, 3), tg.ones(1, 3)], layout=tg.jagged, requires_grad=True)
    (g,) = tg.autograd.grad((x * 2).values().sum(), x)
    assert g.is_nested and g.values().tolist() == [[2.0, 2.0, 2.0]] * 3
