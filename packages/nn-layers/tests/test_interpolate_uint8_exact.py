"""``interpolate`` of uint8 images gives PyTorch 2.13's CPU results bit for bit: bilinear, bicubic
and lanczos, with and without antialias and align_corners, up and down, sizes and scale factors,
1 to 7 channels, contiguous and channels-last, batches. PyTorch resamples uint8 in Pillow's fixed
point (int16 weights, a horizontal then a vertical pass, each rounded and clamped to uint8), not in
float: computing in float and rounding differs by 1 on many pixels (bicubic by more near the clamp).

The expected values were computed by running torch 2.13.0+cpu (AVX512 build) on the same inputs;
the inputs come from integer hashing, so they are the same on any NumPy without torch. Larger
outputs are pinned by a CRC-32 of their bytes (and their sum, to tell a near miss from a wild one),
small ones in full."""
import zlib

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F


def image(shape, seed, binary=False):
    """A seeded pseudo-random uint8 image (``binary``: only 0 and 255, which makes bicubic
    overshoot and exercises the clamps)."""
    m = np.uint64(0xFFFFFFFF)
    h = (np.arange(int(np.prod(shape)), dtype=np.uint64) * np.uint64(0x9E3779B1) + np.uint64(seed * 0x632BE5AB)) & m
    h ^= h >> np.uint64(15)
    h = (h * np.uint64(0x85EBCA77)) & m
    h ^= h >> np.uint64(13)
    v = (h >> np.uint64(24)) if not binary else ((h >> np.uint64(20)) & np.uint64(1)) * np.uint64(255)
    return v.astype(np.uint8).reshape(shape)


# (name, input shape, seed, binary, interpolate kwargs, channels_last, output shape, crc32, sum) — from torch 2.13
CASES = [
    ('bilinear-aa0-ac0-up', (1, 1, 7, 9), 0, False, {'size': (11, 16), 'mode': 'bilinear', 'antialias': False, 'align_corners': False}, False, (1, 1, 11, 16), 668244000, 23557),
    ('bilinear-aa0-ac0-down', (2, 3, 23, 30), 1, False, {'size': (8, 7), 'mode': 'bilinear', 'antialias': False, 'align_corners': False}, True, (2, 3, 8, 7), 2142854533, 40938),
    ('bilinear-aa0-ac1-up', (1, 4, 7, 9), 2, False, {'size': (11, 16), 'mode': 'bilinear', 'antialias': False, 'align_corners': True}, False, (1, 4, 11, 16), 2135338958, 85226),
    ('bilinear-aa0-ac1-down', (2, 5, 23, 30), 3, False, {'size': (8, 7), 'mode': 'bilinear', 'antialias': False, 'align_corners': True}, False, (2, 5, 8, 7), 1084534777, 70911),
    ('bilinear-aa1-ac0-up', (1, 1, 7, 9), 4, False, {'size': (11, 16), 'mode': 'bilinear', 'antialias': True, 'align_corners': False}, True, (1, 1, 11, 16), 2232663622, 20856),
    ('bilinear-aa1-ac0-down', (2, 3, 23, 30), 5, False, {'size': (8, 7), 'mode': 'bilinear', 'antialias': True, 'align_corners': False}, False, (2, 3, 8, 7), 1443648763, 43087),
    ('bilinear-aa1-ac1-up', (1, 4, 7, 9), 6, False, {'size': (11, 16), 'mode': 'bilinear', 'antialias': True, 'align_corners': True}, False, (1, 4, 11, 16), 3504493720, 91443),
    ('bilinear-aa1-ac1-down', (2, 5, 23, 30), 7, False, {'size': (8, 7), 'mode': 'bilinear', 'antialias': True, 'align_corners': True}, True, (2, 5, 8, 7), 521163679, 71043),
    ('bicubic-aa0-ac0-up', (1, 1, 7, 9), 8, False, {'size': (11, 16), 'mode': 'bicubic', 'antialias': False, 'align_corners': False}, False, (1, 1, 11, 16), 4002684155, 22509),
    ('bicubic-aa0-ac0-down', (2, 3, 23, 30), 9, False, {'size': (8, 7), 'mode': 'bicubic', 'antialias': False, 'align_corners': False}, False, (2, 3, 8, 7), 1825199824, 43053),
    ('bicubic-aa0-ac1-up', (1, 4, 7, 9), 10, False, {'size': (11, 16), 'mode': 'bicubic', 'antialias': False, 'align_corners': True}, True, (1, 4, 11, 16), 3531464877, 90635),
    ('bicubic-aa0-ac1-down', (2, 5, 23, 30), 11, False, {'size': (8, 7), 'mode': 'bicubic', 'antialias': False, 'align_corners': True}, False, (2, 5, 8, 7), 2497097138, 72492),
    ('bicubic-aa1-ac0-up', (1, 1, 7, 9), 12, False, {'size': (11, 16), 'mode': 'bicubic', 'antialias': True, 'align_corners': False}, False, (1, 1, 11, 16), 3226131714, 21431),
    ('bicubic-aa1-ac0-down', (2, 3, 23, 30), 13, False, {'size': (8, 7), 'mode': 'bicubic', 'antialias': True, 'align_corners': False}, True, (2, 3, 8, 7), 3683909285, 42819),
    ('bicubic-aa1-ac1-up', (1, 4, 7, 9), 14, False, {'size': (11, 16), 'mode': 'bicubic', 'antialias': True, 'align_corners': True}, False, (1, 4, 11, 16), 770589211, 96376),
    ('bicubic-aa1-ac1-down', (2, 5, 23, 30), 15, False, {'size': (8, 7), 'mode': 'bicubic', 'antialias': True, 'align_corners': True}, False, (2, 5, 8, 7), 1938851186, 71745),
    ('bilinear-scale-factor', (1, 3, 10, 13), 40, False, {'scale_factor': (1.7, 0.45), 'mode': 'bilinear'}, False, (1, 3, 17, 5), 381023688, 32174),
    ('bicubic-scale-factor-cl', (2, 3, 10, 13), 41, False, {'scale_factor': (0.63, 2.2), 'mode': 'bicubic'}, True, (2, 3, 6, 28), 1829330936, 124624),
    ('bicubic-recompute', (1, 4, 10, 13), 42, False, {'scale_factor': (0.63, 2.2), 'mode': 'bicubic', 'recompute_scale_factor': True}, False, (1, 4, 6, 28), 3383035319, 82731),
    ('bilinear-aa-scale-factor', (1, 1, 31, 17), 43, False, {'scale_factor': (0.3, 0.55), 'mode': 'bilinear', 'antialias': True}, False, (1, 1, 9, 9), 752859304, 10290),
    ('skipped-pass-despite-scale', (1, 3, 10, 12), 44, False, {'scale_factor': (1.05, 1.5), 'mode': 'bilinear'}, False, (1, 3, 10, 18), 189030692, 66708),
    ('bicubic-overshoot-clamped', (1, 3, 9, 9), 45, True, {'size': (17, 13), 'mode': 'bicubic'}, False, (1, 3, 17, 13), 943547341, 83865),
    ('bicubic-aa-overshoot-cl', (1, 4, 9, 9), 46, True, {'size': (17, 5), 'mode': 'bicubic', 'antialias': True}, True, (1, 4, 17, 5), 3524305894, 42876),
    ('bicubic-ac-overshoot', (1, 1, 6, 6), 47, True, {'size': (13, 13), 'mode': 'bicubic', 'align_corners': True}, False, (1, 1, 13, 13), 2822444162, 21873),
    ('lanczos-down', (1, 3, 20, 20), 48, False, {'size': (7, 9), 'mode': 'lanczos', 'antialias': True}, False, (1, 3, 7, 9), 2325221640, 24495),
    ('lanczos-up-cl', (1, 4, 5, 6), 49, False, {'size': (9, 13), 'mode': 'lanczos', 'antialias': True}, True, (1, 4, 9, 13), 1368631741, 60429),
    ('aa-big-downscale-float64-sums', (1, 1, 2, 600), 50, False, {'size': (2, 3), 'mode': 'bilinear', 'antialias': True}, False, (1, 1, 2, 3), 3914810913, 769),
    ('aa-bicubic-big-downscale', (1, 3, 300, 4), 51, True, {'size': (2, 4), 'mode': 'bicubic', 'antialias': True}, False, (1, 3, 2, 4), 3281713517, 3189),
    ('many-channels-cl', (2, 7, 9, 11), 52, False, {'size': (5, 17), 'mode': 'bicubic', 'antialias': True}, True, (2, 7, 5, 17), 208644363, 151557),
    ('many-channels-width-1-cl-no-quirk', (1, 5, 19, 7), 55, False, {'size': (6, 1), 'mode': 'bicubic', 'antialias': True}, True, (1, 5, 6, 1), 1983108448, 3857),
    ('few-channels-width-1-no-quirk', (2, 3, 8, 5), 56, False, {'size': (13, 1), 'mode': 'bilinear'}, False, (2, 3, 13, 1), 1503939114, 9013),
    ('output-1x1-aa', (1, 1, 12, 10), 57, False, {'size': (1, 1), 'mode': 'bilinear', 'antialias': True}, False, (1, 1, 1, 1), 1707062198, 126),
]


@pytest.mark.parametrize("name, shape, seed, binary, kw, cl, out_shape, crc, total", CASES, ids=[c[0] for c in CASES])
def test_interpolate_uint8_matches_pytorch(name, shape, seed, binary, kw, cl, out_shape, crc, total):
    x = tg.from_numpy(image(shape, seed, binary))
    if cl:
        x = x.contiguous(memory_format=tg.channels_last)
    y = F.interpolate(x, **kw)
    assert y.dtype == tg.uint8
    a = np.ascontiguousarray(y.numpy())
    assert a.shape == out_shape
    assert int(a.sum(dtype=np.int64)) == total
    assert zlib.crc32(a.tobytes()) == crc
    if cl and min(out_shape[1:]) > 1:
        assert y.is_contiguous(memory_format=tg.channels_last)


@pytest.mark.parametrize("shape, seed, kw", [
    ((2, 6, 8, 5), 53, {"size": (13, 1), "mode": "bilinear"}),
    ((1, 5, 19, 7), 54, {"size": (6, 1), "mode": "bicubic", "antialias": True}),
])
def test_many_channels_to_width_one_as_channels_last(shape, seed, kw):
    # PyTorch 2.13's generic kernel (more than 4 channels, channels-first, width 1) repeats output
    # row 0 on every row, a bug not reproduced: the result is PyTorch's for the same image channels-last
    x = tg.from_numpy(image(shape, seed, False))
    y = F.interpolate(x, **kw)
    y_cl = F.interpolate(x.contiguous(memory_format=tg.channels_last), **kw)
    np.testing.assert_array_equal(y.numpy(), y_cl.numpy())
    assert len({tuple(r) for r in y.numpy()[0, 0]}) > 1  # (not every row the same)


def test_bilinear_uint8_full_values():
    # torch 2.13; float-and-round would give 181 at [1, 3]
    x = tg.tensor([[[[234, 86, 242], [58, 96, 241]]]], dtype=tg.uint8)
    y = F.interpolate(x, size=(3, 5), mode="bilinear")
    assert y.tolist() == [[[[234, 175, 86, 180, 242], [146, 124, 91, 182, 242], [58, 73, 96, 183, 241]]]]


def test_bicubic_uint8_full_values():
    # torch 2.13; float-and-round would give 113, 48 in row 1 and 139 in row 2
    x = tg.tensor([[[[204, 71, 150], [83, 23, 209], [252, 28, 172]]]], dtype=tg.uint8)
    y = F.interpolate(x, size=(4, 4), mode="bicubic")
    assert y.tolist() == [[[[223, 116, 85, 151], [114, 47, 87, 203], [134, 39, 73, 215], [255, 98, 53, 179]]]]


def test_bicubic_antialias_uint8_full_values():
    x = tg.from_numpy(image((1, 1, 5, 7), 61))
    y = F.interpolate(x, size=(2, 3), mode="bicubic", antialias=True)
    assert y.tolist() == [[[[111, 106, 123], [112, 138, 137]]]]   # torch 2.13


def test_uint8_keeps_input_untouched_and_returns_new_tensor():
    # an unchanged size runs no pass at all (as ATen), but the result is still a new tensor
    a = image((1, 3, 4, 5), 70)
    x = tg.from_numpy(a.copy())
    y = F.interpolate(x, size=(4, 5), mode="bicubic")
    np.testing.assert_array_equal(y.numpy(), a)
    y.add_(1)
    np.testing.assert_array_equal(x.numpy(), a)


def test_float_inputs_still_take_the_float_path():
    x = image((1, 2, 5, 6), 71).astype(np.float32)
    y = F.interpolate(tg.from_numpy(x), size=(7, 4), mode="bilinear")
    assert y.dtype == tg.float32
    assert not np.array_equal(y.numpy(), np.rint(y.numpy()))

