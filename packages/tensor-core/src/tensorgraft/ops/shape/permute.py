"""transpose (swapaxes, swapdims), t, permute, movedim (moveaxis), adjoint and the ``Tensor.T`` /
``mT`` / ``mH`` / ``H`` properties: views that reorder dimensions."""
from __future__ import annotations

from ...tensor import Tensor
from .. import _frontend as F
from .._frontend import check_tensor
from .._args import REQUIRED, bad_int_list_item, invalid_combination, is_int, method_and_function, wrap_dim
from .._define import defop
from ._common import _finish_view, _int_params, _shape, _wd
from tensorgraft.dtypes import np_kind as _np_kind


# --------------------------------------------------------------------------- permutations
def _permute_kernel(xp, a, dims):
    return a.transpose(dims)


def _transpose_frontend(op):
    table = op.table
    # PyTorch names swapaxes' arguments as NumPy does
    names = ("axis0", "axis1") if op.name == "swapaxes" else ("dim0", "dim1")

    def build(method):
        def transpose(input, *args, **kwargs):
            if len(args) == 2 and not kwargs:  # (the usual call: nothing to spread)
                dim0, dim1 = args
                if dim0.__class__ is not int or dim1.__class__ is not int:
                    _int_params(op.name, args, [REQUIRED, REQUIRED], names, method)  # (refuses with positions)
            else:
                # (PyTorch words a missing dim before a keyword it does not know)
                dim0, dim1 = _int_params(op.name, args, [kwargs.get(k, REQUIRED) for k in names], names, method)
                unknown = next((k for k in kwargs if k not in names), None)
                if unknown is not None:
                    raise TypeError(f"{op.name}() got an unexpected keyword argument '{unknown}'")
            return _transpose(input, dim0, dim1)
        transpose.__name__ = transpose.__qualname__ = op.name
        return transpose

    def _transpose(input, dim0, dim1):
        check_tensor(input, op.name)
        nd = input._data.ndim
        if nd == 0:
            wrap_dim(dim0, nd, op.name, names[0]), wrap_dim(dim1, nd, op.name, names[1])
            return _finish_view(op, input, input._data.view(), {"dims": ()}, node_name="TransposeBackward0")
        d0, d1 = _wd(dim0, nd, op.name, names[0]), _wd(dim1, nd, op.name, names[1])
        dims = list(range(nd))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return _finish_view(op, input, table[input._device.type](input._data, tuple(dims)), {"dims": tuple(dims)},
                            node_name="TransposeBackward0")
    return method_and_function(op, build)


_transpose = defop("transpose", kernel=_permute_kernel, frontend=_transpose_frontend)
defop("swapaxes", kernel=_permute_kernel, frontend=_transpose_frontend)
defop("swapdims", kernel=_permute_kernel, frontend=_transpose_frontend)


def t_dims(input, fname):
    """The permutation ``t`` and ``t_`` apply, once their checks pass: a matrix's two dims swapped,
    a vector or a scalar left as it is."""
    if not isinstance(input, Tensor):
        raise F.not_a_tensor(fname, "input", 1, input)
    nd = input._data.ndim
    if nd > 2:
        raise RuntimeError(f"{fname}() expects a tensor with <= 2 dimensions, but self is {nd}D")
    return (1, 0) if nd == 2 else tuple(range(nd))


def _t_frontend(op):
    table = op.table

    def t(input):
        dims = t_dims(input, "t")
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return t


defop("t", kernel=_permute_kernel, frontend=_t_frontend)


def _permute_frontend(op):
    table = op.table

    def permute(input, *args, dims=None):
        check_tensor(input, "permute")
        dims = args if dims is None else (dims,)
        if not dims:
            raise TypeError('permute() missing 1 required positional arguments: "dims"')
        nd = input._data.ndim
        dims = _shape(dims, "permute")
        if len(dims) != nd:
            raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                               f"length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal "
                               f"to len(dims) = {len(dims)}")
        dims = tuple([_wd(d, nd) for d in dims])
        if len(set(dims)) != nd:
            raise RuntimeError("permute(): duplicate dims are not allowed.")
        return _finish_view(op, input, table[input._device.type](input._data, dims), {"dims": dims})
    return permute


defop("permute", kernel=_permute_kernel, frontend=_permute_frontend)


_MOVEDIM_OVERLOADS = ("int source, int destination", "tuple of ints source, tuple of ints destination")


def _movedim_types(source, destination):
    """Both ints or both sequences of ints, as PyTorch's parser wants them (``movedim(0.5, 1)`` is a
    call it refuses as a whole; a sequence goes bad at a later item in its own words)."""
    for name, v in (("source", source), ("destination", destination)):
        if isinstance(v, (tuple, list)) and v and is_int(v[0]):
            err = bad_int_list_item("movedim", name, v)
            if err is not None:
                raise err
    seqs = isinstance(source, (tuple, list)) and isinstance(destination, (tuple, list))
    if not (seqs or is_int(source) and is_int(destination)):
        raise invalid_combination("movedim", (source, destination), overloads=_MOVEDIM_OVERLOADS)


def _movedim(input, source, destination):
    check_tensor(input, "movedim")
    if source.__class__ is not int or destination.__class__ is not int:
        _movedim_types(source, destination)
    nd = input._data.ndim
    src = tuple(source) if isinstance(source, (tuple, list)) else (source,)
    dst = tuple(destination) if isinstance(destination, (tuple, list)) else (destination,)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src = tuple(wrap_dim(d, nd) for d in src)
    dst = tuple(wrap_dim(d, nd) for d in dst)
    if len(set(src)) != len(src):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(source) if isinstance(source, (tuple, list)) else [source]})")
    if len(set(dst)) != len(dst):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(destination) if isinstance(destination, (tuple, list)) else [destination]})")
    if nd == 0:  # dims 0 and -1 both name the scalar's only "dim": nothing moves (AliasBackward0)
        from ..tensor_extras import _alias
        return _alias.frontend(input)
    order = [None] * nd
    for s, d in zip(src, dst):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src)
    order = [next(rest) if o is None else o for o in order]
    return input.permute(tuple(order))


defop("movedim", frontend=lambda op: _movedim, differentiable=False)
defop("moveaxis", frontend=lambda op: _movedim, differentiable=False)


def _adjoint(input):
    check_tensor(input, "adjoint")
    if input._data.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. "
                           f"Got {input._data.ndim}-D tensor.")
    t = input.transpose(-2, -1)
    return t.conj() if _np_kind(t._data.dtype) == "c" else t


defop("adjoint", frontend=lambda op: _adjoint, differentiable=False)


def _prop_T(self):
    nd = self._data.ndim
    if nd != 2:
        from ...global_switches import warn_once
        if nd == 0:
            warn_once("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases.")
        else:
            warn_once("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated "
                      "and it will throw an error in a future release. Consider `x.mT` to transpose batches of "
                      "matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a "
                      "tensor.")
    return self.permute(tuple(range(nd - 1, -1, -1)))


def _prop_mT(self):
    if self._data.ndim == 0:  # PyTorch: the identity, deprecated
        from ...global_switches import warn_once
        warn_once("Tensor.mT is deprecated on 0-D tensors. This function is the identity in these cases.")
        return self
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return self.transpose(-2, -1)


def _prop_mH(self):
    if self._data.ndim == 0:  # PyTorch: the conjugate (identity for a real scalar), deprecated
        from ...global_switches import warn_once
        warn_once("Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")
        return self.conj() if _np_kind(self._data.dtype) == "c" else self
    if self._data.ndim < 2:
        raise RuntimeError(f"tensor.mH is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    t = self.transpose(-2, -1)
    return t.conj() if _np_kind(t._data.dtype) == "c" else t


def _prop_H(self):
    nd = self._data.ndim
    if nd == 0:
        # PyTorch: the identity on a real scalar (no node), its conjugate on a complex one
        from ...global_switches import warn_once
        warn_once("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().")
        return self.conj() if _np_kind(self._data.dtype) == "c" else self
    if nd != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D tensor."
                           + (" For batches of matrices, consider using tensor.mH" if nd > 2 else ""))
    t = self.transpose(0, 1)
    return t.conj() if _np_kind(t._data.dtype) == "c" else t


for _n, _f in (("T", _prop_T), ("mT", _prop_mT), ("mH", _prop_mH), ("H", _prop_H)):
    if _n not in Tensor.__dict__:
        setattr(Tensor, _n, property(_f))
