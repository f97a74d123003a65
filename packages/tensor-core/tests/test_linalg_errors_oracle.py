"""PyTorch as the oracle for linalg failures: the exception class (a RuntimeError named
``_LinAlgError``), the message with its op name, batch element and pivot/minor order, and
cholesky_ex's ``info`` for non-positive-definite and NaN inputs."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402

NAN = float("nan")
MATRICES = {
    "indefinite": [[1.0, 2.0], [2.0, 1.0]],
    "negative_first": [[-1.0, 0.0], [0.0, 1.0]],
    "order3": [[2.0, 0, 0], [0, 2, 0], [0, 0, -1]],
    "nan_first": [[NAN, 0.0], [0.0, 1.0]],
    "nan_last": [[1.0, 0.0], [0.0, NAN]],
    "nan_below": [[1.0, 0.0], [NAN, 1.0]],
    "singular": [[1.0, 2.0], [2.0, 4.0]],
    "singular3": [[2.0, 4, 6], [1, 2, 3], [1, 0, 1]],  # U[2,2] is exactly 0 under any rounding
    "zeros3": [[0.0] * 3] * 3,
    "spd": [[4.0, 2.0], [2.0, 3.0]],
}


def _batch(m, rows, lead):
    """``rows`` as the last matrix of a batch of identity matrices of shape ``lead``."""
    a = np.broadcast_to(np.eye(len(rows)), tuple(lead) + (len(rows),) * 2).copy()
    if lead:
        a.reshape(-1, len(rows), len(rows))[-1] = rows
    else:
        a = np.array(rows)
    return m.tensor(a, dtype=m.float32)


def _outcome(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared with torch
        return type(e).__name__, [c.__name__ for c in type(e).__mro__[1:3]], str(e)
    return "ok"


CALLS = [
    ("linalg.cholesky", lambda m, a: m.linalg.cholesky(a)),
    ("linalg.cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True)),
    ("cholesky", lambda m, a: m.cholesky(a)),
    ("linalg.inv", lambda m, a: m.linalg.inv(a)),
    ("inverse", lambda m, a: m.inverse(a)),
    ("matrix_power", lambda m, a: m.linalg.matrix_power(a, -2)),
    ("solve", lambda m, a: m.linalg.solve(a, m.ones(a.shape[:-1]))),
    ("solve_matrix", lambda m, a: m.linalg.solve(a, m.ones(a.shape))),
]


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
@pytest.mark.parametrize("lead", [(), (1,), (3,), (2, 2)], ids=["single", "batch1", "batch3", "batch2x2"])
@pytest.mark.parametrize("matrix", [k for k in MATRICES if not k.startswith("nan")] + ["nan_first", "nan_last",
                                                                                           "nan_below"])
@pytest.mark.parametrize("name,call", CALLS, ids=[c[0] for c in CALLS])
def test_failure_matches_torch(name, call, matrix, lead):
    if matrix.startswith("nan") and "cholesky" not in name:
        pytest.skip("NaN makes no LAPACK inversion fail; the values are a numerics matter")
    ours = _outcome(lambda: call(tg, _batch(tg, MATRICES[matrix], lead)))
    theirs = _outcome(lambda: call(torch, _batch(torch, MATRICES[matrix], lead)))
    assert ours == theirs


@pytest.mark.parametrize("lead", [(), (3,), (2, 2)])
def test_cholesky_ex_info_matches_torch(lead):
    for rows in (MATRICES["indefinite"], MATRICES["nan_last"], MATRICES["nan_first"], MATRICES["spd"]):
        L, info = tg.linalg.cholesky_ex(_batch(tg, rows, lead))
        tL, tinfo = torch.linalg.cholesky_ex(_batch(torch, rows, lead))
        assert info.dtype == tg.int32 and tuple(info.shape) == tuple(tinfo.shape)
        assert info.tolist() == tinfo.tolist()
        ok = (tinfo == 0).numpy()
        np.testing.assert_allclose(L.numpy()[ok], tL.numpy()[ok], rtol=1e-6)


def test_cholesky_info_partial_factor_matches_torch():
    from tensorgraft.ops.linalg import cholesky_info
    rng = np.random.default_rng(5)
    a = rng.standard_normal((6, 4, 4))
    a = a + a.transpose(0, 2, 1)
    info, L = cholesky_info(a)
    tL, tinfo = torch.linalg.cholesky_ex(torch.tensor(a))
    assert info.tolist() == tinfo.tolist()
    np.testing.assert_allclose(L, tL.numpy(), rtol=1e-10, atol=1e-12)


def test_class_matches_torch():
    assert tg.linalg.LinAlgError.__name__ == torch.linalg.LinAlgError.__name__
    assert [c.__name__ for c in tg.linalg.LinAlgError.__mro__[1:]] == \
        [c.__name__ for c in torch.linalg.LinAlgError.__mro__[1:]]
