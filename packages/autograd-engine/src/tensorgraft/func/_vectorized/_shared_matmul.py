"""``a @ w`` where the physical ``w`` is one matrix expanded over the batch (stride 0 on the batch
dim): what a differentiated unbatched weight becomes inside ``vmap(grad(...))`` (``_bridge.py``
expands it so that its gradient is per sample). Plain batched matmul would copy the expansion
(``B`` copies of the weight) and run ``B`` small products; here the forward is one GEMM with the
weight itself and the backward gives each sample its own weight gradient (``a_b^T g_b``), the
one product that must be per sample. Written as an autograd Function whose backward is made of
tensorgraft ops, so it differentiates again (hessian, jacfwd's double-backward)."""
from __future__ import annotations

import math

from tensorgraft.autograd.function import Function


def _rows(t):
    """``t`` as (rows, last dim), the row count spelled out: with an empty last dim a -1 would be
    ambiguous (a (5, 0) @ (0, 10) product)."""
    return t.reshape(math.prod(t.shape[:-1]), t.shape[-1])


class SharedWeightMatmul(Function):
    generate_vmap_rule = True  # (it only ever sees physical tensors; the flag keeps vmap's hook quiet)

    @staticmethod
    def forward(a, w):
        m = w.shape[-1]
        flat = _rows(a) @ w[0]
        return flat.reshape(tuple(a.shape[:-1]) + (m,))

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.inputs_for_jvp = inputs

    @staticmethod
    def backward(ctx, g):
        a, w = ctx.saved_tensors
        size, n, m = w.shape
        grad_a = grad_w = None
        if ctx.needs_input_grad[0]:
            grad_a = (_rows(g) @ w[0].transpose(0, 1)).reshape(tuple(a.shape))
        if ctx.needs_input_grad[1]:
            rows = math.prod(a.shape[1:-1])  # (spelled out: n or m may be 0)
            a_t, g_r = a.reshape(size, rows, n).transpose(1, 2), g.reshape(size, rows, m)
            # (one example per sample: an outer product, which NumPy's matmul runs far slower than
            # a broadcast multiply)
            grad_w = a_t * g_r if a_t.shape[2] == 1 else a_t @ g_r
        return grad_a, grad_w

    @staticmethod
    def jvp(ctx, a_t, w_t):
        """Forward AD: d(a @ w) = a_t @ w + a @ w_t (w_t need not be an expansion)."""
        import tensorgraft
        a, w = ctx.inputs_for_jvp
        out = None
        if a_t is not None:
            out = SharedWeightMatmul.forward(a_t, w)
        if w_t is not None:
            term = tensorgraft.matmul(a, w_t)
            out = term if out is None else out + term
        return out


def expanded_over_batch(p) -> bool:
    """Whether plain tensor ``p`` is one (n, m) matrix expanded over a batch dim in front."""
    data = getattr(p, "_data", None)
    return data is not None and p.__class__.__name__ == "Tensor" and data.ndim == 3 and data.strides[0] == 0 \
        and data.shape[0] > 1


def shared_matmul(pa, pb):
    return SharedWeightMatmul.apply(pa, pb)
