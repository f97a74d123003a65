"""``DistributedSampler``: each replica's share of a dataset (``torch.utils.data.distributed``)."""
import math as _math

from .sampler import Sampler


class DistributedSampler(Sampler):
    """The share of ``dataset`` that replica ``rank`` of ``num_replicas`` sees in one epoch.

    Every replica builds the same order (shuffled from ``seed + epoch``, so call ``set_epoch`` each
    epoch), pads it by repeating its start until it divides evenly (or, with ``drop_last``, cuts the
    tail), and takes every ``num_replicas``-th index starting at ``rank``; the replicas' shares are then
    disjoint (apart from the padding) and equally long. ``num_replicas`` and ``rank`` default to the
    default process group's world size and rank (``tensorgraft.distributed``). The order and the
    partition rules are PyTorch's for the same seed.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist  # (only when asked: importing it costs the store and sockets)
            if num_replicas is None:
                num_replicas = dist.get_world_size()  # PyTorch's ValueError when no process group exists
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:  # PyTorch's order: a str rank fails on '>=' first
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last = shuffle, seed, drop_last
        self.epoch = 0
        size = len(dataset)
        if drop_last and size % num_replicas != 0:
            # the largest share every replica can fill from real samples
            self.num_samples = _math.ceil((size - num_replicas) / num_replicas)
        else:
            self.num_samples = _math.ceil(size / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        size = len(self.dataset)
        if self.shuffle:
            from ...random import Generator
            from ...ops.sampling import randperm
            order = randperm(size, generator=Generator().manual_seed(self.seed + self.epoch)).tolist()
        else:
            order = list(range(size))
        if self.drop_last:
            order = order[:self.total_size]
        else:
            missing = self.total_size - len(order)
            if missing > 0:
                repeats = _math.ceil(missing / len(order))
                order += (order * repeats)[:missing]
        return iter(order[self.rank:self.total_size:self.num_replicas])

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle the next iteration uses (the same on every replica)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples
