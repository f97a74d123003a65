"""torch.library.register_autocast (a custom op's floating inputs cast inside autocast, the op run
with autocast off) and torch.library.get_kernel (the kernel an op runs for a dispatch key).
Expected dtypes, values and messages were computed with PyTorch 2.13 (CPU) on the same calls."""
from __future__ import annotations

from typing import List

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft import Tensor, library

_counter = iter(range(10 ** 6))


def _ns():
    return f"tgs26ac{next(_counter)}"


def _my_sin(ns, seen):
    @library.custom_op(f"{ns}::my_sin", mutates_args=())
    def my_sin(x: Tensor, y: Tensor, n: int) -> Tensor:
        seen.append((x.dtype, y.dtype, tg.is_autocast_enabled("cpu")))
        return tg.sin(x) + y
    return my_sin


def test_register_autocast_casts_floating_inputs_and_runs_with_autocast_off():
    ns, seen = _ns(), []
    my_sin = _my_sin(ns, seen)
    kernel = library.register_autocast(f"{ns}::my_sin", "cpu", tg.float16)
    assert callable(kernel)
    x = tg.randn(3)
    d = tg.ones(3, dtype=tg.float64)
    i = tg.ones(3, dtype=tg.int64)
    with tg.autocast("cpu", dtype=tg.bfloat16):  # the registered dtype wins over the region's
        assert my_sin(x, x, 1).dtype == tg.float16
        assert my_sin(d, x, 1).dtype == tg.float64  # float64 is never cast
        assert getattr(tg.ops, ns).my_sin(x, i, 1).dtype == tg.float16  # (integers are not cast either)
        assert my_sin(x, x, n=1).dtype == tg.float16
        assert tg.is_autocast_enabled("cpu")  # switched back on after the op
    assert my_sin(x, x, 1).dtype == tg.float32
    with tg.autocast("cpu", enabled=False):
        assert my_sin(x, x, 1).dtype == tg.float32
    assert seen[:4] == [(tg.float16, tg.float16, False), (tg.float64, tg.float16, False),
                        (tg.float16, tg.int64, False), (tg.float16, tg.float16, False)]


def test_register_autocast_on_a_list_argument_and_with_autograd():
    ns, seen = _ns(), []

    @library.custom_op(f"{ns}::first", mutates_args=())
    def first(xs: List[Tensor]) -> Tensor:
        seen.append([t.dtype for t in xs])
        return xs[0].clone()

    first.register_autocast("cpu", tg.bfloat16)
    x = tg.randn(3)
    with tg.autocast("cpu"):
        assert first([x, x]).dtype == tg.bfloat16
    assert seen == [[tg.bfloat16, tg.bfloat16]]
    if tg.Tensor._autograd is None:
        return
    seen2 = []
    my_sin = _my_sin(_ns(), seen2)
    my_sin.register_autocast("cpu", tg.float16)
    xr = tg.randn(3, requires_grad=True)
    with tg.autocast("cpu"):
        y = my_sin(xr, xr, 1)
    assert y.dtype == tg.float16 and y.requires_grad and y.grad_fn is not None


def test_register_autocast_errors_are_pytorchs():
    my_sin = _my_sin(_ns(), [])
    with pytest.raises(TypeError, match=r"^_is_autocast_available\(\): argument 'device_type' \(position 1\) must "
                                        r"be str, not int$"):
        library.register_autocast(my_sin, 3, tg.float16)
    with pytest.raises(RuntimeError, match=r"^Expected one of cpu, cuda, .* device type at start of device string: "
                                           r"foo$"):
        my_sin.register_autocast("foo", tg.float16)
    with pytest.raises(ValueError, match=r"^Device type 'meta' does not support autocast.$"):
        library.register_autocast(my_sin, "meta", tg.float16)
    with pytest.raises(ValueError, match=r"^register_autocast\(5\): got unexpected type for op: <class 'int'>$"):
        library.register_autocast(5, "cpu", tg.float16)


def test_get_kernel_of_a_builtin_op():
    kernel = library.get_kernel("aten::add.Tensor", "CPU")
    assert repr(kernel).startswith("SafeKernelFunction(debug='registered at ")
    assert kernel.call_boxed(None, tg.ones(2), tg.ones(2)).tolist() == [2.0, 2.0]
    assert kernel.call_boxed(None, tg.ones(2), tg.ones(2), alpha=2).tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match=r"^operator aten::nope does not exist$"):
        library.get_kernel("aten::nope", "CPU")
    with pytest.raises(ValueError, match=r"^Invalid dispatch key: Foo$"):
        library.get_kernel("aten::add.Tensor", "Foo")
    with pytest.raises(ValueError, match=r"^get_kernel\(3\): got unexpected type for op: <class 'int'>$"):
        library.get_kernel(3, "CPU")
    with pytest.raises(TypeError, match=r"Invoked with: 'aten::add.Tensor', 5$"):
        library.get_kernel("aten::add.Tensor", 5)


def test_get_kernel_of_a_custom_op():
    ns = _ns()

    @library.custom_op(f"{ns}::f", mutates_args=())
    def f(x: Tensor) -> Tensor:
        return x.sin()

    for op in (f"{ns}::f", getattr(tg.ops, ns).f.default):
        kernel = library.get_kernel(op, "CPU")
        np.testing.assert_allclose(kernel.call_boxed(None, tg.ones(2)).numpy(), [0.84147098] * 2, rtol=1e-6)
    with pytest.raises(ValueError, match=r"got unexpected type for op: <class '.*CustomOpDef'>$"):
        library.get_kernel(f, "CPU")
    with pytest.raises(RuntimeError, match=r"^There was no fake impl registered for "):
        library.get_kernel(f"{ns}::f", "Meta")
    with pytest.raises(RuntimeError, match=r"^Alias keys do not have runtime kernel registrations.$"):
        library.get_kernel(f"{ns}::f", "CompositeExplicitAutograd")
    with pytest.raises(RuntimeError, match="CPU, CUDA and Meta dispatch keys only"):
        library.get_kernel(f"{ns}::f", "AutogradCPU")
    with pytest.raises(RuntimeError, match=rf"^operator {ns}::nope does not exist$"):
        library.get_kernel(f"{ns}::nope", "CPU")

    @f.register_kernel("cpu")
    def _(x):
        return x.cos()

    assert library.get_kernel(f"{ns}::f", "CPU").call_boxed(None, tg.zeros(1)).tolist() == [1.0]


def test_get_kernel_of_a_define_op():
    ns = _ns()
    library.define(f"{ns}::g", "(Tensor x) -> Tensor")
    library.impl(f"{ns}::g", "CompositeImplicitAutograd", lambda x: x * 3)
    assert library.get_kernel(f"{ns}::g", "CPU").call_boxed(None, tg.ones(2)).tolist() == [3.0, 3.0]
    library.impl(f"{ns}::g", "cpu", lambda x: x * 5)
    assert library.get_kernel(f"{ns}::g", "CPU").call_boxed(None, tg.ones(2)).tolist() == [5.0, 5.0]
