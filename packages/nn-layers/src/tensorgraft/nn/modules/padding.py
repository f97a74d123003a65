"""Padding modules (ZeroPad/ConstantPad/ReflectionPad/ReplicationPad/CircularPad 1d/2d/3d)."""
from __future__ import annotations

from .. import functional as F
from .module import Module
from .utils import _own_init


def _ntuple_pad(padding, n):
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    _n = 2
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple_pad(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):  # ``value`` is required, as in PyTorch
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _CircularPadNd(_PadNd):
    """CircularPad1d/2d/3d: unlike the others, they check the input's rank themselves first."""

    def _check_input_dim(self, input):
        if input.dim() not in (self._n + 1, self._n + 2):
            raise ValueError(f"expected {self._n + 1}D or {self._n + 2}D input (got {input.dim()}D input)")

    def forward(self, input):
        self._check_input_dim(input)
        return super().forward(input)


def _make(name, n, mode):
    base = {"constant": _ConstantPadNd, "circular": _CircularPadNd}.get(mode, _PadNd)
    # (each has its own __init__ in PyTorch: a wrong call's TypeError names ConstantPad2d.__init__())
    return _own_init(type(name, (base,), {"_n": n, "_mode": mode, "__module__": __name__}))


ConstantPad1d = _make("ConstantPad1d", 1, "constant")
ConstantPad2d = _make("ConstantPad2d", 2, "constant")
ConstantPad3d = _make("ConstantPad3d", 3, "constant")
ReflectionPad1d = _make("ReflectionPad1d", 1, "reflect")
ReflectionPad2d = _make("ReflectionPad2d", 2, "reflect")
ReflectionPad3d = _make("ReflectionPad3d", 3, "reflect")
ReplicationPad1d = _make("ReplicationPad1d", 1, "replicate")
ReplicationPad2d = _make("ReplicationPad2d", 2, "replicate")
ReplicationPad3d = _make("ReplicationPad3d", 3, "replicate")
CircularPad1d = _make("CircularPad1d", 1, "circular")
CircularPad2d = _make("CircularPad2d", 2, "circular")
CircularPad3d = _make("CircularPad3d", 3, "circular")


class _ZeroPadNd:
    """ZeroPad1d/2d/3d: their ConstantPad with the value fixed at 0, which their repr leaves out."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    extra_repr = _PadNd.extra_repr


ZeroPad1d = _own_init(type("ZeroPad1d", (_ZeroPadNd, ConstantPad1d), {"__module__": __name__}))
ZeroPad2d = _own_init(type("ZeroPad2d", (_ZeroPadNd, ConstantPad2d), {"__module__": __name__}))
ZeroPad3d = _own_init(type("ZeroPad3d", (_ZeroPadNd, ConstantPad3d), {"__module__": __name__}))
