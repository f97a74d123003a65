"""``tensorgraft.utils.module_tracker.ModuleTracker``: the names of the modules running, forward and
backward. The expected sets are what PyTorch 2.13 prints for the same program."""
import pytest

pytest.importorskip("tensorgraft.nn")

import tensorgraft as torch  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
from tensorgraft.utils.module_tracker import ModuleTracker  # noqa: E402


class Block(nn.Module):
    def __init__(self, seen, tracker_box):
        super().__init__()
        self.lin, self.act = nn.Linear(3, 3), nn.ReLU()
        self.seen, self.box = seen, tracker_box

    def forward(self, x):
        tracker = self.box[0]
        self.seen.append(("block-fwd", sorted(tracker.parents), tracker.is_bw))
        y = self.act(self.lin(x))
        y.register_hook(lambda g: self.seen.append(("block-bwd", sorted(tracker.parents), tracker.is_bw)))
        return y


def test_forward_and_backward_hierarchy():
    seen, box = [], []
    m = nn.Sequential(Block(seen, box), nn.Linear(3, 2))
    m[1].register_forward_hook(lambda mod, i, o: seen.append(("lin-hook", sorted(box[0].parents), box[0].is_bw)))
    x = torch.randn(4, 3, requires_grad=True)
    with ModuleTracker() as tracker:
        box.append(tracker)
        out = m(x)
        seen.append(("after-fwd", sorted(tracker.parents), tracker.is_bw))
        out.sum().backward()
        seen.append(("after-bwd", sorted(tracker.parents), tracker.is_bw))
        m(x.detach())
        seen.append(("after-nograd-fwd", sorted(tracker.parents), tracker.is_bw))
    assert seen == [
        ("block-fwd", ["Global", "Sequential", "Sequential.0"], False),
        ("lin-hook", ["Global", "Sequential"], False),
        ("after-fwd", ["Global"], False),
        ("block-bwd", ["Global", "Sequential", "Sequential.0.act", "Sequential.1"], True),
        ("after-bwd", ["Global"], False),
        ("block-fwd", ["Global", "Sequential", "Sequential.0"], False),
        ("lin-hook", ["Global", "Sequential"], False),
        ("after-nograd-fwd", ["Global"], False),
    ]
    assert tracker.parents == {"Global"}


def test_leaving_removes_the_hooks():
    lin = nn.Linear(2, 2)
    names = []
    with ModuleTracker() as tracker:
        lin.register_forward_pre_hook(lambda mod, args: names.append(sorted(tracker.parents)))
        lin(torch.ones(1, 2))
    lin(torch.ones(1, 2))  # outside: the tracker no longer sees modules (its parents stay as they were)
    assert names == [["Global", "Linear"], ["Global"]]
