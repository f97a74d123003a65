"""Convolution modules: Conv1d/2d/3d, ConvTranspose1d/2d/3d, Unfold, Fold."""
from __future__ import annotations

import math
from tensorgraft.argument_errors import c_type_name

from tensorgraft.ops._args import invalid_combination, is_int
from tensorgraft.ops._frontend import _type_name
from tensorgraft.ops.creation import empty
from tensorgraft.tensor import Tensor

from .. import functional as F
from .. import init
from ..functional_ops.conv3d import _C_TYPE, mkldnn_wording
from ..functional_ops.conv_api import _conv_signature
from ..parameter import Parameter
from .module import Module
from .utils import _own_init

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", "Unfold", "Fold"]

# PyTorch's messages print these as Python sets, whose order follows the string hashes (so
# PYTHONHASHSEED) and the order the items went in: built the same way, they print the same
_PADDING_WORDS = set(("same", "valid"))
_PADDING_MODES = set(("zeros", "reflect", "circular", "replicate"))


def _ntuple(v, n):
    """``v`` repeated ``n`` times, or the items of ``v`` if it is already a sequence."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _ntuple_iter(v, n):
    """PyTorch's ``_pair``/``_triple``: any iterable gives its items, so a string its characters
    (a transposed convolution keeps ``padding='same'`` as ``('s', 'a', 'm', 'e')``)."""
    return tuple(v) if isinstance(v, (tuple, list, str)) else (v,) * n


def _validate_layout(in_channels, out_channels, groups, padding, stride, padding_mode):
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    for label, count in (("in_channels", in_channels), ("out_channels", out_channels)):
        if count % groups != 0:
            raise ValueError(f"{label} must be divisible by groups")
    if isinstance(padding, str):
        if padding not in _PADDING_WORDS:
            raise ValueError(f"Invalid padding string {padding!r}, should be one of {_PADDING_WORDS}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got padding_mode='{padding_mode}'")


def _check_bias_type(input, bias):
    """A convolution's first check (a float64 batch into a float32 model is the common case)."""
    if isinstance(input, Tensor) and bias is not None and bias.dtype != input.dtype:
        a, b = (_C_TYPE.get(str(t._data.dtype), str(t._data.dtype)) for t in (input, bias))
        raise RuntimeError(f"Input type ({a}) and bias type ({b}) should be the same")


def _check_transposed_types(m, input, weight, bias):
    """A transposed convolution checks the dtypes after the shapes: raised here where the shapes
    are right (a wrong shape is left to the functional form, which says what is wrong)."""
    if not isinstance(input, Tensor) or input.dim() not in (m._n + 1, m._n + 2):
        return
    if input.shape[-m._n - 1] != weight.shape[0]:
        return
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[1] * m.groups):
        return
    mkldnn = mkldnn_wording(input, input.shape[0] if input.dim() == m._n + 2 else 1)
    # (ATen's slow 1-D/2-D transposed kernels take a bias of another float type as it is)
    for t in (weight, bias) if mkldnn or m._n == 3 else (weight,):
        if t is None or t.dtype == input.dtype:
            continue
        if mkldnn:
            label = "weight" if t is weight else "bias"
            raise RuntimeError(f"Input type ({input.type()}) and {label} type ({t.type()}) should be the same or "
                               f"input should be a MKLDNN tensor and {label} is a dense tensor")
        raise RuntimeError(f"expected scalar type {_type_name(input._data.dtype)} but found "
                           f"{_type_name(t._data.dtype)}")


def _pad_amounts(padding, kernel_size, dilation):
    """``F.pad`` argument for a non-zeros padding mode: (before, after) per dim, last dim first."""
    if isinstance(padding, str):
        amounts = []
        for k, d in zip(reversed(kernel_size), reversed(dilation)):
            span = 0 if padding == "valid" else d * (k - 1)
            amounts += [span // 2, span - span // 2]
        return amounts
    return tuple(p for p in reversed(padding) for _ in range(2))


def _output_padding(m, input, output_size):
    """A transposed convolution's output padding: the module's, or what makes the output
    ``output_size`` (its spatial sizes, optionally preceded by the batch and channel sizes)."""
    if output_size is None:
        return m.output_padding
    n = m._n
    lead = input.dim() - n
    if len(output_size) not in (n, lead + n):
        raise ValueError(f"ConvTranspose{n}D: for {input.dim()}D input, output_size must have {n} or "
                         f"{lead + n} elements (got {len(output_size)})")
    wanted = output_size[len(output_size) - n:]   # shown in the caller's own sequence type
    smallest = []
    for i in range(n):
        length = input.shape[lead + i]
        smallest.append((length - 1) * m.stride[i] - 2 * m.padding[i] + m.dilation[i] * (m.kernel_size[i] - 1) + 1)
    largest = [lo + s - 1 for lo, s in zip(smallest, m.stride)]
    if any(not lo <= w <= hi for w, lo, hi in zip(wanted, smallest, largest)):
        # (PyTorch names input.size()[2:], an unbatched input's too)
        raise ValueError(f"requested an output size of {wanted}, but valid sizes range from "
                         f"{smallest} to {largest} (for an input of {input.shape[2:]})")
    return tuple(w - lo for w, lo in zip(wanted, smallest))


class _ConvNd(Module):
    """Shared state of every convolution: sizes, weight/bias and their initialisation."""

    _n = None   # spatial dims
    _functional = None

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed, output_padding,
                 groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        _validate_layout(in_channels, out_channels, groups, padding, stride, padding_mode)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        self._reversed_padding_repeated_twice = _pad_amounts(padding, kernel_size, dilation)
        if transposed:
            lead = (in_channels, out_channels // groups)
        else:
            lead = (out_channels, in_channels // groups)
        # the shape as one tuple, as PyTorch passes it: a float channel count is then refused in
        # empty()'s words for a tuple ("... at pos 0"), not as surplus positional arguments
        self.weight = Parameter(empty((*lead, *kernel_size), device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty((out_channels,), device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is None:
            return
        fan_in = init._calculate_fan_in_and_fan_out(self.weight)[0]
        # with no inputs (a zero-size kernel or no channels) the bias is drawn from U(0, 0): zeros,
        # and the generator still moves on by its length, as PyTorch's
        half = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        init.uniform_(self.bias, -half, half)

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        # a tuple-valued setting is shown unless every entry has its default value
        for label, neutral in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
            value = getattr(self, label)
            if value != (neutral,) * len(value):
                text += f", {label}={value}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    """Conv1d/2d/3d: one class each for the name and repr; ``_conv`` is the functional form."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        n = self._n
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         padding if isinstance(padding, str) else _ntuple(padding, n), _ntuple(dilation, n),
                         False, _ntuple(0, n), groups, bias, padding_mode, device, dtype)

    def _conv(self, input, weight, bias):
        fn = getattr(F, self._functional)
        s, p, d = self.stride, self.padding, self.dilation
        if (s[0].__class__ is not int or d[0].__class__ is not int or self.groups.__class__ is not int
                or (p.__class__ is not str and p[0].__class__ is not int)):
            self._check_setting_types(input, weight, bias)
        if self.padding_mode == "zeros":
            _check_bias_type(input, bias)
            return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)
        padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
        _check_bias_type(padded, bias)
        return fn(padded, weight, bias, self.stride, _ntuple(0, self._n), self.dilation, self.groups)

    def _check_setting_types(self, input, weight, bias):
        """Settings built from floats (``stride=1.5``) are refused when the module runs, not when it
        is built, as PyTorch's: its functional, called with every argument positionally, takes
        none of them (a sequence whose first item is an int the functional checks itself)."""
        s, p, d = self.stride, self.padding, self.dilation
        if all(is_int(v[0]) for v in (s, d) + (() if p.__class__ is str else (p,))) and is_int(self.groups):
            return
        raise invalid_combination(self._functional, (input, weight, bias, s, p, d, self.groups),
                                  overloads=_conv_signature(self._n, False))

    def _conv_forward(self, input, weight, bias):
        # PyTorch's name for it: subclasses (weight standardisation, "same" padding variants) call
        # it with a weight of their own, or override it, and forward goes through it
        return self._conv(input, weight, bias)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class _ConvTranspose(_ConvNd):
    """ConvTranspose1d/2d/3d; ``_conv`` is the functional form."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        n = self._n
        t = _ntuple_iter
        super().__init__(in_channels, out_channels, t(kernel_size, n), t(stride, n), t(padding, n), t(dilation, n),
                         True, t(output_padding, n), groups, bias, padding_mode, device, dtype)

    def _conv(self, input, weight, bias, output_padding):
        # the functional's argument parser, position by position: a setting built from a string
        # (padding='same') holds characters, refused before anything runs
        for pos, label, value in ((4, "stride", self.stride), (5, "padding", self.padding),
                                  (6, "output_padding", output_padding), (8, "dilation", self.dilation)):
            for i, item in enumerate(value):
                if not hasattr(item, "__index__"):  # ints, NumPy ints
                    raise TypeError(f"{self._functional}(): argument '{label}' (position {pos}) must be tuple of "
                                    f"ints, but found element of type {c_type_name(item)} at pos {i}")
        _check_transposed_types(self, input, weight, bias)
        return getattr(F, self._functional)(input, weight, bias, self.stride, self.padding, output_padding,
                                            self.groups, self.dilation)

    def forward(self, input, output_size=None):
        return self._conv(input, self.weight, self.bias, _output_padding(self, input, output_size))


def _conv_class(base, name, n, functional, doc):
    # (each has its own __init__ in PyTorch: a wrong call's TypeError names Conv2d.__init__())
    return _own_init(type(name, (base,), {"_n": n, "_functional": functional, "__doc__": doc,
                                          "__module__": __name__, "__qualname__": name}))


Conv1d = _conv_class(_Conv, "Conv1d", 1, "conv1d", "1-D convolution over (N, C, L) or (C, L) input.")
Conv2d = _conv_class(_Conv, "Conv2d", 2, "conv2d", "2-D convolution over (N, C, H, W) or (C, H, W) input.")
Conv3d = _conv_class(_Conv, "Conv3d", 3, "conv3d", "3-D convolution over (N, C, D, H, W) or (C, D, H, W) input.")
ConvTranspose1d = _conv_class(_ConvTranspose, "ConvTranspose1d", 1, "conv_transpose1d",
                              "Transposed 1-D convolution (the gradient of ``Conv1d`` with respect to its input).")
ConvTranspose2d = _conv_class(_ConvTranspose, "ConvTranspose2d", 2, "conv_transpose2d",
                              "Transposed 2-D convolution (the gradient of ``Conv2d`` with respect to its input).")
ConvTranspose3d = _conv_class(_ConvTranspose, "ConvTranspose3d", 3, "conv_transpose3d",
                              "Transposed 3-D convolution (the gradient of ``Conv3d`` with respect to its input).")


def _window_repr(module, names):
    return ", ".join(f"{n}={getattr(module, n)}" for n in names)


class Unfold(Module):
    """Extract sliding local blocks into columns (im2col)."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return _window_repr(self, ("kernel_size", "dilation", "padding", "stride"))


class Fold(Module):
    """Sum columns of sliding blocks back into a tensor of ``output_size`` (col2im)."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return _window_repr(self, ("output_size", "kernel_size", "dilation", "padding", "stride"))


_ConvTransposeNd = _ConvTranspose  # PyTorch's name for the transposed convolutions' base class
