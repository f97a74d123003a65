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
def _shown(block, like):
    """A Jacobian block as the tensor a mismatch message prints. The blocks are computed in double
    precision, but PyTorch keeps the numerical one in the output's dtype and the analytical one in
    the input's, and the printed dtype (or its absence, for float32) shows which: ``like`` is that
    output or input, its real/complex kind adjusted to the block's."""
    dtype = like._data.dtype
    if block.dtype.kind == "c" and dtype.kind != "c":
        dtype = np.result_type(dtype, np.complex64)
    elif block.dtype.kind != "c" and dtype.kind == "c":
        dtype = np.finfo(dtype).dtype  # complex64 -> float32, complex128 -> float64
    return wrap(np.ascontiguousarray(block.astype(dtype)))


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False,
              masked=None):
    """Compare analytical gradients (one backward pass per output element) with central finite
    differences. Inputs that require grad should be float64 or complex128 (the check needs the
    precision). Complex inputs and outputs are checked in full (see the module docstring). Raises
    ``GradcheckError`` naming the first mismatching (output, input) block, or returns False with
    ``raise_exception=False``.

    ``check_forward_ad`` also checks the forward-mode Jacobian (one Jacobian-vector product per
    input element) against the same finite differences; ``check_backward_ad=False`` skips the
    reverse-mode check. tensorgraft's forward-mode results (``func.jvp``, ``jacfwd``, the
    ``forward-mode`` strategies) come from differentiating the backward pass again, so that is what
    is checked: a custom Function still needs a ``jvp`` staticmethod, as in PyTorch, but its values
    come from its ``backward``, which must therefore be differentiable."""
    # PyTorch's check, before anything runs
    # (raised, not asserted: an assert vanishes under -O and pytest rewrites its message)
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
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
    # as PyTorch: only the outputs that require grad are checked (and numbered in the messages);
    # with none, the function must be constant: every finite difference exactly zero
    diff_out = [i for i, o in enumerate(outs) if o.requires_grad]
    if not diff_out:
        if any(np.any(block != 0) for k in diff_idx for blocks in numerical[k] for block in blocks):
            return _fail(raise_exception, "Numerical gradient for function expected to be zero")
        return True
    numerical = {k: [[blocks[i] for i in diff_out] for blocks in numerical[k]] for k in diff_idx}
    if check_backward_ad:
        if not _check_backward(func, inputs, diff_out, diff_idx, numerical, atol, rtol, nondet_tol, raise_exception):
            return False
        if check_batched_grad and not _check_batched_backward(func, inputs, diff_idx, atol, rtol, raise_exception):
            return False
    if check_forward_ad:
        if not _check_forward(func, inputs, diff_idx, numerical, atol, rtol, raise_exception):
            return False
        if check_batched_forward_grad and not _check_batched_forward(func, inputs, diff_idx, atol, rtol,
                                                                     raise_exception):
            return False
    return True


# PyTorch's batch size for the batched-gradient checks: two random cotangents (or tangents) per
# output (or input), drawn one tensor at a time from the global generator, so that the random
# numbers a program draws after a gradcheck are PyTorch's too
_BATCH = 2


def _check_batched_backward(func, inputs, diff_idx, atol, rtol, raise_exception):
    """``check_batched_grad``: for each output requiring grad, the vector-Jacobian products of a
    batch of random cotangents in one ``autograd.grad(..., is_grads_batched=True)`` call must
    equal those taken one cotangent at a time."""
    import tensorgraft
    from . import grad as _grad
    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    wrt = [inputs[k] for k in diff_idx]
    for oi, o in enumerate(outs):
        cotangents = [tensorgraft.randn_like(o) for _ in range(_BATCH)]
        one_by_one = [_grad(o, wrt, v, retain_graph=True, allow_unused=True) for v in cotangents]
        batched = _grad(o, wrt, tensorgraft.stack(cotangents), retain_graph=True, allow_unused=True,
                        is_grads_batched=True)
        for pos, (k, b) in enumerate(zip(diff_idx, batched)):
            expected = [g[pos] for g in one_by_one]
            if b is None and all(e is None for e in expected):
                continue
            got = _host(b) if b is not None else np.zeros(_BATCH * inputs[k]._data.size)
            want = np.concatenate([_host(e) if e is not None else np.zeros(inputs[k]._data.size) for e in expected])
            if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
                return _fail(raise_exception, f"For output {oi} and input {k}:\n\nbatched gradients differ from "
                                              "the gradients computed one at a time.\n")
    return True


def _check_batched_forward(func, inputs, diff_idx, atol, rtol, raise_exception):
    """``check_batched_forward_grad``: for each differentiable input, the forward-mode products
    of a batch of random tangents must equal the forward-mode Jacobian (checked already) applied
    to each of them."""
    import tensorgraft
    for k in diff_idx:
        tangents = [tensorgraft.randn_like(inputs[k]) for _ in range(_BATCH)]
        along_real = _forward_rows(func, inputs, k, 1.0)
        # a complex tangent a + ib moves the input by a along the real axis and b along the imaginary one
        along_imag = _forward_rows(func, inputs, k, 1j) if _is_complex(inputs[k]) else None
        for t in tangents:
            products = _forward_products(func, inputs, k, t)
            for oi, got in enumerate(products):
                want = _host(t).real @ along_real[oi]
                if along_imag is not None:
                    want = want + _host(t).imag @ along_imag[oi]
                if not np.allclose(got, want, rtol=rtol, atol=atol, equal_nan=True):
                    return _fail(raise_exception, f"For output {oi} and input {k}:\n\nbatched forward gradients "
                                                  "differ from the forward gradients computed one at a time.\n")
    return True


def _check_backward(func, inputs, diff_out, diff_idx, numerical, atol, rtol, nondet_tol, raise_exception):
    """The reverse-mode Jacobians of the outputs ``diff_out`` (those requiring grad) against the
    finite differences (kept for those outputs only), then the zero-grad_output check."""
    complex_out = [_is_complex(o) for o in _outputs(func, inputs)]
    complex_out = [complex_out[i] for i in diff_out]
    passes = _COMPLEX_PARTS if any(complex_out) else ((None, 1.0),)
    for pi, (part, cotangent) in enumerate(passes):
        for oi, is_complex in enumerate(complex_out):
            if pi > 0 and not is_complex:
                continue  # a real output is the same in every pass: checked in the first
            o = _outputs(func, inputs)[diff_out[oi]]
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
                                 f"numerical:{_shown(num, o)}\nanalytical:{_shown(ana, inputs[k])}\n")
    if not _zero_grad_output_gives_zero(func, inputs, diff_idx):
        return _fail(raise_exception, "backward not multiplied by grad_output")
    return True


def _refuse_functions_without_jvp(outs) -> bool:
    """Forward mode runs a custom Function's ``jvp``: as in PyTorch, one without it is an error
    (the graph of the outputs is searched for the Functions' nodes). True when the graph has a
    custom Function (with a ``jvp``)."""
    from .function import Function, FunctionCtx
    stack = [o.grad_fn for o in outs if o.grad_fn is not None]
    seen = set()
    found = False
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, FunctionCtx) and node._fn.jvp is Function.jvp:
            raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it "
                                      "with forward mode AD.")
        found = found or isinstance(node, FunctionCtx)
        stack.extend(nxt for nxt, _ in node.next_functions if nxt is not None)
    return found


def _jvp_maker(func, inputs, k):
    """(outputs, ``jvp``): ``jvp(t)`` is, per output, the forward-mode product of the Jacobian with
    respect to input ``k`` and the tangent ``t`` (a host array), flattened. It comes from the
    double-backward trick: ``u -> J^T u`` is linear, and its derivative with respect to the
    dummy cotangent ``u`` along ``t`` is ``J t``."""
    import tensorgraft
    from . import grad as _grad
    with tensorgraft.enable_grad():
        outs = _outputs(func, inputs)
        if _refuse_functions_without_jvp(outs):
            return outs, _dual_jvp(func, inputs, k, outs)
        x = inputs[k]
        carried = [i for i, o in enumerate(outs) if o.requires_grad]
        jt_u = us = None
        if carried:
            us = [tensorgraft.zeros_like(outs[i], requires_grad=True) for i in carried]
            jt_u, = _grad([outs[i] for i in carried], [x], us, create_graph=True, allow_unused=True)

    def jvp(t):
        jv = [None] * len(carried)
        if jt_u is not None and jt_u.requires_grad:
            with tensorgraft.enable_grad():
                jv = _grad([jt_u], us, [_on_device(t, x)], retain_graph=True, allow_unused=True)
        products = dict(zip(carried, jv))
        return [_host(products[i]) if products.get(i) is not None
                else np.zeros(o._data.size, np.complex128 if _is_complex(o) else np.float64)
                for i, o in enumerate(outs)]
    return outs, jvp


def _dual_jvp(func, inputs, k, outs):
    """``jvp(t)`` for a function that calls custom Functions: their own ``jvp`` formulas are what
    is checked, so the function runs under ``autograd.forward_ad`` with input ``k`` made dual."""
    from . import forward_ad

    def jvp(t):
        with forward_ad.dual_level():
            args = list(inputs)
            args[k] = forward_ad.make_dual(inputs[k], _on_device(t, inputs[k]))
            tangents = [forward_ad.unpack_dual(o).tangent for o in _outputs(func, args)]
        return [_host(tan) if tan is not None
                else np.zeros(o._data.size, np.complex128 if _is_complex(o) else np.float64)
                for tan, o in zip(tangents, outs)]
    return jvp


def _forward_rows(func, inputs, k, direction):
    """For input ``k``: per output, the forward-mode derivative along ``direction`` times each
    input element, as an (input size, output size) array: row ``j`` is the product with the
    tangent that is ``direction`` at element ``j`` and zero elsewhere."""
    outs, jvp = _jvp_maker(func, inputs, k)
    x = inputs[k]
    rows = [[] for _ in outs]
    for j in range(x._data.size):
        t = np.zeros(x._data.shape, dtype=x._data.dtype)
        t.reshape(-1)[j] = direction
        for row, product in zip(rows, jvp(t)):
            row.append(product)
    return [np.stack(r) if r else np.zeros((0, o._data.size)) for r, o in zip(rows, outs)]


def _forward_products(func, inputs, k, tangent):
    """Per output, the forward-mode product with the tangent tensor ``tangent`` of input ``k``."""
    return _jvp_maker(func, inputs, k)[1](tangent._host().reshape(tangent.shape))


def _check_forward(func, inputs, diff_idx, numerical, atol, rtol, raise_exception):
    """The forward-mode Jacobians against the finite differences: PyTorch's order and messages,
    the imaginary direction of complex inputs first, then every input along its real direction.
    As in PyTorch, the finite differences (of the outputs requiring grad) are paired with the
    forward-mode Jacobians of all outputs in order, so an output that does not require grad in
    front of one that does shows up as a mismatch, PyTorch's way."""
    passes = [(k, "imaginary", 1j) for k in diff_idx if _is_complex(inputs[k])]
    passes += [(k, "real" if _is_complex(inputs[k]) else None, 1.0) for k in diff_idx]
    for k, part, direction in passes:
        analytical = _forward_rows(func, inputs, k, direction)
        diffs = numerical[k][1 if part == "imaginary" else 0]
        outs = _outputs(func, inputs)
        for oi, (num, ana) in enumerate(zip(diffs, analytical)):
            if not np.allclose(ana, num, rtol=rtol, atol=atol, equal_nan=True):
                which = f"While considering the {part} part of complex inputs only, " if part else ""
                return _fail(raise_exception,
                             f"{which}Jacobian computed with forward mode mismatch for output {oi} with respect to "
                             f"input {k},\nnumerical:{_shown(num, outs[oi])}\nanalytical:{_shown(ana, outs[oi])}\n")
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


def _random_like(o, non_contiguous=False):
    """A random cotangent for ``o``, drawn as PyTorch's gradgradcheck draws it: uniform in
    [-1, 1) from the global generator of ``o``'s device, one output after the other, so the
    random numbers a program draws afterwards are PyTorch's too. Complex outputs get an
    imaginary part as well (drawn interleaved with the real part), so that the second
    derivatives are exercised along both real directions. ``non_contiguous``
    (``gen_non_contig_grad_outputs``): as PyTorch, a tensor of more than one element is drawn with
    its last dimension doubled and every second entry of it (the odd ones) is kept."""
    import tensorgraft
    shape = tuple(o.shape)
    strided = non_contiguous and o.numel() > 1
    if strided:
        shape = shape[:-1] + (2 * shape[-1],)
    if _is_complex(o):
        real = tensorgraft.float64 if o._data.dtype == np.complex128 else tensorgraft.float32
        pairs = tensorgraft.empty(shape + (2,), dtype=real, device=o.device).uniform_(-1, 1)
        drawn = tensorgraft.view_as_complex(pairs)
    else:
        drawn = tensorgraft.empty(shape, dtype=o.dtype, device=o.device).uniform_(-1, 1)
    if strided:
        drawn = drawn[..., 1::2]
    return drawn.requires_grad_(True)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3, gen_non_contig_grad_outputs=False,
                  raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
                  check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> first-order gradients
    (``check_rev_over_rev``: by reverse mode; ``check_fwd_over_rev``: by forward mode)."""
    from . import grad as _grad
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    diff_idx = [k for k, i in enumerate(inputs) if isinstance(i, Tensor) and i.requires_grad]
    # as PyTorch: only the outputs that require grad are differentiated, and the grad_outputs (drawn
    # for those outputs alone, or the caller's, in order) go with them
    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        grad_outputs = tuple(_random_like(o, gen_non_contig_grad_outputs) for o in outs)
    else:
        grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    n_in = len(inputs)

    def first_order(*args):
        xs, gos = args[:n_in], args[n_in:]
        o = [out for out in _outputs(func, xs) if out.requires_grad]
        gos = gos[:len(o)]
        gs = _grad(o[:len(gos)], [xs[k] for k in diff_idx], grad_outputs=gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_order, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev, check_batched_grad=check_batched_grad)


def _fail(raise_exception, msg):
    if raise_exception:
        raise GradcheckError(msg)
    return False
