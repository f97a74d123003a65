"""Data-parallel training of the digits classifier over several processes (DistributedDataParallel).

Each process (rank) trains a replica of the model on its share of every batch
(``DistributedSampler``); DDP averages the gradients across the ranks during backward, so the
replicas stay equal and N ranks with ``--batch-size B`` train exactly as one process with batch
``N*B`` would (to float rounding). Launch it with the torchrun launcher:

    python -m tensorgraft.distributed.run --standalone --nproc-per-node=2 examples/ddp_digits.py --epochs 5

Run without the launcher it trains as a single process. Rank 0 prints each epoch's loss, averaged
over the ranks, and the test accuracy.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import tensorgraft as torch
import tensorgraft.distributed as dist
from tensorgraft import nn, optim
from tensorgraft.nn.parallel import DistributedDataParallel as DDP
from tensorgraft.utils.data import DataLoader, TensorDataset
from tensorgraft.utils.data.distributed import DistributedSampler


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=32, help="per rank")
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def digits():
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x = torch.tensor((x / 16.0).astype(np.float32))
    y = torch.tensor(y, dtype=torch.int64)
    return TensorDataset(x[:1500], y[:1500]), TensorDataset(x[1500:], y[1500:])


def main(argv=None) -> list[float]:
    args = parse_args(argv)
    launched = "RANK" in os.environ
    if launched:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if launched else 0
    world = dist.get_world_size() if launched else 1

    train, test = digits()
    torch.manual_seed(args.seed)  # every rank builds the same model (DDP would copy rank 0's anyway)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    if launched:
        model = DDP(model)
    sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(train, batch_size=args.batch_size, sampler=sampler)
    opt = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()

    history = []
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same on every rank
        total, batches = torch.zeros(1), 0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()  # DDP averages the gradients across the ranks here
            opt.step()
            total += loss.detach()
            batches += 1
        if launched:
            dist.all_reduce(total, op=dist.ReduceOp.AVG)
        history.append(float(total) / batches)
        if rank == 0:
            with torch.no_grad():
                x, y = test.tensors
                accuracy = float((model(x).argmax(1) == y).float().mean())
            print(f"epoch {epoch}: loss {history[-1]:.4f}, test accuracy {accuracy:.3f}", flush=True)
    if launched:
        dist.destroy_process_group()
    return history


if __name__ == "__main__":
    main()
