"""tensorgraft.profiler against torch.profiler: schedules, the enums and the shape of a table."""
import itertools

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
from tensorgraft import profiler as tgp  # noqa: E402


@pytest.mark.parametrize("wait, warmup, active, repeat, skip_first", [
    (w, wu, a, r, s) for w, wu, a, r, s in itertools.product((0, 1, 2), (0, 1), (1, 3), (0, 2), (0, 3))])
def test_schedules(wait, warmup, active, repeat, skip_first):
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "won't be using warmup"
        ours = tgp.schedule(wait=wait, warmup=warmup, active=active, repeat=repeat, skip_first=skip_first)
        theirs = torch.profiler.schedule(wait=wait, warmup=warmup, active=active, repeat=repeat,
                                         skip_first=skip_first)
    assert [ours(i).name for i in range(30)] == [theirs(i).name for i in range(30)]


def test_enums_and_names():
    assert [m for m in tgp.ProfilerActivity.__members__] == list(torch.profiler.ProfilerActivity.__members__)
    assert {a.name: a.value for a in tgp.ProfilerAction} == {a.name: a.value for a in torch.profiler.ProfilerAction}


def test_table_header_and_rule_lines_match():
    def run(lib, prof_mod):
        x = lib.ones(8, 8)
        with prof_mod.profile() as p:
            with prof_mod.record_function("step"):
                x.exp()
        return p.key_averages().table().splitlines()
    ours, theirs = run(tg, tgp), run(torch, torch.profiler)
    # the name column's width follows the longest op name, which differs; the other columns do not
    name_width = [len(line.split("  ")[0]) for line in (ours[0], theirs[0])]
    assert ours[0][name_width[0]:] == theirs[0][name_width[1]:]
    assert ours[1][name_width[0]:] == theirs[1][name_width[1]:] and ours[1].split() == theirs[1].split()
    assert ours[-1].startswith("Self CPU time total: ") and theirs[-1].startswith("Self CPU time total: ")
