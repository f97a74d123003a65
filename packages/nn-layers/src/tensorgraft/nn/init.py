"""``tensorgraft.nn.init``: in-place initializers with PyTorch's names, defaults and fan rules.

Random values are drawn as PyTorch draws them: by the tensor's own in-place samplers
(``uniform_``, ``normal_``) in the tensor's dtype and in PyTorch's order, from its device's default
generator or the ``generator`` given (of the tensor's device type), so a CUDA parameter is
initialised on the GPU, and after ``tensorgraft.manual_seed`` a CPU layer gets PyTorch's weights.
Nothing is recorded by autograd. Deterministic fills (``eye_``, ``dirac_`` ...) are built on the
host and written into the tensor.
"""
from __future__ import annotations

import math
import sys
import warnings

import numpy as np

import tensorgraft as _tg
from tensorgraft import _C
from tensorgraft.dtypes import np_kind
from tensorgraft.grad_mode import no_grad
from tensorgraft.ops.sampling import write_host_values

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_",
           "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_",
           "sparse_"]


_write = write_host_values  # store host values into a tensor (cast, moved to its device)


def _overridden(tensor) -> bool:
    """Whether a ``TorchFunctionMode`` or ``tensor``'s own ``__torch_function__`` takes the call over
    (PyTorch's ``uniform_``, ``normal_``, ``constant_`` and ``kaiming_uniform_`` ask, and hand
    themselves over with every argument by keyword). Before dispatch is on, a type check and a
    counter read."""
    if type(tensor) is _tg.Tensor and not _C.special[0]:
        return False
    binding = sys.modules.get("tensorgraft.overrides._binding")
    if binding is None or not binding.active:
        return False
    from tensorgraft.overrides import has_torch_function_variadic
    return has_torch_function_variadic(tensor)


def _handled(func, tensor, **kwargs):
    from tensorgraft.overrides import handle_torch_function
    return handle_torch_function(func, (tensor,), tensor=tensor, **kwargs)


def _refuse_uninitialized(tensor, where):
    """A lazy module's parameter before its first forward has no shape to initialise: PyTorch
    refuses it where it is first touched, naming that method (``"zero_"``) or, for an initializer
    it intercepts whole, the function itself (``where`` a function)."""
    from .parameter import UninitializedTensorMixin, _uninitialized_error
    if isinstance(tensor, UninitializedTensorMixin):
        if callable(where):
            text = str(_uninitialized_error(type(tensor), "X"))
            raise ValueError(text.replace("<method 'X' of 'torch._C.TensorBase' objects>", repr(where)))
        raise _uninitialized_error(type(tensor), where)


def calculate_gain(nonlinearity, param=None):
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    _refuse_uninitialized(tensor, "dim")
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    if dimensions > 2:
        for s in tensor.shape[2:]:
            receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    if _overridden(tensor):
        return _handled(uniform_, tensor, a=a, b=b, generator=generator)
    _refuse_uninitialized(tensor, uniform_)
    return _uniform(tensor, a, b, generator)


def _uniform(tensor, a, b, generator):
    """``uniform_`` without the dispatch (PyTorch's ``_no_grad_uniform_``: the initialisers built on
    it are seen by a mode once, under their own name)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    if _overridden(tensor):
        return _handled(normal_, tensor, mean=mean, std=std, generator=generator)
    _refuse_uninitialized(tensor, normal_)
    return _normal(tensor, mean, std, generator)


def _normal(tensor, mean, std, generator):
    """``normal_`` without the dispatch (PyTorch's ``_no_grad_normal_``)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may "
                      "be incorrect.", stacklevel=2)

    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0
    mass = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    _refuse_uninitialized(tensor, "new_tensor")
    _trunc_normal_checks(tensor, a, b, mass)
    with no_grad():
        # Rejection, in rounds over the whole tensor (PyTorch's draws, observed): each round
        # draws a full tensor of proposals, and the elements still open take the accepted ones
        # at their own positions. A window keeping >= 30% of the mass proposes normal_(mean, std)
        # and accepts what lands in [a, b]; a narrower one proposes uniform_(a, b) and accepts
        # with probability density / the window's highest density (a second uniform_).
        pending = _tg.ones(tuple(tensor.shape), dtype=_tg.bool, device=tensor.device)
        peak = min(max(mean, a), b)
        while bool(pending.any()):
            proposal = _tg.empty_like(tensor)
            if mass >= _REJECTION_MIN_MASS:
                proposal.normal_(mean, std, generator=generator)
                accepted = (proposal >= a) & (proposal <= b)
            else:
                proposal.uniform_(a, b, generator=generator)
                coin = _tg.empty_like(tensor).uniform_(generator=generator)
                z = proposal.double()
                density = _tg.exp(-((z - mean) ** 2 - (peak - mean) ** 2) / (2.0 * std * std))
                accepted = coin.double() < density
            tensor.copy_(_tg.where(pending & accepted, proposal, tensor))
            pending &= ~accepted
        return tensor


# the mass a truncation window must keep for PyTorch to propose from normal_ rather than uniform_
_REJECTION_MIN_MASS = 0.3


def _trunc_normal_checks(tensor, a, b, mass):
    """The errors PyTorch's samplers raise, before anything is written: an integer tensor has no
    kernel for the sampler used, and an empty window is a ``uniform_`` range error."""
    dtype = tensor._data.dtype
    if np_kind(dtype) not in "fc":
        from tensorgraft.ops._frontend import _type_name
        kernel = "normal_kernel" if mass >= _REJECTION_MIN_MASS else "check_uniform_bounds"
        suffix = "_" + tensor.device.type if kernel == "normal_kernel" else ""
        raise NotImplementedError(f"\"{kernel}{suffix}\" not implemented for '{_type_name(dtype)}'")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a:g} > to={b:g}")


def constant_(tensor, val):
    if _overridden(tensor):
        return _handled(constant_, tensor, val=val)
    _refuse_uninitialized(tensor, constant_)
    return _constant(tensor, val)


def _constant(tensor, val):
    """``constant_`` without the dispatch (PyTorch's ``_no_grad_fill_``)."""
    return _write(tensor, np.full(tuple(tensor.shape), val))


def ones_(tensor):
    _refuse_uninitialized(tensor, "fill_")
    return _constant(tensor, 1.0)


def zeros_(tensor):
    _refuse_uninitialized(tensor, "zero_")
    return _constant(tensor, 0.0)


def eye_(tensor):
    _refuse_uninitialized(tensor, "dim")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    _refuse_uninitialized(tensor, "dim")
    dims = tensor.ndim
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    v = np.zeros(tuple(sizes))
    for g in range(groups):
        for d in range(min_dim):
            idx = (g * out_chans_per_grp + d, d) + tuple(s // 2 for s in sizes[2:])
            v[idx] = 1
    return _write(tensor, v)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return _uniform(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return _normal(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _overridden(tensor):
        return _handled(kaiming_uniform_, tensor, a=a, mode=mode, nonlinearity=nonlinearity, generator=generator)
    _refuse_uninitialized(tensor, kaiming_uniform_)
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return _uniform(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return _normal(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    """The standard deviation of both kaiming initializers: ``gain / sqrt(fan)`` (the mode checked
    before the nonlinearity, as PyTorch)."""
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return gain / math.sqrt(fan)


def orthogonal_(tensor, gain=1, generator=None):
    _refuse_uninitialized(tensor, "dim")
    if tensor.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    dtype = tensor._data.dtype
    if np_kind(dtype) not in "fc" or dtype.itemsize == 2:
        # PyTorch draws the Gaussian matrix in the tensor's dtype (no integer kernel) and factors it
        # there (no half-precision QR): the same errors, before anything is written
        from tensorgraft.ops._frontend import _type_name
        kernel = f"normal_kernel_{tensor.device.type}" if np_kind(dtype) not in "fc" else f"geqrf_{tensor.device.type}"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_name(dtype)}'")
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    with no_grad():
        # a Gaussian matrix in the tensor's dtype (PyTorch's draws), orthonormalised by QR on its device
        flat = tensor.new_empty((rows, cols)).normal_(0.0, 1.0, generator=generator)
        if rows < cols:
            flat = flat.t()
        q, r = _tg.linalg.qr(flat)
        q = q * _tg.diagonal(r, 0, -2, -1).sign()  # unique Q: R's diagonal made positive
        if rows < cols:
            q = q.t()
        return tensor.copy_((gain * q).reshape(tuple(tensor.shape)))


def sparse_(tensor, sparsity, std=0.01, generator=None):
    _refuse_uninitialized(tensor, "dim")
    if tensor.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    with no_grad():
        tensor.normal_(0, std, generator=generator)
        for c in range(cols):  # each column: num_zeros rows, chosen at random, set to zero
            zero_rows = _tg.randperm(rows, generator=generator, device=tensor.device)[:num_zeros]
            tensor[zero_rows, c] = 0
    return tensor


# deprecated aliases without the trailing underscore
def _deprecated(fn):
    def f(*args, **kwargs):
        warnings.warn(f"`nn.init.{fn.__name__[:-1]}` is now deprecated in favor of `nn.init.{fn.__name__}`.",
                      FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)
    f.__name__ = fn.__name__[:-1]
    return f


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
