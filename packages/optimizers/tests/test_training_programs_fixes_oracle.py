"""The gaps of test_training_programs_fixes.py, compared with PyTorch itself."""
import pytest

torch = pytest.importorskip("torch")

from tensorgraft.testing.oracle import error_of, run_in_both  # noqa: E402

pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")


def test_legacy_lr_scheduler_base_relations_match():
    def relations(lib):
        L = lib.optim.lr_scheduler
        opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1)
        return (L._LRScheduler is L.LRScheduler, issubclass(L._LRScheduler, L.LRScheduler),
                isinstance(L.StepLR(opt, 2), L._LRScheduler), isinstance(L.StepLR(opt, 2), L.LRScheduler))
    ours, theirs = run_in_both(relations)
    assert ours == theirs


@pytest.mark.parametrize("other", [
    lambda nn: nn.Linear(3, 4),
    lambda nn: nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)),
    lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(2, 2)),
    lambda nn: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.BatchNorm1d(2)),
])
def test_averaged_model_with_another_architecture(other):
    def update(lib):
        from importlib import import_module
        swa = import_module(f"{lib.__name__}.optim.swa_utils")
        avg = swa.AveragedModel(lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4)))
        return error_of(lambda: avg.update_parameters(other(lib.nn)))
    ours, theirs = run_in_both(update)
    assert ours == theirs


def test_scheduler_load_state_dict_leaves_the_same_keys_in_the_callers_dict():
    def keys_left(lib):
        L = lib.optim.lr_scheduler
        out = []
        for make in (lambda o: L.CyclicLR(o, 0.01, 0.1), lambda o: L.StepLR(o, 2),
                     lambda o: L.LambdaLR(o, lambda e: 0.5 ** e), lambda o: L.MultiStepLR(o, [1, 3])):
            opt = lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1, momentum=0.9)
            sd = make(opt).state_dict()
            make(lib.optim.SGD([lib.nn.Parameter(lib.zeros(2))], lr=0.1, momentum=0.9)).load_state_dict(sd)
            out.append(sorted(sd))
        return out
    ours, theirs = run_in_both(keys_left)
    assert ours == theirs
