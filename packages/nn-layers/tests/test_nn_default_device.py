"""Layers built under a default device (``with tensorgraft.device(...)`` /
``set_default_device``), as PyTorch 2: their parameters and buffers are made there, a training
step runs there and matches the same model built on the CPU; what PyTorch keeps on the CPU
(packed sequences' ``batch_sizes``, the RNG state) stays there."""
from __future__ import annotations

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.testing import assert_close, assert_on_device


@pytest.fixture(autouse=True)
def _restore_default():
    yield
    tg.set_default_device(None)


def _indexed(dev_type):
    return tg.device("cpu") if dev_type == "cpu" else tg.device(dev_type, 0)


BUILDERS = {
    "Linear": lambda: nn.Linear(4, 3),
    "Bilinear": lambda: nn.Bilinear(2, 3, 4),
    "Conv2d": lambda: nn.Conv2d(2, 3, 3, padding=1),
    "ConvTranspose1d": lambda: nn.ConvTranspose1d(2, 3, 3),
    "BatchNorm2d": lambda: nn.BatchNorm2d(3),
    "InstanceNorm1d-affine": lambda: nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
    "LayerNorm": lambda: nn.LayerNorm(4),
    "GroupNorm": lambda: nn.GroupNorm(2, 4),
    "RMSNorm": lambda: nn.RMSNorm(4),
    "PReLU": lambda: nn.PReLU(3),
    "Embedding": lambda: nn.Embedding(10, 4),
    "EmbeddingBag": lambda: nn.EmbeddingBag(10, 4),
    "LSTM-proj": lambda: nn.LSTM(3, 5, num_layers=2, proj_size=2),
    "GRUCell": lambda: nn.GRUCell(3, 4),
    "MultiheadAttention-bias-kv": lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True),
    "TransformerEncoderLayer": lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_parameters_and_buffers_are_made_on_the_default_device(tg_device, name):
    with tg.device(tg_device):
        m = BUILDERS[name]()
    tensors = list(m.parameters()) + list(m.buffers())
    assert tensors
    for t in tensors:
        assert t.device == _indexed(tg_device), (name, t.shape)
        assert_on_device(t, tg_device)
    assert len(list(m.parameters())) == len(list(BUILDERS[name]().parameters()))


def test_training_step_under_default_device_matches_the_cpu(tg_device):
    pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
    tg.manual_seed(0)
    cpu_model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                              nn.Linear(4 * 5 * 5, 3))
    with tg.device(tg_device):
        dev_model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                                  nn.Linear(4 * 5 * 5, 3))
        dev_model.load_state_dict(cpu_model.state_dict())   # the same weights, copied to the device
        x = tg.tensor(np.random.default_rng(1).standard_normal((6, 1, 5, 5)), dtype=tg.float32)
        y = tg.tensor([0, 1, 2, 0, 1, 2])
        opt = tg.optim.SGD(dev_model.parameters(), lr=0.1, momentum=0.9)
        loss = F.cross_entropy(dev_model(x), y)
        loss.backward()
        opt.step()
    assert x.device == y.device == loss.device == _indexed(tg_device)
    cpu_opt = tg.optim.SGD(cpu_model.parameters(), lr=0.1, momentum=0.9)
    cpu_loss = F.cross_entropy(cpu_model(x.cpu()), y.cpu())
    cpu_loss.backward()
    cpu_opt.step()
    assert_close(loss.cpu(), cpu_loss, rtol=1e-5, atol=1e-6)
    for (name, a), b in zip(dev_model.state_dict().items(), cpu_model.state_dict().values()):
        assert a.device == _indexed(tg_device), name
        assert_close(a.cpu(), b, rtol=1e-4, atol=1e-5)


def test_packed_sequences_keep_batch_sizes_on_the_cpu(tg_device):
    from tensorgraft.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence
    with tg.device(tg_device):
        seqs = [tg.ones(3, 2), tg.ones(2, 2), tg.ones(1, 2)]
        packed = pack_sequence(seqs)
        assert packed.data.device == _indexed(tg_device)
        assert packed.batch_sizes.device == tg.device("cpu")
        assert packed.batch_sizes.tolist() == [3, 2, 1]
        padded, lengths = pad_packed_sequence(packed)
        assert padded.device == _indexed(tg_device) and lengths.device == tg.device("cpu")
        again = pack_padded_sequence(padded, lengths)
        assert again.batch_sizes.device == tg.device("cpu")
        out, _ = nn.GRU(2, 3)(packed)
        assert out.data.device == _indexed(tg_device)


def test_masks_and_rng_state(tg_device):
    with tg.device(tg_device):
        mask = nn.Transformer.generate_square_subsequent_mask(3)
        state = tg.get_rng_state()
    assert mask.device == _indexed(tg_device)
    assert state.device == tg.device("cpu") and state.dtype == tg.uint8


def test_set_default_device_for_a_whole_script(tg_device):
    tg.set_default_device(tg_device)
    model = nn.Linear(3, 2)
    out = model(tg.randn(5, 3))
    out.sum().backward()
    assert model.weight.grad.device == _indexed(tg_device)
    tg.set_default_device(None)
    assert nn.Linear(3, 2).weight.device == tg.device("cpu")
