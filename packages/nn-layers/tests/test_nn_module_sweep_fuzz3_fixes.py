"""Regressions from a differential sweep of every ``torch.nn`` module class (construction, repr, state,
forward, backward, errors) against PyTorch 2.13. Expected values and messages are PyTorch's."""
import math
import warnings

import pytest

pytest.importorskip("tensorgraft.nn")

import tensorgraft as torch  # noqa: E402
from tensorgraft import nn  # noqa: E402


def _type_error(make):
    with pytest.raises(TypeError) as info:
        make()
    return str(info.value)


# ---------------------------------------------------------------- a wrong constructor call names the layer
@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv2d(3, 16), "Conv2d.__init__() missing 1 required positional argument: 'kernel_size'"),
    (lambda: nn.ConvTranspose1d(), "ConvTranspose1d.__init__() missing 3 required positional arguments: "
                                   "'in_channels', 'out_channels', and 'kernel_size'"),
    (lambda: nn.ConstantPad2d(1), "ConstantPad2d.__init__() missing 1 required positional argument: 'value'"),
    (lambda: nn.ZeroPad2d(), "ZeroPad2d.__init__() missing 1 required positional argument: 'padding'"),
    (lambda: nn.ReflectionPad1d(1, 2), "ReflectionPad1d.__init__() takes 2 positional arguments but 3 were given"),
    (lambda: nn.CircularPad3d(padding=1, value=0),
     "CircularPad3d.__init__() got an unexpected keyword argument 'value'"),
    (lambda: nn.AvgPool2d(), "AvgPool2d.__init__() missing 1 required positional argument: 'kernel_size'"),
    (lambda: nn.MaxUnpool3d(foo=1), "MaxUnpool3d.__init__() got an unexpected keyword argument 'foo'"),
    (lambda: nn.FractionalMaxPool2d(),
     "FractionalMaxPool2d.__init__() missing 1 required positional argument: 'kernel_size'"),
    (lambda: nn.ReLU(True, 1), "ReLU.__init__() takes from 1 to 2 positional arguments but 3 were given"),
    (lambda: nn.Hardswish(foo=1), "Hardswish.__init__() got an unexpected keyword argument 'foo'"),
    (lambda: nn.Softmax(1, 2), "Softmax.__init__() takes from 1 to 2 positional arguments but 3 were given"),
    (lambda: nn.LogSoftmax(foo=1), "LogSoftmax.__init__() got an unexpected keyword argument 'foo'"),
    (lambda: nn.BatchNorm2d(), "_BatchNorm.__init__() missing 1 required positional argument: 'num_features'"),
    (lambda: nn.LazyConv2d(4), "LazyConv2d.__init__() missing 1 required positional argument: 'kernel_size'"),
    # RNN, LSTM and GRU pass their arguments on to RNNBase.__init__, which words the error
    (lambda: nn.RNN(4), "RNNBase.__init__() missing 1 required positional argument: 'hidden_size'"),
    (lambda: nn.LSTM(4, 6, foo=2), "RNNBase.__init__() got an unexpected keyword argument 'foo'"),
    (lambda: nn.GRU(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
     "RNNBase.__init__() takes from 4 to 12 positional arguments but 13 were given"),
    (lambda: nn.BatchNorm1d(3.5), "empty(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda: nn.GroupNorm(2, 4.0), "empty(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda: nn.InstanceNorm1d(2.0, affine=True),
     "empty(): argument 'size' (position 1) must be tuple of ints, not float"),
    (lambda: nn.Dropout("a"), "'<' not supported between instances of 'str' and 'int'"),
])
def test_wrong_constructor_call_messages(make, message):
    assert _type_error(make) == message


def test_own_init_keeps_the_layers_working():
    conv = nn.Conv2d(2, 4, 3, padding=1, bias=False)
    assert conv.weight.shape == (4, 2, 3, 3) and conv.bias is None
    assert type(conv).__init__.__qualname__ == "Conv2d.__init__"
    assert nn.ZeroPad2d(1)(torch.ones(1, 1, 1)).tolist() == [[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]
    assert repr(nn.ConstantPad1d(2, 1.5)) == "ConstantPad1d(padding=(2, 2), value=1.5)"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert nn.LazyConv1d(3, 2)(torch.ones(1, 5, 4)).shape == (1, 3, 3)
    assert repr(nn.BatchNorm1d(3, momentum=None)) == (
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=True, bias=True, track_running_stats=True)")


def test_rnn_arguments_pass_through_as_pytorchs():
    with pytest.raises(ValueError, match=r"^Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'.$"):
        nn.RNN(4, 6, 1, "gelu")
    with pytest.raises(ValueError, match="^proj_size argument is only supported for LSTM, not RNN or GRU$"):
        nn.GRU(4, 6, proj_size=2)
    m = nn.RNN(4, 6, 2, "relu", False)   # the fourth positional argument is the nonlinearity
    assert (m.nonlinearity, m.mode, m.num_layers, m.bias) == ("relu", "RNN_RELU", 2, False)
    assert repr(m) == "RNN(4, 6, num_layers=2, bias=False)"
    lstm = nn.LSTM(4, 6, 2, True, True, 0.0, True, 3)
    assert (lstm.batch_first, lstm.bidirectional, lstm.proj_size) == (True, True, 3)
    assert nn.GRU(input_size=4, hidden_size=6, num_layers=2).num_layers == 2


def test_layer_norm_of_an_empty_shape():
    m = nn.LayerNorm([])
    assert m.normalized_shape == () and m.weight.shape == () and m.bias.shape == ()
    assert m.weight.item() == 1.0
    with pytest.raises(TypeError, match="^'float' object is not iterable$"):
        nn.LayerNorm(3.5)


# ---------------------------------------------------------------- forward
def test_adaptive_log_softmax_runs_its_tails_first():
    torch.manual_seed(0)
    m = nn.AdaptiveLogSoftmaxWithLoss(8, 10, [4, 8])
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(2x7 and 8x2\)$"):
        m(torch.randn(5, 7), torch.tensor([0, 3, 5, 9, 7]))
    with pytest.raises(RuntimeError, match=r"^mat1 and mat2 shapes cannot be multiplied \(1x7 and 8x2\)$"):
        m(torch.randn(5, 7), torch.tensor([0, 3, 1, 9, 7]))


def test_cross_map_lrn2d_backward_is_pytorchs():
    pytest.importorskip("tensorgraft.autograd")
    x = (torch.arange(12, dtype=torch.float64).reshape(1, 4, 3, 1) / 5 - 1).requires_grad_()
    y = nn.CrossMapLRN2d(3, alpha=0.5, beta=0.75, k=1.0)(x)
    assert type(y.grad_fn).__name__ == "CrossMapLRN2dBackward"
    (y * torch.arange(12.0, dtype=torch.float64).reshape(1, 4, 3, 1)).sum().backward()
    expected_y = [-0.8758478557257275, -0.7381099807675369, -0.5743436865105618, -0.3488783797973685,
                  -0.18128061136122092, 0.0, 0.16364637384258698, 0.32729274768517397, 0.4764277715584431,
                  0.6647869871181236, 0.8213769018249545, 0.9528555431168862]
    # PyTorch's hand-written backward, not the exact derivative of the forward
    expected_grad = [0.0, 0.7900428686359114, 1.7519288550793868, 2.529368253530922, 3.5606599593652573,
                     4.592577431795001, 4.915429141206789, 5.68219221966324, 6.094542941908983,
                     6.568148608160746, 6.354877631978905, 5.581678304042543]
    assert y.detach().flatten().tolist() == pytest.approx(expected_y, abs=1e-12)
    assert x.grad.flatten().tolist() == pytest.approx(expected_grad, abs=1e-12)
    x = (torch.arange(8, dtype=torch.float64).reshape(1, 4, 2, 1) / 4 - 1).requires_grad_()
    nn.CrossMapLRN2d(2, alpha=1.0, beta=0.5, k=2.0)(x).sum().backward()
    assert x.grad.flatten().tolist() == pytest.approx(
        [0.5059644256269407, 0.5804578287183731, 0.5245767323665064, 0.6215005567540199, 0.6324555320336759,
         0.6575959492214292, 0.5878222855698739, 0.529471661730476], abs=1e-12)
    assert nn.CrossMapLRN2d(3)(torch.ones(1, 3, 2, 2)).grad_fn is None
    x = torch.ones(1, 3, 2, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"^start \(1\) \+ length \(3\) exceeds dimension size \(3\).$"):
        nn.CrossMapLRN2d(1)(x).sum().backward()


@pytest.mark.parametrize("indices, error, rows", [
    # rows before the first index past the end are already rescaled, as ATen's loop leaves them
    ([1, 12], "select(): index 12 out of range for tensor of size [4, 2] at dimension 0",
     [[3.0, 4.0], [0.0, 0.9999999403953552], [6.0, 8.0], [0.5, 0.0]]),
    # a negative index rescales its row from the end; the lookup refuses it afterwards
    ([2, -1], "index out of range in self", [[3.0, 4.0], [0.0, 2.0], [0.6000000238418579, 0.800000011920929],
                                             [0.5, 0.0]]),
    ([0, -5], "select(): index -5 out of range for tensor of size [4, 2] at dimension 0",
     [[3.0, 4.0], [0.0, 2.0], [6.0, 8.0], [0.5, 0.0]]),
])
def test_embedding_max_norm_rescales_rows_before_a_bad_index(indices, error, rows):
    weight = torch.tensor([[3.0, 4.0], [0.0, 2.0], [6.0, 8.0], [0.5, 0.0]])
    m = nn.Embedding.from_pretrained(weight, max_norm=1.0)
    with pytest.raises(IndexError) as info:
        m(torch.tensor(indices))
    assert str(info.value) == error
    # (the rescaled values agree to float32 rounding: PyTorch's row norm is not bit-for-bit NumPy's)
    assert m.weight.flatten().tolist() == pytest.approx([v for row in rows for v in row], rel=1e-6)


def test_embedding_bag_max_norm_rescales_rows_before_a_bad_index():
    weight = torch.tensor([[3.0, 4.0], [0.0, 2.0], [6.0, 8.0], [0.5, 0.0]])
    m = nn.EmbeddingBag.from_pretrained(weight, max_norm=1.0, mode="sum")
    with pytest.raises(IndexError, match=r"^select\(\): index 9 out of range for tensor of size \[4, 2\]"):
        m(torch.tensor([3, 2, 9]), torch.tensor([0]))
    assert m.weight.flatten().tolist() == pytest.approx([3.0, 4.0, 0.0, 2.0, 0.6000000238418579, 0.800000011920929,
                                                         0.5, 0.0], rel=1e-6)


# ---------------------------------------------------------------- empty batches
def test_batch_norm_of_an_empty_batch():
    pytest.importorskip("tensorgraft.autograd")
    bn = nn.BatchNorm1d(3)
    bn.running_mean.fill_(0.5)
    x = torch.randn(0, 3, requires_grad=True)
    y = bn(x)
    assert y.shape == (0, 3) and type(y.grad_fn).__name__ == "AddBackward0"
    y.sum().backward()
    assert bn.running_mean.tolist() == [0.5, 0.5, 0.5] and bn.running_var.tolist() == [1.0, 1.0, 1.0]
    assert bn.num_batches_tracked.item() == 1
    assert bn.weight.grad.tolist() == [0.0, 0.0, 0.0] and bn.bias.grad.tolist() == [0.0, 0.0, 0.0]
    F = nn.functional
    assert F.batch_norm(torch.randn(0, 3), None, None, training=True).grad_fn is None
    assert type(F.batch_norm(torch.randn(0, 3, requires_grad=True), None, None, training=True).grad_fn).__name__ \
        == "CloneBackward0"
    assert type(F.batch_norm(torch.randn(0, 3, requires_grad=True), None, None, weight=torch.ones(3),
                             training=True).grad_fn).__name__ == "MulBackward0"
    # the empty path comes before the check of the running statistics
    assert F.batch_norm(torch.randn(0, 3), torch.zeros(3), None, training=True).shape == (0, 3)
    assert nn.BatchNorm1d(4)(torch.randn(2, 4, 0)).shape == (2, 4, 0)
    with pytest.raises(IndexError, match=r"^select\(\): index 0 out of range for tensor of size \[0\] at dimension 0$"):
        F.batch_norm(torch.randn(2, 0), None, None, weight=torch.ones(0), training=True)
    with pytest.raises(ValueError, match=r"^Expected more than 1 value per channel when training, got input size"):
        F.batch_norm(torch.randn(1, 3), torch.zeros(3), None, training=True)


def test_instance_norm_of_empty_inputs():
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True)
    assert m(torch.randn(2, 3, 0)).shape == (2, 3, 0)
    assert m.running_mean.tolist() == [0.0, 0.0, 0.0]
    assert nn.InstanceNorm1d(3)(torch.randn(0, 3, 3)).shape == (0, 3, 3)


def test_empty_reductions_give_nan_without_numpy_warnings():
    pytest.importorskip("tensorgraft.autograd")
    F = nn.functional
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss in (F.mse_loss, F.smooth_l1_loss, F.huber_loss, F.soft_margin_loss):
            x = torch.randn(0, requires_grad=True)
            out = loss(x, torch.randn(0))
            assert math.isnan(out.item())
            out.backward()
            assert x.grad.shape == (0,)
        assert F.layer_norm(torch.randn(2, 0), [0]).shape == (2, 0)
        x = torch.randn(2, 4, 0, requires_grad=True)
        F.layer_norm(x, [4, 0]).sum().backward()
        assert x.grad.shape == (2, 4, 0)
        assert nn.GroupNorm(2, 4)(torch.randn(2, 4, 0)).shape == (2, 4, 0)


def test_multi_margin_loss_of_an_empty_batch_backward():
    pytest.importorskip("tensorgraft.autograd")
    for reduction in ("sum", "none"):
        x = torch.randn(0, 4, requires_grad=True)
        nn.functional.multi_margin_loss(x, torch.zeros(0, dtype=torch.int64), reduction=reduction).sum().backward()
        assert x.grad.shape == (0, 4)


@pytest.mark.parametrize("make, shape, out", [
    (lambda: nn.FractionalMaxPool2d(2, output_size=2, return_indices=True), (0, 4, 3, 3), (0, 4, 2, 2)),
    (lambda: nn.FractionalMaxPool3d(2, output_size=2, return_indices=True), (0, 4, 4, 4, 4), (0, 4, 2, 2, 2)),
])
def test_fractional_max_pool_of_an_empty_batch(make, shape, out):
    pytest.importorskip("tensorgraft.autograd")
    x = torch.randn(*shape, requires_grad=True)
    y, idx = make()(x)
    assert y.shape == out and idx.shape == out
    assert type(y.grad_fn).__name__ == f"FractionalMaxPool{len(out) - 2}DBackward0"
    y.sum().backward()
    assert x.grad.shape == shape
