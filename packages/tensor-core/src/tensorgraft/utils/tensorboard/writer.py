"""``SummaryWriter`` and ``FileWriter``: PyTorch's API for writing TensorBoard event files.

``FileWriter`` wraps tensorboard's ``EventFileWriter`` (which owns the file, its queue and the
background thread that flushes it); ``SummaryWriter`` keeps one ``FileWriter`` for its log
directory (plus one per ``add_scalars`` series) and turns each ``add_*`` call into a ``Summary``
record through the builders in ``_scalars``/``_media``/``_pr_curve``/``_embedding``/``_graph``.
The builders that need Pillow, matplotlib or the autograd engine are imported when first used, so
that logging scalars needs none of them.
"""
from __future__ import annotations

import os
import time

from tensorboard.compat.proto import event_pb2
from tensorboard.compat.proto.event_pb2 import Event, SessionLog
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from ._convert import make_np
from ._scalars import custom_scalars, default_bins, histogram, histogram_raw, hparams, scalar, tensor_proto, text

__all__ = ["FileWriter", "SummaryWriter"]


class FileWriter:
    """Writes ``Event`` records to a new event file in ``log_dir``; the file is written by a
    background thread, at the latest every ``flush_secs`` seconds or when ``max_queue`` records
    wait."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix="") -> None:
        # a pathlib.Path works too: the event-file writer wants a string
        self.event_writer = EventFileWriter(str(log_dir), max_queue, flush_secs, filename_suffix)

    def get_logdir(self):
        """The directory this writer's event file is in."""
        return self.event_writer.get_logdir()

    def add_event(self, event, step=None, walltime=None) -> None:
        """Queue ``event``, stamped with ``walltime`` (now by default) and ``step``."""
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            # a NumPy or tensor step: the protobuf field takes a Python int only
            event.step = int(step)
        self.event_writer.add_event(event)

    def add_summary(self, summary, global_step=None, walltime=None) -> None:
        """Queue ``summary`` as an event of step ``global_step``."""
        self.add_event(event_pb2.Event(summary=summary), global_step, walltime)

    def add_graph(self, graph_profile, walltime=None) -> None:
        """Queue a ``(GraphDef, RunMetadata)`` pair: the graph, then its step statistics tagged
        ``step1`` (the graph dashboard's run metadata)."""
        graph, run_metadata = graph_profile
        self.add_event(event_pb2.Event(graph_def=graph.SerializeToString()), None, walltime)
        tagged = event_pb2.TaggedRunMetadata(tag="step1", run_metadata=run_metadata.SerializeToString())
        self.add_event(event_pb2.Event(tagged_run_metadata=tagged), None, walltime)

    def add_onnx_graph(self, graph, walltime=None) -> None:
        """Queue a ``GraphDef`` (converted from an ONNX model) as the graph event."""
        self.add_event(event_pb2.Event(graph_def=graph.SerializeToString()), None, walltime)

    def flush(self) -> None:
        """Write every queued event to the file now."""
        self.event_writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        self.event_writer.close()

    def reopen(self) -> None:
        """After ``close``: start a new event file in the same directory (no-op while open)."""
        self.event_writer.reopen()


class SummaryWriter:
    """Writes summaries for TensorBoard into ``log_dir`` (by default ``runs/<date-time>_<host>``
    followed by ``comment``). ``purge_step``: a resumed run's first step; TensorBoard hides the
    events of earlier attempts from that step on."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix="") -> None:
        if not log_dir:
            import socket
            from datetime import datetime
            log_dir = os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname()
                                   + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        # the writers exist while the SummaryWriter is open; close() drops them and the next
        # add_* call makes a new event file
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = default_bins()

    def _get_file_writer(self):
        """The writer of the log directory's own event file, made again after ``close``."""
        if self.all_writers is None or self.file_writer is None:
            self.file_writer = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.all_writers = {self.file_writer.get_logdir(): self.file_writer}
            if self.purge_step is not None:
                # a restart marker: TensorBoard drops the events at or after this step that came
                # before it
                self.file_writer.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        """The directory event files are written to."""
        return self.log_dir

    # ------------------------------------------------------------------ numbers
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False) -> None:
        """Log one number (a Python number, a NumPy number or a one-element tensor)."""
        summary = scalar(tag, scalar_value, new_style=new_style, double_precision=double_precision)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None) -> None:
        """Log several numbers in one chart: each key of ``tag_scalar_dict`` is a run of its own,
        written to ``<log_dir>/<main_tag>_<key>`` (slashes in ``main_tag`` become ``_``)."""
        walltime = time.time() if walltime is None else walltime
        root = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            run_dir = root + "/" + main_tag.replace("/", "_") + "_" + tag
            writer = self.all_writers.get(run_dir)
            if writer is None:
                writer = self.all_writers[run_dir] = FileWriter(run_dir, self.max_queue, self.flush_secs,
                                                                self.filename_suffix)
            writer.add_summary(scalar(main_tag, value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None) -> None:
        """Log a whole tensor (values and shape) for TensorBoard's tensor plugin."""
        self._get_file_writer().add_summary(tensor_proto(tag, tensor), global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None) -> None:
        """Log the distribution of ``values``; ``bins``: ``"tensorflow"`` (TensorFlow's
        logarithmic buckets), a NumPy bin rule (``"auto"``, ``"fd"``...), a count or edges."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._get_file_writer().add_summary(histogram(tag, values, bins, max_bins=max_bins), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,  # noqa: A002
                          global_step=None, walltime=None) -> None:
        """Log a histogram computed elsewhere: its statistics and the right edge and count of
        each bucket."""
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        summary = histogram_raw(tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None) -> None:
        """Log one run's hyper-parameters and its final metrics for the HParams dashboard, in a
        sub-directory ``run_name`` (the current time by default) of the log directory."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        experiment, start, end = hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as run:
            for summary in (experiment, start, end):
                run.file_writer.add_summary(summary, global_step)
            for k, v in metric_dict.items():
                run.add_scalar(k, v, global_step)

    def add_text(self, tag, text_string, global_step=None, walltime=None) -> None:
        """Log text (rendered as Markdown by TensorBoard)."""
        self._get_file_writer().add_summary(text(tag, text_string), global_step, walltime)

    def add_custom_scalars(self, layout) -> None:
        """Lay out the Custom Scalars dashboard: ``{category: {title: ["Multiline", [tags]]
        or ["Margin", [value, lower, upper]]}}``."""
        self._get_file_writer().add_summary(custom_scalars(layout))

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled") -> None:
        """One chart of the Custom Scalars dashboard that plots every tag in ``tags``."""
        self._get_file_writer().add_summary(custom_scalars({category: {title: ["Multiline", tags]}}))

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled") -> None:
        """One chart of the Custom Scalars dashboard: a value and its lower and upper bound."""
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self._get_file_writer().add_summary(custom_scalars({category: {title: ["Margin", tags]}}))

    # ------------------------------------------------------------------ media
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW") -> None:
        """Log one image (CHW by default; float values in [0, 1], or uint8)."""
        from ._media import image
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW") -> None:
        """Log a batch of images, tiled into one grid image."""
        from ._media import image
        self._get_file_writer().add_summary(image(tag, img_tensor, dataformats=dataformats), global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None, rescale=1,
                             dataformats="CHW", labels=None) -> None:
        """Log an image with boxes drawn on it (``box_tensor``: N x (xmin, ymin, xmax, ymax));
        ``labels`` (one per box) are written beside them."""
        from ._media import image_boxes
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if len(labels) != box_tensor.shape[0]:
                labels = None  # as PyTorch: a label list of the wrong length is dropped
        summary = image_boxes(tag, img_tensor, box_tensor, rescale=rescale, dataformats=dataformats, labels=labels)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None) -> None:
        """Log a matplotlib figure (or a list of them, as one grid) as an image."""
        from ._media import figure_to_image
        many = isinstance(figure, list)
        self.add_image(tag, figure_to_image(figure, close), global_step, walltime,
                       dataformats="NCHW" if many else "CHW")

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None) -> None:
        """Log a batch of videos (N, T, C, H, W) as one animated GIF (needs moviepy)."""
        from ._media import video
        self._get_file_writer().add_summary(video(tag, vid_tensor, fps), global_step, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None) -> None:
        """Log a mono sound (values in [-1, 1]) as a WAV clip."""
        from ._media import audio
        self._get_file_writer().add_summary(audio(tag, snd_tensor, sample_rate=sample_rate), global_step, walltime)

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None, global_step=None,
                 walltime=None) -> None:
        """Log a 3D mesh or point cloud (vertices, optional colours and faces)."""
        from ._media import mesh
        self._get_file_writer().add_summary(mesh(tag, vertices, colors, faces, config_dict), global_step, walltime)

    # ------------------------------------------------------------------ curves, embeddings, graphs
    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None,
                     walltime=None) -> None:
        """Log a precision-recall curve of ``predictions`` (probabilities) against ``labels``."""
        from ._pr_curve import pr_curve
        labels, predictions = make_np(labels), make_np(predictions)
        summary = pr_curve(tag, labels, predictions, num_thresholds, weights)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds=127,
                         weights=None, walltime=None) -> None:
        """Log a precision-recall curve from counts computed elsewhere."""
        from ._pr_curve import pr_curve_raw
        summary = pr_curve_raw(tag, true_positive_counts, false_positive_counts, true_negative_counts,
                               false_negative_counts, precision, recall, num_thresholds, weights)
        self._get_file_writer().add_summary(summary, global_step, walltime)

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None) -> None:
        """Log points (rows of ``mat``) for the Projector, with optional labels (``metadata``)
        and thumbnails (``label_img``); writes the projector's files into the log directory."""
        from ._embedding import write_embedding
        self._projector_config = write_embedding(self._get_file_writer().get_logdir(),
                                                 getattr(self, "_projector_config", None), make_np(mat), metadata,
                                                 label_img, global_step, tag, metadata_header)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True) -> None:
        """Log the graph of ``model`` run on ``input_to_model``."""
        from ._graph import graph
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose, use_strict_trace))

    def add_onnx_graph(self, prototxt) -> None:
        """PyTorch converts an ONNX model file here; tensorgraft has no ONNX support."""
        raise RuntimeError("add_onnx_graph needs an ONNX model, and tensorgraft has no ONNX support; log the "
                           "model with add_graph(model, example_input) instead")

    # ------------------------------------------------------------------ lifetime
    def flush(self) -> None:
        """Write every pending event of every run to disk."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file (a second close does nothing; a later add_* call
        opens a new event file)."""
        if self.all_writers is None:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
