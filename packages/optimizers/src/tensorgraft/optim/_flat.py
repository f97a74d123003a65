"""The flat ("foreach") update machinery shared by the built-in optimizers.

For each parameter group, the parameters that have a gradient are bucketed by (device, dtype). A
bucket owns one contiguous buffer per state tensor (``exp_avg``, ``exp_avg_sq``...); the tensors in
``optimizer.state[p]`` are views into it, so ``state_dict()`` sees live values and the update is a few
large array operations over the whole bucket. Parameters are moved into a flat parameter buffer too
(their ``_data`` becomes a view of it) when nothing else can observe their memory (no views, no other
references to the array); otherwise they are copied in and out around the update. On NumPy the flat
arrays are processed in cache-sized chunks, so the dozen element-wise passes of an update stay in cache.

Per-parameter scalars (``step``, NAdam's ``mu_product``) live in one host float32 array per bucket;
``state[p]['step']`` is a 0-d view of it (a float32 0-d tensor, as in PyTorch 2.x).

Complex parameters: PyTorch updates a complex parameter as the pairs of reals ``view_as_real`` shows
(every rule here is element-wise, so Adam's second moment, Adamax's ``abs`` and Rprop's ``sign`` act on
the real and imaginary parts separately) while its state tensors stay complex. A complex bucket does
the same: its buffers are complex (so ``state[p]`` holds complex tensors), and the kernels see their
real views (twice as many elements), so they need no complex-specific code. See ``_complex.py`` for
what PyTorch refuses.

Fused kernels: a device plugin can register
``registrar.register_extension("fused_optimizer_step", (optimizer_class_name, device_type), fn)``.
``fn(optimizer, group, bucket) -> bool`` is called once per bucket and step, after the step counters
were incremented and the gradients gathered, with ``bucket.params`` (flat parameter array, update it
in place), ``bucket.grads`` (flat gathered gradients; scratch, may be overwritten), ``bucket.state``
(state name -> flat array), ``bucket.scalars`` (name -> host float32 array, one value per parameter),
``bucket.consts`` (the per-step constants the generic kernel would use, e.g. ``step_size``; ``None``
when parameters of the bucket are at different steps) and ``bucket.sizes``/``bucket.offsets``.
Return ``True`` when the step was done, ``False`` to fall back to the generic kernel. Complex buckets
never go to a fused kernel (the generic one runs on their real views): PyTorch's own fused kernels
refuse complex parameters, and a plugin's kernel need not know about them.
"""
from __future__ import annotations

import sys
from tensorgraft.argument_errors import c_type_name

import numpy as np

from tensorgraft.device import device as _device, get_backend
from tensorgraft.sparse.coo_data import SparseCOOData
from tensorgraft.tensor import Tensor, wrap

from ._complex import check_loaded_complex_state, real_dtype_of, refuse_fused_complex
from ._half_precision import HALF_TYPES, add_scaled_, half_scalar, multiply_add_, round_to_half_, run_in_float32
from .optimizer import Optimizer, evaluate_closure
from tensorgraft.dtypes import np_kind as _np_kind

__all__ = ["FlatOptimizer", "Bucket"]

CHUNK = 1 << 15          # elements per chunk on NumPy (128 KiB of float32 per array)
_CPU = _device("cpu")


class _Probe:
    __slots__ = ("_data",)


def _refs(p):
    a = p._data
    return sys.getrefcount(a)


def _max_base_refs(a):
    """The largest reference count along ``a``'s chain of bases (``a`` itself excluded)."""
    worst = 0
    b = a.base
    while b is not None:
        worst = max(worst, sys.getrefcount(b))
        b = getattr(b, "base", None)
    return worst


# Calibrate both counts on objects held exactly once (the interpreter's own counting varies).
_probe = _Probe()
_probe._data = np.empty(2)[:1]
_BASE_REFS = _refs(_probe)
_BASE_CHAIN_REFS = _max_base_refs(_probe._data)
del _probe


def _relocatable(p) -> bool:
    """Whether ``p._data`` can be replaced by a view of our buffer without anyone noticing: the array
    is referenced only by ``p`` and its memory (its chain of bases) by nothing else. Memory shared with
    other processes (``share_memory_()``, Hogwild training) must stay where it is."""
    return (p._base is None and _refs(p) <= _BASE_REFS and _max_base_refs(p._data) <= _BASE_CHAIN_REFS
            and not p.is_shared())


def _check_state_shape(key, value, shape, grad_first=False) -> None:
    """A state tensor that does not fit its parameter (a state_dict of another model was loaded) is an
    error at the step, with the message torch's in-place update gives; never silently reset."""
    if not isinstance(value, Tensor):
        raise TypeError(f"optimizer state '{key}' must be a Tensor, but got {type(value).__name__}")
    if value._data.__class__ is SparseCOOData:
        # SGD's momentum buffer of a sparse gradient, met by a dense one: PyTorch's sparse ``buf.add_(grad)``
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")
    have = tuple(value._data.shape)
    if have == tuple(shape):
        return
    n = max(len(have), len(shape))
    a, b = (1,) * (n - len(have)) + have, (1,) * (n - len(shape)) + tuple(shape)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            if grad_first:     # the first op that meets the state has the gradient on its left
                a, b = b, a
            raise RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                               f"non-singleton dimension {i}")
    out = [max(x, y) for x, y in zip(a, b)]
    raise RuntimeError(f"output with shape {list(have)} doesn't match the broadcast shape {out}")


def _scalar_dtype(dicts, key):
    """float32, as PyTorch creates per-parameter scalars, unless a loaded state holds the key with
    another floating dtype: PyTorch's ``load_state_dict`` casts every state entry but ``step`` to the
    parameter's dtype, and later steps keep (and compute in) that dtype."""
    for d in dicts:
        v = d.get(key)
        if isinstance(v, Tensor) and _np_kind(v._data.dtype) == "f":
            return v._data.dtype
    return np.float32


class Bucket:
    """The flat buffers of the parameters of one group on one (device, dtype).

    ``params`` and ``state`` hold the parameters' dtype (complex for complex parameters); ``kparams``,
    ``kstate``, the gathered gradients and the scratch arrays are what the kernels see: the same arrays,
    or their real views for a complex bucket (``width`` reals per element, chunk offsets in reals)."""

    def __init__(self, opt, group, params, spec):
        self.state_keys = [key for key, _ in spec]  # (a group whose options change the state rebuilds)
        p0 = params[0]
        self.device = p0._device
        self.xp = xp = get_backend(p0._device).xp
        self.dtype = p0._data.dtype
        self.complex = _np_kind(self.dtype) == "c"
        if self.complex:
            check_loaded_complex_state(opt, group, spec, params)   # before anything is moved or replaced
        for p in params:
            d = opt.state.get(p)
            if d:
                # a state made under other options (amsgrad, RMSprop's momentum or centered switched on
                # later): PyTorch creates the keys with the state only, then reads ``state[key]``
                for key, init in spec:
                    if init != "grad" and key not in d:
                        raise KeyError(key)
        self.kdtype = real_dtype_of(self.dtype) if self.complex else self.dtype
        self.width = 2 if self.complex else 1
        self.params_list = params
        self.shapes = [p._data.shape for p in params]
        self.sizes = [int(p._data.size) for p in params]
        offs = [0]
        for s in self.sizes:
            offs.append(offs[-1] + s)
        self.offsets = offs
        self.N = N = offs[-1]
        self.n = n = len(params)
        self.params = xp.empty(N, dtype=self.dtype)
        self.kparams = self.params.view(self.kdtype) if self.complex else self.params
        self.pviews = [self.params[offs[i]:offs[i + 1]].reshape(self.shapes[i]) for i in range(n)]
        self.copy_mode = []          # indices of parameters copied in and out around the update
        for i, p in enumerate(params):
            self._adopt(i, p)
        self.grads = None
        self.scratch = []
        self.state = {}
        self.kstate = {}
        self.scalars = {}
        self.fresh = None            # per-parameter "state key initialised from this step's grad"
        self.consts = None
        state = opt.state
        dicts = [state.setdefault(p, {}) for p in params] if spec else [state.get(p) for p in params]
        self.tensors = {}            # key -> list of the state tensors handed out (validated per step)
        fresh_key = None
        for key, init in spec:
            if init == "count" or (isinstance(init, tuple) and init[0] == "scalar"):
                start = 0.0 if init == "count" else float(init[1])
                arr = np.empty(n, dtype=_scalar_dtype(dicts, key))
                for i, d in enumerate(dicts):
                    v = d.get(key)
                    arr[i] = start if v is None else float(v.item() if isinstance(v, Tensor) else v)
                self.scalars[key] = arr
                self.tensors[key] = [wrap(arr[i:i + 1].reshape(()), _CPU) for i in range(n)]
            else:
                buf = xp.empty(N, dtype=self.dtype)
                flags = []
                for i, d in enumerate(dicts):
                    v = d.get(key)
                    sl = buf[offs[i]:offs[i + 1]]
                    if v is not None:
                        _check_state_shape(key, v, self.shapes[i], opt._state_shape_grad_first)
                    if isinstance(v, Tensor):
                        src = v._data
                        if v._device is not self.device:
                            src = get_backend(self.device).from_host(v._host(), self.device.index)
                        sl[...] = src.reshape(-1)
                        flags.append(False)
                    elif init == "grad":
                        flags.append(True)     # filled with the gradient at this step
                    else:
                        # a complex state starts at init + init*1j: both of its reals start at init
                        (sl.view(self.kdtype) if self.complex else sl)[...] = init
                        flags.append(False)
                if init == "grad":
                    fresh_key = key
                    self.fresh = flags
                self.state[key] = buf
                self.kstate[key] = buf.view(self.kdtype) if self.complex else buf
                views = [buf[offs[i]:offs[i + 1]].reshape(self.shapes[i]) for i in range(n)]
                self.tensors[key] = [wrap(v, self.device) for v in views]
        self.fresh_key = fresh_key
        keys = [k for k, _ in spec]
        for i, d in enumerate(dicts if spec else ()):
            rest = {k: v for k, v in d.items() if k not in self.tensors}
            d.clear()
            for k in keys:
                d[k] = self.tensors[k][i]
            d.update(rest)
        self.dicts = dicts
        self._plan()

    # -- parameters ---------------------------------------------------------------------------
    def _adopt(self, i, p) -> None:
        view = self.pviews[i]
        view[...] = p._data
        if _relocatable(p):
            p._data = view
            if i in self.copy_mode:
                self.copy_mode.remove(i)
        elif i not in self.copy_mode:
            self.copy_mode.append(i)

    def _plan(self) -> None:
        """Chunks ``(start, end, pieces, segment head)``: consecutive parameters whose per-parameter
        scalars (step...) and fresh flags are equal form a segment (one segment when all are equal);
        each segment is cut into chunks of ``CHUNK`` elements on NumPy (one chunk elsewhere).
        ``pieces`` = ``(i, local start, local end)`` per parameter overlapped by the chunk. Everything
        counts the kernels' elements (reals, for a complex bucket)."""
        n = self.n
        keys = [tuple(float(a[i]) for a in self.scalars.values()) + ((self.fresh[i],) if self.fresh else ())
                for i in range(n)]
        heads = [i for i in range(n) if i == 0 or keys[i] != keys[i - 1]]
        self.heads = heads
        self.uniform = len(heads) == 1
        ch = CHUNK if self.xp is np else max(self.N * self.width, 1)
        offs = self.offsets if self.width == 1 else [o * self.width for o in self.offsets]
        chunks = []
        for h, head in enumerate(heads):
            last = heads[h + 1] if h + 1 < len(heads) else n
            s, end, i = offs[head], offs[last], head
            while s < end:
                e = min(end, s + ch)
                pieces = []
                while i < last and offs[i] < e:
                    lo, hi = max(s, offs[i]) - offs[i], min(e, offs[i + 1]) - offs[i]
                    if hi > lo:
                        pieces.append((i, lo, hi))
                    if offs[i + 1] <= e:
                        i += 1
                    else:
                        break
                chunks.append((s, e, pieces, head))
                s = e
        self.chunks = chunks
        self.scratch = []
        self.maxlen = max((e - s for s, e, _, _ in chunks), default=0)
        self.gbuf = self.xp.empty(self.maxlen, dtype=self.kdtype)

    def tmp(self, k):
        while len(self.scratch) < k:
            self.scratch.append(self.xp.empty(self.maxlen, dtype=self.kdtype))
        return self.scratch

    def valid(self, opt, params) -> bool:
        if len(params) != self.n:
            return False
        state = opt.state
        tensors = self.tensors
        shapes = self.shapes
        for i, (p, q) in enumerate(zip(params, self.params_list)):
            if p is not q or p._data.shape != shapes[i]:
                return False
            d = state.get(p)
            if d is not self.dicts[i]:
                return False
            for key, ts in tensors.items():
                if d.get(key) is not ts[i]:
                    return False
        return True


class FlatOptimizer(Optimizer):
    """Base of the built-in element-wise optimizers. Subclasses define

    - ``_spec(group)``: ``[(state_key, init), ...]`` in PyTorch's state order; ``init`` is ``"count"``
      (per-parameter float32 step counter), ``("scalar", v)`` (per-parameter float32 scalar),
      a number (per-element tensor filled with it) or ``"grad"`` (per-element tensor set from the first
      gradient; the kernel sees ``k["fresh"]``).
    - ``_scalars(group, scalars)``: update the per-parameter scalar arrays in place (default: step += 1).
    - ``_consts(group, s)``: python floats for the kernel from one parameter's scalar values ``s``.
    - ``_kernel(xp, group, k, P, G, S, T)``: the update on flat slices: ``P`` parameters (update in
      place), ``G`` gradients (scratch copy), ``S`` state slices, ``T`` scratch arrays
      (``_n_tmp`` of them); all real (the real views, for complex parameters).
    """

    _n_tmp = 2
    # whether PyTorch's first op on a loaded state has the gradient as its left operand (Rprop's
    # ``grad.mul(prev)``), which orders the sizes in its "The size of tensor a ..." message
    _state_shape_grad_first = False
    # PyTorch's refusal of ``capturable=True`` for CPU tensors names the tensors it checked and the
    # supported devices, worded per optimizer and per code path: (single-tensor, foreach) each.
    _capturable_checked = ("params and state_steps", "params and state_steps")
    _capturable_xla = (True, False)
    # Complex parameters (``_complex.py``): the state keys PyTorch's single-tensor path ``lerp_``s towards
    # the gradient (they must have the parameter's dtype), how a real state loaded for a complex
    # parameter fails ("view_as_real" or SGD's "cast"), and how ``fused=True`` refuses complex parameters
    _lerped_state: tuple = ()
    _real_state_for_complex = "view_as_real"
    _fused_complex_refusal = "adam"

    def _invalidate(self) -> None:
        self.__dict__["_buckets"] = {}

    # -- overridable -------------------------------------------------------------------------
    def _spec(self, group):
        return []

    def _scalars(self, group, scalars) -> None:
        st = scalars.get("step")
        if st is not None:
            st += 1

    def _consts(self, group, s) -> dict:
        return {}

    def _kernel(self, xp, group, k, P, G, S, T) -> None:
        raise NotImplementedError

    # whether ``_kernel`` marks where PyTorch's ops round a half-type result (``round_to_half_``), so
    # that float16/bfloat16 buckets run it in float32 (``_half_precision.py``)
    _half_opmath = False

    def _writes_grad(self, group) -> bool:
        """Whether ``_kernel`` writes into ``G`` for this group (then it gets a copy of the gradient;
        a kernel that only reads it may be handed the gradient's own memory)."""
        return True

    # -- the step ------------------------------------------------------------------------------
    def step(self, closure=None):
        differentiable = self.defaults.get("differentiable", False)
        if differentiable.__class__ is not bool:
            # PyTorch's step runs under ``set_grad_enabled(defaults["differentiable"])``, which takes a bool only
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{c_type_name(differentiable)}")
        loss = evaluate_closure(closure)
        for gi, group in enumerate(self.param_groups):
            self._step_group(gi, group)
        return loss

    def _step_group(self, gi, group) -> None:
        group = host_hyperparameters(group)
        bykey = {}
        sparse = []
        for p in group["params"]:
            g = p._grad
            if g is None:
                continue
            if g._data.__class__ is SparseCOOData:
                sparse.append(p)
                continue
            key = (p._device, p._data.dtype)
            lst = bykey.get(key)
            if lst is None:
                bykey[key] = [p]
            else:
                lst.append(p)
        if sparse:  # (refused before anything is updated, as PyTorch refuses them)
            self._sparse_step(group, sparse)
        if not bykey:
            return
        if group.get("fused") and any(dtype.kind == "c" for _, dtype in bykey):
            refuse_fused_complex(self, group)
        if group.get("differentiable"):
            _refuse_leaves(bykey.values())
        buckets = self.__dict__.setdefault("_buckets", {})
        spec = self._spec(group)  # (the state it keeps can change with the group's options: momentum 0 -> 0.9)
        keys = [key for key, _ in spec]
        ready = []
        # every bucket is (re)built before any is updated: a state that cannot be used (a loaded state of
        # the wrong shape or dtype) then fails the step before it changed anything
        for key, params in bykey.items():
            b = buckets.get((gi, key))
            if b is None or b.state_keys != keys or not b.valid(self, params):
                b = Bucket(self, group, params, spec)
                buckets[(gi, key)] = b
            ready.append(b)
        if group.get("capturable") and not group.get("fused"):
            for b in ready:
                if b.device.type not in _CAPTURABLE_DEVICES:
                    self._refuse_capturable(group)     # after the state was created, as in PyTorch
        for b in ready:
            self._run_bucket(group, b)

    # -- sparse gradients (nn.Embedding(sparse=True) ...) -----------------------------------------
    _sparse_refusal = None  # PyTorch's message, where it differs from "<Name> does not support sparse gradients"

    def _sparse_step(self, group, params) -> None:
        """Update ``params``, whose gradients are sparse COO tensors. Optimizers that have a sparse
        update (SGD, Adagrad) override this; the others refuse sparse gradients, as PyTorch's do."""
        raise RuntimeError(self._sparse_refusal or f"{type(self).__name__} does not support sparse gradients")

    def _refuse_capturable(self, group):
        path = 1 if group.get("foreach") else 0
        devices = list(_CAPTURABLE_DEVICES) if self._capturable_xla[path] else list(_CAPTURABLE_DEVICES[:-1])
        raise AssertionError(f"If capturable=True, {self._capturable_checked[path]} must be on supported devices: "
                             f"{devices}.")

    def _run_bucket(self, group, b) -> None:
        xp = b.xp
        params = b.params_list
        pviews = b.pviews
        for i, p in enumerate(params):
            if p._data is not pviews[i]:
                b._adopt(i, p)           # copy in (and move into the buffer when nothing else sees it)
        gflat = [p._grad._data.reshape(-1) for p in params]
        if b.complex:
            gflat = [xp.ascontiguousarray(g).view(b.kdtype) for g in gflat]
        self._scalars(group, b.scalars)
        sc = b.scalars
        per = {}
        for head in b.heads:
            k = self._consts(group, {name: float(a[head]) for name, a in sc.items()})
            if b.fresh is not None:
                k["fresh"] = b.fresh[head]
            per[head] = k
        b.consts = k if b.uniform else None
        fused = None if b.complex else _fused_table().get((type(self).__name__, b.device.type))
        done = False
        if fused is not None:
            if b.grads is None or b.grads.shape[0] != b.N:
                b.grads = xp.empty(b.N, dtype=b.dtype)
            xp.concatenate(gflat, out=b.grads) if len(gflat) > 1 else xp.copyto(b.grads, gflat[0])
            done = bool(fused(self, group, b))
        if not done:
            kernel = self._kernel
            P, state, gbuf = b.kparams, b.kstate, b.gbuf
            scratch = b.tmp(self._n_tmp)[: self._n_tmp]
            concat = xp.concatenate
            # a kernel that only reads G may take a one-piece chunk of the gradient itself (no copy)
            read_only = not self._writes_grad(group)
            half = b.kdtype if self._half_opmath and xp is np and b.kdtype in HALF_TYPES else None
            for s, e, pieces, pi in b.chunks:
                L = e - s
                G = gbuf[:L]
                if len(pieces) == 1:
                    i, lo, hi = pieces[0]
                    if read_only and gflat[i].dtype == G.dtype:
                        G = gflat[i][lo:hi]
                    else:
                        xp.copyto(G, gflat[i][lo:hi])
                else:
                    concat([gflat[i][lo:hi] for i, lo, hi in pieces], out=G)
                S = {name: buf[s:e] for name, buf in state.items()}
                T = [t[:L] for t in scratch]
                if half is None:
                    kernel(xp, group, per[pi], P[s:e], G, S, T)
                else:
                    run_in_float32(kernel, xp, group, per[pi], half, P[s:e], G, S, T)
        for i in b.copy_mode:
            params[i]._data[...] = pviews[i]
        for p in params:
            p._vc[0] += 1
        if b.fresh is not None and any(b.fresh):
            b.fresh = [False] * b.n
            b._plan()


_CAPTURABLE_DEVICES = ("cuda", "xpu", "hpu", "privateuseone", "xla")


def _refuse_leaves(param_lists) -> None:
    """``differentiable=True`` runs the update with grad mode on, so PyTorch's in-place update of a leaf
    that requires grad fails; the same error here (tensorgraft does not record the update)."""
    for params in param_lists:
        for p in params:
            if p._requires_grad and p.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def host_hyperparameters(group):
    """``group`` itself, or a copy whose tensor ``lr``/``betas`` are plain numbers for the kernels.

    PyTorch's default (single-tensor) code paths compute the per-step constants (``lr /
    bias_correction``...) with 0-d tensor arithmetic, rounded to the tensor's dtype: a NumPy scalar of
    that dtype rounds the same way. Its ``foreach`` and ``fused`` paths use the value as a Python float."""
    lr = group["lr"]
    betas = group.get("betas")
    tensor_betas = betas is not None and isinstance(betas[0], Tensor)
    if not isinstance(lr, Tensor) and not tensor_betas:
        return group
    plain = float if group.get("foreach") or group.get("fused") else _host_scalar
    group = dict(group)
    if isinstance(lr, Tensor):
        group["lr"] = plain(lr)
    if tensor_betas:
        group["betas"] = tuple(plain(b) if isinstance(b, Tensor) else b for b in betas)
    return group


def _host_scalar(t):
    """A one-element tensor's value as a number whose arithmetic rounds to the tensor's dtype."""
    value = t._host().reshape(-1)[0]
    return RoundedScalar(value, value.dtype.type)


class RoundedScalar(float):
    """A Python float whose ``+ - * / **`` with numbers round to ``dtype`` as 0-d tensor arithmetic
    does in PyTorch (the other operand converted to ``dtype`` first). A NumPy scalar of the dtype does
    this under NumPy 2's promotion rules only: NumPy 1.x computes ``float32(a) / 0.9`` in float64.
    In array operations it acts as the plain number it is."""

    __slots__ = ("dtype",)

    def __new__(cls, value, dtype):
        self = super().__new__(cls, float(dtype(value)))
        self.dtype = dtype
        return self

    def _op(self, other, fn):
        if not isinstance(other, (int, float, np.number)) or isinstance(other, bool):
            return NotImplemented
        d = self.dtype
        return RoundedScalar(fn(float(self), float(d(other))), d)

    def __add__(self, o): return self._op(o, lambda a, b: a + b)  # noqa: E704
    def __radd__(self, o): return self._op(o, lambda a, b: b + a)  # noqa: E704
    def __sub__(self, o): return self._op(o, lambda a, b: a - b)  # noqa: E704
    def __rsub__(self, o): return self._op(o, lambda a, b: b - a)  # noqa: E704
    def __mul__(self, o): return self._op(o, lambda a, b: a * b)  # noqa: E704
    def __rmul__(self, o): return self._op(o, lambda a, b: b * a)  # noqa: E704
    def __truediv__(self, o): return self._op(o, lambda a, b: a / b)  # noqa: E704
    # ``n / t`` is ``Tensor.__rtruediv__``: ``t.reciprocal() * n``, the reciprocal rounded to the dtype first
    def __rtruediv__(self, o): return self._op(o, lambda a, b: float(self.dtype(1.0 / a)) * b)  # noqa: E704
    def __pow__(self, o):
        # ``t ** e`` is PyTorch's pow_tensor_scalar, which special-cases these exponents (a cube is
        # x * x * x, rounded twice, not the correctly rounded power): Adam's ``beta1 ** 3`` with a
        # tensor beta1 differs from ``powf`` in the last bit
        if not isinstance(o, (int, float, np.number)) or isinstance(o, bool):
            return NotImplemented
        d, e = self.dtype, float(o)
        x, one = d(float(self)), d(1)
        special = {2.0: lambda: x * x, 3.0: lambda: x * x * x, -1.0: lambda: one / x, -2.0: lambda: one / (x * x),
                   0.5: lambda: np.sqrt(x), -0.5: lambda: one / np.sqrt(x)}.get(e)
        if special is None:
            return self._op(o, lambda a, b: a ** b)
        with np.errstate(all="ignore"):
            return RoundedScalar(special(), d)

    def __rpow__(self, o): return self._op(o, lambda a, b: b ** a)  # noqa: E704

    def __neg__(self):
        return RoundedScalar(-float(self), self.dtype)


def _fused_table():
    from tensorgraft.registry import registry
    return registry.extensions.get("fused_optimizer_step", _EMPTY)


_EMPTY: dict = {}


_NO_HALF: dict = {}  # the ``k`` of a float32/float64 kernel: ``round_to_half_`` does nothing


def lerp_(xp, start, end, weight, tmp, k=_NO_HALF) -> None:
    """``start.lerp_(end, weight)`` as PyTorch computes it: ``start + w * (end - start)`` for
    ``|w| < 0.5``, else ``end + (w - 1) * (end - start)`` with ``w - 1`` rounded in the array's dtype
    (float32 for a half-type bucket, as PyTorch's opmath weight); one rounding to the half type."""
    xp.subtract(end, start, out=tmp)
    w = start.dtype.type(weight)
    if abs(weight) < 0.5:
        multiply_add_(xp, k, start, tmp, w, start)
    else:
        multiply_add_(xp, k, start, tmp, w - start.dtype.type(1), end)


def square_avg_(xp, avg, G, decay, tmp, k=_NO_HALF) -> None:
    """``avg.mul_(decay).addcmul_(G, G, value=1 - decay)``: the running average of squared gradients
    (Adam's ``exp_avg_sq``, RMSprop's and Adadelta's ``square_avg``), rounded as PyTorch rounds it."""
    avg *= decay
    round_to_half_(k, avg)
    xp.multiply(G, 1 - decay, out=tmp)
    multiply_add_(xp, k, avg, tmp, G, avg)  # addcmul_


def adam_moments_(xp, group, P, G, S, tmp, k=_NO_HALF):
    """What Adam, NAdam and RAdam do before their own update: maximize and (coupled or decoupled)
    weight decay, then ``exp_avg.lerp_(G, 1 - beta1)`` and the ``exp_avg_sq`` average; returns both."""
    beta1, beta2 = group["betas"]
    grad_prologue(xp, group, P, G, tmp, coupled=not group["decoupled_weight_decay"], k=k)
    m, v = S["exp_avg"], S["exp_avg_sq"]
    lerp_(xp, m, G, 1 - beta1, tmp, k)
    square_avg_(xp, v, G, beta2, tmp, k)
    return m, v


def grad_prologue(xp, group, P, G, T0, coupled=True, k=_NO_HALF) -> None:
    """maximize (negate) and weight decay, in PyTorch's order."""
    if group["maximize"]:
        xp.negative(G, out=G)
    wd = group["weight_decay"]
    if wd != 0:
        if coupled:  # grad.add(param, alpha=weight_decay)
            add_scaled_(xp, G, half_scalar(k, wd), P, T0)
            round_to_half_(k, G)
        else:  # param.mul_(1 - lr * weight_decay)
            P *= 1 - group["lr"] * wd
            round_to_half_(k, P)
