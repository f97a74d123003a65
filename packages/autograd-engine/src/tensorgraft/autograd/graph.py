"""The autograd graph as a picture: ``to_dot(tensor)`` gives Graphviz DOT source (the DAG of the
autograd tutorial); ``render(tensor, path)`` writes PNG/SVG when Graphviz's ``dot`` is installed.

Also the rest of ``torch.autograd.graph``: ``Node`` (the node base class, for ``isinstance``
checks), ``GradientEdge`` / ``get_gradient_edge``, ``register_multi_grad_hook``,
``increment_version``, ``allow_mutation_on_saved_tensors`` and the saved-tensor hooks
(``saved_tensors_hooks``, ``save_on_cpu``, ``disable_saved_tensors_hooks``).
"""
from __future__ import annotations

import shutil
import subprocess
import weakref

from tensorgraft.tensor import Tensor

from . import engine
from .engine import AccumulateGrad, GradientEdge, Node  # noqa: F401
from .graph_policies import region_activation_memory_budget  # noqa: F401
from .saved_hooks import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks  # noqa: F401


# --------------------------------------------------------------------------- edges and versions
def get_gradient_edge(tensor):
    """The graph input that stands for ``tensor``'s gradient (its node and output number): pass
    it to ``autograd.grad`` as an input to get the gradient flowing into that node."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    if tensor.grad_fn is None:
        return GradientEdge(engine.accumulator(tensor), 0)
    return GradientEdge(tensor.grad_fn, tensor._output_nr)


def increment_version(tensor):
    """Bump the version counter of ``tensor`` (or of each tensor in an iterable), as an in-place
    change that autograd could not see would: saved copies of it then fail the version check."""
    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    elif not hasattr(tensor, "__iter__"):
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
    for t in tensor:
        if not isinstance(t, Tensor):
            raise RuntimeError("increment_version expects each element of the iterable to be a tensor")
        vc = t._vc
        if vc.__class__ is list:  # inference tensors have no version counter
            vc[0] += 1


# --------------------------------------------------------------------------- multi-grad hooks
class _MultiHandle:
    """The handle ``register_multi_grad_hook`` returns: ``remove()`` removes the hook from every tensor."""

    def __init__(self, handles):
        self.handles = tuple(handles)

    def remove(self):
        for h in self.handles:
            h.remove()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """``mode="all"``: ``fn(grads)`` once per backward pass, after the gradient of every tensor in
    ``tensors`` that this pass reaches has been computed (a list, ``None`` for the others).
    ``mode="any"``: ``fn(grad)`` once per pass, with the first of those gradients computed. What
    ``fn`` returns is ignored."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    tensors = tuple(tensors)
    for t in tensors:
        if not t.requires_grad:
            raise AssertionError("Expected gradient function to be set")
    state = weakref.WeakKeyDictionary()  # backward pass -> what this hook has seen in it
    # The hooks keep the tensors' nodes, not the tensors (a leaf: a weak reference, its accumulator
    # is looked up when a pass runs): a hook registered on every module output (``ModuleTracker``)
    # must not keep those outputs alive, as PyTorch's does not.
    places = [(t.grad_fn, None) if t.grad_fn is not None else (None, weakref.ref(t)) for t in tensors]

    def node_of(place):
        fn, leaf_ref = place
        if fn is not None:
            return fn
        leaf = leaf_ref()
        return engine.existing_node(leaf) if leaf is not None else None

    def make(i):
        def hook(grad):
            current = engine.passes[-1]
            if mode == "any":
                if current not in state:
                    state[current] = True
                    fn(grad)
                return None
            seen = state.get(current)
            if seen is None:
                expected = sum(1 for place in places if node_of(place) in current.nodes)
                seen = state[current] = [[None] * len(places), 0, expected]
            seen[0][i] = grad
            seen[1] += 1
            if seen[1] == seen[2]:
                del state[current]
                fn(seen[0])
            return None
        return hook
    handles = [t.register_hook(make(i)) for i, t in enumerate(tensors)]
    del tensors  # (the hooks' closures see ``places`` only)
    return _MultiHandle(handles)


# --------------------------------------------------------------------------- allow_mutation_on_saved_tensors
_mutation_context = []


class _AllowMutationOnSavedContext(saved_tensors_hooks):
    """Inside this block, tensors saved for backward may be modified in place afterwards: each is
    kept as a copy of its value when saved (PyTorch copies lazily, on the first in-place write;
    the gradients are the same), and that graph's backward must run inside the same block."""

    def __init__(self):
        self._open = False
        super().__init__(self._pack, self._unpack)

    def _pack(self, t):
        return self, t.detach().clone()

    @staticmethod
    def _unpack(packed):
        ctx, t = packed
        if not ctx._open:
            raise AssertionError("Trying to backward outside of the 'allow_mutation_on_saved_tensors' contextin which "
                                 "the graph was originally recorded.")
        return t

    def __enter__(self):
        if _mutation_context:
            raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
        super().__enter__()
        self._open = True
        _mutation_context.append(self)
        return self

    def __exit__(self, *exc):
        self._open = False
        _mutation_context.pop()
        return super().__exit__(*exc)


def allow_mutation_on_saved_tensors():
    """A context in which tensors saved for backward may be mutated in place (see
    ``_AllowMutationOnSavedContext``)."""
    return _AllowMutationOnSavedContext()


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
