"""nn, autograd and optim warnings against PyTorch's: same category and text, and where PyTorch's
names the user's line (this file), ours names that line too. Where PyTorch names one of its own
files (a Python warning whose stacklevel stops inside torch), ours may name ours or the user's line,
never some other frame of the caller's."""
import re
import warnings

import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn  # noqa: E402,F401
import tensorgraft.optim  # noqa: E402,F401
import tensorgraft.utils.checkpoint  # noqa: E402,F401
pytest.importorskip("torch.utils.checkpoint")

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# ------------------------------------------------------------------ raised from C++ in PyTorch
@case
def conv1d_uneven_same(t):
    return t.nn.functional.conv1d(t.ones(1, 1, 5), t.ones(1, 1, 2), padding="same")


@case
def conv2d_uneven_same(t):
    return t.nn.functional.conv2d(t.ones(1, 1, 5, 5), t.ones(1, 1, 2, 2), padding="same")


@case
def conv3d_uneven_same(t):
    return t.nn.functional.conv3d(t.ones(1, 1, 4, 4, 4), t.ones(1, 1, 2, 2, 2), padding="same")


@case
def full_backward_hook_no_input_grads(t):
    m = t.nn.Linear(2, 2)
    m.register_full_backward_hook(lambda *a: None)
    m(t.ones(1, 2)).sum().backward()


# ------------------------------------------------------------------ Python warnings
@case
def conv_module_uneven_same(t):
    return t.nn.Conv2d(1, 1, 2, padding="same")(t.ones(1, 1, 4, 4))


@case
def create_graph_method(t):
    x = t.ones(2, requires_grad=True)
    (x * x).sum().backward(create_graph=True)


@case
def create_graph_function(t):
    x = t.ones(2, requires_grad=True)
    t.autograd.backward((x * x).sum(), create_graph=True)


@case
def nllloss2d(t):
    return t.nn.NLLLoss2d()


@case
def container(t):
    return t.nn.Container()


@case
def hardtanh_min_value(t):
    return t.nn.Hardtanh(min_value=-1.0)


@case
def softmax_implicit_dim(t):
    return t.nn.functional.softmax(t.ones(2, 2))


@case
def log_softmax_implicit_dim(t):
    return t.nn.functional.log_softmax(t.ones(2, 2))


@case
def softmax_module_implicit_dim(t):
    return t.nn.Softmax()(t.ones(2, 2))


@case
def transformer_nested_tensor(t):
    return t.nn.TransformerEncoder(t.nn.TransformerEncoderLayer(4, 1), 1)


@case
def mha_mismatched_masks(t):
    m = t.nn.MultiheadAttention(4, 1, batch_first=True)
    q = t.ones(1, 2, 4)
    return m(q, q, q, key_padding_mask=t.zeros(1, 2, dtype=t.bool), attn_mask=t.zeros(2, 2))


@case
def rnn_dropout_one_layer(t):
    return t.nn.RNN(2, 2, num_layers=1, dropout=0.5)


@case
def init_zero_element(t):
    return t.nn.init.kaiming_uniform_(t.empty(0, 3))


@case
def init_deprecated_name(t):
    return t.nn.init.uniform(t.empty(3))


@case
def trunc_normal_far_mean(t):
    return t.nn.init.trunc_normal_(t.empty(3), mean=10.0)


@case
def embedding_bag_argument_order(t):
    return t.nn.functional.embedding_bag(t.ones(5, 2), t.tensor([[0, 1]]))


@case
def grid_sample_align_corners(t):
    return t.nn.functional.grid_sample(t.ones(1, 1, 2, 2), t.zeros(1, 1, 1, 2))


@case
def upsample_deprecated(t):
    return t.nn.functional.upsample(t.ones(1, 1, 2), scale_factor=2)


@case
def gumbel_softmax_eps(t):
    return t.nn.functional.gumbel_softmax(t.ones(2), eps=0.1)


@case
def dropout2d_3d_input(t):
    return t.nn.functional.dropout2d(t.ones(1, 2, 3))


@case
def dropout2d_module_3d_input(t):
    return t.nn.Dropout2d()(t.ones(1, 2, 3))


@case
def instance_norm_num_features(t):
    return t.nn.InstanceNorm1d(3)(t.ones(2, 4, 5))


@case
def clip_grad_norm_deprecated(t):
    return t.nn.utils.clip_grad_norm([t.nn.Parameter(t.ones(2))], 1.0)


@case
def weight_norm_deprecated(t):
    return t.nn.utils.weight_norm(t.nn.Linear(2, 2))


@case
def variable_volatile(t):
    return t.autograd.Variable(t.ones(2), volatile=True)


@case
def grad_only_inputs(t):
    x = t.ones(2, requires_grad=True)
    return t.autograd.grad((x * x).sum(), x, only_inputs=False)


@case
def anomaly_mode_enabled(t):
    with t.autograd.detect_anomaly():
        pass


@case
def checkpoint_use_reentrant_unset(t):
    x = t.ones(2, requires_grad=True)
    return t.utils.checkpoint.checkpoint(lambda a: a * 2, x)


@case
def plateau_epoch(t):
    opt = t.optim.SGD([t.nn.Parameter(t.ones(1))], lr=0.1)
    t.optim.lr_scheduler.ReduceLROnPlateau(opt).step(1.0, epoch=1)


@case
def scheduler_before_optimizer(t):
    opt = t.optim.SGD([t.nn.Parameter(t.ones(1))], lr=0.1)
    t.optim.lr_scheduler.StepLR(opt, 1).step()


@case
def scheduler_epoch(t):
    opt = t.optim.SGD([t.nn.Parameter(t.ones(1))], lr=0.1)
    sched = t.optim.lr_scheduler.StepLR(opt, 1)
    opt.step()
    sched.step(1)


@case
def scheduler_get_lr(t):
    opt = t.optim.SGD([t.nn.Parameter(t.ones(1))], lr=0.1)
    return t.optim.lr_scheduler.StepLR(opt, 1).get_lr()


@case
def optimizer_duplicate_parameters(t):
    p = t.nn.Parameter(t.ones(1))
    return t.optim.SGD([p, p], lr=0.1)


def _warnings_of(lib, fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(lib)
    return [(w.category, re.sub(r" ?\(Triggered internally at .*", "", str(w.message), flags=re.S).rstrip(),
             w.filename, w.lineno) for w in caught]


@pytest.fixture
def warn_always():
    before = torch.is_warn_always_enabled(), tg.is_warn_always_enabled()
    torch.set_warn_always(True)
    tg.set_warn_always(True)
    yield
    torch.set_warn_always(before[0])
    tg.set_warn_always(before[1])


def _lines_of(fn):
    first = fn.__code__.co_firstlineno
    return range(first, first + 12)


@pytest.mark.usefixtures("warn_always")
@pytest.mark.parametrize("name", sorted(CASES))
def test_warning_matches_pytorchs_text_and_location(name):
    fn = CASES[name]
    theirs, ours = _warnings_of(torch, fn), _warnings_of(tg, fn)
    assert theirs, "the case must make PyTorch warn"
    assert [w[:2] for w in ours] == [w[:2] for w in theirs]
    for (_, _, their_file, their_line), (_, message, our_file, our_line) in zip(theirs, ours):
        if their_file == __file__:
            assert (our_file, our_line) == (their_file, their_line), message
        elif our_file == __file__:
            assert our_line in _lines_of(fn), message  # the user's line, not the test harness's
        else:
            assert "tensorgraft" in our_file, message
