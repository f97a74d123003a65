"""Precision-recall curves for TensorBoard's ``pr_curves`` plugin.

``pr_curve`` bins the predictions into ``num_thresholds`` buckets and counts, for every threshold,
the true/false positives and negatives (``compute_curve``); ``pr_curve_raw`` takes those counts
ready-made. Both return the ``Summary`` PyTorch returns: one value whose tensor is a (6, T) float
table (rows tp, fp, tn, fn, precision, recall) and whose metadata names the plugin and carries
``num_thresholds``, because that is the layout the plugin reads back.
"""
from __future__ import annotations

import operator

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData

from ...tensor import Tensor
from ._convert import make_np

# TensorBoard cannot store more than 127 thresholds in the plugin data, so PyTorch caps the
# number silently and so do we.
_MAX_THRESHOLDS = 127
# Keeps precision and recall finite where a threshold has no positives at all.
_MINIMUM_COUNT = 1e-7
_ROW_NAMES = ("true_positive_counts", "false_positive_counts", "true_negative_counts",
              "false_negative_counts", "precision", "recall")


def _as_array(value) -> np.ndarray:
    # The writer hands over tensors, arrays, lists or numbers as the user passed them.
    if isinstance(value, Tensor):
        return make_np(value)
    return np.asarray(value)


def _threshold_count(num_thresholds) -> int:
    try:
        count = operator.index(num_thresholds)
    except TypeError:
        raise TypeError(f"num_thresholds must be an int, got {type(num_thresholds).__name__}") from None
    if count < 1:
        raise ValueError(f"num_thresholds must be at least 1, got {count}")
    return count


def _thresholds(num_thresholds) -> int:
    return min(_threshold_count(num_thresholds), _MAX_THRESHOLDS)


def _summary(tag, data: np.ndarray, num_thresholds: int) -> Summary:
    plugin_content = PrCurvePluginData(version=0, num_thresholds=num_thresholds).SerializeToString()
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="pr_curves",
                                                                      content=plugin_content))
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=size) for size in data.shape])
    tensor = TensorProto(dtype="DT_FLOAT", float_val=data.reshape(-1).tolist(), tensor_shape=shape)
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=tensor)])


def pr_curve_raw(tag, tp, fp, tn, fn, precision, recall, num_thresholds=127, weights=None):
    """A PR curve from counts already computed: six 1-D sequences of one length, one entry per
    threshold. ``weights`` is accepted and unused, as in PyTorch."""
    count = _thresholds(num_thresholds)
    rows = [_as_array(row) for row in (tp, fp, tn, fn, precision, recall)]
    for name, row in zip(_ROW_NAMES, rows):
        # PyTorch would write a proto whose shape does not match its values (or fail inside
        # NumPy); say which argument is off instead.
        if row.ndim != 1:
            raise ValueError(f"pr_curve_raw: {name} must be 1-D (one value per threshold), got shape {row.shape}")
    lengths = {name: len(row) for name, row in zip(_ROW_NAMES, rows)}
    if len(set(lengths.values())) != 1:
        raise ValueError(f"pr_curve_raw: the six sequences must have the same length, got {lengths}")
    return _summary(tag, np.stack(rows), count)


def pr_curve(tag, labels, predictions, num_thresholds=127, weights=None):
    """A PR curve from binary ``labels`` and ``predictions`` in [0, 1] (optionally weighted)."""
    count = _thresholds(num_thresholds)
    return _summary(tag, compute_curve(labels, predictions, num_thresholds=count, weights=weights), count)


def compute_curve(labels, predictions, num_thresholds=None, weights=None):
    """The (6, num_thresholds) table tp, fp, tn, fn, precision, recall.

    Threshold ``i`` counts the predictions at or above ``i / (num_thresholds - 1)`` as positive.
    As in PyTorch (and TensorBoard's own summary op), a prediction outside [0, 1] falls outside
    every bucket and is not counted."""
    if num_thresholds is None:
        raise TypeError("compute_curve() needs num_thresholds (an int)")
    num_thresholds = _threshold_count(num_thresholds)
    labels, predictions = _as_array(labels), _as_array(predictions)
    weights = 1.0 if weights is None else _as_array(weights)
    try:
        float_labels = labels.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"labels must be numbers (0/1 or booleans), got an array of {labels.dtype}") from None
    try:
        weighted_shape = np.broadcast_shapes(labels.shape, np.shape(weights))
    except ValueError:
        raise ValueError(f"weights of shape {np.shape(weights)} do not broadcast with labels of shape "
                         f"{labels.shape}") from None
    # NumPy's histogram wants one weight per prediction.
    if weighted_shape != predictions.shape:
        raise ValueError(f"labels (shape {labels.shape}) and weights (shape {np.shape(weights)}) must match "
                         f"predictions (shape {predictions.shape})")

    # Bucket i holds the predictions in [i, i + 1) / (num_thresholds - 1); the last bucket also
    # holds exactly 1.0. The same arithmetic as PyTorch, so the float results agree bit for bit.
    bucket_indices = np.int32(np.floor(predictions * (num_thresholds - 1)))
    bucket_range = (0, num_thresholds - 1)
    tp_buckets, _ = np.histogram(bucket_indices, bins=num_thresholds, range=bucket_range,
                                 weights=float_labels * weights)
    fp_buckets, _ = np.histogram(bucket_indices, bins=num_thresholds, range=bucket_range,
                                 weights=(1.0 - float_labels) * weights)
    # Everything in bucket i or above is predicted positive at threshold i: reverse cumulative sums.
    tp = np.cumsum(tp_buckets[::-1])[::-1]
    fp = np.cumsum(fp_buckets[::-1])[::-1]
    tn = fp[0] - fp
    fn = tp[0] - tp
    precision = tp / np.maximum(_MINIMUM_COUNT, tp + fp)
    recall = tp / np.maximum(_MINIMUM_COUNT, tp + fn)
    return np.stack((tp, fp, tn, fn, precision, recall))
