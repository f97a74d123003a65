# needs: nn
# Tracing a hand-written transformer block with torch.fx, then the passes people write around it:
# ShapeProp to annotate every node with its shape and dtype, replace_pattern to swap a subgraph,
# fx.wrap for a function the tracer must not look into, concrete_args, and print_readable.
import math

import tensorgraft
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx
from tensorgraft.fx.passes.shape_prop import ShapeProp, TensorMetadata

tensorgraft.manual_seed(0)


@fx.wrap
def causal_mask(scores):
    T = scores.shape[-1]
    mask = tensorgraft.ones(T, T, dtype=tensorgraft.bool).tril()
    return scores.masked_fill(~mask, float("-inf"))


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        q = q.reshape(B, T, self.heads, C // self.heads).permute(0, 2, 1, 3)
        k = k.reshape(B, T, self.heads, C // self.heads).permute(0, 2, 1, 3)
        v = v.reshape(B, T, self.heads, C // self.heads).permute(0, 2, 1, 3)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = F.softmax(causal_mask(att), dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(y)


class Block(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.ln1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.ln2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, use_mlp=True):
        x = x + self.attn(self.ln1(x))
        if use_mlp:
            x = x + self.mlp(self.ln2(x))
        return x


block = Block().eval()
gm = fx.symbolic_trace(block, concrete_args={"use_mlp": True})
print(gm.graph)

x = tensorgraft.randn(2, 5, 16)
ShapeProp(gm).propagate(x)
for node in gm.graph.nodes:
    meta = node.meta.get("tensor_meta")
    if isinstance(meta, (tuple, list)) and all(isinstance(m, TensorMetadata) for m in meta):
        print(f"{node.name:16} {node.op:14} {[tuple(m.shape) for m in meta]}")
    elif not isinstance(meta, TensorMetadata):
        print(f"{node.name:16} {node.op:14} {type(meta).__name__}")
    else:
        print(f"{node.name:16} {node.op:14} {tuple(meta.shape)} {meta.dtype} {meta.requires_grad} {meta.stride}")

with tensorgraft.no_grad():
    print("traced == eager:", tensorgraft.allclose(gm(x), block(x)), tensorgraft.equal(gm(x), block(x)))

short = fx.symbolic_trace(block, concrete_args={"use_mlp": False})
print(len(short.graph.nodes), "nodes without the MLP,", len(gm.graph.nodes), "with")
with tensorgraft.no_grad():
    print(tensorgraft.allclose(short(x, False), block(x, use_mlp=False)))


# replace_pattern: fold "softmax(causal_mask(att))" into one fused helper the tracer keeps whole
def pattern(att):
    return F.softmax(causal_mask(att), dim=-1)


@fx.wrap
def masked_softmax(att):
    T = att.shape[-1]
    keep = tensorgraft.ones(T, T, dtype=tensorgraft.bool).tril()
    return att.masked_fill(~keep, float("-inf")).softmax(-1)


def replacement(att):
    return masked_softmax(att)


matches = fx.replace_pattern(gm, pattern, replacement)
print(len(matches), [n.name for n in matches[0].nodes_map if n.op != "placeholder"][:3])
print([n.name for n in gm.graph.nodes if n.op == "call_function"])
with tensorgraft.no_grad():
    print("after rewrite:", tensorgraft.allclose(gm(x), block(x), atol=1e-6))

print(gm.print_readable(print_output=False).count("\n") > 10)
code = gm.code
print("masked_softmax" in code, "causal_mask" in code)

# graph queries people use in passes
print([n.name for n in gm.graph.find_nodes(op="call_module", target="attn.qkv")])
adds = [n for n in gm.graph.nodes if n.op == "call_function" and n.target.__name__ == "add"]
print([a.name for a in adds], [[i.name for i in a.all_input_nodes] for a in adds])
ln1 = next(n for n in gm.graph.nodes if n.target == "ln1")
print(ln1.format_node(), list(ln1.users))
print(ln1.next.name, ln1.prev.name)
