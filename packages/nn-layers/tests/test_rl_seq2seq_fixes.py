"""Loss warnings the RL and seq2seq programs (tests/programs/rl_*.py, nlp_seq2seq_attention.py)
showed astray: the "target size" warning of F.mse_loss/l1_loss/smooth_l1_loss/huber_loss named the
line above the user's call (the caller's caller), weighted huber_loss gave it twice, and the legacy
size_average=/reduce= arguments were mapped without PyTorch's deprecation warning."""
import inspect
import warnings

import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.autograd", reason="needs the autograd engine (tensorgraft-autograd)")
nn = pytest.importorskip("tensorgraft.nn")
F = nn.functional

SIZE = ("Using a target size (torch.Size([3])) that is different to the input size (torch.Size([3, 1])). This "
        "will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.")


def record(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_size_warning_names_the_line_that_called_the_loss(name):
    fn = getattr(F, name)
    x, t = tg.zeros(3, 1), tg.ones(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        fn(x, t)
    assert [(w.category, str(w.message), w.filename, w.lineno) for w in caught] == [
        (UserWarning, SIZE, __file__, line)]


def test_smooth_l1_with_beta_zero_warns_at_the_call_too():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1
        F.smooth_l1_loss(tg.zeros(3, 1), tg.ones(3), beta=0.0)
    assert [(w.filename, w.lineno) for w in caught] == [(__file__, line)]


@pytest.mark.parametrize("name", ["huber_loss", "mse_loss"])
def test_weighted_loss_warns_once(name):
    caught = record(lambda: getattr(F, name)(tg.zeros(3, 1), tg.ones(3), weight=tg.ones(3, 1)))
    assert [str(w.message) for w in caught] == [SIZE]
    assert caught[0].filename == __file__


def test_loss_module_size_warning_names_its_forward():
    caught = record(lambda: nn.MSELoss()(tg.zeros(3, 1), tg.ones(3)))
    assert len(caught) == 1 and caught[0].filename.endswith("loss.py")


@pytest.mark.parametrize("kwargs,reduction", [
    (dict(size_average=False), "sum"), (dict(reduce=False), "none"), (dict(size_average=True), "mean"),
    (dict(size_average=False, reduce=False), "none"), (dict(size_average=True, reduce=True), "mean"),
])
def test_legacy_arguments_warn_and_map(kwargs, reduction):
    message = f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead."
    for make in (nn.SmoothL1Loss, nn.CrossEntropyLoss, nn.NLLLoss, nn.BCELoss, nn.KLDivLoss, nn.TripletMarginLoss):
        modules = []
        caught = record(lambda: modules.append(make(**kwargs)))
        assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, message)], make
        assert modules[0].reduction == reduction
    x, t = tg.tensor([[0.0, 2.0], [1.0, -3.0]]), tg.zeros(2, 2)
    out = []
    caught = record(lambda: out.append(F.smooth_l1_loss(x, t, **kwargs)))
    assert [str(w.message) for w in caught] == [message]
    expected = {"sum": 4.5, "mean": 1.125, "none": [[0.0, 1.5], [0.5, 2.5]]}[reduction]
    assert out[0].tolist() == expected


def test_no_legacy_warning_without_legacy_arguments():
    assert record(lambda: nn.SmoothL1Loss(reduction="sum")) == []
    assert record(lambda: F.cross_entropy(tg.zeros(2, 3), tg.tensor([0, 1]), reduction="none")) == []


def test_legacy_warning_is_given_once_per_module_not_per_call():
    loss = []
    caught = record(lambda: loss.append(nn.MSELoss(reduce=False)))
    assert len(caught) == 1
    assert record(lambda: loss[0](tg.zeros(2), tg.ones(2))) == []


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_name_their_own_forward_in_call_errors(name):
    layer = getattr(tg.nn, name)(2, 3)
    with pytest.raises(TypeError, match=rf"^{name}\.forward\(\) missing 1 required positional argument: 'input'$"):
        layer()
    out, _ = layer(tg.zeros(4, 1, 2))
    assert tuple(out.shape) == (4, 1, 3)
