"""The one factory for the named-tuple results of ops (``torch.return_types.max``, ``linalg_qr``...).

Every class an op returns as a named tuple is made here, so all of them print, pickle and copy the
same way PyTorch's do::

    torch.return_types.max(
    values=tensor([3., 4.]),
    indices=tensor([1, 1]))

The classes say they live in ``tensorgraft.return_types`` (as PyTorch's say ``torch.return_types``),
and that module serves them from ``RESULT_TYPES``: pickle finds a result's class by that name, and
importing it on unpickling costs nothing at ``import tensorgraft`` time.
"""
from __future__ import annotations

import operator

# name -> class, in the order the ops modules made them; tensorgraft.return_types publishes this
RESULT_TYPES: dict = {}

# The results PyTorch returns in a class of their own when written into ``out=`` tensors
# (``torch.return_types.max_out``: the same fields, another name, so it prints differently)
OUT_VARIANTS = frozenset("""
    _linalg_det _linalg_eigh _linalg_slogdet _linalg_solve_ex _linalg_svd aminmax cummax cummin frexp geqrf
    histogram kthvalue linalg_cholesky_ex linalg_eig linalg_eigh linalg_inv_ex linalg_ldl_factor_ex
    linalg_ldl_factor linalg_lstsq linalg_lu_factor_ex linalg_lu_factor linalg_lu linalg_qr linalg_slogdet
    linalg_solve_ex linalg_svd lu_unpack max median min mode nanmedian qr slogdet sort svd topk triangular_solve
""".split())

_PUBLIC_MODULE = "tensorgraft.return_types"


class ResultTuple(tuple):
    """A tuple with named fields, as PyTorch's ``torch.return_types.*`` (a C "struct sequence").

    Ops build one with ``Cls(values, indices)`` (as a ``collections.namedtuple``, which code that
    rebuilds nested results with ``type(r)(*items)`` relies on); ``Cls((values, indices))`` works
    too, which is how PyTorch's constructor takes them (and how pickle rebuilds one). Slicing, ``+`` and ``*`` give
    plain tuples, as PyTorch's do. ``_fields`` is kept from ``collections.namedtuple``'s spelling,
    which code that walks nested results (pytrees, collate, checkpoint) looks for.
    """

    __slots__ = ()
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, *values):
        if len(values) == 1 and len(cls._fields) != 1:
            try:  # one argument: any iterable of the values, as PyTorch's constructor takes
                values = tuple(values[0])
            except TypeError:
                raise TypeError("constructor requires a sequence") from None
        if len(values) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-sequence "
                            f"({len(values)}-sequence given)")
        return tuple.__new__(cls, values)

    def __repr__(self):
        body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    # A user's typo (``m.vals``) or write (``m.values = ...``) gets PyTorch's words, which name the
    # class by its full ``torch.return_types`` name and call the fields read-only.
    def __getattr__(self, name):
        raise AttributeError(f"'torch.return_types.{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name, value):
        if name in type(self)._fields:
            raise AttributeError("readonly attribute")
        raise AttributeError(f"'torch.return_types.{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in type(self)._fields:
            raise AttributeError("readonly attribute")
        raise AttributeError(f"'torch.return_types.{type(self).__name__}' object has no attribute '{name}'")

    def __reduce__(self):
        # the class by its public name and the values as one sequence, as PyTorch pickles them
        return (type(self), (tuple(self),))


def return_type(name: str, fields=("values", "indices")) -> type:
    """The result class ``torch.return_types.<name>`` with ``fields`` (by default PyTorch's pair for
    max, sort, topk...): made on the first call, the same class on every later one (a module makes
    its classes at import time; an op's frontend asks again when it is built)."""
    cls = RESULT_TYPES.get(name)
    if cls is not None:
        if cls._fields != tuple(fields):
            raise RuntimeError(f"result type {name!r} is already defined with fields {cls._fields}, not {tuple(fields)}")
        return cls
    fields = tuple(fields)
    namespace = {"__slots__": (), "__module__": _PUBLIC_MODULE, "__qualname__": name, "_fields": fields,
                 "__match_args__": fields, "n_fields": len(fields), "n_sequence_fields": len(fields)}
    for i, field in enumerate(fields):
        namespace[field] = property(operator.itemgetter(i), doc=f"Field {i} of the result.")
    cls = RESULT_TYPES[name] = type(name, (ResultTuple,), namespace)
    if name in OUT_VARIANTS:
        return_type(name + "_out", fields)  # (made with it, so return_types lists both from the start)
    return cls


def out_variant(cls: type) -> type:
    """The class PyTorch returns ``cls``'s fields in when they were written into ``out=`` tensors
    (``torch.return_types.sort_out``), or ``cls`` itself where PyTorch has no such class."""
    return RESULT_TYPES.get(cls.__name__ + "_out", cls) if cls.__name__ in OUT_VARIANTS else cls
