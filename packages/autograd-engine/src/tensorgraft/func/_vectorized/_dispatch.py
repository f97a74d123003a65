"""``BatchedTensor.__torch_function__``: the rule of the called function for the innermost
level among its arguments, or the per-sample fallback."""
from __future__ import annotations

from tensorgraft.overrides._dispatch import public_name

from ._batched import BatchedTensor, here, make_batched, replicate
from ._common import RULES_BY_NAME, find_level
from ._fallback import fallback

_rule_of: dict = {}  # public function -> its rule (the fallback where none): names are computed once


def _lookup(func):
    try:
        rule = _rule_of.get(func)
    except TypeError:  # (an unhashable callable)
        return RULES_BY_NAME.get(public_name(func), fallback)
    if rule is None:
        rule = _rule_of[func] = RULES_BY_NAME.get(public_name(func), fallback)
    return rule


def dispatch(func, args, kwargs):
    level, size = find_level(args, kwargs)
    if level is None:
        return NotImplemented
    if here.replicated and level in here.replicated:
        n, base = here.replicated[level]
        args, kwargs = _replicated(args, level, n, base), {k: _replicated(v, level, n, base)
                                                           for k, v in kwargs.items()}
        size = n * base
    return _lookup(func)(func, level, size, args, kwargs)


def _replicated(value, level, n, base):
    cls = value.__class__
    if cls is BatchedTensor:
        if value._level == level and value._bsize == base and n > 1:
            return make_batched(replicate(value._physical, n), level)
        return value
    if cls is tuple or cls is list:
        return cls(_replicated(v, level, n, base) for v in value)
    return value
