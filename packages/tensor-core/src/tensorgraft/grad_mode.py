"""The grad-mode switch. Core owns the flag (every op reads it); the autograd engine owns
the graph. ``tensorgraft.no_grad`` works even when only core is installed, as in PyTorch
scripts that wrap inference in ``no_grad`` without ever asking for gradients.

The state is thread-local, like PyTorch's.

Inference mode is stricter than ``no_grad``: nothing is recorded inside it even under
``enable_grad`` (``is_grad_enabled()`` still reports what the user asked for), and tensors made
inside it are *inference tensors* (see ``tensor.py``), which may never enter the graph later.
"""
from __future__ import annotations

import functools
import inspect
import threading
from tensorgraft.argument_errors import c_type_name

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled", "set_multithreading_enabled", "is_multithreading_enabled"]


class _GradState(threading.local):
    enabled = True             # ops record a node only while this is on: what every frontend reads
    inference = False
    grad_in_inference = False  # what ``is_grad_enabled()`` says inside inference mode


# ``set_multithreading_enabled``: PyTorch's engine may run backward on device threads; this one
# always runs it on the calling thread, so the switch is only remembered (process-wide, as PyTorch's)
_multithreading = [True]


state = _GradState()


def is_grad_enabled() -> bool:
    return state.grad_in_inference if state.inference else state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


def is_multithreading_enabled() -> bool:
    return _multithreading[0]


def _check_bool(value, api):
    """PyTorch's argument check for these switches: a bool (NumPy's too), not a truthy value."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(f"{api}(): argument 'enabled' (position 1) must be bool, not {c_type_name(value)}")


def _set_grad_mode(mode: bool) -> bool:
    """Switch grad mode, returning the previous one (to hand back to this function on exit)."""
    prev = is_grad_enabled()
    if state.inference:
        state.grad_in_inference = mode  # inference mode never records, whatever grad mode says
    else:
        state.enabled = mode
    return prev


class _DecoratorContextManager:
    """Usable as ``with no_grad():``, as ``@no_grad()`` and as bare ``@no_grad``."""

    def __new__(cls, *args, **kwargs):
        if cls not in (set_grad_enabled, set_multithreading_enabled) and len(args) == 1 and callable(args[0]) and not kwargs:
            # bare decorator: @no_grad
            return cls()(args[0])
        return super().__new__(cls)

    def __call__(self, func):
        if inspect.isgeneratorfunction(func):
            return _wrap_generator(self.clone, func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__()


def _wrap_generator(make_mode, gen_func):
    """A decorated generator runs each of its steps (start, every ``send``/``throw``, ``close``)
    inside the mode, and its caller outside it between steps — a ``with`` around the call that
    creates the generator would cover none of the generator's code."""
    @functools.wraps(gen_func)
    def generator(*args, **kwargs):
        gen = gen_func(*args, **kwargs)
        try:
            with make_mode():
                item = next(gen)
            while True:
                try:
                    sent = yield item
                except GeneratorExit:
                    with make_mode():
                        gen.close()
                    raise
                except BaseException as exc:  # thrown in by the caller: forward it
                    with make_mode():
                        item = gen.throw(exc)
                else:
                    with make_mode():
                        item = gen.send(sent)
        except StopIteration as stop:
            return stop.value
    return generator


class no_grad(_DecoratorContextManager):
    """Turn gradient recording off inside a ``with`` block or a decorated function: results of
    ops there do not require grad even when their inputs do. Thread-local."""

    def __enter__(self):
        self.prev = _set_grad_mode(False)

    def __exit__(self, *exc):
        _set_grad_mode(self.prev)
        return False


class enable_grad(_DecoratorContextManager):
    """Turn gradient recording back on inside a ``with`` block or a decorated function (under an
    enclosing ``no_grad`` or ``set_grad_enabled(False)``). Thread-local."""

    def __enter__(self):
        self.prev = _set_grad_mode(True)

    def __exit__(self, *exc):
        _set_grad_mode(self.prev)
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Sets the mode at construction (``set_grad_enabled(False)`` as a plain call works too)."""

    def __init__(self, mode: bool):
        self.mode = _check_bool(mode, "set_grad_enabled")
        self.prev = _set_grad_mode(self.mode)

    def __repr__(self):
        # PyTorch's repr, with its module path as every other "torch." name tensorgraft prints
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set_grad_mode(self.prev)
        return False

    def __call__(self, func):
        # used as ``@set_grad_enabled(False)``: the constructor already switched the mode; undo that
        _set_grad_mode(self.prev)
        return super().__call__(func)

    def clone(self):
        return set_grad_enabled(self.mode)


class set_multithreading_enabled(_DecoratorContextManager):
    """Sets the (remembered) multithreading switch at construction; leaving a ``with`` block
    puts back the value found then. As in PyTorch, a decorator made from it switches the
    value when it is created and each call restores only what it found on entry."""

    def __init__(self, mode: bool):
        self.mode = _check_bool(mode, "set_multithreading_enabled")
        self.prev = _multithreading[0]
        _multithreading[0] = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _multithreading[0] = self.prev
        return False

    def clone(self):
        return set_multithreading_enabled(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like ``no_grad``, and tensors made inside are inference tensors. ``inference_mode(False)``
    (nested inside one) turns both off again: grad mode on, normal tensors."""

    def __init__(self, mode: bool = True):
        self.mode = bool(mode)

    def __enter__(self):
        self.prev = (state.enabled, state.inference, state.grad_in_inference)
        state.enabled = not self.mode
        state.inference = self.mode
        state.grad_in_inference = False
        if self.mode:
            from .tensor import inference_mode_entered  # late: tensor.py reads ``state`` from here
            inference_mode_entered()

    def __exit__(self, *exc):
        state.enabled, state.inference, state.grad_in_inference = self.prev
        if self.mode:
            from .tensor import inference_mode_exited
            inference_mode_exited()
        return False

    def clone(self):
        return inference_mode(self.mode)

