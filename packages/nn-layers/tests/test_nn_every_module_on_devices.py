"""Every ``tensorgraft.nn.Module`` subclass on every available device (``tg_device``).

A table (``CASES``) holds one case or a few for each module class ``tensorgraft.nn`` exports; a test
checks that it does, so a layer added without a device case fails here, by name. Each case builds
the module twice from the same seed, moves one copy to the device, runs forward and the backward
of a weighted sum of the floating outputs, and compares with the CPU copy: outputs, input
gradients, parameter gradients, and the parameters and buffers afterwards (running statistics,
``max_norm`` renormalisation). Everything the device computed must live on the device.

Random layers are checked in eval mode like the others, and in train mode for placement and for
the set of values they produce (the masks come from each device's own generator).
Unavailable devices are skipped with the backend's reason."""
from __future__ import annotations

import inspect
import sys
from typing import Any, Callable, NamedTuple

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing import assert_on_device
import tensorgraft.nn as nn
from tensorgraft.testing import assert_close

# KLDivLoss(reduction="mean") warns, as PyTorch's does; that case is here on purpose
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")

RTOL, ATOL = 1e-4, 1e-5   # float32, after a few accumulations (convolutions, recurrences)

# exercised through the modules below (containers, abstract bases), not on their own
NOT_CASED = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "RNNBase",
             "RNNCellBase", "Container",
             "DataParallel"}  # a wrapper: its device cases (fake GPUs) are in test_sweep_regressions.py


def rand(*shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


def uniform(*shape, seed=0, low=0.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def ints(high, *shape, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape)


def signs(*shape, seed=0):
    return np.where(np.random.default_rng(seed).random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


class Case(NamedTuple):
    cls: str                    # the tensorgraft.nn class this case covers
    id: str
    make: Callable[[], Any]     # builds the module (called under the same seed for CPU and device)
    inputs: tuple               # arrays for forward (a tuple of arrays: a tuple of tensors, e.g. (h0, c0))
    kwargs: dict                # forward keywords; arrays become device tensors without grad
    grad: tuple | None          # positions of inputs that require grad (None: every floating one)
    tol: tuple


CASES: list[Case] = []


def add(cls, make, *inputs, id="", kwargs=None, grad=None, tol=(RTOL, ATOL)):
    CASES.append(Case(cls, id or str(sum(c.cls == cls for c in CASES)), make, inputs, kwargs or {}, grad, tol))


def add_loss(cls, make, *inputs, id="", grad=(0,), reductions=("mean", "none"), **kw):
    """A loss for each reduction in ``reductions`` (``make`` takes ``reduction=``)."""
    for r in reductions:
        add(cls, lambda r=r: make(reduction=r), *inputs, id=f"{id}{'-' if id else ''}{r}", grad=grad, **kw)


# ------------------------------------------------------------------ activations and simple layers
X = rand(4, 6, scale=2.0)          # wide enough to reach every kink (thresholds, saturations)
X3 = rand(2, 3, 5, seed=1, scale=2.0)
X4 = rand(2, 3, 4, 4, seed=2)
for name, args in [("CELU", (0.7,)), ("ELU", (0.5,)), ("GELU", ()), ("Hardshrink", (0.3,)),
                   ("Hardsigmoid", ()), ("Hardswish", ()), ("Hardtanh", (-0.5, 0.5)), ("LeakyReLU", (0.2,)),
                   ("LogSigmoid", ()), ("Mish", ()), ("PReLU", ()), ("ReLU", ()), ("ReLU6", ()), ("SELU", ()),
                   ("SiLU", ()), ("Sigmoid", ()), ("Softplus", ()), ("Softshrink", (0.3,)), ("Softsign", ()),
                   ("Tanh", ()), ("Tanhshrink", ()), ("Threshold", (0.1, 20.0)), ("Identity", ())]:
    add(name, lambda name=name, args=args: getattr(nn, name)(*args), X)
add("GELU", lambda: nn.GELU(approximate="tanh"), X3, id="tanh")
add("Softplus", lambda: nn.Softplus(beta=2.0, threshold=1.0), X, id="beta-threshold")
add("PReLU", lambda: nn.PReLU(3, init=0.1), X3, id="per-channel")
add("Hardtanh", lambda: nn.Hardtanh(min_val=-2.0, max_val=1.0), X3, id="asymmetric")
# in-place variants after a Linear (an in-place op on a leaf that requires grad is an error)
for name, args in [("ReLU", ()), ("ELU", (1.0,)), ("LeakyReLU", (0.1,)), ("Hardtanh", (-0.5, 0.5)),
                   ("SiLU", ()), ("Threshold", (0.1, -1.0)), ("ReLU6", ()), ("CELU", (1.0,)), ("SELU", ()),
                   ("Hardswish", ()), ("Hardsigmoid", ()), ("Mish", ())]:
    add(name, lambda name=name, args=args: nn.Sequential(nn.Linear(6, 6), getattr(nn, name)(*args, inplace=True)),
        X, id="inplace")
add("RReLU", lambda: nn.RReLU(0.1, 0.3).eval(), X, id="eval")
add("RReLU", lambda: nn.Sequential(nn.Linear(6, 6), nn.RReLU(inplace=True)).eval(), X, id="eval-inplace")
add("GLU", lambda: nn.GLU(), X)
add("GLU", lambda: nn.GLU(dim=1), rand(3, 6, 2), id="dim1")
add("Softmax", lambda: nn.Softmax(dim=1), X)
add("Softmax", lambda: nn.Softmax(dim=-1), X3, id="last")
add("LogSoftmax", lambda: nn.LogSoftmax(dim=1), X)
add("LogSoftmax", lambda: nn.LogSoftmax(dim=0), X3, id="dim0")
add("Softmin", lambda: nn.Softmin(dim=1), X)
add("Softmax2d", lambda: nn.Softmax2d(), X4)
add("Softmax2d", lambda: nn.Softmax2d(), X4[0], id="unbatched")

add("Linear", lambda: nn.Linear(6, 4), X)
add("Linear", lambda: nn.Linear(5, 2, bias=False), X3, id="3d-nobias")
add("Linear", lambda: nn.Linear(6, 3), X[0], id="unbatched")
add("Bilinear", lambda: nn.Bilinear(3, 4, 5), rand(6, 3), rand(6, 4, seed=1))
add("Bilinear", lambda: nn.Bilinear(3, 4, 2, bias=False), rand(2, 5, 3), rand(2, 5, 4, seed=1), id="3d-nobias")
add("Flatten", lambda: nn.Flatten(), X4)
add("Flatten", lambda: nn.Flatten(0, 2), X4, id="0-2")
add("Unflatten", lambda: nn.Unflatten(1, (2, 3)), rand(4, 6, 2))
add("PixelShuffle", lambda: nn.PixelShuffle(2), rand(2, 8, 3, 3))
add("ChannelShuffle", lambda: nn.ChannelShuffle(3), rand(2, 6, 3, 2))
add("ChannelShuffle", lambda: nn.ChannelShuffle(2), rand(2, 4, 5), id="1d")
add("PixelUnshuffle", lambda: nn.PixelUnshuffle(2), rand(2, 2, 4, 6))

# ------------------------------------------------------------------ convolutions, fold
add("Conv1d", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), rand(2, 3, 8))
add("Conv1d", lambda: nn.Conv1d(4, 6, 3, groups=2, dilation=2, padding=2, padding_mode="circular"), rand(2, 4, 7),
    id="groups-dilation-circular")
add("Conv1d", lambda: nn.Conv1d(3, 2, 3, padding="same", padding_mode="reflect", bias=False), rand(3, 7),
    id="same-reflect-unbatched")
add("Conv2d", lambda: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)), rand(2, 3, 7, 6))
add("Conv2d", lambda: nn.Conv2d(4, 4, 3, groups=4, padding="same", bias=False, padding_mode="replicate"),
    rand(2, 4, 5, 5), id="depthwise-same-replicate")
add("Conv2d", lambda: nn.Conv2d(3, 2, 3, padding=1), rand(2, 3, 6, 6), id="stride1")
add("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 4, 3, stride=2, padding=1, output_padding=1), rand(2, 3, 5))
add("ConvTranspose1d", lambda: nn.ConvTranspose1d(4, 6, 3, groups=2, dilation=2, bias=False), rand(4, 5),
    id="groups-dilation-unbatched")
add("ConvTranspose1d", lambda: nn.ConvTranspose1d(3, 2, 3, stride=3), rand(2, 3, 4), kwargs={"output_size": [12]},
    id="output-size")
add("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), rand(2, 3, 4, 4))
add("ConvTranspose2d", lambda: nn.ConvTranspose2d(3, 2, 2, stride=(2, 3)), rand(3, 3, 4), kwargs={"output_size": (7, 12)},
    id="output-size-unbatched")
add("ConvTranspose2d", lambda: nn.ConvTranspose2d(4, 4, (2, 3), stride=(1, 2), groups=2, dilation=(2, 1)),
    rand(1, 4, 3, 4), id="groups-dilation")
add("Fold", lambda: nn.Fold(output_size=(4, 5), kernel_size=2), rand(2, 12, 12))
add("Fold", lambda: nn.Fold(output_size=(5, 5), kernel_size=2, stride=2, padding=1, dilation=1), rand(1, 8, 9),
    id="stride-padding")
add("Unfold", lambda: nn.Unfold(kernel_size=2), rand(2, 3, 4, 5))
add("Unfold", lambda: nn.Unfold(kernel_size=(2, 3), dilation=(2, 1), padding=1, stride=2), rand(2, 3, 5, 6),
    id="dilation-padding-stride")

# ------------------------------------------------------------------ 3-D convolution and pooling
VOL = rand(2, 3, 4, 5, 6, seed=3)
add("Conv3d", lambda: nn.Conv3d(3, 4, 2, stride=(1, 2, 1), padding=1), VOL)
add("Conv3d", lambda: nn.Conv3d(3, 6, (2, 3, 1), groups=3, dilation=(1, 1, 2), padding="same", bias=False,
                                padding_mode="replicate"), VOL[0], id="groups-same-replicate-unbatched")
add("ConvTranspose3d", lambda: nn.ConvTranspose3d(3, 2, 2, stride=2, padding=1, output_padding=1), VOL)
add("ConvTranspose3d", lambda: nn.ConvTranspose3d(3, 3, (1, 2, 2), groups=3, dilation=2, bias=False), VOL[0],
    id="groups-dilation-unbatched")
add("MaxPool3d", lambda: nn.MaxPool3d(2, return_indices=True), VOL)
add("MaxPool3d", lambda: nn.MaxPool3d(3, stride=2, padding=1, ceil_mode=True), VOL[0], id="padding-ceil-unbatched")
add("AvgPool3d", lambda: nn.AvgPool3d(2, stride=1, padding=1), VOL)
add("AvgPool3d", lambda: nn.AvgPool3d((2, 3, 2), ceil_mode=True, count_include_pad=False, divisor_override=5), VOL,
    id="ceil-divisor")
add("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d((2, 3, 4)), VOL)
add("AdaptiveAvgPool3d", lambda: nn.AdaptiveAvgPool3d(1), VOL[0], id="global-unbatched")
add("AdaptiveMaxPool3d", lambda: nn.AdaptiveMaxPool3d((2, 3, 4), return_indices=True), VOL)
add("AdaptiveMaxPool3d", lambda: nn.AdaptiveMaxPool3d(2), VOL[0], id="unbatched")

# ------------------------------------------------------------------ pooling
add("AdaptiveAvgPool1d", lambda: nn.AdaptiveAvgPool1d(3), rand(2, 3, 7))
add("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d((2, 3)), rand(2, 3, 5, 7))
add("AdaptiveAvgPool2d", lambda: nn.AdaptiveAvgPool2d(1), rand(3, 4, 4), id="global-unbatched")
add("AdaptiveMaxPool1d", lambda: nn.AdaptiveMaxPool1d(3, return_indices=True), rand(2, 3, 7))
add("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d((3, 2), return_indices=True), rand(2, 3, 5, 7))
add("AdaptiveMaxPool2d", lambda: nn.AdaptiveMaxPool2d(2), rand(2, 3, 4, 4), id="even")
add("AvgPool1d", lambda: nn.AvgPool1d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False), rand(2, 3, 8))
add("AvgPool1d", lambda: nn.AvgPool1d(2), rand(3, 6), id="unbatched")
add("AvgPool2d", lambda: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), rand(2, 3, 6, 7))
add("AvgPool2d", lambda: nn.AvgPool2d(2, divisor_override=3), rand(2, 3, 4, 4), id="divisor")
add("AvgPool2d", lambda: nn.AvgPool2d((2, 3), stride=1, padding=1, count_include_pad=False), rand(1, 2, 4, 5),
    id="exclude-pad")
add("MaxPool1d", lambda: nn.MaxPool1d(3, stride=2, padding=1, dilation=2, return_indices=True, ceil_mode=True),
    rand(2, 3, 9))
add("MaxPool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1, return_indices=True), rand(2, 3, 6, 6))
add("MaxPool2d", lambda: nn.MaxPool2d((2, 3), ceil_mode=True), rand(2, 3, 5, 7), id="ceil")
add("MaxPool2d", lambda: nn.MaxPool2d(2, dilation=2), rand(3, 6, 6), id="dilation-unbatched")
# LPPool, MaxUnpool (indices from a CPU max pool) and FractionalMaxPool (fixed _random_samples: a buffer)
add("LPPool1d", lambda: nn.LPPool1d(2, 3, stride=2, ceil_mode=True), uniform(2, 3, 8, low=0.1, high=2.0))
add("LPPool2d", lambda: nn.LPPool2d(1.5, (2, 3)), uniform(2, 3, 6, 7, low=0.1, high=2.0))
add("LPPool2d", lambda: nn.LPPool2d(float("inf"), 2), rand(3, 4, 4), id="inf-unbatched")
add("LPPool3d", lambda: nn.LPPool3d(3, 2, stride=1), uniform(1, 2, 3, 4, 3, low=0.1, high=2.0))
_UNPOOL = {r: [a.numpy() for a in getattr(nn.functional, f"max_pool{r}d")(tg.tensor(rand(*(2, 3) + (4,) * r, seed=r)),
                                                                         2, return_indices=True)] for r in (1, 2, 3)}
for r in (1, 2, 3):
    add(f"MaxUnpool{r}d", lambda r=r: getattr(nn, f"MaxUnpool{r}d")(2), *_UNPOOL[r])
add("MaxUnpool2d", lambda: nn.MaxUnpool2d(2), _UNPOOL[2][0][0], _UNPOOL[2][1][0], kwargs={"output_size": (5, 5)},
    id="output-size-unbatched")
add("FractionalMaxPool2d", lambda: nn.FractionalMaxPool2d(2, output_size=(3, 4), return_indices=True,
                                                          _random_samples=tg.rand(2, 3, 2)), rand(2, 3, 7, 8))
add("FractionalMaxPool3d", lambda: nn.FractionalMaxPool3d((2, 3, 2), output_size=(3, 2, 3),
                                                          _random_samples=tg.rand(1, 2, 3)), rand(2, 5, 6, 6))

# ------------------------------------------------------------------ padding
PAD_INPUT = {1: rand(2, 3, 5), 2: rand(2, 3, 4, 5), 3: rand(1, 2, 3, 4, 5)}
PAD = {1: (2, 1), 2: (1, 2, 2, 0), 3: (1, 0, 2, 1, 0, 2)}
for d in (1, 2, 3):
    add(f"ZeroPad{d}d", lambda d=d: getattr(nn, f"ZeroPad{d}d")(PAD[d]), PAD_INPUT[d])
    add(f"ConstantPad{d}d", lambda d=d: getattr(nn, f"ConstantPad{d}d")(PAD[d], 0.5), PAD_INPUT[d])
    add(f"ConstantPad{d}d", lambda d=d: getattr(nn, f"ConstantPad{d}d")(1, -2.0), PAD_INPUT[d][0], id="int-unbatched")
    for mode in ("Reflection", "Replication", "Circular"):
        add(f"{mode}Pad{d}d", lambda d=d, mode=mode: getattr(nn, f"{mode}Pad{d}d")(PAD[d]), PAD_INPUT[d])
        add(f"{mode}Pad{d}d", lambda d=d, mode=mode: getattr(nn, f"{mode}Pad{d}d")(1), PAD_INPUT[d][0],
            id="int-unbatched")
add("ZeroPad2d", lambda: nn.ZeroPad2d((-1, 1, 0, -2)), PAD_INPUT[2], id="negative")

# ------------------------------------------------------------------ normalisation
add("BatchNorm1d", lambda: nn.BatchNorm1d(3), rand(4, 3))
add("BatchNorm1d", lambda: nn.BatchNorm1d(3, momentum=None, affine=False), rand(4, 3, 5), id="3d-cumulative")
add("BatchNorm1d", lambda: nn.BatchNorm1d(3).eval(), rand(4, 3, 5), id="eval")
add("BatchNorm2d", lambda: nn.BatchNorm2d(3), X4)
add("BatchNorm2d", lambda: nn.BatchNorm2d(3, track_running_stats=False, bias=False), X4, id="no-stats")
add("BatchNorm2d", lambda: nn.BatchNorm2d(3).eval(), X4, id="eval")
add("BatchNorm3d", lambda: nn.BatchNorm3d(2), rand(3, 2, 2, 3, 4))
add("SyncBatchNorm", lambda: nn.SyncBatchNorm(3), X4)  # one process: batch norm
add("GroupNorm", lambda: nn.GroupNorm(2, 4), rand(2, 4, 3, 3))
add("GroupNorm", lambda: nn.GroupNorm(1, 3, affine=False), X3, id="one-group")
add("InstanceNorm1d", lambda: nn.InstanceNorm1d(3, affine=True), rand(2, 3, 6))
add("InstanceNorm1d", lambda: nn.InstanceNorm1d(3, track_running_stats=True), rand(2, 3, 6), id="running-stats")
add("InstanceNorm2d", lambda: nn.InstanceNorm2d(3), X4)
add("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, affine=True), X4[0], id="unbatched")
add("InstanceNorm2d", lambda: nn.InstanceNorm2d(3, momentum=0.3, affine=True, track_running_stats=True), X4,
    id="running-stats-affine")


def _trained_instance_norm(cls, shape, **kw):
    """Running statistics from two training batches, then eval mode (normalises with them)."""
    m = getattr(nn, cls)(shape[1], track_running_stats=True, **kw)
    for seed in (11, 12):
        m(tg.tensor(rand(*shape, seed=seed, scale=2.0) + 0.5))
    return m.eval()


add("InstanceNorm1d", lambda: _trained_instance_norm("InstanceNorm1d", (2, 3, 6)), rand(2, 3, 6), id="eval-running")
add("InstanceNorm2d", lambda: _trained_instance_norm("InstanceNorm2d", (2, 3, 4, 4), affine=True), X4,
    id="eval-running-affine")
add("InstanceNorm3d", lambda: nn.InstanceNorm3d(2, affine=True), rand(2, 2, 3, 2, 4))
add("InstanceNorm3d", lambda: nn.InstanceNorm3d(2, track_running_stats=True), rand(2, 3, 2, 4), id="unbatched-running")
add("LocalResponseNorm", lambda: nn.LocalResponseNorm(2), X3)
add("LocalResponseNorm", lambda: nn.LocalResponseNorm(3, alpha=1e-2, beta=0.5, k=2.0), X4, id="4d")
add("LocalResponseNorm", lambda: nn.LocalResponseNorm(4, alpha=0.1), rand(1, 5, 2, 3, 3), id="5d")
add("CrossMapLRN2d", lambda: nn.CrossMapLRN2d(3, alpha=1e-2, beta=0.75, k=1.0), X4)
add("LayerNorm", lambda: nn.LayerNorm((4, 5)), rand(2, 3, 4, 5))
add("LayerNorm", lambda: nn.LayerNorm(6, bias=False), X, id="nobias")
add("LayerNorm", lambda: nn.LayerNorm(5, elementwise_affine=False), X3, id="no-affine")
add("RMSNorm", lambda: nn.RMSNorm(5), X3)
add("RMSNorm", lambda: nn.RMSNorm((4, 5), eps=1e-3, elementwise_affine=False), rand(2, 4, 5), id="2d-no-affine")

# ------------------------------------------------------------------ dropout (eval mode: the identity)
for name, x in [("Dropout", X), ("Dropout1d", X3), ("Dropout2d", X4), ("Dropout3d", rand(1, 2, 2, 3, 3)),
                ("AlphaDropout", X), ("FeatureAlphaDropout", X4)]:
    add(name, lambda name=name: getattr(nn, name)(0.5).eval(), x, id="eval")
add("Dropout", lambda: nn.Sequential(nn.Linear(6, 6), nn.Dropout(0.3, inplace=True)).eval(), X, id="eval-inplace")

# ------------------------------------------------------------------ embedding
IDX = np.array([[1, 4, 4, 0], [0, 2, 9, 4]])
add("Embedding", lambda: nn.Embedding(10, 5, padding_idx=0), IDX)
add("Embedding", lambda: nn.Embedding(10, 5, max_norm=1.0), IDX, id="max-norm")
add("Embedding", lambda: nn.Embedding(10, 3, scale_grad_by_freq=True), IDX[0], id="scale-grad-by-freq")
BAG_IDX, BAG_OFF = np.array([1, 4, 4, 0, 7, 2, 9, 4, 3]), np.array([0, 3, 3, 7])   # bag 1 is empty
add("EmbeddingBag", lambda: nn.EmbeddingBag(10, 5), IDX, id="2d-mean")
add("EmbeddingBag", lambda: nn.EmbeddingBag(10, 4, mode="sum", padding_idx=4), BAG_IDX, BAG_OFF,
    uniform(9, seed=8, low=-1.0, high=2.0), grad=(2,), id="sum-per-sample-weights-padding")
add("EmbeddingBag", lambda: nn.EmbeddingBag(10, 3, mode="max", include_last_offset=True), BAG_IDX,
    np.array([0, 2, 2, 6, 9]), id="max-last-offset")
add("EmbeddingBag", lambda: nn.EmbeddingBag(10, 3, max_norm=1.0, scale_grad_by_freq=True, padding_idx=0), BAG_IDX,
    BAG_OFF, id="mean-max-norm-freq-padding")
add("EmbeddingBag", lambda: nn.EmbeddingBag(10, 3, mode="max", padding_idx=4), IDX.T.copy(), id="2d-max-padding")

# ------------------------------------------------------------------ losses (input, target): grad for the input
LOGITS, CLS = rand(6, 5, scale=2.0), ints(5, 6, seed=1)
Y, Y01 = rand(6, 5, seed=2), (uniform(6, 5, seed=3) > 0.5).astype(np.float32)
P = uniform(6, 5, seed=4, low=0.05, high=0.95)
W5 = uniform(5, seed=5, low=0.5, high=2.0)
LSM = LOGITS - np.log(np.exp(LOGITS).sum(1, keepdims=True))
add_loss("MSELoss", lambda **kw: nn.MSELoss(**kw), LOGITS, Y, grad=(0, 1), reductions=("mean", "none", "sum"))
add_loss("L1Loss", lambda **kw: nn.L1Loss(**kw), LOGITS, Y, grad=(0, 1))
add_loss("SmoothL1Loss", lambda **kw: nn.SmoothL1Loss(beta=0.5, **kw), LOGITS, Y, grad=(0, 1))
add_loss("HuberLoss", lambda **kw: nn.HuberLoss(delta=0.5, **kw), LOGITS, Y, grad=(0, 1))
add_loss("BCELoss", lambda **kw: nn.BCELoss(**kw), P, Y01)
add_loss("BCELoss", lambda **kw: nn.BCELoss(weight=tg.tensor(W5), **kw), P, P[::-1].copy(), id="weight-soft")
add_loss("BCEWithLogitsLoss", lambda **kw: nn.BCEWithLogitsLoss(**kw), LOGITS, Y01)
add_loss("BCEWithLogitsLoss", lambda **kw: nn.BCEWithLogitsLoss(weight=tg.tensor(W5), pos_weight=tg.tensor(W5[::-1].copy()),
                                                                 **kw), LOGITS, Y01, id="weights")
add_loss("CrossEntropyLoss", lambda **kw: nn.CrossEntropyLoss(**kw), LOGITS, CLS, reductions=("mean", "none", "sum"))
add_loss("CrossEntropyLoss", lambda **kw: nn.CrossEntropyLoss(weight=tg.tensor(W5), ignore_index=1, **kw),
         LOGITS, CLS, id="weight-ignore")
add_loss("CrossEntropyLoss", lambda **kw: nn.CrossEntropyLoss(label_smoothing=0.1, **kw), LOGITS, CLS, id="smoothing")
add_loss("CrossEntropyLoss", lambda **kw: nn.CrossEntropyLoss(label_smoothing=0.2, **kw), LOGITS,
         np.exp(LSM[::-1]).copy(), id="probabilities")
add_loss("CrossEntropyLoss", lambda **kw: nn.CrossEntropyLoss(weight=tg.tensor(W5), **kw), rand(2, 5, 3, 4),
         ints(5, 2, 3, 4), id="spatial-weight")
add_loss("NLLLoss", lambda **kw: nn.NLLLoss(**kw), LSM, CLS)
add_loss("NLLLoss", lambda **kw: nn.NLLLoss(weight=tg.tensor(W5), ignore_index=2, **kw), LSM, CLS,
         id="weight-ignore")
add_loss("NLLLoss", lambda **kw: nn.NLLLoss(**kw), rand(2, 5, 3, 4), ints(5, 2, 3, 4), id="spatial")
add_loss("NLLLoss2d", lambda **kw: nn.NLLLoss2d(**kw), rand(2, 5, 3, 4), ints(5, 2, 3, 4), id="spatial")
add_loss("KLDivLoss", lambda **kw: nn.KLDivLoss(**kw), LSM, P, reductions=("mean", "none", "batchmean"))
add_loss("KLDivLoss", lambda **kw: nn.KLDivLoss(log_target=True, **kw), LSM, LSM[::-1].copy(), id="log-target",
         grad=(0, 1))
add_loss("GaussianNLLLoss", lambda **kw: nn.GaussianNLLLoss(**kw), LOGITS, Y, uniform(6, 5, seed=6, low=0.1, high=2),
         grad=(0, 2))
add_loss("GaussianNLLLoss", lambda **kw: nn.GaussianNLLLoss(full=True, **kw), LOGITS, Y,
         uniform(6, 1, seed=6, low=0.1, high=2), id="full-broadcast-var", grad=(0, 2))
add_loss("PoissonNLLLoss", lambda **kw: nn.PoissonNLLLoss(**kw), LOGITS, uniform(6, 5, seed=7, high=4).round())
add_loss("PoissonNLLLoss", lambda **kw: nn.PoissonNLLLoss(log_input=False, full=True, **kw), P * 3,
         uniform(6, 5, seed=7, high=4).round(), id="rate-full")
add_loss("HingeEmbeddingLoss", lambda **kw: nn.HingeEmbeddingLoss(margin=0.5, **kw), LOGITS, signs(6, 5))
add_loss("SoftMarginLoss", lambda **kw: nn.SoftMarginLoss(**kw), LOGITS, signs(6, 5))
add_loss("MultiLabelSoftMarginLoss", lambda **kw: nn.MultiLabelSoftMarginLoss(**kw), LOGITS, Y01)
add_loss("MultiLabelSoftMarginLoss", lambda **kw: nn.MultiLabelSoftMarginLoss(weight=tg.tensor(W5), **kw), LOGITS, Y01,
         id="weight")
add_loss("CosineEmbeddingLoss", lambda **kw: nn.CosineEmbeddingLoss(margin=0.2, **kw), LOGITS, Y, signs(6),
         grad=(0, 1))
add_loss("MarginRankingLoss", lambda **kw: nn.MarginRankingLoss(margin=0.1, **kw), LOGITS[:, 0].copy(),
         Y[:, 0].copy(), signs(6), grad=(0, 1))
add_loss("TripletMarginLoss", lambda **kw: nn.TripletMarginLoss(margin=0.5, **kw), LOGITS, Y, P, grad=(0, 1, 2))
add_loss("TripletMarginLoss", lambda **kw: nn.TripletMarginLoss(margin=1.0, p=1.0, swap=True, **kw), LOGITS, Y, P,
         grad=(0, 1, 2), id="p1-swap")
add_loss("TripletMarginWithDistanceLoss", lambda **kw: nn.TripletMarginWithDistanceLoss(**kw), LOGITS, Y, P,
         grad=(0, 1, 2))
add_loss("TripletMarginWithDistanceLoss", lambda **kw: nn.TripletMarginWithDistanceLoss(
    distance_function=lambda a, b: 1.0 - nn.functional.cosine_similarity(a, b), margin=0.3, swap=True, **kw),
    LOGITS, Y, P, grad=(0, 1, 2), id="cosine-swap")
# CTC, multi-class hinge losses and the adaptive softmax (its forward returns (output, loss))
CTC_T, CTC_TGT = LSM.reshape(6, 1, 5).repeat(2, 1) - 0.1 * rand(6, 2, 5, seed=8), np.array([[1, 2, 2], [3, 4, 0]])
add_loss("CTCLoss", lambda **kw: nn.CTCLoss(**kw), CTC_T, CTC_TGT, np.array([6, 5]), np.array([3, 2]),
         reductions=("mean", "none", "sum"))
add_loss("CTCLoss", lambda **kw: nn.CTCLoss(blank=4, zero_infinity=True, **kw), CTC_T, np.array([1, 2, 2, 3, 0]),
         np.array([2, 6]), np.array([3, 2]), id="concatenated-blank-zero-infinity")
add_loss("MultiMarginLoss", lambda **kw: nn.MultiMarginLoss(**kw), LOGITS, CLS)
add_loss("MultiMarginLoss", lambda **kw: nn.MultiMarginLoss(p=2, margin=0.5, weight=tg.tensor(W5), **kw), LOGITS, CLS,
         id="p2-weight")
add_loss("MultiLabelMarginLoss", lambda **kw: nn.MultiLabelMarginLoss(**kw), LOGITS,
         np.array([[1, 2, -1, 0, 0], [4, -1, 1, 1, 1], [0, 1, 2, 3, 4], [-1, 0, 0, 0, 0], [3, 3, -1, 0, 0],
                   [2, 0, 4, -1, -1]]))
add_loss("LinearCrossEntropyLoss", lambda **kw: nn.LinearCrossEntropyLoss(5, 7, bias=True, **kw), LOGITS, CLS,
         reductions=("mean", "none", "sum"))
add_loss("LinearCrossEntropyLoss", lambda **kw: nn.LinearCrossEntropyLoss(
    5, 7, weight=tg.tensor(uniform(7, seed=6, low=0.5, high=2.0)),
    options=nn.LinearCrossEntropyOptions(batch_chunk_size=4), **kw), LOGITS, CLS, id="chunked-weight",
    reductions=("mean", "none", "sum"))
add("AdaptiveLogSoftmaxWithLoss", lambda: nn.AdaptiveLogSoftmaxWithLoss(5, 10, [3, 6], div_value=2.0), LOGITS,
    np.array([0, 4, 9, 2, 7, 5]))
add("AdaptiveLogSoftmaxWithLoss", lambda: nn.AdaptiveLogSoftmaxWithLoss(5, 10, [4], head_bias=True), LOGITS[0].copy(),
    np.array(8), id="unbatched-head-bias")
add("CosineSimilarity", lambda: nn.CosineSimilarity(dim=1), LOGITS, Y)
add("CosineSimilarity", lambda: nn.CosineSimilarity(dim=-1, eps=1e-6), X3, X3[:, :1] * 2, id="broadcast")
add("PairwiseDistance", lambda: nn.PairwiseDistance(), LOGITS, Y)
add("PairwiseDistance", lambda: nn.PairwiseDistance(p=1.0, keepdim=True), LOGITS, Y, id="p1-keepdim")

# ------------------------------------------------------------------ upsampling
add("Upsample", lambda: nn.Upsample(scale_factor=2, mode="nearest"), X4)
add("Upsample", lambda: nn.Upsample(size=7, mode="linear", align_corners=True), X3, id="linear-align")
add("Upsample", lambda: nn.Upsample(scale_factor=(1.5, 2), mode="bilinear"), rand(1, 2, 4, 4), id="bilinear")
add("Upsample", lambda: nn.Upsample(size=(3, 4, 5), mode="trilinear"), rand(1, 2, 2, 3, 3), id="trilinear")
add("Upsample", lambda: nn.Upsample(size=(3, 3), mode="area"), rand(1, 2, 5, 6), id="area")
add("Upsample", lambda: nn.Upsample(size=(5, 7), mode="nearest-exact"), X4, id="nearest-exact")
add("Upsample", lambda: nn.Upsample(scale_factor=(1.7, 2.5), mode="bicubic"), X4, id="bicubic")
add("Upsample", lambda: nn.Upsample(size=(3, 6), mode="bicubic", align_corners=True), X4, id="bicubic-align")
add("Upsample", lambda: nn.Upsample(scale_factor=(0.5, 1.5, 2), mode="area"), rand(1, 2, 4, 3, 2), id="area-3d")
add("UpsamplingBilinear2d", lambda: nn.UpsamplingBilinear2d(scale_factor=2), X4)
add("UpsamplingNearest2d", lambda: nn.UpsamplingNearest2d(size=(5, 7)), X4)

# ------------------------------------------------------------------ recurrent (small)
SEQ, SEQ_BF = rand(5, 2, 3), rand(2, 5, 3, seed=1)
add("RNN", lambda: nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), SEQ, rand(2, 2, 4, seed=2))
add("RNN", lambda: nn.RNN(3, 4, bidirectional=True, batch_first=True), SEQ_BF, id="bidirectional-batch-first")
add("RNN", lambda: nn.RNN(3, 4, bias=False), SEQ[:, 0], id="unbatched")
add("GRU", lambda: nn.GRU(3, 4, num_layers=2, bidirectional=True), SEQ, rand(4, 2, 4, seed=2))
add("GRU", lambda: nn.GRU(3, 4, batch_first=True), SEQ_BF, id="batch-first")
add("LSTM", lambda: nn.LSTM(3, 4, num_layers=2), SEQ, (rand(2, 2, 4, seed=2), rand(2, 2, 4, seed=3)))
add("LSTM", lambda: nn.LSTM(3, 5, num_layers=2, proj_size=2), SEQ, (rand(2, 2, 2, seed=2), rand(2, 2, 5, seed=3)),
    id="proj-size")
add("LSTM", lambda: nn.LSTM(3, 4, batch_first=True, bidirectional=True, proj_size=3), SEQ_BF, id="proj-size-bidirectional")
add("LSTM", lambda: nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True), SEQ_BF,
    (rand(4, 2, 4, seed=2), rand(4, 2, 4, seed=3)), id="bidirectional-batch-first")
add("LSTM", lambda: nn.LSTM(3, 4, bias=False), SEQ[:, 0], id="unbatched")
add("RNNCell", lambda: nn.RNNCell(3, 4), SEQ[0], rand(2, 4, seed=2))
add("RNNCell", lambda: nn.RNNCell(3, 4, nonlinearity="relu", bias=False), SEQ[0, 0], id="relu-unbatched")
add("GRUCell", lambda: nn.GRUCell(3, 4), SEQ[0], rand(2, 4, seed=2))
add("GRUCell", lambda: nn.GRUCell(3, 4), SEQ[0, 0], id="unbatched-no-state")
add("LSTMCell", lambda: nn.LSTMCell(3, 4), SEQ[0], (rand(2, 4, seed=2), rand(2, 4, seed=3)))
add("LSTMCell", lambda: nn.LSTMCell(3, 4, bias=False), SEQ[0], id="no-state")

# ------------------------------------------------------------------ attention and transformers (dropout=0)
Q, KV = rand(2, 4, 8), rand(2, 6, 8, seed=1)
PADMASK = np.array([[False] * 5 + [True], [False] * 3 + [True] * 3])
CAUSAL4 = np.triu(np.ones((4, 4), bool), 1)
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, batch_first=True), Q, KV, KV[:, ::-1].copy(),
    kwargs={"key_padding_mask": PADMASK, "attn_mask": rand(4, 6, seed=3)})
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, batch_first=True),
    Q, KV, KV[:, ::-1].copy(), kwargs={"key_padding_mask": PADMASK}, id="bias-kv-zero-attn")
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 4, add_bias_kv=True, kdim=5, vdim=3),
    Q.transpose(1, 0, 2).copy(), rand(6, 2, 5, seed=1), rand(6, 2, 3, seed=2),
    kwargs={"attn_mask": rand(4, 6, seed=3)}, id="bias-kv-kdim-vdim-float-mask")
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, add_zero_attn=True), Q[0], Q[0], Q[0],
    kwargs={"attn_mask": CAUSAL4, "average_attn_weights": False}, id="zero-attn-unbatched-causal")
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 2, kdim=5, vdim=3), Q.transpose(1, 0, 2).copy(),
    rand(6, 2, 5, seed=1), rand(6, 2, 3, seed=2), kwargs={"average_attn_weights": False}, id="kdim-vdim-per-head")
add("MultiheadAttention", lambda: nn.MultiheadAttention(8, 4, bias=False), Q[0], Q[0], Q[0],
    kwargs={"attn_mask": CAUSAL4, "need_weights": False}, id="unbatched-causal")
ENC = dict(dim_feedforward=16, dropout=0.0)
add("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(8, 2, batch_first=True, **ENC), KV,
    kwargs={"src_key_padding_mask": PADMASK})
add("TransformerEncoderLayer", lambda: nn.TransformerEncoderLayer(8, 2, norm_first=True, activation="gelu", **ENC),
    KV.transpose(1, 0, 2).copy(), kwargs={"src_mask": np.triu(np.ones((6, 6), bool), 1)}, id="norm-first-gelu")
add("TransformerEncoder", lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, batch_first=True, **ENC), 2,
                                                        norm=nn.LayerNorm(8)), KV,
    kwargs={"mask": np.triu(np.ones((6, 6), bool), 1), "src_key_padding_mask": PADMASK})
add("TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(8, 2, batch_first=True, **ENC), Q, KV,
    kwargs={"tgt_mask": CAUSAL4, "memory_key_padding_mask": PADMASK})
add("TransformerDecoderLayer", lambda: nn.TransformerDecoderLayer(8, 2, norm_first=True, **ENC),
    Q.transpose(1, 0, 2).copy(), KV.transpose(1, 0, 2).copy(), id="norm-first-seq-first")
add("TransformerDecoder", lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, batch_first=True, **ENC), 2,
                                                        norm=nn.LayerNorm(8)), Q, KV,
    kwargs={"tgt_mask": CAUSAL4})
add("Transformer", lambda: nn.Transformer(8, 2, 1, 1, batch_first=True, **ENC), KV, Q,
    kwargs={"tgt_mask": np.triu(np.full((4, 4), -np.inf, np.float32), 1), "src_key_padding_mask": PADMASK})
add("Transformer", lambda: nn.Transformer(8, 2, 1, 2, norm_first=True, **ENC), KV.transpose(1, 0, 2).copy(),
    Q.transpose(1, 0, 2).copy(), id="seq-first-norm-first")


# ------------------------------------------------------------------ lazy modules
# The lazy module is materialized by loading a regular module's state_dict (built under the case's
# seed), so the CPU and device copies hold the same values; it is still the Lazy class until the
# forward on the device, whose pre-hook turns it into the regular one.
def _lazy_loaded(lazy, regular):
    lazy.load_state_dict(regular.state_dict())
    # as in PyTorch, loading does not set the inferred size (only LazyLinear reads it at forward)
    for size in ("in_channels", "num_features"):
        if hasattr(regular, size):
            setattr(lazy, size, getattr(regular, size))
    return lazy


add("LazyLinear", lambda: _lazy_loaded(nn.LazyLinear(4), nn.Linear(6, 4)), X)
add("LazyConv1d", lambda: _lazy_loaded(nn.LazyConv1d(4, 3), nn.Conv1d(3, 4, 3)), X3)
add("LazyConv2d", lambda: _lazy_loaded(nn.LazyConv2d(4, 3, bias=False), nn.Conv2d(3, 4, 3, bias=False)), X4)
add("LazyConv3d", lambda: _lazy_loaded(nn.LazyConv3d(2, 2), nn.Conv3d(3, 2, 2)), rand(1, 3, 3, 3, 3, seed=3))
add("LazyConvTranspose1d", lambda: _lazy_loaded(nn.LazyConvTranspose1d(2, 3), nn.ConvTranspose1d(3, 2, 3)), X3)
add("LazyConvTranspose2d", lambda: _lazy_loaded(nn.LazyConvTranspose2d(2, 3, stride=2),
                                                nn.ConvTranspose2d(3, 2, 3, stride=2)), X4)
add("LazyConvTranspose3d", lambda: _lazy_loaded(nn.LazyConvTranspose3d(2, 2), nn.ConvTranspose3d(3, 2, 2)),
    rand(1, 3, 2, 2, 2, seed=4))
add("LazyBatchNorm1d", lambda: _lazy_loaded(nn.LazyBatchNorm1d(), nn.BatchNorm1d(6)), X)
add("LazyBatchNorm2d", lambda: _lazy_loaded(nn.LazyBatchNorm2d(), nn.BatchNorm2d(3)), X4)
add("LazyBatchNorm3d", lambda: _lazy_loaded(nn.LazyBatchNorm3d(), nn.BatchNorm3d(3)), rand(2, 3, 2, 2, 2, seed=5))
add("LazyInstanceNorm1d", lambda: _lazy_loaded(nn.LazyInstanceNorm1d(), nn.InstanceNorm1d(3, affine=True,
                                               track_running_stats=True)), X3)
add("LazyInstanceNorm2d", lambda: _lazy_loaded(nn.LazyInstanceNorm2d(), nn.InstanceNorm2d(3, affine=True,
                                               track_running_stats=True)), X4)
add("LazyInstanceNorm3d", lambda: _lazy_loaded(nn.LazyInstanceNorm3d(), nn.InstanceNorm3d(3, affine=True,
                                               track_running_stats=True)), rand(2, 3, 2, 2, 2, seed=6))
# built on the device (test_module_built_on_device): the placeholders are there, in that dtype
LAZY_FACTORY = {"LazyLinear": (4,), "LazyConv1d": (4, 3), "LazyConv2d": (4, 3), "LazyConv3d": (4, 2),
                "LazyConvTranspose1d": (4, 3), "LazyConvTranspose2d": (4, 3), "LazyConvTranspose3d": (4, 2),
                "LazyBatchNorm1d": (), "LazyBatchNorm2d": (), "LazyBatchNorm3d": (), "LazyInstanceNorm1d": (),
                "LazyInstanceNorm2d": (), "LazyInstanceNorm3d": ()}


# ------------------------------------------------------------------ the checks
def exported_module_classes():
    return sorted(n for n in dir(nn) if inspect.isclass(getattr(nn, n)) and issubclass(getattr(nn, n), nn.Module))


def test_every_exported_module_has_a_device_case():
    cased = {c.cls for c in CASES}
    missing = sorted(set(exported_module_classes()) - NOT_CASED - cased)
    assert not missing, (f"tensorgraft.nn exports module classes without a case in {__name__}.CASES: {missing} "
                         "(add a case for each, so it is checked on every device)")
    unknown = sorted(cased - set(exported_module_classes()))
    assert not unknown, f"cases for classes tensorgraft.nn does not export: {unknown}"
    ids = [(c.cls, c.id) for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"


on_device = assert_on_device  # the result lives on the device, as the device's own array


def flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in flat(o)]
    return [] if out is None else [out]


def to_tensors(a, dev, grad):
    if isinstance(a, tuple):
        return tuple(to_tensors(x, dev, grad) for x in a)
    return tg.tensor(a, device=dev, requires_grad=grad and a.dtype.kind == "f")


def run(case, module, dev):
    xs = [to_tensors(a, dev, case.grad is None or i in case.grad) for i, a in enumerate(case.inputs)]
    kwargs = {k: tg.tensor(v, device=dev) if isinstance(v, np.ndarray) else v for k, v in case.kwargs.items()}
    outs = flat(module(*xs, **kwargs))
    # each floating output weighted elementwise by fixed random numbers: a plain sum would give
    # Softmax or a normalisation a zero gradient, and a swapped pair of outputs could cancel out
    total = None
    for i, o in enumerate(outs):
        if o.dtype.is_floating_point and o.requires_grad:
            w = tg.tensor(rand(*o.shape, seed=100 + i), device=dev)
            total = (o * w).sum() if total is None else total + (o * w).sum()
    if total is not None:
        total.backward()
    state = module.state_dict()
    return (outs, [x.grad for x in flat(xs) if x.requires_grad],
            [p.grad for p in module.parameters()], [state[k] for k in sorted(state)])


# Failures found by these tests whose cause lies outside this package's modules, reported rather than
# worked around; strict, so a fix makes the test fail until its entry is removed.
# (device type, case id) -> (exception, reason, only under the NumPy-backed fake CuPy)
KNOWN_DEVICE_BUGS = {
    # (device type, case id) -> (exception, why, only under the fake CuPy): strict xfails, so a fix
    # shows up as XPASS(strict) and its entry must go
}


def _under_fake_cupy():
    return getattr(sys.modules.get("cupy"), "__version__", "") == "0.0-fake"


def expect_known_bug(request, dev, case_id):
    bug = KNOWN_DEVICE_BUGS.get((tg.device(dev).type, case_id))
    if bug is not None and (not bug[2] or _under_fake_cupy()):
        request.applymarker(pytest.mark.xfail(raises=bug[0], strict=True, reason=bug[1]))


@pytest.mark.parametrize("case", CASES, ids=[f"{c.cls}-{c.id}" for c in CASES])
def test_module_on_device_matches_cpu(request, tg_device, case):
    expect_known_bug(request, tg_device, f"{case.cls}-{case.id}")
    tg.manual_seed(0)
    cpu_m = case.make()
    tg.manual_seed(0)
    dev_m = case.make().to(tg_device)
    assert case.cls in {type(m).__name__ for m in cpu_m.modules()}, f"the case does not build a {case.cls}"
    cpu, dev = run(case, cpu_m, "cpu"), run(case, dev_m, tg_device)
    rtol, atol = case.tol
    for what, cs, ds in zip(("output", "input grad", "parameter grad", "parameter/buffer"), cpu, dev):
        assert len(cs) == len(ds), f"{what}s: {len(ds)} on {tg_device}, {len(cs)} on cpu"
        for i, (c, d) in enumerate(zip(cs, ds)):
            if c is None:
                assert d is None, f"{what} {i}: None on cpu, not on {tg_device}"
                continue
            assert d is not None, f"{what} {i}: None on {tg_device}"
            on_device(d, tg_device)
            assert_close(d.detach().cpu(), c.detach(), rtol=rtol, atol=atol, msg=f"{what} {i} differs")


# ------------------------------------------------------------------ built on the device (device=, dtype=)
# constructor arguments for every exported class that takes ``device=``: its parameters and buffers
# are made (and initialised, again by reset_parameters) on that device, in that dtype
FACTORY = {"BatchNorm1d": (3,), "BatchNorm2d": (3,), "BatchNorm3d": (3,), "SyncBatchNorm": (3,), "Bilinear": (3, 4, 5), "Conv1d": (3, 4, 3),
           "Conv2d": (3, 4, 3), "ConvTranspose1d": (3, 4, 3), "ConvTranspose2d": (3, 4, 3), "Embedding": (10, 3),
           "EmbeddingBag": (10, 3), "Conv3d": (3, 4, 2), "ConvTranspose3d": (3, 4, 2),
           "GRU": (3, 4), "GRUCell": (3, 4), "GroupNorm": (2, 4), "InstanceNorm1d": (3, 1e-5, 0.1, True, True),
           "InstanceNorm2d": (3, 1e-5, 0.1, True, True), "InstanceNorm3d": (3, 1e-5, 0.1, True, True), "LSTM": (3, 4, 2), "LSTMCell": (3, 4), "LayerNorm": (5,),
           "Linear": (3, 4), "MultiheadAttention": (8, 2), "PReLU": (3,), "RMSNorm": (5,), "RNN": (3, 4),
           "RNNCell": (3, 4), "RNNCellBase": (3, 4, True, 2), "Transformer": (8, 2, 1, 1, 16), "TransformerDecoderLayer": (8, 2, 16),
           "TransformerEncoderLayer": (8, 2, 16), "AdaptiveLogSoftmaxWithLoss": (8, 10, [3, 6], 2.0),
           "LinearCrossEntropyLoss": (3, 4)}
FACTORY.update(LAZY_FACTORY)   # the lazy modules (their block above "the checks")
FACTORY_BUGS = {  # (device type, class) -> as KNOWN_DEVICE_BUGS
}


def test_every_module_taking_device_has_a_factory_case():
    takes_device = {n for n in exported_module_classes()
                    if "device" in inspect.signature(getattr(nn, n).__init__).parameters} - NOT_CASED
    assert not takes_device - set(FACTORY), f"no FACTORY entry for {sorted(takes_device - set(FACTORY))}"


@pytest.mark.parametrize("name", sorted(FACTORY))
def test_module_built_on_device(request, tg_device, name):
    bug = FACTORY_BUGS.get((tg.device(tg_device).type, name))
    if bug is not None and (not bug[2] or _under_fake_cupy()):
        request.applymarker(pytest.mark.xfail(raises=bug[0], strict=True, reason=bug[1]))
    m = getattr(nn, name)(*FACTORY[name], device=tg_device, dtype=tg.float64)
    if hasattr(m, "reset_parameters"):
        m.reset_parameters()
    tensors = dict(m.named_parameters())
    tensors.update(m.named_buffers())
    assert tensors, f"{name} has no parameters or buffers"
    for key, t in tensors.items():
        on_device(t, tg_device)
        if t.dtype.is_floating_point:
            assert t.dtype == tg.float64, f"{key}: {t.dtype}"
    for p in m.parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad


# ------------------------------------------------------------------ random layers in train mode
def _dropout_values(x, y, p, feature_dims):
    """Each element (or whole feature map) is 0 or x / (1 - p)."""
    scaled = x / (1 - p)
    kept = np.isclose(y, scaled, rtol=1e-6, atol=1e-6)
    dropped = y == 0
    assert np.all(kept | dropped), "dropout produced values other than 0 and x / (1 - p)"
    if feature_dims:   # the mask is constant over each feature map
        axes = tuple(range(y.ndim - feature_dims, y.ndim))
        assert np.all(kept.all(axes) | dropped.all(axes)), "feature dropout did not drop whole feature maps"
        kept = kept.all(axes)
    return kept.mean()


RANDOM = [("Dropout", (40, 50), 0), ("Dropout1d", (20, 20, 6), 1), ("Dropout2d", (20, 20, 3, 3), 2),
          ("Dropout3d", (20, 20, 2, 2, 2), 3), ("AlphaDropout", (40, 50), None),
          ("FeatureAlphaDropout", (20, 20, 3, 3), 2)]


@pytest.mark.parametrize("name, shape, feature_dims", RANDOM, ids=[r[0] for r in RANDOM])
def test_random_layer_in_train_mode(tg_device, name, shape, feature_dims):
    p = 0.4
    x_np = uniform(*shape, low=0.5, high=1.5)       # no zeros: a dropped element is recognisable
    m = getattr(nn, name)(p).to(tg_device)
    assert m.training
    tg.manual_seed(0)
    x = tg.tensor(x_np, device=tg_device, requires_grad=True)
    y = m(x)
    on_device(y, tg_device)
    y.backward(tg.ones(*shape, device=tg_device))
    on_device(x.grad, tg_device)
    y_np = y.detach().cpu().numpy()
    if name in ("AlphaDropout", "FeatureAlphaDropout"):
        alpha_p = -1.6732632423543772 * 1.0507009873554805
        a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
        kept = np.isclose(y_np, a * x_np - a * alpha_p * p, rtol=1e-5, atol=1e-6)
        dropped = np.isclose(y_np, a * alpha_p - a * alpha_p * p, rtol=1e-5, atol=1e-6)
        assert np.all(kept | dropped), "alpha dropout produced values outside {a x + b, a alpha' + b}"
        if feature_dims:   # one draw per (sample, channel): whole feature maps kept or dropped
            axes = tuple(range(y_np.ndim - feature_dims, y_np.ndim))
            assert np.all(kept.all(axes) | dropped.all(axes)), "feature alpha dropout split a feature map"
        assert_close(x.grad.cpu(), tg.tensor(np.where(kept, a, 0.0).astype(np.float32)))
        kept_fraction = kept.mean()
    else:
        kept_fraction = _dropout_values(x_np, y_np, p, feature_dims)
        # the gradient is the same mask and scale
        assert_close(x.grad.cpu(), tg.tensor(np.where(y_np != 0, 1 / (1 - p), 0.0).astype(np.float32)))
    assert 0.45 < kept_fraction < 0.75, f"kept {kept_fraction:.2f} of the elements with p={p}"
    # eval mode is the identity, on the device
    m.eval()
    ye = m(x)
    on_device(ye, tg_device)
    assert_close(ye.detach().cpu(), tg.tensor(x_np))


def test_rrelu_in_train_mode(tg_device):
    """Each element where x <= 0 gets its own slope, drawn on the device within [lower, upper];
    the gradient is that slope (1 where x > 0); eval mode uses the mean slope."""
    lower, upper = 0.1, 0.3
    x_np = uniform(30, 40, seed=7, low=-1.5, high=1.5)   # (not seed 0: the CPU generator would draw the same stream)
    x_np[0, :3] = 0.0                                 # x == 0 takes a random slope too, as PyTorch's
    m = nn.RReLU(lower, upper).to(tg_device)
    tg.manual_seed(0)
    x = tg.tensor(x_np, device=tg_device, requires_grad=True)
    y = m(x)
    on_device(y, tg_device)
    assert y.grad_fn.name() == "RreluWithNoiseBackward0"
    y.backward(tg.ones(*x_np.shape, device=tg_device))
    on_device(x.grad, tg_device)
    slope = x.grad.cpu().numpy()
    neg = x_np <= 0
    assert np.all(slope[~neg] == 1)
    assert np.all((slope[neg] >= lower) & (slope[neg] <= upper)), "slopes outside [lower, upper]"
    assert len(np.unique(slope[neg])) > neg.sum() // 2, "the slopes are not drawn per element"
    assert abs(slope[neg].mean() - (lower + upper) / 2) < 0.02
    assert_close(y.detach().cpu(), tg.tensor(x_np * slope))
    # in place, after a Linear: the same contract
    seq = nn.Sequential(nn.Linear(40, 40), nn.RReLU(lower, upper, inplace=True)).to(tg_device)
    h = seq[0](x)
    out = seq(x)
    on_device(out, tg_device)
    assert out.grad_fn.name() == "RreluWithNoiseBackward1"
    ratio = (out / h).detach().cpu().numpy()
    hn = h.detach().cpu().numpy() <= 0
    assert np.all((ratio[hn] >= lower - 1e-6) & (ratio[hn] <= upper + 1e-6)) and np.allclose(ratio[~hn], 1)
    m.eval()
    ye = m(x)
    on_device(ye, tg_device)
    assert_close(ye.detach().cpu(), tg.tensor(np.where(x_np > 0, x_np, x_np * 0.2).astype(np.float32)))
