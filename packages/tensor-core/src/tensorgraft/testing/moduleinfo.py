"""Run PyTorch's ModuleInfo database on tensorgraft: the same modules, weights and inputs in both.

PyTorch describes ~110 of its ``nn`` modules in ``torch.testing._internal.common_modules``
(``module_db``): for each, a generator of ``ModuleInput`` samples — constructor arguments walking
the module's options and forward arguments walking its input shapes. :func:`check_module` builds
every sample's module in PyTorch and its counterpart ``tensorgraft.nn.<Name>`` (arguments converted
value for value), copies PyTorch's ``state_dict`` into tensorgraft's (names must match: a missing or
unexpected key is itself a difference), runs both forwards on the same inputs and compares the
outputs' dtypes, shapes and values, the state after the forward (a batch norm's running statistics,
say), and the gradients of a fixed random projection of the outputs with respect to every input
that requires grad and every parameter (matched by name). Both libraries are seeded alike before
construction and before the forward. The database is read from the installed PyTorch at test time
(it needs PyTorch's test dependency ``expecttest``); nothing of it is copied into tensorgraft.

    from tensorgraft.testing.moduleinfo import check_module, module_database, module_key
    for info in module_database():
        print(module_key(info), check_module(info, "float32", training=True))

A check returns ``("same", "")``, ``("different", what)`` — the first differing sample, named —
or ``("skipped", why)``. Pass ``training=False`` for eval mode; PyTorch marks the modules whose
modes differ with ``train_and_eval_differ``. Modules whose outputs are random draws are compared
by dtype and shape only. Conversion and comparison are :mod:`tensorgraft.testing.opinfo`'s.
"""
from __future__ import annotations

import functools
import inspect
import sys

from tensorgraft.testing.opinfo_derivatives import _differentiable, _projection, _second_order
from tensorgraft.testing.torch_values import Unconvertible, _compare, _leaves, to_tensorgraft

__all__ = ["module_database", "module_key", "tensorgraft_module_class", "check_module", "check_module_errors"]

# modules whose outputs are random draws in training mode: dtype and shape are compared
RANDOM_IN_TRAINING = frozenset({
    "nn.Dropout", "nn.Dropout1d", "nn.Dropout2d", "nn.Dropout3d", "nn.AlphaDropout", "nn.FeatureAlphaDropout",
    "nn.RReLU",
})

# real dtypes whose value differences are refereed by PyTorch's float64 result (see _Referee)
_REFEREED = frozenset({"float32", "float16", "bfloat16"})


def module_database():
    """PyTorch's ``module_db`` (importing it takes a few seconds)."""
    from torch.testing._internal.common_modules import module_db
    return module_db


def module_key(info) -> str:
    """``nn.Linear``: the ModuleInfo's name, unique within the database."""
    return info.name


def tensorgraft_module_class(torch_cls):
    """tensorgraft's class at PyTorch's ``torch.nn.<Name>`` (AttributeError when it lacks one)."""
    import tensorgraft.nn
    return getattr(tensorgraft.nn, torch_cls.__name__)


def _constructor_recorder(records):
    """A profile function noting the arguments each ``torch.nn.Module`` was constructed with (its
    most derived ``__init__``'s), so a module passed to another's constructor (the layer a
    ``TransformerEncoder`` clones) can be rebuilt in tensorgraft."""
    import torch

    def profile(frame, event, arg):
        if event != "call" or frame.f_code.co_name != "__init__":
            return
        self = frame.f_locals.get("self")
        if (isinstance(self, torch.nn.Module) and id(self) not in records
                and getattr(type(self).__init__, "__code__", None) is frame.f_code):
            names, varargs, varkw, values = inspect.getargvalues(frame)
            kwargs = {n: values[n] for n in names[1:]}
            kwargs.update(values[varkw] if varkw else {})
            records[id(self)] = (self, tuple(values[varargs]) if varargs else (), kwargs)
    return profile


def _samples(info, dtype, training):
    """The ModuleInputs and, where a constructor takes a module, how each module was built."""
    import torch
    samples = list(info.module_inputs_func(info, device="cpu", dtype=dtype, requires_grad=True, training=training))
    takes_module = any(isinstance(v, torch.nn.Module) for s in samples
                       for v in _leaves((s.constructor_input.args, s.constructor_input.kwargs), []))
    records = {}
    if takes_module:  # generate again, watching constructors (profiling costs, so only when needed)
        previous = sys.getprofile()  # (a profiler or coverage tool may have set one)
        sys.setprofile(_constructor_recorder(records))
        try:
            samples = list(info.module_inputs_func(info, device="cpu", dtype=dtype, requires_grad=True,
                                                   training=training))
        finally:
            sys.setprofile(previous)
    return samples, records


def _converted(value, records, memo):
    """``to_tensorgraft`` that also rebuilds PyTorch modules (from their recorded arguments) with
    PyTorch's weights, and converts a tensor passed twice (KLDivLoss's ``(x, x)``) to one tensor, so
    its gradient sums both uses as PyTorch's does."""
    import torch
    if isinstance(value, torch.Tensor):
        if id(value) not in memo:
            memo[id(value)] = (value, to_tensorgraft(value))
        return memo[id(value)][1]
    if isinstance(value, torch.nn.Module):
        if id(value) not in records:
            raise Unconvertible(f"a torch.nn.Module ({type(value).__name__}) built outside the sample generator")
        _, args, kwargs = records[id(value)]
        try:
            cls = tensorgraft_module_class(type(value))
        except AttributeError:
            raise Unconvertible(f"tensorgraft has no nn.{type(value).__name__}") from None
        module = cls(*_converted(args, records, memo), **_converted(kwargs, records, memo))
        module.load_state_dict(to_tensorgraft(dict(value.state_dict())))
        return module
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_converted(v, records, memo) for v in value)
    if isinstance(value, dict):
        return {k: _converted(v, records, memo) for k, v in value.items()}
    return to_tensorgraft(value)


def _failure(exc, where, desc):
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return ("different", f"{where}: {type(exc).__name__}: {text} ({desc})")


def _gradients(lib, outs, wrt, order):
    """First gradients of a fixed projection of ``outs`` (one per tensor of ``wrt``), or with
    ``order=2`` second gradients (``opinfo_derivatives._second_order``: one per tensor of ``wrt``, then one per
    output for its incoming gradient)."""
    if order == 2:
        return _second_order(lib, outs, wrt)
    return lib.autograd.grad(_projection(outs, lib), wrt, allow_unused=True)


def _torch_side(info, sample, dtype, training, state=None, order=1):
    """PyTorch's module, state before and after the forward, outputs, and gradients by label (None:
    PyTorch refuses). With ``state``, the module gets it and the floating inputs are cast to ``dtype``
    (the float64 referee of a float32 check)."""
    import torch
    ctor, fwd = sample.constructor_input, sample.forward_input
    args, kwargs = fwd.args, fwd.kwargs
    if state is not None:
        memo = {}

        def cast(t):
            if id(t) not in memo:
                c = t.detach().to(dtype) if t.is_floating_point() else t.detach()
                memo[id(t)] = (t, c.requires_grad_(t.requires_grad))
            return memo[id(t)][1]
        args, kwargs = _mapped((args, kwargs), torch.Tensor, cast)
    try:
        torch.manual_seed(0)
        module = info.module_cls(*ctor.args, **ctor.kwargs).to(dtype)
        module.train(training)
        if info.is_lazy:  # materialise the parameters first, so there is a state to copy
            with torch.no_grad():
                module(*args, **kwargs)
        if state is not None:
            module.load_state_dict({k: v.to(dtype) if v.is_floating_point() else v for k, v in state.items()})
        before = {k: v.clone() for k, v in module.state_dict().items()}
        torch.manual_seed(0)
        out = module(*args, **kwargs)
    except Exception:  # noqa: BLE001 - a sample PyTorch itself refuses tells nothing
        return None
    inputs = [t for t in _leaves((args, kwargs), []) if isinstance(t, torch.Tensor) and t.requires_grad]
    params = dict(module.named_parameters())
    grads = None
    outs = _differentiable(out, torch)
    if outs and (inputs or params):
        try:
            found = _gradients(torch, outs, [*inputs, *params.values()], order)
            grads = dict(zip(_grad_labels(len(inputs), params, len(outs) if order == 2 else 0), found))
        except Exception:  # noqa: BLE001 - e.g. an output that does not depend on anything differentiable
            grads = None
    return module, before, out, grads, len(inputs), list(params)


def _mapped(value, kind, fn):
    if isinstance(value, kind):
        return fn(value)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_mapped(v, kind, fn) for v in value)
    if isinstance(value, dict):
        return {k: _mapped(v, kind, fn) for k, v in value.items()}
    return value


def _grad_labels(n_inputs, names, n_incoming=0):
    return ([f"input {i}" for i in range(n_inputs)] + [f"parameter {n!r}" for n in names]
            + [f"the incoming gradient of output {i}" for i in range(n_incoming)])


class _Referee:
    """PyTorch in float64 with the same weights and inputs: a float32 (or half) result that misses
    PyTorch's is still right when it is about as close to the float64 one as PyTorch's is
    (``torch_values._as_accurate``: ill-conditioned samples — a layer norm of nearly equal values —
    round differently in any two correct implementations)."""

    def __init__(self, info, sample, training, state):
        self.args = (info, sample, training, state)
        self.result = False

    def truth(self, label):
        import torch
        if self.result is False:
            self.result = _torch_side(*self.args[:2], torch.float64, self.args[2], self.args[3])
        if self.result is None:
            return None
        module, _, out, grads, _, _ = self.result
        if label == "forward":
            return out
        if label.startswith("state "):
            return module.state_dict().get(label[6:])
        return (grads or {}).get(label[12:])


def _check_sample(info, sample, dtype_name, training, records, values, order=1):
    """None when the sample agrees, a ("different", what) verdict otherwise, "skip" when it cannot run."""
    import torch

    import tensorgraft
    desc = sample.desc or "default"
    ctor, fwd = sample.constructor_input, sample.forward_input
    if fwd is None:
        return "skip"
    try:  # convert before PyTorch runs: an in-place module would change the inputs
        args, kwargs = _converted((ctor.args, ctor.kwargs), records, {})
        fargs, fkwargs = _converted((fwd.args, fwd.kwargs), records, {})
    except Unconvertible:
        return "skip"
    theirs = _torch_side(info, sample, getattr(torch, dtype_name), training, order=order)
    if theirs is None:
        return "skip"
    module, state, expected, grads, n_inputs, names = theirs
    referee = _Referee(info, sample, training, state) if dtype_name in _REFEREED and values and order == 1 else None

    def differs(label, e, a):
        why = _compare(e, a, values, None if referee is None else functools.partial(referee.truth, label))
        return why and ("different", f"{label}: {why} ({desc})")

    try:
        tensorgraft.manual_seed(0)
        mine = tensorgraft_module_class(info.module_cls)(*args, **kwargs).to(getattr(tensorgraft, dtype_name))
        mine.train(training)
        if info.is_lazy:
            with tensorgraft.no_grad():
                mine(*fargs, **fkwargs)
    except Exception as exc:  # noqa: BLE001 - the failure is the finding
        return _failure(exc, "construction", desc)
    try:
        mine.load_state_dict(to_tensorgraft(state))
    except Exception as exc:  # noqa: BLE001 - differing state names are a finding
        return _failure(exc, "load_state_dict", desc)
    try:
        tensorgraft.manual_seed(0)
        actual = mine(*fargs, **fkwargs)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc, "forward", desc)
    verdict = differs("forward", expected, actual)
    if verdict:
        return verdict
    after, mine_after = module.state_dict(), mine.state_dict()
    for name, value in after.items():  # running statistics and the like, updated by the forward
        if name not in mine_after:
            return ("different", f"state {name!r} missing after the forward ({desc})")
        verdict = differs(f"state {name}", value, mine_after[name])
        if verdict:
            return verdict
    if grads is None:
        return None
    ours_in = [t for t in _leaves((fargs, fkwargs), []) if isinstance(t, tensorgraft.Tensor) and t.requires_grad]
    params = dict(mine.named_parameters())
    if len(ours_in) != n_inputs or set(params) != set(names):
        return ("different", f"parameters {sorted(params)}, PyTorch {sorted(names)} ({desc})")
    try:
        outs = _differentiable(actual, tensorgraft)
        if not outs:
            return ("different", f"no differentiable output, PyTorch has one ({desc})")
        if order == 2 and len(outs) != len(grads) - n_inputs - len(names):
            return ("different", f"{len(outs)} differentiable outputs, PyTorch "
                                 f"{len(grads) - n_inputs - len(names)} ({desc})")
        ours = _gradients(tensorgraft, outs, [*ours_in, *(params[n] for n in names)], order)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc, "backward" if order == 1 else "second backward", desc)
    refs = [*ours_in, *(params[n] for n in names), *(o.real if o.is_complex() else o for o in outs[:len(ours)])]
    kind = "gradient" if order == 1 else "second gradient"
    for label, a, ref in zip(_grad_labels(n_inputs, names, len(outs) if order == 2 else 0), ours, refs):
        e = grads[label]
        if e is None and a is None:
            continue
        e = torch.zeros(tuple(ref.shape), dtype=getattr(torch, dtype_name)) if e is None else e
        a = tensorgraft.zeros_like(ref) if a is None else a
        verdict = differs(f"{kind} of {label}", e, a)
        if verdict:
            return verdict
    return None


def check_module(info, dtype_name: str = "float32", training: bool = True, max_samples: int | None = None,
                 order: int = 1):
    """Every sample of the ModuleInfo ``info`` in ``dtype_name``, in training or eval mode, through
    both libraries: the verdict. ``max_samples`` keeps that many, evenly spaced (LinearCrossEntropyLoss
    has ~850 samples, most modules under 50). ``order=2`` compares second-order gradients instead
    (those of a projection of the first gradients, taken with ``create_graph=True``, with respect to
    the inputs, the parameters and the incoming gradient) for the modules PyTorch marks
    ``supports_gradgrad``."""
    import torch
    if order == 2 and not info.supports_gradgrad:
        return ("skipped", f"PyTorch does not support second-order gradients of {info.name}")
    dtype = getattr(torch, dtype_name)
    if dtype not in info.supported_dtypes("cpu"):
        return ("skipped", f"PyTorch's {info.name} is not tested in {dtype_name} on the CPU")
    try:
        tensorgraft_module_class(info.module_cls)
    except AttributeError:
        return ("different", f"tensorgraft has no {info.name}")
    values = not (training and info.name in RANDOM_IN_TRAINING)
    samples, records = _samples(info, dtype, training)
    if max_samples is not None and len(samples) > max_samples:
        samples = [samples[i * len(samples) // max_samples] for i in range(max_samples)]
    compared = 0
    for sample in samples:
        verdict = _check_sample(info, sample, dtype_name, training, records, values, order)
        if verdict == "skip":
            continue
        compared += 1
        if verdict is not None:
            return verdict
    return ("same", "") if compared else ("skipped", "no sample ran in PyTorch with convertible inputs")


def _raised(cls, args, kwargs, fargs, fkwargs, step):
    """The exception building ``cls`` (and, for a forward error, calling it) raises, or None. The
    module is used as built, with no dtype conversion: PyTorch's own test does the same, and a
    conversion would mend a deliberately mismatched buffer (NLLLoss's float16 weight)."""
    try:
        module = cls(*args, **kwargs)
        if step == "forward":
            module(*fargs, **fkwargs)
    except Exception as exc:  # noqa: BLE001 - the exception is what is compared
        return exc
    return None


def _raises(torch_cls, args, kwargs, fwd, step, error):
    import re
    fargs, fkwargs = (fwd.args, fwd.kwargs) if fwd is not None else ((), {})
    exc = _raised(torch_cls, args, kwargs, fargs, fkwargs, step)
    return isinstance(exc, error.error_type) and re.search(error.error_regex, str(exc)) is not None


def check_module_errors(info, dtype_name: str = "float32"):
    """The ModuleInfo's error samples (``module_error_inputs_func``: bad constructor arguments or
    forward inputs) in tensorgraft: each must raise PyTorch's exception type with a message matching
    PyTorch's pattern, at the same step (construction or forward). The verdict, as check_module's."""
    import re

    import torch
    from torch.testing._internal.common_modules import ModuleErrorEnum
    if info.module_error_inputs_func is None:
        return ("skipped", f"PyTorch lists no error inputs for {info.name}")
    try:
        cls = tensorgraft_module_class(info.module_cls)
    except AttributeError:
        return ("different", f"tensorgraft has no {info.name}")
    errors = list(info.module_error_inputs_func(info, device="cpu", dtype=getattr(torch, dtype_name),
                                                requires_grad=False, training=True))
    compared = 0
    for error in errors:
        sample = error.module_error_input
        ctor, fwd = sample.constructor_input, sample.forward_input
        try:
            args, kwargs = _converted((ctor.args, ctor.kwargs), {}, {})
            fargs, fkwargs = _converted((fwd.args, fwd.kwargs), {}, {}) if fwd is not None else ((), {})
        except Unconvertible:
            continue
        step = "construction" if error.error_on == ModuleErrorEnum.CONSTRUCTION_ERROR else "forward"
        if not _raises(info.module_cls, ctor.args, ctor.kwargs, fwd, step, error):
            continue  # PyTorch itself does not raise as its database says: nothing to compare with
        compared += 1
        raised = _raised(cls, args, kwargs, fargs, fkwargs, step)
        want = f"{error.error_type.__name__} matching {error.error_regex!r} at {step} ({sample.desc or 'default'})"
        if raised is None:
            return ("different", f"nothing raised; PyTorch raises {want}")
        text = str(raised)
        if not isinstance(raised, error.error_type) or not re.search(error.error_regex, text):
            return ("different", f"{type(raised).__name__}: {text.splitlines()[0][:160] if text else ''}; "
                                 f"PyTorch raises {want}")
    return ("same", "") if compared else ("skipped", "no error sample converts")
