"""PyTorch's older nn test database (``torch.testing._internal.common_nn``: the ~280 test
dictionaries test_nn.py runs as NewModuleTest and CriterionTest) run on tensorgraft
(``tensorgraft.testing.nn_test_dicts``): each module, functional wrapped as a module or loss,
built alike in both libraries with PyTorch's weights copied in, gives PyTorch's output, gradients
(input and parameters) and, where the dictionary asks for them, second-order gradients; its repr
is PyTorch's; a non-contiguous input, ``module.float()``/``.double()`` and a save/load round trip
change nothing. Differences listed below with their reason are expected; a listed one that no
longer differs fails as stale."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("expecttest")  # PyTorch's test database imports it
pytest.importorskip("tensorgraft.nn")
pytest.importorskip("tensorgraft.autograd")

from tensorgraft.testing.nn_test_dicts import check_nn_test, nn_test_database, nn_test_key  # noqa: E402
from tensorgraft.testing.opinfo import judge_verdict  # noqa: E402

TESTS = {nn_test_key(t): (kind, t) for kind, t in nn_test_database()}
# test name -> why tensorgraft differs. Empty: every dictionary agrees.
KNOWN: dict[str, str] = {}


@pytest.mark.parametrize("name", sorted(TESTS))
def test_nn_dictionary_matches_pytorch(name):
    kind, test = TESTS[name]
    judge_verdict(*check_nn_test(kind, test), KNOWN.get(name))


@pytest.mark.parametrize("name", sorted(TESTS))
def test_nn_dictionary_second_gradients_match_pytorch(name):
    kind, test = TESTS[name]
    judge_verdict(*check_nn_test(kind, test, order=2), KNOWN.get(name))


def test_database_is_read_whole():
    """Every dictionary has its own name (a repeated name would hide one) and both kinds are there."""
    database = nn_test_database()
    assert len(TESTS) == len(database) > 250
    assert {kind for kind, _ in database} == {"module", "criterion"}


def test_checker_sees_a_wrong_loss(monkeypatch):
    """The checker itself: a poisson_nll_loss off by 0.01% is reported, first in its forward."""
    import tensorgraft.nn.functional as F
    original = F.poisson_nll_loss
    monkeypatch.setattr(F, "poisson_nll_loss", lambda *args, **kwargs: original(*args, **kwargs) * 1.0001)
    verdict, detail = check_nn_test(*TESTS["PoissonNLLLoss_no_reduce"])
    assert verdict == "different" and detail.startswith("forward: output 0: values differ"), detail


def test_checker_sees_a_wrong_repr(monkeypatch):
    """A module whose repr drops an option is reported before its values are compared."""
    import tensorgraft.nn
    monkeypatch.setattr(tensorgraft.nn.Linear, "extra_repr", lambda self: f"in_features={self.in_features}")
    verdict, detail = check_nn_test(*TESTS["Linear"])
    assert verdict == "different" and detail.startswith("repr "), detail


def test_checker_sees_a_layout_dependent_result(monkeypatch):
    """A module that computes differently for a non-contiguous input is reported by that check alone."""
    import tensorgraft
    import tensorgraft.nn
    forward = tensorgraft.nn.Tanh.forward
    monkeypatch.setattr(tensorgraft.nn.Tanh, "forward",
                        lambda self, x: forward(self, x) + (0 if x.is_contiguous() else 1e-3))
    verdict, detail = check_nn_test(*TESTS["Tanh_no_batch_dim"])
    assert verdict == "different" and detail.startswith("non-contiguous input: forward"), detail
