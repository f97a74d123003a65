"""``GraphModule``: an ``nn.Module`` whose ``forward`` is the code generated from its ``Graph``
(PyTorch's ``torch.fx.GraphModule``).

Each GraphModule gets a class of its own (``GraphModule.__new__``), so that ``recompile`` can set
``forward`` on the class without touching other GraphModules, and so that the class can carry the
traced module's name (``print(gm)`` shows ``M(...)`` for a traced ``M``), as in PyTorch.
"""
from __future__ import annotations

import copy
import itertools
import linecache
from typing import Any

from tensorgraft import nn

from .graph import Graph, PythonCode

__all__ = ["GraphModule"]

_next_id = itertools.count()


def _forward_from_src(src: str, globals_: dict[str, Any]):
    """Compile the generated ``forward``; its source is registered with ``linecache`` so tracebacks
    through it show the generated lines."""
    key = f"<eval_with_key>.{next(_next_id)}"
    linecache.cache[key] = (len(src), None, src.splitlines(True), key)
    namespace = dict(globals_)
    exec(compile(src, key, "exec"), namespace)
    return namespace["forward"]


def _addindent(s_: str, num_spaces: int) -> str:
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    # blank lines stay empty
    return first + "\n" + "\n".join((num_spaces * " ") + line if line.strip() else "" for line in s)


def _copy_attr(from_module: nn.Module, to_module: nn.Module, target: str) -> None:
    """Copy ``target`` (``"seq.0"``, ``"l.weight"``) from one module tree to another, creating plain
    ``Module``s for the intermediate levels; a plain tensor attribute becomes a buffer."""
    *prefix, field = target.split(".")
    for item in prefix:
        f = getattr(from_module, item)
        t = getattr(to_module, item, None)
        if f is t:
            return
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        from_module, to_module = f, t
    orig = getattr(from_module, field)
    from tensorgraft import Tensor
    if isinstance(orig, Tensor) and not isinstance(orig, nn.Parameter):
        to_module.register_buffer(field, orig)
    else:
        setattr(to_module, field, orig)


def _assign_attr(from_obj: Any, to_module: nn.Module, target: str) -> None:
    """Set ``target`` on ``to_module`` to ``from_obj`` (a value from a ``root`` dict)."""
    *prefix, field = target.split(".")
    for item in prefix:
        t = getattr(to_module, item, None)
        if t is None:
            t = nn.Module()
            setattr(to_module, item, t)
        to_module = t
    from tensorgraft import Tensor
    if isinstance(from_obj, Tensor) and not isinstance(from_obj, nn.Parameter):
        to_module.register_buffer(field, from_obj)
    else:
        setattr(to_module, field, from_obj)


class _CodeOnlyModule(nn.Module):
    """A module made from another's ``__dict__`` (how ``deepcopy`` rebuilds a GraphModule)."""

    def __init__(self, body: dict) -> None:
        super().__init__()
        self.__dict__ = body


class GraphModule(nn.Module):
    """A module running a ``Graph``: ``root`` (a module, or a dict of qualified name -> value)
    provides the submodules, parameters and buffers the graph's ``call_module``/``get_attr``
    nodes name; they are copied onto this module."""

    def __new__(cls, *args, **kwargs):
        # the first base that is not a per-instance class: subclasses of GraphModule keep theirs
        for t in cls.__mro__:
            if t.__qualname__.split(".")[-1] != "GraphModuleImpl":
                cls = t
                break

        class GraphModuleImpl(cls):
            pass
        return super().__new__(GraphModuleImpl)

    def __init__(self, root: nn.Module | dict[str, Any], graph: Graph, class_name: str = "GraphModule") -> None:
        super().__init__()
        self.__class__.__name__ = class_name
        if isinstance(root, nn.Module):
            if hasattr(root, "training"):
                self.training = root.training
            if isinstance(root, _CodeOnlyModule):
                # a copy keeps every submodule and tensor, used by the graph or not
                for k, _ in root.named_children():
                    _copy_attr(root, self, k)
                for k, _ in root.named_buffers():
                    _copy_attr(root, self, k)
                for k, _ in root.named_parameters():
                    _copy_attr(root, self, k)
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    _copy_attr(root, self, node.target)
        elif isinstance(root, dict):
            targets_to_copy = []
            for node in graph.nodes:
                if node.op in ("get_attr", "call_module"):
                    if node.target not in root:
                        raise RuntimeError("Node " + str(node) + " referenced target " + node.target
                                           + " but that target was not provided in ``root``!")
                    targets_to_copy.append(node.target)
            targets_to_copy.sort(key=lambda t: t.count("."))  # parents before children
            for target_to_copy in targets_to_copy:
                _assign_attr(root[target_to_copy], self, target_to_copy)
        else:
            raise RuntimeError("Unsupported type " + str(root) + " passed for root!")
        self.graph = graph
        self._tracer_cls = None
        if graph._tracer_cls and "<locals>" not in graph._tracer_cls.__qualname__:
            self._tracer_cls = graph._tracer_cls
        self._tracer_extras = {}
        self.meta: dict[str, Any] = {}

    @property
    def graph(self) -> Graph:
        """The graph this module runs; assigning one regenerates ``forward``."""
        return self._graph

    @graph.setter
    def graph(self, g: Graph) -> None:
        if not isinstance(g, Graph):
            raise AssertionError(f"Expected a Graph instance, but got {type(g)}")
        self._graph = g
        g.owning_module = self
        self.recompile()

    @property
    def code(self) -> str:
        """The Python source of ``forward``."""
        if not hasattr(self, "_code"):
            raise RuntimeError("Code has not been generated! Please report a bug to PyTorch")
        return self._code

    def recompile(self) -> PythonCode:
        """Regenerate ``forward`` from ``self.graph``; call it after changing the graph in place."""
        python_code = self._graph.python_code(root_module="self")
        self._code = python_code.src
        type(self).forward = _forward_from_src(self._code, python_code.globals)
        return python_code

    # ---------------------------------------------------------------- submodules
    def add_submodule(self, target: str, m: nn.Module) -> bool:
        """Install ``m`` at ``target`` (``"a.b.c"``), creating empty modules for missing levels;
        False when a level on the way exists but is not a Module."""
        *prefix, field = target.split(".")
        mod = self
        for item in prefix:
            submod = getattr(mod, item, None)
            if submod is None:
                submod = nn.Module()
                setattr(mod, item, submod)
            if not isinstance(submod, nn.Module):
                return False
            mod = submod
        mod.add_module(field, m)
        return True

    def delete_submodule(self, target: str) -> bool:
        """Remove the submodule at ``target``; False when there is none."""
        atoms = target.split(".")
        path, target_submod = atoms[:-1], atoms[-1]
        mod = self
        for item in path:
            if not hasattr(mod, item):
                return False
            mod = getattr(mod, item)
            if not isinstance(mod, nn.Module):
                return False
        if not hasattr(mod, target_submod):
            return False
        if not isinstance(getattr(mod, target_submod), nn.Module):
            return False
        delattr(mod, target_submod)
        return True

    def delete_all_unused_submodules(self) -> None:
        """Remove the submodules no ``call_module``/``get_attr`` node uses."""
        used: list[str] = []
        for node in self.graph.nodes:
            if node.op in ("call_module", "get_attr"):
                fullpath = node.target.split(".")

                def join_fn(x: str, y: str) -> str:
                    return ".".join([x, y] if y else [x])
                used.extend(itertools.accumulate(fullpath, join_fn))
                if node.op == "call_module":
                    try:
                        submod = self.get_submodule(node.target)
                        for submod_name, _ in submod.named_modules():
                            if submod_name != "":
                                used.append(".".join([node.target, submod_name]))
                    except AttributeError:
                        pass
        to_delete = [name for name, _ in self.named_modules() if name not in used]
        for name in to_delete:
            self.delete_submodule(name)

    # ---------------------------------------------------------------- printing and copying
    def print_readable(self, print_output: bool = True, include_stride: bool = False, include_device: bool = False,
                       colored: bool = False, **kwargs) -> str:
        """The module as a class with its ``forward`` (nested GraphModules too), as PyTorch prints."""
        return _print_readable(self, self._get_name(), print_output)

    def __str__(self) -> str:
        orig_str = super().__str__()
        print_readable_reminder = "# To see more debug info, please use `graph_module.print_readable()`"
        return "\n".join([orig_str, self._code, print_readable_reminder])

    def _replicate_for_data_parallel(self):
        new_gm = self.__copy__()
        new_gm._is_replica = True
        return new_gm

    def __deepcopy__(self, memo: dict) -> GraphModule:
        res = type(self).__new__(type(self))
        memo[id(self)] = res
        fake_mod = _CodeOnlyModule(copy.deepcopy(self.__dict__, memo))
        res.__init__(fake_mod, fake_mod.__dict__["_graph"])
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks"):
            if attr in self.__dict__:
                setattr(res, attr, copy.deepcopy(self.__dict__[attr], memo))
        res.meta = copy.deepcopy(getattr(self, "meta", {}), memo)
        return res

    def __copy__(self) -> GraphModule:
        res = GraphModule(self, self.graph)
        res.meta = getattr(self, "meta", {})
        return res

    def __reduce__(self):
        # pickled as its code and its module state: the per-instance class cannot be pickled, and
        # the graph is rebuilt by tracing the code again (as PyTorch does)
        dict_without_graph = self.__dict__.copy()
        python_code = self.recompile()
        import_block = _format_import_block(python_code.globals)
        del dict_without_graph["_graph"]
        return (reduce_graph_module, (dict_without_graph, import_block))


def _format_import_block(globals_: dict[str, Any]) -> str:
    """Statements binding the generated code's globals again where it is unpickled."""
    from .codegen import _custom_builtins
    custom = {"torch": "import tensorgraft as torch", "device": "from tensorgraft import device",
              "inf": "from math import inf", "nan": "from math import nan", "NoneType": "NoneType = type(None)"}
    lines = []
    for name, obj in globals_.items():
        if name in _custom_builtins:
            lines.append(custom[name])
        else:
            lines.append(f"from {obj.__module__} import {obj.__qualname__} as {name}")
    return "\n".join(sorted(set(lines)))


def reduce_graph_module(body: dict[str, Any], import_block: str) -> GraphModule:
    """Unpickling: compile the saved code and trace it again into a graph."""
    from .tracer import Tracer
    forward = _forward_from_src(import_block + body["_code"], {})

    class CodeOnlyModule(_CodeOnlyModule):
        pass
    CodeOnlyModule.forward = forward
    tracer_cls = body.get("_tracer_cls") or Tracer

    class KeepModules(tracer_cls):
        def is_leaf_module(self, _, __: str) -> bool:
            return True
    com = CodeOnlyModule(body)
    graph = KeepModules().trace(com, **body.get("_tracer_extras", {}))
    gm = GraphModule(com, graph)  # (PyTorch's copy is named GraphModule too)
    for k, v in body.items():  # attributes set on the module by the user come back too
        if not hasattr(gm, k):
            setattr(gm, k, v)
    return gm


def _print_readable(module: GraphModule, module_name: str, print_output: bool = True) -> str:
    graph = module.graph
    module_code = graph.python_code(root_module="self", verbose=True).src.lstrip("\n")
    module_code = _addindent(f"class {module_name}(torch.nn.Module):\n" + module_code, 4)
    submodule_code_list = [""]
    for submodule_name, submodule in module.named_children():
        if isinstance(submodule, GraphModule):
            submodule_code_list.append(_print_readable(submodule, submodule_name, print_output=False))
    submodule_code = _addindent("\n".join(submodule_code_list), 4)
    output = module_code + submodule_code
    if print_output:
        print(module_code + submodule_code)
    return output
