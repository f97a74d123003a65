"""Run PyTorch's own docstring examples on tensorgraft and compare what they print.

PyTorch's documentation is full of ``>>>`` examples; each is a small program with the output PyTorch
gives. Running every one of them twice — under ``torch`` and under ``tensorgraft`` bound to the name
``torch`` (``import``/``from`` lines rewritten the way a user rewrites the import line) — with the
same seed, and comparing what each statement displays, is a broad oracle: a missing keyword, a
wrong default, a differently formatted repr or a slow kernel (each example runs under a time limit)
all show up as a difference. The examples are read from the installed PyTorch at test time; nothing
of PyTorch's is copied into tensorgraft.

    from tensorgraft.testing.docstring_examples import compare_module
    for diff in compare_module("torch.fft"):
        print(diff)

Output is compared after normalisation (object addresses are masked, ``<tensorgraft.`` in an
object's repr reads ``<torch.``; numbers may differ by float rounding, ``rtol=1e-3``), and an example that fails in both libraries only because no CUDA device
exists counts as equal. Each docstring's examples share a namespace, as doctest runs them; the first
statement whose output differs is the one reported.
"""
from __future__ import annotations

import contextlib
import dataclasses
import doctest
import functools
import importlib
import inspect
import io
import math
import os
import re
import signal
import tempfile
import threading

__all__ = ["ExampleDifference", "collect_examples", "compare_module", "to_tensorgraft_source"]

_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_RAGGED = re.compile(r"\bj\d+\b")
_NO_CUDA = ("CUDA", "cuda", "Accelerator expected", "accelerator device")


@dataclasses.dataclass
class ExampleDifference:
    """The first statement of a docstring whose output differs between the two libraries."""
    qualname: str
    index: int
    source: str
    torch_output: tuple
    tensorgraft_output: tuple

    def __str__(self):
        return (f"{self.qualname} #{self.index}: {self.source.strip()[:200]}\n"
                f"    torch:       {self.torch_output!r:.400}\n"
                f"    tensorgraft: {self.tensorgraft_output!r:.400}")


def collect_examples(module_name: str):
    """``(qualname, [doctest.Example])`` for each public object of the module (and each public
    method of its public classes defined in the module) whose docstring holds ``>>>`` examples; a
    docstring shared by several names is taken once."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    # torch.Tensor's methods are checked with module "torch" only, wherever else they reappear
    seen, found = (set() if module_name == "torch" else set(_tensor_method_docs())), []
    parser = doctest.DocTestParser()
    # Tensor first: its methods are inherited by many classes and are named after it
    for name in sorted(names, key=lambda n: n != "Tensor"):
        obj = getattr(module, name, None)
        if obj is None:
            continue
        candidates = [(f"{module_name}.{name}", obj)]
        if inspect.isclass(obj) and (getattr(obj, "__module__", "") or "").startswith(module_name):
            candidates += [(f"{module_name}.{name}.{m}", getattr(obj, m, None))
                           for m in dir(obj) if not m.startswith("_") and _defined_within(obj, m, module_name)]
        for qualname, candidate in candidates:
            doc = getattr(candidate, "__doc__", None)
            # by text: a C method's docstring is a new string object at each access
            if not isinstance(doc, str) or ">>>" not in doc or doc in seen:
                continue
            seen.add(doc)
            try:
                examples = parser.get_examples(doc)
            except ValueError:  # a malformed example block in the docstring itself
                continue
            if examples:
                found.append((qualname, examples))
    return found


@functools.lru_cache(maxsize=1)
def _tensor_method_docs() -> frozenset:
    import torch
    return frozenset(d for d in (getattr(getattr(torch.Tensor, m, None), "__doc__", None) for m in dir(torch.Tensor))
                     if isinstance(d, str))


def _defined_within(cls, attribute: str, module_name: str) -> bool:
    """Whether the class that defines ``cls.attribute`` belongs to ``module_name`` (so a module's
    classes do not bring in every method they inherit from torch.Tensor or nn.Module)."""
    for klass in cls.__mro__:
        if attribute in vars(klass):
            return (getattr(klass, "__module__", "") or "").startswith(module_name)
    return False


def to_tensorgraft_source(source: str) -> str:
    """The statement with its ``torch`` imports pointed at tensorgraft, as a user edits a program."""
    lines = []
    for line in source.split("\n"):
        bare = re.match(r"^(\s*)import torch\s*$", line)
        if bare:
            lines.append(f"{bare.group(1)}import tensorgraft as torch")
            continue
        dotted = re.match(r"^(\s*)import torch\.([\w.]+)\s*$", line)
        if dotted:  # binds `tensorgraft`; the name `torch` (tensorgraft) then has the submodule
            lines.append(f"{dotted.group(1)}import tensorgraft.{dotted.group(2)}")
            continue
        lines.append(re.sub(r"^(\s*)(import|from)\s+torch\b", r"\1\2 tensorgraft", line))
    return "\n".join(lines)


class _TimeLimit(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds):
    # SIGALRM works in the main thread only; elsewhere an example runs without a limit
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(*_):
        raise _TimeLimit(f"took longer than {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _reset(lib, threads):
    """Undo what an example may have switched globally (default dtype/device, print options, ...)."""
    with contextlib.suppress(Exception):
        lib.set_default_device(None)
    lib.set_default_dtype(lib.float32)
    lib.set_printoptions(profile="default")
    lib.set_grad_enabled(True)
    with contextlib.suppress(Exception):
        lib.use_deterministic_algorithms(False)
    with contextlib.suppress(Exception):
        lib.autograd.set_detect_anomaly(False)
    lib.set_num_threads(threads)
    lib.manual_seed(0)


def _run(examples, lib, seconds):
    """What each statement displays (or the error it raises), run in one fresh namespace."""
    import numpy
    namespace = {"torch": lib, "nn": lib.nn, "F": lib.nn.functional, "math": math, "np": numpy, "numpy": numpy}
    rewrite = lib.__name__ != "torch"
    outputs = []
    for example in examples:
        shown = io.StringIO()
        try:
            with _time_limit(seconds), contextlib.redirect_stdout(shown), \
                    contextlib.redirect_stderr(io.StringIO()):
                source = to_tensorgraft_source(example.source) if rewrite else example.source
                exec(compile(source, "<docstring example>", "single"), namespace)  # noqa: S102
            # object reprs name their module: `<tensorgraft.x.Y object at 0x..>` is PyTorch's `<torch.x.Y ...>`
            # and a nested tensor's ragged size is a process-wide counter (j2 in a fresh process)
            outputs.append(("ok", _RAGGED.sub("j?", _ADDRESS.sub("0x?", shown.getvalue()).replace("<tensorgraft.", "<torch."))))
        except BaseException as exc:  # noqa: BLE001 - an example's failure is a result to compare
            if isinstance(exc, KeyboardInterrupt):
                raise
            message = str(exc).split("\n")[0][:300]
            outputs.append(("error", f"{type(exc).__name__}: {message}"))
    return outputs


def _numbers_close(a: str, b: str) -> bool:
    """Equal but for numbers that agree to float rounding (a last printed digit). The absolute
    tolerance grows with the largest number shown: a float32 sum of many terms near 100 (a conv's
    weight gradient) may end 1e-4 apart on an entry near 1, whichever BLAS added them."""
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    pairs = [(float(x), float(y)) for x, y in zip(_NUMBER.findall(a), _NUMBER.findall(b)) if x != y]
    if not pairs:
        return True
    finite = [abs(v) for v in map(float, _NUMBER.findall(a)) if math.isfinite(v)]
    abs_tol = max(1e-5, 2e-5 * max(finite, default=0.0))
    return all(math.isclose(fx, fy, rel_tol=1e-3, abs_tol=abs_tol) for fx, fy in pairs)


def _same(ours, theirs) -> bool:
    if ours == theirs:
        return True
    if ours[0] != theirs[0]:
        return False
    if ours[0] == "error":  # both fail: no CUDA on either side, or the same error type
        if any(k in ours[1] for k in _NO_CUDA) and any(k in theirs[1] for k in _NO_CUDA):
            return True
        return ours[1].split(":")[0] == theirs[1].split(":")[0]
    return _numbers_close(ours[1], theirs[1])


def compare_module(module_name: str, *, seconds: int = 20):
    """Every docstring of ``module_name`` (PyTorch's) whose examples display something else on
    tensorgraft: a list of :class:`ExampleDifference`. Runs in a temporary working directory
    (examples write files)."""
    import torch

    import tensorgraft
    threads = (torch.get_num_threads(), tensorgraft.get_num_threads())
    differences = []
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        _reset(torch, threads[0])
        _reset(tensorgraft, threads[1])
        try:
            for qualname, examples in collect_examples(module_name):
                theirs = _run(examples, torch, seconds)
                _reset(torch, threads[0])
                ours = _run(examples, tensorgraft, seconds)
                _reset(tensorgraft, threads[1])
                for index, (a, b) in enumerate(zip(theirs, ours)):
                    if not _same(b, a):
                        differences.append(ExampleDifference(qualname, index, examples[index].source, a, b))
                        break
        finally:
            os.chdir(here)
    return differences
