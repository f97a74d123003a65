"""tensorgraft reads its plugins' entry points itself (``tensorgraft.plugins._entrypoints``) instead of
importing ``importlib.metadata`` on every ``import tensorgraft``; it must find exactly what
``importlib.metadata`` finds, and hand over to it for what it cannot read."""
from __future__ import annotations

import importlib.metadata as md
import sys
import textwrap

import pytest

from tensorgraft.plugins import _entrypoints as E


def _key(eps):
    return sorted((ep.dist.name, ep.dist.version, ep.name, ep.value) for ep in eps)


@pytest.mark.parametrize("group", ["tensorgraft", "console_scripts", "pytest11"])
def test_same_entry_points_as_importlib_metadata(group):
    assert _key(E.Index().entry_points(group)) == _key(md.entry_points(group=group))


def test_version_matches_importlib_metadata():
    index = E.Index()
    assert index.version("tensorgraft-core") == md.version("tensorgraft-core")
    assert index.version("tensorgraft_core") == md.version("tensorgraft-core")
    assert index.version("no-such-distribution-here") is None


def _write_dist(site, name, version, entry_points):
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nName: not-me\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_reads_a_dist_info_folder_first_one_wins(tmp_path, monkeypatch):
    text = textwrap.dedent("""
        # a comment
        [console_scripts]
        ignored = x:y

        [tensorgraft]
        mine = tg_mine.plugin:hooks.impl [extra]
        other=tg_mine.other
        """)
    _write_dist(tmp_path / "a", "tg-Mine", "1.0", text)
    _write_dist(tmp_path / "b", "tg_mine", "2.0", "[tensorgraft]\nshadowed = nope\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "missing")])
    eps = E.Index().entry_points("tensorgraft")
    assert [(ep.name, ep.value, ep.dist.name, ep.dist.version) for ep in eps] == [
        ("mine", "tg_mine.plugin:hooks.impl [extra]", "tg-Mine", "1.0"), ("other", "tg_mine.other", "tg-Mine", "1.0")]
    assert _key(eps) == _key(md.entry_points(group="tensorgraft"))


def test_load_imports_module_and_attribute(tmp_path, monkeypatch):
    pkg = tmp_path / "tg_ep_probe"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("class hooks:\n    impl = 42\n")
    _write_dist(tmp_path, "tg-ep-probe", "0.1", "[tensorgraft]\nprobe = tg_ep_probe:hooks.impl [x]\nmod = tg_ep_probe\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)] + sys.path)
    monkeypatch.delitem(sys.modules, "tg_ep_probe", raising=False)
    loaded = {ep.name: ep.load() for ep in E.Index().entry_points("tensorgraft") if ep.dist.name == "tg-ep-probe"}
    assert loaded["probe"] == 42 and loaded["mod"].__name__ == "tg_ep_probe"


def test_zip_on_the_path_falls_back_to_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "some.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip archive
    monkeypatch.setattr(sys, "path", sys.path + [str(archive)])
    index = E.Index()
    assert index._dists is None
    assert _key(index.entry_points("tensorgraft")) == _key(md.entry_points(group="tensorgraft"))
    assert index.version("tensorgraft-core") == md.version("tensorgraft-core")
