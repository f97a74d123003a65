"""tensorgraft.serialization's options and helpers against torch.serialization's."""
import argparse
import datetime
import io
import mmap
import pathlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft.testing.oracle import assert_same_error  # noqa: E402


@pytest.mark.parametrize("obj", [
    {"w": torch.ones(2)},
    {"acc": np.float64(0.5), "order": np.arange(3)},
    {"args": argparse.Namespace(lr=1), "when": datetime.date(2026, 12, 4), "p": pathlib.PurePosixPath("/a")},
    {"fs": frozenset({1}), "sl": slice(1, 2), "s": {3}},
    torch.nn.Sequential(torch.nn.Linear(2, 2)),
], ids=["tensors", "numpy", "namespace_date_path", "builtins", "module"])
def test_same_unsafe_globals(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    ours = tg.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    theirs = torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    assert sorted(ours) == sorted(theirs)


def test_same_option_values_and_errors():
    assert [e.value for e in tg.serialization.LoadEndianness] == [e.value for e in torch.serialization.LoadEndianness]
    assert [e.name for e in tg.serialization.LoadEndianness] == [e.name for e in torch.serialization.LoadEndianness]
    assert tg.serialization.get_default_load_endianness() == torch.serialization.get_default_load_endianness()
    assert tg.serialization.get_default_mmap_options() == torch.serialization.get_default_mmap_options()
    assert_same_error(lambda lib: lib.serialization.set_default_mmap_options(5))
    assert_same_error(lambda lib: lib.serialization.set_default_load_endianness("big"))
    with tg.serialization.set_default_mmap_options(mmap.MAP_SHARED), \
            torch.serialization.set_default_mmap_options(mmap.MAP_SHARED):
        assert tg.serialization.get_default_mmap_options() == torch.serialization.get_default_mmap_options()
    assert tg.serialization.location_tag(tg.ones(1)) == torch.serialization.location_tag(torch.ones(1))
    assert tg.serialization.check_module_version_greater_or_equal(np, (1, 20)) == \
        torch.serialization.check_module_version_greater_or_equal(np, (1, 20))
    if not torch.cuda.is_available():
        assert_same_error(lambda lib: lib.serialization.validate_cuda_device("cuda:0"))
