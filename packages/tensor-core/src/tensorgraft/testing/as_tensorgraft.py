"""A module of PyTorch's test code run again with ``import tensorgraft as torch``.

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
import importlib
import inspect
import sys

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
