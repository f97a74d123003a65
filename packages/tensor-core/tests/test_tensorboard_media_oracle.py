"""tensorgraft.utils.tensorboard's media summaries against torch.utils.tensorboard's: the same random
inputs (torch tensors vs tensorgraft tensors, and NumPy arrays) through both builders, and the
``Summary`` protos compared -- encoded images as decoded pixels, every other field exactly."""
from __future__ import annotations

import glob
import io
import os
import sys
import types
import zlib

import numpy as np
import pytest

pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")
Image = pytest.importorskip("PIL.Image")
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from torch.utils.tensorboard import _utils as torch_utils  # noqa: E402
from torch.utils.tensorboard import summary as theirs  # noqa: E402
from torch.utils.tensorboard import writer as torch_writer  # noqa: E402

import tensorgraft as tg  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard import _media as ours  # noqa: E402


def decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def assert_same_summary(got, want):
    """Equal protos, except that encoded images are compared as the pixels they decode to."""
    assert len(got.value) == len(want.value)
    for g, w in zip(got.value, want.value):
        g, w = type(g).FromString(g.SerializeToString()), type(w).FromString(w.SerializeToString())
        if w.HasField("image") and w.image.encoded_image_string:
            np.testing.assert_array_equal(decode(g.image.encoded_image_string), decode(w.image.encoded_image_string))
            g.image.ClearField("encoded_image_string")
            w.image.ClearField("encoded_image_string")
        assert g == w, f"\n{g}\n!=\n{w}"


def both(x: np.ndarray):
    """``x`` as (tensorgraft tensor, torch tensor)."""
    return tg.from_numpy(x.copy()), torch.from_numpy(x.copy())


def random_image(rng, shape, dtype):
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    if dtype == np.int64:
        return rng.integers(-1, 3, shape).astype(np.int64)
    return (rng.random(shape) * 1.4 - 0.2).astype(dtype)  # some values outside [0, 1], to be clipped


FORMATS = [((3, 6, 7), "CHW"), ((6, 7, 3), "HWC"), ((6, 7), "HW"), ((6, 7), "WH"), ((1, 6, 7), "CHW"),
           ((6, 7, 4), "HWC"), ((7, 3, 6), "WCH"), ((10, 3, 4, 5), "NCHW"), ((3, 4, 5, 1), "NHWC"),
           ((2, 1, 4, 5), "NCHW"), ((5, 4, 3, 2), "hwcn"), ((1, 3, 4, 5), "NCHW")]


@pytest.mark.parametrize("shape,fmt", FORMATS, ids=[f"{f}-{'x'.join(map(str, s))}" for s, f in FORMATS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8, np.int64])
def test_image_matches(shape, fmt, dtype):
    rng = np.random.default_rng(zlib.crc32(repr((shape, fmt, np.dtype(dtype).name)).encode()))
    x = random_image(rng, shape, dtype)
    mine, theirs_t = both(x)
    assert_same_summary(ours.image("img", mine, dataformats=fmt), theirs.image("img", theirs_t, dataformats=fmt))
    assert_same_summary(ours.image("img", x, rescale=1.5, dataformats=fmt),
                        theirs.image("img", x, rescale=1.5, dataformats=fmt))


def test_image_default_format_and_half_precision_tensors():
    rng = np.random.default_rng(0)
    x = rng.random((4, 3, 5, 6)).astype(np.float32)
    assert_same_summary(ours.image("batch", x), theirs.image("batch", x))  # NCHW by default
    for our_dtype, their_dtype in [(tg.float16, torch.float16), (tg.bfloat16, torch.bfloat16)]:
        mine, theirs_t = both(x[0])
        assert_same_summary(ours.image("h", mine.to(our_dtype), dataformats="CHW"),
                            theirs.image("h", theirs_t.to(their_dtype), dataformats="CHW"))


@pytest.mark.parametrize("labels", [None, ["cat", "a longer label"]])
@pytest.mark.parametrize("rescale", [1, 0.5, 2])
def test_image_boxes_match(labels, rescale):
    rng = np.random.default_rng(1)
    x = rng.random((3, 48, 64)).astype(np.float32)
    boxes = np.array([[3.5, 4, 40, 30], [20, 10, 60, 45.25]], np.float32)
    (mine_x, theirs_x), (mine_b, theirs_b) = both(x), both(boxes)
    assert_same_summary(ours.image_boxes("b", mine_x, mine_b, rescale=rescale, labels=labels),
                        theirs.image_boxes("b", theirs_x, theirs_b, rescale=rescale, labels=labels))
    hwc = rng.integers(0, 256, (48, 64, 3)).astype(np.uint8)
    assert_same_summary(ours.image_boxes("b", hwc, boxes, rescale=rescale, dataformats="HWC", labels=labels),
                        theirs.image_boxes("b", hwc, boxes, rescale=rescale, dataformats="HWC", labels=labels))


def test_draw_boxes_and_make_image_match():
    rng = np.random.default_rng(2)
    hwc = rng.integers(0, 256, (30, 40, 3)).astype(np.uint8)
    boxes = np.array([[1, 2, 20, 25], [5, 5, 38, 28]])
    got = np.asarray(ours.draw_boxes(Image.fromarray(hwc), boxes, labels=["x", "yz"]))
    want = np.asarray(theirs.draw_boxes(Image.fromarray(hwc), boxes, labels=["x", "yz"]))
    np.testing.assert_array_equal(got, want)
    g, w = ours.make_image(hwc, rescale=0.7, rois=boxes), theirs.make_image(hwc, rescale=0.7, rois=boxes)
    assert (g.height, g.width, g.colorspace) == (w.height, w.width, w.colorspace)
    np.testing.assert_array_equal(decode(g.encoded_image_string), decode(w.encoded_image_string))


# ------------------------------------------------------------------ the _utils helpers

@pytest.mark.parametrize("n,ncols", [(1, 8), (5, 8), (9, 8), (7, 3), (4, 4)])
def test_make_grid_matches(n, ncols):
    x = np.random.default_rng(n).random((n, 3, 2, 3))
    got, want = ours.make_grid(x, ncols=ncols), torch_utils.make_grid(x, ncols=ncols)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape,fmt", FORMATS, ids=[f"{f}-{'x'.join(map(str, s))}" for s, f in FORMATS])
def test_convert_to_hwc_matches(shape, fmt):
    x = np.random.default_rng(3).random(shape)
    got, want = ours.convert_to_HWC(x, fmt), torch_utils.convert_to_HWC(x, fmt)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 8, 9, 16])
@pytest.mark.parametrize("dtype", [np.float32, np.uint8])
def test_prepare_video_matches(n, dtype):
    x = random_image(np.random.default_rng(n), (n, 3, 2, 4, 5), dtype)
    got, want = ours._prepare_video(x), torch_utils._prepare_video(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_figure_to_image_matches():
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    def figures():
        out = []
        for k in range(2):
            fig, ax = plt.subplots(figsize=(2, 1.5), dpi=40)
            ax.plot(np.arange(10) ** (k + 1))
            ax.set_title(f"figure {k}")
            out.append(fig)
        return out

    got, want = ours.figure_to_image(figures()), torch_utils.figure_to_image(figures())
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    one_ours, one_theirs = figures()[0], figures()[0]
    np.testing.assert_array_equal(ours.figure_to_image(one_ours), torch_utils.figure_to_image(one_theirs))
    plt.close("all")


# ------------------------------------------------------------------ audio and meshes

@pytest.mark.parametrize("shape,dtype,scale", [((300,), np.float32, 1.0), ((1, 257), np.float64, 1.0),
                                               ((100, 1), np.float32, 3.0), ((50,), np.float16, 0.9)])
@pytest.mark.parametrize("sample_rate", [44100, 8000])
def test_audio_matches_exactly(shape, dtype, scale, sample_rate, capsys):
    x = ((np.random.default_rng(4).random(shape) * 2 - 1) * scale).astype(dtype)
    mine, theirs_t = both(x)
    got = ours.audio("snd", mine, sample_rate=sample_rate)
    got_out = capsys.readouterr().out
    want = theirs.audio("snd", theirs_t, sample_rate=sample_rate)
    assert got == want
    assert got_out == capsys.readouterr().out  # the same clipping warning, or none
    assert ours.audio("snd", x, sample_rate=sample_rate) == theirs.audio("snd", x, sample_rate=sample_rate)


@pytest.mark.parametrize("parts", ["v", "vc", "vf", "vfc"])
@pytest.mark.parametrize("config", [None, {"camera": {"cls": "PerspectiveCamera", "fov": 75}, "lights": []}])
def test_mesh_matches_exactly(parts, config):
    rng = np.random.default_rng(5)
    vertices = rng.random((2, 6, 3)) * 4 - 2
    colors = rng.integers(0, 256, (2, 6, 3)).astype(np.uint8)
    faces = rng.integers(0, 6, (2, 4, 3))
    pick = {"v": vertices, "c": colors, "f": faces}

    def args(convert):
        return [convert(pick[k]) if k in parts else None for k in "vcf"]

    v, c, f = args(tg.from_numpy)
    tv, tc, tf = args(torch.from_numpy)
    assert ours.mesh("m", v, c, f, config) == theirs.mesh("m", tv, tc, tf, config)
    assert ours.mesh("m", *args(np.asarray), config) == theirs.mesh("m", *args(np.asarray), config)
    assert (ours.mesh("m", vertices.tolist(), None, None, config, display_name="d", description="x")
            == theirs.mesh("m", vertices.tolist(), None, None, config, display_name="d", description="x"))


# ------------------------------------------------------------------ video

class _FakeClip:
    """moviepy 1's ImageSequenceClip as far as the builders use it; the GIF comes from Pillow."""

    def __init__(self, frames, fps):
        self.frames, self.fps = frames, fps

    def write_gif(self, filename, verbose=True, logger="bar"):
        first, *rest = [Image.fromarray(f) for f in self.frames]
        first.save(filename, save_all=True, append_images=rest, duration=int(1000 / self.fps))


def test_video_matches_with_moviepy(monkeypatch):
    module, editor = types.ModuleType("moviepy"), types.ModuleType("moviepy.editor")
    editor.ImageSequenceClip = _FakeClip
    module.editor = editor
    monkeypatch.setitem(sys.modules, "moviepy", module)
    monkeypatch.setitem(sys.modules, "moviepy.editor", editor)
    for shape, dtype in [((3, 4, 3, 6, 5), np.float32), ((1, 2, 3, 4, 4), np.uint8), ((4, 3, 3, 5, 5), np.float64)]:
        x = random_image(np.random.default_rng(6), shape, dtype)
        mine, theirs_t = both(x)
        got, want = ours.video("vid", mine, fps=5), theirs.video("vid", theirs_t, fps=5)
        assert got.value[0].image.encoded_image_string[:6] == b"GIF89a"
        assert got == want  # the same frames, so the same GIF bytes


def test_video_matches_without_moviepy(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "moviepy", None)
    x = np.random.default_rng(7).random((2, 2, 3, 4, 4))
    got = ours.video("vid", x)
    got_out = capsys.readouterr().out
    assert got == theirs.video("vid", x)
    assert got_out == capsys.readouterr().out


# ------------------------------------------------------------------ errors

def raised(call) -> type:
    with pytest.raises(Exception) as info:
        call()
    return info.type


@pytest.mark.parametrize("name,args,kwargs", [
    ("image", (np.zeros((3, 4, 5)),), {"dataformats": "NCHW"}),
    ("image", (np.zeros((3, 4)),), {"dataformats": "CHW"}),
    ("image", (np.zeros((3, 4, 5)),), {"dataformats": "CCW"}),
    ("image", (np.zeros((2, 4, 5, 6)),), {"dataformats": "NCHW"}),
    ("image_boxes", (np.zeros((4, 5)), np.zeros((1, 4))), {}),
    ("audio", (np.zeros((2, 3)),), {}),
    ("mesh", (np.zeros((4, 3)), None, None, None), {}),
    ("video", (np.zeros((2, 3, 4, 5)),), {}),
])
def test_errors_have_the_same_type(name, args, kwargs):
    assert raised(lambda: getattr(ours, name)("t", *args, **kwargs)) is raised(
        lambda: getattr(theirs, name)("t", *args, **kwargs))


# ------------------------------------------------------------------ event files

def events_of(log_dir):
    (path,) = glob.glob(os.path.join(log_dir, "events.out.tfevents.*"))
    events = list(EventFileLoader(path).Load())
    assert events[0].file_version
    out = []
    for event in events[1:]:
        event.ClearField("wall_time")
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name == "images":
                # PNG bytes may legitimately differ; the pixels may not
                images = [decode(s) for s in value.tensor.string_val[2:]]
                del value.tensor.string_val[2:]
                value.tensor.string_val.extend(repr((im.shape, im.tobytes())).encode() for im in images)
        out.append(event)
    return out


def test_writer_media_events_match(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(8)
    img = rng.random((3, 20, 30)).astype(np.float32)
    batch = rng.integers(0, 256, (5, 8, 9, 3)).astype(np.uint8)
    boxes = np.array([[1, 2, 25, 18]], np.float32)
    snd = (rng.random(400) * 2.2 - 1.1).astype(np.float32)
    vertices = rng.random((1, 5, 3)).astype(np.float32)

    def calls(w, lib):
        to = tg.from_numpy if lib is tg else torch.from_numpy
        w.add_image("img", to(img), 1)
        w.add_images("batch", to(batch), 2, dataformats="NHWC")
        w.add_image_with_boxes("boxes", to(img), to(boxes), 3, labels="one", rescale=2)
        fig, ax = plt.subplots(figsize=(1.5, 1), dpi=40)
        ax.plot([0, 1], [1, 0])
        w.add_figure("fig", fig, 4)
        w.add_audio("snd", to(snd), 5, sample_rate=22050)
        w.add_mesh("mesh", to(vertices), colors=to((vertices * 255).astype(np.uint8)), global_step=6,
                   config_dict={"material": {"cls": "PointsMaterial", "size": 2}})

    with torch_writer.SummaryWriter(str(tmp_path / "torch")) as w:
        calls(w, torch)
    with SummaryWriter(str(tmp_path / "tg")) as w:
        calls(w, tg)
    got, want = events_of(str(tmp_path / "tg")), events_of(str(tmp_path / "torch"))
    assert len(got) == len(want) == 6
    for g, w in zip(got, want):
        assert g == w
