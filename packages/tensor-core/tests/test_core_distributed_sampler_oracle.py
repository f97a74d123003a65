"""Oracle twins of test_core_distributed_sampler.py: PyTorch's partition rules (padding, drop_last,
lengths, attributes) and error messages. Shuffled orders are not compared: they come from each
library's own generator (see docs/user-guide/differences.md)."""
import itertools

import pytest

torch = pytest.importorskip("torch")

from tensorgraft.utils.data import DistributedSampler  # noqa: E402

TD = torch.utils.data.DistributedSampler


@pytest.mark.parametrize("n, replicas, drop_last", list(itertools.product([1, 2, 5, 7, 10, 12], [1, 2, 3, 5], [False, True])))
def test_partition_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):
        kw = dict(num_replicas=replicas, rank=rank, drop_last=drop_last)
        want, got = TD(list(range(n)), shuffle=False, **kw), DistributedSampler(list(range(n)), shuffle=False, **kw)
        assert list(got) == list(want)
        assert (len(got), got.num_samples, got.total_size, got.epoch, got.seed) == (
            len(want), want.num_samples, want.total_size, want.epoch, want.seed)
        shuffled_want = TD(list(range(n)), seed=3, **kw)
        shuffled_got = DistributedSampler(list(range(n)), seed=3, **kw)
        assert len(list(shuffled_got)) == len(list(shuffled_want))


@pytest.mark.parametrize("n, replicas", [(5, 3), (10, 4), (3, 5)])
def test_shuffled_shares_have_torch_multiplicities(n, replicas):
    # the same multiset of indices over all replicas (which ones are repeated as padding differs)
    def cover(cls):
        counts = sorted(sum((list(cls(list(range(n)), num_replicas=replicas, rank=r, seed=5))
                             for r in range(replicas)), []))
        return sorted(counts.count(i) for i in set(counts))
    assert cover(DistributedSampler) == cover(TD)


@pytest.mark.parametrize("kw", [dict(num_replicas=2, rank=2), dict(num_replicas=2, rank=-1),
                                dict(num_replicas=0, rank=0)])
def test_rank_errors_match_torch(kw):
    with pytest.raises(ValueError) as want:
        TD(list(range(4)), **kw)
    with pytest.raises(ValueError) as got:
        DistributedSampler(list(range(4)), **kw)
    assert str(got.value) == str(want.value)


def test_signature_matches_torch():
    import inspect
    want = inspect.signature(TD.__init__).parameters
    got = inspect.signature(DistributedSampler.__init__).parameters
    assert [(p.name, p.default) for p in got.values()] == [(p.name, p.default) for p in want.values()]
