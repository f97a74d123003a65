"""utils.data.DistributedSampler without PyTorch: partition, padding, drop_last, epochs, errors."""
import pytest

from tensorgraft.utils.data import DataLoader, DistributedSampler, Sampler


def shares(n, replicas, **kw):
    return [list(DistributedSampler(range(n), num_replicas=replicas, rank=r, **kw)) for r in range(replicas)]


def test_unshuffled_partition_pads_from_the_start():
    assert shares(5, 3, shuffle=False) == [[0, 3], [1, 4], [2, 0]]
    assert shares(2, 5, shuffle=False) == [[0], [1], [0], [1], [0]]
    s = DistributedSampler(range(5), num_replicas=3, rank=1, shuffle=False)
    assert isinstance(s, Sampler) and len(s) == 2 and s.total_size == 6 and s.num_samples == 2


def test_drop_last_cuts_the_tail():
    assert shares(7, 3, shuffle=False, drop_last=True) == [[0, 3], [1, 4], [2, 5]]
    assert shares(6, 3, shuffle=False, drop_last=True) == [[0, 3], [1, 4], [2, 5]]
    assert shares(2, 5, shuffle=False, drop_last=True) == [[]] * 5


def test_shuffled_shares_are_a_disjoint_cover_and_follow_the_epoch():
    first = shares(10, 3, seed=4)
    flat = sorted(i for part in first for i in part)
    assert len(flat) == 12 and set(flat) == set(range(10))
    assert first == shares(10, 3, seed=4)  # same seed and epoch: every replica agrees
    samplers = [DistributedSampler(range(10), num_replicas=3, rank=r, seed=4) for r in range(3)]
    for s in samplers:
        s.set_epoch(1)
    second = [list(s) for s in samplers]
    assert second != first
    assert sorted(set(i for p in second for i in p)) == list(range(10))


def test_missing_process_group_and_bad_rank():
    msg = "^Default process group has not been initialized, please make sure to call init_process_group.$"
    with pytest.raises(ValueError, match=msg):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match=msg):
        DistributedSampler(range(4), num_replicas=2)
    for rank, replicas, top in ((2, 2, 1), (-1, 2, 1), (0, 0, -1)):
        with pytest.raises(ValueError, match=rf"^Invalid rank {rank}, rank should be in the interval \[0, {top}\]$"):
            DistributedSampler(range(4), num_replicas=replicas, rank=rank)


def test_replicas_and_rank_default_to_the_process_group():
    import tensorgraft.distributed as dist
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        s = DistributedSampler(range(5), shuffle=False)
        assert (s.num_replicas, s.rank, list(s)) == (1, 0, [0, 1, 2, 3, 4])
        assert DistributedSampler(range(5), num_replicas=2).rank == 0
    finally:
        dist.destroy_process_group()


def test_works_as_a_dataloader_sampler():
    loader = DataLoader(list(range(7)), batch_size=2,
                        sampler=DistributedSampler(list(range(7)), num_replicas=2, rank=1, shuffle=False))
    assert [b.tolist() for b in loader] == [[1, 3], [5, 0]]
