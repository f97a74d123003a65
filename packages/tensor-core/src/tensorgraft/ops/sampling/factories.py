"""The factories that draw a fresh tensor of a given size -- ``rand``, ``randn``, ``randint``,
``randperm``, ``normal`` -- and the ``*_like`` forms that take an existing tensor's shape, dtype,
device and layout.

``normal`` with tensor ``mean``/``std`` is recorded, through the private op ``normal`` declared
here, so its gradient reaches them; the other factories make leaves."""
from __future__ import annotations

import math
import numbers
from tensorgraft.argument_errors import c_type_name

import numpy as np

from ... import dtypes as _dt
from ... import memory_layout as _ml
from ...tensor import Size, Tensor
from .. import _frontend as F
from .._args import invalid_combination, is_int, wrong_type
from .._define import defop
from ..conversion import resolve_device
from ..creation import _KERNEL_TYPE_NAMES, _check_dtype, _like_layout, _not_implemented, _size, empty_like
from ..creation._common import no_sparse_kernel, sparse_layout
from .streams import (
    _CPU, _HALF_VARIANCE, _any, _cpp_float, _draw_dtype, _drawn, _matches_pytorch, _operand, _pytorch_draw,
    _factory_out, _random_from_to, _stream, _write_sampled_out,
)


# --------------------------------------------------------------------------- fresh tensors
_SIZE_OVERLOADS = ("tuple of ints size, *, {}Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                   "torch.device device = None, bool pin_memory = False, bool requires_grad = False")


def _no_size(fname, *options):
    """PyTorch's error for ``rand()``/``randn()`` without a size: its argument parser names the
    missing size when one keyword was given, else lists the overloads. (With several keywords
    it lists them in an order of its own; the overload list is kept and the "got" part is
    left empty.) Reached only on the error path."""
    given = sum(o is not None and o is not False for o in options)
    if given == 1:
        return TypeError(f"{fname}() missing 1 required positional arguments: \"size\"")
    return TypeError(f"{fname}() received an invalid combination of arguments - got (), but expected one of:\n"
                     f" * ({_SIZE_OVERLOADS.format('torch.Generator generator, ')})\n"
                     f" * ({_SIZE_OVERLOADS.format('')})\n")


def _sample(fname, kernel, draw, complex_scale, pytorch_draw):
    def sample(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
               pin_memory=False, **kw):
        size_ = kw.pop("size", None)
        if kw:
            raise TypeError(f"{fname}() got an unexpected keyword argument '{next(iter(kw))}'")
        if not size and size_ is None:
            raise _no_size(fname, generator, out, dtype, layout, device, requires_grad, pin_memory)
        if layout is not None and sparse_layout(layout, fname):
            raise no_sparse_kernel(fname, "uniform_" if fname == "rand" else "normal_")
        dtype = _check_dtype(dtype, fname)
        if out is not None:
            dtype, device = _out_dtype_and_device(out, dtype, device, fname)
        dtype = dtype or _dt.get_default_dtype()
        shape = _size(size, fname, size_)
        if (dtype.category < 2 or dtype.limited) and (fname == "rand" or math.prod(shape)):
            # (uniform_ checks the dtype first; normal_ only in its kernel, not reached when empty)
            raise _not_implemented(kernel, dtype)
        dev = resolve_device(device)
        g, on_device = _stream(generator, dev)
        fd = _draw_dtype(dtype.np) if on_device else np.float64
        if dtype.category < 2:
            data = np.empty(shape, dtype.np)
        elif _matches_pytorch(g, on_device):
            data = _pytorch_draw(lambda s, d, c: pytorch_draw(g, s, d, c), shape, dtype)
        elif dtype.category == 3:
            re = draw(g, shape, fd) * complex_scale
            data = (re + 1j * draw(g, shape, fd) * complex_scale).astype(dtype.np)
        else:
            data = draw(g, shape, fd).astype(dtype.np, copy=False)
        res = _drawn(data, dev, on_device, requires_grad)
        return res if out is None else _write_sampled_out(out, res._data, fname)
    sample.__name__ = sample.__qualname__ = fname
    return sample


def _out_dtype_and_device(out, dtype, device, fname):
    """A factory's ``out=`` decides the result's dtype (and device) unless they are given; a given
    dtype must be ``out``'s."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{fname}(): argument 'out' must be Tensor, not {c_type_name(out)}")
    if dtype is not None and dtype is not out.dtype:
        raise RuntimeError(f"dtype {_KERNEL_TYPE_NAMES[dtype.name]} does not match dtype of out parameter "
                           f"({_KERNEL_TYPE_NAMES[out.dtype.name]})")
    return out.dtype, out.device if device is None else device


rand = _sample("rand", "check_uniform_bounds", lambda g, s, d: g.random(s, dtype=d), 1.0,
               lambda g, s, d, c: g.uniform(0.0, 1.0, s, d))
# complex randn: real and imaginary parts each with variance 1/2, as PyTorch
randn = _sample("randn", "normal_kernel_cpu", lambda g, s, d: g.standard_normal(s, dtype=d), math.sqrt(0.5),
                lambda g, s, d, c: g.normal(0.0, _HALF_VARIANCE if c else 1.0, s, d))


def _strided_like(input, dtype, device, memory_format, generator):
    """For ``rand_like`` & co.: an empty result laid out as PyTorch lays it out, when that is not
    C-contiguous and the PyTorch-matching stream draws it (``None`` otherwise). PyTorch fills such
    a result in memory order, and its normals element by element, so it is filled in place."""
    if memory_format is _ml.contiguous_format or input._data.flags.c_contiguous and memory_format is None:
        return None
    dev = resolve_device(device or input.device)
    if not _matches_pytorch(*_stream(generator, dev)):
        return None
    out = empty_like(input, dtype=dtype or input.dtype, device=dev, memory_format=memory_format)
    return None if out._data.flags.c_contiguous else out


def _requires_grad(t, requires_grad):
    return t.requires_grad_(True) if requires_grad else t


def _sample_like(input, sampler, fill, dtype, device, requires_grad, memory_format, generator):
    """``rand_like``/``randn_like``: a result laid out like a non-contiguous ``input`` is filled in
    place (``fill``, PyTorch's memory order); otherwise ``sampler`` draws it and it takes the layout."""
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None:
        return _requires_grad(getattr(strided, fill)(0.0, 1.0, generator=generator), requires_grad)
    out = sampler(tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                  requires_grad=requires_grad, generator=generator)
    return _like_layout(out, input, memory_format)


def _refuse_sparse_like(input, layout, fname, aten):
    if sparse_layout(layout, fname) if layout is not None else isinstance(input, Tensor) and input.is_sparse:
        raise no_sparse_kernel(fname, aten)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
              generator=None, pin_memory=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("rand_like", "input", 1, input)
    _refuse_sparse_like(input, layout, "rand_like", "uniform_")
    return _sample_like(input, rand, "uniform_", dtype, device, requires_grad, memory_format, generator)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None,
               generator=None, pin_memory=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("randn_like", "input", 1, input)
    _refuse_sparse_like(input, layout, "randn_like", "normal_")
    return _sample_like(input, randn, "normal_", dtype, device, requires_grad, memory_format, generator)


def _int_arg(v, fname, name, pos):
    if isinstance(v, Tensor):
        v = v.item()
    if not isinstance(v, numbers.Integral) or isinstance(v, bool):
        raise TypeError(f"{fname}(): argument '{name}' (position {pos}) must be int, not {c_type_name(v)}")
    return int(v)


# PyTorch's argument parser lists randint's four signatures in full, one per line, then a blank line
_RANDINT_KW = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
               "bool pin_memory = False, bool requires_grad = False")
_RANDINT_OVERLOADS = "".join(f" * ({head}, *, {gen}{_RANDINT_KW})\n"
                             for head in ("int high, tuple of ints size", "int low, int high, tuple of ints size")
                             for gen in ("torch.Generator generator, ", ""))


@_factory_out("randint")
def randint(*args, size=None, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
            pin_memory=False, low=None, high=None) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``; values in ``[low, high)``, int64."""
    if layout is not None and sparse_layout(layout, "randint"):
        raise no_sparse_kernel("randint", "random_.from")
    given, size_kw, high_kw = args, size, high
    args = list(args)
    if size is None:
        if len(args) == 2 and isinstance(args[1], numbers.Integral) and not isinstance(args[1], bool):
            # randint(5, 3): the second int is read as the size
            raise TypeError("randint(): argument 'size' (position 2) must be tuple of ints, not int")
        if not args or not isinstance(args[-1], (tuple, list, Size)):
            got = ", ".join(c_type_name(a) for a in args)
            raise TypeError(f"randint() received an invalid combination of arguments - got ({got}), but expected "
                            f"one of:\n{_RANDINT_OVERLOADS}")
        size = args.pop()
    elif isinstance(size, numbers.Integral):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not {c_type_name(size)}")
    if high is None:
        if len(args) == 1:
            low_, high = 0 if low is None else low, args[0]
        elif len(args) == 2:
            low_, high = args
        else:
            raise TypeError("randint() takes 'high' or 'low, high' followed by 'size'")
    else:
        low_ = (args[0] if args else 0) if low is None else low
    if low is None and len(args) < 2 and not is_int(high):  # (the signatures without low: their parser's words)
        raise wrong_type("randint", "high", "int", high, 1 if high_kw is None else None)
    if not (is_int(low_) and is_int(high)):  # (four signatures: a float bound must not be truncated)
        kw = {k: v for k, v in (("low", low), ("high", high_kw), ("size", size_kw))
              if v is not None}
        raise TypeError(f"{invalid_combination('randint', given, kw)}{_RANDINT_OVERLOADS}")
    low_, high = _int_arg(low_, "randint", "low", 1), _int_arg(high, "randint", "high", 2)
    dtype = _check_dtype(dtype, "randint") or _dt.int64
    shape = _size((tuple(size),), "randint")
    # PyTorch: empty(size).random_(low, high): its checks, and the bounds a float dtype holds
    bounds = _random_from_to(low_, high, dtype, math.prod(shape) == 0)
    dev = resolve_device(device)
    g, on_device = _stream(generator, dev)
    if bounds is None:
        return _drawn(np.empty(shape, dtype.np), dev, False, requires_grad)
    low_, span = bounds
    data = g.integers(low_, low_ + span, shape, dtype=np.int64)
    return _drawn(data.astype(dtype.np, copy=False), dev, on_device, requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None, generator=None, pin_memory=False):
    if not isinstance(input, Tensor):
        raise F.not_a_tensor("randint_like", "input", 1, input)
    _refuse_sparse_like(input, layout, "randint_like", "random_.from")
    if high is None:
        low, high = 0, low
    strided = _strided_like(input, dtype, device, memory_format, generator)
    if strided is not None and high > low:  # (bad bounds: randint below words the error)
        return _requires_grad(strided.random_(low, high, generator=generator), requires_grad)
    out = randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device,
                  generator=generator, requires_grad=requires_grad)
    return _like_layout(out, input, memory_format)


_ABSENT_N = object()
_RANDPERM_OVERLOADS = tuple(
    f"int n, *, {gen}Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
    "torch.device device = None, bool pin_memory = False, bool requires_grad = False"
    for gen in ("torch.Generator generator, ", ""))


@_factory_out("randperm")
def randperm(n=_ABSENT_N, *, generator=None, dtype=None, device=None, requires_grad=False, out=None, layout=None,
             pin_memory=False) -> Tensor:
    if n is _ABSENT_N:
        raise invalid_combination("randperm", (), None, _RANDPERM_OVERLOADS)
    n = _int_arg(n, "randperm", "n", 1)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dtype = _check_dtype(dtype, "randperm") or _dt.int64
    if dtype is _dt.bool or dtype.category == 3 or dtype.limited:
        raise _not_implemented("randperm", dtype)
    _check_randperm_fits(n, dtype)
    dev = resolve_device(device)
    g, on_device = _stream(generator, dev)
    return _drawn(g.permutation(n).astype(dtype.np), dev, on_device, requires_grad)


# the largest n whose permutation a float type holds exactly (its integers are exact up to 2**digits)
_RANDPERM_FLOAT_LIMITS = {"float16": ("2049", "Half"), "float32": ("2^24+1", "Float"), "float64": ("2^53+1", "Double")}


def _check_randperm_fits(n, dtype) -> None:
    """``randperm(n, dtype=...)``: PyTorch refuses an ``n`` whose values the dtype cannot hold."""
    if dtype.name in _RANDPERM_FLOAT_LIMITS:
        if n > (1 << (np.finfo(dtype.np).nmant + 1)) + 1:
            shown, kind = _RANDPERM_FLOAT_LIMITS[dtype.name]
            raise RuntimeError(f"n cannot be greater than {shown} for {kind} type.")
    elif dtype.category == 1 and n > int(np.iinfo(dtype.np).max) + 1:
        raise RuntimeError(f"value cannot be converted to type {dtype.name}_t without overflow")


# PyTorch's four signatures of normal, as its argument parser lists them
_NORMAL_OVERLOADS = (
    "Tensor mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "Tensor mean, float std = 1, *, torch.Generator generator = None, Tensor out = None",
    "float mean, Tensor std, *, torch.Generator generator = None, Tensor out = None",
    "float mean, float std, tuple of ints size, *, torch.Generator generator = None, Tensor out = None, "
    "torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
    "bool requires_grad = False",
)
_ABSENT = object()


def _normal_args(args, kw):
    """``(mean, std, size)`` of a call to ``normal``, bound as PyTorch's parser binds them (absent
    ones ``_ABSENT``), or its error for a call none of the four signatures takes."""
    bound = dict(zip(("mean", "std", "size"), args))
    for name in ("mean", "std", "size"):
        if name in kw:
            if name in bound:
                raise TypeError(f"normal() got multiple values for argument '{name}'")
            bound[name] = kw.pop(name)
    if kw:
        raise TypeError(f"normal() got an unexpected keyword argument '{next(iter(kw))}'")
    mean, std, size = (bound.get(k, _ABSENT) for k in ("mean", "std", "size"))
    number = lambda v: isinstance(v, numbers.Real) and not isinstance(v, Tensor)  # noqa: E731 (bools too)
    if len(args) <= 3 and size is _ABSENT:
        if isinstance(mean, Tensor) and (std is _ABSENT or isinstance(std, Tensor) or number(std)):
            return mean, 1.0 if std is _ABSENT else std, None
        if number(mean) and isinstance(std, Tensor):
            return mean, std, None
        if mean is _ABSENT and isinstance(std, Tensor):
            return TypeError('normal() missing 1 required positional arguments: "mean"')
        if number(mean) and std is _ABSENT and len(args) == 1:
            return TypeError(f"normal(): argument 'mean' (position 1) must be Tensor, not {c_type_name(mean)}")
    elif (len(args) <= 3 and number(mean) and number(std) and isinstance(size, (tuple, list, Size))
          and all(is_int(n) for n in size)):
        return mean, std, size
    given = {k: bound[k] for k in ("mean", "std", "size")[len(args):] if k in bound}
    return invalid_combination("normal", args, given, _NORMAL_OVERLOADS)


def normal(*args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
           pin_memory=False, **kw) -> Tensor:
    """``normal(mean, std, size)`` with numbers, or elementwise with tensor ``mean``/``std``."""
    if layout is not None and sparse_layout(layout, "normal"):
        raise no_sparse_kernel("normal", "normal_")
    bound = _normal_args(args, kw)
    if isinstance(bound, TypeError):
        raise bound
    mean, std, size = bound
    if size is None:
        return _normal_of_tensors(mean, std, generator, out, requires_grad)
    if not std >= 0:  # NaN included
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cpp_float(std)}")
    dtype = _check_dtype(dtype, "normal")
    if out is not None:
        dtype, device = _out_dtype_and_device(out, dtype, device, "normal")
    dtype = dtype or _dt.get_default_dtype()
    shape = _size((tuple(size),), "normal")
    if dtype.category < 2 and math.prod(shape):  # (PyTorch: empty(size).normal_(), no kernel when empty)
        raise _not_implemented("normal_kernel_cpu", dtype)
    # PyTorch's normal() is not among the factories that follow the default device
    dev = _CPU if device is None else resolve_device(device)
    g, on_device = _stream(generator, dev)
    if dtype.category < 2:
        data = np.empty(shape, dtype.np)
    elif _matches_pytorch(g, on_device):
        # a complex tensor: its float view filled with std / sqrt(2), as PyTorch's normal_
        part_std = std / math.sqrt(2.0) if dtype.category == 3 else std
        data = _pytorch_draw(lambda s, d, c: g.normal(mean, part_std, s, d), shape, dtype)
    else:
        fd = _draw_dtype(dtype.np) if on_device else np.float64
        data = (mean + std * g.standard_normal(shape, dtype=fd)).astype(dtype.np)
    if out is not None:
        return _write_sampled_out(out, _drawn(data, dev, on_device, False)._data, "normal")
    return _drawn(data, dev, on_device, requires_grad)


def _normal_of_tensors(mean, std, generator, out, requires_grad):
    """``normal`` with a tensor ``mean`` and/or ``std``, as PyTorch's ``normal_out_impl``: the result
    (``out``, or a new tensor of ``mean``'s dtype, else ``std``'s) filled by ``normal_(0, 1)`` (with
    a number ``std``: ``normal_(0, std)``), then multiplied by a tensor ``std`` and shifted by
    ``mean`` in place, each step rounded to the result's dtype."""
    ref = mean if isinstance(mean, Tensor) else std
    dev = ref._device
    if isinstance(std, Tensor):
        if std.dtype.category == 3:
            raise RuntimeError("normal expects standard deviation to be non-complex")
    elif not std >= 0:  # NaN included
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_cpp_float(std)}")
    g, on_device = _stream(generator, dev)
    m, s = _operand(mean, dev, on_device), _operand(std, dev, on_device)
    if isinstance(std, Tensor) and std.numel() and (
            _any(~(s >= 0)) if on_device else not np.all(np.asarray(s) >= 0)):  # NaN fails too
        raise RuntimeError("normal expects all elements of std >= 0.0")
    m_shape, s_shape = getattr(m, "shape", ()), getattr(s, "shape", ())
    mismatch = F.broadcast_mismatch(m_shape, s_shape)
    if mismatch is not None:
        raise mismatch
    shape = np.broadcast_shapes(m_shape, s_shape)
    if out is not None:
        F.check_out_grad("normal", out, mean, std)
        if not isinstance(out, Tensor):
            raise TypeError(f"normal(): argument 'out' must be Tensor, not {c_type_name(out)}")
    # PyTorch samples in out's dtype, else a tensor mean's (no promotion with std's), else std's
    res_dtype = out.dtype if out is not None else mean.dtype if isinstance(mean, Tensor) else std.dtype
    if res_dtype.category < 2 and math.prod(shape):
        raise _not_implemented("normal_kernel_cpu", res_dtype)
    rd = res_dtype.np
    if res_dtype.category < 2:
        data = np.empty(shape, rd)
    elif _matches_pytorch(g, on_device):
        scale = 1.0 if isinstance(std, Tensor) else float(std)
        part = scale / math.sqrt(2.0) if res_dtype.category == 3 else scale
        data = _pytorch_draw(lambda sh, d, c: g.normal(0.0, part, sh, d), shape, res_dtype)
        if isinstance(std, Tensor):
            data = (data * s).astype(rd, copy=False)
        # a number mean is a 0-d tensor of the result's dtype first (PyTorch's full({}, mean))
        data = (data + (m if isinstance(mean, Tensor) else np.asarray(m, dtype=rd))).astype(rd, copy=False)
    else:
        fd = _draw_dtype(rd) if on_device else np.float64
        data = (m + s * g.standard_normal(shape, dtype=fd)).astype(rd)
    if out is not None:
        return F.write_out(out, _drawn(data, dev, on_device, False)._data, "normal")
    drawn = _drawn(data, dev, on_device, requires_grad)
    if F.needs_grad(mean, std):
        # the node lists only the tensor operands, as PyTorch's overloads do: (Tensor, float)
        # is NormalBackward1, (float, Tensor) NormalBackward2, (Tensor, Tensor) NormalBackward3
        tensors = tuple(x for x in (mean, std) if isinstance(x, Tensor))
        overload = 3 if len(tensors) == 2 else 1 if isinstance(mean, Tensor) else 2
        Tensor._autograd.record(_normal_op, drawn, tensors, None, node_name=f"NormalBackward{overload}")
    return drawn


def _normal_samples(dtype, device):
    from ...testing import make_tensor
    mean = make_tensor((2, 3), dtype=dtype, device=device, low=-2.0, high=2.0, seed=780)
    std = make_tensor((3,), dtype=dtype, device=device, low=0.5, high=2.0, seed=781)
    return [((mean, std), {}), ((mean, 1.5), {}), ((0.5, std), {})]


# Only the tensor overloads of ``normal`` are recorded, through this op; the public function is
# ``normal`` above. Draws differ between calls and devices, so finite differences mean nothing.
_normal_op = defop("normal", frontend=lambda op: normal, method=False, public=False, samples=_normal_samples,
                   conformance_skip={"devices": "random draws", "gradcheck": "random draws",
                                     "gradgradcheck": "random draws"})
