# needs: nn
# The torch.fx "Conv/BN fusion" tutorial pattern: in eval mode fold each BatchNorm2d into the
# Conv2d before it by walking the graph, then check the fused model computes the same thing.
# Also a Transformer that swaps every relu (function, method or module) for gelu.
import copy

import tensorgraft
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx

tensorgraft.manual_seed(0)


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
        )
        self.conv3 = nn.Conv2d(8, 16, 3, stride=2)
        self.bn3 = nn.BatchNorm2d(16)
        self.conv4 = nn.Conv2d(16, 16, 1)  # used twice below: must not be fused
        self.bn4 = nn.BatchNorm2d(16)
        self.head = nn.Linear(16, 4)

    def forward(self, x):
        x = self.features(x)
        x = F.relu(self.bn3(self.conv3(x)))
        y = self.conv4(x)
        x = self.bn4(y) + y.relu()
        x = x.mean(dim=(2, 3))
        return self.head(torch_relu(x - 0.1))


def torch_relu(x):
    return tensorgraft.relu(x)


def _parent_name(target):
    *parent, name = target.rsplit(".", 1)
    return parent[0] if parent else "", name


def replace_node_module(node, modules, new_module):
    assert isinstance(node.target, str)
    parent_name, name = _parent_name(node.target)
    modules[node.target] = new_module
    setattr(modules[parent_name], name, new_module)


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    if conv_b is None:
        conv_b = tensorgraft.zeros_like(bn_rm)
    bn_var_rsqrt = tensorgraft.rsqrt(bn_rv + bn_eps)
    conv_w = conv_w * (bn_w * bn_var_rsqrt).reshape([-1] + [1] * (len(conv_w.shape) - 1))
    conv_b = (conv_b - bn_rm) * bn_var_rsqrt * bn_w + bn_b
    return nn.Parameter(conv_w), nn.Parameter(conv_b)


def fuse_conv_bn_eval(conv, bn):
    assert not (conv.training or bn.training), "Fusion only for eval!"
    fused_conv = copy.deepcopy(conv)
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused_conv


def matches_module_pattern(pattern, node, modules):
    if len(node.args) == 0:
        return False
    nodes = (node.args[0], node)
    for expected_type, current_node in zip(pattern, nodes):
        if not isinstance(current_node, fx.Node) or current_node.op != "call_module":
            return False
        if not isinstance(current_node.target, str) or current_node.target not in modules:
            return False
        if type(modules[current_node.target]) is not expected_type:
            return False
    return True


def fuse(model, inplace=False):
    patterns = [(nn.Conv2d, nn.BatchNorm2d)]
    if not inplace:
        model = copy.deepcopy(model)
    fx_model = fx.symbolic_trace(model)
    modules = dict(fx_model.named_modules())
    new_graph = copy.deepcopy(fx_model.graph)
    fused = []
    for pattern in patterns:
        for node in new_graph.nodes:
            if matches_module_pattern(pattern, node, modules):
                if len(node.args[0].users) > 1:  # output of conv is used by other nodes
                    continue
                conv = modules[node.args[0].target]
                bn = modules[node.target]
                fused_conv = fuse_conv_bn_eval(conv, bn)
                replace_node_module(node.args[0], modules, fused_conv)
                node.replace_all_uses_with(node.args[0])
                fused.append(node.args[0].target)
                new_graph.erase_node(node)
    return fx.GraphModule(fx_model, new_graph), fused


model = ConvNet()
with tensorgraft.no_grad():
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_(0, 0.3)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.normal_(1.0, 0.2)
            m.bias.normal_(0.0, 0.1)
model.eval()

fused_model, fused = fuse(model)
print("fused:", len(fused))
print(fused_model.code)
print(sum(isinstance(m, nn.BatchNorm2d) for m in fused_model.modules()), "batch norms left")
print(sorted(name for name, _ in fused_model.named_children()))

x = tensorgraft.randn(4, 3, 12, 12)
with tensorgraft.no_grad():
    ref, out = model(x), fused_model(x)
print(out)
print("max abs diff < 1e-5:", (ref - out).abs().max().item() < 1e-5)
print("allclose:", tensorgraft.allclose(ref, out, atol=1e-5))
print("original untouched:", isinstance(model.features[1], nn.BatchNorm2d), model.features[0].bias is not None)
conv = getattr(fused_model.features, "3")  # a GraphModule copies the used submodules as plain Modules
print("conv bias created:", conv.bias is not None, tuple(conv.bias.shape), type(fused_model.features).__name__)


# a Transformer: rewrite relu calls (torch.relu, F.relu, Tensor.relu and nn.ReLU) into gelu
class ReluToGelu(fx.Transformer):
    def call_function(self, target, args, kwargs):
        if target in (tensorgraft.relu, F.relu):
            return super().call_function(F.gelu, args, {})
        return super().call_function(target, args, kwargs)

    def call_method(self, target, args, kwargs):
        if target == "relu":
            return super().call_function(F.gelu, args, {})
        return super().call_method(target, args, kwargs)

    def call_module(self, target, args, kwargs):
        if isinstance(self.submodules[target], nn.ReLU):
            return super().call_function(F.gelu, args, {})
        return super().call_module(target, args, kwargs)


gelu_model = ReluToGelu(fused_model).transform()
targets = [n.target for n in gelu_model.graph.nodes if n.op == "call_function"]
print([getattr(t, "__name__", str(t)) for t in targets])
print(gelu_model.code)


def gelu_reference(m, x):
    f = m.features
    x = F.gelu(f[4](f[3](F.gelu(f[1](f[0](x))))))
    x = F.gelu(m.bn3(m.conv3(x)))
    y = m.conv4(x)
    x = (m.bn4(y) + F.gelu(y)).mean(dim=(2, 3))
    return m.head(F.gelu(x - 0.1))


with tensorgraft.no_grad():
    g = gelu_model(x)
print(g)
print("gelu model matches:", tensorgraft.allclose(g, gelu_reference(model, x), atol=1e-5))
