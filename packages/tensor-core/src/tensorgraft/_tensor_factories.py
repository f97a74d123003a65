"""Tensor methods that make new tensors like this one (its dtype and device unless given):
``new_tensor``, ``new_zeros``/``new_ones``/``new_empty``/``new_full``/``new_empty_strided``, the
legacy ``new``, and the random draws ``bernoulli``/``multinomial`` shaped by it.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

from .tensor import Tensor


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


class FactoryMethods:
    """Copied onto ``Tensor`` by ``tensor.adopt_methods``; never instantiated or inherited."""

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        """A copy of ``data`` with this tensor's dtype and device unless given."""
        from .ops.creation import copy_construct_warning, tensor_from_data
        if isinstance(data, Tensor):
            copy_construct_warning("tensor.new_tensor")
        return tensor_from_data(data, dtype=dtype or self.dtype, device=self._device if device is None else device,
                                requires_grad=requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, full
        if _new_is_sparse(self, layout, "new_zeros"):
            return _new_sparse(self, _size(size, "new_zeros"), dtype, device, requires_grad)
        return full(_size(size, "new_zeros"), 0, dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, ones
        if _new_is_sparse(self, layout, "new_ones"):
            from .ops.creation._common import no_sparse_kernel
            raise no_sparse_kernel("new_ones", "fill_.Scalar")
        # sizes checked under this method's own name, which PyTorch's messages use
        return ones(_size(size, "new_ones"), dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, empty
        if _new_is_sparse(self, layout, "new_empty"):
            return _new_sparse(self, _size(size, "new_empty"), dtype, device, requires_grad)
        return empty(_size(size, "new_empty"), dtype=dtype or self.dtype,
                     device=self._device if device is None else device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        from .ops.creation import full
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
                raise TypeError(f"expected {self.dtype} on {self._device} (got {args[0].dtype} on {args[0].device})")
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
