"""The linear-layer frontends of ``nn.functional``: ``F.linear`` and ``F.bilinear``.

``F.linear`` passes its arguments as they are to ``linear.py``'s ``linear`` (the hot path: its
checks and the op); ``F.bilinear`` makes ATen's checks, in its order, then runs the trilinear op on
the rows. Separate from ``linear.py``, which holds the kernels and formulas registered at plugin load.
"""
from __future__ import annotations

from . import linear as _lin
from tensorgraft.dtypes import CPP_TYPE_NAMES
from ._common import check_tensor_args as _check_args


def linear(input, weight, bias=None):
    return _lin.linear(input, weight, bias)




_BILINEAR_ARGS = (("input1", 1, False), ("input2", 2, False), ("weight", 3, False), ("bias", 4, True))


def bilinear(input1, input2, weight, bias=None):
    _check_args("bilinear", _BILINEAR_ARGS, input1, input2, weight, bias)
    # ATen's checks, in order: one dtype for all, matching ranks and batch dims, the weight's
    # (out, in1, in2) sizes against the inputs', then the bias's first size
    operands = [("input1", input1), ("input2", input2), ("weight", weight)] + ([("bias", bias)] if bias is not None
                                                                                 else [])
    if len({t._data.dtype for _, t in operands}) > 1:
        got = ", ".join(f"{n}: {CPP_TYPE_NAMES.get(t._data.dtype.name, t._data.dtype.name)}" for n, t in operands)
        raise RuntimeError(f"All tensors must have the same dtype, got {got}")
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    if input1.shape[:-1] != input2.shape[:-1]:
        d = next(i for i in range(input1.ndim - 1) if input1.shape[i] != input2.shape[i])
        raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {d}: got {input1.shape[d]} and "
                           f"{input2.shape[d]}")
    for d, (name, x) in enumerate([("input1", input1), ("input2", input2)], 1):
        if x.ndim == 0:  # (ATen reads the input's last size before the weight's)
            raise IndexError("Dimension specified as -1 but tensor has no dimensions")
        if weight.ndim <= d:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-max(weight.ndim, 1)}, "
                             f"{max(weight.ndim, 1) - 1}], but got {d})")
        if x.shape[-1] != weight.shape[d]:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but expected "
                               f"{weight.shape[d]}")
    if bias is not None:
        if bias.ndim == 0:
            raise IndexError("Dimension specified as 0 but tensor has no dimensions")
        if bias.shape[0] != weight.shape[0]:
            raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[0]} but expected "
                               f"{weight.shape[0]}")
    if weight.ndim != 3:
        raise RuntimeError("number of dimensions must match")
    out_f, in1, in2 = weight.shape
    # ATen's chain: AddBackward0 (bias) <- ViewBackward0 <- TrilinearBackward0 on the rows
    y = _lin.trilinear(input1.reshape(-1, in1), weight, input2.reshape(-1, in2))
    y = y.reshape(tuple(input1.shape[:-1]) + (out_f,))
    if y.dtype != input1.dtype:
        # NumPy's sum widens integers narrower than int64 (to int64/uint64); ATen keeps the operands'
        # dtype, wrapping around as its integer arithmetic does. (Integers carry no graph to lose.)
        y = y.to(input1.dtype)
    return y if bias is None else y + bias
