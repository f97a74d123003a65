"""``TorchVersion``: the type of ``tensorgraft.__version__``, as ``torch.torch_version.TorchVersion``.

It is a ``str`` (printing, ``startswith`` and hashing are a string's) whose comparisons follow
version order (PEP 440: ``"0.10" > "0.9"``, ``"1.0rc1" < "1.0"``, ``"1.0" == "1.0.0"``), and it
also compares with tuples and other iterables of numbers: ``tensorgraft.__version__ >= (0, 1)``.
PyTorch leans on the ``packaging`` library for the ordering; core depends on NumPy and pluggy
only, so the small PEP 440 ordering key is written out here. When either side is not a version
at all, ``str``'s own comparison decides (so ``"abc" < (1,)`` is a TypeError), as in PyTorch.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable

__all__ = ["TorchVersion"]

# [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], case-insensitive, with PEP 440's spelling latitude.
_PEP440_PATTERN = r"""^\s*v?
    (?:(?P<epoch>\d+)!)?
    (?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_kind>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_bare>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d+)?(?P<post_tag>))?
    (?:[-_.]?dev[-_.]?(?P<dev_n>\d+)?(?P<dev_tag>))?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
    \s*$"""


@functools.lru_cache(maxsize=None)
def _pep440():
    # compiled on the first comparison rather than at import: compiling this pattern was ~0.5 ms
    # of every ``import tensorgraft``, and most programs never compare versions
    return re.compile(_PEP440_PATTERN, re.IGNORECASE | re.VERBOSE)


_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}

# Sentinels that sort below / above every number, for the parts a version leaves out.
_LOW = (-1,)
_HIGH = (float("inf"),)


def _order_key(text: str):
    """A tuple whose ordering is PEP 440's version ordering, or None when ``text`` is no version."""
    m = _pep440().match(text)
    if m is None:
        return None
    release = [int(p) for p in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:  # 1.0 == 1.0.0
        release.pop()
    has_post = m["post_bare"] is not None or m["post_tag"] is not None
    has_dev = m["dev_tag"] is not None
    if m["pre_kind"]:
        pre = (_PRE_RANK[m["pre_kind"].lower()], int(m["pre_n"] or 0))
    elif has_dev and not has_post:
        pre = _LOW  # 1.0.dev1 comes before 1.0a1
    else:
        pre = _HIGH  # a final release comes after its pre-releases
    post = (int(m["post_bare"] or m["post_n"] or 0),) if has_post else _LOW
    dev = (int(m["dev_n"] or 0),) if has_dev else _HIGH
    if m["local"] is None:
        local = ()
    else:  # numeric segments sort above alphanumeric ones (PEP 440)
        local = tuple((1, int(s), "") if s.isdigit() else (0, 0, s.lower())
                      for s in re.split(r"[-_.]", m["local"]))
    return (int(m["epoch"] or 0), tuple(release), pre, post, dev, local)


class TorchVersion(str):
    """A version string that compares as a version with strings and with tuples of numbers."""

    def _coerce(self, other):
        """``other`` as a string to compare with; None when the comparison is not supported."""
        if isinstance(other, str):
            return str(other)
        if isinstance(other, Iterable):  # (2, 0) -> "2.0", as PyTorch
            return ".".join(str(part) for part in other)
        return None

    def _compare(self, other, op_name: str, str_method, test):
        text = self._coerce(other)
        if text is None:
            raise TypeError(f"'{op_name}' not supported between instances of 'TorchVersion' and "
                            f"'{type(other).__name__}'")
        mine, theirs = _order_key(str(self)), _order_key(text)
        if mine is None or theirs is None:  # not versions: str's own comparison with the original operand
            return str_method(self, other)
        return test(mine, theirs)

    def __lt__(self, other):
        return self._compare(other, "<", str.__lt__, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, "<=", str.__le__, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, ">", str.__gt__, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, ">=", str.__ge__, lambda a, b: a >= b)

    def __eq__(self, other):
        if self._coerce(other) is None:
            return False
        return self._compare(other, "==", str.__eq__, lambda a, b: a == b)

    # ``!=`` stays str's, as in PyTorch (whose TorchVersion defines no ``__ne__``): "1.0" != "1.0.0".
    __hash__ = str.__hash__  # equal strings still hash alike (dict keys, sets)
