"""Gaps found by the training-utility programs (tests/programs/training_*.py), checked without
PyTorch (the expected behaviour and messages are PyTorch 2.13's, written out):

- ``lr_scheduler._LRScheduler`` is a deprecated subclass of ``LRScheduler``, not an alias, so the
  built-in schedulers are not instances of it;
- ``AveragedModel.update_parameters`` refuses a model whose buffers do not pair up with the
  average's (PyTorch zips them strictly), before anything is updated;
- a MultiStepLR state_dict (its milestones are a ``Counter``) survives ``save``/``load``;
- ``CyclicLR.load_state_dict`` takes ``_scale_fn_custom`` out of the caller's dict, as PyTorch does.
"""
import pytest

import tensorgraft as tg
from tensorgraft.optim import lr_scheduler

nn = pytest.importorskip("tensorgraft.nn", reason="needs tensorgraft-nn")
pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")

from tensorgraft.optim.swa_utils import AveragedModel  # noqa: E402


def _sgd():
    return tg.optim.SGD([nn.Parameter(tg.zeros(2))], lr=0.1)


def test_legacy_lr_scheduler_base_is_a_subclass_not_an_alias():
    assert lr_scheduler._LRScheduler is not lr_scheduler.LRScheduler
    assert issubclass(lr_scheduler._LRScheduler, lr_scheduler.LRScheduler)
    assert not isinstance(lr_scheduler.StepLR(_sgd(), 2), lr_scheduler._LRScheduler)

    class Old(lr_scheduler._LRScheduler):
        def get_lr(self):
            return [0.5 for _ in self.optimizer.param_groups]

    s = Old(_sgd())
    assert isinstance(s, lr_scheduler.LRScheduler) and s.get_last_lr() == [0.5]


def _filled(model, value):
    with tg.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            if t.is_floating_point():
                t.fill_(value)
    return model


@pytest.mark.parametrize("other,word", [
    (lambda: nn.Linear(3, 4), "shorter"),                                                  # no buffers
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)), "shorter"),                  # same parameters
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.BatchNorm1d(2)), "longer"),
])
@pytest.mark.parametrize("first", [True, False])
def test_averaged_model_refuses_buffers_that_do_not_pair_up(other, word, first):
    tg.manual_seed(0)
    avg = AveragedModel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    if not first:
        avg.update_parameters(avg.module)
    before = {k: v.clone() for k, v in avg.state_dict().items()}
    with pytest.raises(ValueError, match=f"^zip\\(\\) argument 2 is {word} than argument 1$"):
        avg.update_parameters(_filled(other(), 7.0))
    after = avg.state_dict()
    assert all(tg.equal(before[k], after[k]) for k in before)  # refused before any update


def test_averaged_model_pairs_parameters_as_far_as_both_go():
    # the buffers line up (one BatchNorm each); the extra parameters of the model are not averaged in
    avg = AveragedModel(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    avg.update_parameters(_filled(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(2, 2)), 7.0))
    assert int(avg.n_averaged) == 1 and bool((avg.module[0].weight == 7.0).all())
    # use_buffers=True averages parameters and buffers together and does not compare buffer counts
    ub = AveragedModel(nn.Linear(3, 4), use_buffers=True)
    ub.update_parameters(_filled(nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4)), 7.0))
    assert int(ub.n_averaged) == 1


def test_multistep_scheduler_state_dict_survives_save_and_load():
    # MultiStepLR keeps its milestones in a collections.Counter, which a checkpoint must hold
    import io
    opt = _sgd()
    sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4, 4], gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    buf = io.BytesIO()
    tg.save({"scheduler": sched.state_dict(), "optimizer": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = tg.load(buf, weights_only=True)
    opt2 = _sgd()
    resumed = lr_scheduler.MultiStepLR(opt2, milestones=[1], gamma=0.9)
    opt2.load_state_dict(ckpt["optimizer"])
    resumed.load_state_dict(ckpt["scheduler"])
    assert type(resumed.milestones).__name__ == "Counter" and dict(resumed.milestones) == {2: 1, 4: 2}
    for _ in range(2):
        for o, s in ((opt, sched), (opt2, resumed)):
            o.step()
            s.step()
        assert resumed.get_last_lr() == sched.get_last_lr()
    assert sched.get_last_lr() == [0.1 * 0.5 ** 3]


def test_cyclic_lr_load_state_dict_takes_the_custom_scale_entry_out_of_the_dict():
    opt = _sgd()
    saved = lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3).state_dict()
    keys = set(saved)
    resumed = lr_scheduler.CyclicLR(_sgd(), 0.02, 0.2, step_size_up=5)
    resumed.load_state_dict(saved)
    assert keys - set(saved) == {"_scale_fn_custom"}  # as PyTorch: popped from the caller's dict
    assert resumed.total_size == 6.0 and resumed.get_last_lr() == [0.01]
    assert "_scale_fn_custom" in resumed.state_dict()


def test_optimizer_given_a_tensor_names_its_legacy_type():
    # PyTorch's message names the tensor's type as Tensor.type() does, not always FloatTensor
    for dtype, name in ((tg.float64, "torch.DoubleTensor"), (tg.int64, "torch.LongTensor"),
                        (tg.float32, "torch.FloatTensor")):
        with pytest.raises(TypeError, match=f"should be an iterable of Tensors or dicts, but got {name}"):
            tg.optim.SGD(tg.zeros(2, dtype=dtype), lr=1)
