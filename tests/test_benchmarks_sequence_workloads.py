"""The sequence-model and other training-loop benchmark workloads (benchmarks/workloads/
sequence_models.py and more_training.py) build at tiny sizes and train, on every device, so a change in nn or optim that
breaks one shows up here rather than on the next benchmark run; with PyTorch installed, both sides
of each workload are checked to compute the same losses from the same seed."""
import math
import pathlib
import sys

import pytest

pytest.importorskip("tensorgraft.nn", reason="the workloads need tensorgraft-nn")
pytest.importorskip("tensorgraft.optim", reason="the workloads need tensorgraft-optim")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "benchmarks"))

from workloads import more_training, sequence_models  # noqa: E402

MODULES = (sequence_models, more_training)

TINY = {
    "lstm_step": dict(batch=3, seq=5, features=4, hidden=6, layers=2, classes=3),
    "gru_step": dict(batch=3, seq=5, features=4, hidden=6, classes=3),
    "transformer_encoder_step": dict(batch=2, seq=5, d_model=8, nhead=2, layers=2, dim_ff=16, classes=3),
    "gpt_block_step": dict(batch=2, seq=5, d_model=8, nhead=2, layers=1, dim_ff=16, classes=7),
    "embedding_bag_step": dict(batch=4, vocab=50, dim=6, classes=3, max_bag=5),
    "dcgan_generator_step": dict(batch=2, nz=5, ngf=2),
    "gcn_step": dict(nodes=20, edges=40, features=4, hidden=5, classes=3),
    "gcn_csr_step": dict(nodes=20, edges=40, features=4, hidden=5, classes=3),
    "sparse_embedding_step": dict(batch=4, seq=3, vocab=30, dim=5, classes=3),
    "message_passing_step": dict(nodes=20, edges=60, features=4, hidden=5, classes=3),
    "gat_step": dict(nodes=20, edges=60, features=4, hidden=5, classes=3),
}
CPU_ONLY = {"gcn_step", "gcn_csr_step", "sparse_embedding_step", "gat_step"}  # (tensorgraft's sparse tensors: CPU)


def _builder(name):
    return next(getattr(m, name) for m in MODULES if hasattr(m, name))


def test_every_workload_is_listed_with_both_sides():
    listed = {w.name: w for m in MODULES for w in m.WORKLOADS}
    assert set(listed) == set(TINY) | {"dataloader_epoch"}
    for w in listed.values():
        assert w.tensorgraft is not None and w.torch is not None and w.description


@pytest.mark.parametrize("name", sorted(TINY))
def test_workload_trains_at_tiny_size(name, tg_device):
    if name in CPU_ONLY and tg_device != "cpu":
        pytest.skip("tensorgraft's sparse tensors live on the CPU: the workload is CPU-only")
    kwargs = dict(TINY[name], device=tg_device)
    if name == "transformer_encoder_step":
        kwargs["dropout"] = 0.0  # random masks would make successive losses incomparable
    step = _builder(name)("tensorgraft", **kwargs)()  # takes (and checks) one step itself
    losses = [step().item() for _ in range(4)]
    assert all(math.isfinite(v) for v in losses), losses
    assert losses[-1] < losses[0], f"{name} does not learn: {losses}"


def test_dataloader_epoch_sees_every_row_once_per_call():
    epoch = more_training.dataloader_epoch("tensorgraft", rows=100, features=3, batch=16)()
    assert epoch() == 100
    assert epoch() == 100  # the loader can be iterated again, as the benchmark does each round


def test_a_step_whose_loss_is_not_finite_is_refused():
    import tensorgraft as tg
    model = tg.nn.Linear(2, 1)
    opt = tg.optim.SGD(model.parameters(), lr=0.1)
    x = tg.ones(3, 2)

    def nan_loss(out, target):
        return (out - target).sum() * float("nan")

    with pytest.raises(AssertionError, match="loss is nan"):
        sequence_models._checked_step(tg, model, nan_loss, opt, (x,), tg.zeros(3, 1), "cpu")


@pytest.mark.parametrize("name", sorted(TINY))
def test_both_sides_compute_the_same_losses(name):
    pytest.importorskip("torch")
    kwargs = dict(TINY[name])
    if name == "transformer_encoder_step":
        kwargs["dropout"] = 0.0  # the libraries draw different dropout masks
    make = _builder(name)
    tg_step, torch_step = make("tensorgraft", **kwargs)(), make("torch", **kwargs)()
    # the first step ran inside make(); these follow one optimizer update, so they compare the
    # gradients and the update rule as well as the forward pass
    for _ in range(2):
        assert tg_step().item() == pytest.approx(torch_step().item(), rel=1e-5, abs=1e-6)


def test_both_dataloaders_yield_the_same_batch_shapes_and_dtypes():
    torch = pytest.importorskip("torch")
    import tensorgraft as tg
    from tensorgraft.utils.data import DataLoader, TensorDataset
    x, y = tg.ones(10, 3), tg.zeros(10, dtype=tg.int64)
    tx, ty = torch.ones(10, 3), torch.zeros(10, dtype=torch.int64)
    ours = [(tuple(a.shape), str(a.dtype), tuple(b.shape), str(b.dtype))
            for a, b in DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True)]
    theirs = [(tuple(a.shape), str(a.dtype), tuple(b.shape), str(b.dtype))
              for a, b in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(tx, ty), batch_size=4,
                                                      shuffle=True)]
    assert ours == theirs
