"""Finding the ``tensorgraft`` entry points without importing ``importlib.metadata``.

``import importlib.metadata`` alone costs about 10 ms (it pulls in ``email``, ``csv``, ``zipfile``,
``pathlib``...), a fifth of ``import numpy``, and ``import tensorgraft`` needs just one thing from it:
the entry points of one group. An installed distribution records them in
``<sys.path entry>/<name>-<version>.dist-info/entry_points.txt`` (``<name>.egg-info/`` for legacy
installs) and its name and version in the headers of ``METADATA`` (``PKG-INFO``). This module reads
exactly those files, the way ``importlib.metadata.entry_points(group=...)`` does for folders on
``sys.path``: the first distribution of a (normalized) name along ``sys.path`` wins.

Whatever this reader does not understand - a zip file or an ``.egg`` on ``sys.path``, an import hook
that provides distributions of its own (``find_distributions`` on a ``sys.meta_path`` finder) -
makes it hand the whole search to ``importlib.metadata``: a plugin is never missed, only found
more slowly.
"""
from __future__ import annotations

import os
import re
import sys
from importlib import import_module
from importlib.machinery import PathFinder

_INFO_SUFFIXES = (".dist-info", ".egg-info")


class _Fallback(Exception):
    """Something on the path only ``importlib.metadata`` knows how to read."""


def _normalize(name: str) -> str:
    # importlib.metadata's Prepared.normalize: the key under which duplicates are dropped
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


class Distribution:
    """The ``name`` and ``version`` of one installed distribution (read on first use)."""

    __slots__ = ("_path", "_stem", "_headers")

    def __init__(self, path: str, stem: str):
        self._path = path
        self._stem = stem
        self._headers = None

    def _header(self, key: str):
        if self._headers is None:
            self._headers = {}
            fname = "METADATA" if self._path.lower().endswith(".dist-info") else "PKG-INFO"
            try:
                with open(os.path.join(self._path, fname), encoding="utf-8", errors="replace") as f:
                    for line in f:  # the headers end at the first blank line; the description follows
                        if not line.strip():
                            break
                        k, sep, v = line.partition(":")
                        if sep and not line[0].isspace():
                            self._headers.setdefault(k.strip().lower(), v.strip())
            except OSError:
                pass
        return self._headers.get(key)

    @property
    def name(self) -> str:
        return self._header("name") or self._stem

    @property
    def version(self):
        return self._header("version")


class EntryPoint:
    """``name = module[:attr]`` from one ``[group]`` of a distribution's entry_points.txt."""

    __slots__ = ("name", "value", "group", "dist")

    def __init__(self, name: str, value: str, group: str, dist: Distribution):
        self.name, self.value, self.group, self.dist = name, value, group, dist

    def load(self):
        spec = self.value.partition("[")[0]  # "[extras]" only matter to installers
        module, _, attrs = spec.partition(":")
        obj = import_module(module.strip())
        for attr in attrs.strip().split("."):
            if attr:
                obj = getattr(obj, attr)
        return obj

    def __repr__(self):
        return f"EntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def _parse_group(text: str, group: str):
    """The ``(name, value)`` pairs of ``[group]`` (importlib.metadata's ``Sectioned`` rules)."""
    section = None
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
        elif section == group:
            name, _, value = line.partition("=")
            yield name.strip(), value.strip()


def _distributions():
    """``(normalized name, info folder, stem)`` of every distribution, first along sys.path wins."""
    for finder in sys.meta_path:
        if finder is not PathFinder and getattr(finder, "find_distributions", None) is not None:
            raise _Fallback(finder)
    seen = set()
    for entry in sys.path:
        if not isinstance(entry, str):
            continue
        root = entry or "."
        try:
            names = os.listdir(root)
        except NotADirectoryError:
            raise _Fallback(entry) from None  # a zip file or an egg
        except OSError:
            continue  # missing or unreadable: importlib.metadata skips it too
        for child in names:
            low = child.lower()
            if low.endswith(".egg"):
                raise _Fallback(child)
            if not low.endswith(_INFO_SUFFIXES):
                continue
            stem = os.path.splitext(child)[0].partition("-")[0]
            key = _normalize(stem)
            if key not in seen:
                seen.add(key)
                yield key, os.path.join(root, child), stem


class Index:
    """One scan of ``sys.path``: the entry points of a group and the distributions' versions."""

    def __init__(self):
        try:
            self._dists = {key: (path, stem) for key, path, stem in _distributions()}
        except _Fallback:
            self._dists = None

    def entry_points(self, group: str) -> list:
        if self._dists is None:
            from importlib.metadata import entry_points
            return list(entry_points(group=group))
        found = []
        for path, stem in self._dists.values():
            try:
                with open(os.path.join(path, "entry_points.txt"), encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue  # most distributions have none (or the .egg-info is a file)
            if f"[{group}]" not in text:
                continue
            dist = Distribution(path, stem)
            found.extend(EntryPoint(name, value, group, dist) for name, value in _parse_group(text, group))
        return found

    def version(self, dist_name: str):
        """The installed version of ``dist_name``, or None."""
        if self._dists is None:
            from importlib.metadata import version
            try:
                return version(dist_name)
            except Exception:  # noqa: BLE001 - not installed (running from a source tree) or unreadable
                return None
        hit = self._dists.get(_normalize(dist_name))
        return None if hit is None else Distribution(*hit).version
