"""Argument normalisation shared by op frontends (dims, sizes), with PyTorch's error wording."""
from __future__ import annotations

import numbers

from ..argument_errors import c_type_name, not_a_tensor, wrong_type  # noqa: F401  (frontends import wrong_type from here)
from ..tensor import Tensor


# how PyTorch's argument parser names the type of a value it refuses (``numpy.ndarray``, ``int``,
# ``Parameter``, a user's ``MyClass``)
type_name = c_type_name


def check_tensor_args(fname, spec, *values) -> None:
    """PyTorch's argument parser on the tensor arguments of ``fname``: each of ``values`` is a Tensor,
    or None where its ``spec`` entry ``(argname, position, optional)`` says optional; else the
    TypeError naming the first that is not (``layer_norm(): argument 'weight' (position 3) must be
    Tensor, not numpy.ndarray``); position None for a keyword-only argument. Only isinstance checks:
    nothing more for the arguments every training step passes."""
    for i, v in enumerate(values):
        if not isinstance(v, Tensor) and (v is not None or not spec[i][2]):
            raise not_a_tensor(fname, spec[i][0], spec[i][1], v)


def is_int(value) -> bool:
    """What PyTorch's parser takes for an ``int`` argument: Python and NumPy ints (not bools)
    and tensors holding one integer."""
    if isinstance(value, Tensor):
        return value.ndim == 0 and value.dtype.category == 1  # (0: bool)
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def bad_int_list_item(fname: str, argname: str, seq) -> TypeError | None:
    """A sequence given for ``tuple of ints`` whose first item is an int but a later one is not:
    PyTorch's parser accepts the sequence by its first item and fails while unpacking the rest."""
    for i, item in enumerate(seq):
        if not is_int(item):
            return TypeError(f"{fname}(): argument '{argname}' failed to unpack the object at pos {i + 1} with "
                             f"error \"type must be tuple of ints,but got {type_name(item)}\"")
    return None


def invalid_combination(fname: str, args=(), kwargs=None, overloads=()) -> TypeError:
    """The error of a function with several signatures, none of which takes the arguments:
    ``args`` as given positionally (a method's without ``self``), ``kwargs`` in the order given;
    ``overloads``: the signatures to list (PyTorch also lists ones hidden here), each a string or a
    ``(signature, note)`` pair whose note the parser prints under it (None: no note)."""
    pos = [type_name(a) for a in args]
    # the parser lists keywords latest first, each followed by ", " when nothing came positionally
    kw = [f"{k}={type_name(v)}" for k, v in reversed(list((kwargs or {}).items()))]
    got = ", ".join(pos + kw) if pos else "".join(k + ", " for k in kw)
    listed = "".join(f" * ({o})\n" if isinstance(o, str) else
                     f" * ({o[0]})\n" + (f"      {o[1]}\n" if o[1] else "") for o in overloads)
    return TypeError(f"{fname}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                     f"{listed}")


def dim_type_error(fname: str, dim, overloads=None, argname: str = "dim", expected: str = "int") -> TypeError:
    """A dim PyTorch's parser refuses, worded as given by keyword (the same words for a method and
    a function; a positional one would add its position). ``overloads``: not None for an op of
    several signatures (a hidden named-dims one counts), which refuses the call as a whole."""
    if isinstance(dim, (tuple, list)) and dim and is_int(dim[0]):
        err = bad_int_list_item(fname, argname, dim)
        if err is not None:
            return err
    if overloads is not None:
        return invalid_combination(fname, (), {argname: dim}, overloads)
    return wrong_type(fname, argname, expected, dim)


class _Required:
    """The default of a parameter PyTorch requires where a frontend words its absence itself:
    ``x.cumsum()`` is PyTorch's ``missing 1 required positional arguments: "dim"``, not Python's
    ``missing 1 required positional argument: 'dim'``. Only the slow path (``wrap_dim`` on a dim
    that is not an int) looks for it."""
    __slots__ = ()

    def __repr__(self):
        return "<required>"


REQUIRED = _Required()


def bind_arguments(fname: str, names: tuple, args: tuple, kwargs: dict) -> dict:
    """The positional ``args`` and the keywords bound to ``names`` (in order), as Python binds them for
    a function written in Python: its TypeErrors for an unknown or a repeated keyword. (Too many
    positionals is the caller's check: the counts in its message depend on the overload.)"""
    given = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise TypeError(f"{fname}() got an unexpected keyword argument '{k}'")
        if k in given:
            raise TypeError(f"{fname}() got multiple values for argument '{k}'")
        given[k] = v
    return given


def missing_args(fname: str, *names: str) -> TypeError:
    """PyTorch's words for required arguments left out (its plural and singular are swapped)."""
    quoted = ", ".join(f'"{n}"' for n in names)
    plural = "s" if len(names) == 1 else ""
    return TypeError(f"{fname}() missing {len(names)} required positional argument{plural}: {quoted}")


def wrap_dim(dim, ndim: int, fname: str = None, argname: str = "dim", overloads=None) -> int:
    """``dim`` in ``[0, ndim)``. ``fname`` (with ``argname``, ``overloads``: ``dim_type_error``)
    words a dim that is not an int as PyTorch's parser does for that op."""
    if isinstance(dim, Tensor):
        dim = dim.item()
    if not isinstance(dim, numbers.Integral) or isinstance(dim, bool):
        if dim is REQUIRED:
            raise missing_args(fname, argname)
        if fname is not None:
            raise dim_type_error(fname, dim, overloads, argname)
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim + n if dim < 0 else int(dim)


def _ints(dim) -> bool:
    if dim.__class__ is tuple or isinstance(dim, list):
        for d in dim:  # (a loop, no generator: reductions over several dims run it per call)
            if d.__class__ is not int and not is_int(d):
                return False
        return True
    return is_int(dim)


def check_dims_type(fname: str, dim, overloads=None) -> None:
    """A ``tuple of ints`` dim (or None) as PyTorch's parser takes it; ``dim_type_error`` if not."""
    if dim is not None and dim.__class__ is not int and not _ints(dim):
        raise dim_type_error(fname, dim, overloads, expected="tuple of ints")


def wrap_dims(dim, ndim: int, fname: str = None, overloads=None):
    """``None`` -> None (all dims); int or sequence -> sorted tuple of non-negative dims.
    ``fname``, ``overloads``: how a dim that is not an int (or a sequence of them) is refused
    (``dim_type_error``, expecting ``tuple of ints``)."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        try:
            dims = tuple(wrap_dim(d, ndim) for d in dim)
        except TypeError:  # (caught rather than tested first: nothing added to the common path)
            if fname is None:
                raise
            raise dim_type_error(fname, dim, overloads, expected="tuple of ints") from None
        if len(set(dims)) != len(dims):
            dup = next(d for k, d in enumerate(dims) if d in dims[:k])
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        if ndim == 0:
            return ()
        return tuple(sorted(dims))
    if fname is not None and dim.__class__ is not int:
        check_dims_type(fname, dim, overloads)
    d = wrap_dim(dim, ndim)
    return () if ndim == 0 else (d,)


def spread_args(args: tuple) -> tuple:
    """``f(a, b)`` and ``f([a, b])`` / ``f((a, b))`` alike (``block_diag``, ``einsum``...): the
    arguments as one tuple."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return args


# ops whose sizes PyTorch takes as ints or as one sequence: ``x.new_zeros((2,), (3,))`` is then a
# call with too many arguments (view and the random factories word it as a bad overload instead)
ONE_SEQUENCE_ONLY = frozenset({"reshape", "expand", "repeat", "permute", "zeros", "ones", "empty", "new_zeros",
                               "new_ones", "new_empty"})

# how PyTorch's parser names the size argument of each op taking one (and its position in the
# method, which is how these are usually called: ``x.reshape(...)``)
_SIZE_ARGS = {"view": ("size", 1), "reshape": ("shape", 1), "expand": ("size", 1), "repeat": ("repeats", 1),
              "permute": ("dims", 1), "tile": ("dims", 1), "unflatten": ("sizes", 2), "broadcast_to": ("size", 2),
              "resize_": ("size", 1)}
# view's other signature takes a dtype: a size it refuses is refused as a call
_VIEW_OVERLOADS = ("torch.dtype dtype", "tuple of ints size")


def shape_arg(args, fname: str):
    """``view(2, 3)`` / ``view((2, 3))`` / ``view([2, 3])``: ``args`` as given to the op."""
    seq = args
    if len(args) == 1 and isinstance(args[0], (tuple, list)):  # spread_args, inlined: view/reshape run it per call
        seq = args[0]
    out = []
    for a in seq:
        if a.__class__ is not int:
            if not is_int(a):
                raise _shape_error(args, fname)
            a = int(a.item()) if isinstance(a, Tensor) else int(a)
        out.append(a)
    return tuple(out)


def _shape_error(args, fname: str) -> TypeError:
    """PyTorch's refusal of sizes that are not all ints. Its parser reads ``f(2, 2.5)`` as a list
    of ints from the first one on, and ``f((2.5,))`` / ``f(2.5)`` as one argument of the wrong
    type; several arguments that do not start with an int are too many (view: a bad overload)."""
    argname, pos = _SIZE_ARGS.get(fname, ("size", 1))
    if len(args) > 1 and is_int(args[0]):
        return bad_int_list_item(fname, argname, args)
    if fname == "view":
        return invalid_combination("view", args, overloads=_VIEW_OVERLOADS)
    if len(args) > 1:
        return TypeError(f"{fname}() takes 1 positional argument but {len(args)} were given")
    value = args[0] if args else ()
    if isinstance(value, (tuple, list)):
        if value and is_int(value[0]):
            return bad_int_list_item(fname, argname, value)
        return TypeError(f"{fname}(): argument '{argname}' (position {pos}) must be tuple of ints, but found element "
                         f"of type {type_name(value[0])} at pos 0")
    return wrong_type(fname, argname, "tuple of ints", value, pos)


def infer_size(shape, numel: int, fname: str = "view"):
    """Resolve one ``-1``; PyTorch's message when the sizes don't multiply out."""
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = list(shape)
        shape[neg[0]] = numel // known
        return tuple(shape)
    if known != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


class _NotGiven:
    """The default of an argument whose absence differs from any value PyTorch could be given:
    ``median(x)`` reduces every element, ``median(x, None)`` is refused."""
    __slots__ = ()

    def __repr__(self):
        return "<not given>"


NOT_GIVEN = _NotGiven()


def spread(fname: str, args: tuple, names: tuple, values: list) -> list:
    """PyTorch's parser tells an argument given by position from one given by keyword (only the
    first has a ``(position N)`` in its errors), so the frontends that word them take the
    arguments after the tensor as ``*args``: ``values`` (one per name, ``NOT_GIVEN`` where no
    keyword came) with ``args`` spread over the first names, as Python would."""
    if len(args) > len(names):
        raise TypeError(f"{fname}() takes from 1 to {len(names) + 1} positional arguments but {len(args) + 1} "
                        "were given")
    for i, a in enumerate(args):
        if values[i] is not NOT_GIVEN:
            raise TypeError(f"{fname}() got multiple values for argument '{names[i]}'")
        values[i] = a
    return values


def arg_position(index: int, npos: int, method: bool):
    """The ``(position N)`` PyTorch gives the argument ``index`` places after the tensor when it
    was one of the ``npos`` given positionally (a method does not count ``self``), else None."""
    return (index + 1 if method else index + 2) if index < npos else None


def check_bool(fname: str, argname: str, value, pos=None) -> None:
    """A ``bool`` argument (``keepdim``): PyTorch's parser takes no int (``keepdim=1``), no None
    and no NumPy bool."""
    if value.__class__ is not bool:
        raise wrong_type(fname, argname, "bool", value, pos)


def check_int_dim(fname: str, dim, pos=None, argname: str = "dim") -> None:
    """An ``int`` dim of a one-signature op (median, mode, argmax...): no None, float or tuple."""
    if dim.__class__ is not int and not is_int(dim):
        raise wrong_type(fname, argname, "int", dim, pos)


def method_and_function(op, make) -> object:
    """``make(method)`` builds an op's frontend for ``Tensor.<name>`` (``method=True``) and for
    ``tensorgraft.<name>``: their errors differ in argument positions and in the signatures they
    list. The method's is handed to the binder (``_bind.bind_op``) through ``op.extra``."""
    op.extra["method_frontend"] = make(True)
    return make(False)


_DIM_KEEPDIM = ("dim", "keepdim")


def dim_keepdim(fname: str, args: tuple, dim, keepdim, method: bool, expected: str = "tuple of ints",
                default=None, none_ok: bool = True):
    """``(dim, keepdim)`` of a one-signature reduction (``f(input, dim, keepdim)``) as PyTorch's
    parser takes them: ``args`` (given positionally after the tensor) spread over the keywords
    (``NOT_GIVEN`` where absent); ``dim`` an int (``expected="int"``) or ints, None only where
    ``none_ok``, ``default`` where not given (``REQUIRED``: refused); ``keepdim`` a bool (no int)."""
    if args:
        dim, keepdim = spread(fname, args, _DIM_KEEPDIM, [dim, keepdim])
    npos = len(args)
    if dim is NOT_GIVEN:
        if default is REQUIRED:
            raise missing_args(fname, "dim")
        dim = default
    elif dim.__class__ is not int and not (dim is None and none_ok) and not _ints_as(dim, expected):
        pos = arg_position(0, npos, method)
        if expected != "int" and isinstance(dim, (tuple, list)) and dim and is_int(dim[0]):
            raise bad_int_list_item(fname, "dim", dim)
        raise wrong_type(fname, "dim", expected, dim, pos)
    if keepdim is NOT_GIVEN:
        return dim, False
    check_bool(fname, "keepdim", keepdim, arg_position(1, npos, method))
    return dim, keepdim


def _ints_as(dim, expected: str) -> bool:
    return is_int(dim) if expected == "int" else _ints(dim)
