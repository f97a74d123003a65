"""Module._load_from_state_dict is called for every module by load_state_dict (an override that
migrates an old checkpoint's keys used to be ignored), and works when called directly."""
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn


class Scale(nn.Module):
    """Version 2 renamed ``gain`` to ``scale``; version-1 checkpoints still load."""
    _version = 2

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(tg.ones(3))
        self.seen_versions = []

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        version = local_metadata.get("version", None)
        self.seen_versions.append(version)
        if (version is None or version < 2) and prefix + "gain" in state_dict:
            state_dict[prefix + "scale"] = state_dict.pop(prefix + "gain")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


def test_override_migrates_an_old_checkpoint():
    m = nn.Sequential(nn.Linear(2, 3), Scale())
    assert m.state_dict()._metadata["1"] == {"version": 2}
    old = {"0.weight": tg.zeros(3, 2), "0.bias": tg.zeros(3), "1.gain": tg.full((3,), 7.0)}
    assert str(m.load_state_dict(old)) == "<All keys matched successfully>"
    assert m[1].scale.tolist() == [7.0, 7.0, 7.0] and m[1].seen_versions == [None]
    assert "1.gain" in old  # the caller's dict is left alone


def test_failed_load_through_an_override_changes_nothing():
    m = nn.Sequential(nn.Linear(2, 3), Scale())
    before = m[0].weight.detach().clone()
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "1.scale". \n\tUnexpected key\\(s\\) '
                                           'in state_dict: "1.other".'):
        m.load_state_dict({"0.weight": tg.ones(3, 2), "0.bias": tg.ones(3), "1.other": tg.ones(3)})
    assert tg.equal(m[0].weight.detach(), before)


def test_direct_call_copies_and_reports():
    lin = nn.Linear(2, 2)
    missing, unexpected, errors = [], [], []
    lin._load_from_state_dict({"weight": tg.ones(2, 2), "x": tg.ones(1)}, "", {}, True, missing, unexpected, errors)
    assert lin.weight.tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert missing == ["bias"] and unexpected == ["x"] and errors == []
