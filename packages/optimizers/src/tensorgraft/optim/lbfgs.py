"""Limited-memory BFGS with the iteration semantics of ``torch.optim.LBFGS``.

The search direction comes from the classic two-loop recursion over the last ``history_size``
curvature pairs (s = step taken, y = change of gradient); the step length is either ``lr`` (the very
first iteration is scaled down by the gradient's L1 norm) or found by a line search satisfying the
strong Wolfe conditions (Nocedal & Wright, *Numerical Optimization*, 2nd ed., algorithms 3.5 and 3.6,
with the safeguarded cubic interpolation of eq. 3.59).

As PyTorch does, a complex parameter takes part as its ``view_as_real`` pairs: the flat gradient,
direction and curvature pairs are real vectors holding two entries per complex element.
"""
from __future__ import annotations

import math

import tensorgraft as _tg

from ._checks import check_lr
from .optimizer import Optimizer, evaluate_closure

__all__ = ["LBFGS"]

_SUFFICIENT_DECREASE = 1e-4      # c1
_CURVATURE = 0.9                 # c2
_MAX_LINE_SEARCH_EVALS = 25
_MIN_CURVATURE = 1e-10           # pairs with s.y at or below this are not remembered


# ------------------------------------------------------------------------------------------ 1-d helpers

def _cubic_minimiser(a, fa, da, b, fb, db, lo=None, hi=None):
    """The minimiser of the cubic matching value and slope at ``a`` and ``b``, clipped to [lo, hi]
    (default: the interval spanned by ``a`` and ``b``); the midpoint of [lo, hi] when the cubic has
    no real stationary point."""
    if lo is None:
        lo, hi = (a, b) if a <= b else (b, a)
    # N&W eq. 3.59 written from the left end point (u) to the right one (v)
    (u, fu, du), (v, fv, dv) = sorted(((a, fa, da), (b, fb, db)), key=lambda e: e[0])
    theta = du + dv - 3 * (fu - fv) / (u - v)
    disc = theta * theta - du * dv
    if disc < 0:
        return (lo + hi) / 2
    root = math.sqrt(disc)
    x = v - (v - u) * ((dv + root - theta) / (dv - du + 2 * root))
    return min(max(x, lo), hi)


class _Probe:
    """One evaluation of the objective along the search line."""

    __slots__ = ("step", "value", "grad", "slope")

    def __init__(self, step, value, grad, slope):
        self.step, self.value, self.grad, self.slope = step, value, grad, slope


def _strong_wolfe_search(evaluate, direction, step, f0, g0, slope0, tolerance_change,
                         budget=_MAX_LINE_SEARCH_EVALS):
    """Find a step along ``direction`` meeting the strong Wolfe conditions.

    ``evaluate(step) -> (loss, flat_grad)``. Returns ``(loss, flat_grad, step, evaluations)``. ``budget``
    bounds the evaluations after the first trial step.
    """
    scale = float(direction.abs().max())
    step = float(step)
    origin = _Probe(0, f0, g0, slope0)
    used = 0

    def probe(t):
        nonlocal used
        value, grad = evaluate(t)
        used += 1
        return _Probe(t, float(value), grad, float(grad.dot(direction)))

    def armijo_fails(p):
        return p.value > f0 + _SUFFICIENT_DECREASE * p.step * slope0

    def flat_enough(p):
        return abs(p.slope) <= -_CURVATURE * slope0

    # ---- phase 1: grow the step until an interval is known to contain an acceptable one
    previous, current = origin, probe(step)
    rounds = 0
    pair = None
    while rounds < budget:
        if armijo_fails(current) or (rounds > 1 and current.value >= previous.value):
            pair = (previous, current)
            break
        if flat_enough(current):
            return current.value, current.grad, current.step, used
        if current.slope >= 0:
            pair = (previous, current)
            break
        t_next = _cubic_minimiser(previous.step, previous.value, previous.slope,
                                  current.step, current.value, current.slope,
                                  current.step + 0.01 * (current.step - previous.step), current.step * 10)
        previous = current
        current = probe(t_next)
        rounds += 1
    if pair is None:                              # out of evaluations while still extrapolating
        pair = (origin, current)

    # ---- phase 2 (zoom): shrink [ends[0], ends[1]]; ends[low] is the end with the lower loss
    ends = list(pair)
    low = 0 if ends[0].value <= ends[1].value else 1
    stuck = False
    done = False
    while not done and rounds < budget:
        a, b = ends
        left, right = min(a.step, b.step), max(a.step, b.step)
        if abs(b.step - a.step) * scale < tolerance_change:
            break
        t = _cubic_minimiser(a.step, a.value, a.slope, b.step, b.value, b.slope)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            # too close to an end: tolerated once, then the trial point is pushed inside the interval
            if stuck or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                stuck = False
            else:
                stuck = True
        else:
            stuck = False
        trial = probe(t)
        rounds += 1
        high = 1 - low
        if armijo_fails(trial) or trial.value >= ends[low].value:
            ends[high] = trial
            low = 0 if ends[0].value <= ends[1].value else 1
        else:
            if flat_enough(trial):
                done = True
            elif trial.slope * (ends[high].step - ends[low].step) >= 0:
                ends[high] = ends[low]
            ends[low] = trial
    best = ends[low]
    return best.value, best.grad, best.step, used


# ------------------------------------------------------------------------------------------ the optimizer

class LBFGS(Optimizer):
    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        check_lr(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ---- flat views of the parameters and their gradients
    def _flat_grad(self):
        parts = []
        for p in self._params:
            g = p.grad
            if g is None:
                g = _tg.zeros(p.shape, dtype=p.dtype, device=p.device)
            elif getattr(g, "is_sparse", False):
                g = g.to_dense()
            parts.append(_as_real(g).reshape(-1))
        return _tg.cat(parts, 0)

    def _move(self, step, direction) -> None:
        """params += step * direction (``direction`` flat, complex parameters as real pairs)."""
        at = 0
        scale = float(step)
        for p in self._params:
            target = _as_real(p)
            n = target.numel()
            target.add_(direction[at:at + n].view_as(target), alpha=scale)
            at += n

    def _snapshot(self):
        return [p.clone() for p in self._params]

    def _restore(self, saved) -> None:
        for p, s in zip(self._params, saved):
            p.copy_(s)

    def _probe_along(self, closure, start, direction):
        def evaluate(t):
            self._move(t, direction)
            value = float(evaluate_closure(closure))
            grad = self._flat_grad()
            self._restore(start)
            return value, grad
        return evaluate

    def step(self, closure):
        with _tg.no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        line_search, memory = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_loss = evaluate_closure(closure)
        loss = float(first_loss)
        evals = 1
        state["func_evals"] += 1
        grad = self._flat_grad()
        converged = bool(grad.abs().max() <= tol_grad)
        if converged:
            return first_loss

        d, t = state.get("d"), state.get("t")
        ys_dirs, s_dirs, inv_curv = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h0, last_grad, last_loss = state.get("H_diag"), state.get("prev_flat_grad"), state.get("prev_loss")

        iters = 0
        while iters < max_iter:
            iters += 1
            state["n_iter"] += 1

            if state["n_iter"] == 1:
                d = grad.neg()
                ys_dirs, s_dirs, inv_curv = [], [], []
                h0 = 1
            else:
                y = grad.sub(last_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if float(ys) > _MIN_CURVATURE:
                    if len(ys_dirs) == memory:
                        for hist in (ys_dirs, s_dirs, inv_curv):
                            hist.pop(0)
                    ys_dirs.append(y)
                    s_dirs.append(s)
                    inv_curv.append(1.0 / ys)
                    h0 = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * memory
                d = self._two_loop(state["al"], grad, ys_dirs, s_dirs, inv_curv, h0)

            last_grad = grad.clone() if last_grad is None else _copy_into(last_grad, grad)
            last_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / grad.abs().sum()) * lr
            else:
                t = lr

            slope = grad.dot(d)
            if float(slope) > -tol_change:
                break

            if line_search is not None:
                if line_search != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                start = self._snapshot()
                loss, grad, found, spent = _strong_wolfe_search(self._probe_along(closure, start, d), d, t, loss,
                                                                grad, float(slope), tol_change, max_eval - evals)
                t = _searched_step(t, found, d)
                self._move(t, d)
                converged = bool(grad.abs().max() <= tol_grad)
            else:
                self._move(t, d)
                spent = 0
                if iters != max_iter:
                    loss = float(evaluate_closure(closure))
                    grad = self._flat_grad()
                    converged = bool(grad.abs().max() <= tol_grad)
                    spent = 1
            evals += spent
            state["func_evals"] += spent

            if iters == max_iter or evals >= max_eval or converged:
                break
            if float(d.mul(t).abs().max()) <= tol_change:
                break
            if abs(loss - last_loss) < tol_change:
                break

        state["d"], state["t"] = d, t
        state["old_dirs"], state["old_stps"], state["ro"] = ys_dirs, s_dirs, inv_curv
        state["H_diag"], state["prev_flat_grad"], state["prev_loss"] = h0, last_grad, last_loss
        return first_loss

    @staticmethod
    def _two_loop(coeffs, grad, ys_dirs, s_dirs, inv_curv, h0):
        """-H grad by the two-loop recursion (H: the L-BFGS inverse-Hessian approximation)."""
        q = grad.neg()
        # (``add_`` with the coefficient as alpha, as PyTorch's LBFGS: one rounding per element)
        for i in range(len(ys_dirs) - 1, -1, -1):
            coeffs[i] = s_dirs[i].dot(q) * inv_curv[i]
            q.add_(ys_dirs[i], alpha=-float(coeffs[i]))
        r = q * h0
        for i in range(len(ys_dirs)):
            beta = ys_dirs[i].dot(r) * inv_curv[i]
            r.add_(s_dirs[i], alpha=float(coeffs[i] - beta))
        return r


def _searched_step(initial, found, direction):
    """The step the line search settled on, typed as PyTorch's ``state['t']`` is: the initial step
    object itself when it was accepted unchanged, PyTorch's int 0 when the search fell back to the
    start of the line (its ``t_prev = 0``), else a 0-d tensor of the search direction's dtype."""
    if type(found) is int:
        return found
    if found == float(initial):
        return initial
    return _tg.tensor(found, dtype=direction.dtype, device=direction.device)


def _as_real(t):
    """``t``, or the real view of a complex ``t`` (writing to it writes ``t``)."""
    return _tg.view_as_real(t) if t.is_complex() else t


def _copy_into(dst, src):
    dst.copy_(src)
    return dst
