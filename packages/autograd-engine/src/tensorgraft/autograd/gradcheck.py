"""Finite-difference checks of backward formulas (float64 / complex128), like ``torch.autograd.gradcheck``.

Complex numbers are checked as pairs of reals, PyTorch's way:

- a complex output is split into its imaginary part and its real part, two real-valued functions
  checked one after the other (the imaginary part first, as PyTorch), and a mismatch says which part
  it was found in. Gradients follow the conjugate Wirtinger convention (the gradient of a real ``h``
  with respect to ``w = u + iv`` is ``dh/du + 1j dh/dv``), so the gradient of ``Im(w)`` with respect to
  ``w`` is ``1j`` and that of ``Re(w)`` is ``1``: those are the ``grad_output`` each pass backpropagates.
- for a complex input ``x = a + ib`` and a real-valued function ``h`` (a real output, or one part of a
  complex one), the backward returns ``dh/da + 1j dh/db``; the finite differences estimate that same
  number by stepping ``a`` and ``b`` separately. Both halves are compared, so a backward with a wrong
  imaginary part fails (earlier versions compared real parts only).

Checking ``h`` for every real-valued part of every output is checking the whole real Jacobian of the
function seen from ``R^2n`` to ``R^2m``, so holomorphic and non-holomorphic functions (``x * x``,
``x.abs()``, ``x.conj()``) are handled alike.
"""
from __future__ import annotations

import warnings

import numpy as np

from tensorgraft.tensor import Tensor, wrap

# the passes over the outputs when some are complex: (name in the message, cotangent of that part)
_COMPLEX_PARTS = (("imaginary", 1j), ("real", 1.0))


class GradcheckError(RuntimeError):
    pass


def _not_reentrant(nondet_tol):
    return ("Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives "
            "different values, although analytical gradient matches numerical gradient.The tolerance for "
            f"nondeterminism was {float(nondet_tol)}.\n\nNOTE: If your op relies on non-deterministic operations "
            "i.e., it is listed here:\nhttps://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms"
            ".html\nthis failure might be expected.\n\nIf you are adding a new operator, please file an issue and "
            "then use one of the\nworkarounds. The workaround depends on how your test invokes "
            "gradcheck/gradgradcheck.\nIf the test\n- manually invokes gradcheck/gradgradcheck, then call "
            "gradcheck/gradgradcheck\n  with `nondet_tol=<tol>` as a keyword argument.\n- is OpInfo-based (e.g., in "
            "test_ops_gradients.py), then modify the OpInfo for the test\n  to have `gradcheck_nondet_tol=<tol>`.\n"
            "- is a Module test (e.g., in common_nn.py), then modify the corresponding\n  module_test entry to have "
            "`gradcheck_nondet_tol=<tol>`\n")


def _outputs(fn, inputs):
    out = fn(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))


def _is_complex(t):
    return t._data.dtype.kind == "c"


def _host(t):
    """A float64 or complex128 host copy, flattened (the finite differences need the precision)."""
    return t._host().astype(np.complex128 if _is_complex(t) else np.float64).ravel().copy()


def _on_device(values, like):
    """A host array as a tensor on ``like``'s device (a CUDA backward cannot take a NumPy cotangent)."""
    from tensorgraft.device import get_backend
    return wrap(get_backend(like._device).xp.asarray(values), like._device)


def _part(values, part):
    """The real-valued quantity a pass compares: ``values`` itself for a real output, else its real
    or imaginary half."""
    if part is None or values.dtype.kind != "c":
        return values
    return values.imag if part == "imaginary" else values.real


# --------------------------------------------------------------------------- numerical Jacobian
def _central_differences(fn, inputs, k, eps):
    """For input ``k``: per output, the derivative of the output along each input element, as an
    (input size, output size) array; a complex input gives a second array for steps along ``1j``."""
    x = inputs[k]
    flat = x._data.reshape(-1)  # a view: inputs are made contiguous by the caller
    sizes = [o._data.size for o in _outputs(fn, inputs)]
    steps = (1.0, 1j) if _is_complex(x) else (1.0,)
    derivs = {step: [[] for _ in sizes] for step in steps}
    for j in range(flat.size):
        orig = flat[j].item()
        for step in steps:
            flat[j] = orig + eps * step
            plus = [_host(o) for o in _outputs(fn, inputs)]
            flat[j] = orig - eps * step
            minus = [_host(o) for o in _outputs(fn, inputs)]
            flat[j] = orig
            for oi, (p, m) in enumerate(zip(plus, minus)):
                derivs[step][oi].append((p - m) / (2 * eps))
    return [[np.stack(rows) if rows else np.zeros((0, size)) for rows, size in zip(derivs[step], sizes)]
            for step in steps]


def _numerical_block(diffs, oi, part):
    """The numerical (input x output) block of output ``oi`` for one pass: ``dh/da`` for a real input,
    ``dh/da + 1j dh/db`` for a complex one (``h`` the part of the output this pass compares)."""
    along_real = _part(diffs[0][oi], part)
    if len(diffs) == 1:
        return along_real
    return along_real + 1j * _part(diffs[1][oi], part)


# --------------------------------------------------------------------------- analytical Jacobian
def _analytical_block(o, inputs, diff_idx, cotangent):
    """One backward per element of the output ``o`` with ``cotangent`` in that element: the (input
    x output) blocks of every differentiable input, in the input's own kind (real or complex)."""
    from . import grad as _grad
    cols = {k: [] for k in diff_idx}
    for j in range(o._data.size):
        if not o.requires_grad:
            # as PyTorch: an output with no graph has a zero Jacobian, which the finite differences
            # must then confirm (a constant gradient such as copysign's for its sign source)
            gs = [None] * len(diff_idx)
        else:
            go = np.zeros(o._data.shape, dtype=o._data.dtype)
            go.reshape(-1)[j] = cotangent
            gs = _grad(o, [inputs[k] for k in diff_idx], grad_outputs=_on_device(go, o), retain_graph=True,
                       allow_unused=True)
        for g, k in zip(gs, diff_idx):
            x = inputs[k]
            cols[k].append(_host(g) if g is not None else np.zeros(x._data.size, np.complex128 if _is_complex(x) else np.float64))
    return {k: (np.stack(c, axis=1) if c else np.zeros((inputs[k]._data.size, 0))) for k, c in cols.items()}


# --------------------------------------------------------------------------- the checks
def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False, fast_mode=False,
              masked=None):
    """Compare analytical gradients (one backward pass per output element) with central finite
    differences. Inputs that require grad should be float64 or complex128 (the check needs the
    precision). Complex inputs and outputs are checked in full (see the module docstring). Raises
    ``GradcheckError`` naming the first mismatching (output, input) block, or returns False with
    ``raise_exception=False``."""
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
    outs = _outputs(func, inputs)
    numerical = {k: _central_differences(func, inputs, k, eps) for k in diff_idx}
    complex_out = [_is_complex(o) for o in outs]
    passes = _COMPLEX_PARTS if any(complex_out) else ((None, 1.0),)
    for pi, (part, cotangent) in enumerate(passes):
        for oi, is_complex in enumerate(complex_out):
            if pi > 0 and not is_complex:
                continue  # a real output is the same in every pass: checked in the first
            o = _outputs(func, inputs)[oi]
            analytical = _analytical_block(o, inputs, diff_idx, cotangent if is_complex else 1.0)
            # as PyTorch, every vector-Jacobian product is taken twice through the same graph: a
            # backward that gives other numbers for the same input and grad_output (beyond
            # nondet_tol) is an error of its own
            again = _analytical_block(o, inputs, diff_idx, cotangent if is_complex else 1.0)
            if any(np.abs(analytical[k] - again[k]).max(initial=0.0) > nondet_tol for k in diff_idx):
                return _fail(raise_exception, _not_reentrant(nondet_tol))
            for k in diff_idx:
                num, ana = _numerical_block(numerical[k], oi, part), analytical[k]
                if num.shape != ana.shape:
                    return _fail(raise_exception, f"Jacobian shape mismatch for output {oi} with respect to input "
                                                  f"{k}: analytical {ana.shape}, numerical {num.shape}")
                if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                    which = f"While considering the {part} part of complex outputs only, " if is_complex else ""
                    # PyTorch's layout: rows are input elements, columns output elements
                    return _fail(raise_exception,
                                 f"{which}Jacobian mismatch for output {oi} with respect to input {k},\n"
                                 f"numerical:{wrap(np.ascontiguousarray(num))}\nanalytical:"
                                 f"{wrap(np.ascontiguousarray(ana))}\n")
    if not _zero_grad_output_gives_zero(func, inputs, diff_idx):
        return _fail(raise_exception, "backward not multiplied by grad_output")
    return True


def _zero_grad_output_gives_zero(func, inputs, diff_idx):
    """PyTorch's check that backward scales with grad_output: zero grad_outputs for every output
    must give zero (or no) input gradients, which a backward ignoring its grad_output fails even
    where its Jacobian happens to be right."""
    from . import grad as _grad
    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if not outs:
        return True
    zeros = [_on_device(np.zeros(o._data.shape, dtype=o._data.dtype), o) for o in outs]
    gs = _grad(outs, [inputs[k] for k in diff_idx], grad_outputs=zeros, allow_unused=True)
    return all(g is None or not np.any(_host(g)) for g in gs)


def _random_like(o):
    """A random cotangent for ``o``, drawn as PyTorch's gradgradcheck draws it: uniform in
    [-1, 1) from the global generator of ``o``'s device, one output after the other, so the
    random numbers a program draws afterwards are PyTorch's too. Complex outputs get an
    imaginary part as well (drawn interleaved with the real part), so that the second
    derivatives are exercised along both real directions."""
    import tensorgraft
    if _is_complex(o):
        real = tensorgraft.float64 if o._data.dtype == np.complex128 else tensorgraft.float32
        pairs = tensorgraft.empty(tuple(o.shape) + (2,), dtype=real, device=o.device).uniform_(-1, 1)
        return tensorgraft.view_as_complex(pairs).requires_grad_(True)
    return tensorgraft.empty(tuple(o.shape), dtype=o.dtype, device=o.device).uniform_(-1, 1).requires_grad_(True)


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
        grad_outputs = tuple(_random_like(o) for o in outs)
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
