"""Pooling modules.

Each family shares one base class holding its hyper-parameters; the 1d/2d/3d members differ
only in which ``tensorgraft.nn.functional`` routine they call (``_fn``) and, for some, in how
many spatial dims their tuple-valued arguments are expanded to (``_rank``).
"""
from __future__ import annotations

from .. import functional as F
from .module import Module
from .utils import _own_init

__all__ = [
    "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
    "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d", "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d",
    "FractionalMaxPool3d",
]


def _expand(value, rank):
    """An int becomes a ``rank``-tuple; any sequence becomes a tuple of its items."""
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,) * rank


def _or_kernel(stride, kernel_size):
    return kernel_size if stride is None else stride


def _fields_repr(module, names):
    return ", ".join(f"{n}={getattr(module, n)}" for n in names)


class _PoolBase(Module):
    """``_fn``: functional name; ``_shown``: attributes listed by ``extra_repr``."""

    _fn = None
    _rank = None
    _shown = ()

    def _call(self, *args, **kwargs):
        return getattr(F, self._fn)(*args, **kwargs)

    def extra_repr(self):
        return _fields_repr(self, self._shown)


def _variant(base, name, fn, rank, doc, own_init=False):
    """``own_init``: PyTorch's class defines its own ``__init__`` (the others inherit their base's),
    so a wrong call's TypeError names the class (see ``utils._own_init``)."""
    cls = type(name, (base,), {"_fn": fn, "_rank": rank, "__doc__": doc, "__module__": __name__,
                               "__qualname__": name})
    return _own_init(cls) if own_init else cls


# ------------------------------------------------------------------------------------ max pooling
class _MaxPoolNd(_PoolBase):
    _shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = _or_kernel(stride, kernel_size)
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._call(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          ceil_mode=self.ceil_mode, return_indices=self.return_indices)


MaxPool1d = _variant(_MaxPoolNd, "MaxPool1d", "max_pool1d", 1, "Max over sliding windows of (N, C, L) input.")
MaxPool2d = _variant(_MaxPoolNd, "MaxPool2d", "max_pool2d", 2, "Max over sliding windows of (N, C, H, W) input.")
MaxPool3d = _variant(_MaxPoolNd, "MaxPool3d", "max_pool3d", 3,
                     "Max over sliding windows of (N, C, D, H, W) input.")


# ------------------------------------------------------------------------------------ average pooling
class _AvgPoolNd(_PoolBase):
    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = _or_kernel(stride, kernel_size)
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return self._call(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)


class AvgPool1d(_AvgPoolNd):
    """Mean over sliding windows of (N, C, L) input; sizes are kept as 1-tuples, no divisor override."""

    _fn = "avg_pool1d"
    _rank = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        Module.__init__(self)
        self.kernel_size = _expand(kernel_size, 1)
        self.stride = _expand(_or_kernel(stride, kernel_size), 1)
        self.padding = _expand(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return self._call(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad)


AvgPool2d = _variant(_AvgPoolNd, "AvgPool2d", "avg_pool2d", 2, "Mean over sliding windows of (N, C, H, W) input.",
                     own_init=True)
AvgPool3d = _variant(_AvgPoolNd, "AvgPool3d", "avg_pool3d", 3,
                     "Mean over sliding windows of (N, C, D, H, W) input.", own_init=True)


# ------------------------------------------------------------------------------------ adaptive pooling
class _AdaptiveAvgPoolNd(_PoolBase):
    _shown = ("output_size",)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return self._call(input, self.output_size)


class _AdaptiveMaxPoolNd(_AdaptiveAvgPoolNd):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input):
        return self._call(input, self.output_size, self.return_indices)


AdaptiveAvgPool1d = _variant(_AdaptiveAvgPoolNd, "AdaptiveAvgPool1d", "adaptive_avg_pool1d", 1,
                             "Mean pooling to a fixed output length.")
AdaptiveAvgPool2d = _variant(_AdaptiveAvgPoolNd, "AdaptiveAvgPool2d", "adaptive_avg_pool2d", 2,
                             "Mean pooling to a fixed (H, W); ``None`` keeps that input size.")
AdaptiveAvgPool3d = _variant(_AdaptiveAvgPoolNd, "AdaptiveAvgPool3d", "adaptive_avg_pool3d", 3,
                             "Mean pooling to a fixed (D, H, W); ``None`` keeps that input size.")
AdaptiveMaxPool1d = _variant(_AdaptiveMaxPoolNd, "AdaptiveMaxPool1d", "adaptive_max_pool1d", 1,
                             "Max pooling to a fixed output length.")
AdaptiveMaxPool2d = _variant(_AdaptiveMaxPoolNd, "AdaptiveMaxPool2d", "adaptive_max_pool2d", 2,
                             "Max pooling to a fixed (H, W); ``None`` keeps that input size.")
AdaptiveMaxPool3d = _variant(_AdaptiveMaxPoolNd, "AdaptiveMaxPool3d", "adaptive_max_pool3d", 3,
                             "Max pooling to a fixed (D, H, W); ``None`` keeps that input size.")


# ------------------------------------------------------------------------------------ max unpooling
class _MaxUnpoolNd(_PoolBase):
    """Partial inverse of max pooling: scatter values back to the ``indices`` positions."""

    _shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        r = self._rank
        self.kernel_size = _expand(kernel_size, r)
        self.stride = _expand(_or_kernel(stride, kernel_size), r)
        self.padding = _expand(padding, r)

    def forward(self, input, indices, output_size=None):
        return self._call(input, indices, self.kernel_size, self.stride, self.padding, output_size)


MaxUnpool1d = _variant(_MaxUnpoolNd, "MaxUnpool1d", "max_unpool1d", 1, "Inverse of ``MaxPool1d``.",
                       own_init=True)
MaxUnpool2d = _variant(_MaxUnpoolNd, "MaxUnpool2d", "max_unpool2d", 2, "Inverse of ``MaxPool2d``.",
                       own_init=True)
MaxUnpool3d = _variant(_MaxUnpoolNd, "MaxUnpool3d", "max_unpool3d", 3, "Inverse of ``MaxPool3d``.",
                       own_init=True)


# ------------------------------------------------------------------------------------ power-average pooling
class _LPPoolNd(_PoolBase):
    _shown = ("norm_type", "kernel_size", "stride", "ceil_mode")

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return self._call(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


LPPool1d = _variant(_LPPoolNd, "LPPool1d", "lp_pool1d", 1, "p-norm over sliding windows of (N, C, L) input.")
LPPool2d = _variant(_LPPoolNd, "LPPool2d", "lp_pool2d", 2, "p-norm over sliding windows of (N, C, H, W) input.")
LPPool3d = _variant(_LPPoolNd, "LPPool3d", "lp_pool3d", 3,
                    "p-norm over sliding windows of (N, C, D, H, W) input.")


# ------------------------------------------------------------------------------------ fractional max pooling
class _FractionalMaxPoolNd(_PoolBase):
    """``_random_samples`` (a buffer, None unless given): fixed samples, else each call draws its own."""

    _checks_kernel = False

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False, _random_samples=None):
        super().__init__()
        r = self._rank
        self.kernel_size = _expand(kernel_size, r)
        if self._checks_kernel and min(self.kernel_size) <= 0:
            raise ValueError(f"kernel_size must be greater than 0, but got {kernel_size}")
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        if output_size is None and output_ratio is None:
            raise ValueError(f"{type(self).__name__} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        self.output_size = None if output_size is None else _expand(output_size, r)
        self.output_ratio = None if output_ratio is None else _expand(output_ratio, r)
        if self.output_ratio is not None and not all(0 < v < 1 for v in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        return self._call(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                          _random_samples=self._random_samples)

    def extra_repr(self):
        return ""


FractionalMaxPool2d = _variant(_FractionalMaxPoolNd, "FractionalMaxPool2d", "fractional_max_pool2d", 2,
                               "Max pooling over randomly placed windows of a (N, C, H, W) input.",
                               own_init=True)
FractionalMaxPool3d = _variant(_FractionalMaxPoolNd, "FractionalMaxPool3d", "fractional_max_pool3d", 3,
                               "Max pooling over randomly placed windows of a (N, C, D, H, W) input.",
                               own_init=True)
FractionalMaxPool3d._checks_kernel = True
