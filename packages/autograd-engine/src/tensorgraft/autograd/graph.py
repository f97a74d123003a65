"""The autograd graph as a picture: ``to_dot(tensor)`` gives Graphviz DOT source (the DAG of the
autograd tutorial); ``render(tensor, path)`` writes PNG/SVG when Graphviz's ``dot`` is installed.

Also ``Node`` (the node base class), for ``isinstance`` checks as in ``torch.autograd.graph``, and
the saved-tensor hooks (``saved_tensors_hooks``, ``save_on_cpu``, ``disable_saved_tensors_hooks``).
"""
from __future__ import annotations

import shutil
import subprocess

from tensorgraft.tensor import Tensor

from .engine import AccumulateGrad, Node  # noqa: F401
from .saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks  # noqa: F401


def _label_tensor(t: Tensor, name=None) -> str:
    shape = "(" + ", ".join(str(s) for s in t.shape) + ")"
    return f"{name}\\n{shape}" if name else shape


def to_dot(*tensors, params=None) -> str:
    """DOT source for the graph behind ``tensors``. ``params``: {name: tensor} to label leaves.
    Leaves are blue, outputs green, op nodes grey, as in the tutorial's figure."""
    names = {id(t): n for n, t in (params or {}).items()}
    lines = ["digraph autograd {", '  node [style=filled, shape=box, fontname="monospace", fontsize=10];',
             "  rankdir=BT;"]
    seen = set()
    stack = []
    for i, t in enumerate(tensors):
        tid = f"out{i}"
        lines.append(f'  {tid} [label="{_label_tensor(t, names.get(id(t)))}", fillcolor="darkolivegreen1"];')
        if t.grad_fn is not None:
            lines.append(f"  {_nid(t.grad_fn)} -> {tid};")
            stack.append(t.grad_fn)
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, AccumulateGrad):
            v = n.variable
            lines.append(f'  {_nid(n)} [label="{_label_tensor(v, names.get(id(v)))}", fillcolor="lightblue"];')
        else:
            lines.append(f'  {_nid(n)} [label="{type(n).__name__}", fillcolor="lightgrey"];')
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            lines.append(f"  {_nid(nxt)} -> {_nid(n)};")
            stack.append(nxt)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nid(n) -> str:
    return f"n{id(n):x}"


def render(tensor, path: str, format: str | None = None, params=None) -> str:  # noqa: A002
    """Write the graph picture with Graphviz (``dot``); the format comes from the file suffix."""
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("rendering needs Graphviz's 'dot' program (e.g. apt-get install graphviz); "
                           "to_dot() gives the DOT source without it")
    fmt = format or path.rsplit(".", 1)[-1]
    subprocess.run([dot, f"-T{fmt}", "-o", path], input=to_dot(tensor, params=params).encode(), check=True)
    return path
