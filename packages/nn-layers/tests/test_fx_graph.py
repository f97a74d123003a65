"""The fx Graph IR: building graphs by hand, printing nodes and graphs, users and inputs, inserting,
replacing, erasing (and PyTorch's error when users remain), dead-code elimination, copying, lint
errors and immutable arguments. Expected strings: PyTorch 2.13's output for the same code (run with
``torch`` in place of ``tensorgraft``)."""
import copy
import operator

import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import fx


def build():
    g = fx.Graph()
    x = g.placeholder("x")
    y = g.placeholder("y", default_value=2)
    s = g.call_function(torch.sin, (x,))
    c = g.call_method("cos", (x,))
    a = g.call_function(operator.add, (x, y))
    m = g.call_function(torch.mul, (a, a), {"out": None})
    g.output((m, [a, {"k": y}]))
    return g, (x, y, s, c, a, m)


def surgery():
    g, (x, y, s, c, a, m) = build()
    before = str(g)
    removed = g.eliminate_dead_code()
    with g.inserting_before(m):
        r = g.call_function(F.relu, (a,), {"inplace": False})
    m.replace_input_with(a, r)
    with g.inserting_after(r):
        t = g.call_method("sum", (r,), {"dim": 0})
    users = a.replace_all_uses_with(t, delete_user_cb=lambda n: n.op == "output")
    return g, before, removed, users


# ---- what PyTorch 2.13 prints for the same code (generated with torch, pasted here) ----
BUILD_GRAPH = "graph():\n    %x : [num_users=3] = placeholder[target=x]\n    %y : [num_users=2] = placeholder[target=y](default=2)\n    %sin : [num_users=0] = call_function[target=torch.sin](args = (%x,), kwargs = {})\n    %cos : [num_users=0] = call_method[target=cos](args = (%x,), kwargs = {})\n    %add : [num_users=2] = call_function[target=operator.add](args = (%x, %y), kwargs = {})\n    %mul : [num_users=1] = call_function[target=torch.mul](args = (%add, %add), kwargs = {out: None})\n    return (mul, [add, {'k': y}])"
BUILD_CODE = "\n\n\ndef forward(self, x, y = 2):\n    sin = torch.sin(x);  sin = None\n    cos = x.cos();  cos = None\n    add = x + y;  x = None\n    mul = torch.mul(add, add, out = None)\n    return (mul, [add, {'k': y}])\n    "
BUILD_FORMAT = ['%x : [num_users=3] = placeholder[target=x]', '%y : [num_users=2] = placeholder[target=y](default=2)', '%sin : [num_users=0] = call_function[target=torch.sin](args = (%x,), kwargs = {})', '%cos : [num_users=0] = call_method[target=cos](args = (%x,), kwargs = {})', '%add : [num_users=2] = call_function[target=operator.add](args = (%x, %y), kwargs = {})', '%mul : [num_users=1] = call_function[target=torch.mul](args = (%add, %add), kwargs = {out: None})', "return (mul, [add, {'k': y}])"]
BUILD_USERS = [('x', ['sin', 'cos', 'add'], []), ('y', ['add', 'output'], []), ('sin', [], ['x']), ('cos', [], ['x']), ('add', ['mul', 'output'], ['x', 'y']), ('mul', ['output'], ['add']), ('output', [], ['mul', 'add', 'y'])]
SURGERY_BEFORE = "graph():\n    %x : [num_users=3] = placeholder[target=x]\n    %y : [num_users=2] = placeholder[target=y](default=2)\n    %sin : [num_users=0] = call_function[target=torch.sin](args = (%x,), kwargs = {})\n    %cos : [num_users=0] = call_method[target=cos](args = (%x,), kwargs = {})\n    %add : [num_users=2] = call_function[target=operator.add](args = (%x, %y), kwargs = {})\n    %mul : [num_users=1] = call_function[target=torch.mul](args = (%add, %add), kwargs = {out: None})\n    return (mul, [add, {'k': y}])"
SURGERY_REMOVED = True
SURGERY_USERS = ['output']
SURGERY_GRAPH = "graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %y : [num_users=2] = placeholder[target=y](default=2)\n    %add : [num_users=1] = call_function[target=operator.add](args = (%x, %y), kwargs = {})\n    %relu : [num_users=2] = call_function[target=torch.nn.functional.relu](args = (%add,), kwargs = {inplace: False})\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%relu,), kwargs = {dim: 0})\n    %mul : [num_users=1] = call_function[target=torch.mul](args = (%relu, %relu), kwargs = {out: None})\n    return (mul, [sum_1, {'k': y}])"
SURGERY_CODE = "\n\n\ndef forward(self, x, y = 2):\n    add = x + y;  x = None\n    relu = torch.nn.functional.relu(add, inplace = False);  add = None\n    sum_1 = relu.sum(dim = 0)\n    mul = torch.mul(relu, relu, out = None);  relu = None\n    return (mul, [sum_1, {'k': y}])\n    "
ERASE_MESSAGE = 'Tried to erase Node add but it still had 1 users in the graph: {relu: None}!'
COPY_GRAPH = "graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %y : [num_users=2] = placeholder[target=y](default=2)\n    %add : [num_users=1] = call_function[target=operator.add](args = (%x, %y), kwargs = {})\n    %relu : [num_users=2] = call_function[target=torch.nn.functional.relu](args = (%add,), kwargs = {inplace: False})\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%relu,), kwargs = {dim: 0})\n    %mul : [num_users=1] = call_function[target=torch.mul](args = (%relu, %relu), kwargs = {out: None})\n    return (mul, [sum_1, {'k': y}])"
DEEPCOPY_GRAPH = "graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %y : [num_users=2] = placeholder[target=y](default=2)\n    %add : [num_users=1] = call_function[target=operator.add](args = (%x, %y), kwargs = {})\n    %relu : [num_users=2] = call_function[target=torch.nn.functional.relu](args = (%add,), kwargs = {inplace: False})\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%relu,), kwargs = {dim: 0})\n    %mul : [num_users=1] = call_function[target=torch.mul](args = (%relu, %relu), kwargs = {out: None})\n    return (mul, [sum_1, {'k': y}])"
LINT_FOREIGN = "Argument 'z' of Node 'neg' does not belong to this Graph, but was used as an argument! If you are copying nodes from another graph, make sure to use ``arg_transform`` on node_copy() to remap values\ngraph():\n    %x : [num_users=0] = placeholder[target=x]\n    %neg : [num_users=1] = call_function[target=operator.neg](args = (%z,), kwargs = {})\n    return neg"
LINT_ORDER = "Argument 'x' of Node 'neg' was used before it has been defined! Please check that Nodes in the graph are topologically ordered\ngraph():\n    %neg : [num_users=0] = call_function[target=operator.neg](args = (%x,), kwargs = {})\n    %x : [num_users=2] = placeholder[target=x]\n    return x"
IMMUTABLE_MESSAGE = "'immutable_dict' object does not support mutation. If you are attempting to modify the kwargs or args of a torch.fx.Node object,\ninstead create a new copy of it and assign the copy to the node:\n\n    new_args = ...  # copy and mutate args\n    node.args = new_args"


def test_built_graph_prints_as_pytorch():
    g, _ = build()
    assert str(g) == BUILD_GRAPH
    assert g.python_code("self").src == BUILD_CODE
    assert [n.format_node() for n in g.nodes] == BUILD_FORMAT
    assert [(n.name, [u.name for u in n.users], [i.name for i in n.all_input_nodes]) for n in g.nodes] == BUILD_USERS
    assert [repr(n) for n in g.nodes] == ["x", "y", "sin", "cos", "add", "mul", "output"]
    assert len(g.nodes) == 7 and g.output_node().op == "output"
    assert [n.name for n in reversed(g.nodes)][:2] == ["output", "mul"]
    assert [n.name for n in g.find_nodes(op="placeholder")] == ["x", "y"]


def test_surgery_dead_code_and_replacing():
    g, before, removed, users = surgery()
    assert before == SURGERY_BEFORE
    assert removed == SURGERY_REMOVED
    assert [u.name for u in users] == SURGERY_USERS
    assert str(g) == SURGERY_GRAPH
    assert g.python_code("self").src == SURGERY_CODE
    assert g.eliminate_dead_code() is False
    g.lint()


def test_erase_node_with_users_fails_as_pytorch():
    g, *_ = surgery()
    add = next(n for n in g.nodes if n.name == "add")
    with pytest.raises(RuntimeError) as info:
        g.erase_node(add)
    assert str(info.value) == ERASE_MESSAGE
    # without users it goes, and its inputs lose it as a user
    g2, (x, y, s, c, a, m) = build()
    g2.erase_node(s)
    assert s not in x.users and "sin" not in [n.name for n in g2.nodes]
    with pytest.warns(UserWarning, match="on an already erased node"):
        g2.erase_node(s)


def test_copies():
    g, *_ = surgery()
    g3 = fx.Graph()
    val_map = {}
    g3.output(g3.graph_copy(g, val_map))
    assert str(g3) == COPY_GRAPH
    assert set(val_map) == {n for n in g.nodes if n.op != "output"}
    assert str(copy.deepcopy(g)) == DEEPCOPY_GRAPH
    new = fx.Graph()
    x = new.placeholder("x")
    relu = next(n for n in g.nodes if n.name == "relu")
    copied = new.node_copy(relu, lambda n: x)
    assert (copied.name, copied.target, copied.args, dict(copied.kwargs)) == ("relu", F.relu, (x,), {"inplace": False})


def test_lint_errors():
    g5 = fx.Graph()
    g5.placeholder("x")
    other = fx.Graph().placeholder("z")
    g5.output(g5.call_function(operator.neg, (other,)))
    with pytest.raises(RuntimeError) as info:
        g5.lint()
    assert str(info.value) == LINT_FOREIGN
    g6 = fx.Graph()
    x6 = g6.placeholder("x")
    g6.output(x6)
    with g6.inserting_before(x6):
        g6.call_function(operator.neg, (x6,))
    with pytest.raises(RuntimeError) as info:
        g6.lint()
    assert str(info.value) == LINT_ORDER


def test_arguments_are_immutable():
    g, (x, y, s, c, a, m) = build()
    with pytest.raises(TypeError) as info:
        m.kwargs["out"] = 1
    assert str(info.value) == IMMUTABLE_MESSAGE
    m.kwargs = {}
    m.args = (a, y)
    assert [u.name for u in y.users] == ["add", "output", "mul"]
    m.update_arg(1, x)
    assert m.args == (a, x) and m in x.users and m not in y.users


def test_node_names_avoid_builtins_and_repeat_with_suffixes():
    g = fx.Graph()
    x = g.placeholder("x")
    names = [g.call_method("sum", (x,)).name, g.call_method("sum", (x,)).name,
             g.call_function(operator.add, (x, x)).name, g.call_function(operator.add, (x, x)).name,
             g.create_node("call_function", torch.relu, (x,), name="myName").name, g.placeholder("list").name]
    assert names == ["sum_1", "sum_2", "add", "add_1", "myName", "list_1"]


def test_graph_runs_through_graph_module():
    g, *_ = surgery()
    gm = fx.GraphModule(nn.Module(), g)
    x = torch.tensor([-1.0, 2.0])
    mul, (total, extra) = gm(x)
    relu = torch.relu(x + 2)
    assert torch.equal(mul, relu * relu) and torch.equal(total, relu.sum(dim=0)) and extra == {"k": 2}


def test_print_tabular_needs_tabulate(capsys):
    g, *_ = build()
    try:
        import tabulate  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError):
            g.print_tabular()
        assert "`print_tabular` relies on the library `tabulate`" in capsys.readouterr().out
    else:
        g.print_tabular()
        lines = capsys.readouterr().out.splitlines()
        assert lines[0].split() == ["opcode", "name", "target", "args", "kwargs"]
        assert lines[2].split() == ["placeholder", "x", "x", "()", "{}"]


def inplace_steps(x, y):
    x += 1
    y *= x
    x.add_(2)
    z = x.clone()
    return z, x.size(), x.dim(), x.numel(), x.T, F.relu(y, inplace=True)


# PyTorch 2.13: method calls (``add_`` too) count as pure, so dead-code elimination drops the unused
# ``add_`` node; ``operator.setitem``, random functions and ``has_side_effect`` functions are kept
INPLACE_IMPURE = [True, True, False, False, False, False, False, False, False, False, False, True]
INPLACE_CODE = ("\n\n\ndef forward(self, x, y):\n    add = x + 1;  x = None\n    mul = y * add;  y = None\n"
                "    add_ = add.add_(2);  add_ = None\n    clone = add.clone()\n    size = add.size()\n"
                "    dim = add.dim()\n    numel = add.numel()\n"
                "    relu = torch.nn.functional.relu(mul, inplace = True);  mul = None\n"
                "    getattr_1 = add.T;  add = None\n    return (clone, size, dim, numel, getattr_1, relu)\n    ")


def test_purity_and_dead_code_elimination():
    gm = fx.symbolic_trace(inplace_steps)
    assert gm.code == INPLACE_CODE
    assert [n.is_impure() for n in gm.graph.nodes] == INPLACE_IMPURE
    assert gm.graph.eliminate_dead_code() is True and len(gm.graph.nodes) == 11
    g = fx.Graph()
    x = g.placeholder("x")

    @fx.has_side_effect
    def log(value):
        return None
    kept = [g.call_function(operator.setitem, (x, 0, 1.0)), g.call_function(torch.randn_like, (x,)),
            g.call_function(log, (x,))]
    g.call_function(torch.relu, (x,))
    g.output(x)
    assert [n.is_impure() for n in g.nodes] == [True, True, True, True, False, True]
    assert g.eliminate_dead_code() is True
    assert [n for n in g.nodes if n.op == "call_function"] == kept
