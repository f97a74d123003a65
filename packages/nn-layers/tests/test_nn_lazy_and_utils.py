"""Lazy modules, ``parametrizations.orthogonal``, ``stateless.functional_call`` and ``utils.fusion``
without PyTorch (the oracle twins are in test_nn_lazy_and_utils_oracle.py). Device cases run on
every available device (``tg_device``)."""
import copy
import pickle

import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
from tensorgraft.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from tensorgraft.nn.utils import fusion, parametrize, stateless
from tensorgraft.nn.utils.parametrizations import orthogonal
from tensorgraft.testing import assert_close, assert_on_device


def rand(*shape, seed=0):
    return tg.tensor(np.random.default_rng(seed).standard_normal(shape))


# ====================================================================== uninitialized tensors
def test_uninitialized_parameter_placeholders():
    p = UninitializedParameter(dtype=tg.float64)
    assert repr(p) == "<UninitializedParameter>" and p.requires_grad and p.dtype == tg.float64
    assert is_lazy(p) and isinstance(p, nn.Parameter) and not is_lazy(nn.Parameter(tg.zeros(2)))
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        _ = p.shape
    with pytest.raises(ValueError, match=r"uninitialized parameter in <method 'numel'"):
        p.numel()
    with pytest.raises(ValueError, match=r"<method 'add' of"):
        p + 1
    moved = p.to(tg.float32)
    assert type(moved) is UninitializedParameter and moved.dtype == tg.float32
    assert type(copy.deepcopy(p)) is UninitializedParameter
    assert type(pickle.loads(pickle.dumps(p))) is UninitializedParameter
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and p.shape == (2, 3) and p.dtype == tg.float64 and p.requires_grad
    b = UninitializedBuffer(persistent=False)
    assert repr(b) == "<UninitializedBuffer>" and not b.requires_grad and b.persistent is False
    b.materialize((4,), dtype=tg.float64)
    assert type(b) is tg.Tensor and b.shape == (4,) and b.dtype == tg.float64


# ====================================================================== lazy modules
LAZY = [
    (lambda: nn.LazyLinear(5), (2, 7), nn.Linear, "LazyLinear(in_features=0, out_features=5, bias=True)",
     "Linear(in_features=7, out_features=5, bias=True)"),
    (lambda: nn.LazyConv1d(4, 3), (2, 3, 8), nn.Conv1d, "LazyConv1d(0, 4, kernel_size=(3,), stride=(1,))",
     "Conv1d(3, 4, kernel_size=(3,), stride=(1,))"),
    (lambda: nn.LazyConv2d(4, 3, padding=1, bias=False), (1, 2, 5, 5), nn.Conv2d,
     "LazyConv2d(0, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)",
     "Conv2d(2, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=False)"),
    (lambda: nn.LazyConv3d(2, 2), (1, 3, 3, 3, 3), nn.Conv3d, None, None),
    (lambda: nn.LazyConvTranspose1d(2, 3), (1, 4, 5), nn.ConvTranspose1d, None, None),
    (lambda: nn.LazyConvTranspose2d(4, 3, groups=2), (1, 6, 5, 5), nn.ConvTranspose2d,
     "LazyConvTranspose2d(0, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)",
     "ConvTranspose2d(6, 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"),
    (lambda: nn.LazyConvTranspose3d(2, 2), (1, 3, 2, 2, 2), nn.ConvTranspose3d, None, None),
    (lambda: nn.LazyBatchNorm1d(), (4, 3), nn.BatchNorm1d,
     "LazyBatchNorm1d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
     "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda: nn.LazyBatchNorm2d(affine=False), (2, 3, 4, 4), nn.BatchNorm2d, None, None),
    (lambda: nn.LazyBatchNorm3d(track_running_stats=False), (2, 3, 2, 2, 2), nn.BatchNorm3d, None, None),
    (lambda: nn.LazyInstanceNorm1d(), (2, 3, 5), nn.InstanceNorm1d, None, None),
    (lambda: nn.LazyInstanceNorm2d(), (2, 3, 4, 4), nn.InstanceNorm2d,
     "LazyInstanceNorm2d(0, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)",
     "InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"),
    (lambda: nn.LazyInstanceNorm3d(affine=False), (2, 3, 2, 2, 2), nn.InstanceNorm3d,
     None, None),
]


@pytest.mark.parametrize("make,shape,regular,before,after", LAZY, ids=[c[2].__name__ for c in LAZY])
def test_lazy_module_becomes_the_regular_one(make, shape, regular, before, after):
    m = make()
    assert isinstance(m, nn.modules.lazy.LazyModuleMixin) and m.has_uninitialized_params()
    if before:
        assert repr(m) == before
    y = m(rand(*shape).float())
    assert type(m) is regular and not hasattr(m, "has_uninitialized_params")
    assert not any(is_lazy(t) for t in list(m.parameters()) + list(m.buffers()))
    assert not hasattr(m, "_initialize_hook") and not m._forward_pre_hooks and not m._load_state_dict_pre_hooks
    if after:
        assert repr(m) == after
    y2 = m(rand(*shape).float())       # and runs again as the regular module
    assert y2.shape == y.shape


def test_lazy_linear_matches_linear_with_its_weights():
    m = nn.LazyLinear(3, dtype=tg.float64)
    x = rand(4, 6)
    y = m(x)
    ref = nn.Linear(6, 3, dtype=tg.float64)
    ref.load_state_dict(m.state_dict())
    assert_close(y, ref(x))
    # the kaiming bound of a Linear with 6 inputs
    assert float(m.weight.abs().max()) <= 1 / np.sqrt(6) + 1e-7


def test_lazy_state_dict_and_loading():
    m = nn.LazyBatchNorm1d()
    sd = m.state_dict()
    assert list(sd) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert repr(sd["weight"]) == "<UninitializedParameter>" and repr(sd["running_mean"]) == "<UninitializedBuffer>"
    # a lazy checkpoint into a lazy module: nothing to materialize
    m.load_state_dict(nn.LazyBatchNorm1d().state_dict())
    assert m.has_uninitialized_params()
    # a regular checkpoint materializes (the class changes at the next forward)
    ref = nn.BatchNorm1d(3)
    ref.running_mean.fill_(0.5)
    m.load_state_dict(ref.state_dict())
    assert type(m) is nn.LazyBatchNorm1d and not m.has_uninitialized_params()
    assert_close(m.running_mean, ref.running_mean)
    lin = nn.LazyLinear(2)
    lin.load_state_dict(nn.Linear(5, 2).state_dict())
    lin(tg.randn(3, 5))
    assert type(lin) is nn.Linear and lin.in_features == 5
    # a lazy checkpoint into a regular module: PyTorch's error
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter or buffer"):
        nn.Linear(3, 2).load_state_dict(nn.LazyLinear(2).state_dict())


def test_lazy_dtype_move_is_remembered_and_optimizer_sees_materialized():
    pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
    m = nn.LazyLinear(4).double()
    m2 = nn.LazyBatchNorm1d().to(tg.float64)
    assert type(m2.running_mean) is UninitializedBuffer
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    y = m(tg.randn(2, 3, dtype=tg.float64))
    m2(tg.randn(5, 3, dtype=tg.float64))
    assert m.weight.dtype == tg.float64 and m2.running_var.dtype == tg.float64
    y.sum().backward()
    before = m.weight.detach().clone()
    opt.step()
    assert opt.param_groups[0]["params"][0] is m.weight
    assert not tg.equal(before, m.weight)
    assert (m.weight.dtype, m.bias.dtype) == (tg.float64, tg.float64)


def test_lazy_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.LazyConv1d(4, 3, groups=2)(tg.randn(1, 3, 5))
    with pytest.raises(RuntimeError, match=r"Expected 2D \(unbatched\) or 3D \(batched\) input to LazyConv1d"):
        nn.LazyConv1d(4, 3)(tg.randn(5))
    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented for Lazy"):
        class Lazy(nn.modules.lazy.LazyModuleMixin, nn.Module):
            def forward(self, x):
                return x
        Lazy()(tg.randn(2))
    with pytest.raises(ValueError, match=r"uninitialized parameter in <method 'numel'"):
        sum(p.numel() for p in nn.LazyLinear(3).parameters())


def test_lazy_deepcopy_is_independent():
    m = nn.LazyLinear(3)
    c = copy.deepcopy(m)
    c(tg.randn(2, 4))
    assert type(c) is nn.Linear and type(m) is nn.LazyLinear and m.has_uninitialized_params()


def test_lazy_modules_built_and_run_on_device(tg_device):
    m = nn.LazyConv2d(3, 2, device=tg_device, dtype=tg.float64)
    assert m.weight.device.type == tg.device(tg_device).type and m.weight.dtype == tg.float64
    y = m(tg.randn(1, 2, 4, 4, dtype=tg.float64, device=tg_device))
    assert_on_device(y, tg_device)
    assert_on_device(m.weight, tg_device)
    bn = nn.LazyBatchNorm2d().to(tg_device)
    assert_on_device(bn(tg.randn(2, 3, 2, 2, device=tg_device)), tg_device)
    assert_on_device(bn.running_mean, tg_device)


# ====================================================================== orthogonal
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 3)])
@pytest.mark.parametrize("omap", [None, "matrix_exp", "cayley", "householder"])
@pytest.mark.parametrize("triv", [True, False])
def test_orthogonal_is_orthogonal_and_differentiable(shape, omap, triv):
    tg.manual_seed(0)
    m = nn.Module()
    m.weight = nn.Parameter(tg.randn(*shape, dtype=tg.float64))
    orthogonal(m, orthogonal_map=omap, use_trivialization=triv)
    assert parametrize.is_parametrized(m, "weight")
    W = m.weight
    n, k = shape[-2:]
    G = W.mT @ W if n >= k else W @ W.mT
    assert_close(G, tg.eye(min(n, k), dtype=tg.float64).expand_as(G), atol=1e-10, rtol=0)
    expected = "matrix_exp" if omap is None and n == k else ("householder" if omap is None else omap)
    assert m.parametrizations.weight[0].orthogonal_map.name == expected
    (W * rand(*shape, seed=1)).sum().backward()
    g = m.parametrizations.weight.original.grad
    assert g is not None and g.shape == shape and float(g.abs().sum()) > 0


def test_orthogonal_assign_and_gradient_step_stays_orthogonal():
    pytest.importorskip("tensorgraft.optim", reason="needs tensorgraft-optim")
    m = nn.Linear(4, 4, dtype=tg.float64)
    orthogonal(m)
    Q, _ = tg.linalg.qr(rand(4, 4, seed=3))
    m.weight = Q
    assert_close(m.weight, Q, atol=1e-10, rtol=0)
    opt = tg.optim.SGD(m.parameters(), lr=0.1)
    (m(rand(3, 4)) ** 2).sum().backward()
    opt.step()
    W = m.weight
    assert_close(W.mT @ W, tg.eye(4, dtype=tg.float64), atol=1e-10, rtol=0)
    assert not tg.allclose(W, Q)


def test_orthogonal_householder_assign_without_trivialization():
    m = nn.Linear(3, 5, dtype=tg.float64)
    orthogonal(m, orthogonal_map="householder", use_trivialization=False)
    Q, _ = tg.linalg.qr(rand(5, 3, seed=4))
    m.weight = Q
    assert_close(m.weight, Q, atol=1e-10, rtol=0)


def test_orthogonal_errors():
    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                                         'Got: foo'):
        orthogonal(m, orthogonal_map="foo")
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
        orthogonal(m, name="bias")
    with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
        orthogonal(m, name="nope")
    orthogonal(m, orthogonal_map="cayley", use_trivialization=False)
    with pytest.raises(NotImplementedError, match="It is not possible to assign to the matrix exponential"):
        m.weight = tg.eye(3)
    with pytest.raises(ValueError, match=r"Expected a matrix or batch of matrices of shape torch.Size\(\[3, 3\]\)"):
        m.weight = tg.eye(2)
    c = nn.Module()
    c.weight = nn.Parameter(tg.randn(3, 3, dtype=tg.complex64))
    with pytest.raises(ValueError, match="The householder parametrization does not support complex tensors."):
        orthogonal(c, orthogonal_map="householder")


def test_orthogonal_on_device(tg_device):
    m = nn.Linear(3, 3, dtype=tg.float64).to(tg_device)
    orthogonal(m)
    W = m.weight
    assert_on_device(W, tg_device)
    assert_close(W.mT @ W, tg.eye(3, dtype=tg.float64, device=tg_device), atol=1e-10, rtol=0)


# ====================================================================== functional_call
def test_functional_call_uses_given_tensors_and_restores():
    m = nn.Linear(3, 2, dtype=tg.float64)
    w0, b0 = m.weight, m.bias
    w = rand(2, 3, seed=5).requires_grad_()
    x = rand(4, 3, seed=6)
    with pytest.warns(FutureWarning, match="stateless.functional_call` is deprecated"):
        y = stateless.functional_call(m, {"weight": w}, (x,))
    assert_close(y, x @ w.mT + b0)
    assert m.weight is w0 and m.bias is b0 and "weight" in m._parameters
    y.sum().backward()
    assert w.grad is not None and w0.grad is None
    # kwargs, a single non-tuple arg, buffers
    bn = nn.BatchNorm1d(3, dtype=tg.float64).eval()
    rm = tg.ones(3, dtype=tg.float64)
    with pytest.warns(FutureWarning):
        out = stateless.functional_call(bn, {"running_mean": rm}, x)
    assert_close(out, (x - 1) / tg.sqrt(tg.tensor(1 + 1e-5, dtype=tg.float64)))
    assert float(bn.running_mean.abs().sum()) == 0


def test_functional_call_strict_tied_and_restored_on_error():
    m = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    m[1].weight = m[0].weight            # tied
    w = tg.zeros(2, 2)
    fc = stateless._func_functional_call
    y = fc(m, {"0.weight": w}, tg.ones(1, 2))
    assert_close(y, m[1].bias.detach().expand(1, 2))          # both layers used the zero weight
    fc(m, {"0.weight": w}, tg.ones(1, 2), tie_weights=False)
    with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['0.weight', '1.weight'\], "
                                         "which are tied. Consider using tie_weights=False"):
        fc(m, {"0.weight": w, "1.weight": tg.ones(2, 2)}, tg.ones(1, 2))
    with pytest.raises(RuntimeError, match="Error\\(s\\) in reparametrizing for Sequential:\n\tUnexpected key\\(s\\): "
                                           "'x'.\n\tMissing key\\(s\\): '0.bias', '1.bias'."):
        fc(m, {"0.weight": w, "x": w}, tg.ones(1, 2), strict=True)
    orig = m[0].bias
    with pytest.raises(RuntimeError):
        fc(m, {"0.bias": tg.zeros(5)}, tg.ones(1, 2))
    assert m[0].bias is orig
    with pytest.raises(ValueError, match=r"\['0.bias'\] appeared in multiple dictionaries"):
        fc(m, ({"0.bias": w}, {"0.bias": w}), tg.ones(1, 2))
    with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts"):
        fc(m, 3, tg.ones(1, 2))
    y = fc(m, ({"0.weight": w}, {"0.bias": tg.zeros(2)}), tg.ones(1, 2))
    assert_close(y, m[1].bias.detach().expand(1, 2))


# ====================================================================== fusion
@pytest.mark.parametrize("conv,bn,shape,transpose", [
    (lambda: nn.Conv2d(3, 4, 3), lambda: nn.BatchNorm2d(4), (2, 3, 6, 6), False),
    (lambda: nn.Conv1d(3, 4, 2, bias=False), lambda: nn.BatchNorm1d(4), (2, 3, 6), False),
    (lambda: nn.ConvTranspose2d(3, 4, 3), lambda: nn.BatchNorm2d(4), (2, 3, 4, 4), True),
    (lambda: nn.Conv3d(2, 3, 2), lambda: nn.BatchNorm3d(3, affine=False), (1, 2, 3, 3, 3), False),
])
def test_fuse_conv_bn_eval_equals_conv_then_bn(conv, bn, shape, transpose):
    tg.manual_seed(0)
    c, b = conv().double(), bn().double()
    b.train()
    b(c(rand(*shape)))            # non-trivial running statistics
    if b.affine:
        with tg.no_grad():
            b.weight.uniform_(0.5, 2.0)
            b.bias.uniform_(-1.0, 1.0)
    c.eval()
    b.eval()
    fused = fusion.fuse_conv_bn_eval(c, b, transpose=transpose)
    assert type(fused) is type(c) and fused is not c and isinstance(fused.bias, nn.Parameter)
    x = rand(*shape, seed=9)
    assert_close(fused(x), b(c(x)), atol=1e-10, rtol=1e-10)
    assert c.bias is None or not tg.equal(c.bias, fused.bias)


def test_fuse_linear_bn_eval_and_weights():
    lin, bn = nn.Linear(3, 4).double(), nn.BatchNorm1d(4).double()
    bn(lin(rand(8, 3)))
    lin.eval()
    bn.eval()
    fused = nn.utils.fuse_linear_bn_eval(lin, bn)
    x = rand(5, 3, seed=2)
    assert_close(fused(x), bn(lin(x)), atol=1e-10, rtol=1e-10)
    w, b = fusion.fuse_linear_bn_weights(lin.weight, None, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    assert isinstance(w, nn.Parameter) and w.requires_grad and not b.requires_grad
    assert_close(x @ w.mT + b, bn(x @ lin.weight.mT), atol=1e-10, rtol=1e-10)
    w, b = fusion.fuse_conv_bn_weights(lin.weight, lin.bias, bn.running_mean, bn.running_var, bn.eps, None, None)
    assert_close(x @ w.mT + b, (lin(x) - bn.running_mean) / tg.sqrt(bn.running_var + bn.eps), atol=1e-10, rtol=1e-10)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fusion.fuse_linear_bn_eval(lin.train(), bn)
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        fusion.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1).eval())
    with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features or bn.num_features == 1"):
        fusion.fuse_linear_bn_eval(lin.eval(), nn.BatchNorm1d(3).eval())
    with pytest.raises(AssertionError, match="bn.running_mean and bn.running_var must not be None"):
        fusion.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1).eval(), nn.BatchNorm2d(1, track_running_stats=False).eval())


def test_fusion_on_device(tg_device):
    c, b = nn.Conv2d(2, 3, 3).to(tg_device).eval(), nn.BatchNorm2d(3).to(tg_device).eval()
    fused = fusion.fuse_conv_bn_eval(c, b)
    x = tg.randn(1, 2, 5, 5, device=tg_device)
    assert_on_device(fused.weight, tg_device)
    assert_close(fused(x), b(c(x)), atol=1e-5, rtol=1e-5)
