"""Kernels at layer size: activations forward + backward on a 1024x512 batch (the hidden layer of
the MLP benchmarks), cross-entropy forward + backward over 1024 x 1000 logits (an ImageNet-sized
classifier head), and the no-grad in-place updates of hand-written training loops (SGD by
``p.add_(g, alpha=-lr)``, an EMA of the weights by ``lerp_``) over a 1.2 M-value model. NumPy's
side is the same arithmetic written by hand, with ``out=`` where it helps."""
from __future__ import annotations

import numpy as np

from . import Workload

ROWS, COLS = 1024, 512
# (rows, cols) of a small model's parameters: 1.2 M values in 12 tensors
PARAM_SHAPES = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)] * 2


def _tg():
    import tensorgraft
    tensorgraft.set_num_threads(1)
    return tensorgraft


def _torch():
    import torch
    torch.set_num_threads(1)
    return torch


def _batch(seed=0):
    return np.random.default_rng(seed).standard_normal((ROWS, COLS)).astype(np.float32)


def activation(name):
    """``name(x)`` and its backward with an all-ones gradient, on a 1024x512 float32 batch."""
    def lib_side(lib_of):
        def make():
            lib = lib_of()
            fn = getattr(lib.nn.functional, name)
            x = lib.tensor(_batch(), requires_grad=True)
            g = lib.ones(ROWS, COLS)

            def step():
                x.grad = None
                fn(x).backward(g)
            return step
        return make

    def np_side():
        x, g = _batch(), np.ones((ROWS, COLS), np.float32)
        forward_backward = _NUMPY_ACTIVATIONS[name]
        return lambda: forward_backward(x, g)
    return lib_side(_tg), np_side, lib_side(_torch)


def _relu_np(x, g):
    y = np.maximum(x, np.float32(0))
    return y, np.where(x > 0, g, np.float32(0))


def _leaky_relu_np(x, g):
    y = np.where(x > 0, x, x * np.float32(0.01))
    return y, np.where(x > 0, g, g * np.float32(0.01))


def _gelu_np(x, g):
    from scipy import special
    cdf = 0.5 * (1 + special.erf(x * np.float32(2 ** -0.5)))
    y = x * cdf
    pdf = np.exp(np.float32(-0.5) * x * x) * np.float32((2 * np.pi) ** -0.5)
    return y, g * (cdf + x * pdf)


_NUMPY_ACTIVATIONS = {"relu": _relu_np, "leaky_relu": _leaky_relu_np, "gelu": _gelu_np}


def cross_entropy(classes=1000):
    """``F.cross_entropy(logits, targets)`` and its backward, 1024 rows of ``classes`` logits."""
    def data():
        rng = np.random.default_rng(3)
        return rng.standard_normal((ROWS, classes)).astype(np.float32), rng.integers(0, classes, ROWS)

    def lib_side(lib_of):
        def make():
            lib = lib_of()
            x0, t0 = data()
            x, t = lib.tensor(x0, requires_grad=True), lib.tensor(t0)

            def step():
                x.grad = None
                lib.nn.functional.cross_entropy(x, t).backward()
            return step
        return make

    def np_side():
        x, t = data()
        return lambda: _cross_entropy_np(x, t)
    return lib_side(_tg), np_side, lib_side(_torch)


def _cross_entropy_np(x, t):
    """Mean cross-entropy of logits ``x`` for class indices ``t``, and its gradient."""
    shifted = x - x.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(x.shape[0])
    loss = (np.log(total[:, 0]) - shifted[rows, t]).mean()
    grad = exp / total
    grad[rows, t] -= 1
    grad /= x.shape[0]
    return loss, grad


def _pair(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((ROWS, COLS)).astype(np.float32), rng.standard_normal((ROWS, COLS)).astype(np.float32)


def elementwise(name):
    """``name`` of two 1024x512 float32 batches, its first input requiring grad, and the backward
    of its mean: smooth_l1 (F.smooth_l1_loss), square (x ** 2, then mean), logaddexp."""
    calls = {
        "smooth_l1": lambda lib, x, y: lib.nn.functional.smooth_l1_loss(x, y),
        "square": lambda lib, x, y: (x ** 2).mean(),
        "logaddexp": lambda lib, x, y: lib.logaddexp(x, y).mean(),
    }

    def lib_side(lib_of):
        def make():
            lib = lib_of()
            x0, y0 = _pair()
            x, y = lib.tensor(x0, requires_grad=True), lib.tensor(y0)

            def step():
                x.grad = None
                calls[name](lib, x, y).backward()
            return step
        return make

    def np_side():
        x, y = _pair()
        return lambda: _NUMPY_ELEMENTWISE[name](x, y)
    return lib_side(_tg), np_side, lib_side(_torch)


def _smooth_l1_np(x, y):
    d = x - y
    a = np.abs(d)
    loss = np.where(a < 1, np.float32(0.5) * a * a, a - np.float32(0.5)).mean()
    return loss, np.clip(d, -1, 1) / np.float32(d.size)


def _square_np(x, y):
    return np.square(x).mean(), x * np.float32(2 / x.size)


def _logaddexp_np(x, y):
    out = np.logaddexp(x, y)
    return out.mean(), np.exp(x - out) / np.float32(x.size)


_NUMPY_ELEMENTWISE = {"smooth_l1": _smooth_l1_np, "square": _square_np, "logaddexp": _logaddexp_np}

# attention scores of a small transformer: batch 16, 4 heads, 64 x 64 positions, a causal mask
SCORES = (16, 4, 64, 64)


def causal_masked_fill():
    """``scores.masked_fill(causal, -inf)`` forward + backward (the mask broadcast over batch and heads)."""
    def lib_side(lib_of):
        def make():
            lib = lib_of()
            s0 = np.random.default_rng(4).standard_normal(SCORES).astype(np.float32)
            s = lib.tensor(s0, requires_grad=True)
            mask = lib.tensor(np.triu(np.ones(SCORES[-2:], bool), 1))
            g = lib.ones(*SCORES)

            def step():
                s.grad = None
                s.masked_fill(mask, float("-inf")).backward(g)
            return step
        return make

    def np_side():
        s = np.random.default_rng(4).standard_normal(SCORES).astype(np.float32)
        mask = np.triu(np.ones(SCORES[-2:], bool), 1)
        g = np.ones(SCORES, np.float32)
        return lambda: (np.where(mask, np.float32(-np.inf), s), np.where(mask, np.float32(0), g))
    return lib_side(_tg), np_side, lib_side(_torch)


def _params(lib, seed):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal(s).astype(np.float32)) for s in PARAM_SHAPES]


def inplace_update(kind):
    """One no-grad update of every parameter: ``sgd`` is ``p.add_(g, alpha=-lr)``, ``ema`` is
    ``avg.lerp_(p, 0.001)`` (an exponential moving average of the weights)."""
    def lib_side(lib_of):
        def make():
            lib = lib_of()
            params, others = _params(lib, 1), _params(lib, 2)

            def step():
                with lib.no_grad():
                    for p, o in zip(params, others):
                        if kind == "sgd":
                            p.add_(o, alpha=-0.01)
                        else:
                            p.lerp_(o, 0.001)
            return step
        return make

    def np_side():
        rng1, rng2 = np.random.default_rng(1), np.random.default_rng(2)
        params = [rng1.standard_normal(s).astype(np.float32) for s in PARAM_SHAPES]
        others = [rng2.standard_normal(s).astype(np.float32) for s in PARAM_SHAPES]

        def step():
            for p, o in zip(params, others):
                if kind == "sgd":
                    p -= np.float32(0.01) * o
                else:
                    p += np.float32(0.001) * (o - p)
        return step
    return lib_side(_tg), np_side, lib_side(_torch)


# PyTorch's nn.ConvTranspose3d docstring example (16 -> 33 channels, kernel (3, 5, 2), stride (2, 1, 1),
# padding (0, 4, 2)) on 4 of its 16x10x50x100 volumes instead of 20
CONVT3D_INPUT = (4, 16, 10, 50, 100)


def conv_transpose3d_padded():
    """``nn.ConvTranspose3d(16, 33, (3, 5, 2), stride=(2, 1, 1), padding=(0, 4, 2))`` forward, no grad."""
    def lib_side(lib_of):
        def make():
            lib = lib_of()
            lib.manual_seed(0)
            m = lib.nn.ConvTranspose3d(16, 33, (3, 5, 2), stride=(2, 1, 1), padding=(0, 4, 2))
            x = lib.tensor(np.random.default_rng(5).standard_normal(CONVT3D_INPUT).astype(np.float32))

            def step():
                with lib.no_grad():
                    m(x)
            return step
        return make
    return lib_side(_tg), None, lib_side(_torch)


WORKLOADS = [
    Workload("relu_fwd_bwd", "relu forward + backward on a 1024x512 float32 batch", *activation("relu"),
             target="tg/torch <= 2"),
    Workload("leaky_relu_fwd_bwd", "leaky_relu(0.01) forward + backward on a 1024x512 float32 batch",
             *activation("leaky_relu"), target="tg/torch <= 2"),
    Workload("gelu_fwd_bwd", "gelu (erf form) forward + backward on a 1024x512 float32 batch", *activation("gelu"),
             target="tg/torch <= 4"),
    Workload("cross_entropy_fwd_bwd", "F.cross_entropy forward + backward, 1024 x 1000 float32 logits",
             *cross_entropy(), target="tg/torch <= 3"),
    Workload("smooth_l1_fwd_bwd", "F.smooth_l1_loss(x, y) forward + backward, 1024x512 float32",
             *elementwise("smooth_l1"), target="tg/torch <= 5"),
    Workload("square_fwd_bwd", "(x ** 2).mean() forward + backward, 1024x512 float32", *elementwise("square"),
             target="tg/torch <= 1.5"),
    Workload("logaddexp_fwd_bwd", "logaddexp(x, y).mean() forward + backward, 1024x512 float32",
             *elementwise("logaddexp"), target="tg/torch <= 1.5"),
    Workload("causal_masked_fill", "scores.masked_fill(causal mask, -inf) forward + backward, 16x4x64x64",
             *causal_masked_fill(), target="tg/torch <= 1"),
    Workload("sgd_add_update", "no-grad p.add_(g, alpha=-lr) over 12 params (1.2 M values)",
             *inplace_update("sgd"), target="tg/torch <= 1.5"),
    Workload("ema_lerp_update", "no-grad avg.lerp_(p, 0.001) over 12 params (1.2 M values)",
             *inplace_update("ema"), target="tg/torch <= 1.5"),
    Workload("conv_transpose3d_padded", "ConvTranspose3d(16, 33, (3, 5, 2), stride (2, 1, 1), padding (0, 4, 2)) "
             "forward, 4x16x10x50x100 float32", *conv_transpose3d_padded(), target="tg/torch <= 1.5"),
]
