"""``tensorgraft.sparse.as_sparse_gradcheck`` (``torch.sparse.as_sparse_gradcheck``): a decorator
that lets ``gradcheck`` (or a ``functools.partial`` of it) check functions of sparse tensors.

gradcheck perturbs its inputs' elements one by one, which only makes sense for strided tensors. The
decorated gradcheck therefore hands gradcheck a strided representation of each differentiable
sparse input (a marker, its layout, shape and index arrays, and its values, the tensor gradcheck
perturbs), rebuilds the sparse tensor from them inside the checked function, and turns the
function's differentiable sparse outputs into strided ones (``to_dense(masked_grad=masked)``).
Without ``masked=True`` every element of a sparse input is made a stored one first (the unstored
ones as stored zeros), so the gradient of every element is checked, as PyTorch does.

The algorithm is PyTorch's, step for step; it is a module of its own because it is the only part
of ``tensorgraft.sparse`` that needs the autograd engine (at call time, through gradcheck).
"""
from __future__ import annotations

_STRIDED_REPRESENTATION = "__STRIDED_REPRESENTATION__"


def as_sparse_gradcheck(gradcheck):
    """Decorate function, to extend gradcheck for sparse tensors.

    Decorator for torch.autograd.gradcheck or its functools.partial variants that extends the
    gradcheck function with support to input functions that operate on or/and return sparse tensors.

    The specified gradcheck function itself is guaranteed to operate on strided tensors only.

    For example:

    >>> gradcheck = torch.sparse.as_sparse_gradcheck(torch.autograd.gradcheck)
    >>> x = (
    ...     torch.tensor([[0, 1], [2, 3]], dtype=torch.float64)
    ...     .to_sparse_coo()
    ...     .requires_grad_(True)
    ... )
    >>> gradcheck(lambda x: x.to_sparse_csr(), x)
    True
    """

    def gradcheck_with_sparse_support(func, inputs, **kwargs):
        """Same as :func:`torch.autograd.gradcheck` but with sparse tensors inputs and outputs support."""
        masked = kwargs.pop("masked", False)
        args = (_strided_function(func, masked), _to_strided_representation(inputs, masked))
        return gradcheck(*args, **kwargs)

    return gradcheck_with_sparse_support


def _layouts():
    from .. import memory_layout as ml
    sparse = {ml.sparse_coo, ml.sparse_csr, ml.sparse_csc, ml.sparse_bsr, ml.sparse_bsc}
    return sparse, sparse - {ml.sparse_coo}, {ml.sparse_bsr, ml.sparse_bsc}


def _to_strided_representation(args, masked):
    """Each differentiable sparse tensor of ``args`` as (marker, its structure, its values)."""
    import tensorgraft
    from .. import memory_layout as ml
    from ..tensor import Tensor
    sparse_layouts, _, block_layouts = _layouts()
    if not isinstance(args, (list, tuple)):
        args = (args,)
    new_args = []
    for obj in args:
        if isinstance(obj, Tensor) and obj.requires_grad and obj.layout in sparse_layouts:
            d = {"layout": obj.layout, "shape": obj.shape}
            if not masked:
                # materialize unspecified elements with zero values
                batch_dim = obj.ndim - obj.dense_dim() - obj.sparse_dim()
                blocksize = obj.values().shape[batch_dim + 1:batch_dim + 3] if obj.layout in block_layouts else None
                if obj.layout is ml.sparse_coo:  # (the sparse_dim overload: the same COO pattern)
                    full_mask = tensorgraft.ones(obj.shape, device=obj.device, dtype=tensorgraft.bool).to_sparse(
                        obj.sparse_dim())
                    obj = obj.to_dense().sparse_mask(full_mask)
                else:
                    obj = _every_element_stored(obj, batch_dim, blocksize)
            if obj.layout is ml.sparse_coo:
                d.update(indices=obj._indices(), is_coalesced=obj.is_coalesced())
                values = obj._values()
            elif obj.layout in (ml.sparse_csr, ml.sparse_bsr):
                d.update(compressed_indices=obj.crow_indices(), plain_indices=obj.col_indices())
                values = obj.values()
            else:
                d.update(compressed_indices=obj.ccol_indices(), plain_indices=obj.row_indices())
                values = obj.values()
            new_args.extend((_STRIDED_REPRESENTATION, d, values.requires_grad_(True)))
        else:
            new_args.append(obj)
    return tuple(new_args)


def _every_element_stored(obj, batch_dim, blocksize):
    """A compressed tensor equal to ``obj`` with every element stored, in ``obj``'s layout (PyTorch
    makes it with ``obj.to_dense().sparse_mask(full_mask)``; tensorgraft's ``sparse_mask`` takes COO
    masks). Its pattern is that of the element numbers ``1..N`` (all nonzero, so all stored) in the
    layout, and its values are gathered from the dense tensor at those numbers."""
    import tensorgraft
    sparse_shape = tuple(obj.shape[:batch_dim + 2])
    count = 1
    for n in sparse_shape:
        count *= n
    numbers = tensorgraft.arange(1, count + 1, dtype=tensorgraft.int64, device=obj.device).reshape(sparse_shape)
    pattern = numbers.to_sparse(layout=obj.layout, blocksize=blocksize)
    if obj.layout in (tensorgraft.sparse_csr, tensorgraft.sparse_bsr):
        compressed, plain = pattern.crow_indices(), pattern.col_indices()
    else:
        compressed, plain = pattern.ccol_indices(), pattern.row_indices()
    dense = obj.detach().to_dense()
    flat = dense.reshape((count,) + tuple(obj.shape[batch_dim + 2:]))
    values = flat[pattern.values() - 1]
    return tensorgraft.sparse_compressed_tensor(compressed, plain, values, size=obj.shape, layout=obj.layout)


def _from_strided_representation(args):
    """The sparse tensors of ``args`` rebuilt from their strided representations."""
    import tensorgraft
    from .. import memory_layout as ml
    _, compressed_layouts, _ = _layouts()
    new_args, args = [], list(args)
    while args:
        a = args.pop(0)
        if isinstance(a, str) and a == _STRIDED_REPRESENTATION:
            d, values = args.pop(0), args.pop(0)
            if d["layout"] is ml.sparse_coo:
                a = tensorgraft.sparse_coo_tensor(d["indices"], values, size=d["shape"],
                                                  is_coalesced=d["is_coalesced"])
            elif d["layout"] in compressed_layouts:
                a = tensorgraft.sparse_compressed_tensor(d["compressed_indices"], d["plain_indices"], values,
                                                         size=d["shape"], layout=d["layout"])
            else:  # (unreachable: every sparse layout is one of the above)
                raise TypeError(f"conversion of {d['layout']} strided representation to tensor")
        new_args.append(a)
    return tuple(new_args)


def _strided_function(func, masked):
    """``func`` over strided representations, its differentiable sparse outputs made strided."""
    from ..tensor import Tensor
    sparse_layouts, _, _ = _layouts()

    def func_wrapper(*args, **kwargs):
        outputs = func(*_from_strided_representation(args), **kwargs)
        strided = tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)
        strided = tuple(o.to_dense(masked_grad=masked)
                        if isinstance(o, Tensor) and o.requires_grad and o.layout in sparse_layouts else o
                        for o in strided)
        return strided if isinstance(outputs, (list, tuple)) else strided[0]

    return func_wrapper
