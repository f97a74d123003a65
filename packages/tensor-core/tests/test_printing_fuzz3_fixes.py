"""Tensor printing edge cases pinned after differential fuzzing against PyTorch 2.13 (every expected
string is what PyTorch printed for the same tensor and options)."""
from __future__ import annotations

import pytest

import tensorgraft as tg


@pytest.fixture(autouse=True)
def _default_print_options():
    tg.set_printoptions(profile="default")
    yield
    tg.set_printoptions(profile="default")


def test_half_precision_sci_mode_boundaries():
    # 1e-4 in float16 is just below 1e-4 as a double, yet fixed notation, as PyTorch
    assert repr(tg.tensor([1e-4, 0.1], dtype=tg.float16)) == "tensor([0.0001, 0.1000], dtype=torch.float16)"
    assert repr(tg.tensor([1e8, 1.0], dtype=tg.bfloat16)) == "tensor([1.0014e+08, 1.0000e+00], dtype=torch.bfloat16)"
    assert repr(tg.tensor([1000.5, 1.0])) == "tensor([1.0005e+03, 1.0000e+00])"


def test_nonfinite_and_negative_zero_bfloat16():
    t = tg.tensor([float("inf"), float("nan"), -0.0, 1.5], dtype=tg.bfloat16)
    assert repr(t) == "tensor([   inf,    nan, -0.0000, 1.5000], dtype=torch.bfloat16)"


def test_complex_columns_format_independently():
    assert repr(tg.tensor([0.2, 200.0], dtype=tg.float64) * 1j) == (
        "tensor([0.+0.2000j, 0.+200.0000j], dtype=torch.complex128)")
    t = tg.tensor([1 + 2j, -0.5 - 1e-3j, float("nan") + 1j], dtype=tg.complex64)
    assert repr(t) == "tensor([ 1.0000+2.0000e+00j, -0.5000-1.0000e-03j,     nan+1.0000e+00j])"
    assert repr(tg.tensor(-0.0 - 0.0j)) == "tensor(-0.+0.j)"


def test_edgeitems_zero_summary_shows_size():
    tg.set_printoptions(edgeitems=0, threshold=3)
    assert repr(tg.arange(10.0).reshape(2, 5)) == "tensor([...], size=(2, 5))"


def test_summarised_3d_with_narrow_lines():
    tg.set_printoptions(linewidth=30, threshold=5, edgeitems=1)
    assert repr(tg.arange(24).reshape(2, 3, 4) * 1000) == (
        "tensor([[[    0,  ...,  3000],\n"
        "         ...,\n"
        "         [ 8000,  ..., 11000]],\n"
        "\n"
        "        [[12000,  ..., 15000],\n"
        "         ...,\n"
        "         [20000,  ..., 23000]]])")


def test_dtype_and_requires_grad_suffixes_wrap():
    pytest.importorskip("tensorgraft.autograd")  # (requires_grad=True needs the engine)
    t = (tg.arange(8, dtype=tg.float64) * 1.123456).requires_grad_()
    assert repr(t) == ("tensor([0.0000, 1.1235, 2.2469, 3.3704, 4.4938, 5.6173, 6.7407, 7.8642],\n"
                       "       dtype=torch.float64, requires_grad=True)")


def test_profile_resets_sci_mode():
    tg.set_printoptions(precision=2, sci_mode=True)
    tg.set_printoptions(profile="default")
    assert repr(tg.tensor([1e-9, 1.0])) == "tensor([1.0000e-09, 1.0000e+00])"


def test_empty_with_shape_and_dtype():
    assert repr(tg.empty((1, 0, 2), dtype=tg.int8)) == "tensor([], size=(1, 0, 2), dtype=torch.int8)"
