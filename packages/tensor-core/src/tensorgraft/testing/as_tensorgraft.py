"""PyTorch's test code run with ``import tensorgraft as torch``.

Its callables (a lambda wrapping an op, a ``functools.partial``, an ``autograd.Function`` subclass,
an operator declared with ``torch.library.custom_op``) get tensorgraft counterparts:
:func:`_test_code_counterpart` rebinds a function's globals so ``torch`` means tensorgraft
(:func:`_rebound`), writes a Function class again on ``tensorgraft.autograd.Function``
(:func:`_twin`), and finds a custom op in the module that declared it, run again as below.

Some of PyTorch's test databases define what they test at module level: ``custom_op_db`` declares
its operators with ``@torch.library.custom_op`` and registers their fake, autograd and vmap rules
there. To run such a database on tensorgraft, :func:`module_as_tensorgraft` executes the module's
own source again — every ``torch`` import answered by tensorgraft's module of the same path, as
for a user who changed only the import line — except PyTorch's test machinery
(``torch.testing._internal``: OpInfo, SampleInput, the dtype lists), which stays PyTorch's, and
except the database list itself (PyTorch's OpInfos, kept by the caller to draw samples from).
"""
from __future__ import annotations

import ast
import builtins
import functools
import importlib
import inspect
import sys
import types

__all__ = ["module_as_tensorgraft"]

_RUN: dict = {}  # module name -> its namespace run as tensorgraft (each module runs once a process)


def _tensorgraft_import(name, globals=None, locals=None, fromlist=(), level=0):
    """``__import__`` with ``torch`` answered by tensorgraft (PyTorch's test machinery excepted)."""
    if level or not (name == "torch" or name.startswith("torch.")) or name.startswith("torch.testing._internal"):
        return builtins.__import__(name, globals, locals, fromlist, level)
    module = importlib.import_module("tensorgraft" + name[len("torch"):])  # ModuleNotFoundError: no counterpart
    return module if fromlist else sys.modules["tensorgraft"]


def _without_databases(tree: ast.Module) -> ast.Module:
    """The module's statements but the assignments of its database lists (``*_db = [...]``)."""
    def is_database(node):
        return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id.endswith("_db")
                                                    for t in node.targets)
    tree.body = [node for node in tree.body if not is_database(node)]
    return tree


def module_as_tensorgraft(name: str) -> dict:
    """The namespace of PyTorch's module ``name`` executed again with ``torch`` meaning tensorgraft
    (see the module docstring); run once per process, as an import would be."""
    namespace = _RUN.get(name)
    if namespace is None:
        module = importlib.import_module(name)
        source = inspect.getsource(module)
        code = compile(_without_databases(ast.parse(source)), module.__file__, "exec")
        namespace = {"__name__": f"tensorgraft_run.{name}", "__file__": module.__file__,
                     "__builtins__": {**vars(builtins), "__import__": _tensorgraft_import}}
        exec(code, namespace)  # noqa: S102 - PyTorch's own test module, the point of this function
        _RUN[name] = namespace
    return namespace


def _resolve(root, path):
    for part in path.split("."):
        root = getattr(root, part)
    return root


def _rebound(fn):
    """A function of PyTorch's test code (a lambda wrapping an op) with ``torch`` meaning tensorgraft
    (and ``F``, ``nn`` tensorgraft's where they are PyTorch's ``nn.functional`` and ``nn``; the
    ``torch.autograd.Function`` subclasses of its module their tensorgraft twins: :func:`_twin`)."""
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is not None and fn.__code__ is _once_differentiable_code():  # once_differentiable(f)
        import tensorgraft.autograd.function
        return tensorgraft.autograd.function.once_differentiable(_rebound(wrapped))
    closure = fn.__closure__ and tuple(types.CellType(_converted_or_same(c.cell_contents)) for c in fn.__closure__)
    rebound = types.FunctionType(fn.__code__, _rebound_namespace(fn.__globals__), fn.__name__, fn.__defaults__,
                                 closure)
    rebound.__kwdefaults__ = fn.__kwdefaults__
    return rebound


def _once_differentiable_code():
    """The code of the wrapper PyTorch's ``once_differentiable`` puts around a backward (functools.wraps
    gives the wrapper the wrapped function's name and module: its code tells it apart)."""
    import torch.autograd.function
    return torch.autograd.function.once_differentiable(lambda ctx: None).__code__


# id(a module's globals) -> (those globals, the same names for tensorgraft): built once a module (the
# globals are kept so that the id stays theirs)
_NAMESPACES: dict = {}


def _rebound_namespace(names: dict) -> dict:
    """A module's globals with ``torch``, ``F`` and ``nn`` tensorgraft's and its autograd Functions
    twinned; built once per module (a twin's methods look names up here, themselves included)."""
    import tensorgraft
    import tensorgraft.nn.functional
    cached = _NAMESPACES.get(id(names))
    if cached is not None and cached[0] is names:
        return cached[1]
    rebound = dict(names)
    rebound.update(torch=tensorgraft, F=tensorgraft.nn.functional)
    if getattr(names.get("nn"), "__name__", None) == "torch.nn":
        rebound["nn"] = tensorgraft.nn
    _NAMESPACES[id(names)] = (names, rebound)
    for key, value in names.items():
        if _is_test_function_class(value):
            rebound[key] = _twin(value, rebound)
    return rebound


def _is_test_function_class(value) -> bool:
    """A ``torch.autograd.Function`` subclass defined in PyTorch's test code."""
    import torch
    return (isinstance(value, type) and issubclass(value, torch.autograd.Function)
            and value is not torch.autograd.Function and value.__module__.startswith("torch.testing"))


_TWINS: dict = {}  # PyTorch test class -> its tensorgraft twin


def _twin(cls, namespace=None):
    """PyTorch's test ``torch.autograd.Function`` subclass ``cls`` written again on
    ``tensorgraft.autograd.Function``: the same class attributes (``generate_vmap_rule``) and static
    methods (``forward``, ``setup_context``, ``backward``, ``jvp``, ``vmap``), rebound — what a user
    gets who runs that class's source with ``import tensorgraft as torch``."""
    import tensorgraft.autograd
    twin = _TWINS.get(cls)
    if twin is not None:
        return twin
    if namespace is None:
        namespace = _rebound_namespace(sys.modules[cls.__module__].__dict__)
    twin = _TWINS.get(cls)  # (building the namespace twins every class of the module)
    if twin is not None:
        return twin
    bases = tuple(_twin(b) if _is_test_function_class(b) else tensorgraft.autograd.Function for b in cls.__bases__)
    body = {}
    for key, value in vars(cls).items():
        if key in ("__dict__", "__weakref__"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = type(value)(_rebound(value.__func__))
        elif isinstance(value, types.FunctionType):
            value = _rebound(value)
        body[key] = value
    twin = _TWINS[cls] = type(tensorgraft.autograd.Function)(cls.__name__, bases, body)
    return twin


def _test_code_counterpart(fn):
    """tensorgraft's version of a callable PyTorch's test code defines (a lambda, a
    ``functools.partial`` of a PyTorch function, ``SomeFunction.apply`` of an autograd Function
    written there); None for anything else."""
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("torch.testing"):
        return _rebound(fn)
    if isinstance(fn, types.MethodType) and _is_test_function_class(fn.__self__):  # SomeFunction.apply
        return getattr(_twin(fn.__self__), fn.__name__)
    if isinstance(fn, functools.partial):
        from .torch_values import to_tensorgraft  # (torch_values converts through this module: imported on use)
        return functools.partial(_counterpart_function(fn.func), *to_tensorgraft(fn.args),
                                 **to_tensorgraft(fn.keywords))
    return _test_custom_op(fn)


def _test_custom_op(fn):
    """For ``torch.ops.<namespace>.<name>`` (or one overload of it) of an operator PyTorch's test
    code declares with ``torch.library.custom_op``: the same operator declared by that code run
    with tensorgraft (:func:`~tensorgraft.testing.as_tensorgraft.module_as_tensorgraft`); else None."""
    import torch
    if not isinstance(fn, (torch._ops.OpOverload, torch._ops.OpOverloadPacket)):
        return None
    qualname = fn._schema.name if isinstance(fn, torch._ops.OpOverload) else fn._qualified_op_name
    from torch._library.custom_ops import OPDEFS
    opdef = OPDEFS.get(qualname)
    if opdef is None or not opdef._init_fn.__module__.startswith("torch.testing"):
        return None
    import tensorgraft

    from .as_tensorgraft import module_as_tensorgraft
    module_as_tensorgraft(opdef._init_fn.__module__)
    namespace, name = qualname.split("::")
    return getattr(getattr(tensorgraft.ops, namespace), name)


def _converted_or_same(value):
    from .torch_values import Unconvertible, to_tensorgraft
    try:
        return to_tensorgraft(value)
    except Unconvertible:
        return value


def _counterpart(module: str, qualname: str):
    """tensorgraft's object at PyTorch's ``module.qualname`` (``torch.nn.functional.relu`` ->
    ``tensorgraft.nn.functional.relu``), or Unconvertible."""
    import importlib
    try:
        return _resolve(importlib.import_module("tensorgraft" + module[len("torch"):]), qualname)
    except (ImportError, AttributeError):
        from .torch_values import Unconvertible
        raise Unconvertible(f"{module}.{qualname} has no tensorgraft counterpart") from None


def _counterpart_function(fn):
    """A function passed as an argument (a distance function, say): PyTorch's test lambdas are
    rebound to tensorgraft, PyTorch's own functions replaced by tensorgraft's of the same path."""
    module = getattr(fn, "__module__", None) or ""
    if module.startswith("torch.testing") and isinstance(fn, types.FunctionType):
        return _rebound(fn)
    if module == "torch" or module.startswith("torch."):
        return _counterpart(module if module != "torch._C._nn" else "torch.nn.functional", fn.__qualname__)
    if isinstance(fn, types.FunctionType) and "torch" in fn.__globals__:  # a lambda of the caller's
        return _rebound(fn)
    return fn
