"""Oracle twins of test_nn_attention_grad.py: sdpa_kernel's accepted arguments and refusals, and
nn.grad's convolution gradients, compared with PyTorch."""
import itertools

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import tensorgraft as tg  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402
from tensorgraft.nn import attention, grad as nngrad  # noqa: E402

TA = pytest.importorskip("torch.nn.attention")
TG = pytest.importorskip("torch.nn.grad")


def test_backend_enum_matches_torch():
    assert [(b.name, int(b)) for b in attention.SDPBackend] == sorted(
        ((n, int(v)) for n, v in TA.SDPBackend.__members__.items()), key=lambda p: p[1])
    for b in attention.SDPBackend:
        tb = getattr(TA.SDPBackend, b.name)
        assert repr(b) == repr(tb) and str(b) == str(tb)
    assert attention._cur_sdpa_kernel_backends() == [
        getattr(attention.SDPBackend, b.name) for b in TA._cur_sdpa_kernel_backends()]


def names(backends):
    return [b.name for b in backends]


CHOICES = [["MATH"], ["FLASH_ATTENTION"], ["EFFICIENT_ATTENTION"], ["CUDNN_ATTENTION"], ["OVERRIDEABLE"], [],
           ["ERROR"], ["ERROR", "MATH"], ["EFFICIENT_ATTENTION", "MATH"], ["MATH", "FLASH_ATTENTION"],
           ["MATH", "MATH"], "MATH", "EFFICIENT_ATTENTION"]


@pytest.mark.parametrize("choice", CHOICES, ids=str)
@pytest.mark.parametrize("priority", [False, True])
def test_sdpa_kernel_on_cpu_matches_torch(choice, priority):
    if priority and "ERROR" in choice:
        pytest.skip("PyTorch's set_priority=True turns ERROR into FLASH_ATTENTION; not reproduced (differences.md)")
    def pick(enum):
        return getattr(enum, choice) if isinstance(choice, str) else [getattr(enum, c) for c in choice]
    q = np.random.default_rng(1).standard_normal((1, 2, 3, 4))
    outcome = {}
    for lib, enum, ctx, sdpa, cur, wrap in (
            ("torch", TA.SDPBackend, TA.sdpa_kernel, torch.nn.functional.scaled_dot_product_attention,
             TA._cur_sdpa_kernel_backends, torch.tensor),
            ("tg", attention.SDPBackend, attention.sdpa_kernel, F.scaled_dot_product_attention,
             attention._cur_sdpa_kernel_backends, tg.tensor)):
        with ctx(pick(enum), set_priority=priority):
            chosen = names(cur())
            try:
                result = sdpa(wrap(q), wrap(q), wrap(q)).numpy()
            except RuntimeError as e:
                result = str(e)
        outcome[lib] = (chosen, result)
    assert outcome["tg"][0] == outcome["torch"][0]
    if isinstance(outcome["torch"][1], str):
        assert outcome["tg"][1] == outcome["torch"][1]
    else:
        np.testing.assert_allclose(outcome["tg"][1], outcome["torch"][1], rtol=1e-10)


@pytest.mark.parametrize("bad", ["math", (0,), None, 3])
def test_sdpa_kernel_bad_argument_matches_torch(bad):
    def convert(enum):
        return (enum.MATH,) if bad == (0,) else bad
    with pytest.raises(AssertionError) as expected:
        with TA.sdpa_kernel(convert(TA.SDPBackend)):
            pass
    with pytest.raises(AssertionError) as got:
        with attention.sdpa_kernel(convert(attention.SDPBackend)):
            pass
    assert str(got.value) == str(expected.value)


COMBOS = [dict(stride=s, padding=p, dilation=d, groups=g)
          for s, p, d, g in itertools.product([1, 2], [0, 1, 2], [1, 2], [1, 2])]


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("kw", COMBOS, ids=lambda k: "-".join(f"{a}{b}" for a, b in k.items()))
def test_conv_grads_match_torch(nd, kw):
    rng = np.random.default_rng(nd * 100 + sum(kw.values()))
    size = 7 if nd < 3 else 6
    x = rng.standard_normal((2, 4) + (size,) * nd)
    w = rng.standard_normal((4, 4 // kw["groups"]) + (3,) * nd)
    out_shape = getattr(torch.nn.functional, f"conv{nd}d")(torch.tensor(x), torch.tensor(w), None, **kw).shape
    go = rng.standard_normal(tuple(out_shape))
    want_i = getattr(TG, f"conv{nd}d_input")(x.shape, torch.tensor(w), torch.tensor(go), **kw).numpy()
    want_w = getattr(TG, f"conv{nd}d_weight")(torch.tensor(x), w.shape, torch.tensor(go), **kw).numpy()
    got_i = getattr(nngrad, f"conv{nd}d_input")(x.shape, tg.tensor(w), tg.tensor(go), **kw).numpy()
    got_w = getattr(nngrad, f"conv{nd}d_weight")(tg.tensor(x), w.shape, tg.tensor(go), **kw).numpy()
    np.testing.assert_allclose(got_i, want_i, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-10, atol=1e-10)


def test_input_size_disambiguates_strided_shapes_like_torch():
    # sizes 5 and 6 both give 3 outputs at stride 2; the requested size decides the gradient's shape
    rng = np.random.default_rng(7)
    w = rng.standard_normal((2, 3, 3))
    go = rng.standard_normal((1, 2, 2))
    for n in (5, 6):
        want = TG.conv1d_input((1, 3, n), torch.tensor(w), torch.tensor(go), stride=2).numpy()
        got = nngrad.conv1d_input((1, 3, n), tg.tensor(w), tg.tensor(go), stride=2).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_second_order_through_conv_input_matches_torch():
    rng = np.random.default_rng(8)
    w = rng.standard_normal((3, 2, 3, 3))
    go = rng.standard_normal((1, 3, 3, 3))
    tw, gw = torch.tensor(w, requires_grad=True), tg.tensor(w, requires_grad=True)
    (TG.conv2d_input((1, 2, 5, 5), tw, torch.tensor(go)) ** 2).sum().backward()
    (nngrad.conv2d_input((1, 2, 5, 5), gw, tg.tensor(go)) ** 2).sum().backward()
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
