"""Samplers and special functions the distributions need that core does not have as ops.

Everything here is written with tensorgraft ops under ``no_grad``, so it runs on every device and
draws from the device's generator (``tg.manual_seed`` makes it reproducible).

Reparameterized Gamma samples use *implicit reparameterization* (Figurnov et al., 2018), which is
also what PyTorch's ``_standard_gamma_grad`` computes: for ``x ~ Gamma(a, 1)`` with CDF
``P(a, x)``, ``dx/da = -(dP/da) / (dP/dx)``. ``dP/dx`` is the density; ``dP/da`` is taken here by a
central difference of the regularized incomplete gamma function evaluated in float64. The gradient
is attached with the surrogate ``x + (a - a.detach()) * dx/da`` (value unchanged, first-order
gradient exact up to the difference quotient's ~1e-8 relative error; no higher-order gradients).
"""
import math

import tensorgraft as tg

# The series and the continued fraction both need about sqrt(max(a, x)) steps near x = a; they run
# for all elements at once, in blocks between convergence checks (one device sync per block), and
# never past this many steps.
_BLOCK = 16
_MAX_STEPS = 20000
_EPS = 1e-16
# a converged ratio still wobbles by two ulps (4.4e-16) around 1: asking for less never ends
_CF_EPS = 1e-15
_TINY = 1e-300
# log Gamma(a) = (a - 1/2) log a - a + log sqrt(2 pi) + stirling_error(a): the error's asymptotic
# series (coefficients B_2k / (2k (2k - 1))) is good to 1e-17 from a = 10 on
_STIRLING_FROM = 10.0
_STIRLING_COEFFS = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)


def _array_namespace(t):
    if t.device.type == "cpu":
        import numpy
        return numpy
    from ..device import get_backend
    return get_backend(t.device).xp


def _log_power_over_gamma(a, x):
    """``log(x**a exp(-x) / Gamma(a))``, the factor in front of both expansions. Written naively the
    three terms are each ~a log a and cancel to O(log a); with Stirling's formula it becomes
    ``a log(x / a) - (x - a) + log(a / 2pi) / 2 - stirling_error(a)``, whose terms are no larger
    than the result's own scale, which keeps ~1e-14 relative accuracy in ``P`` for large ``a``."""
    big = a >= _STIRLING_FROM
    a_big = tg.where(big, a, tg.full_like(a, _STIRLING_FROM))
    inv, inv2 = 1 / a_big, 1 / a_big.pow(2)
    stirling_error = tg.zeros_like(a)
    for c in reversed(_STIRLING_COEFFS):
        stirling_error = stirling_error * inv2 + c
    stirling_error = stirling_error * inv
    stirling = a_big * (x / a_big).log() - (x - a_big) + 0.5 * (a_big / (2 * math.pi)).log() - stirling_error
    naive = a * x.log() - x - tg.lgamma(a)
    return tg.where(big, stirling, naive)


def _lower_series(xp, a, x):
    """``sum_n x^n / (a (a+1) ... (a+n))`` (``P = series * prefactor``), for ``x < a + 1``."""
    term = 1.0 / a
    total = term.copy()
    denom = a.copy()
    steps = 0
    while steps < _MAX_STEPS:
        for _ in range(_BLOCK):
            denom += 1
            term *= x / denom
            total += term
        steps += _BLOCK
        if not bool((xp.abs(term) > xp.abs(total) * _EPS).any()):
            break
    return total


def _upper_continued_fraction(xp, a, x):
    """Legendre's continued fraction for ``Q = cf * prefactor`` by modified Lentz (Numerical
    Recipes 6.2), for ``x >= a + 1``."""
    b = x + 1 - a
    c = xp.full_like(b, 1 / _TINY)
    d = 1 / b
    h = d.copy()
    i = 0
    while i < _MAX_STEPS:
        for _ in range(_BLOCK):
            i += 1
            an = -i * (i - a)
            b = b + 2
            d = an * d + b
            d = xp.where(xp.abs(d) < _TINY, _TINY, d)
            c = b + an / c
            c = xp.where(xp.abs(c) < _TINY, _TINY, c)
            d = 1 / d
            delta = d * c
            h = h * delta
        if not bool((xp.abs(delta - 1) > _CF_EPS).any()):
            break
    return h


def gammainc(a, x):
    """Regularized lower incomplete gamma ``P(a, x)``, elementwise, without gradient: the power
    series where ``x < a + 1`` and the continued fraction for ``1 - P`` elsewhere, each run on the
    elements it serves (stand-in values elsewhere), in float64 on the tensors' device."""
    from ..tensor import wrap

    with tg.no_grad():
        a, x = tg.broadcast_tensors(a, x)
        dtype = tg.promote_types(a.dtype, x.dtype)  # torch.special.gammainc's result type
        a, x = a.double(), x.double()
        use_series = x < a + 1
        # stand-ins keep each expansion finite (and quick) on the elements it does not serve
        a_ok = tg.where((a > 0) & tg.isfinite(a), a, tg.ones_like(a))
        x_pos = x.clamp(min=_TINY)
        x_ser = tg.where(use_series & tg.isfinite(x), x_pos, tg.zeros_like(x))
        x_cf = tg.where(use_series | ~tg.isfinite(x), a_ok + 2, x_pos)
        xp = _array_namespace(a)
        series = wrap(_lower_series(xp, a_ok._data, x_ser._data), a.device)
        cf = wrap(_upper_continued_fraction(xp, a_ok._data, x_cf._data), a.device)
        lower = series * _log_power_over_gamma(a_ok, x_ser.clamp(min=_TINY)).exp()
        upper = cf * _log_power_over_gamma(a_ok, x_cf).exp()
        out = tg.where(use_series, lower, 1 - upper).clamp(0, 1)
        # the limits, as torch.special.gammainc takes them: P(0, x > 0) = 1, P(inf, finite x) = 0
        out = tg.where((x == 0) | (a == math.inf), tg.zeros_like(out), out)
        out = tg.where((x == math.inf) | ((a == 0) & (x > 0)), tg.ones_like(out), out)
        undefined = (tg.isnan(x) | tg.isnan(a) | (a < 0) | (x < 0) | ((a == 0) & (x == 0))
                     | ((a == math.inf) & (x == math.inf)))
        out = tg.where(undefined, tg.full_like(out, math.nan), out)
        return out.to(dtype)


def _gammainc_grad_x(a, x):
    """``dP(a, x)/dx``, the Gamma(a, 1) density."""
    return tg.exp((a - 1) * tg.log(x) - x - tg.lgamma(a))


def gammainc_differentiable(a, x):
    """``P(a, x)`` with PyTorch's gradient: through ``x`` only (PyTorch raises for ``a``)."""
    value = gammainc(a.detach(), x.detach())
    if tg.is_grad_enabled() and x.requires_grad:
        value = value + (x - x.detach()) * _gammainc_grad_x(a.detach(), x.detach())
    return value


def _pytorch_stream(t):
    """The CPU stream that draws PyTorch's numbers, when ``t`` is on the CPU and the default
    generator is that stream (``cpu/random_stream.py``); else None (device streams draw their own)."""
    if t.device.type != "cpu":
        return None
    from ..random import random_stream
    s = random_stream(None, t.device)
    return s if getattr(s, "matches_pytorch", False) else None


# PyTorch's CPU gamma sampler subtracts a float constant 1/3 (found by running it: the samples of
# a float64 alpha equal these to the last bit only with this constant)
_ONE_THIRD_F32 = 0.3333333432674408


def _standard_gamma_pytorch(s, alpha):
    """Gamma(alpha, 1) samples drawn from ``s`` element by element in PyTorch's CPU order, so a
    seeded program samples what PyTorch samples: Marsaglia & Tsang with a float64 normal (the
    generator's cached scalar path) and a float64 uniform per try; a shape below 1 first draws the
    boost uniform. Computed in float64 (float32 results may differ from PyTorch's in the last bit).
    Elements that are NaN or not positive draw nothing; the caller gives their values."""
    flat = alpha.reshape(-1).tolist()
    out = [0.0] * len(flat)
    for i, a in enumerate(flat):
        if not a > 0:
            continue
        scale = 1.0
        if a < 1.0:
            scale = (1.0 - float(s._unit_doubles(1)[0])) ** (1.0 / a)
            a += 1.0
        d = a - _ONE_THIRD_F32
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            while True:
                x = float(s._scalar_normals(1)[0])
                y = 1.0 + c * x
                if y > 0:
                    break
            v = y * y * y
            u = 1.0 - float(s._unit_doubles(1)[0])
            xsq = x * x
            if u < 1.0 - 0.0331 * xsq * xsq or math.log(u) < 0.5 * xsq + d * (1.0 - v + math.log(v)):
                out[i] = scale * d * v
                break
    return tg.tensor(out, dtype=tg.float64).reshape(alpha.shape).to(alpha.dtype)


def _standard_gamma_nograd(alpha):
    """Marsaglia & Tsang (2000), vectorized: redraw until every element has accepted; shapes
    below 1 use the boost ``Gamma(a) = Gamma(a + 1) * U**(1/a)``. On the CPU's PyTorch stream
    the draws are PyTorch's (``_standard_gamma_pytorch``)."""
    with tg.no_grad():
        s = _pytorch_stream(alpha)
        if s is not None:
            out = _standard_gamma_pytorch(s, alpha)
            out = tg.where(tg.isnan(alpha), alpha, out)
            return out.clamp(min=tg.finfo(alpha.dtype).tiny)
        boost = alpha < 1
        a1 = tg.where(boost, alpha + 1, alpha)
        d = a1 - 1.0 / 3.0
        c = 1.0 / tg.sqrt(9.0 * d)
        out = tg.zeros_like(alpha)
        done = tg.zeros_like(alpha, dtype=tg.bool) | tg.isnan(alpha)
        while not bool(done.all().item()):
            z = tg.randn_like(alpha)
            u = tg.rand_like(alpha)
            v = (1 + c * z) ** 3
            ok = (v > 0) & (tg.log(u) < 0.5 * z * z + d - d * v + d * tg.log(v.clamp(min=1e-300)))
            out = tg.where(ok & ~done, d * v, out)
            done = done | ok
        if bool(boost.any().item()):
            u = tg.rand_like(alpha)
            out = tg.where(boost, out * u ** (1.0 / alpha), out)
        out = tg.where(tg.isnan(alpha), alpha, out)
        return out.clamp(min=tg.finfo(alpha.dtype).tiny)


def _standard_gamma_grad(x, alpha):
    """Implicit reparameterization gradient ``dx/dalpha`` for ``x ~ Gamma(alpha, 1)``."""
    with tg.no_grad():
        a = alpha.double()
        xd = x.double()
        h = 1e-5 * a.clamp(min=1e-3)
        dp_da = (gammainc(a + h, xd) - gammainc((a - h).clamp(min=1e-300), xd)) / (2 * h)
        dp_dx = _gammainc_grad_x(a, xd)
        grad = -dp_da / dp_dx
        grad = tg.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        return grad.to(x.dtype)


def standard_gamma(alpha):
    """``torch._standard_gamma``: Gamma(alpha, 1) samples, differentiable w.r.t. ``alpha``."""
    x = _standard_gamma_nograd(alpha.detach())
    if tg.is_grad_enabled() and alpha.requires_grad:
        x = x + (alpha - alpha.detach()) * _standard_gamma_grad(x, alpha.detach())
    return x


def sample_dirichlet(concentration):
    """Dirichlet samples as normalized Gamma draws. Their gradient is the Dirichlet's own implicit
    reparameterization (``_dirichlet_grad``), as PyTorch's is: differentiating through the
    normalization instead gives another (also unbiased) estimator whose values differ per sample."""
    with tg.no_grad():
        g = _standard_gamma_nograd(concentration.detach())
        x = g / g.sum(-1, keepdim=True)
    if tg.is_grad_enabled() and concentration.requires_grad:
        return _dirichlet_function().apply(concentration, x)
    return x


def _dirichlet_function():
    """The ``autograd.Function`` that attaches the gradient (named ``_Dirichlet`` like PyTorch's, so
    the node prints as ``_DirichletBackward``); made on first use because core runs without the
    autograd part, which a sample needing gradients implies is installed."""
    cls = globals().get("_DIRICHLET")
    if cls is not None:
        return cls
    from tensorgraft.autograd import Function

    class _Dirichlet(Function):
        @staticmethod
        def forward(ctx, concentration, x):
            ctx.save_for_backward(x, concentration)
            return x.clone()

        @staticmethod
        def backward(ctx, grad):
            x, concentration = ctx.saved_tensors
            with tg.no_grad():
                # dx_j/dalpha_i = g_i (delta_ij - x_j): raising alpha_i moves x_i along its Beta
                # marginal and shrinks the other components in proportion
                g = _dirichlet_grad(x, concentration)
            return g * (grad - (x * grad).sum(-1, keepdim=True)), None

    globals()["_DIRICHLET"] = _Dirichlet
    return _Dirichlet


def _beta_continued_fraction(xp, a, b, x):
    """The continued fraction of ``I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * cf`` by modified Lentz,
    quick where ``x < (a + 1) / (a + b + 2)`` (about sqrt(max(a, b)) steps)."""
    def guard(v):
        return xp.where(xp.abs(v) < _TINY, _TINY, v)

    c = xp.ones_like(x)
    d = 1 / guard(1 - (a + b) * x / (a + 1))
    h = d.copy()
    m = 0
    while m < _MAX_STEPS:
        for _ in range(_BLOCK):
            m += 1
            even = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
            d = 1 / guard(1 + even * d)
            c = guard(1 + even / c)
            h = h * d * c
            odd = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
            d = 1 / guard(1 + odd * d)
            c = guard(1 + odd / c)
            delta = d * c
            h = h * delta
        if not bool((xp.abs(delta - 1) > _CF_EPS).any()):
            break
    return h


def _dirichlet_grad(x, concentration):
    """PyTorch's ``_dirichlet_grad``: ``g_i = (dx_i/dalpha_i) / (1 - x_i)`` where ``x_i`` is held at
    its quantile of the Beta(alpha_i, total - alpha_i) marginal, i.e. ``-(dI/da) / density / (1-x)``
    with ``I`` the regularized incomplete beta. ``I`` is taken from whichever tail's continued
    fraction converges there, in logs, so ``tail / density`` reduces to ``x (1-x) cf / a`` (lower)
    or ``x (1-x) cf / b`` (upper) without underflow; ``d log(tail) / da`` is analytic except for
    the continued fraction's own slope, a central difference. PyTorch approximates this in the
    mid range (series and saddle-point expansions); the two agree to ~5e-4 relative there and to
    rounding elsewhere."""
    from ..tensor import wrap

    a = concentration.double()
    xd = x.double()
    b = a.sum(-1, keepdim=True) - a
    xp = _array_namespace(a)
    an, bn, xn = (t._data for t in tg.broadcast_tensors(a, b, xd))
    lower = xn < (an + 1) / (an + bn + 2)
    # each tail's fraction runs on stand-ins where the other tail serves, which keeps it quick
    a_lo, b_lo, x_lo = xp.where(lower, an, 1.0), xp.where(lower, bn, 1.0), xp.where(lower, xn, 0.0)
    a_up, b_up, x_up = xp.where(lower, 1.0, an), xp.where(lower, 1.0, bn), xp.where(lower, 0.0, 1 - xn)
    step = 1e-5 * a_lo
    cf_lo = _beta_continued_fraction(xp, a_lo, b_lo, x_lo)
    slope_lo = (xp.log(_beta_continued_fraction(xp, a_lo + step, b_lo, x_lo))
                - xp.log(_beta_continued_fraction(xp, a_lo - step, b_lo, x_lo))) / (2 * step)
    step = 1e-5 * a_up
    cf_up = _beta_continued_fraction(xp, b_up, a_up, x_up)
    slope_up = (xp.log(_beta_continued_fraction(xp, b_up, a_up + step, x_up))
                - xp.log(_beta_continued_fraction(xp, b_up, a_up - step, x_up))) / (2 * step)
    cf_lo, slope_lo, cf_up, slope_up = (wrap(t, a.device) for t in (cf_lo, slope_lo, cf_up, slope_up))
    # d log I_x(a, b) / da, and d log I_{1-x}(b, a) / da, without the fractions' slopes
    common = tg.log(xd) - tg.digamma(a) + tg.digamma(a + b)
    grad = tg.where(wrap(lower, a.device),
                    -xd * cf_lo / a * (common - 1 / a + slope_lo),
                    xd * cf_up / b * (common + slope_up))
    grad = tg.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
    return grad.to(x.dtype)


def _poisson_pytorch(s, rate):
    """Poisson counts drawn from ``s`` element by element as PyTorch's CPU sampler draws them (same
    methods as ``poisson`` below, one float64 uniform per factor or two per PTRS try), so seeded
    programs get PyTorch's counts. Rates that are not finite and non-negative draw nothing."""
    flat = rate.reshape(-1).tolist()
    out = [0.0] * len(flat)
    for i, lam in enumerate(flat):
        if not (0 < lam < math.inf):
            out[i] = lam if lam != 0 else 0.0
            continue
        if lam >= 10:
            slam, loglam = math.sqrt(lam), math.log(lam)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                U = float(s._unit_doubles(1)[0]) - 0.5
                V = float(s._unit_doubles(1)[0])
                us = 0.5 - abs(U)
                k = math.floor((2 * a / us + b) * U + lam + 0.43)
                if us >= 0.07 and V <= vr:
                    break
                if k < 0 or (us < 0.013 and V > us):
                    continue
                if (math.log(V) + math.log(invalpha) - math.log(a / (us * us) + b)
                        <= -lam + k * loglam - math.lgamma(k + 1)):
                    break
            out[i] = float(k)
        else:
            limit, count, prod = math.exp(-lam), 0, 1.0
            while True:
                prod *= float(s._unit_doubles(1)[0])
                if not prod > limit:
                    break
                count += 1
            out[i] = float(count)
    return tg.tensor(out, dtype=tg.float64).reshape(rate.shape).to(rate.dtype)


def poisson(rate):
    """``torch.poisson``: Knuth's product method for rates below 10, Hörmann's PTRS (1993) above;
    on the CPU's PyTorch stream drawn in PyTorch's order (``_poisson_pytorch``)."""
    with tg.no_grad():
        s = _pytorch_stream(rate)
        if s is not None:
            return _poisson_pytorch(s, rate)
        dtype = rate.dtype
        small = rate < 10
        out = tg.zeros_like(rate)
        if bool(small.any().item()):
            lim = tg.exp(-tg.where(small, rate, tg.zeros_like(rate)))
            count = tg.zeros_like(rate)
            prod = tg.rand_like(rate)
            active = small & (prod > lim)
            while bool(active.any().item()):
                count = count + active.to(dtype)
                prod = prod * tg.where(active, tg.rand_like(rate), tg.ones_like(rate))
                active = active & (prod > lim)
            out = tg.where(small, count, out)
        large = (rate >= 10) & tg.isfinite(rate)
        if bool(large.any().item()):
            lam = tg.where(large, rate, tg.full_like(rate, 10.0))
            slam, loglam = lam.sqrt(), lam.log()
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            invalpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            res = tg.zeros_like(rate)
            done = ~large
            while not bool(done.all().item()):
                U = tg.rand_like(rate) - 0.5
                V = tg.rand_like(rate)
                us = 0.5 - U.abs()
                k = tg.floor((2 * a / us + b) * U + lam + 0.43)
                accept1 = (us >= 0.07) & (V <= vr)
                reject = (k < 0) | ((us < 0.013) & (V > us))
                kk = k.clamp(min=0)
                accept2 = (tg.log(V) + tg.log(invalpha) - tg.log(a / (us * us) + b)
                           <= -lam + kk * loglam - tg.lgamma(kk + 1))
                ok = accept1 | (~reject & accept2)
                res = tg.where(ok & ~done, k, res)
                done = done | ok
            out = tg.where(large, res, out)
        out = tg.where(tg.isnan(rate) | (rate == math.inf), rate, out)
        return out


# Stirling's-formula error log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(2 pi)/2] for k = 0..9; from
# k = 10 on its series 1/12 - 1/360 x + 1/1260 x^2 (x = 1/(k+1)^2) over k + 1 is good to 1e-16
_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
                  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
                  0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k):
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    x = 1.0 / ((k + 1) * (k + 1))
    return (1 / 12 - (1 / 360 - x / 1260) * x) / (k + 1)


def _binomial_inversion(s, n, p):
    """Successes before the trials run out, counted by geometric waiting times (for n p < 10)."""
    log_q = math.log1p(-p)
    total, successes = 0.0, 0
    while True:
        total += math.ceil(math.log(float(s._unit_doubles(1)[0])) / log_q)
        if total > n:
            return successes
        successes += 1


def _binomial_btrs(s, n, p):
    """Hörmann's BTRS (transformed rejection with squeeze, 1993) for n p >= 10, p <= 1/2."""
    spq = math.sqrt(n * p * (1 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    r = p / (1 - p)
    alpha = (2.83 + 5.1 / b) * spq
    m = math.floor((n + 1) * p)
    while True:
        u = float(s._unit_doubles(1)[0]) - 0.5
        v = float(s._unit_doubles(1)[0])
        us = 0.5 - abs(u)
        k = math.floor((2 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (n - m + 1))) + (n + 1) * math.log((n - m + 1) / (n - k + 1))
                 + (k + 0.5) * math.log(r * (n - k + 1) / (k + 1)) + _stirling_tail(m) + _stirling_tail(n - m)
                 - _stirling_tail(k) - _stirling_tail(n - k))
        if v <= bound:
            return k


def _binomial_pytorch(s, count, prob):
    """Binomial counts drawn from ``s`` element by element as PyTorch's CPU sampler draws them:
    inversion below n min(p, q) = 10, BTRS above, on the smaller of p and q (float64 uniforms),
    so seeded programs get PyTorch's counts. No trials or p <= 0 (or NaN) give 0 without a draw.
    The choice of method (n p against 10) and q = 1 - p are computed in the tensors' precision, as
    PyTorch does (float32 1000 * 0.01 is 10 there and takes BTRS); the methods run in float64."""
    import numpy as np
    real = np.float32 if prob.dtype.np.itemsize <= 4 else np.float64
    out = []
    for n, p in zip(count.reshape(-1).tolist(), prob.reshape(-1).tolist()):
        if not (n > 0 and p > 0):
            out.append(0.0)
        elif p >= 1 or n == math.inf:
            out.append(n)
        elif p <= 0.5:
            big = real(n) * real(p) >= 10
            out.append(float(_binomial_btrs(s, n, p) if big else _binomial_inversion(s, n, p)))
        else:
            q = float(real(1) - real(p))
            big = real(n) * real(q) >= 10
            out.append(float(n - (_binomial_btrs(s, n, q) if big else _binomial_inversion(s, n, q))))
    return tg.tensor(out, dtype=tg.float64).reshape(prob.shape).to(prob.dtype)


def binomial(count, prob, chunk=1024):
    """``torch.binomial``: a sum of Bernoulli draws, ``chunk`` trials at a time (exact; its cost
    grows with ``total_count``); on the CPU's PyTorch stream PyTorch's own draws
    (``_binomial_pytorch``)."""
    with tg.no_grad():
        count, prob = tg.broadcast_tensors(count, prob)
        s = _pytorch_stream(prob)
        if s is not None:
            return _binomial_pytorch(s, count, prob)
        out = tg.zeros_like(prob)
        n_max = int(count.max().item()) if count.numel() else 0
        c = count.unsqueeze(-1)
        p = prob.unsqueeze(-1)
        for start in range(0, n_max, chunk):
            m = min(chunk, n_max - start)
            idx = tg.arange(start, start + m, device=prob.device, dtype=prob.dtype)
            u = tg.rand(tuple(prob.shape) + (m,), dtype=prob.dtype, device=prob.device)
            out = out + ((u < p) & (idx < c)).to(prob.dtype).sum(-1)
        return out
