"""Run PyTorch's older ``nn`` test database on tensorgraft: the test dictionaries of
``torch.testing._internal.common_nn``.

Before ModuleInfo, PyTorch described its modules as dictionaries (``module_tests``,
``get_new_module_tests()``, ``criterion_tests``), and ``test_nn.py`` still runs ~280 of them: each
names a module (``module_name='Conv2d'``), a constructor (``lambda: nn.Conv1d(4, 5, 3, padding="same")``)
or a functional wrapped as a module (``wrap_functional(lambda i: F.poisson_nll_loss(i, t, ...))``),
with its constructor arguments and an input (a size, a function or a value), a target for losses,
the default dtype to build it in, and flags (``check_gradgrad``, ``pickle``). Many walk options
ModuleInfo does not (padding modes, ``no_batch_dim`` inputs, the losses' ``reduction='none'`` forms,
``F.interpolate``'s modes and scales).

:func:`check_nn_test` builds each dictionary's module in PyTorch and in tensorgraft (PyTorch's test
lambdas rebound so ``torch``, ``nn`` and ``F`` mean tensorgraft's, tensors they close over converted,
PyTorch's ``state_dict`` copied in by name), runs both on the same input (and target), and compares
what PyTorch's own test checks of each:

- the output (dtype, shape, values);
- the gradients of a fixed random projection of the output with respect to the input and every
  parameter; with ``order=2`` the second-order gradients, where the dictionary asks for ``check_gradgrad``;
- ``repr(module)`` against PyTorch's;
- the same output and gradients for a non-contiguous copy of the input (its stride doubled);
- ``module.float()`` on float32 input, then ``module.double()`` again: output dtypes and values;
- a module saved whole with ``tensorgraft.save`` and loaded back (``pickle``): the same output.

    from tensorgraft.testing.nn_test_dicts import check_nn_test, nn_test_database, nn_test_key
    for kind, test in nn_test_database():
        print(nn_test_key(test), check_nn_test(kind, test))

A check returns ``("same", "")``, ``("different", what)`` or ``("skipped", why)``, as
:mod:`tensorgraft.testing.moduleinfo`'s, whose conversion and comparison it uses. The database is
read from the installed PyTorch (it needs PyTorch's test dependency ``expecttest``).
"""
from __future__ import annotations

import contextlib
import io
import types

from tensorgraft.testing.moduleinfo import _converted, _failure, _gradients, _grad_labels
from tensorgraft.testing.as_tensorgraft import _counterpart_function, _rebound
from tensorgraft.testing.opinfo_derivatives import _differentiable
from tensorgraft.testing.torch_values import Unconvertible, _compare, _leaves, to_tensorgraft

__all__ = ["nn_test_database", "nn_test_key", "check_nn_test"]

# modules whose outputs are random draws: their dtypes and shapes are compared, not their values
RANDOM_OUTPUTS = frozenset({"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
                            "FeatureAlphaDropout", "RReLU"})


def nn_test_database():
    """``[(kind, test)]``: kind "module" for ``module_tests`` and ``get_new_module_tests()`` (run by
    PyTorch as ``NewModuleTest``), "criterion" for ``criterion_tests`` (``CriterionTest``). The
    dictionaries close over tensors drawn when they are made: PyTorch's generator is seeded first,
    so every call gives the same values."""
    import torch
    from torch.testing._internal import common_nn
    state = torch.random.get_rng_state()
    torch.manual_seed(0)
    try:
        modules = common_nn.module_tests + common_nn.get_new_module_tests()
    finally:
        torch.random.set_rng_state(state)
    return [("module", t) for t in modules] + [("criterion", t) for t in common_nn.criterion_tests]


def nn_test_key(test) -> str:
    """The dictionary's name in PyTorch's test_nn (``test_<name>``, less the ``test_``)."""
    if test.get("fullname"):
        return test["fullname"]
    name = test.get("module_name") or test["constructor"].__name__
    return name + (f"_{test['desc']}" if test.get("desc") else "")


def _torch_constructor(test):
    import torch
    return test.get("constructor") or getattr(torch.nn, test["module_name"])


def _module_name(test) -> str:
    ctor = test.get("constructor")
    return test.get("module_name") or getattr(ctor, "__name__", "")


def _tensorgraft_constructor(test):
    """tensorgraft's counterpart of the dictionary's constructor: its ``nn`` class, PyTorch's test
    lambda rebound, or a functional module around tensorgraft's function."""
    import torch

    import tensorgraft.nn
    ctor = _torch_constructor(test)
    if isinstance(ctor, type) and ctor.__qualname__.endswith("wrap_functional.<locals>.FunctionalModule"):
        cells = dict(zip(ctor.forward.__code__.co_freevars, (c.cell_contents for c in ctor.forward.__closure__)))
        fn, kwargs = _counterpart_function(cells["fn"]), to_tensorgraft(cells["kwargs"])

        class FunctionalModule(tensorgraft.nn.Module):  # (PyTorch's class name: the repr is compared)
            def forward(self, *args):
                return fn(*args, **kwargs)
        return FunctionalModule
    if isinstance(ctor, type) and issubclass(ctor, torch.nn.Module):
        if not ctor.__module__.startswith("torch.nn"):
            raise Unconvertible(f"{ctor.__qualname__} is not a torch.nn module")
        try:
            return getattr(tensorgraft.nn, ctor.__name__)
        except AttributeError:
            raise Unconvertible(f"tensorgraft has no nn.{ctor.__name__}") from None
    if isinstance(ctor, types.FunctionType):
        return _rebound(ctor)
    raise Unconvertible(f"constructor {ctor!r}")


def _argument(test, name, requires_grad):
    """PyTorch's ``TestBase._get_arg``: the value under ``name``, the result of ``name_fn`` or a
    standard normal tensor of ``name_size``; floating tensors of the input require grad
    (``InputVariableMixin``)."""
    import torch
    if name in test:
        value = test[name]
    elif name + "_fn" in test:
        value = test[name + "_fn"]()
    elif name + "_size" in test:
        def drawn(sizes):
            if isinstance(sizes, list):
                return [drawn(s) for s in sizes]
            return sizes.double() if isinstance(sizes, torch.Tensor) else torch.randn(sizes)
        value = drawn(test[name + "_size"])
    else:
        return ()

    def marked(v):
        if isinstance(v, torch.Tensor):
            if requires_grad and (v.is_floating_point() or v.is_complex()):
                v.requires_grad = True
            return v
        return type(v)(marked(e) for e in v) if isinstance(v, (list, tuple)) else v
    return marked(value)


@contextlib.contextmanager
def _default_dtype(torch_dtype):
    import torch

    import tensorgraft
    before = torch.get_default_dtype(), tensorgraft.get_default_dtype()
    torch.set_default_dtype(torch_dtype)
    tensorgraft.set_default_dtype(to_tensorgraft(torch_dtype))
    try:
        yield
    finally:
        torch.set_default_dtype(before[0])
        tensorgraft.set_default_dtype(before[1])


def _run(lib, module, args, order):
    """(output, {label: gradient}) of ``module(*args)``: the gradients, of the given order, with
    respect to the floating arguments that require grad and the parameters (by name)."""
    lib.manual_seed(0)
    out = module(*args)
    inputs = [t for t in _leaves(args, []) if isinstance(t, lib.Tensor) and t.requires_grad]
    params = dict(module.named_parameters())
    outs = _differentiable(out, lib)
    grads = {}
    if outs and (inputs or params):
        found = _gradients(lib, outs, [*inputs, *params.values()], order)
        refs = [*inputs, *params.values(), *(o.real if o.is_complex() else o for o in outs)]
        for label, g, ref in zip(_grad_labels(len(inputs), params, len(outs) if order == 2 else 0), found, refs):
            grads[label] = lib.zeros_like(ref) if g is None else g
    return out, grads


def _strided(value, lib):
    """A non-contiguous copy (PyTorch's ``noncontiguize``: stacked with an empty tensor after the first
    dimension longer than 1, then that slice selected), keeping ``requires_grad``."""
    if isinstance(value, (list, tuple)):
        return type(value)(_strided(v, lib) for v in value)
    if not isinstance(value, lib.Tensor) or value.dim() == 0:
        return value
    dim = next((d + 1 for d in range(value.dim()) if value.shape[d] > 1), value.dim())
    copy_ = lib.stack([lib.empty_like(value), value.detach()], dim).select(dim, 1)
    return copy_.requires_grad_(value.requires_grad)


def _cast(value, lib, dtype):
    """Floating tensors of ``value`` as ``dtype``, as fresh leaves keeping ``requires_grad``."""
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(v, lib, dtype) for v in value)
    if isinstance(value, lib.Tensor) and value.is_floating_point():
        return value.detach().to(dtype).requires_grad_(value.requires_grad)
    return value


class _Case:
    """One dictionary: builds PyTorch's module (seeded, so every build is the same), its input, target
    and extra arguments, and tensorgraft's module with a given PyTorch state."""

    def __init__(self, kind, test):
        import torch
        self.kind, self.test = kind, test
        self.name = nn_test_key(test)
        self.default_dtype = test.get("default_dtype") or torch.float32
        self.values = _module_name(test) not in RANDOM_OUTPUTS

    def constructor_args(self):
        import torch
        torch.manual_seed(0)
        return _argument(self.test, "constructor_args", False)

    def torch_module(self, **kwargs):
        import torch
        args = self.constructor_args()
        torch.manual_seed(0)
        return _torch_constructor(self.test)(*args, **kwargs)

    def torch_arguments(self):
        """The forward's arguments in PyTorch: the input(s), and for a loss the target and any extra
        arguments; floating inputs require grad."""
        import torch
        torch.manual_seed(1)
        inputs = _argument(self.test, "input", True)
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        if self.kind == "module":
            return inputs
        return (*inputs, _argument(self.test, "target", False), *_argument(self.test, "extra_args", False))

    def tensorgraft_module(self, state, training=True, **kwargs):
        """tensorgraft's module from the converted constructor arguments, given PyTorch's state."""
        import tensorgraft
        args = to_tensorgraft(self.constructor_args())
        tensorgraft.manual_seed(0)
        module = _tensorgraft_constructor(self.test)(*args, **kwargs)
        module.train(training)
        module.load_state_dict(to_tensorgraft(state))
        return module


def _differs(label, expected, actual, values, desc):
    why = _compare(expected, actual, values)
    return why and ("different", f"{label}: {why} ({desc})")


def _compare_runs(expected, actual, values, desc, what=""):
    """None, or the first difference between two ``(output, gradients)`` of ``_run``."""
    (e_out, e_grads), (a_out, a_grads) = expected, actual
    verdict = _differs(f"{what}forward", e_out, a_out, values, desc)
    if verdict:
        return verdict
    if set(e_grads) != set(a_grads):
        return ("different", f"{what}gradients of {sorted(a_grads)}, PyTorch of {sorted(e_grads)} ({desc})")
    for label, e in e_grads.items():
        verdict = _differs(f"{what}gradient of {label}", e, a_grads[label], values, desc)
        if verdict:
            return verdict
    return None


def check_nn_test(kind: str, test, order: int = 1):
    """One dictionary of :func:`nn_test_database` through both libraries: the verdict. ``order=2``
    compares second-order gradients instead, where the dictionary's ``check_gradgrad`` asks for them."""
    import torch

    import tensorgraft
    case = _Case(kind, test)
    if order == 2 and not test.get("check_gradgrad", True):
        return ("skipped", f"PyTorch does not check second-order gradients of {case.name}")
    if order == 2 and test.get("check_forward_only"):
        return ("skipped", f"PyTorch checks only the forward of {case.name}")
    desc = case.name
    with _default_dtype(case.default_dtype):
        try:
            module = case.torch_module()
            state = {k: v.clone() for k, v in module.state_dict().items()}  # (before the forward updates it)
            torch_args = case.torch_arguments()
            ours_args = _converted(torch_args, {}, {})  # (before PyTorch runs: an in-place module writes its input)
            expected = _run(torch, module, torch_args, order)
        except Unconvertible as exc:
            return ("skipped", f"an argument has no tensorgraft counterpart: {exc}")
        except Exception as exc:  # noqa: BLE001 - a dictionary PyTorch itself fails tells nothing
            return ("skipped", f"PyTorch fails: {type(exc).__name__}: {str(exc)[:120]}")
        try:
            mine = case.tensorgraft_module(state, module.training)
        except Unconvertible as exc:
            return ("skipped", f"no tensorgraft counterpart: {exc}")
        except Exception as exc:  # noqa: BLE001 - the failure is the finding
            return _failure(exc, "construction", desc)
        if repr(mine) != repr(module):
            return ("different", f"repr {repr(mine)!r}, PyTorch {repr(module)!r} ({desc})")
        try:
            actual = _run(tensorgraft, mine, ours_args, order)
        except Exception as exc:  # noqa: BLE001
            return _failure(exc, "forward and backward" if order == 1 else "second backward", desc)
        verdict = _compare_runs(expected, actual, case.values, desc)
        if verdict is None and order == 1:
            verdict = (_noncontiguous(case, state, torch_args, actual)
                       or (_float_and_double(case, state, torch_args) if kind == "module" else None)
                       or (_saved_and_loaded(case, mine, torch_args, actual)
                           if test.get("pickle", True) and kind == "module" else None))
        return verdict or ("same", "")


def _noncontiguous(case, state, torch_args, contiguous):
    """PyTorch's ``test_noncontig``: a non-contiguous copy of each input gives the same output and
    gradients (tensorgraft against itself; skipped, as there, when an input is 0-d)."""
    import tensorgraft
    ours_args = _converted(torch_args, {}, {})
    if any(isinstance(t, tensorgraft.Tensor) and t.dim() == 0 for t in _leaves(ours_args, [])):
        return None
    try:
        strided = _run(tensorgraft, case.tensorgraft_module(state), _strided(ours_args, tensorgraft), 1)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc, "non-contiguous input", case.name)
    return _compare_runs(contiguous, strided, case.values, case.name, "non-contiguous input: ")


def _float_and_double(case, state, torch_args):
    """``module.float()`` on float32 inputs, then ``.double()`` on float64 ones, in both libraries."""
    import torch

    import tensorgraft
    steps = (("float", torch.float32, tensorgraft.float32), ("double", torch.float64, tensorgraft.float64))
    theirs, mine = case.torch_module(), case.tensorgraft_module(state)
    theirs.load_state_dict(state)
    for method, torch_dtype, dtype in steps:
        try:
            theirs = getattr(theirs, method)()
            expected = theirs(*_cast(torch_args, torch, torch_dtype))
        except Exception:  # noqa: BLE001 - PyTorch refuses: nothing to compare
            return None
        try:
            mine = getattr(mine, method)()
            actual = mine(*_cast(_converted(torch_args, {}, {}), tensorgraft, dtype))
        except Exception as exc:  # noqa: BLE001
            return _failure(exc, f"module.{method}()", case.name)
        for name, p in mine.named_parameters():
            if p.is_floating_point() and p.dtype is not dtype:
                return ("different", f"module.{method}(): parameter {name!r} is {p.dtype} ({case.name})")
        verdict = _differs(f"module.{method}() forward", expected, actual, case.values, case.name)
        if verdict:
            return verdict
    return None


def _saved_and_loaded(case, mine, torch_args, actual):
    """The module saved whole (pickled) and loaded back gives the same output and gradients."""
    import tensorgraft
    buffer = io.BytesIO()
    try:
        tensorgraft.save(mine, buffer)
        buffer.seek(0)
        loaded = tensorgraft.load(buffer, weights_only=False)
        again = _run(tensorgraft, loaded, _converted(torch_args, {}, {}), 1)
    except Exception as exc:  # noqa: BLE001
        return _failure(exc, "save and load", case.name)
    return _compare_runs(actual, again, case.values, case.name, "saved and loaded: ")
