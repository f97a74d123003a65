"""flip, fliplr, flipud, roll and rot90: copies with the elements reordered along some dims."""
from __future__ import annotations

import numbers
from tensorgraft.argument_errors import c_type_name

from .._frontend import check_tensor
from .._args import wrap_dim
from .._args import method_and_function
from .._define import defop
from ._common import _dims_arg, _finish_copy, _int_arg


# --------------------------------------------------------------------------- flip / roll
def _flip_frontend(op):
    table = op.table

    def build(method):
        def flip(input, *args, dims=None):
            check_tensor(input, "flip")
            if not args and dims is None:
                raise TypeError('flip() missing 1 required positional arguments: "dims"')
            nd = input._data.ndim
            _check_flip_dims(args, dims, method)
            dims = _dims_arg(args if dims is None else (dims,), "flip")
            w = tuple(wrap_dim(d, nd) for d in dims)
            for k, d in enumerate(w):
                if d in w[:k]:
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
            if nd == 0:
                w = ()
            return _finish_copy(op, input, table[input._device.type](input._data, w), {"dims": w})
        return flip
    return method_and_function(op, build)


def _check_flip_dims(args, dims, method):
    """PyTorch's ``flip(input, dims)`` takes a sequence of ints (``torch.flip(x, 0)`` is a
    TypeError); the method also takes them spread out (``x.flip(0, 1)``). Refuses what its parser
    refuses, before the ints themselves are checked."""
    if dims is not None:
        if not isinstance(dims, (tuple, list)):
            raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not {c_type_name(dims)}")
        return
    if not method and len(args) > 1:
        raise TypeError(f"flip() takes 2 positional arguments but {len(args) + 1} were given")
    first = args[0]
    if not isinstance(first, (tuple, list)) and (not method or not isinstance(first, numbers.Integral)):
        raise TypeError(f"flip(): argument 'dims' (position {1 if method else 2}) must be tuple of ints, not "
                        f"{c_type_name(first)}")


defop("flip", kernel=lambda xp, a, dims: xp.flip(a, dims).copy() if dims else a.copy(), frontend=_flip_frontend)


def _fliplr(input):
    check_tensor(input, "fliplr")
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return input.flip(1)


def _flipud(input):
    check_tensor(input, "flipud")
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return input.flip(0)


defop("fliplr", frontend=lambda op: _fliplr, differentiable=False)
defop("flipud", frontend=lambda op: _flipud, differentiable=False)


def _roll_kernel(xp, a, shifts, dims):
    if dims is None:
        return xp.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
    return xp.ascontiguousarray(xp.roll(a, shifts, dims))  # PyTorch's result is contiguous


def _roll_frontend(op):
    table = op.table

    def roll(input, shifts, dims=None):
        check_tensor(input, "roll")
        nd = input._data.ndim
        shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
        shifts = tuple(_int_arg(s, "roll", "shifts") for s in shifts)
        if not shifts:
            raise RuntimeError("`shifts` required")
        dims = () if dims is None else tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
        if not dims and len(shifts) == 1:
            w = None  # the flattened tensor rolled
        else:
            if len(shifts) != len(dims):
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
            if nd == 0:
                raise IndexError(f"Dimension specified as {dims[0]} but tensor has no dimensions")
            w = tuple(wrap_dim(d, nd) for d in dims)
        return _finish_copy(op, input, table[input._device.type](input._data, shifts, w),
                            {"shifts": shifts, "dims": w})
    return roll


defop("roll", kernel=_roll_kernel, frontend=_roll_frontend)


def _rot90_frontend(op):
    table = op.table

    def rot90(input, k=1, dims=(0, 1)):
        check_tensor(input, "rot90")
        nd = input._data.ndim
        if len(dims) != 2:
            raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
        if nd < 2:
            raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
        d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
        if d0 == d1:
            raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                               f"dim1 = {dims[1]}")
        k = _int_arg(k, "rot90", "k") % 4
        return _finish_copy(op, input, table[input._device.type](input._data, k, (d0, d1)), {"k": k, "dims": (d0, d1)})
    return rot90


# always a copy (``k=0`` too: PyTorch clones), C-ordered with no negative stride on a size-1 dim
defop("rot90", kernel=lambda xp, a, k, axes: xp.rot90(a, k, axes).copy(), frontend=_rot90_frontend)
