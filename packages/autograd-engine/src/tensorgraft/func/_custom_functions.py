"""Custom ``autograd.Function`` classes under ``tensorgraft.func`` transforms: which transforms
run in this thread, and the hook ``Function.apply`` consults while any of them runs.

PyTorch's rules: while a transform runs, a Function in the ctx style (``forward(ctx, ...)``)
is refused whatever the transform; under ``vmap`` a Function also needs a vmap rule (see
``_vmap.py``); under ``jvp`` one whose inputs carry a tangent needs its own ``jvp`` staticmethod,
and ``jacfwd`` (PyTorch's is a vmap of jvp) asks for both. Outside transforms, ``Function.apply`` reads only one module global: the outermost
transform of the first busy thread installs the hook and the last one to finish removes it.
The hook keeps threads apart itself, so a transform in one thread never changes how another
thread's Functions run."""
from __future__ import annotations

import contextlib
import threading

from tensorgraft.autograd import function as _function

__all__ = ["EXTENDING_FUNC_DOC", "transform_running", "vmap_running", "vmap_stepped_out", "innermost_vmap",
           "differentiating_inside_vmap", "every_vmap_same_randomness", "refuse_backward_under_transforms"]

EXTENDING_FUNC_DOC = "For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"


class _ThisThread(threading.local):
    def __init__(self):
        self.vmap_randomness = []  # one entry per running vmap, innermost last
        self.other_transforms = 0  # running grad / vjp / jvp (and what is built on them)
        self.forward_scopes = []  # the leaf scopes of running jvp / jacfwd: their leaves carry tangents
        self.jacfwds = 0  # running jacfwd: Functions need vmap support as under PyTorch's vmap
        self.kinds = []  # "vmap" / "grad" per running transform, innermost last (their nesting order)


_here = _ThisThread()


class _VectorizedVmaps(threading.local):
    """The vectorized vmap's per-thread state (``func/_vectorized/``), kept here so that the
    transforms' hooks read it (``vectorized.levels``: one thread-local read) without importing
    ``_vectorized``, whose first import turns on ``__torch_function__`` dispatch for the process."""

    def __init__(self):
        # one entry per running vectorized vmap, innermost last: [level, batch_size, randomness]
        self.levels = []
        # level -> (n, batch size) while a Jacobian runs the function on its samples repeated n
        # times (one copy per basis vector, ``_vectorized/_basis.py``): tensors of the level
        # captured with the plain batch are repeated the same way when they meet the repeated ones
        self.replicated = {}


vectorized = _VectorizedVmaps()
_busy_lock = threading.Lock()
_busy_threads = 0  # threads with at least one transform running


def _thread_starts():
    global _busy_threads
    with _busy_lock:
        _busy_threads += 1
        _function._transform_hook = _apply_under_transforms


def _thread_ends():
    global _busy_threads
    with _busy_lock:
        _busy_threads -= 1
        if _busy_threads == 0:
            _function._transform_hook = None


def _is_idle(here) -> bool:
    return not here.vmap_randomness and not here.other_transforms


@contextlib.contextmanager
def transform_running(forward_scope=None, jacfwd=False):
    """Around the user's function inside ``grad``, ``vjp``, ``jvp`` and the transforms built on them.
    ``forward_scope``: the ``_Scope`` of a forward-mode transform (jvp, jacfwd), whose leaves carry
    tangents; ``jacfwd``: the transform is jacfwd."""
    here = _here
    if _is_idle(here):
        _thread_starts()
    here.other_transforms += 1
    here.kinds.append("grad")
    if forward_scope is not None:
        here.forward_scopes.append(forward_scope)
    here.jacfwds += jacfwd
    try:
        yield
    finally:
        here.jacfwds -= jacfwd
        if forward_scope is not None:
            here.forward_scopes.pop()
        here.kinds.pop()
        here.other_transforms -= 1
        if _is_idle(here):
            _thread_ends()


@contextlib.contextmanager
def vmap_running(randomness):
    """Around one ``vmap`` call; ``randomness`` is what a written vmap rule is told (``VmapInfo``)."""
    here = _here
    if _is_idle(here):
        _thread_starts()
    here.vmap_randomness.append(randomness)
    here.kinds.append("vmap")
    try:
        yield
    finally:
        here.kinds.pop()
        here.vmap_randomness.pop()
        if _is_idle(here):
            _thread_ends()


def vmap_stepped_out(fn, *args):
    """Run a vmap rule one level down, as PyTorch does: a Function applied inside the rule sees
    only the enclosing transforms (with none left, it runs as usual)."""
    here = _here
    randomness = here.vmap_randomness.pop()
    if _is_idle(here):
        _thread_ends()
    try:
        return fn(*args)
    finally:
        if _is_idle(here):
            _thread_starts()
        here.vmap_randomness.append(randomness)


def innermost_vmap():
    """The ``randomness`` of the innermost vmap running in this thread, or None when none runs."""
    stack = _here.vmap_randomness
    return stack[-1] if stack else None


def every_vmap_same_randomness() -> bool:
    """Whether every vmap running in this thread has ``randomness="same"`` (so that a batched
    value is batched by a vmap of that mode, whichever one it is)."""
    stack = _here.vmap_randomness
    return bool(stack) and all(r == "same" for r in stack)


def differentiating_inside_vmap() -> bool:
    """Whether a grad-like transform (grad, vjp, jvp, jacrev, ...) runs inside the innermost vmap
    of this thread: PyTorch's tensors there are wrapped twice, and reading one's value fails
    with a message naming both causes."""
    kinds = _here.kinds
    return "vmap" in kinds and kinds[-1] == "grad"


def refuse_backward_under_transforms():
    """For ``autograd.backward`` (``Tensor.backward``) to call first: PyTorch refuses backward()
    while any function transform runs in the thread, whatever tensor it is called on (it would
    write ``.grad`` from inside a transform); ``autograd.grad`` stays allowed. Cheap when no
    transform runs anywhere (one module global is read)."""
    if _function._transform_hook is not None and not _is_idle(_here):
        raise RuntimeError("backward() called inside a functorch transform. This is not supported, please use "
                           "functorch.grad or functorch.vjp instead or call backward() outside of functorch "
                           "transforms.")


def refuse_ctx_style(cls):
    """PyTorch refuses a ``forward(ctx, ...)`` Function under every transform: only the
    ``setup_context`` style says which inputs and outputs the saved state comes from."""
    if cls.setup_context is _function.Function.setup_context:
        raise RuntimeError("In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, "
                           "...), it must override the setup_context staticmethod. " + EXTENDING_FUNC_DOC)


def _refuse_without_jvp(cls, args, kwargs, scopes):
    """PyTorch calls a Function's ``jvp`` when one of its inputs carries a tangent (depends on a
    forward-mode transform's inputs); tangents are computed here by reverse mode, but a Function
    without ``jvp`` is refused just the same."""
    if cls.jvp is not _function.Function.jvp:
        return
    from tensorgraft.tensor import Tensor
    tensors = [a for a in (*args, *kwargs.values()) if isinstance(a, Tensor)]
    if any(scope.reaches_carrier(tensors) for scope in scopes):
        raise NotImplementedError("You must implement the jvp function for custom autograd.Function to use it with "
                                  "forward mode AD.")


def _apply_under_transforms(cls, args, kwargs):
    """The hook ``Function.apply`` calls while any thread runs a transform."""
    if vectorized.levels:  # a vectorized vmap runs in this thread: the Function meets BatchedTensors
        from ._vectorized._custom_function import apply_batched
        result = apply_batched(cls, args, kwargs)
        if result is not NotImplemented:
            return result
    here = _here
    if _is_idle(here):
        return _function.APPLY_AS_USUAL  # another thread's transform
    refuse_ctx_style(cls)
    if here.jacfwds:
        from ._vmap import _check_vmap_support
        _check_vmap_support(cls)
    if here.forward_scopes:
        _refuse_without_jvp(cls, args, kwargs, here.forward_scopes)
    if not here.vmap_randomness:
        # grad / vjp / jvp: the slice of the graph the Function records is what they differentiate
        return _function.APPLY_AS_USUAL
    from ._vmap import _apply_under_vmap
    return _apply_under_vmap(cls, args, kwargs, here.vmap_randomness[-1])
