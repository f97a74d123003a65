"""NumPy's ``axis=``/``keepdims=`` on the nn functions PyTorch binds from C++ (its argument parser
takes them there: ``torch.cosine_similarity``, ``F.pairwise_distance``), and PyTorch's refusal on
its Python-defined ones (``F.softmax``)."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn.functional as F

A = np.random.default_rng(2).standard_normal((3, 4))


def _cosine(a, b, axis):
    return (a * b).sum(axis) / np.linalg.norm(a, axis=axis) / np.linalg.norm(b, axis=axis)


@pytest.mark.parametrize("fn", [tg.cosine_similarity, F.cosine_similarity])
def test_cosine_similarity_takes_axis(fn):
    x, y = tg.tensor(A), tg.tensor(A + 1)
    np.testing.assert_allclose(fn(x, y, axis=0).numpy(), _cosine(A, A + 1, 0), rtol=1e-12)
    with pytest.raises(TypeError, match="unexpected keyword argument 'axis'"):
        fn(x, y, dim=0, axis=0)


@pytest.mark.parametrize("fn", [tg.pairwise_distance, F.pairwise_distance])
def test_pairwise_distance_takes_keepdims(fn):
    x, y = tg.tensor(A), tg.tensor(A + 1)
    out = fn(x, y, keepdims=True)
    assert tuple(out.shape) == (3, 1)
    np.testing.assert_allclose(out.numpy(), fn(x, y, keepdim=True).numpy())


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.glu, F.normalize])
def test_python_defined_functions_refuse_axis_as_pytorch(fn):
    with pytest.raises(TypeError, match="axis"):
        fn(tg.tensor(A), axis=0)
