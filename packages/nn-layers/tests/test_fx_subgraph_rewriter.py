"""``fx.replace_pattern`` / ``subgraph_rewriter``: matching by structure, several non-overlapping
matches, matches whose inner values escape (left alone), literal matching. Expected strings:
PyTorch 2.13's output for the same code (run with ``torch`` in place of ``tensorgraft``)."""
import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft import fx
from tensorgraft.fx import subgraph_rewriter


class M(nn.Module):
    def forward(self, x, w1, w2):
        m1 = torch.cat([w1, w2]).sum()
        m2 = torch.cat([w1, w2]).sum()
        return x + torch.max(m1) + torch.max(m2)


def pattern(w1, w2):
    return torch.cat([w1, w2]).sum()


def replacement(w1, w2):
    return torch.stack([w1, w2])


class Fuse(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        y = torch.relu(self.lin(x)) * 2
        z = torch.relu(y + 1) * 2
        leak = torch.relu(z)
        return leak * 2, leak


def relu_double(a):
    return torch.relu(a) * 2


def sigmoid_triple(a):
    return torch.sigmoid(a) * 3


def literal_pattern(a):
    return a + 1


def literal_replacement(a):
    return a - 1


# ---- what PyTorch 2.13 prints for the same code (generated with torch, pasted here) ----
CAT_CODE = '\n\n\ndef forward(self, x, w1, w2):\n    stack = torch.stack([w1, w2])\n    max_1 = torch.max(stack);  stack = None\n    add = x + max_1;  x = max_1 = None\n    stack_1 = torch.stack([w1, w2]);  w1 = w2 = None\n    max_2 = torch.max(stack_1);  stack_1 = None\n    add_1 = add + max_2;  add = max_2 = None\n    return add_1\n    '
CAT_MATCHES = [('sum_1', [('cat', 'cat'), ('sum_1', 'sum_1'), ('w1', 'w1'), ('w2', 'w2')]), ('sum_1', [('cat', 'cat_1'), ('sum_1', 'sum_2'), ('w1', 'w1'), ('w2', 'w2')])]
FUSE_CODE = '\n\n\ndef forward(self, x):\n    lin = self.lin(x);  x = None\n    sigmoid = torch.sigmoid(lin);  lin = None\n    mul_3 = sigmoid * 3;  sigmoid = None\n    add = mul_3 + 1;  mul_3 = None\n    sigmoid_1 = torch.sigmoid(add);  add = None\n    mul_4 = sigmoid_1 * 3;  sigmoid_1 = None\n    relu_2 = torch.relu(mul_4);  mul_4 = None\n    mul_2 = relu_2 * 2\n    return (mul_2, relu_2)\n    '
FUSE_COUNT = 2
LITERAL_CODE = '\n\n\ndef forward(self, x):\n    lin = self.lin(x);  x = None\n    sigmoid = torch.sigmoid(lin);  lin = None\n    mul_3 = sigmoid * 3;  sigmoid = None\n    sub = mul_3 - 1;  mul_3 = None\n    sigmoid_1 = torch.sigmoid(sub);  sub = None\n    mul_4 = sigmoid_1 * 3;  sigmoid_1 = None\n    relu_2 = torch.relu(mul_4);  mul_4 = None\n    mul_2 = relu_2 * 2\n    return (mul_2, relu_2)\n    '
LITERAL_COUNT = 1


def test_docstring_example_cat_to_stack():
    gm = fx.symbolic_trace(M())
    matches = subgraph_rewriter.replace_pattern(gm, pattern, replacement)
    assert gm.code == CAT_CODE
    assert [(m.anchor.name, sorted((k.name, v.name) for k, v in m.nodes_map.items())) for m in matches] == CAT_MATCHES
    assert all(isinstance(m, subgraph_rewriter.Match) for m in matches)
    x, w1, w2 = torch.randn(2), torch.randn(2), torch.randn(2)
    assert torch.allclose(gm(x, w1, w2), x + torch.max(torch.stack([w1, w2])) * 2)


def test_escaping_values_and_literals():
    m = Fuse()
    gm = fx.symbolic_trace(m)
    assert len(fx.replace_pattern(gm, relu_double, sigmoid_triple)) == FUSE_COUNT
    assert gm.code == FUSE_CODE  # the last relu's value is also returned: that match is left alone
    x = torch.randn(2, 3)
    y = torch.sigmoid(torch.sigmoid(m.lin(x)) * 3 + 1) * 3
    assert torch.allclose(gm(x)[1], torch.relu(y))
    assert len(fx.replace_pattern(gm, literal_pattern, literal_replacement)) == LITERAL_COUNT
    assert gm.code == LITERAL_CODE
    assert fx.replace_pattern(gm, literal_pattern, literal_replacement) == []


def test_filters_and_dead_patterns():
    gm = fx.symbolic_trace(M())
    replaced = subgraph_rewriter.replace_pattern_with_filters(
        gm, pattern, replacement, match_filters=[lambda match, g, p: match.nodes_map[next(
            n for n in p.nodes if n.op == "call_method")].name == "sum_2"])
    assert len(replaced) == 1 and [n.name for n in replaced[0].replacements] == ["stack"]

    def dead(a):
        torch.relu(a)
        return a
    with pytest.raises(AssertionError, match="pattern with dead code"):
        fx.replace_pattern(gm, dead, dead)
