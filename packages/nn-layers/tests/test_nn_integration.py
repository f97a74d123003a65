"""End-to-end: a small ResNet (conv/bn/relu/downsample/avgpool/fc) against torch, the seed tutorial's
freeze-and-replace-head fine-tuning, padding/shuffle modules and extra losses."""
import numpy as np
import pytest

import tensorgraft as tg
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def sync(m, t):
    t.load_state_dict({k: torch.tensor(np.array(v.detach().numpy())) for k, v in m.state_dict().items()})


def make_resnet(l):
    class BasicBlock(l.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = l.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = l.BatchNorm2d(cout)
            self.relu = l.ReLU(inplace=True)
            self.conv2 = l.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = l.BatchNorm2d(cout)
            self.downsample = None
            if stride != 1 or cin != cout:
                self.downsample = l.Sequential(l.Conv2d(cin, cout, 1, stride, bias=False), l.BatchNorm2d(cout))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + idt)

    class ResNet(l.Module):
        def __init__(self, num_classes=7):
            super().__init__()
            self.conv1 = l.Conv2d(3, 8, 7, 2, 3, bias=False)
            self.bn1 = l.BatchNorm2d(8)
            self.relu = l.ReLU(inplace=True)
            self.maxpool = l.MaxPool2d(3, 2, 1)
            self.layer1 = l.Sequential(BasicBlock(8, 8, 1))
            self.layer2 = l.Sequential(BasicBlock(8, 16, 2))
            self.avgpool = l.AdaptiveAvgPool2d((1, 1))
            self.fc = l.Linear(16, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer2(self.layer1(x))
            return self.fc(self.avgpool(x).flatten(1))
    return ResNet()


def test_mini_resnet_matches_torch_train_and_eval():
    m, t = make_resnet(nn), make_resnet(tnn)
    assert repr(m) == repr(t)
    assert list(m.state_dict()) == list(t.state_dict())
    sync(m, t)
    x = rand(2, 3, 32, 32)
    y = np.array([1, 5])
    loss = F.cross_entropy(m(tg.tensor(x)), tg.tensor(y))
    losst = TF.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
    np.testing.assert_allclose(loss.item(), losst.item(), rtol=1e-4)
    loss.backward()
    losst.backward()
    for (n, p), (_, pt) in zip(m.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), pt.grad.numpy(), rtol=2e-3, atol=2e-5, err_msg=n)
    for (n, b), (_, bt) in zip(m.named_buffers(), t.named_buffers()):
        np.testing.assert_allclose(b.numpy(), bt.numpy(), rtol=1e-4, atol=1e-6, err_msg=n)
    m.eval()
    t.eval()
    with tg.no_grad():
        out = m(tg.tensor(x))
    with torch.no_grad():
        outt = t(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), outt.numpy(), rtol=1e-4, atol=1e-5)


def test_seed_finetune_only_new_head():
    model = make_resnet(nn)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(16, 10)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    data = tg.rand(1, 3, 64, 64)
    prediction = model(data)
    assert prediction.shape == (1, 10)
    (prediction - tg.rand(1, 10)).sum().backward()
    assert model.conv1.weight.grad is None and model.fc.weight.grad is not None
    with tg.no_grad():
        for p in model.fc.parameters():
            p -= 1e-2 * p.grad


def test_padding_shuffle_modules_and_extra_losses():
    x = rand(2, 4, 5, 6)
    for mk in [lambda l: l.ZeroPad2d((1, 2, 0, 1)), lambda l: l.ReflectionPad2d(2), lambda l: l.ReplicationPad2d(1),
               lambda l: l.ConstantPad1d(2, 1.5), lambda l: l.PixelShuffle(2), lambda l: l.PixelUnshuffle(1),
               lambda l: l.Hardshrink(0.3), lambda l: l.Softshrink(0.3)]:
        a = tg.tensor(x, requires_grad=True)
        at = torch.tensor(x, requires_grad=True)
        y, yt = mk(nn)(a), mk(tnn)(at)
        np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
        g = rand(*yt.shape, seed=1)
        y.backward(tg.tensor(g))
        yt.backward(torch.tensor(g))
        np.testing.assert_allclose(a.grad.numpy(), at.grad.numpy(), rtol=1e-6, atol=1e-6)
        assert repr(mk(nn)) == repr(mk(tnn))
    a, p, n = rand(4, 5), rand(4, 5, seed=1), rand(4, 5, seed=2)
    np.testing.assert_allclose(
        nn.TripletMarginLoss(margin=0.5)(tg.tensor(a), tg.tensor(p), tg.tensor(n)).item(),
        tnn.TripletMarginLoss(margin=0.5)(torch.tensor(a), torch.tensor(p), torch.tensor(n)).item(), rtol=1e-5)
    tgt = (rand(4, 5, seed=3) > 0).astype(np.float32)
    np.testing.assert_allclose(nn.MultiLabelSoftMarginLoss()(tg.tensor(a), tg.tensor(tgt)).item(),
                               tnn.MultiLabelSoftMarginLoss()(torch.tensor(a), torch.tensor(tgt)).item(), rtol=1e-5)


def test_plugin_ops_registered_under_ops_nn():
    from tensorgraft.registry import registry
    for name in ("nn.linear", "nn.nll_loss", "nn.conv2d", "nn.layer_norm", "nn.batch_norm", "nn.max_pool2d"):
        op = registry.ops[name]
        assert op.distribution == "tensorgraft-nn" and op.formula is not None
    # the fused cross_entropy kernel runs forward-only (a graph records log_softmax and nll_loss)
    fused = registry.ops["nn.cross_entropy"]
    assert fused.distribution == "tensorgraft-nn" and not fused.differentiable and fused.formula is None
    linear = getattr(F.linear, "__torch_function_wrapped__", F.linear)  # (behind a dispatch wrapper once on)
    assert tg.ops.nn.linear is linear.__wrapped__ if hasattr(linear, "__wrapped__") else callable(tg.ops.nn.linear)
    y = tg.ops.nn.linear(tg.ones(2, 3), tg.ones(4, 3), None)
    assert y.shape == (2, 4) and float(y[0, 0]) == 3.0
