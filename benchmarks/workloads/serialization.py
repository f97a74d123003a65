"""Saving and loading a 100 MB state_dict (issue 7) vs numpy.save/numpy.load of the same arrays; and
loading the same state_dict from a file PyTorch's torch.save wrote, tensorgraft.load vs torch.load."""
from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from . import Workload

_SHAPES = [(1024, 1024)] * 24 + [(1024,)] * 24  # 24 x 4 MiB + small ones ~ 100 MB


def _arrays():
    rng = np.random.default_rng(0)
    return {f"layer{i}.{'weight' if len(s) == 2 else 'bias'}": rng.standard_normal(s, dtype=np.float32)
            for i, s in enumerate(_SHAPES)}


def tg_roundtrip():
    import tensorgraft as tg
    sd = {k: tg.from_numpy(v) for k, v in _arrays().items()}
    d = tempfile.mkdtemp()
    path = os.path.join(d, "ckpt.tg")

    def run():
        t0 = time.perf_counter()
        tg.save(sd, path)
        out = tg.load(path)
        assert len(out) == len(sd)
        return time.perf_counter() - t0
    return run


def _np_save_all(arrs, d):
    for k, v in arrs.items():
        np.save(os.path.join(d, k + ".npy"), v)


def _np_load_all(arrs, d):
    out = {k: np.load(os.path.join(d, k + ".npy")) for k in arrs}
    assert len(out) == len(arrs)
    return out


def np_roundtrip():
    arrs = _arrays()
    d = tempfile.mkdtemp()

    def run():
        t0 = time.perf_counter()
        _np_save_all(arrs, d)
        _np_load_all(arrs, d)
        return time.perf_counter() - t0
    return run


_PYTORCH_FILE = {}


def _pytorch_file():
    """The 100 MB state_dict written once by PyTorch's torch.save (the zip format)."""
    if "path" not in _PYTORCH_FILE:
        import torch
        path = os.path.join(tempfile.mkdtemp(), "pytorch_state_dict.pt")
        torch.save({k: torch.from_numpy(v) for k, v in _arrays().items()}, path)
        _PYTORCH_FILE["path"] = path
    return _PYTORCH_FILE["path"]


def _timed_load(load):
    """Times ``load(path)`` of the PyTorch-written file (the same code for both libraries)."""
    path = _pytorch_file()

    def run():
        t0 = time.perf_counter()
        out = load(path)
        assert len(out) == len(_SHAPES)
        return time.perf_counter() - t0
    return run


def tg_load_pytorch_file():
    import tensorgraft as tg
    return _timed_load(tg.load)


def torch_load_pytorch_file():
    import torch
    return _timed_load(torch.load)


def _timed_save(save, state_dict):
    """Times ``save(state_dict, path)``, writing PyTorch's format (the same code for both libraries)."""
    path = os.path.join(tempfile.mkdtemp(), "written_for_pytorch.pt")

    def run():
        t0 = time.perf_counter()
        save(state_dict, path)
        return time.perf_counter() - t0
    return run


def tg_save_pytorch_file():
    import tensorgraft as tg
    from tensorgraft.serialization import save_for_pytorch
    return _timed_save(save_for_pytorch, {k: tg.from_numpy(v) for k, v in _arrays().items()})


def torch_save_pytorch_file():
    import torch
    return _timed_save(torch.save, {k: torch.from_numpy(v) for k, v in _arrays().items()})


def np_save_arrays():
    arrs = _arrays()
    d = tempfile.mkdtemp()

    def run():
        t0 = time.perf_counter()
        _np_save_all(arrs, d)
        return time.perf_counter() - t0
    return run


def np_load_arrays():
    arrs = _arrays()
    d = tempfile.mkdtemp()
    _np_save_all(arrs, d)

    def run():
        t0 = time.perf_counter()
        _np_load_all(arrs, d)
        return time.perf_counter() - t0
    return run


WORKLOADS = [
    Workload("save_load_100MB", "save + load a 100 MB state_dict (48 float32 tensors)",
             tensorgraft=lambda: tg_roundtrip(), numpy=lambda: np_roundtrip(), target="tg/numpy <= 1.5",
             custom_timer=True),
    Workload("load_pytorch_file_100MB", "load a 100 MB state_dict written by PyTorch's torch.save",
             tensorgraft=lambda: tg_load_pytorch_file(), numpy=lambda: np_load_arrays(),
             torch=lambda: torch_load_pytorch_file(), target="tg/torch <= 1.5", custom_timer=True),
    Workload("save_pytorch_file_100MB", "write a 100 MB state_dict in PyTorch's format (save_for_pytorch vs "
             "torch.save)", tensorgraft=lambda: tg_save_pytorch_file(), numpy=lambda: np_save_arrays(),
             torch=lambda: torch_save_pytorch_file(), target="tg/torch <= 1.5", custom_timer=True),
]
