"""Summary records for numbers: scalars, whole tensors, histograms, text, hyper-parameters and
custom-scalar layouts.

Each builder returns a ``Summary`` protocol buffer with the fields PyTorch's builder of the same
name fills (TensorBoard's plugins read them by plugin name and tag), so a log written here reads
the same in TensorBoard as one written by PyTorch. The values pass through ``make_np`` first.
"""
from __future__ import annotations

import struct

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.custom_scalar import layout_pb2
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ...tensor import Tensor
from ._convert import make_np


# --------------------------------------------------------------------------- scalars and tensors
def scalar(name, tensor, collections=None, new_style=False, double_precision=False):
    """One number under ``name``: old style in ``simple_value`` (a float32), new style as a
    one-element tensor of the scalars plugin (float32, or float64 with ``double_precision``).
    ``collections`` is accepted and unused, as in PyTorch."""
    array = make_np(tensor).squeeze()
    if array.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {array.size} and "
                             f"{array.ndim} dimensions.")
    value = float(array)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=value)])
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=metadata)])


def half_to_int(f: float) -> int:
    """The bits of ``f`` as a float32, read as an int32: how PyTorch stores float16 and bfloat16
    values in a TensorProto's ``half_val`` (``int_to_half`` reverses it)."""
    return struct.unpack("i", struct.pack("f", f))[0]


def int_to_half(i: int) -> float:
    """The float ``half_to_int`` stored as ``i``."""
    return struct.unpack("f", struct.pack("i", i))[0]


def _half_values(array: np.ndarray) -> list:
    return [half_to_int(v) for v in array.ravel().tolist()]


def _complex_values(array: np.ndarray) -> list:
    # real and imaginary parts interleaved, as view_as_real(t).flatten() lists them
    return np.stack([array.real, array.imag], axis=-1).ravel().tolist()


def _plain_values(array: np.ndarray) -> list:
    return array.ravel().tolist()


# dtype name -> (the TensorProto dtype, the field that holds the values, how to list them); the
# names PyTorch's table maps (uint8 goes to uint32_val: its table lists uint8 twice, the later wins)
_TENSOR_FIELDS = {
    "float16": ("DT_HALF", "half_val", _half_values),
    "bfloat16": ("DT_BFLOAT16", "half_val", _half_values),
    "float32": ("DT_FLOAT", "float_val", _plain_values),
    "float64": ("DT_DOUBLE", "double_val", _plain_values),
    "int8": ("DT_INT8", "int_val", _plain_values),
    "uint8": ("DT_UINT8", "uint32_val", _plain_values),
    "int16": ("DT_INT16", "int_val", _plain_values),
    "int32": ("DT_INT32", "int_val", _plain_values),
    "int64": ("DT_INT64", "int64_val", _plain_values),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _complex_values),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _complex_values),
    "bool": ("DT_BOOL", "bool_val", _plain_values),
}


def tensor_proto(tag, tensor):
    """The whole ``tensor`` (values and shape) under ``tag``, for TensorBoard's tensor plugin."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"add_tensor() expects a Tensor, got {type(tensor).__name__}; wrap the values with "
                        "torch.tensor(...) first")
    if tensor.numel() * tensor.element_size() >= (1 << 31):
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    name = str(tensor.dtype).removeprefix("torch.")
    if name not in _TENSOR_FIELDS:
        raise ValueError(f"{tag} has unsupported tensor dtype {tensor.dtype}")
    proto_dtype, field, listing = _TENSOR_FIELDS[name]
    values = tensor.detach().cpu()
    # float16/bfloat16 are listed through their float32 values (half_to_int packs a float32)
    array = values.float().numpy() if name in ("float16", "bfloat16") else values.numpy()
    shape = TensorShapeProto(dim=[TensorShapeProto.Dim(size=n) for n in tensor.shape])
    proto = TensorProto(dtype=proto_dtype, tensor_shape=shape, **{field: listing(array)})
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="tensor"))
    return Summary(value=[Summary.Value(tag=tag, metadata=metadata, tensor=proto)])


# --------------------------------------------------------------------------- histograms
def default_bins() -> list:
    """TensorFlow's histogram bucket edges (``bins="tensorflow"``): +-1e-12 growing by 10% per
    bucket up to 1e20 on both sides of 0, as PyTorch's writer builds them."""
    edge, positive = 1e-12, []
    while edge < 1e20:
        positive.append(edge)
        edge *= 1.1
    return [-v for v in reversed(positive)] + [0] + positive


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):  # noqa: A002
    """A histogram whose statistics and buckets were computed by the caller (the argument names
    shadow builtins as PyTorch's do, so keyword calls work the same)."""
    histo = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                           bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=histo)])


def histogram(name, values, bins, max_bins=None):
    """A histogram of ``values`` (any shape, as float64) over ``bins`` (edges, a count or one of
    NumPy's bin rules)."""
    return Summary(value=[Summary.Value(tag=name, histo=make_histogram(make_np(values).astype(float), bins,
                                                                       max_bins))])


def make_histogram(values, bins, max_bins=None):
    """The ``HistogramProto`` of ``values``: NumPy's counts, merged down to at most ``max_bins``
    buckets, trimmed to the buckets that hold values (plus one empty bucket on the left, since
    TensorBoard reads only each bucket's right edge)."""
    if values.size == 0:
        raise ValueError("The input has no element.")
    values = values.reshape(-1)
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:
        counts, limits = _merge_buckets(counts, limits, len(counts) // max_bins)
    # the support: from the first bucket holding a value to the last one, found on the running
    # count of occupied buckets (when none is occupied this gives PyTorch's empty-histogram error)
    occupied = np.cumsum(counts > 0)
    first, last = np.searchsorted(occupied, [0, occupied[-1] - 1], side="right")
    first, end = int(first), int(last) + 1
    counts = counts[first - 1:end] if first > 0 else np.concatenate([[0], counts[:end]])
    limits = limits[first:end + 1]
    if counts.size == 0 or limits.size == 0:
        raise ValueError("The histogram is empty, please file a bug report.")
    return HistogramProto(min=values.min(), max=values.max(), num=len(values), sum=values.sum(),
                          sum_squares=values.dot(values), bucket_limit=limits.tolist(), bucket=counts.tolist())


def _merge_buckets(counts, limits, group):
    """``counts`` summed over runs of ``group`` buckets (the last run padded with empty ones) and
    the edges that bound the merged buckets."""
    short = len(counts) % group
    if short:
        counts = np.concatenate([counts, np.zeros(group - short, counts.dtype)])
    merged = counts.reshape(-1, group).sum(axis=-1)
    edges = np.empty(merged.size + 1, limits.dtype)
    edges[:-1] = limits[:-1:group]
    edges[-1] = limits[-1]
    return merged, edges


# --------------------------------------------------------------------------- text and layouts
def text(tag, text):
    """``text`` (Markdown) for TensorBoard's text plugin, under ``tag + "/text_summary"``."""
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    proto = TensorProto(dtype="DT_STRING", string_val=[text.encode(encoding="utf_8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=metadata, tensor=proto)])


def custom_scalars(layout):
    """The custom-scalars plugin's layout: ``{category: {chart title: ["Multiline", [tags]] or
    ["Margin", [value, lower, upper]]}}``."""
    categories = []
    for category, charts in layout.items():
        built = []
        for title, (kind, tags) in ((t, spec[:2]) for t, spec in charts.items()):
            if kind == "Margin":
                if len(tags) != 3:
                    raise AssertionError("len(tags) != 3")
                series = layout_pb2.MarginChartContent.Series(value=tags[0], lower=tags[1], upper=tags[2])
                built.append(layout_pb2.Chart(title=title, margin=layout_pb2.MarginChartContent(series=[series])))
            else:
                built.append(layout_pb2.Chart(title=title, multiline=layout_pb2.MultilineChartContent(tag=tags)))
        categories.append(layout_pb2.Category(title=category, chart=built))
    proto = TensorProto(dtype="DT_STRING", string_val=[layout_pb2.Layout(category=categories).SerializeToString()],
                        tensor_shape=TensorShapeProto())
    metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="custom_scalars"))
    return Summary(value=[Summary.Value(tag="custom_scalars__config__", tensor=proto, metadata=metadata)])


# --------------------------------------------------------------------------- hyper-parameters
def hparams(hparam_dict=None, metric_dict=None, hparam_domain_discrete=None):
    """The hparams plugin's three records: the experiment (which hyper-parameters and metrics
    exist), the session start (this run's values) and the session end (status success)."""
    from tensorboard.plugins.hparams.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName, Status
    from tensorboard.plugins.hparams.metadata import (EXPERIMENT_TAG, PLUGIN_DATA_VERSION, PLUGIN_NAME,
                                                      SESSION_END_INFO_TAG, SESSION_START_INFO_TAG)
    from tensorboard.plugins.hparams.plugin_data_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo

    for what, value in (("hparam_dict", hparam_dict), ("metric_dict", metric_dict)):
        if not isinstance(value, dict):
            raise TypeError(f"parameter: {what} should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as "
                            f"hparam_dict[{k}].")

    start = SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # bool is an int: True is logged as the number 1.0, as PyTorch's order of tests does
        if isinstance(v, (int, float)):
            field, data_type = "number_value", "DATA_TYPE_FLOAT64"
        elif isinstance(v, str):
            field, data_type = "string_value", "DATA_TYPE_STRING"
        elif isinstance(v, Tensor):
            start.hparams[k].number_value = make_np(v)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64")))
            continue
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        setattr(start.hparams[k], field, v)
        domain = None
        if k in domains:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d}) for d in domains[k]])
        infos.append(HParamInfo(name=k, type=DataType.Value(data_type), domain_discrete=domain))

    def record(tag, **content):
        data = HParamsPluginData(version=PLUGIN_DATA_VERSION, **content).SerializeToString()
        metadata = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=PLUGIN_NAME, content=data))
        return Summary(value=[Summary.Value(tag=tag, metadata=metadata)])

    experiment = Experiment(hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (record(EXPERIMENT_TAG, experiment=experiment),
            record(SESSION_START_INFO_TAG, session_start_info=start),
            record(SESSION_END_INFO_TAG, session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))
