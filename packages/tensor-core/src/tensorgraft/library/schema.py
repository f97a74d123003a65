"""``infer_schema``: the operator schema string PyTorch derives from a custom op's type annotations,
``(Tensor x, SymInt k=3, Tensor(a1!) out) -> Tensor``. The schema names what the op takes, what it
mutates and what it returns; ``custom_op`` refuses a function whose annotations it cannot read."""
from __future__ import annotations

import collections.abc
import inspect
import typing

from ..device import device
from ..dtypes import dtype
from ..tensor import Tensor

_MUTATES_HINT = ("mutates_args should contain the names of all args that the custom op mutates, or just the string "
                 "'unknown' if you don't know.")


def _sequence_of(annotation):
    origin = typing.get_origin(annotation)
    if origin in (list, collections.abc.Sequence, typing.Sequence, typing.List):
        args = typing.get_args(annotation)
        return args[0] if len(args) == 1 else None
    return None


def _optional_of(annotation):
    if typing.get_origin(annotation) is typing.Union or type(annotation).__name__ == "UnionType":
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0]
    return None


_SCALARS = {int: "SymInt", float: "float", bool: "bool", str: "str", dtype: "ScalarType", device: "Device"}


def _number_union(annotation) -> bool:
    """``int | float | bool`` (PyTorch's ``Number``): the schema's Scalar."""
    if typing.get_origin(annotation) is typing.Union or type(annotation).__name__ == "UnionType":
        return set(typing.get_args(annotation)) == {int, float, bool}
    return False


def _arg_type(annotation) -> str | None:
    """The schema type of a parameter annotation, or None when it has none."""
    if annotation is Tensor:
        return "Tensor"
    if annotation in _SCALARS:
        return _SCALARS[annotation]
    if _number_union(annotation):
        return "Scalar"
    inner = _optional_of(annotation)
    if inner is not None:
        base = _arg_type(inner)
        return None if base is None or base.endswith("?") else base + "?"
    element = _sequence_of(annotation)
    if element is not None:
        if element is Tensor:
            return "Tensor[]"
        opt = _optional_of(element)
        if opt is Tensor:
            return "Tensor?[]"
        if element in (int, float, bool):
            return _SCALARS[element] + "[]"
        if _number_union(element):
            return "Scalar[]"
    return None


def _return_type(annotation) -> str | None:
    if annotation is None or annotation is type(None):
        return "()"
    if annotation is Tensor:
        return "Tensor"
    if annotation in (int, float, bool):
        return _SCALARS[annotation]
    if _number_union(annotation):
        return "Scalar"
    element = _sequence_of(annotation)
    if element is Tensor and typing.get_origin(annotation) in (list, typing.List):
        return "Tensor[]"
    if typing.get_origin(annotation) is tuple:
        parts = [_return_type(a) for a in typing.get_args(annotation)]
        if any(p is None or p in ("()",) or p.startswith("(") for p in parts):
            return None
        return "(" + ", ".join(parts) + ")"
    return None


def _default_text(value) -> str:
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def infer_schema(prototype_function, /, *, mutates_args, op_name: str | None = None) -> str:
    """The schema of ``prototype_function`` from its annotations: parameters ``Tensor``,
    ``Optional[Tensor]`` (``Tensor?``), ``Sequence[Tensor]`` (``Tensor[]``), ``int`` (``SymInt``),
    ``float``, ``bool``, ``str``, dtypes and devices and their Optional/Sequence forms; a mutated
    tensor is ``Tensor(a<i>!)``. ``mutates_args`` names the mutated parameters (or is ``"unknown"``)."""
    sig = inspect.signature(prototype_function)

    def error(what):
        return ValueError(f"infer_schema(func): {what} Got func with signature {sig})")

    try:
        hints = typing.get_type_hints(prototype_function)
    except Exception:  # an annotation that names nothing importable: read them raw
        hints = {k: p.annotation for k, p in sig.parameters.items()}
        hints["return"] = sig.return_annotation
    if mutates_args != "unknown" and (isinstance(mutates_args, str)
                                      or not isinstance(mutates_args, collections.abc.Iterable)):
        raise ValueError("mutates_args must be a tuple, list, set or other iterable of names, or the string "
                         f"'unknown'; got {mutates_args!r}")
    params = []
    seen_kw_only = False
    for i, (name, p) in enumerate(sig.parameters.items()):
        if p.kind in (p.POSITIONAL_ONLY, p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise error("We do not support positional-only args, varargs, or varkwargs.")
        if p.annotation is p.empty:
            raise error(f"Parameter {name} must have a type annotation.")
        annotation = hints.get(name, p.annotation)
        schema_type = _arg_type(annotation)
        if schema_type is None:
            raise error(f"Parameter {name} has unsupported type {_annotation_text(annotation)}. The valid types are: "
                        "Tensor, Optional[Tensor], Sequence[Tensor], Sequence[Optional[Tensor]], int, float, bool, "
                        "str, Number (int | float | bool), dtype, device, and their Optional and Sequence forms.")
        mutated = mutates_args == "unknown" or name in mutates_args
        if mutated and schema_type.startswith("Tensor"):
            schema_type = schema_type.replace("Tensor", f"Tensor(a{i}!)", 1)
        if p.kind == p.KEYWORD_ONLY and not seen_kw_only:
            params.append("*")
            seen_kw_only = True
        text = f"{schema_type} {name}"
        if p.default is not p.empty:
            text += f"={_default_text(p.default)}"
        params.append(text)
    if mutates_args != "unknown":  # checked after the parameters, as PyTorch does
        unknown = set(mutates_args) - set(sig.parameters)
        if unknown:
            raise error(f"{unknown} in mutates_args were not found in the custom op's signature. {_MUTATES_HINT}")
    if sig.return_annotation is sig.empty:
        raise error("No return type annotation was provided. Please add one.")
    returns = _return_type(hints.get("return", sig.return_annotation))
    if returns is None:
        raise error(f"Return has unsupported type {_annotation_text(hints.get('return', sig.return_annotation))}. "
                    "The valid types are: Tensor, List[Tensor], int, float, bool, Number (int | float | bool), tuples "
                    "of them, and None.")
    schema = f"({', '.join(params)}) -> {returns}"
    return f"{op_name}{schema}" if op_name is not None else schema


def _annotation_text(annotation) -> str:
    return repr(annotation) if not isinstance(annotation, type) else f"<class '{annotation.__qualname__}'>"


# ---------------------------------------------------------------------------- parsing
class ParsedArgument:
    __slots__ = ("type", "name", "default", "keyword_only")

    def __init__(self, type_, name, default, keyword_only):
        self.type, self.name, self.default, self.keyword_only = type_, name, default, keyword_only

    @property
    def is_tensor(self) -> bool:
        return self.type.startswith("Tensor")

    @property
    def mutated(self) -> bool:
        return "!" in self.type


_NO_DEFAULT = inspect.Parameter.empty


def _split_top_level(text: str) -> list:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _parse_default(text: str):
    import ast
    if text in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[text]
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a name such as contiguous_format


def parse_schema(schema: str, name: str | None = None):
    """``(name, [ParsedArgument], returns)`` of an operator schema string
    (``"sin(Tensor x, *, float scale=1.0) -> Tensor"``; the name may be given apart). Raises a
    RuntimeError saying where the text stops making sense."""
    text = schema.strip()

    def fail(what):
        return RuntimeError(f"{what} in the operator schema:\n{schema}")

    open_at = text.find("(")
    if open_at < 0:
        raise fail("expected (")
    op_name = text[:open_at].strip() or name
    if not op_name:
        raise fail("expected an operator name")
    depth = 0
    close_at = None
    for i in range(open_at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                close_at = i
                break
    if close_at is None:
        raise fail("expected ) but found the end")
    rest = text[close_at + 1:].strip()
    if not rest.startswith("->"):
        raise fail("expected -> after the arguments")
    returns = rest[2:].strip()
    if not returns:
        raise fail("expected a return type after ->")
    args, keyword_only = [], False
    for part in _split_top_level(text[open_at + 1:close_at]):
        if part == "*":
            keyword_only = True
            continue
        decl, eq, default = part.partition("=")
        pieces = decl.strip().rsplit(None, 1)
        if len(pieces) != 2 or not pieces[1].isidentifier():
            raise fail(f"expected '<type> <name>' but found {part!r}")
        args.append(ParsedArgument(pieces[0], pieces[1], _parse_default(default.strip()) if eq else _NO_DEFAULT,
                                   keyword_only))
    return op_name, args, returns


def signature_of(args) -> inspect.Signature:
    """A Python signature binding calls the way the schema takes its arguments."""
    params = []
    for a in args:
        kind = inspect.Parameter.KEYWORD_ONLY if a.keyword_only else inspect.Parameter.POSITIONAL_OR_KEYWORD
        params.append(inspect.Parameter(a.name, kind, default=a.default))
    return inspect.Signature(params)
