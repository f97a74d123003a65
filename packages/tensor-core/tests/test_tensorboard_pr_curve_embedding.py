"""tensorgraft.utils.tensorboard: PR curves (``_pr_curve``) and the embedding projector's files
(``_embedding``), checked against values worked out by hand; no PyTorch needed."""
from __future__ import annotations

import glob
import os
import sys

import numpy as np
import pytest

pytest.importorskip("tensorboard")

import tensorgraft as tg  # noqa: E402
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # noqa: E402
from tensorboard.plugins.pr_curve.plugin_data_pb2 import PrCurvePluginData  # noqa: E402
from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorgraft.utils.tensorboard._embedding import (get_embedding_info, make_mat, make_sprite,  # noqa: E402
                                                      make_tsv, write_embedding, write_pbtxt)
from tensorgraft.utils.tensorboard._pr_curve import compute_curve, pr_curve, pr_curve_raw  # noqa: E402

# --------------------------------------------------------------------------- PR curves
# Five examples, three thresholds (0, 0.5, 1): buckets floor(p * 2) are 0, 0, 0, 1, 1.
LABELS = np.array([1, 0, 1, 1, 0])
PREDICTIONS = np.array([0.1, 0.4, 0.35, 0.8, 0.9])
# positives in bucket 0: 0.1, 0.35; bucket 1: 0.8.  negatives in bucket 0: 0.4; bucket 1: 0.9.
EXPECTED = np.array([
    [3, 1, 0],            # tp: positives at or above each threshold
    [2, 1, 0],            # fp
    [0, 1, 2],            # tn = fp[0] - fp
    [0, 2, 3],            # fn = tp[0] - tp
    [3 / 5, 1 / 2, 0],    # precision = tp / (tp + fp), 0 where there is nothing
    [1, 1 / 3, 0],        # recall = tp / (tp + fn)
])


def _tensor_of(summary):
    (value,) = summary.value
    dims = [d.size for d in value.tensor.tensor_shape.dim]
    return value, np.array(value.tensor.float_val, dtype=np.float32).reshape(dims)


def _plugin_thresholds(value):
    assert value.metadata.plugin_data.plugin_name == "pr_curves"
    data = PrCurvePluginData.FromString(value.metadata.plugin_data.content)
    assert data.version == 0
    return data.num_thresholds


def test_compute_curve_by_hand():
    np.testing.assert_allclose(compute_curve(LABELS, PREDICTIONS, num_thresholds=3), EXPECTED)


def test_pr_curve_summary_fields():
    value, table = _tensor_of(pr_curve("pr/a", LABELS, PREDICTIONS, num_thresholds=3))
    assert value.tag == "pr/a"
    assert value.tensor.dtype == 1  # DT_FLOAT
    assert table.shape == (6, 3)
    np.testing.assert_allclose(table, EXPECTED.astype(np.float32), rtol=1e-7)
    assert _plugin_thresholds(value) == 3


def test_pr_curve_prediction_of_one_is_in_the_last_bucket_and_out_of_range_is_dropped():
    table = compute_curve(np.array([1, 1, 0]), np.array([1.0, 1.5, -0.2]), num_thresholds=3)
    # 1.0 counts at every threshold; 1.5 and -0.2 fall outside the buckets, as in PyTorch.
    np.testing.assert_array_equal(table[0], [1, 1, 1])
    np.testing.assert_array_equal(table[1], [0, 0, 0])


def test_pr_curve_weights():
    weights = np.array([2.0, 1.0, 0.5, 1.0, 3.0])
    table = compute_curve(LABELS, PREDICTIONS, num_thresholds=3, weights=weights)
    # positives: bucket 0 weighs 2 + 0.5, bucket 1 weighs 1; negatives: 1 and 3.
    np.testing.assert_allclose(table[0], [3.5, 1, 0])
    np.testing.assert_allclose(table[1], [4, 3, 0])
    np.testing.assert_allclose(table[4], [3.5 / 7.5, 1 / 4, 0])
    # a scalar weight scales every count
    np.testing.assert_allclose(compute_curve(LABELS, PREDICTIONS, 3, 2.0)[:4], EXPECTED[:4] * 2)


def test_pr_curve_num_thresholds_default_and_cap():
    value, table = _tensor_of(pr_curve("t", LABELS, PREDICTIONS))
    assert table.shape == (6, 127) and _plugin_thresholds(value) == 127
    value, table = _tensor_of(pr_curve("t", LABELS, PREDICTIONS, num_thresholds=500))
    assert table.shape == (6, 127) and _plugin_thresholds(value) == 127
    value, table = _tensor_of(pr_curve("t", LABELS, PREDICTIONS, num_thresholds=np.int64(5)))
    assert table.shape == (6, 5) and _plugin_thresholds(value) == 5


def test_pr_curve_accepts_tensors():
    _, from_tensors = _tensor_of(pr_curve("t", tg.tensor(LABELS), tg.tensor(PREDICTIONS), 3, tg.tensor(2.0)))
    np.testing.assert_allclose(from_tensors, (EXPECTED * [[2], [2], [2], [2], [1], [1]]).astype(np.float32))


def test_pr_curve_bad_input():
    with pytest.raises(ValueError, match="num_thresholds must be at least 1"):
        pr_curve("t", LABELS, PREDICTIONS, num_thresholds=0)
    with pytest.raises(TypeError, match="num_thresholds must be an int"):
        pr_curve("t", LABELS, PREDICTIONS, num_thresholds=2.5)
    with pytest.raises(TypeError, match="needs num_thresholds"):
        compute_curve(LABELS, PREDICTIONS)
    with pytest.raises(ValueError, match=r"must match predictions \(shape \(4,\)\)"):
        pr_curve("t", LABELS, PREDICTIONS[:4], 3)
    with pytest.raises(ValueError, match="weights of shape"):
        pr_curve("t", LABELS, PREDICTIONS, 3, weights=np.ones(3))
    with pytest.raises(TypeError, match="labels must be numbers"):
        pr_curve("t", np.array(["a", "b", "c", "d", "e"]), PREDICTIONS, 3)


def test_pr_curve_raw():
    rows = [[5, 3, 1], [4, 2, 0], [0, 2, 4], [0, 2, 4], [0.55, 0.6, 1.0], [1.0, 0.6, 0.2]]
    value, table = _tensor_of(pr_curve_raw("raw", *[np.array(r) for r in rows], num_thresholds=3))
    assert value.tag == "raw" and value.tensor.dtype == 1
    np.testing.assert_array_equal(table, np.array(rows, dtype=np.float32))
    assert _plugin_thresholds(value) == 3
    # lists and tensors work; the cap applies; weights are ignored
    value, table2 = _tensor_of(pr_curve_raw("raw", *rows[:4], tg.tensor(rows[4]), rows[5], 300, weights=[9]))
    np.testing.assert_array_equal(table2, table)
    assert _plugin_thresholds(value) == 127


def test_pr_curve_raw_bad_input():
    rows = [np.arange(3)] * 6
    with pytest.raises(ValueError, match=r"same length, got .*'recall': 2"):
        pr_curve_raw("t", *rows[:5], np.arange(2))
    with pytest.raises(ValueError, match=r"precision must be 1-D .*got shape \(3, 1\)"):
        pr_curve_raw("t", *rows[:4], np.zeros((3, 1)), rows[5])
    with pytest.raises(ValueError, match="must be 1-D"):
        pr_curve_raw("t", 1, 2, 3, 4, 5, 6)


# --------------------------------------------------------------------------- embedding files
def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _all_files(root):
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files)


MAT = np.array([[1.5, -2.0], [0.25, 3.0], [0.1, 7.0]], dtype=np.float32)
# float32 values are spelled as the Python float they convert to
MAT_TSV = b"1.5\t-2.0\n0.25\t3.0\n0.10000000149011612\t7.0\n"


def test_embedding_mat_only(tmp_path):
    config = write_embedding(tmp_path, None, MAT)
    assert isinstance(config, ProjectorConfig)
    assert _all_files(tmp_path) == ["00000/default/tensors.tsv", "projector_config.pbtxt"]
    assert _read(tmp_path / "00000/default/tensors.tsv") == MAT_TSV
    assert _read(tmp_path / "projector_config.pbtxt") == (
        b'embeddings {\n  tensor_name: "default:00000"\n  tensor_path: "00000/default/tensors.tsv"\n}\n')


def test_embedding_mat_dtypes_and_tensors(tmp_path):
    write_embedding(tmp_path, None, tg.tensor([[1, 2], [3, 4]]), global_step=1)
    assert _read(tmp_path / "00001/default/tensors.tsv") == b"1\t2\n3\t4\n"
    write_embedding(tmp_path, None, np.array([[True, False]]), global_step=2)
    assert _read(tmp_path / "00002/default/tensors.tsv") == b"True\tFalse\n"
    write_embedding(tmp_path, None, tg.tensor([[0.1]], dtype=tg.float64), global_step=3)
    assert _read(tmp_path / "00003/default/tensors.tsv") == b"0.1\n"


def test_embedding_metadata(tmp_path):
    config = write_embedding(tmp_path, None, MAT, metadata=["cat", 3, 2.5], global_step=7, tag="words")
    assert _read(tmp_path / "00007/words/metadata.tsv") == b"cat\n3\n2.5\n"
    assert config.embeddings[0].metadata_path == "00007/words/metadata.tsv"
    assert config.embeddings[0].tensor_name == "words:00007"


def test_embedding_metadata_header(tmp_path):
    meta = [["a", 1], ["b", 2.5], ["c", "x y"]]
    write_embedding(tmp_path, None, MAT, metadata=meta, metadata_header=["name", "n"])
    assert _read(tmp_path / "00000/default/metadata.tsv") == b"name\tn\na\t1\nb\t2.5\nc\tx y\n"
    # an empty header means no header, as in PyTorch: each entry is one label
    write_embedding(tmp_path, None, MAT, metadata=meta, global_step=1, metadata_header=[])
    assert _read(tmp_path / "00001/default/metadata.tsv") == b"['a', 1]\n['b', 2.5]\n['c', 'x y']\n"


def test_embedding_step_and_tag_encoding(tmp_path):
    config = write_embedding(tmp_path, None, MAT, global_step=123456, tag="a/b\\c%d")
    assert _all_files(tmp_path) == ["123456/a%2fb%5cc%25d/tensors.tsv", "projector_config.pbtxt"]
    assert config.embeddings[0].tensor_name == "a/b\\c%d:123456"
    assert config.embeddings[0].tensor_path == "123456/a%2fb%5cc%25d/tensors.tsv"


def _sprite_images(count, channels, height, width):
    images = np.zeros((count, channels, height, width), dtype=np.float32)
    for i in range(count):
        for c in range(channels):
            images[i, c] = (i + 1) / 10 + c / 100
    return images


def test_embedding_sprite_layout(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    images = _sprite_images(5, 1, 2, 3)
    mat = np.zeros((5, 2))
    config = write_embedding(tmp_path, None, mat, label_img=images)
    sprite = np.asarray(Image.open(tmp_path / "00000/default/sprite.png"))
    # ceil(sqrt(5)) = 3 images per row, so the square is 3 * 3 = 9 pixels wide; two rows of
    # images of height 2 fill the top four rows and the rest stays black.
    assert sprite.shape == (9, 9, 3) and sprite.dtype == np.uint8
    for i in range(5):
        y, x = divmod(i, 3)
        expected = np.uint8(np.float64(np.float32((i + 1) / 10)) * 255)  # truncated, not rounded
        assert (sprite[2 * y:2 * y + 2, 3 * x:3 * x + 3] == expected).all(), i
    assert (sprite[2:4, 6:9] == 0).all() and (sprite[4:] == 0).all()
    info = config.embeddings[0]
    assert info.sprite.image_path == "00000/default/sprite.png"
    assert list(info.sprite.single_image_dim) == [3, 2]  # width, height


def test_embedding_sprite_colour_and_clipping(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    images = _sprite_images(4, 3, 2, 2)
    images[3] = 2.0   # clipped to white
    images[2] = -1.0  # clipped to black
    write_embedding(tmp_path, None, np.zeros((4, 1)), label_img=tg.from_numpy(images))
    sprite = np.asarray(Image.open(tmp_path / "00000/default/sprite.png"))
    assert sprite.shape == (4, 4, 3)
    expected = [np.uint8(np.float64(np.float32(0.1 + c / 100)) * 255) for c in range(3)]
    np.testing.assert_array_equal(sprite[0, 0], expected)
    assert (sprite[2:, :2] == 0).all() and (sprite[2:, 2:] == 255).all()


def test_embedding_sprite_without_pillow_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # ``from PIL import Image`` now fails
    with pytest.raises(ImportError, match="pip install pillow"):
        write_embedding(tmp_path, None, np.zeros((3, 2)), label_img=_sprite_images(3, 3, 2, 2))
    with pytest.raises(ImportError, match="pip install pillow"):
        make_sprite(_sprite_images(3, 3, 2, 2), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_two_embeddings_append_to_the_config(tmp_path):
    first = write_embedding(tmp_path, None, MAT, metadata=["a", "b", "c"], tag="one")
    second = write_embedding(tmp_path, first, MAT, label_img=_sprite_images(3, 1, 4, 4), global_step=2, tag="two")
    assert second is first and len(second.embeddings) == 2
    assert [e.tensor_name for e in second.embeddings] == ["one:00000", "two:00002"]
    text = _read(tmp_path / "projector_config.pbtxt").decode()
    assert text.count("embeddings {") == 2
    assert 'metadata_path: "00000/one/metadata.tsv"' in text
    assert 'image_path: "00002/two/sprite.png"' in text and "single_image_dim: 4" in text
    assert text.index("one:00000") < text.index("two:00002")


def test_existing_embedding_dir_warns_and_overwrites(tmp_path, capsys):
    write_embedding(tmp_path, None, MAT)
    write_embedding(tmp_path, None, MAT[:1])
    assert "warning: Embedding dir exists, did you set global_step for add_embedding()?" in capsys.readouterr().out
    assert _read(tmp_path / "00000/default/tensors.tsv") == b"1.5\t-2.0\n"


def test_existing_file_in_the_way(tmp_path):
    (tmp_path / "00000").mkdir()
    (tmp_path / "00000" / "default").write_text("not a dir")
    with pytest.raises(NotADirectoryError, match="exists, but is a file. Cannot proceed."):
        write_embedding(tmp_path, None, MAT)
    assert _all_files(tmp_path) == ["00000/default"]


BAD_INPUT = [
    (dict(mat=MAT, metadata=["a", "b"]), AssertionError, "#labels should equal with #data points: 2 labels for 3"),
    (dict(mat=MAT, metadata=[["a", 1], ["b", 2], ["c"]], metadata_header=["x", "y"]), AssertionError,
     "len of header must be equal to the number of columns in metadata: the header has 2 columns, metadata entry 2"),
    (dict(mat=MAT, metadata=["ab", "cd", 5], metadata_header=["x", "y"]), TypeError, "entry 2 is a int"),
    (dict(mat=MAT, metadata=5), TypeError, "metadata must be a list"),
    (dict(mat=MAT, label_img=np.zeros((2, 3, 4, 4))), AssertionError,
     "#images should equal with #data points: 2 images for 3"),
    (dict(mat=MAT, label_img=np.zeros((3, 2, 4, 4))), AssertionError,
     r"Input should be a 4D numpy array with 3 channels: .*got shape \(3, 2, 4, 4\)"),
    (dict(mat=MAT, label_img=np.zeros((3, 4, 4))), AssertionError, "Input should be a 4D numpy array"),
    (dict(mat=MAT, label_img=np.zeros((3, 3, 9, 2))), ValueError, "do not fit a square sprite"),
    (dict(mat=np.zeros((3, 0)), label_img=np.zeros((3, 3, 0, 2))), ValueError, "must not be empty"),
    (dict(mat=np.zeros(3)), AssertionError, r"mat should be 2D, .*got shape \(3,\)"),
    (dict(mat=np.zeros((3, 2, 2)), metadata=["a", "b", "c"]), AssertionError, "mat should be 2D"),
    (dict(mat=np.array(1.0)), AssertionError, "mat should be 2D"),
    (dict(mat=MAT, tag=5), TypeError, "tag must be a str, got int"),
]


@pytest.mark.parametrize("kwargs, error, message", BAD_INPUT)
def test_bad_input_leaves_no_files(tmp_path, kwargs, error, message):
    config = write_embedding(tmp_path / "first", None, MAT)
    before = config.SerializeToString()
    with pytest.raises(error, match=message):
        write_embedding(tmp_path / "log", config, **kwargs)
    assert not (tmp_path / "log").exists()
    assert config.SerializeToString() == before


def test_empty_sprite_is_refused(tmp_path):
    with pytest.raises(ValueError, match="holds no images"):
        write_embedding(tmp_path, None, np.zeros((0, 2)), label_img=np.zeros((0, 3, 2, 2)))
    assert _all_files(tmp_path) == []


def test_building_blocks(tmp_path):
    make_tsv(["x", 1], tmp_path)
    assert _read(tmp_path / "metadata.tsv") == b"x\n1\n"
    make_tsv([("x", 1)], tmp_path, metadata_header=("h1", "h2"))
    assert _read(tmp_path / "metadata.tsv") == b"h1\th2\nx\t1\n"
    make_mat(tg.tensor([[1.0, 2.0]]), tmp_path)
    assert _read(tmp_path / "tensors.tsv") == b"1.0\t2.0\n"
    with pytest.raises(AssertionError, match="mat should be 2D"):
        make_mat(np.zeros(2), tmp_path)
    write_pbtxt(tmp_path, "héllo")
    assert _read(tmp_path / "projector_config.pbtxt") == "héllo".encode()
    info = get_embedding_info(None, np.zeros((2, 3, 5, 7)), "00004/t", 4, "t")
    assert info.tensor_name == "t:00004" and info.tensor_path == "00004/t/tensors.tsv"
    assert not info.metadata_path and list(info.sprite.single_image_dim) == [7, 5]


# --------------------------------------------------------------------------- through SummaryWriter
def _events(logdir):
    (path,) = glob.glob(os.path.join(str(logdir), "events.out.tfevents.*"))
    return [e for e in EventFileLoader(path).Load() if e.HasField("summary")]


def test_writer_add_pr_curve(tmp_path):
    writer = SummaryWriter(tmp_path)
    writer.add_pr_curve("pr", tg.tensor(LABELS), tg.tensor(PREDICTIONS), global_step=4, num_thresholds=3)
    writer.add_pr_curve_raw("raw", *EXPECTED, global_step=5, num_thresholds=3)
    writer.close()
    first, second = _events(tmp_path)
    assert first.step == 4 and second.step == 5
    for event, tag in ((first, "pr"), (second, "raw")):
        value, table = _tensor_of(event.summary)
        assert value.tag == tag and _plugin_thresholds(value) == 3
        np.testing.assert_allclose(table, EXPECTED.astype(np.float32), rtol=1e-7)


def test_writer_add_embedding(tmp_path):
    writer = SummaryWriter(tmp_path)
    images = tg.from_numpy(_sprite_images(3, 3, 2, 2))
    writer.add_embedding(tg.from_numpy(MAT), metadata=["a", "b", "c"], label_img=images, global_step=1, tag="emb")
    writer.add_embedding(MAT, metadata=[["a", 1], ["b", 2], ["c", 3]], metadata_header=["k", "v"])
    writer.close()
    files = [f for f in _all_files(tmp_path) if not f.startswith("events")]
    assert files == ["00000/default/metadata.tsv", "00000/default/tensors.tsv", "00001/emb/metadata.tsv",
                     "00001/emb/sprite.png", "00001/emb/tensors.tsv", "projector_config.pbtxt"]
    assert _read(tmp_path / "00001/emb/tensors.tsv") == MAT_TSV
    assert _read(tmp_path / "00000/default/metadata.tsv") == b"k\tv\na\t1\nb\t2\nc\t3\n"
    text = _read(tmp_path / "projector_config.pbtxt").decode()
    assert text.count("embeddings {") == 2 and text.index("emb:00001") < text.index("default:00000")
