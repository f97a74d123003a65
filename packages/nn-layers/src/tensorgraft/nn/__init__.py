"""tensorgraft.nn (distribution tensorgraft-nn): ``torch.nn``-compatible modules, losses,
functional API, initializers and utilities, built on fused ops registered as ``tensorgraft.ops.nn.*``.

The plugin entry point (``tensorgraft.nn._plugin``) is imported while ``import tensorgraft`` runs;
to keep that light, the layers, ``functional``, ``init`` and ``utils`` load on first attribute access.
"""
from __future__ import annotations

import importlib as _importlib

from .parameter import Buffer, Parameter  # noqa: F401

_SUBMODULES = frozenset({"functional", "init", "utils", "modules", "parameter", "functional_ops", "attention", "grad",
                         "parallel"})

__all__ = [
    "Parameter", "Buffer", "functional", "init", "utils",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AlphaDropout", "AvgPool1d",
    "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "Bilinear", "CELU",
    "CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "Conv1d",
    "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "CosineEmbeddingLoss", "CosineSimilarity", "CrossEntropyLoss",
    "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "ELU", "Embedding", "Flatten", "Fold", "GELU", "GLU", "GRU",
    "GRUCell", "GaussianNLLLoss", "GroupNorm", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh",
    "HingeEmbeddingLoss", "HuberLoss", "Identity", "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "KLDivLoss",
    "L1Loss", "LSTM", "LSTMCell", "LayerNorm", "LeakyReLU", "Linear", "LocalResponseNorm", "LogSigmoid", "LogSoftmax", "MSELoss", "MarginRankingLoss",
    "MaxPool1d", "MaxPool2d", "Mish", "Module", "ModuleDict", "ModuleList", "MultiLabelSoftMarginLoss",
    "MultiheadAttention", "NLLLoss", "PReLU", "PairwiseDistance", "ParameterDict", "ParameterList", "PixelShuffle",
    "PixelUnshuffle", "PoissonNLLLoss", "RMSNorm", "RNN", "RNNBase", "RNNCell", "RReLU", "ReLU", "ReLU6", "ReflectionPad1d",
    "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "SELU",
    "Sequential", "SiLU", "Sigmoid", "SmoothL1Loss", "SoftMarginLoss", "Softmax", "Softmax2d", "Softmin", "Softplus",
    "Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold", "TransformerEncoder", "TransformerEncoderLayer",
    "Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TripletMarginLoss", "Unflatten", "Unfold",
    "Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d",
    "AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "Conv3d", "ConvTranspose3d", "MaxPool3d",
    "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "FeatureAlphaDropout", "EmbeddingBag",
    "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d", "LazyConvTranspose2d",
    "LazyConvTranspose3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d",
    "LazyInstanceNorm2d", "LazyInstanceNorm3d", "UninitializedParameter", "UninitializedBuffer",
    "AdaptiveLogSoftmaxWithLoss", "CTCLoss", "MultiLabelMarginLoss", "MultiMarginLoss",
    "FractionalMaxPool2d", "FractionalMaxPool3d", "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d",
    "MaxUnpool3d",
    "ChannelShuffle", "TripletMarginWithDistanceLoss", "RNNCellBase",
    "CrossMapLRN2d", "NLLLoss2d", "Container", "DataParallel", "SyncBatchNorm",
    "LinearCrossEntropyLoss", "LinearCrossEntropyOptions",
]


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    if name == "_IncompatibleKeys":
        from .modules.module import _IncompatibleKeys
        return _IncompatibleKeys
    if name.startswith("__"):
        raise AttributeError(name)
    modules = _importlib.import_module(f"{__name__}.modules")
    try:
        value = getattr(modules, name)
    except AttributeError:
        raise AttributeError(f"module '{__name__}' has no attribute '{name}'") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
