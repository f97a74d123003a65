"""``ElementwiseKernel`` and ``ReductionKernel`` for the fake CuPy: instead of compiling the CUDA C
snippet, it is translated once into vectorised NumPy code and run on whole arrays.

Only the subset of CUDA C that elementwise kernels are written in is understood: declarations
(``T g = ...;``), assignments (``=``, ``+=``, ...), ``cond ? a : b``, ``if (...) {...} else ...``
with conditions on *scalar* arguments (uniform control flow: every element takes the same branch),
``T(x)`` casts and the math functions below. Anything else raises NotImplementedError, so a kernel
the fake cannot run fails loudly instead of computing something different.

The calling convention is CuPy's: inputs first, then optional outputs; an output that is passed is
written in place (and may be read by the operation), one that is not is allocated with the
broadcast shape; parameters of type ``T`` all share the dtype of the first array bound to ``T``.
"""
import math
import re

import numpy as _np

_erf = _np.vectorize(math.erf, otypes=[_np.float64])
_FUNCS = {"exp": _np.exp, "log": _np.log, "sqrt": _np.sqrt, "tanh": _np.tanh, "abs": _np.abs, "fabs": _np.abs,
          "max": _np.maximum, "min": _np.minimum, "erf": lambda x: _erf(x).astype(_np.result_type(x, _np.float32))}
_NUMPY_TYPES = {"float32": _np.float32, "float64": _np.float64, "int32": _np.int32, "int64": _np.int64,
                "float16": _np.float16, "bool": _np.bool_}


def _params(spec):
    out = []
    for p in spec.split(","):
        p = p.strip()
        if p:
            typ, name = p.rsplit(None, 1)
            out.append((typ.replace("raw ", "").strip(), name))
    return out


def _split_top(text, sep):
    """Index of the first ``sep`` outside parentheses, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            return i
    return -1


def _expr(text, type_names):
    """A C expression as a Python expression (ternaries become _where, T(x) casts become _T(x))."""
    text = text.strip()
    q = _split_top(text, "?")
    if q >= 0:
        rest = text[q + 1:]
        c = _split_top(rest, ":")
        if c < 0:
            raise NotImplementedError(f"fake CuPy: cannot parse ternary in {text!r}")
        return (f"_where({_expr(text[:q], type_names)}, {_expr(rest[:c], type_names)}, "
                f"{_expr(rest[c + 1:], type_names)})")
    if re.search(r"[{};\[\]]|\+\+|--|->", text):
        raise NotImplementedError(f"fake CuPy: unsupported expression {text!r}")
    text = text.replace("&&", " and ").replace("||", " or ")
    text = re.sub(r"!(?!=)", " not ", text)
    for t in type_names:
        text = re.sub(rf"\b{t}\(", f"_cast_{t}(", text)
    return text


def _matching(text, i, open_ch, close_ch):
    depth = 0
    for j in range(i, len(text)):
        if text[j] == open_ch:
            depth += 1
        elif text[j] == close_ch:
            depth -= 1
            if depth == 0:
                return j
    raise NotImplementedError(f"fake CuPy: unbalanced {open_ch}{close_ch} in {text!r}")


def _statements(text, type_names, indent, lines):
    """Translate a sequence of C statements into Python lines (appended to ``lines``)."""
    pad = "    " * indent
    text = text.strip()
    while text:
        if re.match(r"if\s*\(", text):
            o = text.index("(")
            c = _matching(text, o, "(", ")")
            lines.append(f"{pad}if _uniform({_expr(text[o + 1:c], type_names)}):")
            text = _body(text[c + 1:], type_names, indent + 1, lines)
            m = re.match(r"else\s+if\b", text)
            while m or text.startswith("else"):
                if m:
                    text = text[m.end() - 2:].strip()
                    o = text.index("(")
                    c = _matching(text, o, "(", ")")
                    lines.append(f"{pad}elif _uniform({_expr(text[o + 1:c], type_names)}):")
                    text = _body(text[c + 1:], type_names, indent + 1, lines)
                else:
                    lines.append(f"{pad}else:")
                    text = _body(text[4:], type_names, indent + 1, lines)
                m = re.match(r"else\s+if\b", text)
            continue
        end = text.find(";")
        stmt, text = (text, "") if end < 0 else (text[:end], text[end + 1:].strip())
        m = re.match(r"(?:(?:const\s+)?(\w+)\s+)?(\w+)\s*([-+*/]?=)(?!=)(.*)$", stmt.strip(), re.S)
        if not m or (m.group(1) and m.group(1) not in type_names and m.group(1) not in _NUMPY_TYPES):
            raise NotImplementedError(f"fake CuPy: unsupported statement {stmt!r}")
        lines.append(f"{pad}{m.group(2)} {m.group(3)} {_expr(m.group(4), type_names)}")


def _body(text, type_names, indent, lines):
    """Translate the branch after if (...)/else: a {block} or one statement; return the rest."""
    text = text.strip()
    if text.startswith("{"):
        c = _matching(text, 0, "{", "}")
        inner, rest = text[1:c], text[c + 1:]
    else:
        end = text.index(";")
        inner, rest = text[:end + 1], text[end + 1:]
    before = len(lines)
    _statements(inner, type_names, indent, lines)
    if len(lines) == before:
        lines.append("    " * indent + "pass")
    return rest.strip()


def _uniform(cond):
    arr = _np.asarray(cond)
    if arr.ndim and not (arr.all() or not arr.any()):
        raise NotImplementedError("fake CuPy: a branch that differs between elements cannot be vectorised")
    return bool(arr.all()) if arr.ndim else bool(arr)


def _compile(operation, type_names, name):
    lines = []
    _statements(operation, type_names, 0, lines)
    src = "\n".join(lines) + "\n"
    return src, compile(src, f"<fake cupy kernel {name}>", "exec")


class _Kernel:
    def __init__(self, in_params, out_params, name):
        self.in_params, self.out_params = _params(in_params), _params(out_params)
        self.name = name
        names = {t for t, _ in self.in_params + self.out_params if t not in _NUMPY_TYPES}
        self.type_names = sorted(names)

    def _bind_types(self, args):
        types = {}
        for (typ, _), a in zip(self.in_params + self.out_params, args):
            if typ in self.type_names and typ not in types and isinstance(a, _np.ndarray):
                types[typ] = a.dtype.type
        for typ in self.type_names:
            if typ not in types:
                raise TypeError(f"{self.name}: cannot determine the type of {typ}")
        return types

    def _env(self, types, params, values):
        env = {"_where": _np.where, "_uniform": _uniform, **_FUNCS}
        for typ, t in types.items():
            env[f"_cast_{typ}"] = lambda x, t=t: _np.asarray(x).astype(t)[()]
        for (typ, pname), v in zip(params, values):
            t = types.get(typ) or _NUMPY_TYPES[typ]
            env[pname] = _np.asarray(v).view(_np.ndarray).astype(t, copy=False)[()] if not isinstance(v, _np.ndarray) \
                else v.view(_np.ndarray).astype(t, copy=False)
        return env


class ElementwiseKernel(_Kernel):
    def __init__(self, in_params, out_params, operation, name="kernel", **kwargs):
        super().__init__(in_params, out_params, name)
        self.operation = operation
        self.src, self.code = _compile(operation, self.type_names, name)

    def __call__(self, *args, size=None, **kwargs):
        from . import _refuse_host_arrays, asarray, ndarray
        _refuse_host_arrays(args)
        n_in = len(self.in_params)
        if len(args) not in (n_in, n_in + len(self.out_params)):
            raise TypeError(f"Wrong number of arguments for {self.name!r}")
        types = self._bind_types(args)
        inputs = args[:n_in]
        shape = _np.broadcast_shapes(*(_np.shape(a) for a in inputs))
        outs = list(args[n_in:]) or [asarray(_np.zeros(shape, types.get(t) or _NUMPY_TYPES[t]))
                                     for t, _ in self.out_params]
        env = self._env(types, self.in_params, inputs)
        env.update({pname: o.view(_np.ndarray).copy() for (_, pname), o in zip(self.out_params, outs)})
        exec(self.code, env)
        for (_, pname), o in zip(self.out_params, outs):
            o[...] = _np.broadcast_to(env[pname], o.shape)
        outs = [o if isinstance(o, ndarray) else o.view(ndarray) for o in outs]
        return outs[0] if len(outs) == 1 else tuple(outs)


_REDUCE = {"a+b": _np.add, "a*b": _np.multiply, "max(a,b)": _np.maximum, "min(a,b)": _np.minimum}


class ReductionKernel(_Kernel):
    def __init__(self, in_params, out_params, map_expr, reduce_expr, post_map_expr, identity, name="reduce_kernel",
                 **kwargs):
        super().__init__(in_params, out_params, name)
        self.reduce = _REDUCE.get(re.sub(r"\s", "", reduce_expr))
        if self.reduce is None:
            raise NotImplementedError(f"fake CuPy: unsupported reduce_expr {reduce_expr!r}")
        self.map_src, self.map_code = _compile(f"_mapped = {map_expr};", self.type_names, name)
        self.post_src, self.post_code = _compile(post_map_expr + ";", self.type_names, name)

    def __call__(self, *args, axis=None, keepdims=False, **kwargs):
        from . import _refuse_host_arrays, asarray
        _refuse_host_arrays(args)
        n_in = len(self.in_params)
        types = self._bind_types(args)
        env = self._env(types, self.in_params, args[:n_in])
        exec(self.map_code, env)
        mapped = env["_mapped"]
        shape = _np.broadcast_shapes(*(_np.shape(a) for a in args[:n_in]))
        reduced = self.reduce.reduce(_np.broadcast_to(mapped, shape), axis=axis, keepdims=keepdims)
        (otyp, oname), = self.out_params
        env = {"a": reduced, **self._env(types, [], [])}
        exec(self.post_code, env)
        out = env[oname]
        return asarray(out, dtype=types.get(otyp) or _NUMPY_TYPES[otyp])
