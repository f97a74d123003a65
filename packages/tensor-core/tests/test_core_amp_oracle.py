"""tensorgraft.amp against PyTorch: CPU float16 autocast dtypes, GradScaler, warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import tensorgraft as tg  # noqa: E402

pytest.importorskip("tensorgraft.nn")


@pytest.mark.parametrize("op", ["matmul", "mm", "linear", "conv1d", "conv2d", "softmax", "log_softmax",
                                "mse_loss", "layer_norm", "float64_matmul"])
def test_autocast_result_dtypes_cpu_float16(op):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 4)).astype(np.float32)
    x3 = rng.standard_normal((1, 2, 6)).astype(np.float32)
    w3 = rng.standard_normal((3, 2, 3)).astype(np.float32)
    x4, w4 = x3[..., None].repeat(6, -1), w3[..., None].repeat(3, -1)

    def run(m, F):
        t = m.tensor
        calls = {"matmul": lambda: t(a) @ t(b), "mm": lambda: m.mm(t(a), t(b)),
                 "linear": lambda: F.linear(t(a), t(b), t(b[0])), "conv1d": lambda: F.conv1d(t(x3), t(w3)),
                 "conv2d": lambda: F.conv2d(t(x4), t(w4)), "softmax": lambda: F.softmax(t(a).half(), -1),
                 "log_softmax": lambda: F.log_softmax(t(a).half(), 0),
                 "mse_loss": lambda: F.mse_loss(t(a).half(), t(a).half()),
                 "layer_norm": lambda: F.layer_norm(t(a).half(), (4,)),
                 "float64_matmul": lambda: t(a).double() @ t(b).double()}
        with m.autocast("cpu", dtype=m.float16):
            return calls[op]()

    want, got = run(torch, torch.nn.functional), run(tg, tg.nn.functional)
    assert str(got.dtype) == str(want.dtype)
    np.testing.assert_allclose(got.detach().float().numpy(), want.detach().float().numpy(), rtol=1e-2, atol=1e-2)


def _scale_sequence(m, pattern):
    p = m.ones(2, requires_grad=True)
    opt = m.optim.SGD([p], lr=0.1)
    s = m.amp.GradScaler("cpu", init_scale=4.0, growth_interval=3, growth_factor=3.0, backoff_factor=0.25)
    seq = []
    for bad in pattern:
        opt.zero_grad()
        s.scale((p * (float("nan") if bad else 2.0)).sum()).backward()
        s.step(opt)
        s.update()
        seq.append((s.get_scale(), s.state_dict()["_growth_tracker"], p.detach().numpy().tolist()))
    return seq, s.state_dict()


def test_grad_scaler_sequence_and_state_dict():
    pytest.importorskip("tensorgraft.optim")
    pattern = [False, False, False, True, False, False, False, False]
    assert _scale_sequence(tg, pattern) == _scale_sequence(torch, pattern)


def _messages(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            fn()
        except Exception as e:  # noqa: BLE001
            return [type(e).__name__, str(e)]
    return [(x.category.__name__, str(x.message)) for x in w]


def test_warnings_and_errors_match():
    assert _messages(lambda: tg.autocast(1)) == _messages(lambda: torch.autocast(1))
    assert _messages(lambda: tg.cuda.amp.GradScaler(enabled=False)) == \
        _messages(lambda: torch.cuda.amp.GradScaler(enabled=False))
    assert _messages(lambda: tg.cpu.amp.autocast(dtype=tg.float16)) == \
        _messages(lambda: torch.cpu.amp.autocast(dtype=torch.float16))
    assert _messages(lambda: tg.amp.GradScaler("cpu", growth_factor=1.0)) == \
        _messages(lambda: torch.amp.GradScaler("cpu", growth_factor=1.0))


def test_checkpoint_warning_matches():
    from tensorgraft.utils.checkpoint import checkpoint
    import torch.utils.checkpoint as tc
    got = _messages(lambda: checkpoint(lambda t: t * 2, tg.ones(2, requires_grad=True)))
    want = _messages(lambda: tc.checkpoint(lambda t: t * 2, torch.ones(2, requires_grad=True)))
    assert got == want
