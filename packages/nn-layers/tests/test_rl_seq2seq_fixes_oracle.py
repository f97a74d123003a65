"""The loss warnings of test_rl_seq2seq_fixes.py against PyTorch itself: the same warnings, with
the same text, naming the user's line when PyTorch's do."""
import warnings

import pytest

import tensorgraft as tg
from tensorgraft.testing.oracle import assert_values_close

torch = pytest.importorskip("torch")
pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
pytest.importorskip("tensorgraft.nn")


def warnings_of(call):
    """(category name, message, whether it names this file, and which line if so)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return [(w.category.__name__, str(w.message), w.filename == __file__, w.lineno if w.filename == __file__ else None)
            for w in caught]


def both(make):
    return warnings_of(lambda: make(tg)), warnings_of(lambda: make(torch))


def _pointwise(name, **kwargs):
    def make(lib):
        return getattr(lib.nn.functional, name)(lib.zeros(3, 1), lib.ones(3), **kwargs)
    return make


@pytest.mark.parametrize("name,kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}), ("mse_loss", {"reduction": "none"}),
])
def test_size_warning_of_functional_losses(name, kwargs):
    ours, theirs = both(_pointwise(name, **kwargs))
    assert ours == theirs and len(ours) == 1


@pytest.mark.parametrize("name", ["mse_loss", "huber_loss"])
def test_size_warning_of_weighted_losses(name):
    ours, theirs = both(lambda lib: getattr(lib.nn.functional, name)(lib.zeros(3, 1), lib.ones(3),
                                                                    weight=lib.ones(3, 1)))
    assert ours == theirs and len(ours) == 1


@pytest.mark.parametrize("module", ["MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss"])
def test_size_warning_of_loss_modules(module):
    ours, theirs = both(lambda lib: getattr(lib.nn, module)()(lib.zeros(3, 1), lib.ones(3)))
    assert ours == theirs and len(ours) == 1


LEGACY = [dict(size_average=False), dict(reduce=False), dict(size_average=True, reduce=True),
          dict(size_average=False, reduce=False)]
MODULES = ["L1Loss", "MSELoss", "SmoothL1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss", "BCEWithLogitsLoss",
           "KLDivLoss", "PoissonNLLLoss", "HingeEmbeddingLoss", "MarginRankingLoss", "SoftMarginLoss",
           "MultiLabelSoftMarginLoss", "MultiLabelMarginLoss", "MultiMarginLoss", "CosineEmbeddingLoss",
           "TripletMarginLoss"]


@pytest.mark.parametrize("kwargs", LEGACY)
@pytest.mark.parametrize("module", MODULES)
def test_legacy_arguments_of_loss_modules(module, kwargs):
    made = {}

    def make(lib):
        made[lib.__name__] = getattr(lib.nn, module)(**kwargs)
    ours, theirs = both(make)
    # the warning names the library's own file in both: only its text and category are compared
    assert [w[:2] for w in ours] == [w[:2] for w in theirs] and len(ours) == 1
    assert made["tensorgraft"].reduction == made["torch"].reduction


FUNCTIONAL = {
    "nll_loss": lambda lib: (lib.zeros(3, 4), lib.tensor([0, 1, 3])),
    "cross_entropy": lambda lib: (lib.zeros(3, 4), lib.tensor([0, 1, 3])),
    "mse_loss": lambda lib: (lib.zeros(3, 4), lib.ones(3, 4)),
    "smooth_l1_loss": lambda lib: (lib.zeros(3, 4), lib.ones(3, 4)),
    "kl_div": lambda lib: (lib.zeros(3, 4), lib.ones(3, 4)),
    "binary_cross_entropy": lambda lib: (lib.full((3, 4), 0.5), lib.ones(3, 4)),
    "poisson_nll_loss": lambda lib: (lib.zeros(3, 4), lib.ones(3, 4)),
    "margin_ranking_loss": lambda lib: (lib.zeros(4), lib.ones(4), lib.ones(4)),
    "triplet_margin_loss": lambda lib: (lib.zeros(3, 4), lib.ones(3, 4), lib.zeros(3, 4)),
}


@pytest.mark.parametrize("kwargs", LEGACY[:3])
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_legacy_arguments_of_functional_losses(name, kwargs):
    results = {}

    def make(lib):
        results[lib.__name__] = getattr(lib.nn.functional, name)(*FUNCTIONAL[name](lib), **kwargs)
    ours, theirs = both(make)
    assert [w[:2] for w in ours] == [w[:2] for w in theirs] and len(ours) == 1
    assert_values_close(results["tensorgraft"], results["torch"])
