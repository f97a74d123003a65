"""SummaryWriter's event files read back: scalars, tensors, histograms (worked by hand), text,
hyper-parameters, custom-scalar layouts, run directories, the writer's lifetime and its errors."""
from __future__ import annotations

import glob
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader  # noqa: E402
from tensorboard.plugins.custom_scalar import layout_pb2  # noqa: E402
from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft.utils.tensorboard import FileWriter, SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard import summary as tb_summary  # noqa: E402


def event_files(run_dir):
    return sorted(glob.glob(os.path.join(str(run_dir), "events.out.tfevents.*")))


def summaries(run_dir):
    """(step, Summary.Value) of every summary event in ``run_dir``'s event files, in order."""
    out = []
    for path in event_files(run_dir):
        for event in LegacyEventFileLoader(path).Load():
            if event.HasField("summary"):
                out.extend((event.step, v) for v in event.summary.value)
    return out


def test_scalars_read_back(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("loss", 0.1, 0)
        w.add_scalar("loss", tg.tensor([[2.5]]), np.int64(1))
        w.add_scalar("exact", 0.1, 2, new_style=True, double_precision=True)
        w.add_scalar("single", 0.1, 3, new_style=True)
    got = summaries(tmp_path)
    assert [(s, v.tag) for s, v in got] == [(0, "loss"), (1, "loss"), (2, "exact"), (3, "single")]
    assert got[0][1].simple_value == np.float32(0.1) and got[1][1].simple_value == 2.5
    assert got[2][1].tensor.double_val == [0.1] and got[2][1].metadata.plugin_data.plugin_name == "scalars"
    assert got[3][1].tensor.float_val == [np.float32(0.1)]


def test_walltime_and_step_are_recorded(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalar("x", 1.0, global_step=tg.tensor(7), walltime=123.5)
    events = [e for e in LegacyEventFileLoader(event_files(tmp_path)[0]).Load() if e.HasField("summary")]
    assert events[0].step == 7 and events[0].wall_time == 123.5


def test_default_log_dir_names_date_host_and_comment(tmp_path, monkeypatch):
    import socket
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1")
    w.close()
    assert w.get_logdir().startswith("runs" + os.sep) and w.get_logdir().endswith(socket.gethostname() + "_lr0.1")
    assert len(event_files(tmp_path / w.get_logdir())) == 1


def test_add_scalars_makes_one_run_per_series(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_scalars("loss/all", {"train": 1.0, "val": 2.0}, 0)
        w.add_scalars("loss/all", {"train": 0.5, "val": 1.5}, 1)
    assert summaries(tmp_path) == []
    for run, values in (("loss_all_train", [1.0, 0.5]), ("loss_all_val", [2.0, 1.5])):
        got = summaries(tmp_path / run)
        assert [(s, v.tag, v.simple_value) for s, v in got] == [(0, "loss/all", values[0]), (1, "loss/all", values[1])]
        assert len(event_files(tmp_path / run)) == 1


def test_add_tensor_values_and_shape(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("f", tg.tensor([[1.5, -2.0, 3.0]]))
        w.add_tensor("i", tg.arange(4).view(2, 2))
        w.add_tensor("b", tg.tensor([True, False]))
        w.add_tensor("c", tg.tensor([1 + 2j]))
        w.add_tensor("h", tg.tensor([0.5, 2.0], dtype=tg.float16))
    f, i, b, c, h = (v.tensor for _, v in summaries(tmp_path))
    assert [d.size for d in f.tensor_shape.dim] == [1, 3] and list(f.float_val) == [1.5, -2.0, 3.0]
    assert i.dtype == 9 and list(i.int64_val) == [0, 1, 2, 3]  # DT_INT64
    assert list(b.bool_val) == [True, False] and list(c.scomplex_val) == [1.0, 2.0]
    assert [tb_summary.int_to_half(v) for v in h.half_val] == [0.5, 2.0]


def test_add_tensor_refuses_what_it_cannot_store(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="expects a Tensor, got ndarray"):
            w.add_tensor("x", np.ones(3))
        with pytest.raises(ValueError, match="x has unsupported tensor dtype torch.uint16"):
            w.add_tensor("x", _FakeDtype())


class _FakeDtype(tg.Tensor):
    """A tensor reporting a dtype tensor_proto has no field for."""

    def __new__(cls):
        return tg.ones(1).as_subclass(cls)

    @property
    def dtype(self):
        return "torch.uint16"


def test_histogram_worked_by_hand():
    h = tb_summary.make_histogram(np.array([0.5, 1.5, 1.5, 3.5]), bins=[0.0, 1.0, 2.0, 3.0, 4.0])
    # an empty bucket in front (TensorBoard reads right edges only), then the occupied span
    assert list(h.bucket) == [0, 1, 2, 0, 1] and list(h.bucket_limit) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert (h.min, h.max, h.num, h.sum, h.sum_squares) == (0.5, 3.5, 4, 7.0, 0.25 + 2.25 + 2.25 + 12.25)
    # the support is trimmed to the occupied buckets, keeping one bucket to the left
    h = tb_summary.make_histogram(np.array([2.5, 2.7]), bins=[0.0, 1.0, 2.0, 3.0, 4.0])
    assert list(h.bucket) == [0, 2] and list(h.bucket_limit) == [2.0, 3.0]
    # max_bins: runs of 64 // 7 = 9 buckets merged, the last run padded
    values = np.arange(64) + 0.5
    h = tb_summary.make_histogram(values, bins=np.arange(65.0), max_bins=7)
    assert list(h.bucket) == [0] + [9] * 7 + [1] and h.bucket_limit[-1] == 64.0 and h.bucket_limit[1] == 9.0


def test_histogram_errors():
    with pytest.raises(ValueError, match="The input has no element."):
        tb_summary.make_histogram(np.zeros(0), bins=3)
    with pytest.raises(ValueError, match="The histogram is empty"):
        tb_summary.make_histogram(np.array([9.0]), bins=[0.0, 1.0, 2.0])


def test_add_histogram_default_bins_cover_the_values(tmp_path):
    rng = np.random.default_rng(1)
    values = rng.standard_normal(1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", tg.tensor(values), 3)
        w.add_histogram_raw("raw", 0, 2, 3, 3.0, 5.0, [1.0, 2.0], [1, 2], global_step=4)
    (_, h), (step, raw) = summaries(tmp_path)
    h = h.histo
    assert sum(h.bucket) == 1000 == h.num and h.min == values.min() and h.max == values.max()
    assert h.bucket_limit[0] <= values.min() and h.bucket_limit[-1] >= values.max()
    edges = np.array(w.default_bins)
    assert edges[0] == -edges[-1] and np.all(np.diff(edges) > 0) and 0 in edges
    assert step == 4 and list(raw.histo.bucket) == [1, 2] and raw.histo.sum_squares == 5.0


def test_add_histogram_raw_checks_lengths(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="len\\(bucket_limits\\) != len"):
        w.add_histogram_raw("raw", 0, 2, 3, 3.0, 5.0, [1.0, 2.0], [1])
    assert summaries(tmp_path) == []


def test_text_and_custom_scalars(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_text("notes", "héllo *world*", 1)
        w.add_custom_scalars_multilinechart(["loss/a", "loss/b"], category="Losses", title="both")
        w.add_custom_scalars_marginchart(["acc", "acc_lo", "acc_hi"], title="acc")
        with pytest.raises(AssertionError, match="Expected 3 tags, got 2."):
            w.add_custom_scalars_marginchart(["a", "b"])
    (_, text), (_, multi), (_, margin) = summaries(tmp_path)
    assert text.tag == "notes/text_summary" and text.tensor.string_val == ["héllo *world*".encode()]
    layout = layout_pb2.Layout.FromString(multi.tensor.string_val[0])
    chart = layout.category[0].chart[0]
    assert (layout.category[0].title, chart.title, list(chart.multiline.tag)) == ("Losses", "both",
                                                                                   ["loss/a", "loss/b"])
    series = layout_pb2.Layout.FromString(margin.tensor.string_val[0]).category[0].chart[0].margin.series[0]
    assert (series.value, series.lower, series.upper) == ("acc", "acc_lo", "acc_hi")


def test_hparams_run(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "opt": "sgd", "nesterov": True}, {"hp/acc": 0.75}, run_name="r1")
    got = summaries(tmp_path / "r1")
    tags = [v.tag for _, v in got]
    assert tags == ["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info", "hp/acc"]
    start = HParamsPluginData.FromString(got[1][1].metadata.plugin_data.content).session_start_info
    assert start.hparams["lr"].number_value == 0.01 and start.hparams["opt"].string_value == "sgd"
    assert start.hparams["nesterov"].number_value == 1.0  # a bool is an int first, as in PyTorch
    experiment = HParamsPluginData.FromString(got[0][1].metadata.plugin_data.content).experiment
    assert [m.name.tag for m in experiment.metric_infos] == ["hp/acc"]
    assert got[3][1].simple_value == 0.75


def test_hparams_refuses_bad_input(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(TypeError, match="hparam_dict and metric_dict should be dictionary."):
            w.add_hparams([("lr", 1)], {})
        with pytest.raises(ValueError, match="value should be one of int, float, str, bool, or torch.Tensor"):
            w.add_hparams({"lr": [1]}, {}, run_name="bad")
        with pytest.raises(TypeError, match="hparam_domain_discrete\\[lr\\] should be a list of same type"):
            w.add_hparams({"lr": 0.1}, {}, hparam_domain_discrete={"lr": ["a"]}, run_name="bad2")
    assert not (tmp_path / "bad").exists() and not (tmp_path / "bad2").exists()


def test_close_flush_and_reopen(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=10_000)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert len(summaries(tmp_path)) == 1  # on disk before close
    w.close()
    w.close()  # a second close does nothing
    w.add_scalar("x", 2.0, 1)  # a new event file
    w.close()
    assert len(event_files(tmp_path)) == 2
    assert [v.simple_value for _, v in summaries(tmp_path)] == [1.0, 2.0]


def test_file_writer_direct(tmp_path):
    fw = FileWriter(tmp_path / "fw", filename_suffix=".mine")
    assert fw.get_logdir() == str(tmp_path / "fw")
    fw.add_summary(tb_summary.scalar("s", 3.0), global_step=2, walltime=10.0)
    fw.close()
    (path,) = event_files(tmp_path / "fw")
    assert path.endswith(".mine") and summaries(tmp_path / "fw")[0][0] == 2


def test_purge_step_writes_a_restart_marker(tmp_path):
    with SummaryWriter(tmp_path, purge_step=3) as w:
        w.add_scalar("x", 1.0, 3)
    events = list(LegacyEventFileLoader(event_files(tmp_path)[0]).Load())
    restart = [e for e in events if e.HasField("session_log")]
    assert len(restart) == 1 and restart[0].step == 3 and restart[0].session_log.status == 1  # START


def test_add_onnx_graph_says_what_to_use(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(RuntimeError, match="add_graph"):
        w.add_onnx_graph("model.onnx")


def test_make_np_converts_what_writers_take():
    from tensorgraft.utils.tensorboard._convert import make_np
    assert make_np(3).tolist() == [3] and make_np(np.float32(2)).dtype == np.float32
    x = tg.tensor([1.5, 2.5], dtype=tg.bfloat16, requires_grad=True) * 2
    got = make_np(x)
    assert got.dtype == np.float16 and got.tolist() == [3.0, 5.0]
    assert make_np(tg.ones(2, device="meta")).shape == (1,)
    with pytest.raises(NotImplementedError, match="numpy array or torch tensor are expected"):
        make_np([1, 2])


def test_import_without_tensorboard_says_how_to_install():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "try:\n    import tensorgraft.utils.tensorboard\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "TensorBoard logging requires TensorBoard version 1.15 or above" in out and "pip install" in out
