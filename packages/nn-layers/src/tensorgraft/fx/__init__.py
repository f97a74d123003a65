"""``tensorgraft.fx`` (PyTorch's ``torch.fx``): capture a program as a graph of operations, change
the graph, and run it again as Python code.

    gm = fx.symbolic_trace(model)   # tracer.py: run forward on Proxies (proxy.py), record Nodes
    print(gm.graph)                 # graph.py / node.py: the IR, printed as PyTorch prints it
    print(gm.code)                  # codegen.py: the generated forward, PyTorch's text
    fx.Interpreter(gm).run(x)       # interpreter.py: run a graph node by node

GraphModule (graph_module.py) is an ``nn.Module``, which is why fx ships with tensorgraft-nn.
Not provided: ``torch.fx.experimental`` (proxy-tensor/make_fx tracing, symbolic shapes), fake-tensor
modes, pytree-structured ``concrete_args`` (docs/user-guide/differences.md).
"""
from __future__ import annotations

from . import tracer as _symbolic_trace  # PyTorch's module name: generated code names it
from .graph import CodeGen, Graph, PythonCode
from .graph_module import GraphModule
from .interpreter import Interpreter, Transformer
from .node import Node, has_side_effect, map_arg
from .proxy import Proxy, TraceError
from .subgraph_rewriter import replace_pattern
from .tracer import PH, Tracer, symbolic_trace, wrap
from ._functional_forms import name_pytorch_aliases as _name_pytorch_aliases

_name_pytorch_aliases()

__all__ = ["symbolic_trace", "Tracer", "wrap", "Graph", "GraphModule", "Interpreter", "Transformer", "Node",
           "Proxy", "replace_pattern", "has_side_effect", "map_arg"]


del annotations
