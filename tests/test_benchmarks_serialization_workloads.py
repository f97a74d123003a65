"""benchmarks/workloads/serialization.py: the PyTorch-file workload loads the same state_dict in
tensorgraft and in PyTorch (small shapes here; the benchmark uses 100 MB)."""
import pathlib
import sys

import pytest

torch = pytest.importorskip("torch", reason="the workload loads a file written by PyTorch")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

from workloads import serialization as sw  # noqa: E402


def test_load_pytorch_file_workload(monkeypatch):
    monkeypatch.setattr(sw, "_SHAPES", [(8, 4), (4,), (3, 3)])
    monkeypatch.setattr(sw, "_PYTORCH_FILE", {})
    for make in (sw.tg_load_pytorch_file, sw.torch_load_pytorch_file, sw.np_load_arrays):
        seconds = make()()
        assert seconds > 0
    import tensorgraft as tg
    ours, theirs = tg.load(sw._PYTORCH_FILE["path"]), torch.load(sw._PYTORCH_FILE["path"])
    assert list(ours) == list(theirs)
    for key in theirs:
        assert (ours[key].numpy() == theirs[key].numpy()).all()
    names = [w.name for w in sw.WORKLOADS]
    assert {"load_pytorch_file_100MB", "save_pytorch_file_100MB", "save_load_100MB"} <= set(names)


def test_save_pytorch_file_workload(monkeypatch):
    monkeypatch.setattr(sw, "_SHAPES", [(8, 4), (4,)])
    for make in (sw.tg_save_pytorch_file, sw.torch_save_pytorch_file, sw.np_save_arrays):
        assert make()() > 0
