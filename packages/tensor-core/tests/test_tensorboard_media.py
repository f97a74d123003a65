"""tensorgraft.utils.tensorboard's media summaries (images, boxes, figures, video, audio, meshes),
checked by what they encode: PNGs decoded back to pixels, WAVs read back with ``wave``, the mesh
plugin's protos parsed, and the records SummaryWriter writes read back from its event file."""
from __future__ import annotations

import glob
import io
import os
import sys
import types
import wave

import numpy as np
import pytest

pytest.importorskip("tensorboard")
Image = pytest.importorskip("PIL.Image")

from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard import _media as media  # noqa: E402

RED = (255, 0, 0)


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def pixels(summary) -> np.ndarray:
    (value,) = summary.value
    return decode(value.image.encoded_image_string)


def to_uint8(x) -> np.ndarray:
    """The expected pixel rule: uint8 kept, everything else scaled by 255; then clipped."""
    x = np.asarray(x)
    scale = 1 if x.dtype == np.uint8 else 255
    return np.clip(x.astype(np.float32) * scale, 0, 255).astype(np.uint8)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ------------------------------------------------------------------ single images

def test_float_chw_is_scaled_by_255_and_transposed(rng):
    x = rng.random((3, 5, 7)).astype(np.float32)
    s = media.image("img", x, dataformats="CHW")
    (value,) = s.value
    assert value.tag == "img"
    assert (value.image.height, value.image.width, value.image.colorspace) == (5, 7, 3)
    np.testing.assert_array_equal(pixels(s), to_uint8(x.transpose(1, 2, 0)))


def test_uint8_is_not_scaled(rng):
    x = rng.integers(0, 256, (6, 4, 3)).astype(np.uint8)
    np.testing.assert_array_equal(pixels(media.image("img", x, dataformats="HWC")), x)


def test_out_of_range_floats_are_clipped():
    x = np.array([[-0.5, 0.0, 0.5, 1.0, 2.0]], dtype=np.float64)
    got = pixels(media.image("img", x, dataformats="HW"))
    np.testing.assert_array_equal(got[0, :, 0], [0, 0, 127, 255, 255])


def test_integer_images_other_than_uint8_are_scaled_like_floats():
    # PyTorch's rule: only uint8 is taken as 0..255, so an int64 image of 0/1 becomes black/white.
    x = np.array([[0, 1], [1, 0]], dtype=np.int64)
    got = pixels(media.image("img", x, dataformats="HW"))
    np.testing.assert_array_equal(got[..., 0], [[0, 255], [255, 0]])


def test_grayscale_hw_and_one_channel_chw_become_rgb(rng):
    x = rng.random((4, 5)).astype(np.float32)
    want = np.repeat(to_uint8(x)[:, :, None], 3, axis=2)
    hw = media.image("g", x, dataformats="HW")
    assert hw.value[0].image.colorspace == 3
    np.testing.assert_array_equal(pixels(hw), want)
    np.testing.assert_array_equal(pixels(media.image("g", x[None], dataformats="CHW")), want)
    np.testing.assert_array_equal(pixels(media.image("g", x.T, dataformats="WH")), want)


def test_rgba_keeps_four_channels(rng):
    x = rng.integers(0, 256, (4, 3, 5)).astype(np.uint8)
    s = media.image("rgba", x, dataformats="CHW")
    assert s.value[0].image.colorspace == 4
    got = pixels(s)
    assert got.shape == (3, 5, 4)
    np.testing.assert_array_equal(got, x.transpose(1, 2, 0))


def test_dataformats_is_case_insensitive(rng):
    x = rng.random((3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(pixels(media.image("i", x, dataformats="chw")),
                                  pixels(media.image("i", x, dataformats="CHW")))


def test_rescale_resizes_the_png_but_not_the_recorded_size(rng):
    x = rng.random((3, 4, 6)).astype(np.float32)
    s = media.image("i", x, rescale=2, dataformats="CHW")
    assert (s.value[0].image.height, s.value[0].image.width) == (4, 6)
    assert pixels(s).shape == (8, 12, 3)
    # a constant image stays that constant whatever the filter
    flat = media.image("i", np.full((3, 4, 6), 0.5, np.float32), rescale=0.5, dataformats="CHW")
    assert pixels(flat).shape == (2, 3, 3)
    assert (pixels(flat) == 127).all()


def test_tensors_give_the_same_image_as_arrays(rng):
    x = rng.random((3, 5, 6)).astype(np.float32)
    t = tg.tensor(x, requires_grad=True) * 1  # a non-leaf that requires grad, as in training code
    np.testing.assert_array_equal(pixels(media.image("i", t, dataformats="CHW")), to_uint8(x.transpose(1, 2, 0)))
    u8 = rng.integers(0, 256, (3, 5, 6)).astype(np.uint8)
    np.testing.assert_array_equal(pixels(media.image("i", tg.from_numpy(u8), dataformats="CHW")),
                                  u8.transpose(1, 2, 0))


# ------------------------------------------------------------------ batches (grids)

def expected_grid(nchw: np.ndarray, ncols: int = 8) -> np.ndarray:
    n, c, h, w = nchw.shape
    cols = min(n, ncols)
    rows = -(-n // cols)
    out = np.zeros((h * rows, w * cols, 3), np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        tile = nchw[i].transpose(1, 2, 0)
        out[r * h:(r + 1) * h, col * w:(col + 1) * w] = np.repeat(tile, 3, axis=2) if c == 1 else tile
    return out


def test_nchw_batch_is_tiled_eight_per_row(rng):
    x = rng.random((10, 3, 4, 5)).astype(np.float32)
    s = media.image("batch", x, dataformats="NCHW")
    assert (s.value[0].image.height, s.value[0].image.width) == (8, 40)
    got = pixels(s)
    np.testing.assert_array_equal(got, expected_grid(to_uint8(x)))
    assert (got[4:, 10:] == 0).all()  # the six cells after the tenth image stay black


def test_nhwc_and_one_channel_batches(rng):
    x = rng.integers(0, 256, (3, 4, 5, 3)).astype(np.uint8)
    np.testing.assert_array_equal(pixels(media.image("b", x, dataformats="NHWC")),
                                  expected_grid(x.transpose(0, 3, 1, 2)))
    gray = rng.random((5, 1, 2, 3)).astype(np.float32)
    np.testing.assert_array_equal(pixels(media.image("b", gray)), expected_grid(to_uint8(gray)))


def test_make_grid_and_convert_to_hwc_directly(rng):
    x = rng.random((5, 3, 2, 2))
    grid = media.make_grid(x, ncols=2)
    assert grid.shape == (3, 6, 4) and grid.dtype == x.dtype
    np.testing.assert_array_equal(grid[:, 2:4, 2:4], x[3])
    assert (grid[:, 4:, 2:] == 0).all()
    hwc = media.convert_to_HWC(rng.random((2, 3, 1)), "HWC")
    assert hwc.shape == (2, 3, 3)
    np.testing.assert_array_equal(hwc[..., 0], hwc[..., 2])
    np.testing.assert_array_equal(media.convert_to_HWC(x, "NCHW"), media.make_grid(x).transpose(1, 2, 0))


# ------------------------------------------------------------------ errors

@pytest.mark.parametrize("shape,fmt,words", [
    ((3, 4, 5), "NCHW", ["(3, 4, 5)", "NCHW", "3 dimensions", "4 dimensions"]),
    ((4, 5), "CHW", ["(4, 5)", "CHW"]),
    ((3, 4, 5), "CCW", ["same dimension", "CCW"]),
    ((3, 4, 5), "CHX", ["CHX", "NCHW, HWC or HW"]),
    ((3, 4, 5, 6, 7), "NTCHW", ["NTCHW", "NCHW, HWC or HW"]),
    ((3,), "C", ["'C'", "NCHW, HWC or HW"]),
])
def test_bad_dataformats_name_what_was_given_and_expected(shape, fmt, words):
    with pytest.raises(AssertionError) as info:
        media.image("bad", np.zeros(shape, np.float32), dataformats=fmt)
    for word in words:
        assert word in str(info.value)


def test_non_string_dataformats_is_a_type_error():
    with pytest.raises(TypeError, match="dataformats should be a string"):
        media.image("bad", np.zeros((3, 2, 2)), dataformats=None)


def test_batch_must_have_one_or_three_channels():
    with pytest.raises(AssertionError, match=r"3 channels.*\(2, 4, 5, 6\)"):
        media.image("bad", np.zeros((2, 4, 5, 6)), dataformats="NCHW")
    with pytest.raises(AssertionError, match="plugin error"):
        media.make_grid([[1]])
    with pytest.raises(AssertionError, match="empty batch"):
        media.make_grid(np.zeros((0, 3, 2, 2)))


def test_missing_pillow_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        media.image("i", np.zeros((3, 2, 2)), dataformats="CHW")


# ------------------------------------------------------------------ boxes

def test_boxes_are_outlined_in_red():
    img = np.zeros((3, 40, 50), np.float32)
    s = media.image_boxes("boxes", img, np.array([[10, 5, 30, 25]], np.float32))
    got = pixels(s)
    assert s.value[0].image.height == 40 and s.value[0].image.width == 50
    for y, x in [(5, 20), (25, 20), (15, 10), (15, 30), (5, 10), (25, 30)]:  # edges and corners
        assert tuple(got[y, x]) == RED, (y, x)
    assert (got[8:23, 13:28] == 0).all()  # inside
    assert (got[:3] == 0).all() and (got[28:] == 0).all() and (got[:, :8] == 0).all() and (got[:, 33:] == 0).all()


def test_box_labels_fill_a_strip_at_the_bottom_left():
    img = np.zeros((40, 60, 3), np.uint8)
    boxes = tg.tensor([[2.0, 2.0, 55.0, 35.0]])
    plain = pixels(media.image_boxes("b", img, boxes, dataformats="HWC"))
    labelled = pixels(media.image_boxes("b", img, boxes, dataformats="HWC", labels=["cat"]))
    changed = np.argwhere((plain != labelled).any(axis=2))
    assert len(changed)
    # the label sits just above the bottom edge, starting at the left edge
    assert changed[:, 0].min() > 20 and changed[:, 0].max() <= 35
    assert changed[:, 1].min() >= 2 and changed[:, 1].max() < 30
    assert (labelled[changed[:, 0], changed[:, 1]] == RED).all(axis=1).any()  # the red strip
    assert (labelled[changed[:, 0], changed[:, 1], 0] < 128).any()  # black (anti-aliased) text on it


def test_boxes_keep_the_image_and_rescale():
    img = np.full((3, 20, 20), 0.25, np.float32)
    got = pixels(media.image_boxes("b", img, np.array([[4, 4, 15, 15]]), rescale=2))
    assert got.shape == (40, 40, 3)
    assert tuple(got[0, 0]) == (63, 63, 63)
    assert got[8, 20, 0] > 200 and got[8, 20, 1] < 60  # the top edge, red after resizing


def test_draw_boxes_on_a_pil_image_and_bad_boxes():
    picture = Image.fromarray(np.zeros((10, 10, 3), np.uint8))
    out = np.asarray(media.draw_boxes(picture, np.array([[1, 1, 8, 8], [3, 3, 5, 5]])))
    assert tuple(out[1, 4]) == RED and tuple(out[3, 4]) == RED and tuple(out[4, 4]) == RED
    assert tuple(out[6, 6]) == (0, 0, 0)
    with pytest.raises(ValueError, match=r"\(N, 4\).*\(4,\)"):
        media.image_boxes("b", np.zeros((3, 5, 5)), np.array([1, 1, 3, 3]))


# ------------------------------------------------------------------ figures

def test_figure_to_image_renders_and_closes():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50, facecolor="red")
    img = media.figure_to_image(fig)
    assert img.shape == (3, 50, 100) and img.dtype == np.uint8
    assert (img[0] == 255).all() and (img[1:] == 0).all()
    assert not plt.fignum_exists(fig.number)

    figs = [plt.figure(figsize=(1, 1), dpi=20, facecolor=c) for c in ("blue", "white")]
    batch = media.figure_to_image(figs, close=False)
    assert batch.shape == (2, 3, 20, 20)
    assert (batch[0, 2] == 255).all() and (batch[0, :2] == 0).all() and (batch[1] == 255).all()
    assert all(plt.fignum_exists(f.number) for f in figs)
    for f in figs:
        plt.close(f)
    np.testing.assert_array_equal(pixels(media.image("fig", batch)), expected_grid(batch))


# ------------------------------------------------------------------ audio

def read_wav(summary):
    (value,) = summary.value
    with wave.open(io.BytesIO(value.audio.encoded_audio_string)) as w:
        params = (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes())
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    return value.audio, params, frames


def test_audio_is_16_bit_mono_wav(rng):
    x = (rng.random(500) * 2 - 1).astype(np.float32)
    clip, params, frames = read_wav(media.audio("snd", tg.from_numpy(x), sample_rate=8000))
    assert params == (1, 2, 8000, 500)
    assert (clip.sample_rate, clip.num_channels, clip.length_frames, clip.content_type) == (8000, 1, 500, "audio/wav")
    np.testing.assert_array_equal(frames, (x * 32767).astype(np.int16))
    assert clip.encoded_audio_string[:4] == b"RIFF" and clip.encoded_audio_string[8:12] == b"WAVE"


def test_audio_default_rate_and_size_one_dimensions():
    _, params, frames = read_wav(media.audio("snd", np.array([[0.5], [-0.5], [0.0]])))
    assert params == (1, 2, 44100, 3)
    np.testing.assert_array_equal(frames, [16383, -16383, 0])


def test_audio_out_of_range_is_clipped_with_a_warning(capsys):
    _, _, frames = read_wav(media.audio("snd", np.array([2.0, -3.0, 0.25])))
    np.testing.assert_array_equal(frames, [32767, -32767, 8191])
    assert "audio amplitude out of range" in capsys.readouterr().out


def test_audio_must_be_one_dimensional():
    with pytest.raises(AssertionError, match=r"1 dimensional.*\(2, 3\).*2-dimensional"):
        media.audio("snd", np.zeros((2, 3)))


# ------------------------------------------------------------------ meshes

def plugin_data(value) -> MeshPluginData:
    assert value.metadata.plugin_data.plugin_name == "mesh"
    return MeshPluginData.FromString(value.metadata.plugin_data.content)


def test_mesh_values_and_plugin_data(rng):
    vertices = rng.random((1, 4, 3)).astype(np.float32)
    faces = np.array([[[0, 1, 2], [1, 2, 3]]], np.int64)
    colors = rng.integers(0, 256, (1, 4, 3)).astype(np.uint8)
    config = {"material": {"size": 3}, "camera": {"fov": 75}}
    s = media.mesh("m", tg.from_numpy(vertices), tg.from_numpy(colors), tg.from_numpy(faces), config)
    assert [v.tag for v in s.value] == ["m_VERTEX", "m_FACE", "m_COLOR"]
    all_three = (1 << MeshPluginData.VERTEX) | (1 << MeshPluginData.FACE) | (1 << MeshPluginData.COLOR)
    for value, data, kind in zip(s.value, (vertices, faces, colors),
                                 (MeshPluginData.VERTEX, MeshPluginData.FACE, MeshPluginData.COLOR)):
        assert value.tensor.dtype == 1  # DT_FLOAT
        assert [d.size for d in value.tensor.tensor_shape.dim] == list(data.shape)
        np.testing.assert_array_equal(np.array(value.tensor.float_val, np.float32), data.reshape(-1))
        meta = plugin_data(value)
        assert (meta.name, meta.content_type, meta.components) == ("m", kind, all_three)
        assert list(meta.shape) == list(data.shape)
        assert meta.json_config == '{"camera": {"fov": 75}, "material": {"size": 3}}'


def test_mesh_of_vertices_only_from_a_list():
    s = media.mesh("pts", [[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]], None, None, None)
    (value,) = s.value
    assert value.tag == "pts_VERTEX"
    assert list(value.tensor.float_val) == [0, 1, 2, 3, 4, 5]
    meta = plugin_data(value)
    assert meta.components == 1 << MeshPluginData.VERTEX and meta.json_config == "{}"


def test_mesh_must_be_batch_points_xyz():
    with pytest.raises(ValueError, match="BxNx3"):
        media.mesh("m", np.zeros((4, 3)), None, None, None)


# ------------------------------------------------------------------ video

def test_prepare_video_tiles_the_batch(rng):
    v = rng.random((2, 3, 3, 4, 5)).astype(np.float32)  # N, T, C, H, W
    got = media._prepare_video(v)
    assert got.shape == (3, 4, 10, 3)  # one row of two
    for t in range(3):
        np.testing.assert_array_equal(got[t], np.concatenate([v[0, t].transpose(1, 2, 0),
                                                              v[1, t].transpose(1, 2, 0)], axis=1))


@pytest.mark.parametrize("n,rows,cols", [(1, 1, 1), (3, 1, 4), (4, 2, 2), (5, 2, 4), (8, 2, 4), (16, 4, 4)])
def test_prepare_video_pads_to_a_power_of_two(n, rows, cols, rng):
    v = rng.random((n, 2, 1, 3, 2))
    got = media._prepare_video(v)
    assert got.shape == (2, rows * 3, cols * 2, 1)
    last = n - 1
    r, c = divmod(last, cols)
    np.testing.assert_array_equal(got[1, r * 3:(r + 1) * 3, c * 2:(c + 1) * 2], v[last, 1].transpose(1, 2, 0))
    assert got[:, :, :].sum() == pytest.approx(v.sum())  # the padding is black


def test_prepare_video_scales_uint8_to_unit_floats():
    v = np.full((1, 1, 3, 2, 2), 51, np.uint8)
    got = media._prepare_video(v)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, 0.2)


def test_video_must_be_five_dimensional():
    with pytest.raises(ValueError, match=r"5-dimensional \(N, T, C, H, W\).*\(2, 3, 4, 5\)"):
        media.video("v", np.zeros((2, 3, 4, 5)))


def test_video_without_moviepy_prints_and_logs_no_image(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "moviepy", None)
    s = media.video("vid", np.zeros((1, 2, 3, 4, 4), np.float32))
    assert "add_video needs package moviepy" in capsys.readouterr().out
    (value,) = s.value
    assert value.tag == "vid" and not value.HasField("image")


class _FakeClip:
    """Stands in for moviepy's ImageSequenceClip: records the frames and writes them with Pillow."""

    made: list = []

    def __init__(self, frames, fps):
        self.frames, self.fps, self.calls = np.stack(frames), fps, []
        _FakeClip.made.append(self)

    def _save(self, filename):
        first, *rest = [Image.fromarray(f) for f in self.frames]
        first.save(filename, save_all=True, append_images=rest)


class _FakeClipV1(_FakeClip):
    def write_gif(self, filename, verbose=True, logger="bar"):
        self.calls.append({"verbose": verbose, "logger": logger})
        self._save(filename)


class _FakeClipV2(_FakeClip):
    def write_gif(self, filename, fps=None, loop=0, logger="bar"):  # moviepy 2 has no ``verbose``
        self.calls.append({"logger": logger})
        self._save(filename)


def fake_moviepy(monkeypatch, version: int):
    module = types.ModuleType("moviepy")
    if version == 1:
        editor = types.ModuleType("moviepy.editor")
        editor.ImageSequenceClip = _FakeClipV1
        module.editor = editor
        monkeypatch.setitem(sys.modules, "moviepy.editor", editor)
    else:
        module.ImageSequenceClip = _FakeClipV2
        monkeypatch.delitem(sys.modules, "moviepy.editor", raising=False)
    monkeypatch.setitem(sys.modules, "moviepy", module)
    _FakeClip.made.clear()


@pytest.mark.parametrize("version", [1, 2])
def test_video_with_moviepy_encodes_the_tiled_frames(monkeypatch, version, rng):
    fake_moviepy(monkeypatch, version)
    v = rng.random((2, 3, 3, 4, 5)).astype(np.float32)
    s = media.video("vid", tg.from_numpy(v), fps=7)
    (clip,) = _FakeClip.made
    assert clip.fps == 7 and clip.calls[-1]["logger"] is None
    want = to_uint8(np.concatenate([v[0].transpose(0, 2, 3, 1), v[1].transpose(0, 2, 3, 1)], axis=2))
    np.testing.assert_array_equal(clip.frames, want)
    (value,) = s.value
    assert (value.image.height, value.image.width, value.image.colorspace) == (4, 10, 3)
    gif = Image.open(io.BytesIO(value.image.encoded_image_string))
    assert gif.format == "GIF" and gif.n_frames == 3


# ------------------------------------------------------------------ through SummaryWriter

def read_events(log_dir):
    """The events after the file_version one, as TensorBoard's loader gives them (images and audio
    migrated to tensors: [width, height, png] and [[wav, label]])."""
    (path,) = glob.glob(os.path.join(str(log_dir), "events.out.tfevents.*"))
    events = list(EventFileLoader(path).Load())
    assert events[0].file_version
    return events[1:]


def only_value(event):
    (value,) = event.summary.value
    return value


def test_writer_add_image_and_add_images(tmp_path, rng):
    x = rng.random((3, 4, 5)).astype(np.float32)
    batch = rng.integers(0, 256, (3, 4, 5, 3)).astype(np.uint8)
    with SummaryWriter(tmp_path) as w:
        w.add_image("one", tg.from_numpy(x), 3)
        w.add_images("many", batch, 4, dataformats="NHWC")
    one, many = read_events(tmp_path)
    assert (one.step, many.step) == (3, 4)
    v = only_value(one)
    assert v.tag == "one" and v.metadata.plugin_data.plugin_name == "images"
    width, height, png = v.tensor.string_val
    assert (width, height) == (b"5", b"4")
    np.testing.assert_array_equal(decode(png), to_uint8(x.transpose(1, 2, 0)))
    grid = decode(only_value(many).tensor.string_val[2])
    np.testing.assert_array_equal(grid, expected_grid(batch.transpose(0, 3, 1, 2)))


def test_writer_bad_image_raises_and_writes_nothing(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="CHW"):
            w.add_image("bad", np.zeros((4, 5)))
    assert read_events(tmp_path) == []


def test_writer_image_with_boxes_and_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 1), dpi=30, facecolor="blue")
    with SummaryWriter(tmp_path) as w:
        w.add_image_with_boxes("boxed", np.zeros((3, 20, 20)), np.array([[2, 2, 17, 17]]), 1)
        w.add_figure("fig", fig, 2)
    boxed, figure = read_events(tmp_path)
    got = decode(only_value(boxed).tensor.string_val[2])
    assert tuple(got[2, 10]) == RED and tuple(got[10, 10]) == (0, 0, 0)
    fig_pixels = decode(only_value(figure).tensor.string_val[2])
    assert fig_pixels.shape == (30, 30, 3) and (fig_pixels == (0, 0, 255)).all()
    assert not plt.fignum_exists(fig.number)


def test_writer_audio_video_and_mesh(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "moviepy", None)
    snd = np.linspace(-1, 1, 9)
    with SummaryWriter(tmp_path) as w:
        w.add_audio("snd", tg.from_numpy(snd), 1, sample_rate=16000)
        w.add_video("vid", np.zeros((1, 2, 3, 4, 4)), 2)
        w.add_mesh("m", np.zeros((1, 3, 3)), faces=np.array([[[0, 1, 2]]]), global_step=3)
    snd_event, vid_event, mesh_event = read_events(tmp_path)
    wav = only_value(snd_event).tensor.string_val[0]
    with wave.open(io.BytesIO(wav)) as f:
        assert (f.getframerate(), f.getnframes()) == (16000, 9)
        np.testing.assert_array_equal(np.frombuffer(f.readframes(9), "<i2"), (snd * 32767).astype(np.int16))
    assert only_value(vid_event).tag == "vid" and "moviepy" in capsys.readouterr().out
    assert [v.tag for v in mesh_event.summary.value] == ["m_VERTEX", "m_FACE"]
    assert mesh_event.step == 3
