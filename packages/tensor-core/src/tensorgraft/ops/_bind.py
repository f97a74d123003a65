"""Load-time binding: per-device kernel tables and the public names of every registered op."""
from __future__ import annotations

import sys
import types

from ..tensor import Tensor
from . import _frontend as F

# Names of core modules under tensorgraft.ops; a plugin namespace may not shadow them.
# every module of tensorgraft.ops (tests/test_foundation_plugins.py checks the list is complete)
RESERVED_NAMESPACES = frozenset({"elementwise", "reduction", "linalg", "shape", "indexing", "creation",
                                 "conversion", "scan", "statistics", "distance", "random", "_frontend", "_define",
                                 "_bind", "_args", "_bfloat16", "float16_casts", "fused_multiply_add", "_return_types", "combinatorics", "histogram",
                                 "sets", "special_math",
                                 "special_functions",
                                 "aliases",
                                 "inplace", "scatter", "utility", "views",
                                 "complex", "spectral",
                                 "decompositions", "linalg_composite", "tensor_extras", "stft",
                                 "ldl", "lowrank", "lu", "tensor_method_gaps", "sampling", "removed_functions",
                                 "sparse_coo", "sparse_compressed", "sparse_row_products"})


# Functions PyTorch gives a keyword ``out=`` whose frontends here do not write it themselves (not
# mul, div and the like, whose wrappers in ops/elementwise/arithmetic.py write it). A result that
# is a named tuple (max, sort ...) is written into a tuple of out tensors. The exported
# function takes ``out`` and writes it (``_frontend.with_out``); methods and operators never see it.
TAKES_OUT = frozenset("""
    abs absolute acos acosh all amax amin angle any arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax
    argmin asin asinh atan atan2 atanh bitwise_and bitwise_left_shift bitwise_not bitwise_right_shift bitwise_xor
    ceil clamp clamp_max clamp_min clip conj_physical copysign cos cosh deg2rad diag diff digamma eq erf erfc erfinv
    exp exp2 expm1 fix float_power floor fmax fmin fmod frac gcd ge ger greater greater_equal gt
    heaviside hypot i0 igamma igammac inverse isin isneginf isposinf kron lcm ldexp le lerp less less_equal lgamma log
    log10 log1p log2 log_softmax logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logit logsumexp
    lt matrix_power maximum mean minimum mvlgamma nan_to_num nanmean nansum ne neg negative nextafter
    not_equal outer polygamma pow rad2deg reciprocal remainder renorm round rsqrt sgn sigmoid sign signbit sin sinc
    sinh slice_scatter softmax sqrt square std tan tanh tril triu trunc var xlogy
    cross inner nonzero tensordot chain_matmul frobenius_norm nuclear_norm
    gather take_along_dim masked_select bmm mv dot sum
    cholesky_solve cholesky_inverse triangular_solve lu_solve geqrf ormqr
    cholesky vdot svd qr lu lu_unpack
    bitwise_or index_copy index_reduce scatter scatter_add scatter_reduce
""".split())


# How ``out=`` may share memory with an input (ops/_frontend/memory_overlap.py), as PyTorch's kernels
# check it: ops that read other elements than the one they write refuse any overlap; reductions,
# linear algebra and the other ops below allow any (they write through a result of their own); the
# rest of TAKES_OUT, elementwise or built on elementwise kernels (outer, kron, diff), refuse a partial one.
OUT_MAY_NOT_OVERLAP = frozenset("gather take_along_dim cross masked_select".split())
OUT_MAY_OVERLAP = frozenset("""
    all amax amin any argmax argmin diag inverse isin log_softmax logsumexp matrix_power mean nanmean nansum
    slice_scatter softmax std tril triu var inner nonzero tensordot chain_matmul frobenius_norm nuclear_norm bmm
    mv dot sum cholesky_solve cholesky_inverse triangular_solve lu_solve geqrf ormqr mvlgamma
    cholesky vdot svd qr lu lu_unpack
    index_copy index_reduce scatter scatter_add scatter_reduce
""".split())


def _public(op, f):
    """The function exported as ``tensorgraft.<name>``: with ``out=`` where PyTorch's has it."""
    if op.name not in TAKES_OUT:
        return F.with_axis_alias(f, op.name)
    overlap = "any" if op.name in OUT_MAY_NOT_OVERLAP else None if op.name in OUT_MAY_OVERLAP else "partial"
    return F.with_axis_alias(F.with_out(f, op.name, overlap), op.name)


def bind_op(op, registry, tg_module) -> None:
    for dtype_name, backend in registry.devices.items():
        op.bind_kernel(dtype_name, backend)
    if op.frontend is None:
        op.frontend = op.make_frontend(op)
    f = op.frontend
    _name_code(f, op.name)
    if "." in op.name:
        _export_plugin_op(op, tg_module)
        return
    if op.public:
        setattr(tg_module, op.name, _public(op, f))
    fast = op.extra.get("fast", f)
    if op.method:
        # ``method_fast``: the method needs none of what the function's wrapper adds (``x.mul(y)``)
        method_f = op.extra.get("method_frontend") or (fast if op.extra.get("method_fast") else f)
        setattr(Tensor, op.method, F.with_axis_alias(method_f, op.name))
    binary_mode = op.extra.get("binary_mode")  # set for two-operand elementwise ops
    if op.inplace:
        op.inplace_frontend = F.make_inplace(op, f)
        # x.cumsum_(axis=0): the in-place method's own signature is (self, *args, **kwargs), the function's tells
        inplace = op.inplace_frontend
        setattr(Tensor, op.inplace, F.with_axis_alias(inplace, op.name, dim_in_kwargs=True) if F.takes_dim(f) else inplace)
    for d in op.dunders:
        setattr(Tensor, d, F.make_binary(op, mode=binary_mode, dunder=True) if binary_mode else f)
    for d in op.extra.get("rdunders", ()):
        setattr(Tensor, d, F.make_binary(op, mode=binary_mode, dunder=True, reflected=True))
    for d in op.extra.get("idunders", ()):
        setattr(Tensor, d, F.make_inplace(op, fast, dunder=True))  # (t += ndarray rebinds, as in PyTorch)


def _name_code(f, name: str) -> None:
    """Python words its own argument errors with the code's qualified name: ``gather() missing 2
    required positional arguments``, not ``_gather_frontend.<locals>.gather() ...`` (or ``_split()``
    for a module-level frontend): the op's name (a plugin op's last part)."""
    code = getattr(f, "__code__", None)
    short = name.rpartition(".")[2]
    if code is None or getattr(f, "__qualname__", short) == short or getattr(f, "_named_by_bind", False):
        return  # a function two ops share keeps the name of the first (movedim, not its alias moveaxis)
    if hasattr(code, "co_qualname"):  # Python 3.11+ (3.10 reads the function's __qualname__)
        f.__code__ = code.replace(co_qualname=short)
    f.__qualname__ = short
    f._named_by_bind = True


def _export_plugin_op(op, tg_module) -> None:
    """``example.swish`` -> ``tensorgraft.ops.example.swish`` (importable as a module too)."""
    ns, _, short = op.name.rpartition(".")
    if ns.split(".")[0] in RESERVED_NAMESPACES:
        raise ValueError(f"op namespace '{ns}' of '{op.name}' collides with a core module name")
    parent = tg_module.ops
    modname = "tensorgraft.ops"
    for part in ns.split("."):
        modname += "." + part
        mod = sys.modules.get(modname)
        if mod is None:
            mod = types.ModuleType(modname, f"Ops registered by plugins under the '{ns}' namespace.")
            sys.modules[modname] = mod
            setattr(parent, part, mod)
        parent = mod
    setattr(parent, short, op.frontend)
    if op.inplace:
        op.inplace_frontend = F.make_inplace(op, op.frontend)
        setattr(parent, op.inplace, op.inplace_frontend)


def bind_all(registry, tg_module) -> None:
    for op in registry.ops.values():
        bind_op(op, registry, tg_module)
    # binding again after a plugin load replaces ``__torch_function__`` wrappers: put them back
    binding = sys.modules.get("tensorgraft.overrides._binding")
    if binding is not None:
        binding.refresh()
