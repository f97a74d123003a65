"""Creation functions: dtype inference, sizes, ranges, legacy constructors; oracle: PyTorch."""

import numpy as np
import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_same_error


def _same(g, t):
    """tensorgraft tensor ``g`` equals torch tensor ``t``: dtype, shape and values (bit for bit)."""
    assert str(g.dtype) == str(t.dtype)
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_array_equal(g.numpy(), t.numpy())


# --------------------------------------------------------------------------- tensor()
def test_tensor_inference_plain():
    assert tg.tensor([1.5, 2]).dtype is tg.float32
    assert tg.tensor([1, 2]).dtype is tg.int64
    assert tg.tensor([True, False]).dtype is tg.bool
    assert tg.tensor([True, 2]).dtype is tg.int64
    assert tg.tensor([1, 2.5, 1j]).dtype is tg.complex64
    assert tg.tensor([[1, 2], [3, 4.0]]).dtype is tg.float32
    assert tg.tensor([]).dtype is tg.float32 and tg.tensor([]).shape == (0,)
    assert tg.tensor([[]]).shape == (1, 0)
    assert tg.tensor(np.array([1, 2], dtype=np.int32)).dtype is tg.int32
    assert tg.tensor(np.float64(2.5)).dtype is tg.float64
    assert tg.tensor([tg.tensor(1.5), tg.tensor(2.0)]).tolist() == [1.5, 2.0]
    assert tg.tensor([tg.tensor(1, dtype=tg.int32), 2]).dtype is tg.int64
    assert tg.tensor([tg.tensor(1, dtype=tg.int32)] * 2).dtype is tg.int32
    assert tg.tensor(3.7, dtype=tg.int32).item() == 3
    assert tg.tensor([1], dtype=float).dtype is tg.float64


def test_tensor_copies():
    a = np.array([1.0, 2.0])
    t = tg.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0
    src = tg.tensor([1.0, 2.0])
    c = tg.tensor(src)
    src[0] = 9.0
    assert c.tolist() == [1.0, 2.0]


def test_tensor_errors_plain():
    with pytest.raises(ValueError, match=r"expected sequence of length 2 at dim 1 \(got 1\)"):
        tg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="new\\(\\): invalid data type 'str'"):
        tg.tensor("abc")
    with pytest.raises(RuntimeError, match="Could not infer dtype of NoneType"):
        tg.tensor(None)
    with pytest.raises(RuntimeError, match="value cannot be converted to type uint8 without overflow"):
        tg.tensor([300], dtype=tg.uint8)
    with pytest.raises(TypeError, match="argument 'dtype' must be torch.dtype, not str"):
        tg.tensor([1], dtype="float32")
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can require gradients"):
        tg.tensor([1], requires_grad=True)


TENSOR_CASES = [
    "[1.5, 2]", "[1, 2]", "[True, False]", "[True, 2]", "[True, 2.5]", "[1, 2.5, 1j]", "[[1, 2], [3, 4.]]", "[]",
    "[[]]", "[[], []]", "np.array([1, 2], dtype=np.int32)", "np.array([1, 2], dtype=np.float64)", "np.float64(2.5)",
    "np.int32(2)", "[np.float64(2.5), 1]", "[np.int32(1), np.int32(2)]", "[np.float32(1.5), 2.5]", "(1, 2)",
    "[[1, 2], (3, 4)]", "[T.tensor(1.5), T.tensor(2.)]", "[T.tensor(1), T.tensor(2)]", "3", "2.5", "True",
    "-0.0", "[float('nan'), float('inf')]", "np.zeros((2, 0, 3))", "np.array(True)",
]


@pytest.mark.parametrize("src", TENSOR_CASES)
def test_tensor_inference_oracle(src):
    torch = pytest.importorskip("torch")
    _same(tg.tensor(eval(src, {"T": tg, "np": np})),
          torch.tensor(eval(src, {"T": torch, "np": np})))


@pytest.mark.parametrize("dt", ["float16", "float64", "int32", "bool", "uint8", "complex128"])
def test_tensor_dtype_arg_oracle(dt):
    torch = pytest.importorskip("torch")
    for data in ([1, 0, 2], [1.7, -0.0, 3.2], [[True], [False]]):
        if dt == "uint8" and data == [1.7, -0.0, 3.2]:
            continue
        _same(tg.tensor(data, dtype=getattr(tg, dt)), torch.tensor(data, dtype=getattr(torch, dt)))


# --------------------------------------------------------------------------- filled
def test_sizes_forms():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    for z in (tg.zeros(2, 3), tg.zeros((2, 3)), tg.zeros([2, 3]), tg.zeros(tg.Size([2, 3])), tg.zeros(size=(2, 3))):
        assert z.shape == (2, 3) and z.dtype is tg.float32
    assert tg.zeros(()).shape == () and tg.zeros(()).ndim == 0
    assert tg.ones(2, dtype=tg.int32).tolist() == [1, 1]
    assert tg.empty(2, 3).shape == (2, 3)
    assert tg.zeros(2, requires_grad=True).requires_grad
    assert tg.ones(2, pin_memory=False, device="cpu").shape == (2,)


def test_size_errors_plain():
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[-1\]"):
        tg.empty(-1)
    with pytest.raises(RuntimeError, match=r"Trying to create tensor with negative dimension -1: \[2, -1\]"):
        tg.ones(2, -1)
    with pytest.raises(RuntimeError, match="zeros: Dimension size must be non-negative."):
        tg.zeros(-1)
    with pytest.raises(TypeError, match=r"zeros\(\): argument 'size' \(position 1\) must be tuple of ints, not float"):
        tg.zeros(2.5)
    with pytest.raises(TypeError, match="failed to unpack the object at pos 2"):
        tg.zeros((2, 2.0))
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)


ERROR_CASES = [
    "T.zeros(-1)", "T.ones(-1)", "T.empty(-1)", "T.rand(-1)", "T.randn(2, -1)", "T.full((-1,), 1.)",
    "T.randint(3, (-1,))", "T.zeros((2, -5))", "T.ones(2).new_zeros(-1)", "T.randperm(-1)",
    "T.zeros(2, dtype='float32')", "T.zeros(2.5)", "T.ones(2.5)", "T.zeros((2, 2.0))", "T.zeros(2, 2.0)",
    "T.full(2, 1.)", "T.zeros('a')", "T.zeros(None)", "T.zeros(True)", "T.arange(0, 5, 0)",
    "T.arange(float('nan'))", "T.arange(float('inf'))", "T.arange(0, -5, 1)", "T.linspace(0, 1, -1)",
    "T.eye(-1)", "T.eye(2, -1)", "T.rand(2, dtype=T.int64)", "T.randn(2, dtype=T.int64)",
    "T.randint(5, 2, (2,))", "T.randint(0, 3, (2,), dtype=T.bool)", "T.normal(0., -1., (2,))",
    "T.randperm(5, dtype=T.bool)", "T.tensor([[1, 2], [3]])", "T.tensor('abc')", "T.tensor(None)",
    "T.tensor([300], dtype=T.uint8)", "T.tensor(float('nan'), dtype=T.int64)",
    "T.zeros(2, dtype=T.int64, requires_grad=True)", "T.multinomial(T.tensor([1., 1.]), 3)",
    "T.multinomial(T.tensor([-1., 1.]), 1)", "T.randint(2.5, (2,))", "T.arange(3, dtype=T.complex64)",
    "T.zeros()", "T.empty()",
]


@pytest.mark.parametrize("src", ERROR_CASES)
def test_error_messages_oracle(src):
    torch = pytest.importorskip("torch")
    assert_same_error(lambda: eval(src, {"T": tg}), lambda: eval(src, {"T": torch}),
                      normalize=lambda message: message.split("\n")[0])


def test_full_dtype_inference():
    assert tg.full((2,), 1).dtype is tg.int64
    assert tg.full((2,), 1.0).dtype is tg.float32
    assert tg.full((2,), True).dtype is tg.bool
    assert tg.full((2,), 1j).dtype is tg.complex64
    assert tg.full((2, 2), 7, dtype=tg.float64).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tg.full([], 1.0).shape == ()


def test_like_functions():
    x = tg.ones(2, 3, dtype=tg.int32)
    assert tg.zeros_like(x).dtype is tg.int32 and tg.zeros_like(x).shape == (2, 3)
    assert tg.ones_like(tg.ones(2), dtype=tg.int64).dtype is tg.int64
    assert tg.full_like(x, 2.7).tolist() == [[2, 2, 2], [2, 2, 2]]
    assert tg.full_like(tg.ones(2), 3).dtype is tg.float32
    assert tg.empty_like(tg.ones(2, 1)).shape == (2, 1)
    assert tg.rand_like(tg.ones(2, 2)).shape == (2, 2)
    assert tg.randn_like(tg.ones(3, dtype=tg.float64)).dtype is tg.float64
    r = tg.randint_like(x, 5)
    assert r.dtype is tg.int32 and int(r.max()) < 5
    with pytest.raises(TypeError, match="must be Tensor"):
        tg.zeros_like([1, 2])


FILL_CASES = [
    "T.full((2,), 1)", "T.full((2,), 1.)", "T.full((2,), True)", "T.full((2,), 1j)",
    "T.full((2, 2), 7, dtype=T.float64)", "T.full([], 1.)", "T.full((2,), T.tensor(3))",
    "T.zeros_like(T.ones(2, 3, dtype=T.int32))", "T.full_like(T.ones(2, dtype=T.int32), 2.7)",
    "T.full_like(T.ones(2), 3)", "T.eye(3)", "T.eye(2, 3)", "T.eye(2, dtype=T.int64)", "T.eye(0)",
    "T.scalar_tensor(3)", "T.scalar_tensor(3, dtype=T.int64)", "T.tril_indices(3, 3)", "T.triu_indices(3, 4, 1)",
    "T.ones(2, 3, dtype=T.bool)", "T.zeros(2, dtype=int)",
]


@pytest.mark.parametrize("src", FILL_CASES)
def test_filled_oracle(src):
    torch = pytest.importorskip("torch")
    _same(eval(src, {"T": tg}), eval(src, {"T": torch}))


# --------------------------------------------------------------------------- ranges
def test_arange_plain():
    assert tg.arange(5).tolist() == [0, 1, 2, 3, 4] and tg.arange(5).dtype is tg.int64
    assert tg.arange(1, 4).tolist() == [1, 2, 3]
    assert tg.arange(0, 1, 0.1).shape == (10,) and tg.arange(0, 1, 0.1).dtype is tg.float32
    assert tg.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert tg.arange(0.0, 5).dtype is tg.float32
    assert tg.arange(0, 0.3, 0.1).shape == (3,)
    assert tg.arange(tg.tensor(3)).tolist() == [0, 1, 2]


RANGE_CASES = [
    "T.arange(5)", "T.arange(1, 4)", "T.arange(0, 1, 0.1)", "T.arange(0., 5)", "T.arange(5, dtype=T.float32)",
    "T.arange(1, 2.5, 0.5)", "T.arange(0, 10, 3)", "T.arange(10, 0, -3)", "T.arange(0, 1, 1/3)",
    "T.arange(-1.5, 1.5, 0.3)", "T.arange(T.tensor(3))", "T.arange(np.int64(4))", "T.arange(0, 0.3, 0.1)",
    "T.arange(1, 1)", "T.arange(0.5, dtype=T.int64)", "T.arange(0, 2**40, 2**39)", "T.arange(0.5, 3.7, dtype=T.int32)",
    "T.arange(0, 2, 0.3, dtype=T.int32)", "T.arange(0, 100, 0.7)", "T.arange(5, -3, -0.35, dtype=T.float64)",
    "T.arange(0., 1e3, 0.01)", "T.arange(-10, 10, 1/3, dtype=T.float64)", "T.arange(0, 1, 0.1, dtype=T.float16)",
    "T.arange(0, 5000, 1.37)",
    "T.linspace(0, 1, 5)", "T.linspace(0, 1, 1)", "T.linspace(0, 1, 0)", "T.linspace(0, 10, 5, dtype=T.int64)",
    "T.linspace(2.7, -3.3, 4, dtype=T.int64)", "T.linspace(0, 1, 5, dtype=T.int32)",
    "T.linspace(0, 1, 3, dtype=T.float64)", "T.logspace(0, 2, 3)", "T.logspace(0, 2, 3, base=2)",
    "T.logspace(0, 3, 4, dtype=T.int64)", "T.range(1, 4)", "T.range(0, 1, 0.5)",
]


@pytest.mark.parametrize("src", RANGE_CASES)
def test_ranges_oracle(src):
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = eval(src, {"T": torch, "np": np})
    _same(eval(src, {"T": tg, "np": np}), want)


def test_linspace_bit_exact_random_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for _ in range(60):
        start, end = (float(np.round(v, int(rng.integers(0, 4)))) for v in rng.uniform(-10, 10, 2))
        steps = int(rng.integers(1, 120))
        for name in ("float32", "float64", "float16", "int64"):
            _same(tg.linspace(start, end, steps, dtype=getattr(tg, name)),
                  torch.linspace(start, end, steps, dtype=getattr(torch, name)))


def test_arange_bit_exact_random_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    for _ in range(60):
        step = float(np.round(rng.uniform(0.01, 2), int(rng.integers(1, 4)))) or 0.5
        start = float(np.round(rng.uniform(-10, 10), int(rng.integers(0, 4))))
        end = start + float(rng.uniform(0, 80)) * step
        for name in ("float32", "float64"):
            _same(tg.arange(start, end, step, dtype=getattr(tg, name)),
                  torch.arange(start, end, step, dtype=getattr(torch, name)))


def test_logspace_oracle():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for _ in range(40):
        start, end = rng.uniform(-3, 3, 2).round(2).tolist()
        steps = int(rng.integers(1, 60))
        base = float(rng.choice([10.0, 2.0, 3.5]))
        # float64 and int64: bit for bit; float32: within an ulp (PyTorch vectorises pow)
        _same(tg.logspace(start, end, steps, base=base, dtype=tg.float64),
              torch.logspace(start, end, steps, base=base, dtype=torch.float64))
        _same(tg.logspace(start, end, steps, base=base, dtype=tg.int64),
              torch.logspace(start, end, steps, base=base, dtype=torch.int64))
        np.testing.assert_allclose(tg.logspace(start, end, steps, base=base).numpy(),
                                   torch.logspace(start, end, steps, base=base).numpy(), rtol=5e-7)


def test_default_dtype_affects_creation():
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.arange(0.0, 1.0, 0.25).dtype is tg.float64
        assert tg.linspace(0, 1, 3).dtype is tg.float64
        assert tg.full((1,), 1.5).dtype is tg.float64
        assert tg.rand(2).dtype is tg.float64
        assert tg.eye(2).dtype is tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


# --------------------------------------------------------------------------- legacy constructors
LEGACY_CASES = [
    "T.FloatTensor([1, 2])", "T.LongTensor([1.5, 2])", "T.IntTensor([1])", "T.BoolTensor([1, 0])",
    "T.ByteTensor([1, 2])", "T.HalfTensor([1.5])", "T.DoubleTensor([1])", "T.ShortTensor([3])", "T.CharTensor([-1])",
    "T.Tensor([1, 2])", "T.Tensor()", "T.FloatTensor()",
]


@pytest.mark.parametrize("src", LEGACY_CASES)
def test_legacy_oracle(src):
    torch = pytest.importorskip("torch")
    _same(eval(src, {"T": tg}), eval(src, {"T": torch}))


def test_legacy_plain():
    assert tg.FloatTensor(2, 3).shape == (2, 3) and tg.FloatTensor(2, 3).dtype is tg.float32
    assert tg.DoubleTensor(2).dtype is tg.float64
    assert tg.Tensor(2, 3).shape == (2, 3)
    assert isinstance(tg.ones(2), tg.FloatTensor) and not isinstance(tg.ones(2), tg.LongTensor)
    assert isinstance(tg.ones(2), tg.Tensor)


# --------------------------------------------------------------------------- new_* methods
NEW_CASES = [
    "T.zeros(2, 3).new_zeros(2)", "T.ones(2, dtype=T.int32).new_ones((2, 2))", "T.ones(2, dtype=T.int32).new_full((2,), 3.5)",
    "T.ones(2, dtype=T.float64).new_tensor([1, 2])", "T.ones(2, dtype=T.float64).new_tensor([1.5, 2])",
    "T.ones(2).new_zeros(2, 3, dtype=T.int64)", "T.ones(2, dtype=T.float64).new_tensor(np.array([1, 2], dtype=np.int32))",
    "T.ones(2, dtype=T.bool).new_tensor([1.5])", "T.ones(2).new_ones([])",
]


@pytest.mark.parametrize("src", NEW_CASES)
def test_new_methods_oracle(src):
    torch = pytest.importorskip("torch")
    _same(eval(src, {"T": tg, "np": np}), eval(src, {"T": torch, "np": np}))


def test_new_methods_plain():
    pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
    x = tg.ones(2, dtype=tg.float64)
    assert x.new_empty(3).shape == (3,) and x.new_empty(3).dtype is tg.float64
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_full((2,), 4).tolist() == [4.0, 4.0]
    assert x.new_tensor([1, 2]).dtype is tg.float64
    assert x.new_zeros(2, device="cpu").device == tg.device("cpu")
