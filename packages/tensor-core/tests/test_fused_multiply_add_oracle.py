"""add/sub/rsub with ``alpha=`` and lerp with a number weight against PyTorch, bit for bit: its CPU
kernels end in a fused multiply-add, as tensorgraft's now do (``ops/fused_multiply_add.py``)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

SHAPES = [(100003,), (64, 33), (7,)]


def _operands(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)


def _same_bits(ours, theirs):
    a, b = np.ascontiguousarray(ours.numpy()), np.ascontiguousarray(theirs.numpy())
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("call", ["add", "sub", "rsub", "add_", "sub_", "add_broadcast", "add_transposed"])
def test_alpha_matches_pytorch_bit_for_bit(call, shape, dtype):
    if call == "add_broadcast" and shape == (7,):
        pytest.skip("a broadcast number-like operand over fewer elements than a vector: PyTorch's scalar "
                    "loop rounds some of them differently (docs/user-guide/differences.md)")
    p, g = _operands(shape, dtype)
    results = []
    for lib in (tg, torch):
        a, b = lib.tensor(p), lib.tensor(g)
        if call in ("add_", "sub_"):
            getattr(a, call)(b, alpha=-0.0123)
            results.append(a)
        elif call == "add_broadcast":
            results.append(lib.add(a, b[..., :1], alpha=0.3))
        elif call == "add_transposed":
            results.append(lib.add(a.reshape(-1, 1).expand(-1, 3).t(), b.reshape(-1, 1).expand(-1, 3).t().contiguous(),
                                   alpha=0.3))
        else:
            results.append(getattr(lib, call)(a, b, alpha=0.3))
    _same_bits(*results)


@pytest.mark.parametrize("weight", [0.001, 0.1, 0.4999, 0.5, 0.9, -0.7, 2.5])
@pytest.mark.parametrize("call", ["lerp", "lerp_", "lerp_broadcast", "lerp_bfloat16", "lerp_float64"])
def test_lerp_matches_pytorch_bit_for_bit(call, weight):
    p, g = _operands((100003,), np.float32, seed=1)
    results = []
    for lib in (tg, torch):
        a, b = lib.tensor(p), lib.tensor(g)
        if call == "lerp_":
            results.append(a.lerp_(b, weight))
        elif call == "lerp_broadcast":
            results.append(lib.lerp(a[:1000].reshape(1, -1), b[:3000].reshape(3, -1), weight))
        elif call == "lerp_bfloat16":
            results.append(lib.lerp(a.bfloat16(), b.bfloat16(), weight).float())
        elif call == "lerp_float64":
            results.append(lib.lerp(a.double() * 3, b.double(), weight))
        else:
            results.append(lib.lerp(a, b, weight))
    _same_bits(*results)
