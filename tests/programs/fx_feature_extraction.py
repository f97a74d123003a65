# needs: nn
# A torchvision-style feature extractor written by hand with torch.fx: trace a small ResNet, pick
# intermediate nodes by their module path, make them the graph's outputs, prune what is no longer
# needed and run the result. Also: a custom Tracer that keeps BasicBlocks as leaves, and
# gradients flowing from the extracted features to the shared parameters.
import tensorgraft
import tensorgraft.nn as nn
from tensorgraft import fx

tensorgraft.manual_seed(0)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, num_classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.layer1 = nn.Sequential(BasicBlock(8, 8), BasicBlock(8, 8))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, stride=2), BasicBlock(16, 16))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.avgpool(x)
        x = tensorgraft.flatten(x, 1)
        return self.fc(x)


model = TinyResNet()
# give the batch norms some non-trivial statistics, then switch to eval
with tensorgraft.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
model.eval()

gm = fx.symbolic_trace(model)
print("nodes:", len(gm.graph.nodes))
print([n.name for n in gm.graph.nodes][:12])
print(sorted({n.op for n in gm.graph.nodes}))
names = [n.target for n in gm.graph.nodes if n.op == "call_module"]
print(names[:8])
print(names[-5:])


def create_feature_extractor(model, return_nodes, tracer_class=fx.Tracer):
    """return_nodes maps a module path (as in named_modules) or node name to an output key."""
    tracer = tracer_class()
    graph = tracer.trace(model)
    name = model.__class__.__name__
    gm = fx.GraphModule(tracer.root, graph, name)
    by_target = {}
    for node in gm.graph.nodes:
        key = node.target if node.op == "call_module" else node.name
        by_target[key] = node  # the last call of a module wins, as in torchvision
    missing = [k for k in return_nodes if k not in by_target]
    if missing:
        raise ValueError(f"node(s) {missing} not found; available: {list(by_target)[:5]}...")
    output = next(n for n in gm.graph.nodes if n.op == "output")
    output.args = ({new: by_target[old] for old, new in return_nodes.items()},)
    gm.graph.eliminate_dead_code()
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    return gm


extractor = create_feature_extractor(model, {"layer1.1.relu": "feat1", "layer2.1.relu": "feat2",
                                             "avgpool": "pooled"})
print(extractor.code)
print("fc" in dict(extractor.named_modules()), "layer2" in dict(extractor.named_children()))

x = tensorgraft.randn(2, 3, 16, 16)
with tensorgraft.no_grad():
    feats = extractor(x)
    logits = model(x)
for k, v in feats.items():
    print(k, tuple(v.shape), f"{v.mean().item():.4f}", f"{v.std().item():.4f}")
with tensorgraft.no_grad():
    recomputed = model.fc(tensorgraft.flatten(feats["pooled"], 1))
print("pooled -> fc matches logits:", tensorgraft.allclose(recomputed, logits, atol=1e-6))
print(logits)


# keep whole residual blocks as single nodes, as torchvision's leaf_modules option does
class LeafBlockTracer(fx.Tracer):
    def is_leaf_module(self, m, module_qualified_name):
        return isinstance(m, BasicBlock) or super().is_leaf_module(m, module_qualified_name)


coarse = create_feature_extractor(model, {"layer1.0": "b0", "layer1.1": "b1", "layer2.1": "b3"},
                                  tracer_class=LeafBlockTracer)
print(coarse.graph)
with tensorgraft.no_grad():
    out = coarse(x)
print({k: tuple(v.shape) for k, v in out.items()})
print("same as fine-grained:", tensorgraft.equal(out["b1"], feats["feat1"]), tensorgraft.equal(out["b3"], feats["feat2"]))

# features with gradients: a loss on an intermediate map backpropagates to the stem's weights
model.zero_grad()
feats = extractor(x)
loss = feats["feat1"].pow(2).mean() + feats["pooled"].sum()
loss.backward()
print(f"loss {loss.item():.4f}")
print(f"stem grad {extractor.conv1.weight.grad.abs().sum().item():.4f}",
      extractor.conv1.weight.grad is model.conv1.weight.grad)
print("shared parameters:", extractor.conv1.weight is model.conv1.weight)
