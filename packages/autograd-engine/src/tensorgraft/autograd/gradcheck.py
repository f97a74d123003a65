"""Finite-difference checks of backward formulas (float64), like ``torch.autograd.gradcheck``."""
from __future__ import annotations

import warnings

import numpy as np

from tensorgraft.tensor import Tensor, wrap


class GradcheckError(RuntimeError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobian(fn, inputs, k, eps):
    x = inputs[k]
    data = x._data
    flat = data.reshape(-1)  # a view when contiguous; inputs are made contiguous by the caller
    outs0 = _outputs(fn, inputs)
    cols = []
    for j in range(flat.size):
        orig = flat[j].item()
        flat[j] = orig + eps
        plus = [o._host().astype(np.complex128 if o._data.dtype.kind == "c" else np.float64).ravel().copy()
                for o in _outputs(fn, inputs)]
        flat[j] = orig - eps
        minus = [o._host().astype(np.complex128 if o._data.dtype.kind == "c" else np.float64).ravel().copy()
                 for o in _outputs(fn, inputs)]
        flat[j] = orig
        cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)]) if plus else np.zeros(0))
    total_out = sum(o._data.size for o in outs0)
    return np.stack(cols, axis=1) if cols else np.zeros((total_out, 0))


def _analytical_jacobian(fn, inputs, diff_idx):
    from . import grad as _grad
    outs = _outputs(fn, inputs)
    rows = []
    width = sum(inputs[k]._data.size for k in diff_idx)
    for o in outs:
        if not o.requires_grad:
            # as PyTorch: an output with no graph has a zero Jacobian, which the finite differences
            # must then confirm (a constant gradient such as copysign's for its sign source)
            rows.extend(np.zeros(width) for _ in range(o._data.size))
            continue
        for j in range(o._data.size):
            go = np.zeros(o._data.shape, dtype=o._data.dtype)
            go.reshape(-1)[j] = 1
            gs = _grad(o, [inputs[k] for k in diff_idx], grad_outputs=wrap(go, o._device), retain_graph=True,
                       allow_unused=True)
            rows.append(np.concatenate([
                (g._host().astype(np.float64).ravel() if g is not None else np.zeros(inputs[k]._data.size))
                for g, k in zip(gs, diff_idx)]))
    return np.stack(rows) if rows else np.zeros((0, width))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False, fast_mode=False,
              masked=None):
    """Compare analytical gradients (one backward pass per output element) with central finite
    differences. Inputs that require grad should be float64 (the check needs the precision).
    Raises ``GradcheckError`` naming the first mismatching (output, input) block, or returns False
    with ``raise_exception=False``."""
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for k, i in enumerate(inputs):
        if isinstance(i, Tensor) and i.requires_grad and i._data.dtype not in (np.float64, np.complex128):
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating point "
                          "or complex. ", UserWarning, stacklevel=2)
    inputs = tuple(i.contiguous().detach().requires_grad_(i.requires_grad) if isinstance(i, Tensor) and i.requires_grad
                   else i for i in inputs)
    diff_idx = [k for k, i in enumerate(inputs) if isinstance(i, Tensor) and i.requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of them "
                         "have requires_grad=True.")
    analytical = _analytical_jacobian(func, inputs, diff_idx)
    numerical = np.concatenate([_numerical_jacobian(func, inputs, k, eps) for k in diff_idx], axis=1)
    if analytical.shape != numerical.shape:
        return _fail(raise_exception, f"Jacobian shape mismatch: analytical {analytical.shape}, numerical "
                                      f"{numerical.shape}")
    out_sizes = [o._data.size for o in _outputs(func, inputs)]
    in_sizes = [inputs[k]._data.size for k in diff_idx]
    r0 = 0
    for oi, osz in enumerate(out_sizes):
        c0 = 0
        for ii, isz in enumerate(in_sizes):
            # PyTorch's layout: rows are input elements, columns output elements
            num = numerical[r0:r0 + osz, c0:c0 + isz].T
            ana = analytical[r0:r0 + osz, c0:c0 + isz].T
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                return _fail(raise_exception,
                             f"Jacobian mismatch for output {oi} with respect to input {diff_idx[ii]},\n"
                             f"numerical:{wrap(np.ascontiguousarray(num))}\nanalytical:"
                             f"{wrap(np.ascontiguousarray(ana))}\n")
            c0 += isz
        r0 += osz
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> first-order gradients."""
    from . import grad as _grad
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff_idx = [k for k, i in enumerate(inputs) if isinstance(i, Tensor) and i.requires_grad]
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype), o._device)
                             .requires_grad_(True) for o in outs)
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n_in = len(inputs)

    def first_order(*args):
        xs, gos = args[:n_in], args[n_in:]
        o = _outputs(func, xs)
        gs = _grad(o, [xs[k] for k in diff_idx], grad_outputs=gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False
