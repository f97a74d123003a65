"""Regressions from differential fuzzing of ``tensorgraft.optim.lr_scheduler`` and ``swa_utils``
against PyTorch 2.13 (the expected values and messages are what PyTorch gave)."""
import warnings

import pytest

pytest.importorskip("tensorgraft.optim")

import tensorgraft as tg  # noqa: E402
from tensorgraft.optim import lr_scheduler as L  # noqa: E402

_ADDCDIV = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


def _sgd(groups=2, tensor_lr=False):
    return tg.optim.SGD([{"params": [tg.zeros(2)], "lr": tg.tensor(0.1) if tensor_lr else 0.1}
                         for _ in range(groups)], momentum=0.9)


def _add_group(opt):
    opt.add_param_group({"params": [tg.zeros(1)], "lr": 0.3})


# ------------------------------------------------------------------ constructor checks: PyTorch's order

@pytest.mark.parametrize("make,message", [
    (lambda o: L.ConstantLR(o, factor="a"), "'>' not supported between instances of 'str' and 'float'"),
    (lambda o: L.ConstantLR(o, factor=None), "'>' not supported between instances of 'NoneType' and 'float'"),
    (lambda o: L.LinearLR(o, start_factor="a"), "'>' not supported between instances of 'str' and 'float'"),
    (lambda o: L.LinearLR(o, end_factor="a"), "'>' not supported between instances of 'str' and 'float'"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, "a"), "'<=' not supported between instances of 'str' and 'int'"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, None),
     "'<=' not supported between instances of 'NoneType' and 'int'"),
    (lambda o: L.CosineAnnealingWarmRestarts(o, 2, T_mult="x"),
     "'<' not supported between instances of 'str' and 'int'"),
    (lambda o: L.OneCycleLR(o, 0.1, total_steps="a"), "'<=' not supported between instances of 'str' and 'int'"),
    (lambda o: L.ReduceLROnPlateau(o, threshold_mode=["rel"]), "unhashable type: 'list'"),
])
def test_non_number_arguments_fail_with_pytorchs_type_error(make, message):
    with pytest.raises(TypeError) as info:
        make(_sgd())
    assert str(info.value) == message


def test_momentum_lists_are_checked_in_pytorchs_order():
    msg = "{0} must have the same length as optimizer.param_groups. {0} has 1 values, param_groups has 2."
    with pytest.raises(ValueError) as info:
        L.CyclicLR(_sgd(), 0.01, 0.1, max_momentum=[1], base_momentum=[2])
    assert str(info.value) == msg.format("base_momentum")
    with pytest.raises(ValueError) as info:
        L.OneCycleLR(_sgd(), 0.1, 10, max_momentum=[1], base_momentum=[2])
    assert str(info.value) == msg.format("max_momentum")


# ------------------------------------------------------------------ tensor LRs: copies, never aliases

def test_tensor_lrs_are_copied_not_aliased():
    opt = _sgd(tensor_lr=True)
    s = L.StepLR(opt, 3)
    group = opt.param_groups[0]
    assert s.base_lrs[0] is not group["initial_lr"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert s.get_lr()[0] is not group["lr"]
    s.base_lrs[0].fill_(9.0)
    assert group["initial_lr"].item() == pytest.approx(0.1)


def test_per_group_tensor_arguments_are_copied_per_group():
    base, top = tg.tensor(0.01), tg.tensor(0.1)
    s = L.CyclicLR(_sgd(tensor_lr=True), base, top, 3)
    assert s.base_lrs[0] is not base and s.max_lrs[0] is not s.max_lrs[1]
    pytest.importorskip("tensorgraft.nn")
    from tensorgraft.optim.swa_utils import SWALR
    opt = _sgd(tensor_lr=True)
    target = tg.tensor(0.02)
    SWALR(opt, target, 3)
    assert opt.param_groups[0]["swa_lr"] is not target
    assert opt.param_groups[0]["swa_lr"] is not opt.param_groups[1]["swa_lr"]


def test_tensor_value_is_squeezed_into_a_tensor_lr_as_pytorch():
    opt = _sgd(tensor_lr=True)
    s = L.LambdaLR(opt, lambda e: tg.tensor([0.5]) ** e)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (the step-order warning)
        s.step()
    assert [t.item() for t in s.get_last_lr()] == [pytest.approx(0.05)] * 2
    assert opt.param_groups[0]["lr"].dim() == 0
    # a value of two elements: fill_'s own RuntimeError (not a conversion ValueError)
    opt = _sgd()
    s = L.LambdaLR(opt, lambda e: tg.tensor([0.5, 0.25]) ** e)
    assert opt.param_groups[0]["lr"].shape == (2,)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match=r"^fill_ only supports 0-dimension value tensor but got tensor "
                                                r"with 1 dimensions\.$"):
            s.step()


# ------------------------------------------------------------------ groups added after the scheduler

def _step_error(s, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError) as info:
            s.step(*args)
    return str(info.value)


def test_group_added_after_the_scheduler_fails_as_pytorchs_strict_zips():
    opt = _sgd()
    s = L.StepLR(opt, 2)
    _add_group(opt)
    assert _step_error(s, 4) == "zip() argument 2 is shorter than argument 1"  # the closed form
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.step()  # the chainable form covers every group
    assert s.get_last_lr() == [0.0010000000000000002, 0.0010000000000000002, 0.3]

    opt = _sgd()
    s = L.MultiplicativeLR(opt, lambda e: 0.5)
    _add_group(opt)
    assert _step_error(s) == "zip() argument 2 is longer than argument 1"
    assert opt.param_groups[0]["lr"] == 0.1 and s.last_epoch == 1

    opt = _sgd()
    s = L.CosineAnnealingLR(opt, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.step()
    _add_group(opt)
    assert _step_error(s) == "zip() argument 2 is longer than argument 1"

    opt = _sgd()
    s = L.CyclicLR(opt, 0.01, 0.1, 3)
    _add_group(opt)
    assert _step_error(s) == "zip() argument 2 is shorter than argument 1"
    assert [g.get("momentum") for g in opt.param_groups] == [0.8666666666666667, 0.8666666666666667, 0.9]

    opt = _sgd()
    s = L.CosineAnnealingWarmRestarts(opt, 3)
    _add_group(opt)
    assert _step_error(s) == "zip() argument 2 is shorter than argument 1"


# ------------------------------------------------------------------ CyclicLR scale_fn calls, warnings

class _CountingScale:
    def __init__(self):
        self.calls = 0

    def __call__(self, x):
        self.calls += 1
        return 0.9 ** x


def test_cyclic_scale_fn_is_called_once_per_value_as_pytorch():
    fn = _CountingScale()
    s = L.CyclicLR(_sgd(), 0.01, 0.1, 3, scale_fn=fn)
    assert fn.calls == 4  # 2 groups: an LR and a momentum each
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(4):
            s.step()
    assert fn.calls == 20
    assert s.get_last_lr() == [0.06400000000000003, 0.06400000000000003]
    assert s.state_dict()["_scale_fn_custom"] == {"calls": 20}
    fn = _CountingScale()
    L.CyclicLR(_sgd(), 0.01, 0.1, 3, scale_fn=fn, cycle_momentum=False)
    assert fn.calls == 2


def test_get_lr_warning_is_attributed_to_the_scheduler_as_pytorch():
    s = L.StepLR(_sgd(), 2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.get_lr()
    assert [str(w.message) for w in caught] == [
        "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."]
    assert caught[0].filename != __file__  # (PyTorch: stacklevel 2 from its helper, inside get_lr)
    assert "lr_scheduler" in caught[0].filename


# ------------------------------------------------------------------ swa_utils

def test_multi_avg_fns_read_the_first_tensor_as_pytorch():
    pytest.importorskip("tensorgraft.nn")
    from tensorgraft.optim.swa_utils import get_ema_multi_avg_fn, get_swa_multi_avg_fn
    for fn in (get_ema_multi_avg_fn(), get_swa_multi_avg_fn()):
        with pytest.raises(IndexError, match="^list index out of range$"):
            fn([], [], 1)
    ints = [tg.tensor([10, 20])]
    get_ema_multi_avg_fn()(ints, [tg.tensor([5, 9])], 1)
    assert ints[0].tolist() == [9, 19]


def test_per_tensor_avg_fns_run_without_autograd():
    pytest.importorskip("tensorgraft.nn")
    pytest.importorskip("tensorgraft.autograd")
    from tensorgraft.optim.swa_utils import get_ema_avg_fn, get_swa_avg_fn
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 5.0])
    out = get_ema_avg_fn(0.9)(a, b, 1)
    assert out.tolist() == [pytest.approx(1.2000000476837158), pytest.approx(2.299999952316284)]
    assert out.requires_grad is False
    assert get_swa_avg_fn()(a, b, tg.tensor(2)).requires_grad is False


def test_update_bn_runs_without_autograd_and_leaves_the_layers_as_pytorch_on_error():
    nn = pytest.importorskip("tensorgraft.nn")
    pytest.importorskip("tensorgraft.autograd")
    from tensorgraft.optim.swa_utils import update_bn

    class Spy(nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm1d(3)
            self.seen = []

        def forward(self, x):
            self.seen.append(tg.is_grad_enabled())
            return self.bn(x)

    spy = Spy()
    update_bn([tg.ones(2, 3, requires_grad=True)], spy)
    assert spy.seen == [False]

    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    model.eval()

    def failing_loader():
        yield tg.ones(3, 2)
        raise KeyError("boom")

    with pytest.raises(KeyError):
        update_bn(failing_loader(), model)
    # as PyTorch: nothing restored (training mode, cumulative averaging), one batch counted
    assert model.training is True and model[1].momentum is None
    assert int(model[1].num_batches_tracked) == 1


def test_averaged_model_buckets_come_in_pytorchs_order():
    nn = pytest.importorskip("tensorgraft.nn")
    from tensorgraft.optim.swa_utils import AveragedModel, get_swa_multi_avg_fn
    seen = []

    def record(avg, cur, n):
        seen.append([str(t.dtype) for t in avg])

    avg = AveragedModel(nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2)), multi_avg_fn=record, use_buffers=True)
    avg.update_parameters(avg.module)
    avg.update_parameters(avg.module)
    assert seen == [["torch.int64"], ["torch.float32"] * 6]
    seen.clear()
    net = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2).double())
    avg = AveragedModel(net, multi_avg_fn=record)
    avg.update_parameters(net)
    avg.update_parameters(net)
    assert seen == [["torch.float64"] * 2, ["torch.float32"] * 2]

    # the SWA multi_avg_fn fails on the integer bucket first: the float parameters are left as they were
    src = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    with tg.no_grad():
        for p in src.parameters():
            p.fill_(1.0)
    avg = AveragedModel(src, multi_avg_fn=get_swa_multi_avg_fn(), use_buffers=True)
    avg.update_parameters(src)
    with tg.no_grad():
        for p in src.parameters():
            p.fill_(3.0)
    with pytest.raises(RuntimeError) as info:
        avg.update_parameters(src)
    assert str(info.value) == _ADDCDIV
    assert avg.module[0].weight.tolist() == [[1.0, 1.0], [1.0, 1.0]] and int(avg.n_averaged) == 1


def test_swalr_has_pytorchs_get_initial_lr():
    pytest.importorskip("tensorgraft.nn")
    from tensorgraft.optim.swa_utils import SWALR
    assert SWALR._get_initial_lr(0.5, 0.1, 0.25) == 0.6333333333333333
    assert SWALR._get_initial_lr(0.5, 0.1, 1) == 0.1
