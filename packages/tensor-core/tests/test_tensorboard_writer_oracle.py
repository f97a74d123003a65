"""SummaryWriter's numeric records against PyTorch's: the same calls on both writers, then every
event of both event files compared field by field (wall times aside)."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")
torch_tb = pytest.importorskip("torch.utils.tensorboard")
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402


def events_of(run_dir):
    """Every event of the one event file in ``run_dir``, wall time cleared."""
    files = glob.glob(os.path.join(run_dir, "events.out.tfevents.*"))
    assert len(files) == 1, files
    out = []
    for event in LegacyEventFileLoader(files[0]).Load():
        event.ClearField("wall_time")
        out.append(event)
    return out


def run_both(tmp_path, calls):
    """``calls(writer, lib)`` on PyTorch's writer (lib=torch) and on tensorgraft's (lib=tg);
    returns both log directories."""
    want_dir, got_dir = str(tmp_path / "torch"), str(tmp_path / "tg")
    with torch_tb.SummaryWriter(want_dir) as w:
        calls(w, torch)
    with SummaryWriter(got_dir) as w:
        calls(w, tg)
    return want_dir, got_dir


def assert_same_events(want_dir, got_dir):
    want, got = events_of(want_dir), events_of(got_dir)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g == w, f"\n{g}\n!=\n{w}"


SCALARS = [1, 2.5, -3, np.float32(0.1), np.float64(1e300 / 1e290), np.int64(7), True]


@pytest.mark.parametrize("new_style,double_precision", [(False, False), (True, False), (True, True)])
def test_add_scalar_numbers_and_tensors(tmp_path, new_style, double_precision):
    def calls(w, lib):
        for step, v in enumerate(SCALARS):
            w.add_scalar("num", v, step, new_style=new_style, double_precision=double_precision)
        w.add_scalar("t0", lib.tensor(0.3), 10, new_style=new_style, double_precision=double_precision)
        w.add_scalar("t1", lib.tensor([[1.7]], dtype=lib.float64), np.int64(11), walltime=5.0,
                     new_style=new_style, double_precision=double_precision)
        w.add_scalar("grad", lib.tensor(2.0, requires_grad=True) * 3, 12, new_style=new_style)
        w.add_scalar("half", lib.tensor(0.1, dtype=lib.bfloat16), new_style=new_style)
    assert_same_events(*run_both(tmp_path, calls))


def test_add_scalar_refuses_many_values_as_pytorch(tmp_path):
    with SummaryWriter(str(tmp_path)) as w, pytest.raises(AssertionError) as got:
        w.add_scalar("x", tg.ones(2))
    with torch_tb.SummaryWriter(str(tmp_path / "t")) as w, pytest.raises(AssertionError) as want:
        w.add_scalar("x", torch.ones(2))
    assert " ".join(str(got.value).split()) == " ".join(str(want.value).split())


def test_add_scalars_writes_one_run_per_key(tmp_path):
    def calls(w, lib):
        for step in range(3):
            w.add_scalars("loss/train", {"a": step * 0.5, "b": lib.tensor(step * 2.0)}, step, walltime=1.0)
    want_dir, got_dir = run_both(tmp_path, calls)
    def runs(d):
        return sorted(name for name in os.listdir(d) if not name.startswith("events."))
    assert runs(got_dir) == runs(want_dir) == ["loss_train_a", "loss_train_b"]
    for sub in ("loss_train_a", "loss_train_b"):
        assert_same_events(os.path.join(want_dir, sub), os.path.join(got_dir, sub))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64", "int8", "uint8", "int16", "int32",
                                   "int64", "bool", "complex64", "complex128"])
def test_add_tensor_every_dtype(tmp_path, dtype):
    values = np.array([[0.1, -2.5, 3.0], [4.25, 0.0, 1.0]])

    def calls(w, lib):
        t = lib.tensor(values)
        if dtype.startswith("complex"):
            t = lib.complex(t, -t)
        w.add_tensor("t", t.to(getattr(lib, dtype)), 3)
    assert_same_events(*run_both(tmp_path, calls))


@pytest.mark.parametrize("bins,max_bins", [("tensorflow", None), ("auto", None), (10, None), (64, 7), ("fd", 3),
                                          ([-1.0, 0.0, 0.5, 2.0], None)])
def test_add_histogram(tmp_path, bins, max_bins):
    rng = np.random.default_rng(0)
    values = rng.standard_normal((20, 30)).astype(np.float32)

    def calls(w, lib):
        w.add_histogram("h", lib.tensor(values), 0, bins=bins, max_bins=max_bins)
        w.add_histogram("np", values[:3] * 100, 1, bins=bins, max_bins=max_bins)
        w.add_histogram("ints", lib.arange(50) % 7, 2, bins=bins, max_bins=max_bins)
    assert_same_events(*run_both(tmp_path, calls))


def test_add_histogram_errors_as_pytorch(tmp_path):
    for bins in ("tensorflow", [5.0, 6.0, 7.0]):
        with SummaryWriter(str(tmp_path)) as w, pytest.raises(ValueError) as got:
            w.add_histogram("h", tg.zeros(0) if bins == "tensorflow" else tg.ones(3), bins=bins)
        with torch_tb.SummaryWriter(str(tmp_path / "t")) as w, pytest.raises(ValueError) as want:
            w.add_histogram("h", torch.zeros(0) if bins == "tensorflow" else torch.ones(3), bins=bins)
        assert str(got.value) == str(want.value)


def test_add_histogram_raw_and_text_and_custom_scalars(tmp_path):
    layout = {"Taiwan": {"twse": ["Multiline", ["twse/0050", "twse/2330"]]},
              "USA": {"dow": ["Margin", ["dow/aaa", "dow/bbb", "dow/ccc"]],
                      "nasdaq": ["Margin", ["nasdaq/aaa", "nasdaq/bbb", "nasdaq/ccc"]]}}

    def calls(w, lib):
        w.add_histogram_raw("raw", min=-1.0, max=4, num=6, sum=7.5, sum_squares=20.25,
                            bucket_limits=[0.0, 1.0, 4.0], bucket_counts=[1, 2, 3], global_step=4)
        w.add_text("notes", "**lr** = 0.1 — ünïcode", 2)
        w.add_custom_scalars(layout)
        w.add_custom_scalars_multilinechart(["a", "b"], category="c", title="t")
        w.add_custom_scalars_marginchart(["a", "lo", "hi"])
    assert_same_events(*run_both(tmp_path, calls))


def test_add_hparams(tmp_path):
    hp = {"lr": 0.1, "bsize": 4, "optim": "adam", "amsgrad": True, "skip": None, "wd": None}
    domains = {"optim": ["adam", "sgd"], "bsize": [4, 8]}

    def calls(w, lib):
        w.add_hparams(dict(hp, t=lib.tensor([0.5])), {"hparam/accuracy": 0.9, "hparam/loss": lib.tensor(0.25)},
                      hparam_domain_discrete=domains, run_name="run0", global_step=3)
    want_dir, got_dir = run_both(tmp_path, calls)
    assert_same_events(os.path.join(want_dir, "run0"), os.path.join(got_dir, "run0"))


def test_add_hparams_errors_as_pytorch(tmp_path):
    cases = [(([1], {}), {}), (({"a": 1}, {}), {"hparam_domain_discrete": {"a": ["x"]}}),
             (({"a": [1]}, {}), {})]
    for args, kwargs in cases:
        with SummaryWriter(str(tmp_path)) as w, pytest.raises((TypeError, ValueError)) as got:
            w.add_hparams(*args, **kwargs)
        with torch_tb.SummaryWriter(str(tmp_path / "t")) as w, pytest.raises((TypeError, ValueError)) as want:
            w.add_hparams(*args, **kwargs)
        assert type(got.value) is type(want.value) and str(got.value) == str(want.value)


def test_purge_step_events(tmp_path):
    want_dir, got_dir = str(tmp_path / "torch"), str(tmp_path / "tg")
    with torch_tb.SummaryWriter(want_dir, purge_step=5) as w:
        w.add_scalar("x", 1.0, 5)
    with SummaryWriter(got_dir, purge_step=5) as w:
        w.add_scalar("x", 1.0, 5)
    assert_same_events(want_dir, got_dir)
