"""``add_graph`` against PyTorch's: the same architecture logged by both writers, the graphs read back
from the event files and compared where tensorgraft's autograd-read graph is made to match the trace
(IO nodes and their shapes, the module scopes the ops run in, the parameters per scope, the data flow
between scopes, the run metadata). Op-level names differ by design (see ``_graph``'s docstring)."""
from __future__ import annotations

import glob
import os
import re

import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")
torch = pytest.importorskip("torch")
torch_tb = pytest.importorskip("torch.utils.tensorboard")
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader  # noqa: E402
from tensorboard.compat.proto.config_pb2 import RunMetadata  # noqa: E402
from tensorboard.compat.proto.graph_pb2 import GraphDef  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402

# running statistics: PyTorch's trace reads them (prim::GetAttr); autograd keeps no edge to buffers
_BUFFERS = {"running_mean", "running_var", "num_batches_tracked"}


def architectures(lib):
    """The test models written once against ``lib`` (torch or tensorgraft), as user code is."""
    nn = lib.nn

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

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(nn.Linear(3, 3), nn.Tanh())
            self.out = nn.Linear(3, 2)

        def forward(self, x, y, unused):
            return self.out(self.enc(x) * y)

    return {"mlp": (MLP, lambda: (lib.randn(2, 4),)), "conv": (ConvNet, lambda: (lib.randn(2, 1, 8, 8),)),
            "two": (TwoInputs, lambda: (lib.randn(2, 3), lib.randn(2, 3), lib.randn(2, 3)))}


def logged(run_dir, writer_cls, model, args):
    """The GraphDef and RunMetadata ``writer_cls(run_dir).add_graph(model, args)`` wrote."""
    with writer_cls(run_dir) as w:
        w.add_graph(model, args if len(args) > 1 else args[0])
    (path,) = glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    events = list(LegacyEventFileLoader(path).Load())
    (g,) = [GraphDef.FromString(e.graph_def) for e in events if e.HasField("graph_def")]
    (m,) = [e.tagged_run_metadata for e in events if e.HasField("tagged_run_metadata")]
    assert m.tag == "step1"
    return g, RunMetadata.FromString(m.run_metadata)


@pytest.fixture(params=["mlp", "conv", "two"])
def both(request, tmp_path):
    torch.manual_seed(0)
    cls, make = architectures(torch)[request.param]
    want = logged(str(tmp_path / "torch"), torch_tb.SummaryWriter, cls(), make())
    cls, make = architectures(tg)[request.param]
    got = logged(str(tmp_path / "tg"), SummaryWriter, cls(), make())
    return request.param, want, got


def io_nodes(g):
    return {n.name: [[d.size for d in s.dim] for s in n.attr["_output_shapes"].list.shape]
            for n in g.node if n.op == "IO Node"}


def scope(name):
    return name.rsplit("/", 1)[0]


def op_scopes(g):
    return {scope(n.name) for n in g.node if n.op.startswith("aten::")}


def params(g, torch_layout):
    """(module scope, attribute) of each parameter node. PyTorch files one as
    ``<scope>/<attr>/<value name>``, tensorgraft as ``<scope>/<attr>``."""
    out = set()
    for n in g.node:
        if n.op == "prim::GetAttr":
            attr = re.fullmatch(r"\{ name : +(\w+) \}", n.attr["attr"].s.decode()).group(1)
            if attr not in _BUFFERS:
                out.add((n.name.rsplit("/", 2 if torch_layout else 1)[0], attr))
    return out


def scope_flow(g):
    """The data flow between module scopes: (from, to) for every edge of an op, a container
    construct or an IO node that crosses a scope (IO nodes count as their own scope). Constants,
    list constructs feeding an op's arguments and parameter reads are not data flow."""
    kept = {n.name: n for n in g.node
            if n.op.startswith("aten::") or n.op in ("IO Node", "prim::TupleConstruct", "prim::PythonOp")}

    def group(n):
        return n.name if n.op == "IO Node" else scope(n.name)

    flow = set()
    for n in kept.values():
        for i in n.input:
            src = kept.get(i.split(":")[0])
            if src is not None and group(src) != group(n):
                flow.add((group(src), group(n)))
    return flow


def test_io_nodes_match(both):
    name, (want, _), (got, _) = both
    w, g = io_nodes(want), io_nodes(got)
    assert set(w) == set(g)  # the unused third input of "two" is left out by both
    if name == "conv":
        del w["output/output.1"], g["output/output.1"]  # a tuple: PyTorch's placeholder [1], none here
    assert w == g


def test_module_scopes_of_ops_match(both):
    _, (want, _), (got, _) = both
    assert op_scopes(want) == op_scopes(got)


def test_parameters_per_scope_match(both):
    _, (want, _), (got, _) = both
    assert params(want, True) == params(got, False)


def test_data_flow_between_scopes_matches(both):
    _, (want, _), (got, _) = both
    assert scope_flow(want) == scope_flow(got)


def test_output_feeder_and_metadata_match(both):
    _, (want, want_meta), (got, got_meta) = both

    def feeder(g):
        """The scope of the node feeding the output, and its op (any ATen op counts as one: the
        trace's ``aten::linear`` is autograd's ``aten::addmm``)."""
        nodes = {n.name: n for n in g.node}
        (src,) = nodes["output/output.1"].input
        op = nodes[src].op
        return scope(src), "aten::*" if op.startswith("aten::") else op

    assert feeder(want) == feeder(got)
    assert want_meta == got_meta
    assert want.versions == got.versions
