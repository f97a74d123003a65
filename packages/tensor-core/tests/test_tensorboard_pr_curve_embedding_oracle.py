"""tensorgraft's PR curves and embedding files against PyTorch's ``torch.utils.tensorboard`` on the
same inputs: the same ``Summary`` protos and event records, byte-identical projector files."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402
from torch.utils.tensorboard import summary as torch_summary  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard._embedding import write_embedding  # noqa: E402
from tensorgraft.utils.tensorboard._pr_curve import compute_curve, pr_curve, pr_curve_raw  # noqa: E402

RNG = np.random.default_rng(1234)


def _files(root):
    out = {}
    for d, _, names in os.walk(root):
        for name in names:
            if not name.startswith("events.out.tfevents"):
                path = os.path.join(d, name)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, root)] = f.read()
    return out


def _summaries(logdir):
    (path,) = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    return [(e.step, e.summary) for e in EventFileLoader(path).Load() if e.HasField("summary")]


# --------------------------------------------------------------------------- PR curves
CURVE_CASES = [
    (RNG.integers(0, 2, 200), RNG.random(200), 127, None),
    (RNG.integers(0, 2, 200), RNG.random(200), 300, RNG.random(200)),
    (RNG.integers(0, 2, 50).astype(bool), RNG.random(50).astype(np.float32), 10, 0.5),
    (RNG.integers(0, 2, 50), RNG.random(50) * 1.4 - 0.2, 7, None),  # some predictions out of [0, 1]
    (np.array([1, 0, 1]), np.array([0.0, 1.0, 0.5]), 1, None),
    (RNG.integers(0, 2, (4, 5)), RNG.random((4, 5)), 33, RNG.random((4, 5))),
]


@pytest.mark.parametrize("labels, predictions, num_thresholds, weights", CURVE_CASES)
def test_pr_curve_matches_pytorch(labels, predictions, num_thresholds, weights):
    expected = torch_summary.pr_curve("pr", labels, predictions, num_thresholds, weights)
    got = pr_curve("pr", labels, predictions, num_thresholds, weights)
    assert got == expected
    assert got.SerializeToString() == expected.SerializeToString()
    if num_thresholds <= 127:
        np.testing.assert_array_equal(compute_curve(labels, predictions, num_thresholds, weights),
                                      torch_summary.compute_curve(labels, predictions, num_thresholds, weights))


def test_pr_curve_raw_matches_pytorch():
    rows = [RNG.integers(0, 50, 20) for _ in range(4)] + [RNG.random(20), RNG.random(20)]
    for thresholds in (20, 127, 128):
        expected = torch_summary.pr_curve_raw("raw", *rows, num_thresholds=thresholds)
        assert pr_curve_raw("raw", *rows, num_thresholds=thresholds) == expected
        assert pr_curve_raw("raw", *[tg.from_numpy(r) for r in rows], num_thresholds=thresholds) == expected


def test_writer_pr_curves_match_pytorch(tmp_path):
    labels, predictions, weights = RNG.integers(0, 2, 80), RNG.random(80), RNG.random(80)
    rows = [RNG.integers(0, 50, 9) for _ in range(4)] + [RNG.random(9), RNG.random(9)]
    theirs, ours = TorchWriter(tmp_path / "torch"), SummaryWriter(tmp_path / "tg")
    theirs.add_pr_curve("a", torch.from_numpy(labels), torch.from_numpy(predictions), 3, 50, weights)
    ours.add_pr_curve("a", tg.from_numpy(labels), tg.from_numpy(predictions), 3, 50, weights)
    theirs.add_pr_curve_raw("b", *rows, global_step=4, num_thresholds=9)
    ours.add_pr_curve_raw("b", *rows, global_step=4, num_thresholds=9)
    theirs.close()
    ours.close()
    expected = _summaries(tmp_path / "torch")
    assert len(expected) == 2 and _summaries(tmp_path / "tg") == expected


# --------------------------------------------------------------------------- embeddings
def _labels(n):
    return [f"w{i}" if i % 3 else i * 1.5 for i in range(n)]


EMBEDDING_CASES = {
    "mat only": lambda: [dict(mat=RNG.standard_normal((6, 4)).astype(np.float32))],
    "float64, ints, labels": lambda: [dict(mat=RNG.standard_normal((5, 3)), metadata=_labels(5), global_step=12),
                                      dict(mat=RNG.integers(-9, 9, (5, 2)), metadata=list(range(5)), tag="ints")],
    "header": lambda: [dict(mat=RNG.random((4, 2)).astype(np.float16),
                            metadata=[[f"n{i}", i, i / 3] for i in range(4)], metadata_header=["name", "i", "third"])],
    "rgb sprite": lambda: [dict(mat=RNG.random((10, 5)), label_img=RNG.random((10, 3, 6, 8)).astype(np.float32),
                                metadata=_labels(10), tag="a/b%c\\d", global_step=3)],
    "grey sprite, clipped": lambda: [dict(mat=RNG.random((7, 2)),
                                          label_img=RNG.random((7, 1, 5, 5)).astype(np.float32) * 1.6 - 0.3)],
    "one image": lambda: [dict(mat=RNG.random((1, 3)), label_img=RNG.random((1, 3, 4, 4)))],
    "same dir twice": lambda: [dict(mat=RNG.random((3, 2)), metadata=["a", "b", "c"]),
                               dict(mat=RNG.random((2, 2)))],
}


def _tg_value(value):
    return tg.from_numpy(value) if isinstance(value, np.ndarray) else value


def _torch_value(value):
    return torch.from_numpy(value) if isinstance(value, np.ndarray) else value


@pytest.mark.parametrize("case", sorted(EMBEDDING_CASES))
def test_embedding_files_match_pytorch(tmp_path, case, capsys):
    calls = EMBEDDING_CASES[case]()
    theirs, ours = TorchWriter(tmp_path / "torch"), SummaryWriter(tmp_path / "tg")
    config = None
    for call in calls:
        theirs.add_embedding(**{k: _torch_value(v) for k, v in call.items()})
        torch_output = capsys.readouterr().out
        ours.add_embedding(**{k: _tg_value(v) for k, v in call.items()})
        assert capsys.readouterr().out == torch_output  # the "Embedding dir exists" warning, or nothing
        # the function the writer calls, on NumPy arrays, in a third log dir
        config = write_embedding(str(tmp_path / "direct"), config, **call)
        capsys.readouterr()
    theirs.close()
    ours.close()
    expected = _files(tmp_path / "torch")
    assert "projector_config.pbtxt" in expected and len(expected) >= 2
    assert _files(tmp_path / "tg") == expected
    assert _files(tmp_path / "direct") == expected


def test_embedding_bytes_with_tensor_values(tmp_path):
    # a float32 mat whose values spell differently as float32 and float64, and bfloat16 images
    mat = np.array([[0.1, 1 / 3], [1e-8, 123456.789]], dtype=np.float32)
    images = torch.rand(2, 3, 3, 3, dtype=torch.bfloat16)
    TorchWriter(tmp_path / "torch").add_embedding(torch.from_numpy(mat), label_img=images)
    ours = tg.from_numpy(images.float().numpy()).to(tg.bfloat16)
    SummaryWriter(tmp_path / "tg").add_embedding(tg.from_numpy(mat), label_img=ours)
    assert _files(tmp_path / "tg") == _files(tmp_path / "torch")


ERROR_CASES = [
    dict(mat=np.zeros((3, 2)), metadata=["a", "b"]),
    dict(mat=np.zeros((3, 2)), label_img=np.zeros((2, 3, 2, 2), np.float32)),
    dict(mat=np.zeros((3, 2)), metadata=[["a", 1]] * 3, metadata_header=["x"]),
    dict(mat=np.zeros((3, 2)), label_img=np.zeros((3, 2, 2, 2), np.float32)),
    dict(mat=np.zeros((3, 2, 1))),
]


@pytest.mark.parametrize("call", ERROR_CASES)
def test_errors_match_pytorch_and_leave_nothing(tmp_path, call):
    with pytest.raises(Exception) as theirs:
        TorchWriter(tmp_path / "torch").add_embedding(**{k: _torch_value(v) for k, v in call.items()})
    with pytest.raises(type(theirs.value)) as ours:
        SummaryWriter(tmp_path / "tg").add_embedding(**{k: _tg_value(v) for k, v in call.items()})
    # PyTorch's message, then what was wrong
    assert str(ours.value).startswith(str(theirs.value))
    assert [f for f in _files(tmp_path / "tg")] == []
    assert not os.path.exists(tmp_path / "tg" / "00000")
