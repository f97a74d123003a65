"""The OpInfo checks of derivatives: gradients, second-order gradients, forward-mode tangents,
``vmap`` and the ``func`` transforms (re-exported by ``opinfo``, whose docstring says what each
compares)."""
from __future__ import annotations

import functools
import inspect
import sys
import types

import numpy as np

from ._opinfo_runs import (
    RANDOM_OPS, _convertible, _describe, _prepared, _processed, _raised, _wide_sample, tensorgraft_callable,
)
from .as_tensorgraft import _rebound
from .torch_values import Unconvertible, _compare, _leaves, to_tensorgraft

def _projection(outputs, lib, through=None):
    """sum(output * fixed random weights) over the floating outputs: one scalar to differentiate.
    ``through``: a dtype the weights are rounded to first (a float64 reference run of a
    low-precision check projects with the low-precision run's weights)."""
    rng = np.random.default_rng(1)
    total = None
    for out in outputs:
        real = out.real if out.is_complex() else out
        weights = _rounded(lib.from_numpy(rng.standard_normal(tuple(real.shape))), lib, through)
        term = (real * weights.to(real.dtype)).sum()
        total = term if total is None else total + term
    return total


def _differentiable(outputs, lib):
    return [o for o in _leaves(outputs, []) if isinstance(o, lib.Tensor) and o.requires_grad
            and (o.is_floating_point() or o.is_complex())]


def _rounded(weights, lib, through):
    """``weights`` rounded to ``lib``'s dtype named ``through``, if given."""
    return weights if through is None else weights.to(getattr(lib, through))


def _exact_derivatives(opinfo, sample, dtype_name, derive):
    """None, or a callable giving PyTorch's ``derive`` results for the sample in float64, projected
    with the weights of the ``dtype_name`` run."""
    wide = _wide_sample(sample, dtype_name)
    if wide is None:
        return None

    @functools.lru_cache(maxsize=None)  # (one run for all the results compared)
    def exact():
        import torch
        inputs = [t for t in _leaves((wide.input, *wide.args, *wide.kwargs.values()), [])
                  if isinstance(t, torch.Tensor) and t.requires_grad]
        torch.manual_seed(0)
        outs = _differentiable(_processed(wide, opinfo.op(wide.input, *wide.args, **wide.kwargs), False), torch)
        return [torch.zeros_like(x) if g is None else g for g, x in zip(derive(torch, outs, inputs, dtype_name),
                                                                          [*inputs, *outs])]
    return exact


def _compare_derivatives(opinfo, dtype_name, derive, label):
    """The loop of :func:`check_gradients` and :func:`check_second_gradients`: for each sample with
    inputs that require grad, ``derive(lib, outputs, inputs, through)`` in both libraries (a list:
    one result per input, then any per output; ``through`` as :func:`_projection`'s), compared;
    ``label(i, n_inputs)`` names result ``i``."""
    import torch

    import tensorgraft
    prepared = _prepared(opinfo, dtype_name, True)
    if isinstance(prepared[0], str):
        return prepared
    ours, samples = prepared
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        theirs_in = [t for t in _leaves((sample.input, *sample.args, *sample.kwargs.values()), [])
                     if isinstance(t, torch.Tensor) and t.requires_grad]
        ours_in = [t for t in _leaves((args, kwargs), []) if isinstance(t, tensorgraft.Tensor) and t.requires_grad]
        if not theirs_in or len(theirs_in) != len(ours_in):
            continue
        try:
            torch.manual_seed(0)
            outs = _differentiable(_processed(sample, opinfo.op(sample.input, *sample.args, **sample.kwargs), False),
                                   torch)
            if not outs:
                continue
            expected = derive(torch, outs, theirs_in, None)
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        compared += 1
        try:
            tensorgraft.manual_seed(0)
            mine = _differentiable(_processed(sample, ours(*args, **kwargs), True), tensorgraft)
            if len(mine) != len(outs):
                return ("different", f"{len(mine)} differentiable outputs, PyTorch {len(outs)} ({_describe(sample)})")
            actual = derive(tensorgraft, mine, ours_in, None)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        shapes = [*theirs_in, *(o.real if o.is_complex() else o for o in outs)]  # (a zero's shape and dtype)
        exact = _exact_derivatives(opinfo, sample, dtype_name, derive)
        for i, (e, a) in enumerate(zip(expected, actual)):
            e = torch.zeros_like(shapes[i]) if e is None else e
            a = tensorgraft.zeros(tuple(shapes[i].shape), dtype=to_tensorgraft(e.dtype)) if a is None else a
            why = _compare(e, a, opinfo.name not in RANDOM_OPS,
                           None if exact is None else functools.partial(_nth, exact, i))
            if why:
                return ("different", f"{label(i, len(theirs_in))}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample had a differentiable output in PyTorch")


def check_gradients(opinfo, dtype_name: str = "float64"):
    """The gradients, with respect to every input that requires grad, of a fixed random projection
    of ``opinfo``'s outputs, in both libraries: the verdict."""
    return _compare_derivatives(
        opinfo, dtype_name, lambda lib, outs, inputs, through: lib.autograd.grad(_projection(outs, lib, through),
                                                                                  inputs, allow_unused=True),
        lambda i, n: f"gradient {i}")


def _nth(results, i):
    return results()[i]


def _weights(outputs, lib, seed, through=None):
    """Fixed random weights, one tensor per output (real for complex outputs), requiring grad
    (``through`` as :func:`_projection`'s)."""
    rng = np.random.default_rng(seed)
    return [_rounded(lib.from_numpy(rng.standard_normal(tuple(o.shape))), lib, through)
            .to(o.real.dtype if o.is_complex() else o.dtype)
            .requires_grad_(True) for o in outputs]


def _weighted_sum(tensors, weights):
    """sum over the tensors of (real part * weight) + (imaginary part * weight reversed): one real scalar."""
    total = None
    for t, w in zip(tensors, weights):
        term = (t.real * w).sum() + (t.imag * w.flip(tuple(range(w.dim())))).sum() if t.is_complex() else (t * w).sum()
        total = term if total is None else total + term
    return total


def _second_order(lib, outs, inputs, through=None):
    """Gradients of a projection of the first gradients — taken with ``create_graph`` — with respect
    to the inputs and to the first projection's weights (the double backward of every input and of
    the incoming gradient, what PyTorch's gradgradcheck covers)."""
    weights = _weights(outs, lib, 1, through)
    firsts = lib.autograd.grad(_weighted_sum(outs, weights), inputs, create_graph=True, allow_unused=True)
    firsts = [lib.zeros_like(x) if g is None else g for g, x in zip(firsts, inputs)]
    total = _weighted_sum(firsts, _weights([x.detach() for x in inputs], lib, 2, through))
    if not total.requires_grad:  # no first gradient has a history: every second gradient is zero
        return [None] * (len(inputs) + len(weights))
    return lib.autograd.grad(total, [*inputs, *weights], allow_unused=True)


def check_second_gradients(opinfo, dtype_name: str = "float64"):
    """The second-order gradients (see :func:`_second_order`) of ``opinfo``'s outputs in both
    libraries, for the operators PyTorch marks ``supports_gradgrad``: the verdict."""
    if not opinfo.supports_gradgrad:
        return ("skipped", f"PyTorch does not support second-order gradients of {opinfo.name}")

    def label(i, n):
        return "second gradient with respect to " + (f"input {i}" if i < n else
                                                       f"the incoming gradient of output {i - n}")
    return _compare_derivatives(opinfo, dtype_name, _second_order, label)


def _dualized(value, lib, tangents):
    """``value`` with each tensor that requires grad replaced by a dual tensor (forward AD) whose
    tangent is the next fixed random tensor of its shape; ``tangents`` collects them."""
    if isinstance(value, lib.Tensor) and value.requires_grad:
        rng = np.random.default_rng(3 + len(tangents))
        real = rng.standard_normal(tuple(value.shape))
        tangent = lib.from_numpy(real + 1j * rng.standard_normal(real.shape) if value.is_complex() else real)
        tangents.append(tangent.to(value.dtype))
        return lib.autograd.forward_ad.make_dual(value.detach(), tangents[-1])
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_dualized(v, lib, tangents) for v in value)
    if isinstance(value, dict):
        return {k: _dualized(v, lib, tangents) for k, v in value.items()}
    return value


def _output_tangents(lib, call, args, kwargs):
    """The tangents of ``call``'s floating outputs with every input that requires grad made dual:
    (tangents, 0 where an output has none) or None when no input requires grad."""
    import tensorgraft.autograd.forward_ad  # noqa: F401  (lib.autograd.forward_ad for tensorgraft)
    fwad = lib.autograd.forward_ad
    with fwad.dual_level():
        tangents = []
        args, kwargs = _dualized((args, kwargs), lib, tangents)
        if not tangents:
            return None
        outs = [o for o in _leaves(call(*args, **kwargs), []) if isinstance(o, lib.Tensor)
                and (o.is_floating_point() or o.is_complex())]
        found = []
        for o in outs:
            primal, tangent = fwad.unpack_dual(o)
            found.append(lib.zeros_like(primal) if tangent is None else tangent.clone())
        return found


def check_forward_ad(opinfo, dtype_name: str = "float64"):
    """Forward-mode AD (``autograd.forward_ad`` dual tensors): the tangents of ``opinfo``'s outputs for
    fixed random tangents of every input that requires grad, in both libraries, for the operators
    PyTorch marks ``supports_forward_ad`` (called through the OpInfo's ``gradcheck_wrapper``, as
    PyTorch's own gradient tests call them): the verdict."""
    import torch

    import tensorgraft
    if not opinfo.supports_forward_ad:
        return ("skipped", f"PyTorch does not support forward-mode AD of {opinfo.name}")
    prepared = _prepared(opinfo, dtype_name, True)
    if isinstance(prepared[0], str):
        return prepared
    _, samples = prepared
    # PyTorch's gradient tests call an op through its gradcheck_wrapper: a function of a Hermitian or
    # triangular matrix gets one (input + input.mH, A.triu()), since its forward formula assumes that
    # structure in the tangent too. (tensorgraft's function is looked up inside the dual level: the
    # first level turns __torch_function__ dispatch on, and a function object fetched before that is
    # the unwrapped one, which no mode — forward AD's included — sees.)
    wrapper = opinfo.gradcheck_wrapper
    if isinstance(wrapper, types.FunctionType) and wrapper.__module__.startswith("torch.testing"):
        wrapper = _rebound(wrapper)
    compared = 0
    for sample, args, kwargs in _convertible(samples):
        try:
            torch.manual_seed(0)
            expected = _output_tangents(
                torch, lambda *a, **k: _processed(sample, opinfo.gradcheck_wrapper(opinfo.op, *a, **k), False),
                (sample.input, *sample.args), dict(sample.kwargs))
        except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
            continue
        if not expected:
            continue
        compared += 1
        try:
            tensorgraft.manual_seed(0)
            actual = _output_tangents(
                tensorgraft, lambda *a, **k: _processed(sample, wrapper(tensorgraft_callable(opinfo), *a, **k), True),
                args, kwargs)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        why = _compare(expected, actual or [], opinfo.name not in RANDOM_OPS)
        if why:
            return ("different", f"tangent {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample had an input requiring grad in PyTorch")


_VMAP_SCALES = (1.0, 0.9, 0.8)  # the batch: each sample's floating tensors scaled (structure and domain kept)


def _vmap_in_dims(args):
    """The batchings tried for a sample's positional ``args``: every floating tensor batched along a
    new dim 0; each one alone (when there are several); every one along a new last dim."""
    import torch
    floating = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.layout == torch.strided
                and (a.is_floating_point() or a.is_complex())]
    if not floating:
        return []
    ways = [dict.fromkeys(floating, 0)]
    if len(floating) > 1:
        ways += [{i: 0} for i in floating]
    if all(args[i].dim() for i in floating):
        ways.append(dict.fromkeys(floating, -1))
    return [tuple(way.get(i) for i in range(len(args))) for way in ways]


def check_vmap(opinfo, dtype_name: str = "float64"):
    """``vmap`` over batches made of each sample — its floating positional tensors stacked three
    times, scaled by 1, 0.9 and 0.8, in the ways :func:`_vmap_in_dims` lists (keyword arguments
    unbatched) — through ``torch.vmap`` and ``tensorgraft.vmap``: the verdict. Operators that draw
    random numbers are skipped (vmap's randomness modes have tests of their own)."""
    import torch

    import tensorgraft
    if opinfo.name in RANDOM_OPS:
        return ("skipped", f"{opinfo.name} draws random numbers")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    _, samples = prepared
    compared = 0
    for sample in samples:
        args = (sample.input, *sample.args)
        for in_dims in _vmap_in_dims(args):
            batched = tuple(a if d is None else torch.stack([a * s for s in _VMAP_SCALES], d % (a.dim() + 1))
                            for a, d in zip(args, in_dims))
            try:
                ours_args, ours_kwargs = to_tensorgraft(batched), to_tensorgraft(dict(sample.kwargs))
            except Unconvertible:
                continue
            try:
                expected = _processed(sample, torch.vmap(lambda *a: opinfo.op(*a, **sample.kwargs), in_dims=in_dims)(
                    *batched), False)
            except Exception:  # noqa: BLE001 - a sample PyTorch's vmap refuses tells nothing
                continue
            compared += 1
            try:
                actual = _processed(sample, tensorgraft.vmap(
                    lambda *a: tensorgraft_callable(opinfo)(*a, **ours_kwargs), in_dims=in_dims)(*ours_args), True)
            except Exception as exc:  # noqa: BLE001 - the failure is the finding
                return ("different", f"in_dims {in_dims}: {_raised(exc, sample)[1]}")
            why = _compare(expected, actual, True)
            if why:
                return ("different", f"in_dims {in_dims}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample with a floating positional tensor ran in PyTorch")


def _floating_positions(args, lib):
    return [i for i, a in enumerate(args) if isinstance(a, lib.Tensor) and a.layout == lib.strided
            and (a.is_floating_point() or a.is_complex())]


def _of_floating_args(lib, op, sample, args, kwargs, positions):
    """``op`` as a function of the floating tensors of ``args`` (at ``positions``; the rest fixed)
    returning its floating outputs, after the sample's ``output_process_fn_grad``, as a tuple: what
    ``func`` transforms differentiate."""
    def f(*xs):
        full = list(args)
        for p, x in zip(positions, xs):
            full[p] = x
        outputs = _processed(sample, op(*full, **kwargs), lib is not sys.modules["torch"])
        return tuple(o for o in _leaves(outputs, []) if isinstance(o, lib.Tensor)
                     and (o.is_floating_point() or o.is_complex()))
    return f


def _transform_results(lib, f, primals, forward_ad):
    """``func.vjp`` (fixed cotangents), ``func.jacrev`` and, with ``forward_ad``, ``func.jvp`` (fixed
    tangents) and ``func.jacfwd`` of ``f`` at ``primals``: {transform: results}."""
    outs, vjp_fn = lib.func.vjp(f, *primals)
    argnums = tuple(range(len(primals)))
    found = {"vjp": vjp_fn(tuple(_weights(outs, lib, 3))), "jacrev": lib.func.jacrev(f, argnums=argnums)(*primals)}
    if forward_ad:
        tangents = tuple(w.detach() for w in _weights(primals, lib, 4))
        found["jvp"] = lib.func.jvp(f, primals, tangents)[1]
        found["jacfwd"] = lib.func.jacfwd(f, argnums=argnums)(*primals)
    return found


def check_func_transforms(opinfo, dtype_name: str = "float64", samples: int | None = None,
                          max_numel: int | None = None):
    """``func.vjp`` and ``func.jacrev`` — and, where PyTorch marks forward AD supported, ``func.jvp``
    and ``func.jacfwd`` — of ``opinfo`` as a function of each sample's floating positional tensors
    (its floating outputs differentiated; cotangents and tangents fixed random), through
    ``torch.func`` and ``tensorgraft.func``: the verdict. (jacrev is vmap over vjp, jacfwd vmap over
    jvp: an autograd Function's ``vmap`` rule meets its ``backward`` or ``jvp`` there.) A Jacobian
    has as many entries as the input and output sizes multiplied: ``max_numel`` keeps the samples
    whose positional tensors hold at most that many elements, ``samples`` the first that many."""
    import torch

    import tensorgraft
    import tensorgraft.func  # noqa: F401  (tensorgraft.func for the transforms)
    if opinfo.name in RANDOM_OPS:
        return ("skipped", f"{opinfo.name} draws random numbers")
    prepared = _prepared(opinfo, dtype_name, False)
    if isinstance(prepared[0], str):
        return prepared
    ours, kept = prepared
    if max_numel is not None:
        kept = [s for s in kept if sum(t.numel() for t in (s.input, *s.args) if isinstance(t, torch.Tensor))
                <= max_numel]
    theirs = opinfo.op
    # through the OpInfo's gradcheck_wrapper (one taking the op first), as PyTorch's gradient tests
    # call it: a function of a Hermitian or triangular matrix differentiated in that structure
    wrapper = opinfo.gradcheck_wrapper
    if next(iter(inspect.signature(wrapper).parameters), None) == "op":
        ours_wrapper = _rebound(wrapper) if wrapper.__module__.startswith("torch.testing") else wrapper
        theirs, ours = functools.partial(wrapper, theirs), functools.partial(ours_wrapper, ours)
    compared = 0
    for sample, args, kwargs in _convertible(kept[:samples]):
        theirs_args = (sample.input, *sample.args)
        positions = _floating_positions(theirs_args, torch)
        if not positions:
            continue
        try:
            expected = _transform_results(
                torch, _of_floating_args(torch, theirs, sample, theirs_args, dict(sample.kwargs), positions),
                tuple(theirs_args[p].detach() for p in positions), opinfo.supports_forward_ad)
        except Exception:  # noqa: BLE001 - a sample PyTorch's transforms refuse tells nothing
            continue
        compared += 1
        try:
            actual = _transform_results(tensorgraft, _of_floating_args(tensorgraft, ours, sample, args, kwargs, positions),
                                        tuple(args[p].detach() for p in positions), opinfo.supports_forward_ad)
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _raised(exc, sample)
        for transform, result in expected.items():
            why = _compare(result, actual[transform], True)
            if why:
                return ("different", f"{transform}: {why} ({_describe(sample)})")
    return ("same", "") if compared else ("skipped", "no sample with a floating positional tensor ran through "
                                                    "PyTorch's transforms")
