"""``torch.utils.checkpoint``: trade compute for memory.

A checkpointed call keeps its inputs (and the random-number state it started from) instead of the
intermediate results of ``function``; when gradients are needed the call is run again, with
gradients on, to get them back.

* ``use_reentrant=True``: one autograd Function, ``CheckpointFunction``, stands for the whole call.
  Its forward runs under ``no_grad``; its backward re-runs the function and calls ``backward`` on
  the recomputed outputs, so parameters the function closes over collect their ``.grad`` from
  inside that nested backward.
* ``use_reentrant=False``: the function runs with gradients on and records its graph as usual (the
  outputs' ``grad_fn`` are the ops' own nodes, as in PyTorch), but inside saved-tensor hooks that
  keep only a numbered placeholder for each tensor a node saves. The first node that needs one in
  backward re-runs the function under hooks that collect the saved tensors by number, and stops
  it as soon as the last one the forward saved is back (``early_stop``): work after that point,
  forward hooks included, is not redone. The numbers are matched by order, so the recomputation
  must save the same tensors (shape, dtype, device) as the forward did, else ``CheckpointError``.
"""
from __future__ import annotations

import warnings

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError", "set_checkpoint_early_stop"]

_REENTRANT_DEFAULT_WARNING = (
    "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, but if "
    "you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more "
    "details on the differences between the two variants.")
_SEQUENTIAL_DEFAULT_WARNING = (
    "torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed explicitly. In "
    "version 2.9 we will raise an exception if use_reentrant is not passed. use_reentrant=False is recommended, "
    "but if you need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs "
    "for more details on the differences between the two variants.")
_DETERMINISM_CHOICES = ["default", "none"]
_CHECKPOINT_TIP = (
    ".\n\nTip: To see a more detailed error message, either pass `debug=True` to\n"
    "`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
    "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\n"
    "enable checkpoint\u2011debug mode globally.\n\n"
    "If this error occurs under torch.compile with automatic_dynamic_shapes enabled,\n"
    "it may be because the recomputation selected a different compiled graph than the\n"
    "forward pass (e.g., a dynamic graph instead of the original static graph).\n"
    "To fix this, either:\n"
    "  - Use torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as\n"
    "    dynamic upfront, avoiding the static-to-dynamic transition.\n"
    "  - Call torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache\n"
    "    reordering, which can change which graph is checked first between forward\n"
    "    and recompute.\n"
    "See https://github.com/pytorch/pytorch/issues/166926 for more details and\n"
    "workaround examples.\n")


class CheckpointError(RuntimeError):
    """A recomputation that did not save what the original forward saved."""


_early_stop_override = None  # set by ``set_checkpoint_early_stop``; None: each call's own argument


class set_checkpoint_early_stop:
    """Within this block (or from now on, when called bare), non-reentrant checkpoints stop their
    recomputation as soon as every saved tensor is back (``True``) or always run it to the end."""

    def __init__(self, enable: bool):
        global _early_stop_override
        self._before = _early_stop_override
        _early_stop_override = bool(enable)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _early_stop_override
        _early_stop_override = self._before
        return False


def _tg():
    import tensorgraft
    return tensorgraft


# --------------------------------------------------------------------------- nested outputs
def _flatten(obj, leaves):
    """``obj`` with every tensor replaced by its index in ``leaves`` (appended there)."""
    tg = _tg()
    if isinstance(obj, tg.Tensor):
        leaves.append(obj)
        return ("T", len(leaves) - 1)
    if isinstance(obj, (list, tuple)):
        return ("S", type(obj), [_flatten(o, leaves) for o in obj])
    if isinstance(obj, dict):
        return ("D", type(obj), [(k, _flatten(v, leaves)) for k, v in obj.items()])
    return ("V", obj)


def _rebuild(spec, leaves):
    kind = spec[0]
    if kind == "T":
        return leaves[spec[1]]
    if kind == "V":
        return spec[1]
    if kind == "D":
        return spec[1]((k, _rebuild(v, leaves)) for k, v in spec[2])
    cls, items = spec[1], [_rebuild(s, leaves) for s in spec[2]]
    if cls is tuple or cls is list:
        return cls(items)
    return cls(*items) if hasattr(cls, "_fields") else cls(items)


# --------------------------------------------------------------------------- ambient state
class _Ambient:
    """The random-number generators and autocast switches a call started with, to be put back
    while the call is replayed (and the caller's own restored afterwards)."""

    def __init__(self, tensors, keep_rng):
        tg = _tg()
        self.cpu_rng = tg.get_rng_state() if keep_rng else None
        self.gpu_rng = {}
        if keep_rng:
            devices = {t.device for t in tensors if t.device.type == "cuda"}
            for dev in devices:
                self.gpu_rng[dev] = tg.cuda.get_rng_state(dev)
        from ..amp import autocast_mode as ac
        self.autocast = {d: (ac.is_autocast_enabled(d), ac.get_autocast_dtype(d)) for d in ("cpu", "cuda")}
        self.autocast_cache = ac.is_autocast_cache_enabled()

    def __enter__(self):
        tg = _tg()
        from ..amp import autocast_mode as ac
        self._caller = _Ambient((), False)
        if self.cpu_rng is not None:
            self._caller.cpu_rng = tg.get_rng_state()
            tg.set_rng_state(self.cpu_rng)
        for dev, st in self.gpu_rng.items():
            self._caller.gpu_rng[dev] = tg.cuda.get_rng_state(dev)
            tg.cuda.set_rng_state(st, dev)
        self._apply_autocast(ac, self)
        return self

    @staticmethod
    def _apply_autocast(ac, src):
        for dev, (on, dtype) in src.autocast.items():
            ac.set_autocast_dtype(dev, dtype)
            ac.set_autocast_enabled(dev, on)
        ac.set_autocast_cache_enabled(src.autocast_cache)

    def __exit__(self, *exc):
        tg = _tg()
        from ..amp import autocast_mode as ac
        back = self._caller
        if back.cpu_rng is not None:
            tg.set_rng_state(back.cpu_rng)
        for dev, st in back.gpu_rng.items():
            tg.cuda.set_rng_state(st, dev)
        self._apply_autocast(ac, back)
        return False


# --------------------------------------------------------------------------- the replayed call
class _Plan:
    """Everything the reentrant node needs besides its tensor inputs: how to call the function again."""

    def __init__(self, function, args, kwargs, keep_rng):
        self.function = function
        self.kwargs = kwargs
        self.arg_tensors = []
        self.arg_spec = _flatten_args(args, self.arg_tensors)
        self.n_args = len(self.arg_tensors)
        self.ambient = _Ambient(self.arg_tensors, keep_rng)
        self.out_spec = None

    def call(self, tensors):
        args = [tensors[s] if isinstance(s, int) else s.value for s in self.arg_spec]
        return self.function(*args, **self.kwargs)


class _Literal:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _flatten_args(args, tensors):
    """Positional args: tensors become their index in ``tensors``, anything else a ``_Literal``."""
    tg = _tg()
    spec = []
    for a in args:
        if isinstance(a, tg.Tensor):
            tensors.append(a)
            spec.append(len(tensors) - 1)
        else:
            spec.append(_Literal(a))
    return spec


def _fresh_leaves(tensors):
    """Detached stand-ins for ``tensors`` that need gradients exactly when the originals do."""
    return [t.detach().requires_grad_(t.requires_grad) for t in tensors]


def _replay_class():
    cls = globals().get("_REPLAY")
    if cls is not None:
        return cls
    from tensorgraft.autograd import Function

    class CheckpointFunction(Function):
        @staticmethod
        def forward(ctx, plan, *tensors):
            ctx.plan = plan
            ctx.save_for_backward(*tensors)
            tg = _tg()
            with tg.no_grad():
                result = plan.call(list(tensors[:plan.n_args]))
            outs = []
            plan.out_spec = _flatten(result, outs)
            return tuple(outs)

        @staticmethod
        def backward(ctx, *grads):
            tg = _tg()
            plan = ctx.plan
            saved = ctx.saved_tensors
            inputs = _fresh_leaves(saved[:plan.n_args])
            with plan.ambient, tg.enable_grad():
                outs = []
                _flatten(plan.call(inputs), outs)
            pairs = [(o, g) for o, g in zip(outs, grads) if o.requires_grad and g is not None]
            if not pairs:
                raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
            tg.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
            return (None, *[x.grad if x.requires_grad else None for x in inputs])

    globals()["_REPLAY"] = CheckpointFunction
    return CheckpointFunction


def __getattr__(name):
    if name == "CheckpointFunction":
        return _replay_class()
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


# --------------------------------------------------------------------------- public API
def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               early_stop=True, **kwargs):
    """Run ``function(*args)`` without keeping its intermediate results; recompute them in backward."""
    if use_reentrant is None:
        warnings.warn(_REENTRANT_DEFAULT_WARNING, stacklevel=2)
        use_reentrant = True
    keep_rng = kwargs.pop("preserve_rng_state", True)
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        if context_fn is not None or debug:
            raise ValueError("Passing `context_fn` or `debug` is only supported when use_reentrant=False.")
        return _run_reentrant(function, args, keep_rng)
    if determinism_check not in _DETERMINISM_CHOICES:
        raise ValueError(f"determinism_check should be one of {_DETERMINISM_CHOICES}, but got {determinism_check}")
    return _run_non_reentrant(function, args, kwargs, keep_rng, context_fn, early_stop, determinism_check)


def _run_reentrant(function, args, keep_rng):
    tg = _tg()
    plan = _Plan(function, args, {}, keep_rng)
    if not any(t.requires_grad for t in plan.arg_tensors):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    outs = _replay_class().apply(plan, *plan.arg_tensors)
    if isinstance(outs, tg.Tensor):
        outs = (outs,)
    return _rebuild(plan.out_spec, list(outs))


class _StopRecomputation(Exception):
    """Raised inside the re-run function once every saved tensor is back (early stop)."""


def _metadata(t):
    return {"shape": t.shape, "dtype": t.dtype, "device": t.device}


class _Holder:
    """What a graph node keeps instead of a tensor it saved inside a non-reentrant checkpoint."""

    __slots__ = ("frame", "index")

    def __init__(self, frame, index):
        self.frame = frame
        self.index = index


def _keep_args(args):
    """The call's arguments, kept for the recomputation. Under saved-tensor hooks of the caller,
    each tensor argument goes through them as a tensor saved for backward would (PyTorch keeps
    the inputs that way): packed now, unpacked when the recomputation needs it."""
    from tensorgraft.autograd import saved_hooks
    tg = _tg()
    if not saved_hooks.in_force or not any(isinstance(a, tg.Tensor) for a in args):
        return args
    with saved_hooks._innermost_pair() as (pack, unpack):
        return [_PackedArg(unpack, pack(a)) if isinstance(a, tg.Tensor) else a for a in args]


class _PackedArg:
    __slots__ = ("unpack", "packed")

    def __init__(self, unpack, packed):
        self.unpack = unpack
        self.packed = packed


def _restore_args(args):
    from tensorgraft.autograd.saved_hooks import checked_unpack
    return [checked_unpack(a.unpack, a.packed) if isinstance(a, _PackedArg) else a for a in args]


class _Frame:
    """One non-reentrant checkpointed call: how to run it again, and the metadata of the tensors
    its forward saved, in saving order (the recomputation is matched to them by position)."""

    def __init__(self, function, args, kwargs, keep_rng, recompute_ctx, early_stop, determinism_check):
        tg = _tg()
        self.function = function
        self.args = _keep_args(args)
        self.kwargs = kwargs
        self.ambient = _Ambient([a for a in args if isinstance(a, tg.Tensor)], keep_rng)
        self.recompute_ctx = recompute_ctx
        self.early_stop = early_stop
        self.check = determinism_check != "none"
        self.saved_meta = []
        self.recomputed = {}

    # forward: a numbered placeholder per saved tensor
    def pack(self, t):
        self.saved_meta.append(_metadata(t))
        return _Holder(self, len(self.saved_meta) - 1)

    @staticmethod
    def unpack(holder):
        frame = holder.frame
        if holder.index not in frame.recomputed:
            frame.recompute()
        # handed out once: a second backward (retain_graph=True) recomputes again, as PyTorch does
        return frame.recomputed.pop(holder.index)

    def recompute(self):
        tg = _tg()
        from tensorgraft.autograd.graph import saved_tensors_hooks
        got = []
        wanted = len(self.saved_meta)
        early_stop = self.early_stop if _early_stop_override is None else _early_stop_override

        def pack(t):
            # kept with its history: a backward with create_graph=True differentiates through
            # the recomputed graph (leaves such as parameters stay themselves)
            got.append(t)
            if early_stop and len(got) == wanted:
                raise _StopRecomputation
            return len(got) - 1

        # the original arguments themselves: what is recomputed hangs off their history, so a
        # create_graph backward differentiates through to them
        args = _restore_args(self.args)
        ctx = self.recompute_ctx
        try:
            with self.ambient, tg.enable_grad(), saved_tensors_hooks(pack, lambda i: got[i]):
                if ctx is not None:
                    with ctx:
                        self.function(*args, **self.kwargs)
                else:
                    self.function(*args, **self.kwargs)
        except _StopRecomputation:
            pass
        self._check(got)
        self.recomputed = dict(enumerate(got[:wanted]))

    def _check(self, got):
        if not self.check:
            return
        if len(got) != len(self.saved_meta):
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the original forward and "
                f"recomputation.\nNumber of tensors saved during forward: {len(self.saved_meta)}\nNumber of tensors "
                f"saved during recomputation: {len(got)}" + _CHECKPOINT_TIP)
        lines = []
        for i, (meta, t) in enumerate(zip(self.saved_meta, got)):
            now = _metadata(t)
            if now != meta:
                lines.append(f"tensor at position {i}:\nsaved metadata: {meta}\nrecomputed metadata: {now}\n")
        if lines:
            raise CheckpointError("torch.utils.checkpoint: Recomputed values for the following tensors have "
                                  "different metadata than during the forward pass.\n" + "".join(lines) + _CHECKPOINT_TIP)


def _run_non_reentrant(function, args, kwargs, keep_rng, context_fn, early_stop, determinism_check):
    from tensorgraft.autograd.graph import saved_tensors_hooks
    forward_ctx, recompute_ctx = context_fn() if context_fn is not None else (None, None)
    frame = _Frame(function, args, kwargs, keep_rng, recompute_ctx, early_stop, determinism_check)
    # nodes recorded inside keep placeholders; the graph itself is the function's own
    with saved_tensors_hooks(frame.pack, _Frame.unpack):
        if forward_ctx is not None:
            with forward_ctx:
                return function(*args, **kwargs)
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Split ``functions`` (a Sequential or a list of modules) into ``segments`` runs; checkpoint
    every run but the last."""
    if use_reentrant is None:
        warnings.warn(_SEQUENTIAL_DEFAULT_WARNING, stacklevel=2)
        use_reentrant = True
    keep_rng = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    tg = _tg()
    if isinstance(functions, tg.nn.Sequential):
        functions = list(functions.children())
    else:
        functions = list(functions)

    def chain(lo, hi):
        def run(x):
            for f in functions[lo:hi]:
                x = f(x)
            return x
        return run

    per = len(functions) // segments
    stop = 0
    for lo in range(0, per * (segments - 1), per):
        stop = lo + per
        input = checkpoint(chain(lo, stop), input, use_reentrant=use_reentrant, preserve_rng_state=keep_rng)
    return chain(stop, len(functions))(input)
