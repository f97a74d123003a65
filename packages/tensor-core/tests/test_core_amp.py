"""tensorgraft.amp: autocast result dtypes per op, GradScaler's skipping and scale schedule."""
from __future__ import annotations

import warnings

import pytest

import tensorgraft as tg

pytest.importorskip("tensorgraft.nn")
F = tg.nn.functional


def test_lower_precision_and_float32_lists():
    a, b = tg.randn(3, 4), tg.randn(4, 2)
    with tg.autocast("cpu", dtype=tg.float16):
        assert tg.is_autocast_enabled("cpu") and tg.get_autocast_dtype("cpu") is tg.float16
        assert (a @ b).dtype is tg.float16
        assert tg.mm(a, b).dtype is tg.float16
        assert tg.bmm(a[None], b[None]).dtype is tg.float16
        assert F.linear(a, b.t(), tg.zeros(2)).dtype is tg.float16
        assert F.conv2d(tg.randn(1, 1, 4, 4), tg.randn(2, 1, 3, 3)).dtype is tg.float16
        h = a @ b
        # PyTorch's CPU float32 list has the losses; softmax and the norms are float32 on CUDA only
        assert F.cross_entropy(h, tg.tensor([0, 1, 1])).dtype is tg.float32
        assert F.mse_loss(h, h).dtype is tg.float32
        assert F.softmax(h, -1).dtype is tg.float16
        assert (a.double() @ b.double()).dtype is tg.float64  # float64 is never cast
        with tg.autocast("cpu", enabled=False):
            assert (a @ b).dtype is tg.float32
        assert (a @ b).dtype is tg.float16
    assert not tg.is_autocast_enabled("cpu")
    assert (a @ b).dtype is tg.float32


def test_decorator_and_gradients_flow_to_float32_leaves():
    w = tg.randn(4, 2, requires_grad=True)

    @tg.autocast("cpu", dtype=tg.float16)
    def f(x):
        return (x @ w).float().sum()

    f(tg.randn(3, 4)).backward()
    assert w.grad.dtype is tg.float32


def test_cpu_autocast_defaults_to_bfloat16():
    a = tg.randn(3, 4, generator=tg.Generator().manual_seed(0))
    with tg.autocast("cpu"):
        assert tg.is_autocast_enabled("cpu") and tg.get_autocast_dtype("cpu") is tg.bfloat16
        assert (a @ a.T).dtype is tg.bfloat16
    assert (a @ a.T).dtype is tg.float32
    with pytest.warns(UserWarning, match="In CPU autocast, but the target dtype is not supported"):
        ctx = tg.autocast("cpu", dtype=tg.float64)
    with ctx:
        assert not tg.is_autocast_enabled("cpu")
    with pytest.raises(ValueError, match="Expected `device_type` of type `str`"):
        tg.autocast(tg.device("cpu"))


class _Opt:
    def __init__(self, params):
        self.param_groups = [{"params": params}]
        self.steps = 0

    def step(self):
        self.steps += 1


def test_grad_scaler_skips_on_inf_and_schedules_scale():
    p = tg.ones(2, requires_grad=True)
    opt = _Opt([p])
    s = tg.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    for bad, want_scale, want_steps in ((False, 8.0, 1), (False, 16.0, 2), (True, 8.0, 2), (False, 8.0, 3)):
        p.grad = None
        s.scale((p * (float("inf") if bad else 1.0)).sum()).backward()
        s.step(opt)
        s.update()
        assert s.get_scale() == want_scale and opt.steps == want_steps
    assert p.grad.tolist() == [1.0, 1.0]  # unscaled
    sd = s.state_dict()
    assert sd == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2,
                  "_growth_tracker": 1}
    s2 = tg.amp.GradScaler("cpu")
    s2.load_state_dict(sd)
    assert s2.state_dict() == sd


def test_deprecated_aliases_and_cuda_scaler_without_cuda():
    with pytest.warns(FutureWarning, match=r"`torch.cpu.amp.GradScaler\(args...\)` is deprecated"):
        tg.cpu.amp.GradScaler()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        s = tg.amp.GradScaler()
    if not tg.cuda.is_available():
        assert not s.is_enabled() and s.get_scale() == 1.0


def test_addmm_family_is_on_the_lower_precision_list():
    # PyTorch 2.13's CPU list holds addmm, baddbmm and addbmm (not addmv)
    a, b, c, v = tg.ones(2, 3), tg.ones(3, 3), tg.ones(2, 3), tg.ones(3)
    with tg.autocast("cpu"):
        assert tg.addmm(c, a, b).dtype is tg.bfloat16
        assert tg.baddbmm(tg.ones(1, 2, 3), a[None], b[None]).dtype is tg.bfloat16
        assert tg.addbmm(c, a[None], b[None]).dtype is tg.bfloat16
        assert tg.addmv(v[:2], a, v).dtype is tg.float32
    with tg.autocast("cpu", dtype=tg.float16):
        assert tg.addmm(c, a, b).dtype is tg.float16


# the rest of PyTorch's CPU float32 list (its AutocastCPUTestLists and OpInfos under autocast, which
# tests/test_pytorch_autocast_oracle.py runs against PyTorch): bfloat16 operands come out float32
_B = lambda *shape: tg.randn(*shape).to(tg.bfloat16)  # noqa: E731
FLOAT32_LIST = {
    "cosine_embedding_loss": lambda: F.cosine_embedding_loss(_B(2, 3), _B(2, 3), tg.tensor([1, -1])),
    "hinge_embedding_loss": lambda: F.hinge_embedding_loss(_B(4), tg.tensor([1, -1, 1, -1])),
    "margin_ranking_loss": lambda: F.margin_ranking_loss(_B(4), _B(4), tg.ones(4).to(tg.bfloat16)),
    "triplet_margin_loss": lambda: F.triplet_margin_loss(_B(2, 3), _B(2, 3), _B(2, 3)),
    "binary_cross_entropy": lambda: F.binary_cross_entropy(_B(4).sigmoid(), tg.rand(4).to(tg.bfloat16)),
    "huber_loss": lambda: F.huber_loss(_B(4), _B(4)),
    "soft_margin_loss": lambda: F.soft_margin_loss(_B(4), tg.ones(4)),
    "multi_margin_loss": lambda: F.multi_margin_loss(_B(2, 3), tg.tensor([0, 2])),
    "multilabel_margin_loss": lambda: F.multilabel_margin_loss(_B(2, 3), tg.tensor([[0, -1, 1], [2, 1, -1]])),
    "avg_pool3d": lambda: F.avg_pool3d(_B(1, 2, 2, 2), 2),
    "max_pool3d": lambda: F.max_pool3d(_B(1, 2, 2, 2), 2),
    "adaptive_avg_pool3d": lambda: F.adaptive_avg_pool3d(_B(1, 2, 2, 2), 1),
    "adaptive_max_pool3d": lambda: F.adaptive_max_pool3d(_B(1, 2, 2, 2), 1),
    "pad reflect": lambda: F.pad(_B(1, 2, 4), (1, 1), mode="reflect"),
    "pad replicate": lambda: F.pad(_B(1, 2, 4), (1, 1), mode="replicate"),
    "grid_sample": lambda: F.grid_sample(_B(1, 1, 3, 3), _B(1, 2, 2, 2).tanh(), align_corners=False),
    "max_unpool2d": lambda: F.max_unpool2d(*F.max_pool2d(_B(1, 1, 2, 2), 2, return_indices=True), 2),
    "prod": lambda: tg.prod(_B(3)),
    "trace": lambda: tg.trace(_B(2, 2)),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_LIST))
def test_the_float32_list_runs_bfloat16_operands_in_float32(name):
    with tg.autocast("cpu"):
        assert FLOAT32_LIST[name]().dtype is tg.float32
    # (outside autocast: their own dtype; avg_pool3d and the multi-class margin losses refuse bfloat16,
    # as PyTorch's CPU kernels do)
    if name not in ("avg_pool3d", "multi_margin_loss", "multilabel_margin_loss"):
        assert FLOAT32_LIST[name]().dtype is tg.bfloat16
    else:
        with pytest.raises(NotImplementedError, match="not implemented for 'BFloat16'"):
            FLOAT32_LIST[name]()


def test_float32_list_edges():
    with tg.autocast("cpu"):
        # max_pool3d's with-indices form is not on the list; circular and constant pads neither
        assert F.max_pool3d(_B(1, 2, 2, 2), 2, return_indices=True)[0].dtype is tg.bfloat16
        assert F.pad(_B(1, 2, 4), (1, 1), mode="circular").dtype is tg.bfloat16
        # ormqr runs in float32 and nothing inside it is lowered (its products included)
        a, tau = tg.geqrf(tg.randn(3, 3))
        assert tg.ormqr(a, tau, tg.randn(3, 2)).dtype is tg.float32
        # linalg.vecdot is on the lower-precision list
        assert tg.linalg.vecdot(tg.randn(3), tg.randn(3)).dtype is tg.bfloat16
    with pytest.raises(NotImplementedError, match="avg_pool3d_out_frame"):  # (outside autocast, as PyTorch)
        F.avg_pool3d(_B(1, 2, 2, 2), 2)


def test_torch_margin_ranking_loss_broadcasts_ranks_as_atens_op():
    x, y = tg.randn(3, 4), tg.randn(3, 4)
    loss = tg.margin_ranking_loss(x, y, tg.ones(4), 0.0, 0)  # (F's form checks the ranks; ATen's broadcasts)
    assert tuple(loss.shape) == (3, 4)
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(x, y, tg.ones(4))
