"""``nn.init`` fuzz regressions against PyTorch: the same errors for the same bad tensors and
windows, the same distribution moments for good ones."""
import pytest

import tensorgraft as tg
from tensorgraft.nn import init

torch = pytest.importorskip("torch")


def _outcome(lib, mod, make, call):
    t = make(lib)
    try:
        call(mod, t)
    except Exception as exc:  # noqa: BLE001 - the point is to compare what was raised
        return type(exc).__name__, str(exc)
    return "ok", str(t.dtype).split(".")[-1], tuple(t.shape)


def same(make, call):
    assert _outcome(tg, init, make, call) == _outcome(torch, torch.nn.init, make, call)


@pytest.mark.parametrize("a, b", [(-2.0, 2.0), (-1.0, 1.0), (0.0, 3.0), (0.5, 0.6), (1.0, 3.0), (-0.1, 0.1),
                                  (2.0, 1.0), (3, -3)])
@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_trunc_normal_errors_against_torch(a, b, dtype):
    same(lambda lib: lib.zeros(3, 4, dtype=getattr(lib, dtype)), lambda mod, t: mod.trunc_normal_(t, a=a, b=b))


@pytest.mark.parametrize("dtype", ["int64", "bool", "float16", "float32", "float64"])
def test_orthogonal_errors_against_torch(dtype):
    same(lambda lib: lib.zeros(3, 4, dtype=getattr(lib, dtype)), lambda mod, t: mod.orthogonal_(t))


@pytest.mark.parametrize("mean, std, a, b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0), (0.0, 1.0, 1.0, 3.0)])
def test_trunc_normal_moments_against_torch(mean, std, a, b):
    torch.manual_seed(5)
    want = torch.nn.init.trunc_normal_(torch.empty(200000, dtype=torch.float64), mean, std, a, b).numpy()
    got = init.trunc_normal_(tg.empty(200000, dtype=tg.float64), mean, std, a, b,
                             generator=tg.Generator().manual_seed(5)).numpy()
    assert got.min() >= a and got.max() <= b
    assert abs(got.mean() - want.mean()) < 0.02 and abs(got.std() - want.std()) < 0.02
