"""Proxies and the Tracer: operators (reflected too), unpacking, ``fx.wrap``, autowrapped ``math``
functions, ``*args``, tensor constants, parameters read in ``forward``, leaf-module policy, and the
errors PyTorch raises for control flow on traced values. Expected strings: PyTorch 2.13's output for
the same code (run with ``torch`` in place of ``tensorgraft``; ``proxy_t`` was that module's name)."""
import re

import math

import pytest

import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft import fx


def clamp_twice(x):
    return torch.clamp(x, 0, 1) * 2


fx.wrap("clamp_twice")
fx.wrap("len")


def uses_wrapped(x):
    return clamp_twice(x) + len(x)


def unpack_and_reflect(x):
    a, b = x
    return 1 + a, 2 * b, 3 - a, 4 / b, 2 ** a, a ** 2, b // 2, abs(a), ~(a > 0), a @ b, a % 3


def star_args(x, *args, **kwargs):
    return x + args[0]


def tensor_constant(x):
    return x + torch.tensor([1.0, 2.0])


def uses_math(x):
    return x * math.sqrt(x.size(0))


class Leafy(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
        self.t = torch.ones(2)

    def forward(self, x):
        return self.inner(x) + self.t + self.inner[0].weight.sum()


class KeepSequential(fx.Tracer):
    def is_leaf_module(self, m, qualname):
        return isinstance(m, nn.Sequential) or super().is_leaf_module(m, qualname)


# ---- what PyTorch 2.13 prints for the same code (generated with torch, pasted here) ----
WRAPPED_GRAPH = 'graph():\n    %x : [num_users=2] = placeholder[target=x]\n    %clamp_twice : [num_users=1] = call_function[target=proxy_t.clamp_twice](args = (%x,), kwargs = {})\n    %len_1 : [num_users=1] = call_function[target=builtins.len](args = (%x,), kwargs = {})\n    %add : [num_users=1] = call_function[target=operator.add](args = (%clamp_twice, %len_1), kwargs = {})\n    return add'
WRAPPED_CODE = '\ntorch.fx._symbolic_trace.wrap("proxy_t_clamp_twice")\ntorch.fx._symbolic_trace.wrap("len")\n\ndef forward(self, x):\n    clamp_twice = proxy_t_clamp_twice(x)\n    len_1 = len(x);  x = None\n    add = clamp_twice + len_1;  clamp_twice = len_1 = None\n    return add\n    '

UNPACK_GRAPH = 'graph():\n    %x : [num_users=2] = placeholder[target=x]\n    %getitem : [num_users=8] = call_function[target=operator.getitem](args = (%x, 0), kwargs = {})\n    %getitem_1 : [num_users=4] = call_function[target=operator.getitem](args = (%x, 1), kwargs = {})\n    %add : [num_users=1] = call_function[target=operator.add](args = (1, %getitem), kwargs = {})\n    %mul : [num_users=1] = call_function[target=operator.mul](args = (2, %getitem_1), kwargs = {})\n    %sub : [num_users=1] = call_function[target=operator.sub](args = (3, %getitem), kwargs = {})\n    %truediv : [num_users=1] = call_function[target=operator.truediv](args = (4, %getitem_1), kwargs = {})\n    %pow_1 : [num_users=1] = call_function[target=operator.pow](args = (2, %getitem), kwargs = {})\n    %pow_2 : [num_users=1] = call_function[target=operator.pow](args = (%getitem, 2), kwargs = {})\n    %floordiv : [num_users=1] = call_function[target=operator.floordiv](args = (%getitem_1, 2), kwargs = {})\n    %abs_1 : [num_users=1] = call_function[target=operator.abs](args = (%getitem,), kwargs = {})\n    %gt : [num_users=1] = call_function[target=operator.gt](args = (%getitem, 0), kwargs = {})\n    %invert : [num_users=1] = call_function[target=operator.invert](args = (%gt,), kwargs = {})\n    %matmul : [num_users=1] = call_function[target=operator.matmul](args = (%getitem, %getitem_1), kwargs = {})\n    %mod : [num_users=1] = call_function[target=operator.mod](args = (%getitem, 3), kwargs = {})\n    return (add, mul, sub, truediv, pow_1, pow_2, floordiv, abs_1, invert, matmul, mod)'
UNPACK_CODE = '\n\n\ndef forward(self, x):\n    getitem = x[0]\n    getitem_1 = x[1];  x = None\n    add = 1 + getitem\n    mul = 2 * getitem_1\n    sub = 3 - getitem\n    truediv = 4 / getitem_1\n    pow_1 = 2 ** getitem\n    pow_2 = getitem ** 2\n    floordiv = getitem_1 // 2\n    abs_1 = _operator_abs(getitem)\n    gt = getitem > 0\n    invert = ~gt;  gt = None\n    matmul = getitem @ getitem_1;  getitem_1 = None\n    mod = getitem % 3;  getitem = None\n    return (add, mul, sub, truediv, pow_1, pow_2, floordiv, abs_1, invert, matmul, mod)\n    '

STAR_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %_args : [num_users=1] = placeholder[target=*args]\n    %_kwargs : [num_users=0] = placeholder[target=**kwargs]\n    %getitem : [num_users=1] = call_function[target=operator.getitem](args = (%_args, 0), kwargs = {})\n    %add : [num_users=1] = call_function[target=operator.add](args = (%x, %getitem), kwargs = {})\n    return add'
STAR_CODE = '\n\n\ndef forward(self, x, *args, **kwargs):\n    _args = args\n    _kwargs = kwargs\n    getitem = _args[0];  _args = None\n    add = x + getitem;  x = getitem = None\n    return add\n    '

CONSTANT_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %_tensor_constant0 : [num_users=1] = get_attr[target=_tensor_constant0]\n    %add : [num_users=1] = call_function[target=operator.add](args = (%x, %_tensor_constant0), kwargs = {})\n    return add'
CONSTANT_CODE = '\n\n\ndef forward(self, x):\n    _tensor_constant0 = self._tensor_constant0\n    add = x + _tensor_constant0;  x = _tensor_constant0 = None\n    return add\n    '

MATH_GRAPH = 'graph():\n    %x : [num_users=2] = placeholder[target=x]\n    %size : [num_users=1] = call_method[target=size](args = (%x, 0), kwargs = {})\n    %sqrt : [num_users=1] = call_function[target=math.sqrt](args = (%size,), kwargs = {})\n    %mul : [num_users=1] = call_function[target=operator.mul](args = (%x, %sqrt), kwargs = {})\n    return mul'
MATH_CODE = '\ntorch.fx._symbolic_trace.wrap("math_sqrt")\n\ndef forward(self, x):\n    size = x.size(0)\n    sqrt = math_sqrt(size);  size = None\n    mul = x * sqrt;  x = sqrt = None\n    return mul\n    '

LEAFY_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %inner_0 : [num_users=1] = call_module[target=inner.0](args = (%x,), kwargs = {})\n    %inner_1 : [num_users=1] = call_module[target=inner.1](args = (%inner_0,), kwargs = {})\n    %t : [num_users=1] = get_attr[target=t]\n    %add : [num_users=1] = call_function[target=operator.add](args = (%inner_1, %t), kwargs = {})\n    %inner_0_weight : [num_users=1] = get_attr[target=inner.0.weight]\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%inner_0_weight,), kwargs = {})\n    %add_1 : [num_users=1] = call_function[target=operator.add](args = (%add, %sum_1), kwargs = {})\n    return add_1'
LEAFY_CODE = '\n\n\ndef forward(self, x):\n    inner_0 = getattr(self.inner, "0")(x);  x = None\n    inner_1 = getattr(self.inner, "1")(inner_0);  inner_0 = None\n    t = self.t\n    add = inner_1 + t;  inner_1 = t = None\n    inner_0_weight = getattr(self.inner, "0").weight\n    sum_1 = inner_0_weight.sum();  inner_0_weight = None\n    add_1 = add + sum_1;  add = sum_1 = None\n    return add_1\n    '

KEEP_SEQUENTIAL_GRAPH = 'graph():\n    %x : [num_users=1] = placeholder[target=x]\n    %inner : [num_users=1] = call_module[target=inner](args = (%x,), kwargs = {})\n    %t : [num_users=1] = get_attr[target=t]\n    %add : [num_users=1] = call_function[target=operator.add](args = (%inner, %t), kwargs = {})\n    %inner_0_weight : [num_users=1] = get_attr[target=inner.0.weight]\n    %sum_1 : [num_users=1] = call_method[target=sum](args = (%inner_0_weight,), kwargs = {})\n    %add_1 : [num_users=1] = call_function[target=operator.add](args = (%add, %sum_1), kwargs = {})\n    return add_1'
LEAFY_BUFFERS = ['t']


# the wrapped function's qualified name has its module's name in it
_QUALIFIED = f"{__name__}.clamp_twice"
WRAPPED_GRAPH = WRAPPED_GRAPH.replace("proxy_t.clamp_twice", _QUALIFIED)
WRAPPED_CODE = WRAPPED_CODE.replace("proxy_t_clamp_twice", re.sub("[^0-9a-zA-Z_]+", "_", _QUALIFIED))


@pytest.mark.parametrize("fn, graph, code", [
    (uses_wrapped, WRAPPED_GRAPH, WRAPPED_CODE),
    (unpack_and_reflect, UNPACK_GRAPH, UNPACK_CODE),
    (star_args, STAR_GRAPH, STAR_CODE),
    (tensor_constant, CONSTANT_GRAPH, CONSTANT_CODE),
    (uses_math, MATH_GRAPH, MATH_CODE),
])
def test_traced_functions_match_pytorch(fn, graph, code):
    gm = fx.symbolic_trace(fn)
    assert str(gm.graph) == graph
    assert gm.code == code


def test_traced_functions_compute_what_the_originals_do():
    x = torch.tensor([0.5, 3.0])
    assert torch.equal(fx.symbolic_trace(uses_wrapped)(x), uses_wrapped(x))
    m = torch.randn(2, 2, 2)
    for got, want in zip(fx.symbolic_trace(unpack_and_reflect)(m), unpack_and_reflect(m)):
        assert torch.equal(got, want)
    assert torch.equal(fx.symbolic_trace(star_args)(x, x, 1, k=2), x + x)
    assert torch.equal(fx.symbolic_trace(tensor_constant)(x), x + torch.tensor([1.0, 2.0]))
    assert torch.allclose(fx.symbolic_trace(uses_math)(x), x * math.sqrt(2))
    assert math.sqrt(4.0) == 2.0  # (the patch of the math module is undone after tracing)


def test_parameters_buffers_and_plain_tensor_attributes():
    m = Leafy()
    gm = fx.symbolic_trace(m)
    assert str(gm.graph) == LEAFY_GRAPH
    assert gm.code == LEAFY_CODE
    assert sorted(dict(gm.named_buffers())) == LEAFY_BUFFERS  # the plain tensor became a buffer
    x = torch.randn(3, 2)
    assert torch.equal(gm(x), m(x))
    assert gm.get_submodule("inner.0").weight is m.inner[0].weight


def test_tracer_subclass_leaf_policy():
    assert str(KeepSequential().trace(Leafy())) == KEEP_SEQUENTIAL_GRAPH
    tracer = fx.Tracer()
    assert tracer.is_leaf_module(nn.Linear(1, 1), "l")
    assert not tracer.is_leaf_module(nn.Sequential(), "s")
    assert not tracer.is_leaf_module(Leafy(), "m")


def test_proxy_repr_attribute_and_method_nodes():
    g = fx.Graph()
    p = fx.Proxy(g.placeholder("x"))
    assert repr(p) == "Proxy(x)"
    shape = p.shape  # not a node until used
    assert [n.name for n in g.nodes] == ["x"]
    first = shape[0]
    assert [(n.op, n.target if isinstance(n.target, str) else n.target.__name__) for n in g.nodes] == [
        ("placeholder", "x"), ("call_function", "getattr"), ("call_function", "getitem")]
    assert repr(p.view(first, -1)) == "Proxy(view)"
    assert repr(torch.relu(p)) == "Proxy(relu)"
    assert repr(torch.ones(2) + p) == "Proxy(add)"
    added = list(g.nodes)[-1]
    assert (added.op, added.target) == ("call_method", "add")


# PyTorch's messages, word for word
LEN_MESSAGE = ("'len' is not supported in symbolic tracing by default. If you want this call to be recorded, "
               "please call torch.fx.wrap('len') at module scope")
BOOL_MESSAGE = "symbolically traced variables cannot be used as inputs to control flow"
ITER_MESSAGE = ("Proxy object cannot be iterated. This can be attempted when the Proxy is used in a loop or as a "
                "*args or **kwargs function argument. See the torch.fx docs on pytorch.org for a more detailed "
                "explanation of what types of control flow can be traced, and check out the Proxy docstring for help "
                "troubleshooting Proxy iteration errors")


def test_control_flow_on_proxies_raises_pytorchs_errors():
    p = fx.Proxy(fx.Graph().placeholder("x"))
    with pytest.raises(RuntimeError) as info:
        p.__len__()
    assert str(info.value) == LEN_MESSAGE

    def branch(x):
        if x.sum() > 0:
            return x
        return -x
    with pytest.raises(fx.proxy.TraceError) as info:
        fx.symbolic_trace(branch)
    assert str(info.value) == BOOL_MESSAGE
    assert isinstance(info.value, ValueError)

    def loop(x):
        return [y for y in x]
    with pytest.raises(fx.proxy.TraceError) as info:
        fx.symbolic_trace(loop)
    assert str(info.value) == ITER_MESSAGE


def test_concrete_args_errors_and_tuples():
    def f(x, n):
        return x * n
    gm = fx.symbolic_trace(f, concrete_args=(fx.PH, 3))
    assert [n.name for n in gm.graph.nodes] == ["x_1", "n_1", "eq", "_assert", "mul", "output"]
    with pytest.raises(RuntimeError, match="Tracing expected 2 arguments but got 1 concrete arguments"):
        fx.symbolic_trace(f, concrete_args=(3,))


def test_foreign_parameter_and_module_errors():
    stray = nn.Parameter(torch.ones(1))

    class UsesStray(nn.Module):
        def forward(self, x):
            return x + stray
    with pytest.raises(NameError, match="parameter is not a member of this module"):
        fx.symbolic_trace(UsesStray())
    other = nn.ReLU()

    class CallsStray(nn.Module):
        def forward(self, x):
            return other(x)
    with pytest.raises(NameError, match="module is not installed as a submodule"):
        fx.symbolic_trace(CallsStray())


def test_wrap_outside_module_scope_is_refused():
    with pytest.raises(NotImplementedError, match="wrap must be called at the top level of a module"):
        fx.wrap("len")


def test_fx_is_reachable_from_the_top_level():
    import tensorgraft
    assert tensorgraft.fx is fx
    assert "fx" in dir(tensorgraft)
    assert set(fx.__all__) == {"symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter",
                               "Transformer", "Node", "Proxy", "replace_pattern", "has_side_effect", "map_arg"}
