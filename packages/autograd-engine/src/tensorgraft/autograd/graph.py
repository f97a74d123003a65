"""The autograd graph as a picture: ``to_dot(tensor)`` gives Graphviz DOT source (the DAG of the
autograd tutorial); ``render(tensor, path)`` writes PNG/SVG when Graphviz's ``dot`` is installed.

Also ``Node`` (the node base class), for ``isinstance`` checks as in ``torch.autograd.graph``, and
the saved-tensor hooks (``saved_tensors_hooks``, ``save_on_cpu``, ``disable_saved_tensors_hooks``).
"""
from __future__ import annotations

import contextlib
import shutil
import subprocess

from tensorgraft.tensor import Tensor

from . import engine
from .engine import AccumulateGrad, Node  # noqa: F401


class saved_tensors_hooks:
    """Inside this block, each tensor a new graph node saves for its backward is passed to
    ``pack_hook`` and the node keeps what that returns; ``unpack_hook`` turns it back into a
    tensor when backward needs it. Which tensors a node saves is up to its gradient formula,
    so it can differ from PyTorch's choice for the same op."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if engine.hooks_disabled:
            raise RuntimeError(engine.hooks_disabled[-1])
        engine.saved_hooks.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc):
        engine.saved_hooks.pop()
        return False


class save_on_cpu(saved_tensors_hooks):
    """Keep saved tensors in host memory and move them back to their device in backward (a
    CPU tensor is kept as it is). ``pin_memory`` is accepted: NumPy memory needs no pinning."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda"):
        def pack(t):
            return (t.device, t if t.device.type == "cpu" else t.cpu())

        def unpack(packed):
            device, t = packed
            return t if t.device == device else t.to(device)
        super().__init__(pack, unpack)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside this block, entering ``saved_tensors_hooks`` raises RuntimeError(error_message)."""
    engine.hooks_disabled.append(error_message)
    try:
        yield
    finally:
        engine.hooks_disabled.pop()


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
