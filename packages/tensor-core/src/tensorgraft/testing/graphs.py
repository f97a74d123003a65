"""Describe autograd graphs and their saved values as plain data, so a test can compare them with
what PyTorch 2.13 records (measured once with PyTorch, hard-coded in the test): the helpers of
tensorgraft's graph-parity and saved-attribute tests, usable by plugin authors for their ops' nodes.

Nothing here imports the autograd engine: ``graph_text`` reads ``grad_fn``/``next_functions``, and
``check_saved_attributes`` reads a node's ``_saved_*`` attributes."""
from __future__ import annotations

import numpy as np

__all__ = ["graph_text", "saved_value", "check_saved_attributes"]


def graph_text(fn, limit=40) -> str:
    """Breadth-first walk of the graph from node ``fn``: ``Name[edge names]`` per node (at most
    ``limit`` nodes), joined by spaces — PyTorch's and tensorgraft's graphs give the same string
    when they record the same nodes and edges."""
    seen, order, queue = set(), [], [fn]
    while queue and len(order) < limit:
        f = queue.pop(0)
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        order.append(f)
        queue.extend(nf for nf, _ in f.next_functions)
    name = (lambda f: "None" if f is None else f.name().replace("torch::autograd::", ""))
    return " ".join(f"{name(f)}[{','.join(name(nf) for nf, _ in f.next_functions)}]" for f in order)


def saved_value(v):
    """A saved value as comparable data: a tensor is ``("T", shape, dtype name, values rounded to
    6 places or None beyond 6 elements)``, a tuple element-wise, anything else itself."""
    if hasattr(v, "shape") and hasattr(v, "dtype"):
        vals = np.asarray(v.detach().tolist()).round(6).tolist() if v.numel() <= 6 else None
        return ("T", tuple(v.shape), str(v.dtype).split(".")[-1], vals)
    if isinstance(v, tuple):
        return tuple(saved_value(e) for e in v)
    return v


def check_saved_attributes(fn, node_name, names, not_shown_yet=frozenset()):
    """Assert that node ``fn`` is a ``node_name`` showing exactly the ``_saved_<name>`` attributes
    of ``names`` (name -> expected ``saved_value``; tensors compared to 2e-6), less those in
    ``not_shown_yet``."""
    assert type(fn).__name__ == node_name
    got = sorted(n for n in dir(fn) if n.startswith("_saved_"))
    assert got == sorted("_saved_" + n for n in names if n not in not_shown_yet)
    for n, want in names.items():
        if n in not_shown_yet:
            continue
        have = saved_value(getattr(fn, "_saved_" + n))
        if isinstance(want, tuple) and want and want[0] == "T":
            assert have[:3] == want[:3], n
            if want[3] is not None:
                np.testing.assert_allclose(have[3], want[3], atol=2e-6, err_msg=n)
        else:
            assert have == want and type(have) is type(want), (n, have, want)
