"""Where PyTorch's warning names the user's line (those raised from C++), ours names the same line;
the message and category agree too. Each case is one function of the library module, run with
``torch`` and with ``tensorgraft`` from this file."""
import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402


def _warnings_of(lib, case):
    """(category, message without PyTorch's C++ suffix, filename, lineno) of each warning raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case(lib)
    return [(w.category, re.sub(r" ?\(Triggered internally at .*", "", str(w.message), flags=re.S).rstrip(),
             w.filename, w.lineno) for w in caught]


CASES = {
    "std": lambda t: t.std(t.tensor([1.0])),
    "std_method": lambda t: t.tensor([1.0]).std(),
    "std_dim": lambda t: t.ones(3, 1).std(dim=1),
    "std_legacy_unbiased": lambda t: t.std(t.ones(1, 3), 0, True),
    "var": lambda t: t.var(t.tensor([1.0])),
    "var_method_correction": lambda t: t.ones(2, 3).var(0, correction=2),
    "var_out": lambda t: t.var(t.tensor([1.0]), out=t.empty(())),
    "var_mean": lambda t: t.var_mean(t.tensor([1.0])),
    "std_mean": lambda t: t.std_mean(t.tensor([1.0])),
    "cov": lambda t: t.cov(t.tensor([1.0])),
    "cov_method": lambda t: t.tensor([1.0]).cov(),
    "corrcoef": lambda t: t.corrcoef(t.ones(1, 1)),
    "bincount_complex": lambda t: t.bincount(t.tensor([0, 1]), weights=t.tensor([1j, 2j])),
    "bincount_complex_method": lambda t: t.tensor([0, 1]).bincount(t.tensor([1j, 2j])),
}


@pytest.fixture
def warn_always():
    """Once-per-process warnings (the complex cast) at every call in both libraries."""
    before = torch.is_warn_always_enabled(), tg.is_warn_always_enabled()
    torch.set_warn_always(True)
    tg.set_warn_always(True)
    yield
    torch.set_warn_always(before[0])
    tg.set_warn_always(before[1])


@pytest.mark.usefixtures("warn_always")
@pytest.mark.parametrize("name", sorted(CASES))
def test_warning_matches_pytorch_and_names_the_users_line(name):
    case = CASES[name]
    theirs, ours = _warnings_of(torch, case), _warnings_of(tg, case)
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
    assert [w[2:] for w in theirs] == [(__file__, case.__code__.co_firstlineno)] * len(theirs)
    assert [w[2:] for w in ours] == [w[2:] for w in theirs]


@pytest.mark.skipif(tg.accelerator.is_available() or torch.accelerator.is_available(),
                    reason="the warning is about machines without an accelerator")
def test_pin_memory_without_an_accelerator_warns_as_pytorch():
    # PyTorch names its own dataloader file here (a Python warning): only the text is compared
    def case(t):
        next(iter(t.utils.data.DataLoader(range(4), pin_memory=True)))
    theirs, ours = _warnings_of(torch, case), _warnings_of(tg, case)
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]


def test_too_many_workers_warns_at_construction_as_pytorch():
    def case(t):
        t.utils.data.DataLoader(range(4), num_workers=100_000)
    theirs, ours = _warnings_of(torch, case), _warnings_of(tg, case)
    assert len(theirs) == 1
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
