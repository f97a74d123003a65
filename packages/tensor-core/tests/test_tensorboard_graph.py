"""``add_graph``: the GraphDef read from one autograd-recorded run of the model (nodes, edges, scopes,
shapes, IO nodes), the model left as it was, the errors, and the event file SummaryWriter writes."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")
from tensorboard.backend.event_processing.event_file_loader import (  # noqa: E402
    EventFileLoader, LegacyEventFileLoader)
from tensorboard.compat.proto.config_pb2 import RunMetadata  # noqa: E402
from tensorboard.compat.proto.graph_pb2 import GraphDef  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft import nn  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard._graph import graph  # noqa: E402


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.Sequential(nn.Conv2d(4, 2, 3), nn.ReLU()))
        self.head = nn.Linear(2 * 4 * 4, 5)

    def forward(self, x):
        h = self.features(x)
        return self.head(h.flatten(1)), h


def by_name(g: GraphDef) -> dict:
    return {n.name: n for n in g.node}


def shapes(node) -> list:
    """The node's ``_output_shapes`` as lists (None for an unknown rank); [] when it has none."""
    if "_output_shapes" not in node.attr:
        return []
    return [None if s.unknown_rank else [d.size for d in s.dim] for s in node.attr["_output_shapes"].list.shape]


# ---------------------------------------------------------------------------------------- the nodes
def test_mlp_nodes_edges_and_shapes():
    g, meta = graph(MLP(), tg.randn(2, 4))
    nodes = by_name(g)
    fc1, fc2 = "MLP/Linear[fc1]", "MLP/Linear[fc2]"
    want = {  # name: (op, inputs, output shapes)
        "input/x": ("IO Node", [], [[2, 4]]),
        f"{fc1}/weight": ("prim::GetAttr", [], [[8, 4]]),
        f"{fc1}/bias": ("prim::GetAttr", [], [[8]]),
        f"{fc2}/weight": ("prim::GetAttr", [], [[3, 8]]),
        f"{fc2}/bias": ("prim::GetAttr", [], [[3]]),
        f"{fc1}/t": ("aten::t", [f"{fc1}/weight"], [[4, 8]]),
        f"{fc1}/addmm": ("aten::addmm", [f"{fc1}/bias", "input/x", f"{fc1}/t"], [[2, 8]]),
        "MLP/ReLU[act]/relu": ("aten::relu", [f"{fc1}/addmm"], [[2, 8]]),
        f"{fc2}/t": ("aten::t", [f"{fc2}/weight"], [[8, 3]]),
        f"{fc2}/addmm": ("aten::addmm", [f"{fc2}/bias", "MLP/ReLU[act]/relu", f"{fc2}/t"], [[2, 3]]),
        "output/output.1": ("IO Node", [f"{fc2}/addmm"], [[2, 3]]),
    }
    assert len(g.node) == len(want)  # every op once, nothing else
    assert {n: (v.op, list(v.input), shapes(v)) for n, v in nodes.items()} == want
    # the string attribute as PyTorch lays it out: empty on IO nodes, a dict's text on the others
    assert nodes["input/x"].attr["attr"].s == b""
    assert nodes[f"{fc1}/addmm"].attr["attr"].s == b"{}"
    assert nodes[f"{fc1}/weight"].attr["attr"].s == b"{ name :  weight }"
    # inputs first, the output last, every edge pointing at a node listed before it
    order = [n.name for n in g.node]
    assert order[0] == "input/x" and order[-1] == "output/output.1"
    for k, n in enumerate(g.node):
        assert all(i.split(":")[0] in order[:k] for i in n.input), n.name
    assert g.versions.producer == 22
    assert isinstance(meta, RunMetadata)
    assert [d.device for d in meta.step_stats.dev_stats] == ["/device:CPU:0"]


def test_conv_net_nested_scopes():
    model = ConvNet()
    g, _ = graph(model, tg.randn(2, 1, 8, 8))
    nodes = by_name(g)
    f = "ConvNet/Sequential[features]"
    ops = {n.name: (n.op, list(n.input)) for n in g.node if n.op.startswith(("aten::", "prim::T"))}
    assert ops == {
        f"{f}/Conv2d[0]/convolution": ("aten::convolution", ["input/x", f"{f}/Conv2d[0]/weight",
                                                             f"{f}/Conv2d[0]/bias"]),
        f"{f}/BatchNorm2d[1]/native_batch_norm": ("aten::native_batch_norm", [
            f"{f}/Conv2d[0]/convolution", f"{f}/BatchNorm2d[1]/weight", f"{f}/BatchNorm2d[1]/bias"]),
        f"{f}/ReLU[2]/relu": ("aten::relu", [f"{f}/BatchNorm2d[1]/native_batch_norm"]),
        f"{f}/Sequential[3]/Conv2d[0]/convolution": ("aten::convolution", [
            f"{f}/ReLU[2]/relu", f"{f}/Sequential[3]/Conv2d[0]/weight", f"{f}/Sequential[3]/Conv2d[0]/bias"]),
        f"{f}/Sequential[3]/ReLU[1]/relu": ("aten::relu", [f"{f}/Sequential[3]/Conv2d[0]/convolution"]),
        "ConvNet/view": ("aten::view", [f"{f}/Sequential[3]/ReLU[1]/relu"]),  # flatten, in forward itself
        "ConvNet/Linear[head]/t": ("aten::t", ["ConvNet/Linear[head]/weight"]),
        "ConvNet/Linear[head]/addmm": ("aten::addmm", ["ConvNet/Linear[head]/bias", "ConvNet/view",
                                                       "ConvNet/Linear[head]/t"]),
        "ConvNet/TupleConstruct": ("prim::TupleConstruct", ["ConvNet/Linear[head]/addmm",
                                                            f"{f}/Sequential[3]/ReLU[1]/relu"]),
    }
    params = {n.name for n in g.node if n.op == "prim::GetAttr"}
    assert params == {
        f"{f}/Conv2d[0]/weight", f"{f}/Conv2d[0]/bias", f"{f}/BatchNorm2d[1]/weight", f"{f}/BatchNorm2d[1]/bias",
        f"{f}/Sequential[3]/Conv2d[0]/weight", f"{f}/Sequential[3]/Conv2d[0]/bias",
        "ConvNet/Linear[head]/weight", "ConvNet/Linear[head]/bias"}
    assert len(g.node) == len(ops) + len(params) + 2
    assert shapes(nodes[f"{f}/Sequential[3]/Conv2d[0]/convolution"]) == [[2, 2, 4, 4]]
    assert shapes(nodes["ConvNet/view"]) == [[2, 32]]
    assert shapes(nodes[f"{f}/Conv2d[0]/weight"]) == [[4, 1, 3, 3]]
    out = nodes["output/output.1"]
    assert list(out.input) == ["ConvNet/TupleConstruct"] and shapes(out) == []  # a tuple has no shape


def test_op_names_follow_the_autograd_nodes():
    class Ops(nn.Module):
        def forward(self, x):
            y = nn.functional.max_pool2d(x, 2).log1p()
            return nn.functional.softmax(y.permute(0, 2, 3, 1), 1).mean((2, 3))

    g, _ = graph(Ops(), tg.rand(1, 2, 4, 4))
    assert [n.op for n in g.node if n.op.startswith("aten::")] == [
        "aten::max_pool2d_with_indices", "aten::log1p", "aten::permute", "aten::softmax", "aten::mean"]
    assert "Ops/max_pool2d_with_indices" in by_name(g)


def test_repeated_ops_get_numbered_names_and_a_shared_module_one_scope():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(3, 3)

        def forward(self, x):
            return self.l(self.l(x)) + x + x

    g, _ = graph(Twice(), tg.randn(2, 3))
    nodes = by_name(g)
    assert list(nodes["Twice/Linear[l]/addmm_1"].input) == ["Twice/Linear[l]/bias", "Twice/Linear[l]/addmm",
                                                          "Twice/Linear[l]/t_1"]
    assert list(nodes["Twice/add"].input) == ["Twice/Linear[l]/addmm_1", "input/x"]
    assert list(nodes["Twice/add_1"].input) == ["Twice/add", "input/x"]
    assert sum(n.op == "prim::GetAttr" for n in g.node) == 2  # the parameters once, used twice


def test_several_outputs_of_one_node():
    class Halves(nn.Module):
        def forward(self, x):
            a, b = x.chunk(2, 1)
            return a * b

    g, _ = graph(Halves(), tg.randn(2, 4))
    nodes = by_name(g)
    assert nodes["Halves/split"].op == "aten::split"
    assert shapes(nodes["Halves/split"]) == [[2, 2], [2, 2]]
    assert list(nodes["Halves/mul"].input) == ["Halves/split", "Halves/split:1"]


def test_custom_function_and_closed_over_tensor():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 2 * x * g

    scale = tg.randn(3).requires_grad_()
    prior = tg.randn(3, requires_grad=True) * 2  # computed before the model runs: a constant to it

    class Net(nn.Module):
        def forward(self, x):
            return Square.apply(x) * scale + prior

    g, _ = graph(Net(), tg.randn(2, 3))
    nodes = by_name(g)
    assert nodes["Net/Square"].op == "prim::PythonOp"
    assert nodes["Net/Square"].attr["attr"].s == b"{ name :  Square }"
    assert list(nodes["Net/Square"].input) == ["input/x"]
    assert list(nodes["Net/mul"].input) == ["Net/Square", "Net/constant"]
    assert list(nodes["Net/add"].input) == ["Net/mul", "Net/constant_1"]
    assert {nodes[c].op for c in ("Net/constant", "Net/constant_1")} == {"prim::Constant"}
    assert shapes(nodes["Net/constant"]) == [[3]]
    assert "Net/mul_1" not in nodes  # the graph stops at values made before the model ran


# ---------------------------------------------------------------------------------------- IO nodes
def test_inputs_named_after_forward_arguments():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(3, 3)

        def forward(self, x, y, unused):
            return self.l(x) + y

    x, y = tg.randn(2, 3), tg.randn(2, 3)
    for args in ((x, y, x), [x, y, x]):  # a list is positional arguments too, as in PyTorch
        g, _ = graph(Two(), args)
        io = [(n.name, shapes(n)) for n in g.node if n.op == "IO Node"]
        assert io == [("input/x", [[2, 3]]), ("input/y", [[2, 3]]), ("output/output.1", [[2, 3]])]

    class Star(nn.Module):
        def forward(self, *xs):
            return xs[0] * xs[1]

    g, _ = graph(Star(), (x, y))
    assert list(by_name(g)["Star/mul"].input) == ["input/xs", "input/xs.1"]
    g, _ = graph(nn.Sequential(nn.ReLU()), x)
    assert list(by_name(g)["Sequential/ReLU[0]/relu"].input) == ["input/input"]


def test_integer_input_output_of_an_input_and_no_input():
    class Emb(nn.Module):
        def __init__(self):
            super().__init__()
            self.e = nn.Embedding(5, 3)

        def forward(self, idx):
            return self.e(idx)

    g, _ = graph(Emb(), tg.tensor([1, 2]))
    nodes = by_name(g)
    assert shapes(nodes["input/idx"]) == [[2]]  # kept, though autograd cannot draw its edge
    assert list(nodes["Emb/Embedding[e]/embedding"].input) == ["Emb/Embedding[e]/weight"]

    class Same(nn.Module):
        def forward(self, x):
            return x

    g, _ = graph(Same(), tg.randn(3))
    assert list(by_name(g)["output/output.1"].input) == ["input/x"]

    class Bias(nn.Module):
        def __init__(self):
            super().__init__()
            self.b = nn.Parameter(tg.ones(2))

        def forward(self):
            return self.b

    for none in (None, ()):
        g, _ = graph(Bias(), none)
        assert [(n.name, list(n.input)) for n in g.node] == [("Bias/b", []), ("output/output.1", ["Bias/b"])]


def test_containers_out():
    class Pair(nn.Module):
        def forward(self, x):
            return {"double": x * 2, "same": x}

    with pytest.raises(RuntimeError, match="returned a dict.*use_strict_trace=False"):
        graph(Pair(), tg.randn(2))
    g, _ = graph(Pair(), tg.randn(2), use_strict_trace=False)
    nodes = by_name(g)
    assert nodes["Pair/DictConstruct"].op == "prim::DictConstruct"
    assert list(nodes["Pair/DictConstruct"].input) == ["Pair/mul", "input/x"]
    assert list(nodes["output/output.1"].input) == ["Pair/DictConstruct"]

    class Listed(nn.Module):
        def forward(self, x):
            return [x.exp(), (x.sin(), None)]

    g, _ = graph(Listed(), tg.randn(2))
    nodes = by_name(g)
    assert list(nodes["Listed/ListConstruct"].input) == ["Listed/exp", "Listed/TupleConstruct"]
    assert list(nodes["Listed/TupleConstruct"].input) == ["Listed/sin"]


def test_plain_function():
    g, _ = graph(lambda a, b: a * b, (tg.randn(2), tg.randn(2)))
    assert list(by_name(g)["<lambda>/mul"].input) == ["input/a", "input/b"]


def test_traced_module_keeps_class_names():
    with pytest.warns(DeprecationWarning):
        traced = tg.jit.trace(nn.Sequential(nn.Linear(3, 2)), tg.randn(1, 3))
    g, _ = graph(traced, tg.randn(1, 3))
    assert {n.name for n in g.node if n.op.startswith("aten::")} == {"Sequential/Linear[0]/t",
                                                                    "Sequential/Linear[0]/addmm"}


def test_ops_in_a_users_hooks_belong_to_the_module():
    model = MLP()
    handle = model.fc2.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
    g, _ = graph(model, tg.randn(2, 4))
    assert list(by_name(g)["MLP/Linear[fc2]/mul"].input) == ["MLP/ReLU[act]/relu"]
    assert len(model.fc2._forward_pre_hooks) == 1  # the user's stays, ours went
    handle.remove()


# --------------------------------------------------------------------- the model is left as it was
def test_model_state_restored():
    model = ConvNet()
    model.train()
    model.features[1].eval()        # mixed flags: each comes back as it was
    model.head.weight.requires_grad_(False)  # a frozen weight still gets its edge, and stays frozen
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = [m.training for m in model.modules()]
    x = tg.randn(2, 1, 8, 8)
    x0 = x.clone()
    with tg.no_grad():  # add_graph records whatever the caller's grad mode
        g, _ = graph(model, x)
    assert list(by_name(g)["ConvNet/Linear[head]/t"].input) == ["ConvNet/Linear[head]/weight"]
    assert [m.training for m in model.modules()] == flags
    assert [p.requires_grad for p in model.parameters()] == [True] * 6 + [False, True]
    assert all(p.grad is None for p in model.parameters())
    for m in model.modules():
        assert not m._forward_pre_hooks and not m._forward_hooks
    for k, v in model.state_dict().items():  # eval mode: BatchNorm's running statistics untouched
        np.testing.assert_array_equal(v.numpy(), before[k].numpy(), err_msg=k)
    assert not x.requires_grad and x.grad_fn is None
    np.testing.assert_array_equal(x.numpy(), x0.numpy())


def test_model_runs_in_eval_mode():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.drop = nn.Dropout(0.5)

        def forward(self, x):
            seen.append((self.training, self.drop.training))
            return self.drop(x) + 1

    model = Probe()
    g, _ = graph(model, tg.ones(8))
    assert seen == [(False, False)] and model.training and model.drop.training
    assert [n.op for n in g.node if n.op.startswith("aten::")] == ["aten::add"]  # dropout is the identity


def test_in_place_ops_on_the_input_leave_the_callers_tensor():
    class Inplace(nn.Module):
        def forward(self, x):
            x += 1
            return x.relu_()

    x = -tg.ones(3)
    g, _ = graph(Inplace(), x)
    nodes = by_name(g)
    assert list(nodes["Inplace/add"].input) == ["input/x"]
    assert list(nodes["Inplace/relu"].input) == ["Inplace/add"]
    np.testing.assert_array_equal(x.numpy(), [-1, -1, -1])


# ---------------------------------------------------------------------------------------- errors
def test_errors_name_their_cause_and_restore_the_model():
    with pytest.raises(TypeError, match="model must be a Module or a callable, got int"):
        graph(3, tg.randn(2))
    with pytest.raises(TypeError, match="input_to_model must be a Tensor.*got ndarray"):
        graph(MLP(), np.ones((2, 4), np.float32))

    class Boom(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(2, 2)

        def forward(self, x):
            self.l(x)
            raise ValueError("boom")

    model = Boom()
    model.l.bias.requires_grad_(False)
    with pytest.raises(ValueError, match="boom") as info:
        graph(model, tg.randn(1, 2))
    assert any("add_graph" in note for note in getattr(info.value, "__notes__", ["add_graph"]))
    assert model.training and not model.l.bias.requires_grad
    assert not model._forward_pre_hooks and not model.l._forward_hooks
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        graph(MLP(), None)

    class Number(nn.Module):
        def forward(self, x):
            return 3

    with pytest.raises(RuntimeError, match="returned a int"):
        graph(Number(), tg.randn(2))


def test_verbose_prints_the_graph(capsys):
    graph(MLP(), tg.randn(2, 4), verbose=True)
    text = capsys.readouterr().out
    assert text.startswith("graph(MLP):\n")
    assert "  MLP/Linear[fc1]/addmm = aten::addmm(MLP/Linear[fc1]/bias, input/x, MLP/Linear[fc1]/t) : [2, 8]" in text
    graph(MLP(), tg.randn(2, 4))
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------------------- the event file
def events(run_dir, loader=LegacyEventFileLoader):
    """The events of the one event file in ``run_dir``: as written (the legacy loader), or as
    TensorBoard's own loader hands them to the dashboards (``EventFileLoader``)."""
    files = glob.glob(os.path.join(str(run_dir), "events.out.tfevents.*"))
    assert len(files) == 1, files
    return list(loader(files[0]).Load())


def test_summary_writer_add_graph_round_trip(tmp_path):
    model, x = ConvNet(), tg.randn(2, 1, 8, 8)
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, x)
    evs = events(tmp_path)
    graphs = [e for e in evs if e.HasField("graph_def")]
    tagged = [e for e in evs if e.HasField("tagged_run_metadata")]
    assert len(graphs) == 1 and len(tagged) == 1
    got = GraphDef.FromString(graphs[0].graph_def)
    assert got == graph(model, x)[0]
    assert "ConvNet/Sequential[features]/Sequential[3]/ReLU[1]/relu" in by_name(got)
    assert tagged[0].tagged_run_metadata.tag == "step1"
    meta = RunMetadata.FromString(tagged[0].tagged_run_metadata.run_metadata)
    assert [d.device for d in meta.step_stats.dev_stats] == ["/device:CPU:0"]
    # TensorBoard's loader turns both into what the graph dashboard reads
    seen = events(tmp_path, EventFileLoader)
    assert [GraphDef.FromString(e.graph_def) for e in seen if e.HasField("graph_def")] == [got]
    plugins = {(v.tag, v.metadata.plugin_data.plugin_name) for e in seen if e.HasField("summary")
               for v in e.summary.value}
    assert ("step1", "graph_tagged_run_metadata") in plugins


def test_failed_add_graph_writes_no_graph(tmp_path):
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with SummaryWriter(tmp_path) as w:
        with pytest.raises(ValueError):
            w.add_graph(Boom(), tg.randn(2))
    assert not any(e.HasField("graph_def") or e.HasField("tagged_run_metadata") for e in events(tmp_path))
