"""Calling a module with other parameters and buffers (``torch.nn.utils.stateless``,
``torch.func.functional_call``): the given tensors are swapped into the module for the call and
the module's own are put back afterwards, also when the call raises."""
from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence

from tensorgraft.tensor import Tensor

from ..modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()


def _untie_named_tensors_map(module, parameters_and_buffers):
    """``parameters_and_buffers`` with a value given for one of several tied names (one tensor
    registered under several names) given for all of them."""
    all_named_tensors = {}
    all_named_tensors.update(module.named_parameters(remove_duplicate=False))
    all_named_tensors.update(module.named_buffers(remove_duplicate=False))
    # by id: tensors compare elementwise with ==
    tied_by_id = {}
    for name, tensor in all_named_tensors.items():
        tied_by_id.setdefault(id(tensor), set()).add(name)
    tied_names_map = {}
    for tied_names in tied_by_id.values():
        if len(tied_names) > 1:
            for tied_name in tied_names:
                tied_names_map[tied_name] = tied_names
    given_for_tied = {name for name in parameters_and_buffers if name in tied_names_map}
    for given_name in given_for_tied:
        tied_names = tied_names_map[given_name]
        if (len(tied_names & given_for_tied) > 1
                and len({id(parameters_and_buffers[n]) for n in tied_names if n in parameters_and_buffers}) != 1):
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied_names)}, which are tied. "
                             "Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for given_name in given_for_tied:
        for tied_name in tied_names_map[given_name]:
            untied[tied_name] = parameters_and_buffers[given_name]
    return untied


def _get_submodule(module, memo, name):
    if not name:
        return module
    if name not in memo:
        prefix, dot, attr = name.rpartition(".")
        parent = _get_submodule(module, memo, prefix) if dot else module
        try:
            sub = getattr(parent, attr)
        except AttributeError as ex:
            raise AttributeError(f"{parent._get_name()} has no attribute `{attr}`") from ex
        if not isinstance(sub, Module):
            raise TypeError(f"submodule `{name}`: {sub} is not an instance of torch.nn.Module")
        memo[name] = sub
    return memo[name]


def _swap_tensor(module, name, tensor):
    """Put ``tensor`` (or nothing, for ``_MISSING``) at ``module.<name>``; return what was there.
    A parameter's or buffer's slot takes any tensor, so a non-leaf value keeps its graph; any
    other attribute (a parametrized tensor, say) is assigned."""
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of torch.Tensor")
    for store in (module._parameters, module._buffers):
        if name in store:
            orig = store[name]
            if tensor is _MISSING:
                del store[name]
            else:
                store[name] = tensor
            return orig
    orig = getattr(module, name) if hasattr(module, name) else _MISSING
    if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
        raise TypeError(f"attribute `{name}`: {orig} is not an instance of torch.Tensor")
    if tensor is not _MISSING:
        setattr(module, name, tensor)
    elif hasattr(module, name):
        delattr(module, name)
    return orig


def _swap_tensors_dict(module, memo, named_tensors):
    originals = {}
    try:
        for name, tensor in named_tensors.items():
            prefix, _, attr = name.rpartition(".")
            originals[name] = _swap_tensor(_get_submodule(module, memo, prefix), attr, tensor)
    except Exception:
        for name, orig in originals.items():
            prefix, _, attr = name.rpartition(".")
            _swap_tensor(_get_submodule(module, memo, prefix), attr, orig)
        raise
    return originals


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    untied = _untie_named_tensors_map(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        keys = set(untied)
        valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
        valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing, unexpected = sorted(valid - keys), sorted(keys - valid)
        error_msgs = []
        if unexpected:
            error_msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            error_msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if error_msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(error_msgs)))
    memo = {}
    originals = {}
    try:
        originals = _swap_tensors_dict(module, memo, untied)
        yield
    finally:
        new = _swap_tensors_dict(module, memo, originals)
        # a module that replaced a given tensor during the call (an in-place buffer update done
        # by assignment) hands the new one back through the caller's dict
        parameters_and_buffers.update({k: new[k] for k in parameters_and_buffers if k in new})


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the tensors named in ``parameters_and_buffers`` (keys as in
    ``named_parameters``/``named_buffers``) in place of the module's; the module is unchanged
    afterwards. ``tie_weights``: a value given for one name of a tied tensor is used for all its
    names. ``strict``: the dict must name every parameter and buffer, and nothing else.
    Deprecated in PyTorch in favour of ``torch.func.functional_call`` (a FutureWarning, as there)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)


def _func_functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                          strict=False):
    """``torch.func.functional_call``: as ``functional_call``, also taking a list/tuple of dicts."""
    if isinstance(parameter_and_buffer_dicts, dict):
        parameters_and_buffers = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated_keys = [k for k, n in counts.items() if n > 1]
        if repeated_keys:
            raise ValueError(f"{repeated_keys} appeared in multiple dictionaries; behavior of functional call is "
                             "ambiguous")
        parameters_and_buffers = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
