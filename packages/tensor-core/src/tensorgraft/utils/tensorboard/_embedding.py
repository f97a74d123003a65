"""The files TensorBoard's embedding projector reads, written by ``SummaryWriter.add_embedding``.

An embedding lives in ``<logdir>/<step, 5 digits>/<encoded tag>/``: ``tensors.tsv`` (one row per
data point), optionally ``metadata.tsv`` (labels, one per line, or columns under a header) and
``sprite.png`` (the label images tiled into a square). ``<logdir>/projector_config.pbtxt`` lists
every embedding written so far; the file system may not append, so the writer keeps the
``ProjectorConfig`` and the whole file is rewritten each time. The bytes match PyTorch's, so the
projector shows the same thing for a log written by either.

Unlike PyTorch, ``write_embedding`` checks everything and builds every file's bytes before it
creates a directory or writes a file, so bad input leaves nothing half-written.
"""
from __future__ import annotations

import math
import os

import numpy as np
from google.protobuf import text_format
from tensorboard.plugins.projector.projector_config_pb2 import EmbeddingInfo, ProjectorConfig

from ...tensor import Tensor
from ._convert import make_np

_MAT_MESSAGE = "mat should be 2D, where mat.size(0) is the number of data points"
_CHANNELS_MESSAGE = "Input should be a 4D numpy array with 3 channels"
_HEADER_MESSAGE = "len of header must be equal to the number of columns in metadata"


# --------------------------------------------------------------------------- file contents
def _as_bytes(contents) -> bytes:
    return contents if isinstance(contents, bytes) else str(contents).encode("utf-8")


def _write(path, contents: bytes) -> None:
    with open(path, "wb") as f:
        f.write(contents)


def _has_header(metadata_header) -> bool:
    # PyTorch tests ``not metadata_header``: None and an empty header both mean "one column".
    if metadata_header is None:
        return False
    if isinstance(metadata_header, (np.ndarray, Tensor)):
        return metadata_header.shape[0] != 0 if len(metadata_header.shape) else True
    return bool(metadata_header)


def _tsv_bytes(metadata, metadata_header=None) -> bytes:
    try:
        rows = list(metadata)
    except TypeError:
        raise TypeError(f"metadata must be a list of labels, got {type(metadata).__name__}") from None
    if not _has_header(metadata_header):
        lines = [str(label) for label in rows]
    else:
        header = list(metadata_header)
        # PyTorch looks at the first row only; a later row of another width would make a file the
        # projector cannot read, so every row is checked.
        for i, row in enumerate(rows):
            try:
                width = len(row)
            except TypeError:
                raise TypeError(f"with a metadata_header, each metadata entry must be a list of {len(header)} "
                                f"column values; entry {i} is a {type(row).__name__}") from None
            if width != len(header):
                raise AssertionError(f"{_HEADER_MESSAGE}: the header has {len(header)} columns, metadata entry "
                                     f"{i} has {width}")
        lines = ["\t".join(str(value) for value in row) for row in [header, *rows]]
    return ("\n".join(lines) + "\n").encode("utf-8")


def make_tsv(metadata, save_path, metadata_header=None) -> None:
    """Write ``metadata.tsv`` in ``save_path``: one label per line, or with ``metadata_header`` a
    header line and tab-separated columns."""
    _write(os.path.join(save_path, "metadata.tsv"), _tsv_bytes(metadata, metadata_header))


def _images(label_img) -> np.ndarray:
    images = make_np(label_img) if isinstance(label_img, Tensor) else np.asarray(label_img)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise AssertionError(f"{_CHANNELS_MESSAGE}: label_img must have shape (N, C, H, W) with C 1 or 3, "
                             f"got shape {tuple(images.shape)}")
    return images


def _sprite_pixels(label_img) -> np.ndarray:
    """The label images tiled row by row into a square (H, W, 3) uint8 image."""
    images = _images(label_img)
    count, _, height, width = images.shape
    if count == 0:
        raise ValueError("label_img holds no images: a sprite needs at least one")
    if height == 0 or width == 0:
        raise ValueError(f"label_img images must not be empty, got shape {tuple(images.shape)}")
    if images.shape[1] == 1:
        images = np.concatenate([images, images, images], 1)
    # The projector wants a square sprite with ceil(sqrt(N)) images per row; it works out the
    # layout from the sprite's width, so the square is as wide as the grid and the rows below the
    # last image stay black. PyTorch computes the column count this way too.
    columns = min(count, math.ceil(count ** 0.5))
    rows = math.ceil(count / columns)
    side = width * columns
    if height * rows > side:
        # PyTorch fails here inside NumPy; a taller square would make the projector misread the layout.
        raise ValueError(f"label_img images of height {height} and width {width} do not fit a square sprite of "
                         f"{columns} images per row ({rows} rows of height {height} > side {side}); use images "
                         f"at most about as tall as they are wide")
    square = np.zeros((3, side, side))
    for i in range(count):
        y, x = divmod(i, columns)
        square[:, y * height:(y + 1) * height, x * width:(x + 1) * width] = images[i]
    # Scaling in float64 and truncating to uint8 as PyTorch does keeps the pixels identical.
    return np.uint8((square.transpose(1, 2, 0) * 255).clip(0, 255))


def _png_bytes(pixels: np.ndarray) -> bytes:
    try:
        from PIL import Image
    except ImportError as e:  # called while the contents are built: nothing is written yet
        raise ImportError("add_embedding(label_img=...) writes sprite.png with Pillow, which is not installed: "
                          "pip install pillow (or tensorgraft-core[tensorboard])") from e
    from io import BytesIO

    with BytesIO() as buffer:
        Image.fromarray(pixels).save(buffer, format="PNG")
        return buffer.getvalue()


def make_sprite(label_img, save_path) -> None:
    """Write ``sprite.png`` in ``save_path``: the (N, C, H, W) images, C 1 or 3 with values in
    [0, 1], tiled into a square."""
    _write(os.path.join(save_path, "sprite.png"), _png_bytes(_sprite_pixels(label_img)))


def _mat_bytes(matlist) -> bytes:
    # ``tolist`` gives each value as ``.item()`` would, so ``str`` spells it as PyTorch does.
    rows = np.asarray(matlist).tolist()
    return "".join("\t".join(str(v) for v in row) + "\n" for row in rows).encode("utf-8")


def make_mat(matlist, save_path) -> None:
    """Write ``tensors.tsv`` in ``save_path``: each row of ``matlist`` tab-separated on its line."""
    if isinstance(matlist, Tensor):
        matlist = make_np(matlist)
    if np.ndim(matlist) != 2:
        raise AssertionError(f"{_MAT_MESSAGE}; got shape {np.shape(matlist)}")
    _write(os.path.join(save_path, "tensors.tsv"), _mat_bytes(matlist))


def get_embedding_info(metadata, label_img, subdir, global_step, tag):
    """The ``EmbeddingInfo`` for the projector config: paths relative to the log dir, and for a
    sprite the size of one image as [width, height]."""
    info = EmbeddingInfo()
    info.tensor_name = f"{tag}:{str(global_step).zfill(5)}"
    info.tensor_path = os.path.join(subdir, "tensors.tsv")
    if metadata is not None:
        info.metadata_path = os.path.join(subdir, "metadata.tsv")
    if label_img is not None:
        info.sprite.image_path = os.path.join(subdir, "sprite.png")
        shape = tuple(label_img.shape)
        info.sprite.single_image_dim.extend([int(shape[3]), int(shape[2])])
    return info


def write_pbtxt(save_path, contents) -> None:
    """Write ``contents`` (text) as ``projector_config.pbtxt`` in ``save_path``."""
    _write(os.path.join(save_path, "projector_config.pbtxt"), _as_bytes(contents))


# --------------------------------------------------------------------------- add_embedding
def _encode(tag: str) -> str:
    # Percent-escape what would be a path separator, so one tag is one directory (as PyTorch).
    if not isinstance(tag, str):
        raise TypeError(f"tag must be a str, got {type(tag).__name__}")
    return tag.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")


def write_embedding(logdir, projector_config, mat, metadata=None, label_img=None, global_step=None,
                    tag="default", metadata_header=None):
    """Everything ``SummaryWriter.add_embedding`` does: write the embedding's files under
    ``logdir``, append its entry to ``projector_config`` (a new ``ProjectorConfig`` when None),
    rewrite ``projector_config.pbtxt`` and return the config."""
    mat = make_np(mat)
    if global_step is None:
        global_step = 0
    subdir = f"{str(global_step).zfill(5)}/{_encode(tag)}"
    save_path = os.path.join(logdir, subdir)
    if os.path.exists(save_path) and not os.path.isdir(save_path):
        raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")

    # Every check, and every file's bytes, before anything is written (PyTorch's order of checks).
    if mat.ndim == 0:
        raise AssertionError(f"{_MAT_MESSAGE}; got a 0-D array")
    files = {}
    if metadata is not None:
        try:
            labels = len(metadata)
        except TypeError:
            raise TypeError(f"metadata must be a list of labels, got {type(metadata).__name__}") from None
        if labels != mat.shape[0]:
            raise AssertionError(f"#labels should equal with #data points: {labels} labels for "
                                 f"{mat.shape[0]} data points")
        files["metadata.tsv"] = _tsv_bytes(metadata, metadata_header)
    if label_img is not None:
        images = _images(label_img)
        if images.shape[0] != mat.shape[0]:
            raise AssertionError(f"#images should equal with #data points: {images.shape[0]} images for "
                                 f"{mat.shape[0]} data points")
        files["sprite.png"] = _png_bytes(_sprite_pixels(images))
        label_img = images
    if mat.ndim != 2:
        raise AssertionError(f"{_MAT_MESSAGE}; got shape {tuple(mat.shape)}")
    files["tensors.tsv"] = _mat_bytes(mat)

    if os.path.isdir(save_path):
        print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
    else:
        os.makedirs(save_path)
    for name, contents in files.items():
        _write(os.path.join(save_path, name), contents)

    if projector_config is None:
        projector_config = ProjectorConfig()
    projector_config.embeddings.extend([get_embedding_info(metadata, label_img, subdir, global_step, tag)])
    write_pbtxt(logdir, text_format.MessageToString(projector_config))
    return projector_config
