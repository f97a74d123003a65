"""Fused CUDA kernels (CuPy ``ElementwiseKernel``/``ReductionKernel``), compiled on first use.

Registered by the plugin only when CuPy is installed:

- ``registry.extensions["fused_optimizer_step"][("Adam", "cuda")]`` (and ``"AdamW"``, ``"SGD"``):
  ``fn(optimizer, group, bucket) -> bool`` as tensorgraft-optim's ``FlatOptimizer`` calls it — one
  kernel launch updates a whole bucket (the group's parameters flattened into one array) and its
  state in place; ``False`` (amsgrad, parameters at different steps) falls back to the generic kernel.

- ``registry.extensions["cuda_kernels"]``: ``softmax(a, axis)``, ``log_softmax(a, axis)``,
  ``gelu(a, approximate="none")``, ``layer_norm(a, normalized_ndim, weight, bias, eps) -> (out, mean, rstd)``,
  on CuPy arrays (the shapes and semantics of ``torch.nn.functional``).

- CUDA kernels of existing ops (``OP_KERNELS``, registered in ``tensorgraft_configure``): softmax,
  log_softmax, nn.gelu, nn.layer_norm, and the recurrent cells nn.fused_lstm_cell/nn.fused_gru_cell
  with their backward ops.
"""
from __future__ import annotations

_K: dict = {}


def _cp():
    from ._backend import BACKEND
    return BACKEND.cupy()


def _kernel(name):
    k = _K.get(name)
    if k is None:
        k = _K[name] = _BUILD[name](_cp())
    return k


def _build_adam(cp):
    return cp.ElementwiseKernel(
        "T grad, T step_size, T beta1, T beta2, T eps, T wd, T lr, T bc2_sqrt, int32 maximize, int32 decoupled",
        "T param, T exp_avg, T exp_avg_sq",
        """
        T g = maximize ? -grad : grad;
        if (decoupled) {
            param = param * (T(1) - lr * wd);
        } else if (wd != T(0)) {
            g = g + wd * param;
        }
        exp_avg = exp_avg + (T(1) - beta1) * (g - exp_avg);
        exp_avg_sq = beta2 * exp_avg_sq + (T(1) - beta2) * g * g;
        T denom = sqrt(exp_avg_sq) / bc2_sqrt + eps;
        param = param - step_size * exp_avg / denom;
        """,
        "tensorgraft_fused_adam")


def _build_sgd(cp):
    return cp.ElementwiseKernel(
        "T grad, T lr, T momentum, T dampening, T wd, int32 nesterov, int32 maximize, int32 first",
        "T param, T buf",
        """
        T g = maximize ? -grad : grad;
        if (wd != T(0)) g = g + wd * param;
        if (momentum != T(0)) {
            buf = first ? g : momentum * buf + (T(1) - dampening) * g;
            g = nesterov ? g + momentum * buf : buf;
        }
        param = param - lr * g;
        """,
        "tensorgraft_fused_sgd")


def _build_sgd_plain(cp):
    return cp.ElementwiseKernel(
        "T grad, T lr, T wd, int32 maximize", "T param",
        """
        T g = maximize ? -grad : grad;
        if (wd != T(0)) g = g + wd * param;
        param = param - lr * g;
        """,
        "tensorgraft_fused_sgd_plain")


def _build_exp_sub(cp):
    return cp.ElementwiseKernel("T x, T m", "T y", "y = exp(x - m)", "tensorgraft_exp_sub")


def _build_sum_exp(cp):
    return cp.ReductionKernel("T x, T m", "T y", "exp(x - m)", "a + b", "y = a", "0", "tensorgraft_sum_exp")


def _build_log_softmax_out(cp):
    return cp.ElementwiseKernel("T x, T m, T s", "T y", "y = x - m - log(s)", "tensorgraft_log_softmax")


def _build_gelu(cp):
    return cp.ElementwiseKernel(
        "T x", "T y", "y = T(0.5) * x * (T(1) + erf(x * T(0.70710678118654752440)))", "tensorgraft_gelu")


def _build_gelu_tanh(cp):
    return cp.ElementwiseKernel(
        "T x", "T y",
        "y = T(0.5) * x * (T(1) + tanh(T(0.79788456080286535588) * (x + T(0.044715) * x * x * x)))",
        "tensorgraft_gelu_tanh")


def _build_sq_dev(cp):
    return cp.ReductionKernel("T x, T m", "T y", "(x - m) * (x - m)", "a + b", "y = a", "0", "tensorgraft_sq_dev")


def _build_norm_affine(cp):
    return cp.ElementwiseKernel("T x, T m, T rstd, T w, T b", "T y", "y = (x - m) * rstd * w + b",
                                "tensorgraft_layer_norm_affine")


def _build_affine(cp):
    return cp.ElementwiseKernel("T xh, T w, T b", "T y", "y = xh * w + b", "tensorgraft_affine")


def _build_norm(cp):
    return cp.ElementwiseKernel("T x, T m, T rstd", "T y", "y = (x - m) * rstd", "tensorgraft_layer_norm")


# The recurrent cells (tensorgraft-nn's fused_lstm_cell/fused_gru_cell and their backward ops): one
# launch per time step, reading and writing the gates as column blocks of the (N, k*H) arrays, so
# no gate is copied out. The sigmoid is written as 0.5 * tanh(x / 2) + 0.5: it cannot overflow.
def _build_lstm_cell(cp):
    return cp.ElementwiseKernel(
        "T xi, T xf, T xg, T xo, T hi, T hf, T hg, T ho, T cx",
        "T act_i, T act_f, T act_g, T act_o, T h_out, T c_out, T tanh_c",
        """
        act_i = T(0.5) * tanh(T(0.5) * (xi + hi)) + T(0.5);
        act_f = T(0.5) * tanh(T(0.5) * (xf + hf)) + T(0.5);
        act_g = tanh(xg + hg);
        act_o = T(0.5) * tanh(T(0.5) * (xo + ho)) + T(0.5);
        c_out = act_f * cx + act_i * act_g;
        tanh_c = tanh(c_out);
        h_out = act_o * tanh_c;
        """,
        "tensorgraft_lstm_cell")


def _build_lstm_cell_backward(cp):
    return cp.ElementwiseKernel(
        "T gh, T gc, T act_i, T act_f, T act_g, T act_o, T tanh_c, T cx",
        "T d_i, T d_f, T d_g, T d_o, T d_cx",
        """
        T dc = gc + gh * act_o * (T(1) - tanh_c * tanh_c);
        d_i = dc * act_g * act_i * (T(1) - act_i);
        d_f = dc * cx * act_f * (T(1) - act_f);
        d_g = dc * act_i * (T(1) - act_g * act_g);
        d_o = gh * tanh_c * act_o * (T(1) - act_o);
        d_cx = dc * act_f;
        """,
        "tensorgraft_lstm_cell_backward")


def _build_gru_cell(cp):
    return cp.ElementwiseKernel(
        "T xr, T xz, T xn, T hr, T hz, T hn, T hx",
        "T act_r, T act_z, T act_n, T h_out",
        """
        act_r = T(0.5) * tanh(T(0.5) * (xr + hr)) + T(0.5);
        act_z = T(0.5) * tanh(T(0.5) * (xz + hz)) + T(0.5);
        act_n = tanh(xn + act_r * hn);
        h_out = act_n + act_z * (hx - act_n);
        """,
        "tensorgraft_gru_cell")


def _build_gru_cell_backward(cp):
    return cp.ElementwiseKernel(
        "T gh, T act_r, T act_z, T act_n, T hn, T hx",
        "T dx_r, T dx_z, T dx_n, T dh_r, T dh_z, T dh_n, T d_hx",
        """
        T dn = gh * (T(1) - act_z) * (T(1) - act_n * act_n);
        dx_r = dn * hn * act_r * (T(1) - act_r);
        dx_z = gh * (hx - act_n) * act_z * (T(1) - act_z);
        dx_n = dn;
        dh_r = dx_r;
        dh_z = dx_z;
        dh_n = dn * act_r;
        d_hx = gh * act_z;
        """,
        "tensorgraft_gru_cell_backward")


_BUILD = {"adam": _build_adam, "sgd": _build_sgd, "sgd_plain": _build_sgd_plain, "exp_sub": _build_exp_sub, "sum_exp": _build_sum_exp,
          "log_softmax_out": _build_log_softmax_out, "gelu": _build_gelu, "gelu_tanh": _build_gelu_tanh,
          "sq_dev": _build_sq_dev, "norm_affine": _build_norm_affine, "norm": _build_norm, "affine": _build_affine,
          "lstm_cell": _build_lstm_cell, "lstm_cell_backward": _build_lstm_cell_backward,
          "gru_cell": _build_gru_cell, "gru_cell_backward": _build_gru_cell_backward}


# --------------------------------------------------------------------------- optimizer steps
# The interface of tensorgraft-optim's FlatOptimizer: ``fn(optimizer, group, bucket) -> bool``, called
# once per bucket (all parameters of a group on one device with one dtype, flattened into one array)
# after the step counters were incremented and the gradients gathered into ``bucket.grads``.
# ``bucket.consts`` holds the per-step constants (None when the bucket's parameters are at different
# steps: then we return False and the generic kernel runs).

def adam_bucket_step(optimizer, group, bucket) -> bool:
    """Adam/AdamW: one kernel launch updates params, exp_avg and exp_avg_sq of the whole bucket."""
    k = bucket.consts
    if k is None or group.get("amsgrad") or bucket.dtype.kind != "f":
        return False
    beta1, beta2 = group["betas"]
    t = bucket.dtype.type
    _kernel("adam")(bucket.grads, t(k["step_size"]), t(beta1), t(beta2), t(group["eps"]), t(group["weight_decay"]),
                    t(group["lr"]), t(k["bc2_sqrt"]), _i32(group.get("maximize", False)),
                    _i32(group.get("decoupled_weight_decay", False)),
                    bucket.params, bucket.state["exp_avg"], bucket.state["exp_avg_sq"])
    return True


def sgd_bucket_step(optimizer, group, bucket) -> bool:
    """SGD with momentum/dampening/Nesterov/weight decay: one kernel launch per bucket."""
    if bucket.dtype.kind != "f":
        return False
    t = bucket.dtype.type
    momentum = group["momentum"]
    if momentum == 0:
        _kernel("sgd_plain")(bucket.grads, t(group["lr"]), t(group["weight_decay"]), _i32(group.get("maximize", False)),
                             bucket.params)
        return True
    fresh = bucket.fresh
    if fresh is not None and len(set(fresh)) > 1:
        return False  # some parameters' buffers start this step, others do not: generic kernel
    first = bool(fresh[0]) if fresh else False
    _kernel("sgd")(bucket.grads, t(group["lr"]), t(momentum), t(group["dampening"]), t(group["weight_decay"]),
                   _i32(group["nesterov"]), _i32(group.get("maximize", False)), _i32(first),
                   bucket.params, bucket.state["momentum_buffer"])
    return True


def _i32(flag):
    import numpy as np
    return np.int32(1 if flag else 0)


# --------------------------------------------------------------------------- nn kernels
def _row_max(cp, a, axis):
    m = a.max(axis=axis, keepdims=True)
    return cp.where(cp.isfinite(m), m, a.dtype.type(0))  # rows of -inf give nan/-inf, not errors


def softmax(a, axis=-1):
    cp = _cp()
    m = _row_max(cp, a, axis)
    e = _kernel("exp_sub")(a, m)
    s = e.sum(axis=axis, keepdims=True)
    cp.divide(e, s, out=e)
    return e


def log_softmax(a, axis=-1):
    m = _row_max(_cp(), a, axis)
    s = _kernel("sum_exp")(a, m, axis=axis, keepdims=True)
    return _kernel("log_softmax_out")(a, m, s)


def gelu(a, approximate="none"):
    if approximate == "tanh":
        return _kernel("gelu_tanh")(a)
    if approximate != "none":
        raise ValueError(f"approximate argument must be either none or tanh, got {approximate!r}")
    return _kernel("gelu")(a)


def _moments(cp, a, normalized_ndim, eps):
    """Mean and reciprocal standard deviation (biased variance) over the last ``normalized_ndim``
    dims of ``a``, dims kept: the statistics of layer norm."""
    axes = tuple(range(a.ndim - normalized_ndim, a.ndim))
    n = 1
    for ax in axes:
        n *= a.shape[ax]
    mean = a.mean(axis=axes, keepdims=True)
    var = _kernel("sq_dev")(a, mean, axis=axes, keepdims=True) / a.dtype.type(n)
    return mean, cp.reciprocal(cp.sqrt(var + a.dtype.type(eps)))


def _affine_params(cp, a, normalized_ndim, weight, bias):
    """Layer norm's weight and bias, ones and zeros of the normalised shape standing in for a missing one."""
    shape = a.shape[a.ndim - normalized_ndim:]
    return (weight if weight is not None else cp.ones(shape, a.dtype),
            bias if bias is not None else cp.zeros(shape, a.dtype))


def layer_norm(a, normalized_ndim, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``normalized_ndim`` dims; returns (out, mean, rstd) (mean/rstd keep dims)."""
    cp = _cp()
    mean, rstd = _moments(cp, a, normalized_ndim, eps)
    if weight is None and bias is None:
        out = _kernel("norm")(a, mean, rstd)
    else:
        w, b = _affine_params(cp, a, normalized_ndim, weight, bias)
        out = _kernel("norm_affine")(a, mean, rstd, w, b)
    return out, mean, rstd


# ---------------------------------------------------------------------------- kernels of existing ops
# Same arguments as the op's generic kernel, without ``xp``; registered (tensorgraft_configure) only
# when the op exists and its generic kernel has exactly the expected parameters.
def softmax_op_kernel(a, axis, log):
    if a.ndim == 0 or a.size == 0 or a.dtype.kind != "f":
        from tensorgraft.registry import registry
        return registry.ops["log_softmax" if log else "softmax"].kernel(_cp(), a, axis, log)
    return log_softmax(a, axis) if log else softmax(a, axis)


def gelu_op_kernel(x, approximate):
    return gelu(x, approximate)


def layer_norm_op_kernel(x, w, b, nd, eps):
    """nn.layer_norm's kernel: (out, xhat, invstd)."""
    cp = _cp()
    mean, invstd = _moments(cp, x, nd, eps)
    xhat = _kernel("norm")(x, mean, invstd)
    if w is None and b is None:
        return xhat, xhat, invstd
    w, b = _affine_params(cp, x, nd, w, b)
    return _kernel("affine")(xhat, w, b), xhat, invstd


def _blocks(a, k):
    """The ``k`` column blocks of an (N, k*H) array, as views."""
    H = a.shape[1] // k
    return [a[:, j * H:(j + 1) * H] for j in range(k)]


def lstm_cell_op_kernel(xg, hg, cx):
    """nn.fused_lstm_cell's kernel: (hy, cy, activated gates, tanh(cy))."""
    cp = _cp()
    act = cp.empty_like(xg)
    hy, cy, tanh_cy = (cp.empty_like(cx) for _ in range(3))
    _kernel("lstm_cell")(*_blocks(xg, 4), *_blocks(hg, 4), cx, *_blocks(act, 4), hy, cy, tanh_cy)
    return hy, cy, act, tanh_cy


def lstm_cell_backward_op_kernel(gh, gc, act, tanh_cy, cx):
    """nn.fused_lstm_cell_backward's kernel: (d gates, d cx); a missing gradient counts as zero."""
    cp = _cp()
    zero = cx.dtype.type(0)
    d = cp.empty_like(act)
    dcx = cp.empty_like(cx)
    _kernel("lstm_cell_backward")(zero if gh is None else gh, zero if gc is None else gc, *_blocks(act, 4), tanh_cy,
                                  cx, *_blocks(d, 4), dcx)
    return d, dcx


def gru_cell_op_kernel(xg, hg, hx):
    """nn.fused_gru_cell's kernel: (hy, activated gates r, z, n)."""
    cp = _cp()
    act = cp.empty_like(xg)
    hy = cp.empty_like(hx)
    _kernel("gru_cell")(*_blocks(xg, 3), *_blocks(hg, 3), hx, *_blocks(act, 3), hy)
    return hy, act


def gru_cell_backward_op_kernel(gh, act, hg, hx):
    """nn.fused_gru_cell_backward's kernel: (d input gates, d hidden gates, d hx)."""
    cp = _cp()
    dxg = cp.empty_like(act)
    dhg = cp.empty_like(act)
    dhx = cp.empty_like(hx)
    _kernel("gru_cell_backward")(gh, *_blocks(act, 3), _blocks(hg, 3)[2], hx, *_blocks(dxg, 3), *_blocks(dhg, 3), dhx)
    return dxg, dhg, dhx


OP_KERNELS = {  # op name -> (expected generic kernel parameters, cuda kernel)
    "softmax": (("xp", "a", "axis", "log"), softmax_op_kernel),
    "log_softmax": (("xp", "a", "axis", "log"), softmax_op_kernel),
    "nn.gelu": (("xp", "x", "approximate"), gelu_op_kernel),
    "nn.layer_norm": (("xp", "x", "w", "b", "nd", "eps"), layer_norm_op_kernel),
    "nn.fused_lstm_cell": (("xp", "xg", "hg", "cx"), lstm_cell_op_kernel),
    "nn.fused_lstm_cell_backward": (("xp", "gh", "gc", "act", "tanh_cy", "cx"), lstm_cell_backward_op_kernel),
    "nn.fused_gru_cell": (("xp", "xg", "hg", "hx"), gru_cell_op_kernel),
    "nn.fused_gru_cell_backward": (("xp", "gh", "act", "hg", "hx"), gru_cell_backward_op_kernel),
}

OPTIMIZER_STEPS = {("Adam", "cuda"): adam_bucket_step, ("AdamW", "cuda"): adam_bucket_step,
                   ("SGD", "cuda"): sgd_bucket_step}
NN_KERNELS = {"softmax": softmax, "log_softmax": log_softmax, "gelu": gelu, "layer_norm": layer_norm}
