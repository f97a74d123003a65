"""Tensor methods that make new tensors like this one (its dtype and device unless given):
``new_tensor``, ``new_zeros``/``new_ones``/``new_empty``/``new_full``/``new_empty_strided``, the
legacy ``new``, and the random draws ``bernoulli``/``multinomial`` shaped by it.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

from .tensor import Tensor
from tensorgraft.argument_errors import c_type_name


def _new_is_sparse(self, layout, fname) -> bool:
    """``new_*``'s layout: ``layout=`` when given, else this tensor's (a sparse tensor's
    ``new_zeros`` is sparse, as in PyTorch)."""
    from .ops.creation._common import sparse_layout
    return sparse_layout(layout, fname) if layout is not None else self.is_sparse


def _new_sparse(self, size, dtype, device, requires_grad):
    from .ops.conversion import resolve_device
    from .ops.creation._common import sparse_empty
    dev = self._device if device is None else resolve_device(device)
    return sparse_empty(size, dtype or self.dtype, dev, requires_grad)


def _new_size(size, kwargs, fname):
    """``new_zeros(2, 3)``, ``new_zeros((2, 3))`` or ``new_zeros(size=(2, 3))``, as PyTorch's take them."""
    from .ops.creation import _size
    kwsize = kwargs.pop("size", None)
    if kwargs:
        raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kwargs))}'")
    if kwsize is not None and not isinstance(kwsize, (tuple, list)):
        raise TypeError(f"{fname}(): argument 'size' must be tuple of ints, not {c_type_name(kwsize)}")
    return _size(size, fname, kwsize)


def _check_new_full(size, fill_value) -> None:
    """``new_full``'s arguments checked under its own name (``full`` checks them again under its):
    a sequence of sizes, and a Python number or a 0-d tensor as the fill value."""
    import numpy as np
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not {c_type_name(size)}")
    if not (isinstance(fill_value, (int, float, complex, np.number, np.bool_))
            or isinstance(fill_value, Tensor) and fill_value._data.ndim == 0):
        raise TypeError("new_full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{c_type_name(fill_value)}")


class FactoryMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        """A copy of ``data`` with this tensor's dtype and device unless given."""
        from .ops.creation import copy_construct_warning, tensor_from_data
        if isinstance(data, Tensor):
            copy_construct_warning("tensor.new_tensor")
        return tensor_from_data(data, dtype=dtype or self.dtype, device=self._device if device is None else device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                  **kwargs):
        from .ops.creation import full
        if _new_is_sparse(self, layout, "new_zeros"):
            return _new_sparse(self, _new_size(size, kwargs, "new_zeros"), dtype, device, requires_grad)
        return full(_new_size(size, kwargs, "new_zeros"), 0, dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                  **kwargs):
        from .ops.creation import ones
        if _new_is_sparse(self, layout, "new_ones"):
            from .ops.creation._common import no_sparse_kernel
            raise no_sparse_kernel("new_ones", "fill_.Scalar")
        # sizes checked under this method's own name, which PyTorch's messages use
        return ones(_new_size(size, kwargs, "new_ones"), dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False,
                  **kwargs):
        from .ops.creation import empty
        if _new_is_sparse(self, layout, "new_empty"):
            return _new_sparse(self, _new_size(size, kwargs, "new_empty"), dtype, device, requires_grad)
        return empty(_new_size(size, kwargs, "new_empty"), dtype=dtype or self.dtype,
                     device=self._device if device is None else device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        from .ops.creation import full
        _check_new_full(size, fill_value)
        if _new_is_sparse(self, layout, "new_full"):
            from .ops.creation._common import no_sparse_kernel
            raise no_sparse_kernel("new_full", "fill_.Scalar")
        return full(size, fill_value, dtype=dtype or self.dtype, device=self._device if device is None else device,
                    requires_grad=requires_grad)

    def new(self, *args, **kwargs):
        """Legacy ``t.new(2, 3)`` / ``t.new([1, 2])`` / ``t.new()``: this tensor's dtype and device."""
        from .ops.creation import _legacy_construct
        kwargs.setdefault("device", self._device)
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != self._data.dtype or args[0]._device is not kwargs["device"]:
                from .ops.creation.legacy import options_mismatch
                raise TypeError(options_mismatch(self.dtype, self._device, args[0]))
            return args[0].detach()
        return _legacy_construct(self.dtype, args, kwargs)

    def bernoulli(self, p=None, *, generator=None):
        from .ops.sampling import bernoulli
        return bernoulli(self, p, generator=generator)

    def multinomial(self, num_samples, replacement=False, *, generator=None):
        from .ops.sampling import multinomial
        return multinomial(self, num_samples, replacement, generator=generator)

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False, layout=None,
                          pin_memory=False):
        from .ops.creation import empty_strided
        return empty_strided(size, stride, dtype=dtype or self.dtype, device=self._device if device is None else device,
                             requires_grad=requires_grad)
