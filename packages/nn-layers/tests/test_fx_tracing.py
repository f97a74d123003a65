"""Symbolic tracing (``tensorgraft.fx.symbolic_trace``): the graphs, generated code and printed
modules of realistic models and functions, compared with what PyTorch 2.13 prints (the expected
strings below were produced by running the same code with ``torch`` in place of ``tensorgraft``),
and the traced modules computing what the originals compute."""
import operator

import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2))
        self.flat = nn.Flatten()
        self.drop = nn.Dropout(0.25)
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (2, 2))
        return F.log_softmax(self.fc(self.drop(self.flat(x))), dim=1)


class CatView(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(6))
        self.register_buffer("shift", torch.zeros(6))

    def forward(self, x, y):
        z = torch.cat([x, y], dim=1) * self.scale + self.shift
        n = z.size(0)
        return z.view(n, 2, -1).sum(-1), z.shape[1], 2 - z, -z[:, 0], torch.relu(z) @ z.t()


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(4)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x
        return F.relu(out)


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.ModuleList([Residual(), Residual()])
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return self.head(x.mean(dim=(2, 3)))


def scaled(x, scale, flag):
    if flag:
        return x * scale
    return x / scale


def optional(x, bias=None):
    if bias is None:
        return torch.sigmoid(x)
    return torch.sigmoid(x + bias)


def functional_forms(x):
    return (F.softmax(x, dim=1), F.max_pool2d(x, 2), F.dropout(x, 0.1, training=False), torch.flatten(x, 1),
            torch.split(x, 1, dim=1), x.relu_(), F.leaky_relu(x, 0.2), torch.add(x, 1, alpha=2),
            operator.getitem(x, 0))


# ---- what PyTorch 2.13 prints for the same programs (generated with torch, pasted here) ----
MLP_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %fc1 : [num_users=1] = call_module[target=fc1](args = (%x,), kwargs = {})\n    %act : [num_users=1] = call_module[target=act](args = (%fc1,), kwargs = {})\n    %fc2 : [num_users=1] = call_module[target=fc2](args = (%act,), kwargs = {})\n    return fc2'
MLP_CODE = '\n\n\ndef forward(self, x):\n    fc1 = self.fc1(x);  x = None\n    act = self.act(fc1);  fc1 = None\n    fc2 = self.fc2(act);  act = None\n    return fc2\n    '
MLP_PRINT = 'MLP(\n  (fc1): Linear(in_features=4, out_features=8, bias=True)\n  (act): ReLU()\n  (fc2): Linear(in_features=8, out_features=2, bias=True)\n)\n\n\n\ndef forward(self, x):\n    fc1 = self.fc1(x);  x = None\n    act = self.act(fc1);  fc1 = None\n    fc2 = self.fc2(act);  act = None\n    return fc2\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
MLP_NODES = [('placeholder', 'x', 'x'), ('call_module', 'fc1', 'fc1'), ('call_module', 'act', 'act'), ('call_module', 'fc2', 'fc2'), ('output', 'output', 'output')]

CNN_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %features_0 : [num_users=1] = call_module[target=features.0](args = (%x,), kwargs = {})\n    %features_1 : [num_users=1] = call_module[target=features.1](args = (%features_0,), kwargs = {})\n    %features_2 : [num_users=1] = call_module[target=features.2](args = (%features_1,), kwargs = {})\n    %features_3 : [num_users=1] = call_module[target=features.3](args = (%features_2,), kwargs = {})\n    %adaptive_avg_pool2d : [num_users=1] = call_function[target=torch.nn.functional.adaptive_avg_pool2d](args = (%features_3, (2, 2)), kwargs = {})\n    %flat : [num_users=1] = call_module[target=flat](args = (%adaptive_avg_pool2d,), kwargs = {})\n    %drop : [num_users=1] = call_module[target=drop](args = (%flat,), kwargs = {})\n    %fc : [num_users=1] = call_module[target=fc](args = (%drop,), kwargs = {})\n    %log_softmax : [num_users=1] = call_function[target=torch.nn.functional.log_softmax](args = (%fc,), kwargs = {dim: 1, _stacklevel: 3, dtype: None})\n    return log_softmax'
CNN_CODE = '\n\n\ndef forward(self, x):\n    features_0 = getattr(self.features, "0")(x);  x = None\n    features_1 = getattr(self.features, "1")(features_0);  features_0 = None\n    features_2 = getattr(self.features, "2")(features_1);  features_1 = None\n    features_3 = getattr(self.features, "3")(features_2);  features_2 = None\n    adaptive_avg_pool2d = torch.nn.functional.adaptive_avg_pool2d(features_3, (2, 2));  features_3 = None\n    flat = self.flat(adaptive_avg_pool2d);  adaptive_avg_pool2d = None\n    drop = self.drop(flat);  flat = None\n    fc = self.fc(drop);  drop = None\n    log_softmax = torch.nn.functional.log_softmax(fc, dim = 1, _stacklevel = 3, dtype = None);  fc = None\n    return log_softmax\n    '
CNN_PRINT = 'CNN(\n  (features): Module(\n    (0): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n    (1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n    (2): ReLU()\n    (3): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n  )\n  (flat): Flatten(start_dim=1, end_dim=-1)\n  (drop): Dropout(p=0.25, inplace=False)\n  (fc): Linear(in_features=16, out_features=5, bias=True)\n)\n\n\n\ndef forward(self, x):\n    features_0 = getattr(self.features, "0")(x);  x = None\n    features_1 = getattr(self.features, "1")(features_0);  features_0 = None\n    features_2 = getattr(self.features, "2")(features_1);  features_1 = None\n    features_3 = getattr(self.features, "3")(features_2);  features_2 = None\n    adaptive_avg_pool2d = torch.nn.functional.adaptive_avg_pool2d(features_3, (2, 2));  features_3 = None\n    flat = self.flat(adaptive_avg_pool2d);  adaptive_avg_pool2d = None\n    drop = self.drop(flat);  flat = None\n    fc = self.fc(drop);  drop = None\n    log_softmax = torch.nn.functional.log_softmax(fc, dim = 1, _stacklevel = 3, dtype = None);  fc = None\n    return log_softmax\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
CNN_NODES = [('placeholder', 'x', 'x'), ('call_module', 'features_0', 'features.0'), ('call_module', 'features_1', 'features.1'), ('call_module', 'features_2', 'features.2'), ('call_module', 'features_3', 'features.3'), ('call_function', 'adaptive_avg_pool2d', 'adaptive_avg_pool2d'), ('call_module', 'flat', 'flat'), ('call_module', 'drop', 'drop'), ('call_module', 'fc', 'fc'), ('call_function', 'log_softmax', 'log_softmax'), ('output', 'output', 'output')]

CAT_VIEW_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %y : [num_users=1] = placeholder[target=y]\n    %cat : [num_users=1] = call_function[target=torch.cat](args = ([%x, %y],), kwargs = {dim: 1})\n    %scale : [num_users=1] = get_attr[target=scale]\n    %mul : [num_users=1] = call_function[target=operator.mul](args = (%cat, %scale), kwargs = {})\n    %shift : [num_users=1] = get_attr[target=shift]\n    %add : [num_users=7] = call_function[target=operator.add](args = (%mul, %shift), kwargs = {})\n    %size : [num_users=1] = call_method[target=size](args = (%add, 0), kwargs = {})\n    %view : [num_users=1] = call_method[target=view](args = (%add, %size, 2, -1), kwargs = {})\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%view, -1), kwargs = {})\n    %getattr_1 : [num_users=1] = call_function[target=builtins.getattr](args = (%add, shape), kwargs = {})\n    %getitem : [num_users=1] = call_function[target=operator.getitem](args = (%getattr_1, 1), kwargs = {})\n    %sub : [num_users=1] = call_function[target=operator.sub](args = (2, %add), kwargs = {})\n    %getitem_1 : [num_users=1] = call_function[target=operator.getitem](args = (%add, (slice(None, None, None), 0)), kwargs = {})\n    %neg : [num_users=1] = call_function[target=operator.neg](args = (%getitem_1,), kwargs = {})\n    %relu : [num_users=1] = call_function[target=torch.relu](args = (%add,), kwargs = {})\n    %t : [num_users=1] = call_method[target=t](args = (%add,), kwargs = {})\n    %matmul : [num_users=1] = call_function[target=operator.matmul](args = (%relu, %t), kwargs = {})\n    return (sum_1, getitem, sub, neg, matmul)'
CAT_VIEW_CODE = '\n\n\ndef forward(self, x, y):\n    cat = torch.cat([x, y], dim = 1);  x = y = None\n    scale = self.scale\n    mul = cat * scale;  cat = scale = None\n    shift = self.shift\n    add = mul + shift;  mul = shift = None\n    size = add.size(0)\n    view = add.view(size, 2, -1);  size = None\n    sum_1 = view.sum(-1);  view = None\n    getattr_1 = add.shape\n    getitem = getattr_1[1];  getattr_1 = None\n    sub = 2 - add\n    getitem_1 = add[(slice(None, None, None), 0)]\n    neg = -getitem_1;  getitem_1 = None\n    relu = torch.relu(add)\n    t = add.t();  add = None\n    matmul = relu @ t;  relu = t = None\n    return (sum_1, getitem, sub, neg, matmul)\n    '
CAT_VIEW_PRINT = 'CatView()\n\n\n\ndef forward(self, x, y):\n    cat = torch.cat([x, y], dim = 1);  x = y = None\n    scale = self.scale\n    mul = cat * scale;  cat = scale = None\n    shift = self.shift\n    add = mul + shift;  mul = shift = None\n    size = add.size(0)\n    view = add.view(size, 2, -1);  size = None\n    sum_1 = view.sum(-1);  view = None\n    getattr_1 = add.shape\n    getitem = getattr_1[1];  getattr_1 = None\n    sub = 2 - add\n    getitem_1 = add[(slice(None, None, None), 0)]\n    neg = -getitem_1;  getitem_1 = None\n    relu = torch.relu(add)\n    t = add.t();  add = None\n    matmul = relu @ t;  relu = t = None\n    return (sum_1, getitem, sub, neg, matmul)\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
CAT_VIEW_NODES = [('placeholder', 'x', 'x'), ('placeholder', 'y', 'y'), ('call_function', 'cat', 'cat'), ('get_attr', 'scale', 'scale'), ('call_function', 'mul', 'mul'), ('get_attr', 'shift', 'shift'), ('call_function', 'add', 'add'), ('call_method', 'size', 'size'), ('call_method', 'view', 'view'), ('call_method', 'sum_1', 'sum'), ('call_function', 'getattr_1', 'getattr'), ('call_function', 'getitem', 'getitem'), ('call_function', 'sub', 'sub'), ('call_function', 'getitem_1', 'getitem'), ('call_function', 'neg', 'neg'), ('call_function', 'relu', 'relu'), ('call_method', 't', 't'), ('call_function', 'matmul', 'matmul'), ('output', 'output', 'output')]

STACK_GRAPH = 'graph():\n    %x : [num_users=2] = placeholder[target=x]\n    %blocks_0_conv1 : [num_users=1] = call_module[target=blocks.0.conv1](args = (%x,), kwargs = {})\n    %blocks_0_bn1 : [num_users=1] = call_module[target=blocks.0.bn1](args = (%blocks_0_conv1,), kwargs = {})\n    %relu : [num_users=1] = call_function[target=torch.nn.functional.relu](args = (%blocks_0_bn1,), kwargs = {inplace: False})\n    %blocks_0_conv2 : [num_users=1] = call_module[target=blocks.0.conv2](args = (%relu,), kwargs = {})\n    %blocks_0_bn2 : [num_users=1] = call_module[target=blocks.0.bn2](args = (%blocks_0_conv2,), kwargs = {})\n    %add : [num_users=1] = call_function[target=operator.add](args = (%blocks_0_bn2, %x), kwargs = {})\n    %relu_1 : [num_users=2] = call_function[target=torch.nn.functional.relu](args = (%add,), kwargs = {inplace: False})\n    %blocks_1_conv1 : [num_users=1] = call_module[target=blocks.1.conv1](args = (%relu_1,), kwargs = {})\n    %blocks_1_bn1 : [num_users=1] = call_module[target=blocks.1.bn1](args = (%blocks_1_conv1,), kwargs = {})\n    %relu_2 : [num_users=1] = call_function[target=torch.nn.functional.relu](args = (%blocks_1_bn1,), kwargs = {inplace: False})\n    %blocks_1_conv2 : [num_users=1] = call_module[target=blocks.1.conv2](args = (%relu_2,), kwargs = {})\n    %blocks_1_bn2 : [num_users=1] = call_module[target=blocks.1.bn2](args = (%blocks_1_conv2,), kwargs = {})\n    %add_1 : [num_users=1] = call_function[target=operator.add](args = (%blocks_1_bn2, %relu_1), kwargs = {})\n    %relu_3 : [num_users=1] = call_function[target=torch.nn.functional.relu](args = (%add_1,), kwargs = {inplace: False})\n    %mean : [num_users=1] = call_method[target=mean](args = (%relu_3,), kwargs = {dim: (2, 3)})\n    %head : [num_users=1] = call_module[target=head](args = (%mean,), kwargs = {})\n    return head'
STACK_CODE = '\n\n\ndef forward(self, x):\n    blocks_0_conv1 = getattr(self.blocks, "0").conv1(x)\n    blocks_0_bn1 = getattr(self.blocks, "0").bn1(blocks_0_conv1);  blocks_0_conv1 = None\n    relu = torch.nn.functional.relu(blocks_0_bn1, inplace = False);  blocks_0_bn1 = None\n    blocks_0_conv2 = getattr(self.blocks, "0").conv2(relu);  relu = None\n    blocks_0_bn2 = getattr(self.blocks, "0").bn2(blocks_0_conv2);  blocks_0_conv2 = None\n    add = blocks_0_bn2 + x;  blocks_0_bn2 = x = None\n    relu_1 = torch.nn.functional.relu(add, inplace = False);  add = None\n    blocks_1_conv1 = getattr(self.blocks, "1").conv1(relu_1)\n    blocks_1_bn1 = getattr(self.blocks, "1").bn1(blocks_1_conv1);  blocks_1_conv1 = None\n    relu_2 = torch.nn.functional.relu(blocks_1_bn1, inplace = False);  blocks_1_bn1 = None\n    blocks_1_conv2 = getattr(self.blocks, "1").conv2(relu_2);  relu_2 = None\n    blocks_1_bn2 = getattr(self.blocks, "1").bn2(blocks_1_conv2);  blocks_1_conv2 = None\n    add_1 = blocks_1_bn2 + relu_1;  blocks_1_bn2 = relu_1 = None\n    relu_3 = torch.nn.functional.relu(add_1, inplace = False);  add_1 = None\n    mean = relu_3.mean(dim = (2, 3));  relu_3 = None\n    head = self.head(mean);  mean = None\n    return head\n    '
STACK_PRINT = 'Stack(\n  (blocks): Module(\n    (0): Module(\n      (conv1): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n      (bn1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n      (conv2): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n      (bn2): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n    )\n    (1): Module(\n      (conv1): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n      (bn1): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n      (conv2): Conv2d(4, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n      (bn2): BatchNorm2d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)\n    )\n  )\n  (head): Linear(in_features=4, out_features=3, bias=True)\n)\n\n\n\ndef forward(self, x):\n    blocks_0_conv1 = getattr(self.blocks, "0").conv1(x)\n    blocks_0_bn1 = getattr(self.blocks, "0").bn1(blocks_0_conv1);  blocks_0_conv1 = None\n    relu = torch.nn.functional.relu(blocks_0_bn1, inplace = False);  blocks_0_bn1 = None\n    blocks_0_conv2 = getattr(self.blocks, "0").conv2(relu);  relu = None\n    blocks_0_bn2 = getattr(self.blocks, "0").bn2(blocks_0_conv2);  blocks_0_conv2 = None\n    add = blocks_0_bn2 + x;  blocks_0_bn2 = x = None\n    relu_1 = torch.nn.functional.relu(add, inplace = False);  add = None\n    blocks_1_conv1 = getattr(self.blocks, "1").conv1(relu_1)\n    blocks_1_bn1 = getattr(self.blocks, "1").bn1(blocks_1_conv1);  blocks_1_conv1 = None\n    relu_2 = torch.nn.functional.relu(blocks_1_bn1, inplace = False);  blocks_1_bn1 = None\n    blocks_1_conv2 = getattr(self.blocks, "1").conv2(relu_2);  relu_2 = None\n    blocks_1_bn2 = getattr(self.blocks, "1").bn2(blocks_1_conv2);  blocks_1_conv2 = None\n    add_1 = blocks_1_bn2 + relu_1;  blocks_1_bn2 = relu_1 = None\n    relu_3 = torch.nn.functional.relu(add_1, inplace = False);  add_1 = None\n    mean = relu_3.mean(dim = (2, 3));  relu_3 = None\n    head = self.head(mean);  mean = None\n    return head\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
STACK_NODES = [('placeholder', 'x', 'x'), ('call_module', 'blocks_0_conv1', 'blocks.0.conv1'), ('call_module', 'blocks_0_bn1', 'blocks.0.bn1'), ('call_function', 'relu', 'relu'), ('call_module', 'blocks_0_conv2', 'blocks.0.conv2'), ('call_module', 'blocks_0_bn2', 'blocks.0.bn2'), ('call_function', 'add', 'add'), ('call_function', 'relu_1', 'relu'), ('call_module', 'blocks_1_conv1', 'blocks.1.conv1'), ('call_module', 'blocks_1_bn1', 'blocks.1.bn1'), ('call_function', 'relu_2', 'relu'), ('call_module', 'blocks_1_conv2', 'blocks.1.conv2'), ('call_module', 'blocks_1_bn2', 'blocks.1.bn2'), ('call_function', 'add_1', 'add'), ('call_function', 'relu_3', 'relu'), ('call_method', 'mean', 'mean'), ('call_module', 'head', 'head'), ('output', 'output', 'output')]

SCALED_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %scale : [num_users=1] = placeholder[target=scale]\n    %flag_1 : [num_users=1] = placeholder[target=flag_1]\n    %eq : [num_users=1] = call_function[target=operator.eq](args = (%flag_1, True), kwargs = {})\n    %_assert : [num_users=0] = call_function[target=torch._assert](args = (%eq, flag has been specialized to have value True but got another value), kwargs = {})\n    %mul : [num_users=1] = call_function[target=operator.mul](args = (%x, %scale), kwargs = {})\n    return mul'
SCALED_CODE = "\n\n\ndef forward(self, x, scale, flag_1):\n    eq = flag_1 == True;  flag_1 = None\n    _assert = torch._assert(eq, 'flag has been specialized to have value True but got another value');  eq = _assert = None\n    mul = x * scale;  x = scale = None\n    return mul\n    "
SCALED_PRINT = "scaled()\n\n\n\ndef forward(self, x, scale, flag_1):\n    eq = flag_1 == True;  flag_1 = None\n    _assert = torch._assert(eq, 'flag has been specialized to have value True but got another value');  eq = _assert = None\n    mul = x * scale;  x = scale = None\n    return mul\n    \n# To see more debug info, please use `graph_module.print_readable()`\n"
SCALED_NODES = [('placeholder', 'x', 'x'), ('placeholder', 'scale', 'scale'), ('placeholder', 'flag_1', 'flag_1'), ('call_function', 'eq', 'eq'), ('call_function', '_assert', '_assert'), ('call_function', 'mul', 'mul'), ('output', 'output', 'output')]

OPTIONAL_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %bias_1 : [num_users=1] = placeholder[target=bias_1](default=None)\n    %_assert_is_none : [num_users=0] = call_function[target=torch.fx._symbolic_trace._assert_is_none](args = (%bias_1, bias has been specialized to have value None but got another value), kwargs = {})\n    %sigmoid : [num_users=1] = call_function[target=torch.sigmoid](args = (%x,), kwargs = {})\n    return sigmoid'
OPTIONAL_CODE = "\n\n\ndef forward(self, x, bias_1 = None):\n    _assert_is_none = torch.fx._symbolic_trace._assert_is_none(bias_1, 'bias has been specialized to have value None but got another value');  bias_1 = _assert_is_none = None\n    sigmoid = torch.sigmoid(x);  x = None\n    return sigmoid\n    "
OPTIONAL_PRINT = "optional()\n\n\n\ndef forward(self, x, bias_1 = None):\n    _assert_is_none = torch.fx._symbolic_trace._assert_is_none(bias_1, 'bias has been specialized to have value None but got another value');  bias_1 = _assert_is_none = None\n    sigmoid = torch.sigmoid(x);  x = None\n    return sigmoid\n    \n# To see more debug info, please use `graph_module.print_readable()`\n"
OPTIONAL_NODES = [('placeholder', 'x', 'x'), ('placeholder', 'bias_1', 'bias_1'), ('call_function', '_assert_is_none', '_assert_is_none'), ('call_function', 'sigmoid', 'sigmoid'), ('output', 'output', 'output')]

FUNCTIONAL_GRAPH = 'graph():\n    %x : [num_users=9] = placeholder[target=x]\n    %softmax : [num_users=1] = call_function[target=torch.nn.functional.softmax](args = (%x,), kwargs = {dim: 1, _stacklevel: 3, dtype: None})\n    %max_pool2d : [num_users=1] = call_function[target=torch.nn.functional.max_pool2d](args = (%x, 2), kwargs = {stride: None, padding: 0, dilation: 1, ceil_mode: False, return_indices: False})\n    %dropout : [num_users=1] = call_function[target=torch.nn.functional.dropout](args = (%x,), kwargs = {p: 0.1, training: False, inplace: False})\n    %flatten : [num_users=1] = call_function[target=torch.flatten](args = (%x, 1), kwargs = {})\n    %split : [num_users=1] = call_function[target=torch.functional.split](args = (%x, 1), kwargs = {dim: 1})\n    %relu_ : [num_users=1] = call_method[target=relu_](args = (%x,), kwargs = {})\n    %leaky_relu : [num_users=1] = call_function[target=torch.nn.functional.leaky_relu](args = (%x,), kwargs = {negative_slope: 0.2, inplace: False})\n    %add : [num_users=1] = call_function[target=torch.add](args = (%x, 1), kwargs = {alpha: 2})\n    %getitem : [num_users=1] = call_function[target=operator.getitem](args = (%x, 0), kwargs = {})\n    return (softmax, max_pool2d, dropout, flatten, split, relu_, leaky_relu, add, getitem)'
FUNCTIONAL_CODE = '\n\n\ndef forward(self, x):\n    softmax = torch.nn.functional.softmax(x, dim = 1, _stacklevel = 3, dtype = None)\n    max_pool2d = torch.nn.functional.max_pool2d(x, 2, stride = None, padding = 0, dilation = 1, ceil_mode = False, return_indices = False)\n    dropout = torch.nn.functional.dropout(x, p = 0.1, training = False, inplace = False)\n    flatten = torch.flatten(x, 1)\n    split = torch.functional.split(x, 1, dim = 1)\n    relu_ = x.relu_()\n    leaky_relu = torch.nn.functional.leaky_relu(x, negative_slope = 0.2, inplace = False)\n    add = torch.add(x, 1, alpha = 2)\n    getitem = x[0];  x = None\n    return (softmax, max_pool2d, dropout, flatten, split, relu_, leaky_relu, add, getitem)\n    '
FUNCTIONAL_PRINT = 'functional_forms()\n\n\n\ndef forward(self, x):\n    softmax = torch.nn.functional.softmax(x, dim = 1, _stacklevel = 3, dtype = None)\n    max_pool2d = torch.nn.functional.max_pool2d(x, 2, stride = None, padding = 0, dilation = 1, ceil_mode = False, return_indices = False)\n    dropout = torch.nn.functional.dropout(x, p = 0.1, training = False, inplace = False)\n    flatten = torch.flatten(x, 1)\n    split = torch.functional.split(x, 1, dim = 1)\n    relu_ = x.relu_()\n    leaky_relu = torch.nn.functional.leaky_relu(x, negative_slope = 0.2, inplace = False)\n    add = torch.add(x, 1, alpha = 2)\n    getitem = x[0];  x = None\n    return (softmax, max_pool2d, dropout, flatten, split, relu_, leaky_relu, add, getitem)\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
FUNCTIONAL_NODES = [('placeholder', 'x', 'x'), ('call_function', 'softmax', 'softmax'), ('call_function', 'max_pool2d', 'max_pool2d'), ('call_function', 'dropout', 'dropout'), ('call_function', 'flatten', 'flatten'), ('call_function', 'split', 'split'), ('call_method', 'relu_', 'relu_'), ('call_function', 'leaky_relu', 'leaky_relu'), ('call_function', 'add', 'add'), ('call_function', 'getitem', 'getitem'), ('output', 'output', 'output')]




def _node_list(gm):
    return [(n.op, n.name, n.target if isinstance(n.target, str) else n.target.__name__) for n in gm.graph.nodes]


def _check(gm, graph, code, printed, nodes, capsys):
    assert str(gm.graph) == graph
    assert gm.code == code
    print(gm)
    assert capsys.readouterr().out == printed
    assert _node_list(gm) == nodes


def test_mlp(capsys):
    m = MLP()
    gm = fx.symbolic_trace(m)
    _check(gm, MLP_GRAPH, MLP_CODE, MLP_PRINT, MLP_NODES, capsys)
    x = torch.randn(3, 4)
    assert torch.equal(gm(x), m(x))
    assert type(gm).__name__ == "MLP" and isinstance(gm, fx.GraphModule)
    assert gm.fc1 is m.fc1  # submodules are shared, not copied


def test_cnn_with_batchnorm_pool_flatten(capsys):
    m = CNN()
    gm = fx.symbolic_trace(m)
    _check(gm, CNN_GRAPH, CNN_CODE, CNN_PRINT, CNN_NODES, capsys)
    m.eval()
    gm.eval()
    x = torch.randn(2, 3, 4, 4)
    assert torch.equal(gm(x), m(x))
    assert sorted(gm.state_dict()) == sorted(m.state_dict())


def test_cat_view_size_and_operators(capsys):
    m = CatView()
    gm = fx.symbolic_trace(m)
    _check(gm, CAT_VIEW_GRAPH, CAT_VIEW_CODE, CAT_VIEW_PRINT, CAT_VIEW_NODES, capsys)
    x, y = torch.randn(2, 2), torch.randn(2, 4)
    for got, want in zip(gm(x, y), m(x, y)):
        assert torch.equal(got, want) if isinstance(want, torch.Tensor) else got == want


def test_residual_blocks_in_module_list(capsys):
    m = Stack().eval()
    gm = fx.symbolic_trace(m)
    _check(gm, STACK_GRAPH, STACK_CODE, STACK_PRINT, STACK_NODES, capsys)
    x = torch.randn(2, 4, 3, 3)
    assert torch.equal(gm(x), m(x))
    assert not gm.training
    stack = next(n for n in gm.graph.nodes if n.name == "blocks_1_conv2").meta["nn_module_stack"]
    assert list(stack) == ["blocks.1", "blocks.1.conv2"]
    assert stack["blocks.1"] == ("blocks.1", Residual)


def test_function_with_concrete_bool(capsys):
    gm = fx.symbolic_trace(scaled, concrete_args={"flag": True})
    _check(gm, SCALED_GRAPH, SCALED_CODE, SCALED_PRINT, SCALED_NODES, capsys)
    x = torch.randn(3)
    assert torch.equal(gm(x, 2.0, True), x * 2.0)
    with pytest.raises(AssertionError, match="flag has been specialized to have value True"):
        gm(x, 2.0, False)


def test_function_with_concrete_none(capsys):
    gm = fx.symbolic_trace(optional, concrete_args={"bias": None})
    _check(gm, OPTIONAL_GRAPH, OPTIONAL_CODE, OPTIONAL_PRINT, OPTIONAL_NODES, capsys)
    x = torch.randn(3)
    assert torch.equal(gm(x), torch.sigmoid(x))
    with pytest.raises(AssertionError, match="bias has been specialized to have value None"):
        gm(x, x)


def test_functional_calls_record_pytorch_argument_spelling(capsys):
    gm = fx.symbolic_trace(functional_forms)
    _check(gm, FUNCTIONAL_GRAPH, FUNCTIONAL_CODE, FUNCTIONAL_PRINT, FUNCTIONAL_NODES, capsys)
    x = torch.randn(2, 2, 4, 4)
    got, want = gm(x.clone()), functional_forms(x.clone())
    assert all(torch.equal(a, b) for a, b in zip(got[:4], want[:4]))
    assert all(torch.equal(a, b) for a, b in zip(got[4], want[4]))


def test_traced_module_trains_like_the_original():
    m = MLP()
    gm = fx.symbolic_trace(m)
    x = torch.randn(3, 4)
    gm(x).pow(2).sum().backward()
    grads = [p.grad.clone() for p in m.parameters()]  # the parameters are shared with the GraphModule
    for p in m.parameters():
        p.grad = None
    m(x).pow(2).sum().backward()
    assert all(torch.equal(g, p.grad) for g, p in zip(grads, m.parameters()))


def padding_and_pooling(x):
    a = F.pad(x, (1, 1))
    b = F.pad(x, pad=(1, 1), mode="replicate")
    c = F.pad(input=x, pad=[1, 1], value=2.0)
    m, i = F.max_pool2d(x, 2, return_indices=True)
    r = F.fractional_max_pool2d(x, 2, output_size=2)
    s = F.adaptive_max_pool1d(x[0], 1, True)
    return a, b, c, m, r, s


# PyTorch 2.13's code for padding_and_pooling (computed with torch, hard-coded here): pad's mode and
# value spelled out, a pool with return_indices=True recorded as its *_with_indices function
PADDING_CODE = (
    "\n\n\ndef forward(self, x):\n"
    "    pad = torch.nn.functional.pad(x, (1, 1), mode = 'constant', value = None)\n"
    "    pad_1 = torch.nn.functional.pad(x, (1, 1), mode = 'replicate', value = None)\n"
    "    pad_2 = torch.nn.functional.pad(x, [1, 1], mode = 'constant', value = 2.0)\n"
    "    max_pool2d_with_indices = torch.nn.functional.max_pool2d_with_indices(x, 2, stride = None, padding = 0, "
    "dilation = 1, ceil_mode = False, return_indices = True)\n"
    "    getitem = max_pool2d_with_indices[0]\n"
    "    getitem_1 = max_pool2d_with_indices[1];  max_pool2d_with_indices = getitem_1 = None\n"
    "    fractional_max_pool2d = torch.nn.functional.fractional_max_pool2d(x, 2, output_size = 2, "
    "output_ratio = None, return_indices = False, _random_samples = None)\n"
    "    getitem_2 = x[0];  x = None\n"
    "    adaptive_max_pool1d_with_indices = torch.nn.functional.adaptive_max_pool1d_with_indices(getitem_2, 1, "
    "return_indices = True);  getitem_2 = None\n"
    "    return (pad, pad_1, pad_2, getitem, fractional_max_pool2d, adaptive_max_pool1d_with_indices)\n    ")


def test_pad_and_pools_with_indices_record_pytorchs_call():
    gm = fx.symbolic_trace(padding_and_pooling)
    assert gm.code == PADDING_CODE
    x = torch.randn(3, 4, 4)  # (replicate padding of the last dim only: a 2-D or 3-D input, as PyTorch)
    got, want = gm(x), padding_and_pooling(x)
    assert all(torch.equal(a, b) for a, b in zip(got[:4], want[:4]))
    assert torch.equal(got[5][0], want[5][0])
