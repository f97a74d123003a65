"""Training steps of sequence models users commonly run: recurrent nets (LSTM, GRU), a causal
Transformer encoder and a pre-norm GPT-style block (more_training.py holds the other common loops,
built the same way).

Each builder returns the step for either library from the same code, so both sides run the same
layers on the same shapes, one thread each (see training._mod). Data and every parameter come from
one seeded NumPy generator rather than each library's own RNG, so for a given seed tensorgraft and
PyTorch start from identical weights and compute the same losses (dropout aside), which
tests/test_benchmarks_sequence_workloads.py checks at tiny sizes. Each builder takes one step before
handing the step to the runner and refuses a non-finite loss, so a workload that stopped training
cannot go on being timed.
"""
from __future__ import annotations

import math

import numpy as np

from . import Workload
from .training import _mod


def _init_from_numpy(t, model, seed):
    """Overwrite every parameter with values from one NumPy generator, walking named_parameters()
    (whose order and names match between the libraries), so both sides start alike. Scales follow
    the usual defaults: U(+-1/sqrt(fan_in)) for matrices and kernels, zero biases, unit 1-D
    weights (norm layers' scales)."""
    rng = np.random.default_rng(seed)
    with t.no_grad():
        for name, p in model.named_parameters():
            shape = tuple(p.shape)
            if name.endswith("bias") or "bias_" in name:
                values = np.zeros(shape, np.float32)
            elif len(shape) == 1:
                values = np.ones(shape, np.float32)
            else:
                bound = 1.0 / math.sqrt(int(np.prod(shape[1:])))
                values = rng.uniform(-bound, bound, shape).astype(np.float32)
            p.copy_(t.tensor(values, device=p.device))


def _checked_step(t, model, loss_fn, opt, inputs, target, device):
    """forward, loss, backward, optimizer step; returns the loss. One step is taken here, and a
    non-finite loss stops the benchmark before it times a diverged model."""
    def step():
        loss = loss_fn(model(*inputs), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    first = step().item()
    if not math.isfinite(first):
        raise AssertionError(f"the first training step's loss is {first}: the workload does not train")
    if device == "cpu":
        return step

    def synced_step():  # on a GPU a step only queues kernels: wait for them, so the time is the work's
        loss = step()
        t.cuda.synchronize()
        return loss
    return synced_step


def _per_step_classifier(t, body, hidden, classes, causal_mask=None):
    """``body`` (a recurrent layer or an encoder) then a Linear head on every time step, written
    against the library's own Module so the same code builds either side."""
    nn = t.nn

    class PerStepClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body
            self.head = nn.Linear(hidden, classes)

        def forward(self, x):
            if causal_mask is None:
                out = self.body(x)
                out = out[0] if isinstance(out, tuple) else out  # RNNs return (output, h_n)
            else:
                out = self.body(x, mask=causal_mask)
            # one row per token, as cross-entropy wants
            return self.head(out).reshape(-1, classes)
    return PerStepClassifier()


def _sequence_data(t, batch, seq, features, classes, device, seed):
    rng = np.random.default_rng(seed + 1)
    x = t.tensor(rng.standard_normal((batch, seq, features)).astype(np.float32), device=device)
    y = t.tensor(rng.integers(0, classes, batch * seq), device=device)
    return x, y


def _recurrent_step(module, lib, batch, seq, features, hidden, layers, classes, device, seed):
    """One Adam step of ``nn.<module>`` (batch_first) + a per-step Linear classifier."""
    def make():
        t = _mod(lib, device)
        body = getattr(t.nn, module)(features, hidden, num_layers=layers, batch_first=True)
        model = _per_step_classifier(t, body, hidden, classes).to(device)
        _init_from_numpy(t, model, seed)
        x, y = _sequence_data(t, batch, seq, features, classes, device, seed)
        opt = t.optim.Adam(model.parameters(), lr=1e-3)
        return _checked_step(t, model, t.nn.CrossEntropyLoss(), opt, (x,), y, device)
    return make


def lstm_step(lib, batch=32, seq=35, features=64, hidden=128, layers=2, classes=10, device="cpu", seed=0):
    return _recurrent_step("LSTM", lib, batch, seq, features, hidden, layers, classes, device, seed)


def gru_step(lib, batch=32, seq=35, features=64, hidden=128, layers=1, classes=10, device="cpu", seed=0):
    return _recurrent_step("GRU", lib, batch, seq, features, hidden, layers, classes, device, seed)


def _causal_encoder_step(lib, batch, seq, d_model, nhead, layers, dim_ff, classes, device, seed, **layer_options):
    """One AdamW step of an ``nn.TransformerEncoder`` of ``layers`` copies of a
    ``TransformerEncoderLayer(d_model, nhead, dim_ff, batch_first=True, **layer_options)`` under a
    causal mask, with a Linear head on every token and cross-entropy."""
    def make():
        t = _mod(lib, device)
        nn = t.nn
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=dim_ff, batch_first=True, **layer_options)
        # enable_nested_tensor only matters for padded batches in inference; off, so PyTorch does
        # not warn about it
        body = nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
        mask = nn.Transformer.generate_square_subsequent_mask(seq, device=device)
        model = _per_step_classifier(t, body, d_model, classes, causal_mask=mask).to(device)
        _init_from_numpy(t, model, seed)
        x, y = _sequence_data(t, batch, seq, d_model, classes, device, seed)
        opt = t.optim.AdamW(model.parameters(), lr=1e-3)
        return _checked_step(t, model, nn.CrossEntropyLoss(), opt, (x,), y, device)
    return make


def transformer_encoder_step(lib, batch=16, seq=64, d_model=128, nhead=4, layers=2, dim_ff=256, classes=10,
                             dropout=0.1, device="cpu", seed=0):
    return _causal_encoder_step(lib, batch, seq, d_model, nhead, layers, dim_ff, classes, device, seed,
                                dropout=dropout)


def gpt_block_step(lib, batch=16, seq=128, d_model=256, nhead=4, layers=1, dim_ff=1024, classes=1000, device="cpu",
                   seed=0):
    """A pre-norm (GPT-style) Transformer block: ``norm_first``, GELU, no dropout, causal mask, then a
    1000-way head on every token (a small language model's vocabulary) with cross-entropy, AdamW:
    layer norm, exact GELU, attention and a large cross-entropy in one step."""
    return _causal_encoder_step(lib, batch, seq, d_model, nhead, layers, dim_ff, classes, device, seed,
                                dropout=0.0, activation="gelu", norm_first=True)


WORKLOADS = [
    Workload("lstm_step", "2-layer LSTM 64->128, batch_first, batch 32 x seq 35, Linear per step + CE, Adam",
             tensorgraft=lstm_step("tensorgraft"), torch=lstm_step("torch")),
    Workload("gru_step", "1-layer GRU 64->128, batch_first, batch 32 x seq 35, Linear per step + CE, Adam",
             tensorgraft=gru_step("tensorgraft"), torch=gru_step("torch")),
    Workload("transformer_encoder_step", "TransformerEncoder d_model 128, 4 heads, 2 layers, ff 256, causal "
             "mask, batch 16 x seq 64, Linear + CE, AdamW", tensorgraft=transformer_encoder_step("tensorgraft"),
             torch=transformer_encoder_step("torch")),
    Workload("gpt_block_step", "pre-norm Transformer block (norm_first, GELU) d_model 256, 4 heads, ff 1024, "
             "causal, batch 16 x seq 128, 1000-way head per token + CE, AdamW",
             tensorgraft=gpt_block_step("tensorgraft"), torch=gpt_block_step("torch")),
]
