"""Turning a ``Graph`` into the Python source of its ``forward`` (PyTorch's ``CodeGen``), and the
name bookkeeping (``_Namespace``) that keeps node names and globals unique and legal.

The source is PyTorch's text, character for character: functions are spelled ``torch.relu``,
``torch.nn.functional.relu``, operators as Python syntax (``add = x + y``), and each value is
dropped after its last use (``;  x = None``). So that the same text runs here, the code's globals
bind ``torch`` to the tensorgraft module (and ``device`` to ``tensorgraft.device``): the printed
code reads as PyTorch's and executes on tensorgraft, as tensorgraft prints dtypes ``torch.float32``.
"""
from __future__ import annotations

import builtins
import enum
import keyword
import math
import re
from dataclasses import dataclass
from typing import Any

import tensorgraft

from .node import Node, _get_qualified_name, _type_repr

__all__ = ["CodeGen", "PythonCode"]

reflectable_magic_methods = {
    "add": "{} + {}", "sub": "{} - {}", "mul": "{} * {}", "floordiv": "{} // {}", "truediv": "{} / {}",
    "div": "{} / {}", "mod": "{} % {}", "pow": "{} ** {}", "lshift": "{} << {}", "rshift": "{} >> {}",
    "and_": "{} & {}", "or_": "{} | {}", "xor": "{} ^ {}", "getitem": "{}[{}]", "matmul": "{} @ {}",
}
magic_methods = {
    "eq": "{} == {}", "ne": "{} != {}", "lt": "{} < {}", "gt": "{} > {}", "le": "{} <= {}", "ge": "{} >= {}",
    "pos": "+{}", "neg": "-{}", "invert": "~{}", **reflectable_magic_methods,
}
inplace_methods = {
    "iadd": "{} += {}", "iand": "{} &= {}", "ifloordiv": "{} //= {}", "ilshift": "{} <<= {}", "imod": "{} %= {}",
    "imul": "{} *= {}", "imatmul": "{} @= {}", "ior": "{} |= {}", "ipow": "{} **= {}", "irshift": "{} >>= {}",
    "isub": "{} -= {}", "itruediv": "{} /= {}", "ixor": "{} ^= {}", "setitem": "{}[{}] = {}",
}

# names the generated code may use without defining them (PyTorch's ``_custom_builtins``); ``torch``
# is tensorgraft here (see the module docstring)
_custom_builtins = {"inf": math.inf, "nan": math.nan, "NoneType": type(None), "torch": tensorgraft,
                    "device": tensorgraft.device}

# names a node may not take: keywords and builtins (``sum`` becomes ``sum_1``)
_illegal_names: dict[str, Any] = {k: object() for k in keyword.kwlist}
_illegal_names.update(builtins.__dict__)
_illegal_names.update(_custom_builtins)

_dtype_abbrs = {
    "torch.bfloat16": "bf16", "torch.float64": "f64", "torch.float32": "f32", "torch.float16": "f16",
    "torch.complex32": "c32", "torch.complex64": "c64", "torch.complex128": "c128", "torch.int8": "i8",
    "torch.int16": "i16", "torch.int32": "i32", "torch.int64": "i64", "torch.bool": "b8", "torch.uint8": "u8",
    "torch.uint16": "u16", "torch.uint32": "u32", "torch.uint64": "u64",
}

_snake_case_sub = re.compile(r"(?<=[a-z])([A-Z])").sub
_illegal_char_regex = re.compile("[^0-9a-zA-Z_]+")
_name_regex = re.compile(r"^([a-zA-Z_][0-9a-zA-Z_]*?)(?:_(\d+))?$")
_torch_but_not_dynamo = re.compile(r"^(?:torch|tensorgraft)(?:\.(?!_dynamo\.|_inductor\.)[^.]+)*$").fullmatch


def _snake_case(s: str) -> str:
    """``pascalCase`` -> ``pascal_case``, ``ALL_CAPS`` -> ``all_caps``."""
    return _snake_case_sub(r"_\1", s).lower()


def _is_magic(x: str) -> bool:
    return x.startswith("__") and x.endswith("__")


def _is_from_torch(obj: object) -> bool:
    """Objects the code reaches as ``torch.<path>`` rather than through a global of their own."""
    module_name = getattr(obj, "__module__", None)
    if module_name is not None:
        return _torch_but_not_dynamo(module_name) is not None
    name = getattr(obj, "__name__", None)
    if name is not None and name != "torch":
        import tensorgraft.nn.functional as F
        for guess in (tensorgraft, F):
            if getattr(guess, name, None) is obj:
                return True
    return False


def _resolves_to(qualified: str, obj: object) -> bool:
    """Whether ``torch.a.b`` names ``obj`` once ``torch`` is tensorgraft (an internal function that
    has no public path gets a global of its own instead)."""
    parts = qualified.split(".")
    if parts[0] != "torch":
        return False
    found: Any = tensorgraft
    for part in parts[1:]:
        found = getattr(found, part, None)
        if found is None:
            return False
    return found is obj


def _format_target(base: str, target: str) -> str:
    """``self.seq.0`` -> ``getattr(self.seq, "0")``: attribute paths that are not identifiers."""
    r = base
    for e in target.split("."):
        r = f'getattr({r}, "{e}")' if not e.isidentifier() else f"{r}.{e}"
    return r


class _Namespace:
    """Unique, legal Python names, each object keeping the one it was given first."""

    def __init__(self) -> None:
        self._obj_to_name: dict[Any, str] = {}
        self._used_names: set[str] = set()
        self._base_count: dict[str, int] = {}

    def create_name(self, candidate: str, obj: Any) -> str:
        if obj is not None and obj in self._obj_to_name:
            return self._obj_to_name[obj]
        match = _name_regex.match(candidate)
        if match is None:
            candidate = _illegal_char_regex.sub("_", candidate) or "_unnamed"
            if candidate[0].isdigit():
                candidate = f"_{candidate}"
            match = _name_regex.match(candidate)
        base, num = match.group(1, 2)
        if num is None or candidate in self._used_names:
            num = self._base_count.get(base, 0)
            if _illegal_names.get(candidate, obj) is not obj:
                num += 1
                candidate = f"{base}_{num}"
        else:
            num = int(num)
        while candidate in self._used_names:
            num += 1
            candidate = f"{base}_{num}"
        self._used_names.add(candidate)
        self._base_count[base] = num
        if obj is not None:
            self._obj_to_name[obj] = candidate
        return candidate

    def associate_name_with_obj(self, name: str, obj: Any) -> None:
        maybe_existing = self._obj_to_name.setdefault(obj, name)
        if maybe_existing is not name:
            raise AssertionError("obj is already associated")

    def _rename_object(self, obj: Any, name: str) -> None:
        self._obj_to_name[obj] = name
        self._used_names.add(name)


@dataclass
class PythonCode:
    """The source of a graph's function (``src``) and the globals it runs with."""

    src: str
    globals: dict[str, Any]
    _lineno_map: dict[int, int | None] | None = None


class CodeGen:
    """Writes ``def forward(self, <placeholders>): ...`` for a graph's nodes."""

    def __init__(self) -> None:
        self._body_transformer = None
        self._func_name = "forward"

    def gen_fn_def(self, free_vars: list[str], maybe_return_annotation: str) -> str:
        if len(free_vars) == 0 or free_vars[0] != "self":
            free_vars.insert(0, "self")
        return f"def {self._func_name}({', '.join(free_vars)}){maybe_return_annotation}:"

    def generate_output(self, output_args: Any, repr_fn=repr) -> str:
        return f"return {repr_fn(output_args)}"

    def process_inputs(self, *args: Any) -> Any:
        return args

    def process_outputs(self, outputs: Any) -> Any:
        return outputs

    def additional_globals(self) -> list[tuple[str, Any]]:
        return []

    def _gen_python_code(self, nodes, root_module: str, namespace: _Namespace, *, verbose: bool = False) -> PythonCode:
        free_vars: list[str] = []
        body: list[str] = []
        globals_: dict[str, Any] = {}
        wrapped_fns: dict[str, None] = {}
        maybe_return_annotation = [""]

        def add_global(name_hint: str, obj: Any) -> str:
            if _is_from_torch(obj) and obj is not tensorgraft.device:
                qualified = _get_qualified_name(obj)
                if _resolves_to(qualified, obj):
                    return qualified
            global_name = namespace.create_name(name_hint, obj)
            if global_name in globals_:
                if globals_[global_name] is not obj:
                    raise AssertionError(f"Global name {global_name} already assigned to different object")
                return global_name
            globals_[global_name] = obj
            return global_name

        for name, obj in _custom_builtins.items():
            add_global(name, obj)

        def type_repr(o: object) -> str:
            if o == ():
                return "()"
            typename = _type_repr(o)
            origin_type = getattr(o, "__origin__", None)
            if origin_type:
                origin_typename = add_global(_type_repr(origin_type), origin_type)
                type_args = getattr(o, "__args__", ())
                if type_args:
                    return f"{origin_typename}[{','.join(type_repr(a) for a in type_args)}]"
                return origin_typename
            return add_global(typename, o)

        def _get_repr(arg: object) -> str:
            if isinstance(arg, Node):
                return repr(arg)
            if isinstance(arg, tuple) and hasattr(arg, "_fields"):
                global_name = add_global(_get_qualified_name(type(arg)), type(arg))
                return f"{global_name}{repr(tuple(arg))}"
            if isinstance(arg, enum.Enum):
                clsname = add_global(arg.__class__.__name__, arg.__class__)
                return f"{clsname}.{arg.name}"
            if isinstance(arg, tensorgraft.Tensor):
                return f"torch.Tensor(size={list(arg.size())}, dtype={str(arg.dtype).split('.')[-1]})"
            if isinstance(arg, tuple):
                if len(arg) == 1:
                    return f"({_get_repr(arg[0])},)"
                return "(" + ", ".join(_get_repr(a) for a in arg) + ")"
            if isinstance(arg, list):
                return "[" + ", ".join(_get_repr(a) for a in arg) + "]"
            if isinstance(arg, slice):
                return f"slice({_get_repr(arg.start)}, {_get_repr(arg.stop)}, {_get_repr(arg.step)})"
            return repr(arg)

        def _format_args(args: tuple, kwargs: dict) -> str:
            res = [_get_repr(a) for a in args]
            res.extend(f"{k} = {_get_repr(v)}" for k, v in kwargs.items())
            return ", ".join(res)

        # each value is set to None right after its last use, so tensors are freed early
        node_to_last_use: dict[Node, Node] = {}
        user_to_last_uses: dict[Node, list[Node]] = {}
        for node in reversed(nodes):
            for input_node in node._input_nodes:
                if input_node not in node_to_last_use:
                    node_to_last_use[input_node] = node
                    user_to_last_uses.setdefault(node, []).append(input_node)

        def delete_unused_values(user: Node) -> None:
            if user.op == "placeholder":
                return
            if user.op == "output":
                body.append("\n")
                return
            nodes_to_delete = user_to_last_uses.get(user, [])
            if len(user.users) == 0:
                nodes_to_delete.append(user)
            if nodes_to_delete:
                body.append(f";  {' = '.join([repr(n) for n in nodes_to_delete] + ['None'])}\n")
            else:
                body.append("\n")

        def emit_node(node: Node) -> None:
            maybe_type_annotation = "" if node.type is None else f" : {type_repr(node.type)}"
            if verbose:  # ``print_readable``: the dtype and shape ShapeProp (or a tracer) recorded
                meta_val = node.meta.get("val", node.meta.get("tensor_meta", node.meta.get("example_value", None)))
                if isinstance(meta_val, tensorgraft.Tensor) or (
                        type(meta_val).__name__ == "TensorMetadata" and hasattr(meta_val, "dtype")):
                    abbr = _dtype_abbrs.get(str(meta_val.dtype), str(meta_val.dtype))
                    maybe_type_annotation = f': "{abbr}[{", ".join(str(x) for x in meta_val.shape)}]"'
            if node.op == "placeholder":
                maybe_default_arg = "" if not node.args else f" = {_get_repr(node.args[0])}"
                free_vars.append(f"{node.target}{maybe_type_annotation}{maybe_default_arg}")
                raw_name = node.target.replace("*", "")
                if raw_name != repr(node):
                    body.append(f"{repr(node)} = {raw_name}\n")
                return
            if node.op == "call_method":
                body.append(f"{repr(node)}{maybe_type_annotation} = "
                            f"{_format_target(_get_repr(node.args[0]), node.target)}"
                            f"({_format_args(node.args[1:], node.kwargs)})")
                return
            if node.op == "call_function":
                target = node.target
                if getattr(target, "__module__", "") == "_operator" and target.__name__ in magic_methods:
                    body.append(f"{repr(node)}{maybe_type_annotation} = "
                                f"{magic_methods[target.__name__].format(*(_get_repr(a) for a in node.args))}")
                    return
                if getattr(target, "__module__", "") == "_operator" and target.__name__ in inplace_methods:
                    body.append(f"{inplace_methods[target.__name__].format(*(_get_repr(a) for a in node.args))};  "
                                f"{repr(node)}{maybe_type_annotation} = {_get_repr(node.args[0])}")
                    return
                global_name = add_global(_get_qualified_name(target), target)
                if (global_name == "getattr" and isinstance(node.args, tuple) and len(node.args) == 2
                        and isinstance(node.args[1], str) and node.args[1].isidentifier()):
                    body.append(f"{repr(node)}{maybe_type_annotation} = "
                                f"{_format_target(_get_repr(node.args[0]), node.args[1])}")
                    return
                body.append(f"{repr(node)}{maybe_type_annotation} = {global_name}"
                            f"({_format_args(node.args, node.kwargs)})")
                if node.meta.get("is_wrapped", False):
                    wrapped_fns.setdefault(global_name)
                return
            if node.op == "call_module":
                body.append(f"{repr(node)}{maybe_type_annotation} = "
                            f"{_format_target(root_module, node.target)}({_format_args(node.args, node.kwargs)})")
                return
            if node.op == "get_attr":
                body.append(f"{repr(node)}{maybe_type_annotation} = {_format_target(root_module, node.target)}")
                return
            if node.op == "output":
                if node.type is not None:
                    maybe_return_annotation[0] = f" -> {type_repr(node.type)}"
                body.append(self.generate_output(node.args[0], repr_fn=_get_repr))
                return
            raise NotImplementedError(f"node: {node.op} {node.target}")

        prev_summary = None
        for node in nodes:
            if verbose and node.op not in ("placeholder", "output"):
                # (tracing records no stack traces here, so the summary is PyTorch's "not found" line)
                summary = "\n# No stacktrace found for following nodes\n"
                if summary != prev_summary:
                    prev_summary = summary
                    body.append(summary)
            emit_node(node)
            delete_unused_values(node)

        if len(body) == 0:
            body.append("pass\n")
        if wrapped_fns:
            from .tracer import wrap
            wrap_name = add_global("wrap", wrap)
            wrap_stmts = "\n".join(f'{wrap_name}("{name}")' for name in wrapped_fns)
        else:
            wrap_stmts = ""
        if self._body_transformer:
            body = self._body_transformer(body)
        for name, value in self.additional_globals():
            add_global(name, value)

        prologue = self.gen_fn_def(free_vars, maybe_return_annotation[0])
        code = "".join(body).lstrip("\n")
        code = "\n".join("    " + line for line in code.split("\n"))
        fn_code = f"""
{wrap_stmts}

{prologue}
{code}"""
        return PythonCode(fn_code, globals_)
