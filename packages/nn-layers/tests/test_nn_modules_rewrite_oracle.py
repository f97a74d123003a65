"""Reprs, public attributes, state_dict keys and constructor errors of the rewritten module files
(dropout, upsampling, linear, normalization, pooling, conv), compared with PyTorch."""
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn

torch = pytest.importorskip("torch")

CASES = [
    ("Dropout", (0.3,), {}), ("Dropout2d", (), {"inplace": True}), ("AlphaDropout", (), {}),
    ("FeatureAlphaDropout", (0.2, True), {}), ("Dropout", (1.5,), {}),
    ("Upsample", (), {"scale_factor": 2}), ("Upsample", (), {"scale_factor": (2, 3)}), ("Upsample", (), {}),
    ("Upsample", (), {"size": [2, 3], "mode": "bilinear"}), ("UpsamplingBilinear2d", (), {"scale_factor": 2.0}),
    ("UpsamplingNearest2d", (3,), {}),
    ("Linear", (3, 4), {}), ("Linear", (3, 4, False), {}), ("Bilinear", (2, 3, 4), {}), ("Identity", (3,), {"a": 1}),
    ("Flatten", (0, 2), {}), ("Unflatten", (1, [2, 3]), {}),
    ("BatchNorm1d", (3,), {}), ("BatchNorm2d", (3,), {"affine": False, "track_running_stats": False}),
    ("BatchNorm3d", (3,), {"bias": False, "momentum": None}), ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}), ("LayerNorm", ((2, 3),), {"bias": False}),
    ("LayerNorm", (4,), {"elementwise_affine": False}), ("GroupNorm", (2, 4), {}), ("GroupNorm", (3, 4), {}),
    ("RMSNorm", ([3, 4],), {"eps": 1e-3}), ("LocalResponseNorm", (2,), {}),
    ("MaxPool2d", ((2, 3),), {"padding": 1}), ("MaxPool1d", (3, 1, 1, 2, True, True), {}), ("AvgPool1d", (2,), {}),
    ("AvgPool3d", (2,), {"divisor_override": 2}), ("AdaptiveAvgPool2d", ((2, None),), {}),
    ("AdaptiveMaxPool1d", (3, True), {}), ("MaxUnpool2d", ([2, 3],), {}), ("LPPool2d", (2, 3), {}),
    ("FractionalMaxPool2d", (2,), {"output_size": 3}), ("FractionalMaxPool3d", (0,), {"output_size": 3}),
    ("FractionalMaxPool2d", (2,), {}), ("FractionalMaxPool2d", (2,), {"output_ratio": 1.5}),
    ("Conv2d", (2, 4, 3), {}), ("Conv2d", (2, 4, 3), {"padding": "same", "dilation": 2, "padding_mode": "reflect",
                                                        "bias": False}),
    ("Conv3d", (2, 4, 3), {"padding": "same", "stride": 2}),
    ("Conv2d", (3, 4, 3), {"groups": 2}), ("Conv2d", (2, 4, 3), {"groups": 0}),
    ("ConvTranspose2d", (2, 4, 3), {"output_padding": 1, "stride": 2, "groups": 2, "dilation": 2}),
    ("ConvTranspose1d", (2, 4, 3), {"padding_mode": "reflect"}), ("Unfold", ((2, 3), 1, 1, 2), {}),
    ("Fold", (4, 2), {}),
]


def _describe(lib, name, args, kwargs):
    try:
        m = getattr(lib, name)(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e)
    public = {k: repr(v) for k, v in vars(m).items() if not k.startswith("_") and k != "training"}
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    return repr(m), public, shapes


@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_module_matches_torch(name, args, kwargs):
    assert _describe(nn, name, args, kwargs) == _describe(torch.nn, name, args, kwargs)


def test_conv_transpose_output_size_errors_match_torch():
    got = []
    for lib, zeros in ((nn, tg.zeros), (torch.nn, torch.zeros)):
        m = lib.ConvTranspose2d(2, 4, 3, stride=2)
        row = []
        for size in ([20, 20], (1, 2, 3), (1, 4, 12, 12)):
            try:
                row.append(tuple(m(zeros(1, 2, 5, 5), output_size=size).shape))
            except ValueError as e:
                row.append(str(e))
        got.append(row)
    assert got[0] == got[1]


def test_padding_string_error_lists_both_choices():
    # PyTorch prints a set here, so its order varies between processes: compare the parts
    with pytest.raises(ValueError, match="Invalid padding string 'foo', should be one of ") as info:
        nn.Conv1d(2, 4, 3, padding="foo")
    assert "'same'" in str(info.value) and "'valid'" in str(info.value)
