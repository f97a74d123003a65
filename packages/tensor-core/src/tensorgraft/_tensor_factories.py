"""Tensor methods that make new tensors like this one (its dtype and device unless given):
``new_tensor``, ``new_zeros``/``new_ones``/``new_empty``/``new_full``/``new_empty_strided``, the
legacy ``new``, and the random draws ``bernoulli``/``multinomial`` shaped by it.

Set on ``Tensor`` by ``tensor.py`` (see ``adopt_methods`` there), not inherited: they stay in
the class's own dict.
"""
from __future__ import annotations

from .tensor import Tensor


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
        return full(_size(size, "new_zeros"), 0, dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, ones
        # sizes checked under this method's own name, which PyTorch's messages use
        return ones(_size(size, "new_ones"), dtype=dtype or self.dtype,
                    device=self._device if device is None else device, requires_grad=requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False):
        from .ops.creation import _size, empty
        return empty(_size(size, "new_empty"), dtype=dtype or self.dtype,
                     device=self._device if device is None else device, requires_grad=requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False, layout=None,
                 pin_memory=False):
        from .ops.creation import full
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
