"""GraphModule (building from a module or a dict, printing, recompiling, copying, submodule
bookkeeping, nn.Module behaviour), Interpreter, Transformer and ShapeProp. Expected strings: PyTorch
2.13's output for the same code (run with ``torch`` in place of ``tensorgraft``)."""
import copy
import pickle

import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft import fx
from tensorgraft.fx.passes.shape_prop import ShapeProp, TensorMetadata


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        h = torch.sigmoid(self.bn(self.lin(x))).neg()
        return self.drop(h), torch.split(h, 1, dim=1), h.shape


class NegSigmoidSwap(fx.Transformer):
    def call_function(self, target, args, kwargs):
        if target == torch.sigmoid:
            return torch.neg(*args, **kwargs)
        return super().call_function(target, args, kwargs)

    def call_method(self, target, args, kwargs):
        if target == "neg":
            call_self, *rest = args
            return call_self.sigmoid(*rest, **kwargs)
        return super().call_method(target, args, kwargs)


class Recorder(fx.Interpreter):
    def __init__(self, module):
        super().__init__(module)
        self.seen = []

    def call_module(self, target, args, kwargs):
        self.seen.append(target)
        return super().call_module(target, args, kwargs)


def from_dict():
    g = fx.Graph()
    x = g.placeholder("x")
    w = g.get_attr("sub.weight")
    lin = g.call_module("sub.lin", (x,))
    g.output(g.call_function(torch.add, (lin, w)))
    return fx.GraphModule({"sub.weight": torch.ones(2), "sub.lin": nn.Linear(2, 2)}, g, class_name="Custom")


# ---- what PyTorch 2.13 prints for the same code (generated with torch, pasted here) ----
READABLE = 'class Net(torch.nn.Module):\n    def forward(self, x: "f32[5, 4]"):\n        # No stacktrace found for following nodes\n        lin: "f32[5, 3]" = self.lin(x);  x = None\n        bn: "f32[5, 3]" = self.bn(lin);  lin = None\n        sigmoid: "f32[5, 3]" = torch.sigmoid(bn);  bn = None\n        neg: "f32[5, 3]" = sigmoid.neg();  sigmoid = None\n        drop: "f32[5, 3]" = self.drop(neg)\n        split = torch.functional.split(neg, 1, dim = 1)\n        getattr_1 = neg.shape;  neg = None\n        return (drop, split, getattr_1)\n'
SHAPES = [('x', ((5, 4), 'torch.float32', False, (4, 1), 'torch.contiguous_format')), ('lin', ((5, 3), 'torch.float32', True, (3, 1), 'torch.contiguous_format')), ('bn', ((5, 3), 'torch.float32', True, (3, 1), 'torch.contiguous_format')), ('sigmoid', ((5, 3), 'torch.float32', True, (3, 1), 'torch.contiguous_format')), ('neg', ((5, 3), 'torch.float32', True, (3, 1), 'torch.contiguous_format')), ('drop', ((5, 3), 'torch.float32', True, (3, 1), 'torch.contiguous_format')), ('split', 3), ('getattr_1', None), ('output', 3)]
TRANSFORMED_CODE = '\n\n\ndef forward(self, x):\n    lin = self.lin(x);  x = None\n    bn = self.bn(lin);  lin = None\n    neg = torch.neg(bn);  bn = None\n    sigmoid = neg.sigmoid();  neg = None\n    drop = self.drop(sigmoid)\n    split = torch.functional.split(sigmoid, 1, dim = 1)\n    getattr_1 = sigmoid.shape;  sigmoid = None\n    return (drop, split, getattr_1)\n    '
TRANSFORMED_NAME = 'GraphModule'
RECORDED = ['lin', 'bn', 'drop']
CUSTOM_PRINT = 'Custom(\n  (sub): Module(\n    (lin): Linear(in_features=2, out_features=2, bias=True)\n  )\n)\n\n\n\ndef forward(self, x):\n    sub_weight = self.sub.weight\n    sub_lin = self.sub.lin(x);  x = None\n    add = torch.add(sub_lin, sub_weight);  sub_lin = sub_weight = None\n    return add\n    \n# To see more debug info, please use `graph_module.print_readable()`\n'
CUSTOM_BUFFERS = ['sub.weight']
CUSTOM_PARAMS = ['sub.lin.bias', 'sub.lin.weight']
MISSING_TARGET = 'Node sub_weight referenced target sub.weight but that target was not provided in ``root``!'
MISSING_INPUT = 'Expected positional argument for parameter x, but one was not passed in!\n\nWhile executing %x : [num_users=1] = placeholder[target=x]\nOriginal traceback:\nNone\nUse tlparse to see full graph. (https://github.com/pytorch/tlparse?tab=readme-ov-file#tlparse-parse-structured-pt2-logs)'
RUN_ERROR = "shape '[7]' is invalid for input of size 2\n\nWhile executing %view : [num_users=1] = call_method[target=view](args = (%x, 7), kwargs = {})\nOriginal traceback:\nNone\nUse tlparse to see full graph. (https://github.com/pytorch/tlparse?tab=readme-ov-file#tlparse-parse-structured-pt2-logs)"


def _traced():
    torch.manual_seed(0)
    return fx.symbolic_trace(Net()), torch.randn(5, 4)


def test_shape_prop_and_print_readable():
    gm, x = _traced()
    gm.eval()
    out = ShapeProp(gm).propagate(x)
    assert torch.equal(out[0], gm(x)[0])
    shapes = [(n.name, None if "tensor_meta" not in n.meta else (
        (tuple(n.meta["tensor_meta"].shape), str(n.meta["tensor_meta"].dtype), n.meta["tensor_meta"].requires_grad,
         n.meta["tensor_meta"].stride, str(n.meta["tensor_meta"].memory_format))
        if isinstance(n.meta["tensor_meta"], TensorMetadata) else len(n.meta["tensor_meta"]))) for n in gm.graph.nodes]
    assert shapes == SHAPES
    assert TensorMetadata._fields == ("shape", "dtype", "requires_grad", "stride", "memory_format", "is_quantized",
                                      "qparams")
    assert gm.print_readable(print_output=False) == READABLE


def test_transformer_returns_new_graph_module():
    gm, x = _traced()
    gm.eval()
    t = NegSigmoidSwap(gm).transform()
    assert t.code == TRANSFORMED_CODE
    assert type(t).__name__ == TRANSFORMED_NAME
    t.eval()
    assert torch.equal(t(x)[0], torch.neg(gm.bn(gm.lin(x))).sigmoid())
    assert gm.code != t.code  # the original is untouched


def test_interpreter_overrides_env_and_errors():
    gm, x = _traced()
    gm.eval()
    r = Recorder(gm)
    got = r.run(x)
    assert r.seen == RECORDED
    assert torch.equal(got[0], gm(x)[0]) and got[2] == (5, 3)
    assert [n.name for n in r.env] == ["output"]  # other values are dropped after their last use
    kept = fx.Interpreter(gm, garbage_collect_values=False)
    kept.run(x)
    assert sorted(n.name for n in kept.env) == sorted(n.name for n in gm.graph.nodes)
    assert torch.equal(fx.Interpreter(gm).boxed_run([x])[0], got[0])
    # PyTorch 2.13's message
    with pytest.raises(RuntimeError, match=r"^Interpreter.boxed_run expected 1 arguments for placeholders but "
                                           r"received 2 \(extra arguments\)$"):
        fx.Interpreter(gm).boxed_run([x, x])
    with pytest.raises(RuntimeError, match=r"received 0 \(missing arguments\)$"):
        fx.Interpreter(gm).boxed_run([])
    interp = fx.Interpreter(gm)
    assert interp.fetch_attr("lin.bias") is gm.lin.bias
    lin_node = next(n for n in gm.graph.nodes if n.name == "lin")
    interp.env = {next(iter(gm.graph.nodes)): x}
    assert interp.fetch_args_kwargs_from_env(lin_node) == ((x,), {})
    with pytest.raises(RuntimeError) as info:
        fx.Interpreter(gm).run()
    assert str(info.value) == MISSING_INPUT

    class Bad(nn.Module):
        def forward(self, x):
            return x.view(7)
    with pytest.raises(RuntimeError) as info:
        fx.Interpreter(fx.symbolic_trace(Bad())).run(torch.ones(2))
    assert str(info.value) == RUN_ERROR


def test_graph_module_from_dict(capsys):
    cu = from_dict()
    print(cu)
    assert capsys.readouterr().out == CUSTOM_PRINT
    assert sorted(dict(cu.named_buffers())) == CUSTOM_BUFFERS
    assert sorted(dict(cu.named_parameters())) == CUSTOM_PARAMS
    assert torch.equal(cu(torch.zeros(2)), cu.sub.lin(torch.zeros(2)) + 1)
    with pytest.raises(RuntimeError) as info:
        fx.GraphModule({}, cu.graph)
    assert str(info.value) == MISSING_TARGET


def test_recompile_graph_setter_and_module_behaviour():
    gm, x = _traced()
    relu_graph = fx.Graph()
    inp = relu_graph.placeholder("x")
    relu_graph.output(relu_graph.call_function(torch.relu, (inp,)))
    old_forward = type(gm).forward
    gm.graph = relu_graph
    assert type(gm).forward is not old_forward
    assert "relu = torch.relu(x)" in gm.code
    assert torch.equal(gm(x), torch.relu(x))
    gm2, _ = _traced()
    assert type(gm2) is not type(gm)  # each GraphModule has its own class: recompile touches only it
    gm2.train()
    assert gm2.training and gm2.drop.training
    gm2.eval()
    assert not gm2.bn.training
    state = gm2.state_dict()
    assert sorted(state) == ["bn.bias", "bn.num_batches_tracked", "bn.running_mean", "bn.running_var", "bn.weight",
                             "lin.bias", "lin.weight"]
    gm2.load_state_dict(state)
    assert len(list(gm2.parameters())) == 4


def test_copies_of_graph_modules():
    gm, x = _traced()
    gm.eval()
    deep = copy.deepcopy(gm)
    assert deep.code == gm.code and deep.lin is not gm.lin
    assert torch.equal(deep(x)[0], gm(x)[0])
    assert type(deep).__name__ == "GraphModule"
    shallow = copy.copy(gm)
    assert shallow.lin is gm.lin and shallow.code == gm.code
    gm.extra = 5
    restored = pickle.loads(pickle.dumps(gm))  # rebuilt from its code, traced again
    assert type(restored).__name__ == "GraphModule" and restored.extra == 5
    assert restored.code == gm.code and str(restored.graph) == str(gm.graph)
    assert torch.equal(restored(x)[0], gm(x)[0])


def test_submodule_management():
    gm, x = _traced()
    assert gm.add_submodule("extra.deep.act", nn.ReLU())
    assert isinstance(gm.get_submodule("extra.deep.act"), nn.ReLU)
    assert not gm.add_submodule("lin.weight.bad", nn.ReLU())
    assert gm.delete_submodule("extra.deep.act")
    assert not gm.delete_submodule("extra.deep.act")
    gm.add_submodule("unused", nn.Tanh())
    gm.delete_all_unused_submodules()
    assert sorted(name for name, _ in gm.named_children()) == ["bn", "drop", "lin"]
