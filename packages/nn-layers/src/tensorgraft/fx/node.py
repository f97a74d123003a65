"""``Node``: one operation of an fx ``Graph`` (PyTorch's ``torch.fx.node``), and the helpers that walk
the nested ``args``/``kwargs`` structures nodes appear in (``map_arg``, ``map_aggregate``).

Nodes form a doubly linked list owned by their graph (``_prev``/``_next``, with the graph's root
node closing the ring), so inserting and erasing are O(1) and iterating while erasing is safe, as in
PyTorch. Each node keeps its ``users`` (an insertion-ordered dict used as an ordered set) up to date
whenever its arguments change, which is what dead-code elimination and ``replace_all_uses_with`` read.
"""
from __future__ import annotations

import builtins
import inspect
import operator
import types
from typing import Any, Callable

import tensorgraft

from .immutable_collections import immutable_dict, immutable_list

__all__ = ["Node", "map_arg", "map_aggregate", "Argument", "Target", "has_side_effect"]

# functions whose calls dead-code elimination keeps though nothing uses their result
_side_effectful_functions: set = {operator.setitem, tensorgraft._assert}

_RANDOM_NAMES = ("rand", "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal", "poisson",
                 "bernoulli", "multinomial")


def _random_functions() -> set:
    # looked up on use: dispatch wraps tensorgraft's functions (new objects) when it turns on
    return {f for f in (getattr(tensorgraft, name, None) for name in _RANDOM_NAMES) if f is not None}


def has_side_effect(fn: Callable) -> Callable:
    """Mark ``fn`` as having side effects: ``eliminate_dead_code`` keeps its calls."""
    _side_effectful_functions.add(fn)
    return fn

Target = Any
Argument = Any

_OPCODES = ("placeholder", "call_method", "call_module", "call_function", "get_attr", "output", "root")

# Modules whose functions the generated code reaches through ``torch.<path>`` (``torch`` being
# tensorgraft there), with the spelling PyTorch prints for them.
_NAMESPACES = (("torch.nn.functional", "nn.functional"), ("torch.linalg", "linalg"), ("torch.fft", "fft"),
               ("torch.special", "special"), ("torch", ""))
# functions PyTorch writes in Python in ``torch/functional.py``: their qualified name is
# ``torch.functional.<name>`` there (tensorgraft.functional holds the same objects)
_TORCH_FUNCTIONAL = frozenset({
    "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod", "block_diag",
    "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank", "split", "stft",
    "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index"})
# tensorgraft modules whose PyTorch counterpart has another path
_MODULE_ALIASES = {"tensorgraft.fx.tracer": "torch.fx._symbolic_trace"}


def _tensorgraft_module(path: str):
    obj = tensorgraft
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _get_qualified_name(func: Callable) -> str:
    """How generated code and printed graphs name a function: ``getattr`` for builtins,
    ``torch.relu``/``torch.nn.functional.relu``/``torch.Tensor.add`` for tensorgraft's (the code runs
    with ``torch`` bound to tensorgraft), ``module.name`` for anything else."""
    name = func.__name__
    if getattr(builtins, name, None) is func:
        return name
    public = getattr(func, "_torch_function_name", None)  # tensorgraft's dispatching wrappers know it
    if public is not None:
        if public.startswith("torch.") and public[6:] in _TORCH_FUNCTIONAL:
            return f"torch.functional.{public[6:]}"
        # PyTorch's C++ functional ops print as ``torch._C._nn.gelu``: named so once core offers that path
        c_nn = _tensorgraft_module("_C._nn")
        if public.startswith("torch.nn.functional.") and c_nn is not None and getattr(c_nn, name, None) is func:
            return f"torch._C._nn.{name}"
        return public
    if getattr(tensorgraft.Tensor, name, None) is func:
        return f"torch.Tensor.{name}"
    for printed, path in _NAMESPACES:
        space = _tensorgraft_module(path)
        if space is not None and getattr(space, name, None) is func:
            if printed == "torch" and name in _TORCH_FUNCTIONAL:
                return f"torch.functional.{name}"
            return f"{printed}.{name}"
    if name == "<lambda>":
        try:
            name = inspect.getsource(func).split("=")[0].strip()
        except Exception as e:
            raise RuntimeError("Unable to represent lambda") from e
    module = getattr(func, "__module__", None) or ""
    module = _MODULE_ALIASES.get(module, module)
    if module.startswith("tensorgraft"):
        module = "torch" + module[len("tensorgraft"):]
    return f"{module}.{name}"


def _type_repr(obj: object) -> str:
    """``repr`` of an annotation, types shortened to ``module.qualname``."""
    if isinstance(obj, type) and not isinstance(obj, types.GenericAlias):
        if obj.__module__ == "builtins":
            return obj.__qualname__
        return f"{obj.__module__}.{obj.__qualname__}"
    if obj is ...:
        return "..."
    if isinstance(obj, types.FunctionType):
        return obj.__name__
    return repr(obj)


def _format_arg(arg: object, max_list_len: float = float("inf")) -> str:
    if isinstance(arg, list):
        items = ", ".join(_format_arg(a) for idx, a in enumerate(arg) if idx < max_list_len)
        maybe_len = "" if len(arg) < max_list_len + 1 else f", ...[total_len={len(arg)}]"
        return f"[{items}{maybe_len}]"
    if isinstance(arg, tuple):
        items = ", ".join(_format_arg(a) for idx, a in enumerate(arg) if idx < max_list_len)
        maybe_len = "" if len(arg) < max_list_len + 1 else f", ...[total_len={len(arg)}]"
        maybe_comma = "," if len(arg) == 1 else ""
        return f"({items}{maybe_comma}{maybe_len})"
    if isinstance(arg, dict):
        items_str = ", ".join(f"{k}: {_format_arg(v)}" for k, v in arg.items())
        return f"{{{items_str}}}"
    if isinstance(arg, Node):
        return "%" + str(arg)
    return str(arg)


class Node:
    """One operation in a ``Graph``: ``op`` is one of placeholder, get_attr, call_function,
    call_method, call_module, output; ``target`` what it calls or reads; ``args``/``kwargs`` its
    inputs, other nodes among them."""

    def __init__(self, graph, name: str, op: str, target: Target, args: tuple, kwargs: dict,
                 return_type: Any = None) -> None:
        if op not in _OPCODES:
            raise AssertionError(f"Expected op to be one of {_OPCODES}, got {op}")
        if op in ("call_method", "call_module", "get_attr", "placeholder", "output") and not isinstance(target, str):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{tensorgraft.typename(target)} but a str is expected for {op}")
        if op == "call_function" and not callable(target):
            raise ValueError(f"Node [graph = {graph}, name = '{name}'] target {target} has type "
                             f"{tensorgraft.typename(target)} but a Callable is expected")
        self.graph = graph
        self.name = name
        self.op = op
        self.target = target
        self._input_nodes: dict[Node, None] = {}
        self.users: dict[Node, None] = {}
        self.type = return_type
        self._prev = self
        self._next = self
        self._erased = False
        self.meta: dict[str, Any] = {}
        self._args: tuple = ()
        self._kwargs: dict = {}
        self._update_args_kwargs(args, kwargs)

    # ---------------------------------------------------------------- list links
    @property
    def next(self) -> Node:
        return self._next

    @property
    def prev(self) -> Node:
        return self._prev

    def prepend(self, x: Node) -> None:
        """Insert ``x`` before this node (moving it if it is already in the graph)."""
        if self == x:
            return
        x._remove_from_list()
        p = self._prev
        p._next, x._prev = x, p
        x._next, self._prev = self, x

    def append(self, x: Node) -> None:
        """Insert ``x`` after this node."""
        self._next.prepend(x)

    def _remove_from_list(self) -> None:
        p, n = self._prev, self._next
        p._next, n._prev = n, p

    # ---------------------------------------------------------------- inputs
    @property
    def args(self) -> tuple:
        return self._args

    @args.setter
    def args(self, a: tuple) -> None:
        self._update_args_kwargs(a, self._kwargs)

    @property
    def kwargs(self) -> dict:
        return self._kwargs

    @kwargs.setter
    def kwargs(self, k: dict) -> None:
        self._update_args_kwargs(self._args, k)

    @property
    def all_input_nodes(self) -> list[Node]:
        """The nodes among ``args`` and ``kwargs``, in order, each once."""
        return list(self._input_nodes)

    def update_arg(self, idx: int, arg: Argument) -> None:
        args = list(self.args)
        args[idx] = arg
        self.args = tuple(args)

    def insert_arg(self, idx: int, arg: Argument) -> None:
        args = list(self.args)
        args.insert(idx, arg)
        self.args = tuple(args)

    def update_kwarg(self, key: str, arg: Argument) -> None:
        self.kwargs = {**self.kwargs, key: arg}

    def _update_args_kwargs(self, new_args, new_kwargs) -> None:
        self._args = map_aggregate(new_args, lambda x: x)
        self._kwargs = map_aggregate(new_kwargs, lambda x: x)
        for old_use in self._input_nodes:
            old_use.users.pop(self)
        self._input_nodes = {}
        map_arg(self._args, self._input_nodes.setdefault)
        map_arg(self._kwargs, self._input_nodes.setdefault)
        for new_use in self._input_nodes:
            new_use.users.setdefault(self)

    @property
    def stack_trace(self):
        return self.meta.get("stack_trace", None)

    @stack_trace.setter
    def stack_trace(self, trace) -> None:
        self.meta["stack_trace"] = trace

    # ---------------------------------------------------------------- rewriting
    def replace_all_uses_with(self, replace_with: Node, delete_user_cb: Callable = lambda user: True, *,
                              propagate_meta: bool = False) -> list[Node]:
        """Make every user of this node use ``replace_with`` instead; returns the users changed."""
        if propagate_meta:
            if len(replace_with.meta) != 0:
                raise AssertionError("Called node.replace_all_uses_with(replace_with, propagate_meta=True), "
                                     "but replace_with already has .meta keys")
            for k, v in self.meta.items():
                replace_with.meta[k] = v
        to_process = list(self.users)
        skipped = []
        for use_node in to_process:
            if not delete_user_cb(use_node):
                skipped.append(use_node)
                continue
            use_node.replace_input_with(self, replace_with)
        return [n for n in to_process if n not in skipped]

    def replace_input_with(self, old_input: Node, new_input: Node) -> None:
        """Use ``new_input`` wherever this node's arguments use ``old_input``."""
        def maybe_replace_node(n: Node) -> Node:
            return new_input if n == old_input else n
        self._update_args_kwargs(map_arg(self.args, maybe_replace_node), map_arg(self.kwargs, maybe_replace_node))

    def is_impure(self, impure_random: bool = True) -> bool:
        """Whether dead-code elimination must keep the node though nothing uses it: placeholders,
        outputs, calls of side-effecting functions (``has_side_effect``, ``operator.setitem``,
        assertions), random functions, submodules marked ``_is_impure``. As in PyTorch, method calls
        (``x.add_(1)`` too) count as pure."""
        if self.op in ("placeholder", "output"):
            return True
        if self.op == "call_module":
            if self.graph.owning_module is None:
                raise AssertionError("self.graph.owning_module not set for purity check")
            target_mod = self.graph.owning_module.get_submodule(self.target)
            return getattr(target_mod, "_is_impure", False)
        if self.op == "call_function":
            if impure_random and self.target in _random_functions():
                return True
            return self.target in _side_effectful_functions
        return False

    def normalized_arguments(self, *args, **kwargs):
        return None

    # ---------------------------------------------------------------- printing
    def __repr__(self) -> str:
        return self.name

    @staticmethod
    def _pretty_print_target(target: object) -> str:
        if isinstance(target, str):
            return target
        name = getattr(target, "__name__", None)
        module = getattr(target, "__module__", None)
        if name is not None and module == "builtins":
            return f"builtins.{name}"
        if name is not None and module == "_operator":
            return f"operator.{name}"
        return _get_qualified_name(target)

    def format_node(self, placeholder_names: list[str] | None = None,
                    maybe_return_typename: list[str] | None = None) -> str | None:
        """The node's line in ``print(graph)``; with ``placeholder_names`` given, a placeholder adds
        its name there and returns None (how ``Graph.__str__`` builds ``graph(x, y):``)."""
        if self.op == "placeholder":
            arg_str = self.target
            arg_str += arg_str + f": {_type_repr(self.type)}" if self.type else ""
            if placeholder_names:
                placeholder_names.append(arg_str)
                return None
            maybe_typename = f"{_type_repr(self.type)} " if self.type else ""
            default_val = "(default=" + str(self.args[0]) + ")" if self.args else ""
            return (f"%{self.name} : {maybe_typename}[num_users={len(self.users)}] = "
                    f"{self.op}[target={self.target}]{default_val}")
        if self.op == "get_attr":
            maybe_typename = f"{_type_repr(self.type)} " if self.type is not None else ""
            return (f"%{self.name} : {maybe_typename}[num_users={len(self.users)}] = "
                    f"{self.op}[target={self._pretty_print_target(self.target)}]")
        if self.op == "output":
            if self.type and maybe_return_typename:
                maybe_return_typename[0] = f" -> {_type_repr(self.type)}"
            return f"return {self.args[0]}"
        maybe_typename = f"{_type_repr(self.type)} " if self.type is not None else ""
        return (f"%{self.name} : {maybe_typename}[num_users={len(self.users)}] = "
                f"{self.op}[target={self._pretty_print_target(self.target)}]("
                f"args = {_format_arg(self.args)}, kwargs = {_format_arg(self.kwargs)})")


def map_arg(a: Argument, fn: Callable[[Node], Argument]) -> Argument:
    """Apply ``fn`` to every Node in the nested structure ``a``."""
    if not callable(fn):
        raise AssertionError("torch.fx.map_arg(a, fn): fn must be a callable")
    return map_aggregate(a, lambda x: fn(x) if isinstance(x, Node) else x)


def map_aggregate(a: Argument, fn: Callable[[Argument], Argument]) -> Argument:
    """Apply ``fn`` to every leaf of the nested tuples, lists, dicts and slices ``a``; lists and
    dicts come back immutable (a node's arguments must not change behind its ``users``)."""
    if isinstance(a, tuple):
        t = tuple(map_aggregate(elem, fn) for elem in a)
        return t if not hasattr(a, "_fields") else type(a)(*t)
    if isinstance(a, list):
        return immutable_list(map_aggregate(elem, fn) for elem in a)
    if isinstance(a, dict):
        return immutable_dict((k, map_aggregate(v, fn)) for k, v in a.items())
    if isinstance(a, slice):
        return slice(map_aggregate(a.start, fn), map_aggregate(a.stop, fn), map_aggregate(a.step, fn))
    return fn(a)
