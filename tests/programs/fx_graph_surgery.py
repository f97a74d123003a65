# needs: nn
# A typical torch.fx workflow: trace a model, look at its graph, swap every ReLU for a GELU by
# editing the graph, regenerate the code, check the numbers, and run the graph node by node.
import operator

import tensorgraft
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx
from tensorgraft.fx.passes.shape_prop import ShapeProp, TensorMetadata

tensorgraft.manual_seed(0)


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1 = nn.Linear(dim, dim)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.fc2(self.act(self.fc1(x)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.block = Block(16)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        x = tensorgraft.flatten(x, 1).view(x.size(0), 4, 16).mean(dim=1)
        x = self.block(torch_cat_twice(x)[:, :16])
        return self.head(x).softmax(dim=-1)


def torch_cat_twice(x):
    return tensorgraft.cat([x, x], dim=1)


model = Net().eval()
gm = fx.symbolic_trace(model)
print(gm.graph)
print(gm.code)
print([n.op for n in gm.graph.nodes].count("call_module"), "module calls")

# graph surgery: every ReLU (module or function) becomes a call of one shared nn.GELU submodule
gm.add_submodule("gelu", nn.GELU())
for node in list(gm.graph.nodes):
    is_relu_module = node.op == "call_module" and isinstance(gm.get_submodule(node.target), nn.ReLU)
    is_relu_function = node.op == "call_function" and node.target in (F.relu, tensorgraft.relu)
    if is_relu_module or is_relu_function:
        with gm.graph.inserting_after(node):
            new = gm.graph.call_module("gelu", (node.args[0],))
        node.replace_all_uses_with(new)
        gm.graph.erase_node(node)
# and x + y becomes torch.add(x, y, alpha=1.0)
for node in gm.graph.nodes:
    if node.op == "call_function" and node.target is operator.add:
        node.target = tensorgraft.add
        node.kwargs = {"alpha": 1.0}
gm.graph.lint()
gm.delete_all_unused_submodules()
gm.recompile()
print(gm)

x = tensorgraft.randn(2, 1, 8, 8)


def reference(m, x):  # Net.forward written out with GELU where it had ReLU
    x = m.pool(F.gelu(m.bn(m.conv(x))))
    x = tensorgraft.flatten(x, 1).view(x.size(0), 4, 16).mean(dim=1)
    x = tensorgraft.cat([x, x], dim=1)[:, :16]
    x = x + m.block.fc2(F.gelu(m.block.fc1(x)))
    return m.head(x).softmax(dim=-1)


with tensorgraft.no_grad():
    print(tensorgraft.allclose(gm(x), reference(model, x)), gm(x))


class CountingInterpreter(fx.Interpreter):
    def __init__(self, module):
        super().__init__(module)
        self.counts = {}

    def run_node(self, n):
        self.counts[n.op] = self.counts.get(n.op, 0) + 1
        return super().run_node(n)


interp = CountingInterpreter(gm)
with tensorgraft.no_grad():
    out = interp.run(x)
print(interp.counts, tensorgraft.equal(out, gm(x)))

ShapeProp(gm).propagate(x)
for node in gm.graph.nodes:
    meta = node.meta.get("tensor_meta")
    if isinstance(meta, TensorMetadata):
        print(f"{node.name:10} {str(meta.dtype):15} {list(meta.shape)}")

dead = gm.graph.eliminate_dead_code()
print("dead code removed:", dead, len(gm.graph.nodes), "nodes")
