"""Small helpers every batching rule uses: finding the level a call is about, moving between
BatchedTensors and their physical tensors, and registering rules by PyTorch's public names."""
from __future__ import annotations

from tensorgraft.tensor import Tensor

from ._batched import BatchedTensor, make_batched

# rules by public name (``torch.add``, ``torch.Tensor.add``, ``torch.Tensor.shape.__get__``,
# ``torch.nn.functional.relu``): filled by the _rules_* modules when they load
RULES_BY_NAME: dict = {}

TORCH, METHOD, FUNCTIONAL, LINALG, SPECIAL = "torch.", "torch.Tensor.", "torch.nn.functional.", "torch.linalg.linalg_", \
    "torch.special.special_"


def register(names, rule, where=(TORCH, METHOD)):
    """``rule(func, level, size, args, kwargs)`` for each of ``names`` (a space-separated string)
    under each prefix of ``where``."""
    for name in names.split():
        for prefix in where:
            RULES_BY_NAME[prefix + name] = rule


def find_level(args, kwargs):
    """(level, batch size) of the innermost BatchedTensor among the arguments (looked into lists,
    tuples and dicts two deep), or (None, 0)."""
    best, size = None, 0
    stack = list(args)
    if kwargs:
        stack.extend(kwargs.values())
    depth_items = stack
    for _ in range(3):
        nxt = []
        for v in depth_items:
            cls = v.__class__
            if cls is BatchedTensor:
                if best is None or v._level > best:
                    best, size = v._level, v._bsize
            elif cls is list or cls is tuple:
                nxt.extend(v)
            elif cls is dict:
                nxt.extend(v.values())
        if not nxt:
            break
        depth_items = nxt
    return best, size


def at(x, level) -> bool:
    """Whether ``x`` is batched at ``level``."""
    return x.__class__ is BatchedTensor and x._level == level


def ndim(x) -> int:
    """The logical number of dims of a tensor (batched or not: ``_data`` is its logical memory)."""
    return x._data.ndim


def wrap(out, level):
    """Tensors in ``out`` (a tensor, or tuples/lists/named tuples of them) as BatchedTensors of ``level``."""
    if isinstance(out, Tensor):
        return make_batched(out, level)
    cls = out.__class__
    if cls is tuple or cls is list:
        return cls(wrap(o, level) for o in out)
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return cls(*(wrap(o, level) for o in out))
    return out


def physical(x, level, size, expand=False):
    """The physical tensor of ``x`` at ``level``; an unbatched tensor is returned as it is, or,
    with ``expand``, expanded to ``(size, *shape)``."""
    if at(x, level):
        return x._physical
    if expand and isinstance(x, Tensor):
        return x.unsqueeze(0).expand((size,) + tuple(x.shape))
    return x


def aligned(x, level, rank):
    """The physical tensor of a batched ``x`` with size-1 dims inserted after the batch dim, so
    that its logical rank is ``rank`` (broadcasting then lines up logical dims); unbatched
    operands as they are."""
    if not at(x, level):
        return x
    p = x._physical
    r = x._data.ndim
    if r < rank:
        return p[(slice(None),) + (None,) * (rank - r)]
    return p


def normalize_dim(dim, rank):
    """``dim`` in [0, rank) (PyTorch's wrapping and message; a 0-d tensor takes 0 and -1)."""
    n = max(rank, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else dim
