"""Train a small classifier on scikit-learn's bundled 8x8 digits with tensorgraft.

Uses the PyTorch-style API end to end: ``TensorDataset``/``random_split``/``DataLoader`` for the
data, ``nn.Sequential`` + ``nn.CrossEntropyLoss`` for the model, an ``optim`` optimizer, a tqdm
progress bar, and a checkpoint (model + optimizer state_dict + epoch + loss history) written with
``tensorgraft.save`` after every epoch. ``--resume`` continues from that checkpoint and
reproduces the loss curve of an uninterrupted run exactly: the model starts from the saved
weights and optimizer state, and every epoch's shuffle comes from a generator seeded with
``seed + epoch``.

    python examples/train_digits.py --epochs 10 --checkpoint digits.pt
    python examples/train_digits.py --epochs 5 --checkpoint digits.pt          # stop early ...
    python examples/train_digits.py --epochs 10 --checkpoint digits.pt --resume  # ... and resume
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

import tensorgraft as torch
from tensorgraft import nn, optim
from tensorgraft.utils.data import DataLoader, TensorDataset, random_split


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10, help="train until this many epochs are done (default 10)")
    p.add_argument("--resume", action="store_true", help="continue from --checkpoint if it exists")
    p.add_argument("--checkpoint", default="digits_checkpoint.pt", metavar="PATH",
                   help="where to save (and, with --resume, load) the checkpoint")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--num-workers", type=int, default=0, help="DataLoader worker processes")
    p.add_argument("--no-progress", action="store_true", help="disable the tqdm progress bar")
    return p.parse_args(argv)


def load_data(seed: int):
    from sklearn.datasets import load_digits  # bundled with scikit-learn: no download
    digits = load_digits()
    x = torch.from_numpy((digits.data / 16.0).astype(np.float32))
    y = torch.from_numpy(digits.target.astype(np.int64))
    return random_split(TensorDataset(x, y), [0.8, 0.2], generator=torch.Generator().manual_seed(seed))


def build(args):
    torch.manual_seed(args.seed)
    model = nn.Sequential(nn.Linear(64, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 10))
    if args.optimizer == "adam":
        optimizer = optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    return model, optimizer


def evaluate(model, loader) -> float:
    correct = total = 0
    with torch.no_grad():
        for xb, yb in loader:
            correct += (model(xb).argmax(dim=1) == yb).sum().item()
            total += yb.shape[0]
    return correct / max(total, 1)


def main(argv=None) -> list:
    args = parse_args(argv)
    train_set, val_set = load_data(args.seed)
    model, optimizer = build(args)
    loss_fn = nn.CrossEntropyLoss()
    start_epoch, history = 0, []

    if args.resume and os.path.exists(args.checkpoint):
        ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_epoch, history = ckpt["epoch"], list(ckpt["losses"])
        print(f"resumed from {args.checkpoint} at epoch {start_epoch}")
    elif args.resume:
        print(f"no checkpoint at {args.checkpoint}; starting from scratch")

    shuffle_gen = torch.Generator()
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=shuffle_gen,
                        num_workers=args.num_workers)
    val_loader = DataLoader(val_set, batch_size=256)
    try:
        from tqdm import tqdm
    except ImportError:  # the progress bar is optional
        def tqdm(it, **kw):
            return it

    for epoch in range(start_epoch, args.epochs):
        shuffle_gen.manual_seed(args.seed * 1000 + epoch)  # this epoch's order depends only on the epoch
        model.train()
        total, count = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False, disable=args.no_progress,
                   file=sys.stderr)
        for xb, yb in bar:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * yb.shape[0]
            count += yb.shape[0]
            if hasattr(bar, "set_postfix"):
                bar.set_postfix(loss=f"{loss.item():.4f}")
        model.eval()
        epoch_loss = total / count
        history.append(epoch_loss)
        acc = evaluate(model, val_loader)
        print(f"epoch {epoch + 1} train_loss {epoch_loss!r} val_acc {acc:.4f}")
        torch.save({"epoch": epoch + 1, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "losses": history}, args.checkpoint)
    return history


if __name__ == "__main__":
    main()
