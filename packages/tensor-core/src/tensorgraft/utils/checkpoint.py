"""``torch.utils.checkpoint``: trade compute for memory.

A checkpointed call keeps its inputs (and the random-number state it started from) instead of the
intermediate results of ``function``; when gradients are needed the call is run again, with
gradients on, and backpropagated through.

Both variants go through one autograd Function, ``_Replay``, whose node stands for the whole call:

* ``use_reentrant=True``: the forward runs under ``no_grad``; the backward re-runs the function
  and calls ``backward`` on the recomputed outputs, so parameters the function closes over collect
  their ``.grad`` from inside that nested backward.
* ``use_reentrant=False``: the forward runs with gradients on, only long enough to find the leaf
  tensors the function reads besides its arguments (module parameters, captured tensors); that
  graph is dropped at once and those leaves become extra inputs of the node, so ``autograd.grad``
  and outputs of inputs that need no gradient work as usual.
"""
from __future__ import annotations

import warnings

__all__ = ["checkpoint", "checkpoint_sequential"]

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
    """Everything the node needs besides its tensor inputs: how to call the function again."""

    def __init__(self, function, args, kwargs, keep_rng, reentrant):
        self.function = function
        self.kwargs = kwargs
        self.reentrant = reentrant
        self.arg_tensors = []
        self.arg_spec = _flatten_args(args, self.arg_tensors)
        self.n_args = len(self.arg_tensors)
        self.ambient = _Ambient(self.arg_tensors, keep_rng)
        self.out_spec = None
        self.captured = ()
        self.precomputed = None

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


def _leaves_read_by(outputs, stop):
    """Leaf tensors requiring grad that ``outputs`` were computed from, except those in ``stop``."""
    from tensorgraft.autograd.engine import AccumulateGrad
    stop_ids = {id(t) for t in stop}
    seen, found, todo = set(), [], [t.grad_fn for t in outputs if t.grad_fn is not None]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            v = node.variable
            if id(v) not in stop_ids:
                found.append(v)
            continue
        todo.extend(nxt for nxt, _ in node.next_functions)
    return found


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
            if plan.precomputed is not None:
                outs, plan.precomputed = plan.precomputed, None
                return tuple(outs)
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
            if plan.reentrant:
                if not pairs:
                    raise RuntimeError("none of output has requires_grad=True, this checkpoint() is not necessary")
                tg.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
                return (None, *[x.grad if x.requires_grad else None for x in inputs])
            wanted = [x for x in inputs if x.requires_grad] + list(saved[plan.n_args:])
            found = [None] * len(wanted)
            if pairs and wanted:
                found = list(tg.autograd.grad([o for o, _ in pairs], wanted, [g for _, g in pairs],
                                              allow_unused=True))
            it = iter(found)
            arg_grads = [next(it) if x.requires_grad else None for x in inputs]
            return (None, *arg_grads, *it)

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
    return _run_non_reentrant(function, args, kwargs, keep_rng, context_fn)


def _run_reentrant(function, args, keep_rng):
    tg = _tg()
    plan = _Plan(function, args, {}, keep_rng, reentrant=True)
    if not any(t.requires_grad for t in plan.arg_tensors):
        warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=3)
    outs = _replay_class().apply(plan, *plan.arg_tensors)
    if isinstance(outs, tg.Tensor):
        outs = (outs,)
    return _rebuild(plan.out_spec, list(outs))


def _run_non_reentrant(function, args, kwargs, keep_rng, context_fn):
    tg = _tg()
    if context_fn is not None:
        forward_ctx, _ = context_fn()
    else:
        forward_ctx = None
    if not tg.is_grad_enabled():
        return function(*args, **kwargs)
    plan = _Plan(function, args, kwargs, keep_rng, reentrant=False)
    stand_ins = _fresh_leaves(plan.arg_tensors)
    if forward_ctx is not None:
        with forward_ctx:
            result = plan.call(stand_ins)
    else:
        result = plan.call(stand_ins)
    outs = []
    plan.out_spec = _flatten(result, outs)
    by_id = {id(s): orig for s, orig in zip(stand_ins, plan.arg_tensors)}
    if all(id(o) in by_id for o in outs):  # the function only passed its arguments through
        return _rebuild(plan.out_spec, [by_id[id(o)] for o in outs])
    plan.captured = tuple(_leaves_read_by(outs, stand_ins))
    if not outs or not any(o.requires_grad for o in outs):
        return result
    plan.precomputed = [o.detach() for o in outs]
    del result, outs, stand_ins
    new = _replay_class().apply(plan, *plan.arg_tensors, *plan.captured)
    if isinstance(new, tg.Tensor):
        new = (new,)
    return _rebuild(plan.out_spec, list(new))


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
