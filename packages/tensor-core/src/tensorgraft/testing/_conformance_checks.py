"""The conformance kit's checks (``declared``, ``dtype``, ``reference``, ``gradcheck``/``gradgradcheck``,
``devices``, ``no_grad``, ``inplace``, ``repr``; see ``conformance.py`` for what each asserts) and
the helpers they share: preparing a sample's arguments, calling the op, comparing on the host.

``conformance.check_op`` runs them; each appends ``Failure`` records to ``fails`` rather than
raising, so one run reports every problem of an op.
"""
from __future__ import annotations

import traceback

import numpy as np

from .conformance import Failure, Sample


# --------------------------------------------------------------------------- helpers
def _autograd():
    try:
        import tensorgraft.autograd as ag
    except ImportError:
        return None
    return ag


def _is_tensor(x):
    from ..tensor import Tensor
    return isinstance(x, Tensor)


def _outs(res):
    if _is_tensor(res):
        return [res]
    if isinstance(res, (tuple, list)):
        return [r for r in res if _is_tensor(r)]
    return []


def _as_samples(raw) -> list:
    out = []
    for s in raw:
        if isinstance(s, Sample):
            out.append(s)
        elif isinstance(s, tuple) and len(s) == 2 and isinstance(s[0], (tuple, list)) and isinstance(s[1], dict):
            out.append(Sample(tuple(s[0]), dict(s[1])))
        elif isinstance(s, tuple):
            out.append(Sample(s, {}))
        else:
            out.append(Sample((s,), {}))
    return out


def _get_samples(info, dtype, device) -> list:
    samples = _as_samples(info["samples"](dtype, device))
    if info.get("samples_extra"):
        samples += _as_samples(info["samples_extra"](dtype, device))
    return samples


def _frontend(op):
    if op.frontend is None:
        op.frontend = op.make_frontend(op)
    return op.frontend


def _inplace_fn(op):
    if not op.inplace:
        return None
    if op.inplace_frontend is not None:
        return op.inplace_frontend
    from ..tensor import Tensor
    return getattr(Tensor, op.inplace, None)


def _leaves(args):
    """[(path, tensor)] for tensor arguments, including tensors inside a list/tuple argument."""
    out = []
    for i, a in enumerate(args):
        if _is_tensor(a):
            out.append(((i,), a))
        elif isinstance(a, (list, tuple)):
            out.extend(((i, j), b) for j, b in enumerate(a) if _is_tensor(b))
    return out


def _map_args(args, fn):
    new = []
    for i, a in enumerate(args):
        if _is_tensor(a):
            new.append(fn((i,), a))
        elif isinstance(a, (list, tuple)) and any(_is_tensor(b) for b in a):
            new.append(type(a)(fn((i, j), b) if _is_tensor(b) else b for j, b in enumerate(a)))
        else:
            new.append(a)
    return tuple(new)


def _grad_paths(sample):
    if sample.grad is not None:
        return tuple((g,) if isinstance(g, int) else tuple(g) for g in sample.grad)
    return tuple(p for p, t in _leaves(sample.args) if t._data.dtype.kind == "f")


def _prepare(sample, grad_paths=(), device=None, dtype=None):
    """Fresh copies of the sample's tensors (moved to ``device``), those at ``grad_paths`` requiring grad."""
    def fresh(path, t):
        t = t.detach()
        if device is not None:
            t = t.to(device)
        t = t.clone()
        if dtype is not None and t._data.dtype.kind == "f":
            t = t.to(dtype)
        if path in grad_paths and t._data.dtype.kind == "f":
            t.requires_grad_(True)
        return t
    args = _map_args(sample.args, fresh)
    kwargs = {k: fresh(("kw", k), v) if _is_tensor(v) else v for k, v in sample.kwargs.items()}
    return args, kwargs


def _call(f, info, args, kwargs):
    """Call the op; for ops that modify an argument (``mutates``), on a copy of it, and their
    result is that argument when they return None."""
    mut = info.get("mutates", ())
    if mut:
        args = list(args)
        for i in mut:
            args[i] = args[i].clone()
    res = f(*args, **kwargs)
    if res is None and mut:
        res = args[mut[0]]
    return res


def _host(x):
    if _is_tensor(x):
        return np.asarray(x._host())
    if isinstance(x, (list, tuple)) and any(_is_tensor(b) for b in x):
        return type(x)(_host(b) for b in x)
    return x


def _float_dtypes_in(args):
    from .. import dtypes as _dt
    ds = [t.dtype for _, t in _leaves(args) if t._data.dtype.kind == "f"]
    if not ds:
        return None
    d = ds[0]
    for e in ds[1:]:
        d = _dt.promote_types(d, e)
    return d


def _describe(sample) -> str:
    def one(a):
        if _is_tensor(a):
            return f"Tensor{list(a.shape)}:{a.dtype}"
        if isinstance(a, (list, tuple)) and any(_is_tensor(b) for b in a):
            inner = ", ".join(one(b) for b in a)
            return f"[{inner}]" if isinstance(a, list) else f"({inner})"
        return repr(a)
    parts = [one(a) for a in sample.args] + [f"{k}={one(v)}" for k, v in sample.kwargs.items()]
    return "(" + ", ".join(parts) + ")"


def _exc(e: BaseException) -> str:
    tb = traceback.extract_tb(e.__traceback__)
    where = f" (at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno})" if tb else ""
    return f"{type(e).__name__}: {e}{where}"


def _composite(op, info) -> bool:
    """Ops built from other tensorgraft ops get their gradient from those (no formula of their own)."""
    return bool(info.get("autograd_function") or op.extra.get("composite") or op.extra.get("formula_of"))


# --------------------------------------------------------------------------- the checks
def _check_declared(op, info, ag, fails):
    ok = True
    if info.get("samples") is None:
        fails.append(Failure(op.name, "declared",
                             "declares no sample inputs; set OpDef.extra['samples'] = fn(dtype, device) -> "
                             "[(args, kwargs), ...] (tensorgraft.plugins.api helpers take samples=...) or call "
                             f"tensorgraft.testing.conformance.register_samples('{op.name}', fn)"))
        ok = False
    if ag is not None and op.differentiable and op.formula is None and not _composite(op, info):
        fails.append(Failure(op.name, "declared",
                             "is differentiable but no gradient formula is registered for it; register one with "
                             "registrar.register_formula(name, fn) in tensorgraft_register_formulas, declare the "
                             "op with differentiable=False, or composite=True if its frontend is built from "
                             "other tensorgraft ops"))
    return ok


def _check_dtype(op, info, fails):
    from .. import dtypes as _dt
    f = _frontend(op)
    elementwise = info.get("elementwise", False)
    for dtype in (_dt.float32, _dt.float64):
        for s in _get_samples(info, dtype, "cpu"):
            args, kw = _prepare(s)
            try:
                res = _call(f, info, args, kw)
            except Exception as e:  # noqa: BLE001
                fails.append(Failure(op.name, "dtype", f"{_describe(s)} raised {_exc(e)}"))
                continue
            outs = _outs(res)
            if not outs:
                if not info.get("non_tensor_output"):
                    fails.append(Failure(op.name, "dtype", f"{_describe(s)} returned {type(res).__name__}, not a "
                                         "Tensor (declare extra['non_tensor_output'] = True if that is intended)"))
                continue
            leaves = _leaves(args)
            dev = leaves[0][1]._device if leaves else None
            for o in outs:
                if dev is not None and o._device is not dev:
                    fails.append(Failure(op.name, "dtype", f"{_describe(s)}: output on {o.device}, inputs on {dev}"))
            expect = _float_dtypes_in(args)
            if info.get("dtype_rule", True) and expect is not None:
                for o in outs:
                    if o._data.dtype.kind == "f" and o.dtype is not expect:
                        fails.append(Failure(op.name, "dtype", f"{_describe(s)} gave {o.dtype}, expected {expect} "
                                             "(floating outputs keep their inputs' dtype)"))
            if elementwise:
                shapes = [tuple(t.shape) for _, t in leaves]
                try:
                    want = np.broadcast_shapes(*shapes)
                except ValueError:
                    want = None
                if want is not None and tuple(outs[0].shape) != want:
                    fails.append(Failure(op.name, "dtype", f"{_describe(s)} gave shape {list(outs[0].shape)}, "
                                         f"expected the broadcast shape {list(want)}"))
    if elementwise and info.get("dtype_rule", True):
        # mixed precision: float64 op float32 -> float64
        for s in _get_samples(info, _dt.float64, "cpu"):
            floats = [p for p, t in _leaves(s.args) if t._data.dtype.kind == "f" and t.ndim > 0 and len(p) == 1]
            if len(floats) < 2:
                continue
            args, kw = _prepare(s)
            args = list(args)
            args[floats[1][0]] = args[floats[1][0]].to(_dt.float32)
            try:
                o = _outs(_call(f, info, args, kw))[0]
            except Exception as e:  # noqa: BLE001
                fails.append(Failure(op.name, "dtype", f"mixed float64/float32 operands raised {_exc(e)}"))
                break
            if o._data.dtype.kind == "f" and o.dtype is not _dt.float64:
                fails.append(Failure(op.name, "dtype", f"float64 with float32 operands gave {o.dtype}, "
                                     "expected torch.float64"))
            break


def _check_reference(op, info, fails):
    from .. import dtypes as _dt
    from . import assert_close
    ref = info.get("reference")
    if ref is None:
        return
    f = _frontend(op)
    for s in _get_samples(info, _dt.float64, "cpu"):
        try:
            args, kw = _prepare(s)
            expected = ref(*[_host(a) for a in args], **{k: _host(v) for k, v in kw.items()})
            res = _call(f, info, args, kw)
            outs = _outs(res)
            if not outs:
                if res != expected:
                    raise AssertionError(f"got {res!r}, expected {expected!r}")
                continue
            exp = expected if isinstance(expected, (tuple, list)) else [expected]
            if len(exp) != len(outs):
                raise AssertionError(f"{len(outs)} output tensor(s), the reference gives {len(exp)}")
            for o, e in zip(outs, exp):
                e = np.asarray(e)
                if o._data.dtype.kind in "biu":
                    e = e.astype(o._data.dtype)
                assert_close(o, e, check_dtype=False, equal_nan=True, rtol=1e-6, atol=1e-8)
        except AssertionError as e:
            fails.append(Failure(op.name, "reference", f"{_describe(s)} differs from the NumPy reference: {e}"))
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "reference", f"{_describe(s)} raised {_exc(e)}"))


def _set_path(args, path, value):
    args = list(args)
    if len(path) == 1:
        args[path[0]] = value
    else:
        inner = list(args[path[0]])
        inner[path[1]] = value
        args[path[0]] = type(args[path[0]])(inner)
    return tuple(args)


def _get_path(args, path):
    return args[path[0]] if len(path) == 1 else args[path[0]][path[1]]


def _float_outs(res):
    return tuple(o for o in _outs(res) if o._data.dtype.kind == "f")


def _wrap_for_grad(f, info, args, kwargs, paths):
    def fn(*xs):
        a = args
        for p, x in zip(paths, xs):
            a = _set_path(a, p, x)
        outs = _float_outs(_call(f, info, a, kwargs))
        diff = tuple(o for o in outs if o.requires_grad)  # e.g. slogdet's sign has no gradient
        outs = diff or outs
        return outs[0] if len(outs) == 1 else outs
    return fn


# the nodes PyTorch records for ops it gives no derivative: their backward raises
_NO_DERIVATIVE_NODES = frozenset({"NotImplemented", "Unique2Backward0", "UniqueDimBackward0",
                                  "UniqueConsecutiveBackward0"})


def _has_no_derivative(t) -> bool:
    """Whether ``t`` was recorded by an op PyTorch gives no derivative (``x // y``, ``unique``): its
    node (``NotImplemented``, ``Unique2Backward0``...) raises instead of computing a gradient."""
    return t.grad_fn is not None and type(t.grad_fn).__name__ in _NO_DERIVATIVE_NODES


def _check_backward_refused(op, s, outs, fails):
    # an op without a derivative records a node whose backward raises PyTorch's error
    try:
        outs[0].sum().backward()
    except RuntimeError as e:
        if "is not implemented" not in str(e):
            fails.append(Failure(op.name, "gradcheck", f"{_describe(s)}: backward through its NotImplemented "
                                 f"node raised {_exc(e)} instead of 'derivative ... is not implemented'"))
    else:
        fails.append(Failure(op.name, "gradcheck", f"{_describe(s)}: backward through its NotImplemented node "
                             "did not raise"))


def _check_grads(op, info, ag, fails, checks):
    from .. import dtypes as _dt
    f = _frontend(op)
    tol = info.get("gradcheck_tolerances", {})
    do_gg = "gradgradcheck" in checks and info.get("gradgrad", True)
    must_record = op.differentiable and not info.get("non_differentiable_outputs")
    for n, s in enumerate(_get_samples(info, _dt.float64, "cpu")):
        paths = _grad_paths(s)
        if not paths:
            continue
        args, kwargs = _prepare(s, paths)
        inputs = tuple(_get_path(args, p) for p in paths)
        fn = _wrap_for_grad(f, info, args, kwargs, paths)
        try:
            outs = _float_outs(_call(f, info, args, kwargs))
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "gradcheck", f"{_describe(s)} raised {_exc(e)}"))
            continue
        if not outs:
            continue
        if not any(o.requires_grad for o in outs):
            if must_record:
                fails.append(Failure(op.name, "gradcheck", f"{_describe(s)}: output does not require grad although "
                                     "an input does (the frontend did not record the op)"))
            continue  # a non-differentiable op
        if any(_has_no_derivative(o) for o in outs):
            _check_backward_refused(op, s, outs, fails)
            continue
        if "gradcheck" in checks:
            try:
                ag.gradcheck(fn, inputs, **tol)
            except Exception as e:  # noqa: BLE001
                fails.append(Failure(op.name, "gradcheck", f"{_describe(s)}: {_exc(e)}"))
                continue
        if do_gg and n < 2:
            try:
                ag.gradgradcheck(fn, inputs, **tol)
            except Exception as e:  # noqa: BLE001
                fails.append(Failure(op.name, "gradgradcheck", f"{_describe(s)}: {_exc(e)} (declare "
                                     "extra['gradgrad'] = False if the op is only once differentiable)"))


def _check_devices(op, info, ag, fails, devices):
    from .. import dtypes as _dt
    from ..device import backends
    from . import assert_close
    f = _frontend(op)
    types = [t for t in (devices if devices is not None else backends())
             if t != "cpu" and getattr(backends().get(t), "holds_values", True)]
    for t in types:
        b = backends().get(t)
        if b is None or not b.is_available():
            continue
        for dtype in (_dt.float32, _dt.float64):
            for s in _get_samples(info, dtype, "cpu"):
                paths = _grad_paths(s) if (ag is not None and dtype is _dt.float64) else ()
                try:
                    cargs, ckw = _prepare(s, paths)
                    dargs, dkw = _prepare(s, paths, device=t)
                    cres = _call(f, info, cargs, ckw)
                    dres = _call(f, info, dargs, dkw)
                    cout, dout = _outs(cres), _outs(dres)
                    if not cout and cres != dres:
                        raise AssertionError(f"{dres!r} != {cres!r}")
                    for c, d in zip(cout, dout):
                        if d.device.type != t:
                            raise AssertionError(f"output is on {d.device}, expected a {t} device")
                        assert_close(d.cpu(), c, equal_nan=True)
                    cf, df = _float_outs(cres), _float_outs(dres)
                    if paths and cf and cf[0].requires_grad and not _has_no_derivative(cf[0]):
                        from ..ops.creation import tensor
                        w = np.linspace(0.5, 1.5, cf[0].numel()).reshape(cf[0]._data.shape)
                        (cf[0] * tensor(w, dtype=cf[0].dtype, device=cf[0].device)).sum().backward()
                        (df[0] * tensor(w, dtype=df[0].dtype, device=df[0].device)).sum().backward()
                        for p in paths:
                            cg, dg = _get_path(cargs, p).grad, _get_path(dargs, p).grad
                            if cg is None:
                                continue
                            if dg is None:
                                raise AssertionError(f"no gradient reached argument {p} on {t}")
                            assert_close(dg.cpu(), cg, equal_nan=True)
                except Exception as e:  # noqa: BLE001
                    fails.append(Failure(op.name, "devices", f"{_describe(s)} on '{t}' disagrees with cpu: {_exc(e)}"))


def _check_no_grad(op, info, fails):
    from .. import dtypes as _dt
    from ..grad_mode import no_grad
    f = _frontend(op)
    must_record = op.differentiable and not info.get("non_differentiable_outputs")
    for s in _get_samples(info, _dt.float64, "cpu")[:2]:
        paths = _grad_paths(s)
        if not paths:
            continue
        args, kw = _prepare(s, paths)
        inputs = {id(t) for _, t in _leaves(args)}
        try:
            with no_grad():
                outs = _outs(_call(f, info, args, kw))
            for o in outs:
                if id(o) in inputs:
                    continue  # the op returned its input (x.contiguous() of a contiguous x)
                # (a view of an input that requires grad still requires grad, as a leaf without history:
                # PyTorch's views made under no_grad)
                view_of_grad_input = o._base is not None and o._base.requires_grad
                if o.grad_fn is not None or (o.requires_grad and not view_of_grad_input):
                    fails.append(Failure(op.name, "no_grad", f"{_describe(s)}: output requires grad under no_grad()"))
            plain, pkw = _prepare(s)
            for o in _outs(_call(f, info, plain, pkw)):
                if o.requires_grad:
                    fails.append(Failure(op.name, "no_grad", f"{_describe(s)}: output requires grad although no "
                                         "input does"))
            if must_record:
                outs = [o for o in _float_outs(_call(f, info, args, kw)) if id(o) not in inputs]
                if outs and all(o.grad_fn is None for o in outs):
                    fails.append(Failure(op.name, "no_grad", f"{_describe(s)}: with grad mode on and inputs that "
                                         "require grad, the output has no grad_fn"))
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "no_grad", f"{_describe(s)} raised {_exc(e)}"))


def _check_inplace(op, info, ag, fails):
    from .. import dtypes as _dt
    from . import assert_close
    fi = _inplace_fn(op)
    if fi is None:
        return
    f = _frontend(op)
    tested = 0
    for s in _get_samples(info, _dt.float64, "cpu"):
        if not s.args or not _is_tensor(s.args[0]):
            continue
        args, kw = _prepare(s)
        try:
            expected = _outs(f(*args, **kw))[0]
        except Exception:  # noqa: BLE001 - reported by the dtype check
            continue
        if tuple(expected.shape) != tuple(args[0].shape) or expected.dtype is not args[0].dtype:
            continue
        tested += 1
        name = op.inplace
        try:
            x = args[0].clone()
            v0 = x._version
            r = fi(x, *args[1:], **kw)
            if r is not x:
                fails.append(Failure(op.name, "inplace", f"{name}{_describe(s)} did not return its input tensor"))
            if x._version <= v0:
                fails.append(Failure(op.name, "inplace", f"{name}{_describe(s)} did not bump the version counter "
                                     f"(still {x._version})"))
            assert_close(x, expected, equal_nan=True)
        except AssertionError as e:
            fails.append(Failure(op.name, "inplace", f"{name}{_describe(s)} differs from {op.name}: {e}"))
            continue
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "inplace", f"{name}{_describe(s)} raised {_exc(e)}"))
            continue
        if ag is None or not op.differentiable or args[0]._data.dtype.kind != "f":
            continue
        try:
            leaf = args[0].clone().requires_grad_(True)
            try:
                fi(leaf, *args[1:], **kw)
            except RuntimeError as e:
                if "leaf Variable" not in str(e):
                    raise
            else:
                fails.append(Failure(op.name, "inplace", f"{name} on a leaf that requires grad did not raise"))
            # a tensor saved for backward, then modified in place: backward must refuse
            h = leaf.clone()
            z = h * h
            fi(h, *args[1:], **kw)
            try:
                z.sum().backward()
            except RuntimeError as e:
                if "modified by an inplace operation" not in str(e):
                    raise
            else:
                fails.append(Failure(op.name, "inplace", f"{name} modified a tensor saved for backward and "
                                     "backward() did not report it (version counter not shared/bumped)"))
            # gradients flow through the in-place op like through the out-of-place one
            a = args[0].clone().requires_grad_(True)
            b = args[0].clone().requires_grad_(True)
            w = np.linspace(0.5, 1.5, a.numel()).reshape(a._data.shape)
            from ..ops.creation import tensor
            wt = tensor(w, dtype=a.dtype, device=a.device)
            h = a.clone()
            fi(h, *args[1:], **kw)
            if _has_no_derivative(h):  # (floor_divide_): nothing to compare, backward must refuse
                _check_backward_refused(op, s, (h,), fails)
                continue
            (h * wt).sum().backward()
            (f(b, *args[1:], **kw) * wt).sum().backward()
            assert_close(a.grad, b.grad, equal_nan=True)
        except AssertionError as e:
            fails.append(Failure(op.name, "inplace", f"gradient through {name}{_describe(s)} differs: {e}"))
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "inplace", f"autograd through {name}{_describe(s)} raised {_exc(e)}"))
        break
    if tested == 0 and info.get("samples") is not None:
        fails.append(Failure(op.name, "inplace", f"has an in-place variant '{op.inplace}' but no sample whose "
                             "output has the first argument's shape and dtype to test it with"))


def _check_repr(op, info, ag, fails):
    from .. import dtypes as _dt
    f = _frontend(op)
    for s in _get_samples(info, _dt.float64, "cpu")[:2]:
        args, kw = _prepare(s, _grad_paths(s) if ag is not None else ())
        try:
            for o in _outs(_call(f, info, args, kw)):
                r = repr(o)
                if not r.startswith("tensor("):
                    fails.append(Failure(op.name, "repr", f"{_describe(s)}: repr {r[:60]!r} does not start with "
                                         "'tensor('"))
                if o.grad_fn is not None:
                    node = type(o.grad_fn).__name__
                    if "Backward" not in node and node != "NotImplemented":  # (an op without a derivative)
                        fails.append(Failure(op.name, "repr", f"backward node class '{node}' is not named "
                                             "like PyTorch's ('<Name>Backward0')"))
                    if f"grad_fn=<{node}>" not in r:
                        fails.append(Failure(op.name, "repr", f"{_describe(s)}: repr does not show grad_fn=<{node}>"))
        except Exception as e:  # noqa: BLE001
            fails.append(Failure(op.name, "repr", f"{_describe(s)} raised {_exc(e)}"))
