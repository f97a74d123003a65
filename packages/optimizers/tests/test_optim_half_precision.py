"""float16/bfloat16 parameters: each op of PyTorch's update computed in float32 and rounded to the
parameter's dtype once (``optim/_half_precision.py``). The references below write PyTorch's
single-tensor SGD and Adam out op by op in NumPy: ``r`` where an op rounds to float16, ``fma`` where
PyTorch's vectorised kernel fuses (``lerp_``, ``addcmul_``), ``add``'s alpha and scalar addend
rounded to float16 first. (test_optim_half_precision_oracle.py compares every optimizer with PyTorch
itself.)"""
import numpy as np
import pytest

import tensorgraft as tg

F16, F32, F64 = np.float16, np.float32, np.float64
RNG = np.random.default_rng(3)


def r(x):
    with np.errstate(all="ignore"):
        return np.asarray(x, dtype=F32).astype(F16).astype(F32)


def fma(a, b, c):
    return (a.astype(F64) * b + c).astype(F32)


def _problem(n=5000, steps=5, smallest=-6):
    p0 = r(RNG.standard_normal(n))
    grads = [r(RNG.standard_normal(n) * 10.0 ** RNG.uniform(smallest, 0, n)) for _ in range(steps)]
    return p0, grads


def _run(name, kwargs, p0, grads, dtype=tg.float16):
    p = tg.tensor(p0).to(dtype)  # (no requires_grad: the optim-only environment has no autograd)
    opt = getattr(tg.optim, name)([p], **kwargs)
    for g in grads:
        p.grad = tg.tensor(g).to(dtype)
        opt.step()
    return p, opt


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_with_momentum_and_weight_decay_rounds_as_pytorch(nesterov):
    lr, momentum, wd = 0.1, 0.9, 0.01
    dampening = 0.0 if nesterov else 0.1
    p0, grads = _problem()
    p, buf = p0.copy(), None
    for g in grads:
        g = r(g + F32(r(wd)) * p)                       # grad.add(param, alpha=wd): alpha in float16
        if buf is None:
            buf = g.copy()
        else:
            buf = r(buf * F32(momentum))                # buf.mul_(momentum)
            buf = r(buf + F32(r(1 - dampening)) * g)    # .add_(grad, alpha=1 - dampening)
        g = r(g + F32(r(momentum)) * buf) if nesterov else buf  # grad.add(buf, alpha=momentum)
        p = r(p + F32(r(-lr)) * g)                      # param.add_(grad, alpha=-lr)
    mine, opt = _run("SGD", dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov),
                     p0, grads)
    assert mine.dtype == tg.float16
    assert np.array_equal(mine.detach().float().numpy(), p)
    assert opt.state[mine]["momentum_buffer"].dtype == tg.float16


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_rounds_as_pytorch(amsgrad):
    lr, (beta1, beta2), eps, wd = 1e-2, (0.9, 0.999), 1e-3, 0.1
    p0, grads = _problem()
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    vmax = np.zeros_like(p0)
    for t, g in enumerate(grads, 1):
        g = r(g + F32(r(wd)) * p)
        m = r(fma(g - m, F32(1 - beta1), m))            # exp_avg.lerp_(grad, 1 - beta1)
        v = r(v * F32(beta2))                           # exp_avg_sq.mul_(beta2)
        v = r(fma(g * F32(1 - beta2), g, v))            # .addcmul_(grad, grad, value=1 - beta2)
        step_size = lr / (1 - beta1 ** t)
        bc2_sqrt = (1 - beta2 ** t) ** 0.5
        if amsgrad:
            vmax = np.maximum(vmax, v)
        d = r(np.sqrt(vmax if amsgrad else v))
        d = r(d / F32(bc2_sqrt))
        d = r(d + F32(r(eps)))                          # .add_(eps): the scalar in float16
        p = r(p + (F32(-step_size) * m) / d)            # param.addcdiv_(exp_avg, denom, value=-step_size)
    mine, opt = _run("Adam", dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=wd, amsgrad=amsgrad), p0, grads)
    assert np.array_equal(mine.detach().float().numpy(), p)
    state = opt.state[mine]
    assert state["exp_avg"].dtype == state["exp_avg_sq"].dtype == tg.float16
    assert np.array_equal(state["exp_avg"].float().numpy(), m)
    assert np.array_equal(state["exp_avg_sq"].float().numpy(), v)


def test_the_same_kernels_leave_float32_parameters_as_they_were():
    # float32: no rounding steps, no fused float64 sums (the half path's additions are inactive);
    # exp_avg.lerp_ is the one fused multiply-add (BLAS's axpy, as PyTorch's float32 kernel), here
    # through float64, where the float32 product is exact
    p0, grads = _problem(steps=3)
    lr, beta1, beta2, eps = 1e-2, 0.9, 0.999, 1e-8
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, 1):
        m = ((g - m).astype(np.float64) * np.float64(F32(1 - beta1)) + m).astype(F32)
        v = v * F32(beta2) + (g * F32(1 - beta2)) * g
        d = np.sqrt(v) / F32((1 - beta2 ** t) ** 0.5) + F32(eps)
        p = p + (F32(-lr / (1 - beta1 ** t)) * m) / d
    mine, _ = _run("Adam", dict(lr=lr), p0, grads, dtype=tg.float32)
    assert np.array_equal(mine.detach().numpy(), p)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
                                  "Adamax", "ASGD", "Adafactor"])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_half_parameters_and_state_stay_half(name, dtype):
    # every optimizer (its values: test_optim_half_precision_oracle.py): the parameter and its state
    # keep the half dtype through the float32 computation, and the parameter moves (not always
    # finitely: Adam's eps=1e-8 is 0 in float16, so a float16-underflowing squared gradient divides
    # by 0, as in PyTorch)
    p0, grads = _problem(n=2000, steps=4, smallest=-2)
    half, opt = _run(name, dict(lr=0.1), p0, grads, dtype=getattr(tg, dtype))
    assert half.dtype == getattr(tg, dtype)
    assert all(v.dtype == half.dtype for v in opt.state[half].values() if isinstance(v, tg.Tensor) and v.ndim)
    moved = half.detach().float().numpy() - p0
    assert np.count_nonzero(moved != 0) > moved.size // 4
