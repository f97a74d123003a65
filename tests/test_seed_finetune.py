"""The autograd tutorial's fine-tuning recipe end to end (seed 001, whose resnet18 comes from
torchvision and so cannot run here): pretrain a small ResNet-style network, freeze every
parameter, replace the classifier ``model.fc`` with a fresh ``nn.Linear``, and train only that
head with ``optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)``. The loss must fall, the
frozen trunk must not change and must get no gradients. Needs autograd, nn and optim."""
from __future__ import annotations

import importlib.util

import pytest

for _mod in ("tensorgraft.autograd", "tensorgraft.nn", "tensorgraft.optim"):
    try:
        _found = importlib.util.find_spec(_mod) is not None
    except ModuleNotFoundError:
        _found = False
    if not _found:
        pytest.skip(f"{_mod} is not installed in this environment", allow_module_level=True)

import tensorgraft as torch  # noqa: E402  (the tutorial's spelling)
from tensorgraft import nn, optim  # noqa: E402


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class TinyResNet(nn.Module):
    """resnet18's layout in miniature: stem, residual stages, global pooling, ``fc``."""

    def __init__(self, num_classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(8, 8, 1))
        self.layer2 = nn.Sequential(BasicBlock(8, 16, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _pretrained():
    torch.manual_seed(0)
    model = TinyResNet()
    data, labels = torch.rand(16, 3, 32, 32), torch.randint(0, 5, (16,))
    opt = optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    for _ in range(3):  # a short "pretraining" so the trunk's weights and BatchNorm stats are not the defaults
        opt.zero_grad()
        nn.functional.cross_entropy(model(data), labels).backward()
        opt.step()
    model.zero_grad()  # set_to_none: a loaded pretrained model carries no gradients
    return model


def test_freeze_trunk_replace_head_and_train_only_the_head():
    model = _pretrained()

    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(16, 10)
    assert [n for n, p in model.named_parameters() if p.requires_grad] == ["fc.weight", "fc.bias"]

    # Optimize only the classifier
    optimizer = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)
    model.eval()  # the frozen trunk's BatchNorm keeps its pretrained statistics
    trunk_before = {k: v.clone() for k, v in model.state_dict().items() if not k.startswith("fc.")}

    torch.manual_seed(1)
    data, labels = torch.rand(32, 3, 32, 32), torch.randint(0, 10, (32,))
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = nn.CrossEntropyLoss()(model(data), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

    # fitting random labels on frozen features is slow at the tutorial's lr; the loss falls steadily
    assert losses[-1] < losses[0] - 0.02, losses
    assert sum(b < a for a, b in zip(losses, losses[1:])) >= 0.9 * (len(losses) - 1), losses
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))
    assert model.fc.weight.grad is not None and model.fc.weight.grad.shape == (10, 16)
    after = model.state_dict()
    for k, v in trunk_before.items():
        assert torch.equal(after[k], v), f"frozen {k} changed"
    prediction = model(torch.rand(1, 3, 64, 64))  # the tutorial's single 64x64 image
    assert prediction.shape == (1, 10) and prediction.requires_grad
    assert prediction.grad_fn.name() == "AddmmBackward0"


def test_no_grad_excludes_the_trunk_from_the_graph_too():
    """The tutorial's closing remark: torch.no_grad() gives the same exclusion."""
    model = _pretrained()
    model.eval()
    with torch.no_grad():
        features = torch.flatten(model.avgpool(model.layer2(model.layer1(
            model.maxpool(model.relu(model.bn1(model.conv1(torch.rand(4, 3, 32, 32)))))))), 1)
    assert not features.requires_grad and features.grad_fn is None
    head = nn.Linear(16, 10)
    head(features).sum().backward()
    assert head.weight.grad is not None
    assert all(p.grad is None for p in model.parameters())
