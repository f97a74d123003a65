"""Which nodes the backward pass runs and in which order: dependency counting, pruning to the
nodes that lead to requested inputs, the per-node gradient buffers, and the ready queue."""
from __future__ import annotations

from .leaf_grads import _SPARSE_DATA


def _count_deps(roots):
    """Number of incoming edges of every node reachable from ``roots`` (iterative DFS)."""
    deps = {}
    stack = []
    for r in roots:
        if r not in deps:
            deps[r] = 0
            stack.append(r)
    get = deps.get
    while stack:
        n = stack.pop()
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            c = get(nxt)
            if c is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = c + 1
    return deps


def _prune(deps, roots, targets):
    """For ``inputs=``/``autograd.grad``: keep the nodes from which a target can be reached.
    Returns (dependency counts among them, the nodes worth executing)."""
    indeg = dict(deps)
    order = []
    stack = [r for r in dict.fromkeys(roots) if indeg[r] == 0]
    while stack:  # Kahn's algorithm: a topological order
        n = stack.pop()
        order.append(n)
        for nxt, _ in n.next_functions:
            if nxt is not None:
                c = indeg[nxt] - 1
                indeg[nxt] = c
                if c == 0:
                    stack.append(nxt)
    reach = set()
    runs = set()
    for n in reversed(order):
        if any(nxt in reach for nxt, _ in n.next_functions):
            runs.add(n)
            reach.add(n)
        elif n in targets:
            reach.add(n)
    new_deps = dict.fromkeys(reach, 0)
    for n in runs:
        for nxt, _ in n.next_functions:
            if nxt in reach:
                new_deps[nxt] += 1
    return new_deps, runs


def _add_to_buffer(buffers, node, nr, g):
    n_out = node._num_outputs
    if n_out == 1:
        cur = buffers.get(node)
        buffers[node] = g if cur is None else _plus(cur, g)
    else:
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * n_out
        cur = buf[nr]
        buf[nr] = g if cur is None else _plus(cur, g)


def _plus(cur, g):
    """Two gradients of one tensor added up. A sparse gradient and a dense one add up in either
    order (the op refuses sparse + dense, PyTorch's rule for users; the engine swaps them)."""
    try:
        return cur + g
    except RuntimeError:
        if cur._data.__class__ not in _SPARSE_DATA:
            raise
        return g + cur


# The order of the backward pass. Hooks (tensor hooks, node hooks, post-accumulate-grad hooks)
# see it, so it is PyTorch's: among the nodes whose gradients are complete, the one created last
# runs first (the larger sequence number, ``Node._seq``), and AccumulateGrad nodes before any
# other. Leaves that become ready together tie; PyTorch keeps its ready nodes in a C++ binary
# heap (``std::priority_queue`` of libstdc++), whose sift rules decide such ties, so the queue
# below is that same heap, written out over a list of nodes. A chain (one ready node at a time,
# the common case) never enters these functions: the loop appends and pops it directly.
def _push_ready(heap, node):
    """Add ``node``: append it, then move it up past every parent with a smaller key."""
    heap.append(node)
    _sift_up(heap, len(heap) - 1, node)


def _sift_up(heap, hole, node):
    """Put ``node`` at ``hole`` or above it, moving down every parent with a smaller key."""
    key = node._seq
    while hole:
        parent = (hole - 1) >> 1
        above = heap[parent]
        if above._seq >= key:
            break
        heap[hole] = above
        hole = parent
    heap[hole] = node


def _pop_ready(heap):
    """Take the top node. The last element fills the vacated root the way libstdc++ does it:
    the hole first sinks to a leaf along the larger children (the right one on equal keys), then
    the element rises from there; this is what decides the order of equal keys."""
    top = heap[0]
    node = heap.pop()
    n = len(heap)
    if not n:
        return top
    hole = child = 0
    while child < (n - 1) >> 1:
        child = 2 * child + 2
        if heap[child]._seq < heap[child - 1]._seq:
            child -= 1
        heap[hole] = heap[child]
        hole = child
    if not n & 1 and child == (n - 2) >> 1:
        child = 2 * child + 1
        heap[hole] = heap[child]
        hole = child
    _sift_up(heap, hole, node)
    return top
