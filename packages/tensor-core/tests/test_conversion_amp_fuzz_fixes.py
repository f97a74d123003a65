"""Regression tests for differences found by differential fuzzing of conversions, Python protocols
and AMP against PyTorch 2.13 (expected values hard-coded from PyTorch)."""
import subprocess
import sys
import warnings

import numpy as np
import pytest

import tensorgraft as tg


# ---------------------------------------------------------------- dtype conversion values
def test_complex_to_bool_looks_at_both_parts():
    x = tg.tensor([0j, 1j, 1 + 0j, complex(float("nan"), float("nan"))])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch does not warn for complex -> bool
        assert x.to(tg.bool).tolist() == [False, True, True, True]
        assert tg.tensor([0j, 2j]).bool().tolist() == [False, True]


def test_float64_to_uint8_beyond_int32_keeps_low_byte_of_int64():
    x = tg.tensor([3000000005.0, -2147483653.0, 1e10 + 7, -2147483649.0, 70000.0], dtype=tg.float64)
    assert x.to(tg.uint8).tolist() == [5, 251, 7, 255, 112]
    assert x.byte().tolist() == [5, 251, 7, 255, 112]
    z = tg.tensor([3e9 + 5 + 1j], dtype=tg.complex128)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert z.to(tg.uint8).tolist() == [5]


def test_empty_complex_to_real_does_not_warn():
    # in a fresh process: the warning is given once per process, so an earlier cast would hide it
    code = ("import warnings, tensorgraft as tg\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    tg.tensor([], dtype=tg.complex64).float()\n"
            "assert not w, [str(c.message) for c in w]\n"
            "tg.tensor([1j]).float()\n")
    done = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Casting complex values to real discards the imaginary part" in done.stderr


# ---------------------------------------------------------------- Tensor.to
def test_to_none_returns_self():
    x = tg.tensor([1, 2], dtype=tg.uint8)
    assert x.to(None) is x
    assert x.to(None, tg.float32).dtype == tg.float32


def test_to_positional_copy_flag():
    x = tg.tensor([1.0, 2.0], dtype=tg.float64)
    assert x.to(tg.float64, True) is x  # non_blocking only
    y = x.to(tg.float64, False, True)
    assert y is not x and y.tolist() == [1.0, 2.0]
    assert x.to("cpu", tg.float64, False, True) is not x


# ---------------------------------------------------------------- Python protocols
def test_contains_numbers_and_tensors():
    x = tg.tensor([1.0, 2.0, float("nan")])
    assert 2 in x and np.float64(1) in x and tg.tensor([1.0, 5.0, 0.0]) in x
    assert 5 not in x and float("nan") not in x
    assert 1 not in tg.tensor([[], []])  # (empty: no value is ambiguous here)
    assert tg.tensor(float("nan")) not in tg.tensor([[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("element, shown", [("a", "<class 'str'>"), (None, "<class 'NoneType'>"),
                                            ([1], "<class 'list'>"), ((1,), "<class 'tuple'>"),
                                            (np.array(1), "<class 'numpy.ndarray'>")])
def test_contains_refuses_other_objects(element, shown):
    with pytest.raises(RuntimeError, match=r"^Tensor.__contains__ only supports Tensor or scalar, but you passed "
                                           r"in a " + shown.replace("(", r"\(").replace(".", r"\.") + r"\.$"):
        element in tg.tensor([1, 2])  # noqa: B015


def test_contains_broadcast_error_is_the_elements_first():
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(2\) must match the size of tensor b \(3\) at "
                                           r"non-singleton dimension 0"):
        tg.tensor([1, 2]) in tg.tensor([1, 2, 3])  # noqa: B015


def test_reversed_returns_flipped_tensor():
    r = reversed(tg.tensor([[1, 2], [3, 4]]))
    assert isinstance(r, tg.Tensor) and r.tolist() == [[3, 4], [1, 2]]
    s = tg.tensor(1.0)
    assert reversed(s) is s
    with pytest.raises(TypeError, match="^iteration over a 0-d tensor$"):
        list(reversed(tg.tensor(1.0)))


def test_long_dunder():
    assert tg.tensor(1.5).__long__() == 1


# ---------------------------------------------------------------- autocast switches
def test_autocast_enabled_must_be_bool():
    for bad, name in ((1, "int"), ("yes", "str")):
        with pytest.raises(TypeError, match=rf"^set_autocast_enabled\(\): argument 'enabled' \(position 2\) must be "
                                            rf"bool, not {name}$"):
            with tg.autocast("cpu", enabled=bad):
                pass
    assert not tg.is_autocast_enabled("cpu")
    with pytest.raises(TypeError, match=r"\(position 1\) must be bool, not int"):
        tg.set_autocast_enabled(1)


@pytest.mark.parametrize("call, message", [
    (lambda: tg.is_autocast_cpu_enabled(), "torch.is_autocast_cpu_enabled() is deprecated. Please use "
                                           "torch.is_autocast_enabled('cpu') instead."),
    (lambda: tg.get_autocast_cpu_dtype(), "torch.get_autocast_cpu_dtype() is deprecated. Please use "
                                          "torch.get_autocast_dtype('cpu') instead."),
    (lambda: tg.get_autocast_gpu_dtype(), "torch.get_autocast_gpu_dtype() is deprecated. Please use "
                                          "torch.get_autocast_dtype('cuda') instead."),
    (lambda: tg.set_autocast_cpu_enabled(False), "torch.set_autocast_cpu_enabled(enabled) is deprecated. Please "
                                                 "use torch.set_autocast_enabled('cpu', enabled) instead."),
    (lambda: tg.set_autocast_cpu_dtype(tg.bfloat16), "torch.set_autocast_cpu_dtype(dtype) is deprecated. Please use "
                                                     "torch.set_autocast_dtype('cpu', dtype) instead."),
    (lambda: tg.set_autocast_gpu_dtype(tg.float16), "torch.set_autocast_gpu_dtype(dtype) is deprecated. Please use "
                                                    "torch.set_autocast_dtype('cuda', dtype) instead."),
])
def test_per_device_autocast_switches_are_deprecated(call, message):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        call()
    assert [(c.category, str(c.message)) for c in w] == [(DeprecationWarning, message)]


def test_is_autocast_available_refuses_unknown_device_string():
    assert tg.amp.is_autocast_available("cpu")
    with pytest.raises(RuntimeError, match="device type at start of device string: foo$"):
        tg.amp.is_autocast_available("foo")


# ---------------------------------------------------------------- GradScaler
def test_grad_scaler_private_scale_and_growth_tracker():
    s = tg.amp.GradScaler("cpu")
    assert s._scale is None and s._get_scale_async() is None and s._get_growth_tracker() == 0
    s.scale(tg.tensor(1.0))
    for t in (s._scale, s._get_scale_async()):
        assert t.shape == () and t.dtype == tg.float32 and t.item() == 65536.0
    assert tg.amp.GradScaler("cpu", enabled=False)._get_growth_tracker() == 0


def test_grad_scaler_update_new_scale_checks():
    s = tg.amp.GradScaler("cpu", init_scale=2.0)
    s.scale(tg.tensor(1.0))
    with pytest.raises(AttributeError, match="^'int' object has no attribute 'device'$"):
        s.update(8)
    with pytest.raises(RuntimeError, match=r"^output with shape \[\] doesn't match the broadcast shape \[1\]$"):
        s.update(tg.tensor([8.0]))
    with pytest.raises(AssertionError, match="^new_scale should be a float or a 1-element"):
        s.update(tg.tensor([4.0, 5.0]))
    s.update(tg.tensor(8.0, dtype=tg.float64))
    assert s.get_scale() == 8.0


def test_grad_scaler_refuses_a_new_scale_that_requires_grad():
    pytest.importorskip("tensorgraft.autograd")
    s = tg.amp.GradScaler("cpu", init_scale=2.0)
    s.scale(tg.tensor(1.0))
    with pytest.raises(AssertionError, match="^new_scale should be a float or a 1-element"):
        s.update(tg.tensor(4.0, requires_grad=True))
