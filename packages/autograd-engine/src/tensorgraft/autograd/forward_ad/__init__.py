"""``tensorgraft.autograd.forward_ad`` (PyTorch's ``torch.autograd.forward_ad``): forward-mode AD.

Inside ``with dual_level():``, ``make_dual(primal, tangent)`` gives a tensor that carries a tangent
(a direction); every op on it computes, besides its value, the directional derivative of that value
(``unpack_dual(y).tangent`` is the Jacobian-vector product ``J t``). Leaving the level drops the
tangents. How tangents are computed: ``_propagation.py``; where they are kept: ``_tangents.py``.
"""
from __future__ import annotations

from typing import NamedTuple

from tensorgraft._C import state as _state
from tensorgraft.grad_mode import _DecoratorContextManager
from tensorgraft.tensor import Tensor

from . import _tangents
from ._tangents import set_tangent, tangent_of

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]


class UnpackedDualTensor(NamedTuple):
    """What ``unpack_dual`` returns: the ``primal`` (a view of the dual tensor without its tangent)
    and the ``tangent`` (None when there is none)."""

    primal: Tensor
    tangent: Tensor | None


def enter_dual_level() -> int:
    """Enter a new dual level and return its number; prefer ``with dual_level():``. Only one level
    can be entered at a time, as in PyTorch."""
    if _tangents.current is not None:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    push_mode, _, mode, install, _ = _machinery or _load_machinery()
    _tangents.current = _tangents.Level(0, mode)
    push_mode(mode)
    install()
    return 0


def exit_dual_level(*, level=None) -> None:
    """Leave the current dual level (``level``, when given, must be its number): every tangent of
    that level is dropped."""
    current = _tangents.current
    if current is None:
        raise RuntimeError("Dual level must be a positive number.")
    if level is not None and level != current.number:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is not "
                           "supported.")
    _, remove_mode, _, _, uninstall = _machinery or _load_machinery()
    remove_mode(current.mode)
    uninstall()
    current.table.clear()
    _tangents.current = None


# (push a mode under the others, take it off, the mode that propagates tangents, install and uninstall
# custom Functions' jvp): imported when a level is first entered, as the dispatch machinery loads
# only when a program needs it, and kept (a level is entered per jvp: the imports cost ~2 µs)
_machinery = None


def _load_machinery() -> tuple:
    global _machinery
    from tensorgraft.overrides import _push_outermost_mode, _remove_mode

    from ._propagation import ForwardADMode
    from .custom_function import install, uninstall
    _machinery = (_push_outermost_mode, _remove_mode, ForwardADMode(), install, uninstall)
    return _machinery


def _check_level(level, op: str):
    current = _tangents.current
    if level is not None and (current is None or level != current.number):
        raise RuntimeError(f"Invalid level given to {op}")
    return current


def make_dual(tensor, tangent, *, level=None):
    """A view of ``tensor`` that carries ``tangent`` (same size; floating point or complex; any such
    dtype). ``tangent`` itself is kept when it is laid out as ``tensor`` is (so
    ``unpack_dual(dual).tangent is tangent``), else a copy laid out so."""
    current = _check_level(level, "_make_dual")
    if current is None:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    modes = _state.modes
    alone = len(modes) == 1 and modes[0] is current.mode
    if alone:  # (see _view_as_itself)
        modes.pop()
    try:
        _check_dual(current, tensor, tangent)
        relaid = _relaid(tangent, tensor)
        dual = _view_as_itself(tensor, alone)
    finally:
        if alone:
            modes.append(current.mode)
    if relaid:  # (with the mode on: a tangent that is itself dual passes its tangent to the copy)
        import tensorgraft
        tangent = tensorgraft.empty_strided(tensor.shape, tensor.stride(), dtype=tangent.dtype,
                                            device=tangent.device).copy_(tangent)
    set_tangent(dual, tangent)
    return dual


def _check_dual(current, tensor, tangent) -> None:
    if type(tensor) is Tensor and type(tangent) is Tensor:
        # the common case read straight from the arrays (through the dispatch wrappers, on while a
        # level is entered, the checks below cost ~4 µs); anything unusual gets the checks below
        if (_is_float(tensor) or _is_complex(tensor)) and (_is_float(tangent) or _is_complex(tangent)) \
                and tangent._data.shape == tensor._data.shape and tangent._device == tensor._device \
                and tangent_of(tensor) is None:
            return
    if not (tensor.is_floating_point() or tensor.is_complex()):
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not (tangent.is_floating_point() or tangent.is_complex()):
        raise ValueError(f"Expected tangent to be floating point or complex, but got: {tangent.dtype}")
    if tuple(tangent.shape) != tuple(tensor.shape):
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    if tangent_of(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward gradient at the same "
                           f"level {current.number} is not supported.")
    if tangent.device != tensor.device:
        raise RuntimeError(f"Expected tangent to be on the same device as the primal ({tensor.device}), but it is on "
                           f"{tangent.device}: move it with .to({str(tensor.device)!r}) first.")


def _unwrapped(f):
    """``f`` without its dispatch wrapper (``overrides._binding.unwrapped``, without importing the
    dispatch machinery before a level needs it)."""
    return getattr(f, "__torch_function_wrapped__", f)


_is_float = _unwrapped(Tensor.is_floating_point)
_is_complex = _unwrapped(Tensor.is_complex)
_plain_stride = _unwrapped(Tensor.stride)


def _relaid(tangent, tensor) -> bool:
    """Whether ``tangent``'s strides differ from ``tensor``'s (then it is copied into its layout)."""
    if type(tangent) is Tensor and type(tensor) is Tensor:
        a, b = tangent._data, tensor._data
        if a.strides == b.strides and a.itemsize == b.itemsize:
            return False  # (the same bytes per step and per element: the same strides, the common case)
        return _plain_stride(tangent) != _plain_stride(tensor)
    return tangent.stride() != tensor.stride()


def _view_as_itself(tensor, alone: bool):
    """``tensor.view_as(tensor)`` for ``make_dual`` and ``unpack_dual``. ``alone``: the forward-AD
    mode is the only mode entered, and the caller took it off the stack, so the call runs as the
    mode's handler would run it (through the mode it costs ~3 µs only to be passed on, and
    ``unpack_dual``'s view would view the tangent too, to be thrown away); for a plain Tensor that is
    ``view``'s implementation, which ``view_as`` calls. A mode a program entered sees the call as
    before (the forward-AD mode stays on then)."""
    if alone and type(tensor) is Tensor:
        view = Tensor.view
        return getattr(view, "__torch_function_wrapped__", view)(tensor, tensor._data.shape)
    return tensor.view_as(tensor)


def unpack_dual(tensor, *, level=None) -> UnpackedDualTensor:
    """``(primal, tangent)`` of ``tensor`` at the current level. Inside a level the primal is a view
    of ``tensor`` without a tangent (None when ``tensor`` has none); outside one, ``tensor`` itself
    and None."""
    if _tangents.current is None:
        return UnpackedDualTensor(tensor, None)
    tangent = tangent_of(tensor)
    if tangent is not None:  # (PyTorch checks the level only for a tensor that has a tangent)
        _check_level(level, "_fw_primal")
    mode, modes = _tangents.current.mode, _state.modes
    alone = len(modes) == 1 and modes[0] is mode
    if alone:
        modes.pop()
    try:
        primal = _view_as_itself(tensor, alone)
    finally:
        if alone:
            modes.append(mode)
    set_tangent(primal, None)
    return UnpackedDualTensor(primal, tangent)


class dual_level(_DecoratorContextManager):
    """``with dual_level():`` — a dual level for the block (``make_dual`` needs one); its tangents
    are dropped at the end. Also a decorator."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback):
        exit_dual_level()
