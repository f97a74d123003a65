"""The media summaries behind ``SummaryWriter``: images (with boxes and from matplotlib figures),
video, audio and meshes, each built as the ``Summary`` proto PyTorch's builders return.

PyTorch splits this between ``summary.py`` (the builders) and ``_utils.py`` (layout helpers:
``convert_to_HWC``, ``make_grid``, ``_prepare_video``, ``figure_to_image``); both halves live here
so that the way an array becomes pixels is in one place. Every builder first turns its input into
a NumPy array with ``make_np`` and checks shapes and ``dataformats`` before any encoding starts,
so bad input fails with a message naming what was given and what was expected, and nothing is
written. Pillow (images), moviepy (video) and matplotlib (figures) are imported only when used,
as optional dependencies.
"""
from __future__ import annotations

import io
import json
import os
import tempfile
import wave

import numpy as np
from tensorboard.compat.proto.summary_pb2 import Summary
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto

from ._convert import make_np

__all__ = [
    "audio",
    "convert_to_HWC",
    "draw_boxes",
    "figure_to_image",
    "image",
    "image_boxes",
    "make_grid",
    "make_image",
    "make_video",
    "mesh",
    "video",
]

# The layout each dataformats length is rearranged into before encoding.
_TARGET_LAYOUT = {4: "NCHW", 3: "HWC", 2: "HW"}


# --------------------------------------------------------------------------------------------
# Layout helpers (PyTorch's torch/utils/tensorboard/_utils.py)
# --------------------------------------------------------------------------------------------

def _check_dataformats(shape: tuple, dataformats) -> str:
    """``dataformats`` upper-cased, once it is known to describe an array of ``shape``."""
    if not isinstance(dataformats, str):
        raise TypeError(f"dataformats should be a string such as 'CHW', 'HWC', 'HW' or 'NCHW', "
                        f"but got {type(dataformats).__name__}: {dataformats!r}")
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt):
        raise AssertionError(f"You can not use the same dimension shorthand twice. input_format: {dataformats}")
    if len(shape) != len(fmt):
        raise AssertionError(f"size of input tensor and input format are different. tensor shape: {tuple(shape)} "
                             f"({len(shape)} dimensions), input_format: {dataformats} ({len(fmt)} dimensions)")
    target = _TARGET_LAYOUT.get(len(fmt))
    # PyTorch maps an unknown letter to axis -1 and silently logs a transposed image; refuse it.
    if target is None or sorted(fmt) != sorted(target):
        raise AssertionError(f"input_format {dataformats!r} is not an ordering of NCHW, HWC or HW "
                             "(for example 'CHW', 'HWC', 'HW', 'NCHW' or 'NHWC')")
    return fmt


def make_grid(I, ncols=8):  # PyTorch's parameter names
    """Tile an ``(N, 1 or 3, H, W)`` batch into one ``(3, rows*H, cols*W)`` image, ``ncols`` per row,
    row by row; cells past the last image stay zero."""
    if not isinstance(I, np.ndarray):
        raise AssertionError("plugin error, should pass numpy array here")
    if I.ndim == 4 and I.shape[1] == 1:
        I = np.concatenate([I, I, I], 1)
    if I.ndim != 4 or I.shape[1] != 3:
        raise AssertionError(f"Input should be a 4D numpy array with 3 channels (N, 3, H, W) or 1 channel "
                             f"(N, 1, H, W), but got shape {I.shape}")
    nimg, _, height, width = I.shape
    if nimg == 0:
        raise AssertionError(f"can not make an image grid of an empty batch (shape {I.shape})")
    ncols = min(nimg, ncols)
    nrows = -(-nimg // ncols)
    canvas = np.zeros((3, height * nrows, width * ncols), dtype=I.dtype)
    for i in range(nimg):
        row, col = divmod(i, ncols)
        canvas[:, row * height:(row + 1) * height, col * width:(col + 1) * width] = I[i]
    return canvas


def convert_to_HWC(tensor, input_format):  # PyTorch's name
    """The NumPy image ``tensor``, laid out as ``input_format`` says, as an ``(H, W, C)`` array.

    A batch (4 letters) is tiled with ``make_grid``; one channel and 2-D images become 3 equal
    channels (RGB); 3 and 4 channels are kept.
    """
    fmt = _check_dataformats(tensor.shape, input_format)
    order = [fmt.index(axis) for axis in _TARGET_LAYOUT[len(fmt)]]
    arranged = tensor.transpose(order)
    if len(fmt) == 4:
        return make_grid(arranged).transpose(1, 2, 0)
    if len(fmt) == 2:
        return np.stack([arranged, arranged, arranged], 2)
    if arranged.shape[2] == 1:
        return np.concatenate([arranged, arranged, arranged], 2)
    return arranged


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _prepare_video(V):  # PyTorch's parameter name
    """A ``(N, T, C, H, W)`` batch of videos as one ``(T, rows*H, cols*W, C)`` video.

    The batch is padded with black videos up to a power of two and tiled with ``2**k`` rows,
    ``k = (bit_length(N) - 1) // 2``; uint8 input is scaled to [0, 1] floats.
    """
    if V.ndim != 5:
        raise ValueError(f"video tensor should be 5-dimensional (N, T, C, H, W), but got shape {V.shape}")
    b, t, c, h, w = V.shape
    if b == 0:
        raise ValueError(f"video tensor has an empty batch: shape {V.shape}")
    if V.dtype == np.uint8:
        V = V.astype(np.float32) / 255.0
    if not _is_power_of_two(b):
        # float64 black videos, as PyTorch pads (so the result's dtype follows NumPy's promotion)
        V = np.concatenate((V, np.zeros((2 ** b.bit_length() - b, t, c, h, w))), axis=0)
    n_rows = 2 ** ((b.bit_length() - 1) // 2)
    n_cols = V.shape[0] // n_rows
    V = V.reshape(n_rows, n_cols, t, c, h, w).transpose(2, 0, 4, 1, 5, 3)
    return V.reshape(t, n_rows * h, n_cols * w, c)


def figure_to_image(figures, close=True):
    """A matplotlib figure rendered as a ``(3, H, W)`` uint8 array, or a list of figures as
    ``(N, 3, H, W)``; ``close`` closes each figure once it is rendered."""
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    def render(figure):
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        # a copy: the canvas buffer is reused if the (unclosed) figure is drawn again
        chw = np.ascontiguousarray(np.moveaxis(rgba[:, :, :3], 2, 0))
        if close:
            plt.close(figure)
        return chw

    if isinstance(figures, list):
        return np.stack([render(figure) for figure in figures])
    return render(figures)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

def _pil():
    """PIL's ``Image``, ``ImageDraw`` and ``ImageFont`` modules, or an ImportError that says how to get them."""
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError as e:
        raise ImportError("Logging images to TensorBoard requires Pillow: pip install pillow") from e
    return Image, ImageDraw, ImageFont


def _calc_scale_factor(array) -> int:
    """uint8 pixels are already 0..255; anything else is taken to be in [0, 1]."""
    return 1 if np.asarray(array).dtype == np.uint8 else 255


def _to_uint8(array: np.ndarray) -> np.ndarray:
    scale = _calc_scale_factor(array)
    return (array.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)


def _draw_single_box(image, xmin, ymin, xmax, ymax, display_str, color="black", color_text="black", thickness=2):
    """Outline one box on the PIL ``image``; a label goes in a filled strip at its bottom-left."""
    _, ImageDraw, ImageFont = _pil()
    font = ImageFont.load_default()
    draw = ImageDraw.Draw(image)
    corners = [(xmin, ymin), (xmin, ymax), (xmax, ymax), (xmax, ymin), (xmin, ymin)]
    draw.line(corners, width=thickness, fill=color)
    if display_str:
        left, top, right, bottom = font.getbbox(display_str)
        text_width, text_height = right - left, bottom - top
        margin = np.ceil(0.05 * text_height)
        strip_top = ymax - text_height - 2 * margin
        draw.rectangle([(xmin, strip_top), (xmin + text_width, ymax)], fill=color)
        draw.text((xmin + margin, ymax - text_height - margin), display_str, fill=color_text, font=font)
    return image


def _check_boxes(boxes) -> np.ndarray:
    if boxes.ndim != 2 or boxes.shape[1] < 4:
        raise ValueError(f"boxes should be an (N, 4) array of (xmin, ymin, xmax, ymax) rows, "
                         f"but got shape {boxes.shape}")
    return boxes


def draw_boxes(disp_image, boxes, labels=None):
    """Outline each ``(xmin, ymin, xmax, ymax)`` row of ``boxes`` in red on the PIL image; ``labels[i]``
    (if given) is written on box ``i``."""
    boxes = _check_boxes(np.asarray(boxes))
    for i in range(boxes.shape[0]):
        xmin, ymin, xmax, ymax = boxes[i, :4]
        label = None if labels is None else labels[i]
        disp_image = _draw_single_box(disp_image, xmin, ymin, xmax, ymax, display_str=label, color="Red")
    return disp_image


def make_image(tensor, rescale=1, rois=None, labels=None):
    """A ``Summary.Image`` holding the ``(H, W, C)`` uint8 array as PNG, with ``rois`` boxes drawn and
    resized by ``rescale``; the proto's height and width are those before resizing, as in PyTorch."""
    Image, _, _ = _pil()
    if tensor.ndim != 3:
        raise ValueError(f"make_image expects an (H, W, C) array, but got shape {tensor.shape}")
    height, width, channel = tensor.shape
    picture = Image.fromarray(tensor)
    if rois is not None:
        picture = draw_boxes(picture, rois, labels=labels)
    lanczos = getattr(Image, "Resampling", Image).LANCZOS  # Image.Resampling is Pillow >= 9.1
    picture = picture.resize((int(width * rescale), int(height * rescale)), lanczos)
    with io.BytesIO() as output:
        picture.save(output, format="PNG")
        encoded = output.getvalue()
    return Summary.Image(height=height, width=width, colorspace=channel, encoded_image_string=encoded)


def image(tag, tensor, rescale=1, dataformats="NCHW"):
    """A ``Summary`` with one image: ``tensor`` laid out as ``dataformats`` says, float values in
    [0, 1] (scaled by 255) or uint8 values in [0, 255], clipped to that range."""
    pixels = convert_to_HWC(make_np(tensor), dataformats)
    picture = make_image(_to_uint8(pixels), rescale=rescale)
    return Summary(value=[Summary.Value(tag=tag, image=picture)])


def image_boxes(tag, tensor_image, tensor_boxes, rescale=1, dataformats="CHW", labels=None):
    """A ``Summary`` with one image with ``tensor_boxes`` ((N, 4) rows of xmin, ymin, xmax, ymax in
    pixels) outlined in red, and labelled when ``labels`` is given."""
    pixels = convert_to_HWC(make_np(tensor_image), dataformats)
    boxes = _check_boxes(make_np(tensor_boxes))
    picture = make_image(_to_uint8(pixels), rescale=rescale, rois=boxes, labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=picture)])


# --------------------------------------------------------------------------------------------
# Video
# --------------------------------------------------------------------------------------------

def _image_sequence_clip():
    """moviepy's ``ImageSequenceClip``, or None (after saying why, as PyTorch prints it) without moviepy."""
    try:
        import moviepy  # noqa: F401
    except ImportError:
        print("add_video needs package moviepy")
        return None
    try:
        from moviepy import editor
        return editor.ImageSequenceClip
    except ImportError:
        pass
    try:  # moviepy 2 dropped moviepy.editor and exports the clip at the top level
        from moviepy import ImageSequenceClip
        return ImageSequenceClip
    except ImportError:
        print("moviepy is installed, but can't import moviepy.editor.",
              "Some packages could be missing [imageio, requests]")
        return None


def _write_gif(clip, filename: str) -> None:
    # moviepy's write_gif keywords changed across releases; try the newest spellings first.
    attempts = ({"verbose": False, "logger": None}, {"logger": None},
                {"verbose": False, "progress_bar": False}, {"verbose": False})
    for keywords in attempts[:-1]:
        try:
            clip.write_gif(filename, **keywords)
            return
        except TypeError:
            continue
    clip.write_gif(filename, **attempts[-1])


def make_video(tensor, fps):
    """A ``Summary.Image`` holding the ``(T, H, W, C)`` uint8 frames as an animated GIF, or None
    when moviepy is missing (PyTorch prints why and logs the video without an image)."""
    clip_class = _image_sequence_clip()
    if clip_class is None:
        return None
    _, height, width, channel = tensor.shape
    clip = clip_class(list(tensor), fps=fps)
    # a directory rather than an open NamedTemporaryFile, which Windows will not let moviepy reopen
    with tempfile.TemporaryDirectory() as tmp:
        filename = os.path.join(tmp, "video.gif")
        _write_gif(clip, filename)
        with open(filename, "rb") as f:
            encoded = f.read()
    return Summary.Image(height=height, width=width, colorspace=channel, encoded_image_string=encoded)


def video(tag, tensor, fps=4):
    """A ``Summary`` with an ``(N, T, C, H, W)`` batch of videos tiled into one animated GIF."""
    frames = _to_uint8(_prepare_video(make_np(tensor)))
    return Summary(value=[Summary.Value(tag=tag, image=make_video(frames, fps))])


# --------------------------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------------------------

def _wav_bytes(samples: np.ndarray, sample_rate) -> bytes:
    """Mono 16-bit little-endian PCM in a WAV container."""
    with io.BytesIO() as output:
        with wave.open(output, "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(samples.tobytes())
        return output.getvalue()


def audio(tag, tensor, sample_rate=44100):
    """A ``Summary`` with one mono clip: ``tensor`` (1-D once size-1 dimensions are dropped) holds
    samples in [-1, 1]; larger amplitudes are clipped, with a printed warning as in PyTorch."""
    given = make_np(tensor)
    array = given.squeeze()
    if array.ndim != 1:
        raise AssertionError(f"input tensor should be 1 dimensional. Got shape {given.shape}, "
                             f"which is {array.ndim}-dimensional without its size-1 dimensions")
    if array.size and np.abs(array).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        array = array.clip(-1, 1)
    samples = (array * np.iinfo(np.int16).max).astype("<i2")
    clip = Summary.Audio(sample_rate=sample_rate, num_channels=1, length_frames=samples.shape[-1],
                         encoded_audio_string=_wav_bytes(samples, sample_rate), content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=clip)])


# --------------------------------------------------------------------------------------------
# Meshes (TensorBoard's mesh plugin)
# --------------------------------------------------------------------------------------------

def _get_json_config(config_dict) -> str:
    return "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)


def _mesh_array(values) -> np.ndarray:
    # PyTorch passes these through torch.as_tensor, so nested lists are accepted as well as tensors.
    if isinstance(values, (list, tuple)):
        return np.asarray(values)
    return make_np(values)


def _mesh_value(tag, display_name, description, values, content_type, components, json_config):
    """One ``Summary.Value``: the (B, N, 3) ``values`` as a float tensor, tagged ``<tag>_<CONTENT>``."""
    from tensorboard.plugins.mesh import metadata

    array = _mesh_array(values)
    shape = [int(size) for size in array.shape]
    # the plugin's own check: it raises ValueError unless the shape is BxNx3
    plugin_metadata = metadata.create_summary_metadata(tag, display_name, content_type, components, shape,
                                                       description, json_config=json_config)
    tensor = TensorProto(dtype="DT_FLOAT", float_val=array.reshape(-1).tolist(),
                         tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=s) for s in shape]))
    return Summary.Value(tag=metadata.get_instance_name(tag, content_type), tensor=tensor, metadata=plugin_metadata)


def mesh(tag, vertices, colors, faces, config_dict, display_name=None, description=None):
    """A ``Summary`` for the mesh plugin: one value each for ``vertices``, ``faces`` and ``colors``
    (those given, in that order), all (B, N, 3); ``config_dict`` is the three.js configuration."""
    from tensorboard.plugins.mesh import metadata
    from tensorboard.plugins.mesh.plugin_data_pb2 import MeshPluginData

    json_config = _get_json_config(config_dict)
    parts = [(vertices, MeshPluginData.VERTEX), (faces, MeshPluginData.FACE), (colors, MeshPluginData.COLOR)]
    parts = [(values, kind) for values, kind in parts if values is not None]
    components = metadata.get_components_bitmask([kind for _, kind in parts])
    return Summary(value=[_mesh_value(tag, display_name, description, values, kind, components, json_config)
                          for values, kind in parts])
