"""tensorgraft-cuda's ElementwiseKernels for tensorgraft-nn's fused LSTM/GRU cells (forward and
backward), run by the NumPy-backed stand-in for CuPy (tests/fake_cupy translates the kernels' C
into NumPy) in a subprocess: they are the kernels the ops pick on CUDA, and they agree with the
ops' generic CPU kernels in values and gradients. (test_cuda_gpu.py covers a real GPU.)"""
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("tensorgraft.cuda", reason="tensorgraft-cuda is not installed (pip install -e packages/cuda-backend)")
pytest.importorskip("tensorgraft.nn", reason="the fused cells are tensorgraft-nn's ops (pip install -e packages/nn-layers)")

FAKE = pathlib.Path(__file__).parent / "fake_cupy"


def _run(code):
    env = dict(os.environ, PYTHONPATH=str(FAKE) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               FAKE_CUPY_DEVICES="1")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_the_cell_ops_pick_the_fused_kernels_on_cuda():
    out = _run("""
        import tensorgraft as tg
        from tensorgraft.registry import registry
        from tensorgraft.cuda import fused
        from tensorgraft.nn.functional_ops.rnn_cell import fused_gru_cell, fused_lstm_cell
        mine = {"nn.fused_lstm_cell": fused.lstm_cell_op_kernel,
                "nn.fused_lstm_cell_backward": fused.lstm_cell_backward_op_kernel,
                "nn.fused_gru_cell": fused.gru_cell_op_kernel, "nn.fused_gru_cell_backward": fused.gru_cell_backward_op_kernel}
        print(all(registry.ops[n].kernels["cuda"] is k for n, k in mine.items()))
        g = tg.randn(2, 12, device="cuda", requires_grad=True)
        h, c = fused_lstm_cell(g, g * 1, tg.randn(2, 3, device="cuda"))
        (h.sum() + c.sum()).backward()
        fused_gru_cell(g[:, :9], g[:, 3:], tg.randn(2, 3, device="cuda")).sum().backward()
        print(all(registry.ops[n].table["cuda"] is k for n, k in mine.items()))
        print(sorted(k for k in fused._K if "cell" in k))
    """)
    assert out.splitlines() == ["True", "True", "['gru_cell', 'gru_cell_backward', 'lstm_cell', 'lstm_cell_backward']"]


def test_kernels_agree_with_the_cpu_kernels():
    out = _run("""
        import numpy as np
        import tensorgraft as tg
        from tensorgraft.nn.functional_ops.rnn_cell import fused_gru_cell, fused_lstm_cell

        def run(f, arrays, device, weights):
            ts = [tg.tensor(a, device=device, requires_grad=True) for a in arrays]
            outs = f(*ts)
            outs = outs if isinstance(outs, tuple) else (outs,)
            loss = sum((o * tg.tensor(w, device=device)).sum() for o, w in zip(outs, weights) if w is not None)
            loss.backward()
            return [o.detach().cpu().numpy() for o in outs] + [t.grad.cpu().numpy() for t in ts]

        rng = np.random.default_rng(0)
        worst = {}
        for dtype in (np.float64, np.float32):
            for name, f, k, use in (("lstm", fused_lstm_cell, 4, (1, 1)), ("lstm_h", fused_lstm_cell, 4, (1, None)),
                                    ("lstm_c", fused_lstm_cell, 4, (None, 1)), ("gru", fused_gru_cell, 3, (1,))):
                arrays = [(rng.standard_normal(s) * 3).astype(dtype) for s in ((5, 4 * k), (5, 4 * k), (5, 4))]
                weights = [None if u is None else rng.standard_normal((5, 4)).astype(dtype) for u in use]
                a, b = run(f, arrays, "cpu", weights), run(f, arrays, "cuda", weights)
                assert all(x.dtype == y.dtype == dtype for x, y in zip(a, b))
                worst[name, np.dtype(dtype).name] = max(float(np.abs(x - y).max()) for x, y in zip(a, b))
        print(all(v < (1e-12 if d == "float64" else 1e-5) for (_, d), v in worst.items()), worst)
    """)
    assert out.startswith("True"), out


def test_lstm_and_gru_modules_on_cuda_match_cpu():
    out = _run("""
        import numpy as np
        import tensorgraft as tg
        import tensorgraft.nn as nn
        from tensorgraft.nn.utils import rnn as U
        x = np.random.default_rng(1).standard_normal((5, 3, 2))
        for cls in (nn.LSTM, nn.GRU):
            tg.manual_seed(0)
            m = cls(2, 4, num_layers=2, bidirectional=True, dtype=tg.float64)
            res = []
            for dev in ("cpu", "cuda"):
                m.to(dev).zero_grad()
                xt = tg.tensor(x, device=dev, requires_grad=True)
                out, _ = m(U.pack_padded_sequence(xt, [5, 2, 4], enforce_sorted=False))
                (out.data * out.data).sum().backward()
                res.append([out.data.detach().cpu().numpy(), xt.grad.cpu().numpy()] +
                           [p.grad.cpu().numpy() for p in m.parameters()])
            print(cls.__name__, max(float(np.abs(a - b).max()) for a, b in zip(*res)) < 1e-12)
    """)
    assert out.splitlines() == ["LSTM True", "GRU True"]
