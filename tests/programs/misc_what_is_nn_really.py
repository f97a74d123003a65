"""'What is torch.nn really?': logistic regression written from scratch (manual log_softmax, negative
log-likelihood, accuracy, SGD by hand under no_grad), then refactored step by step with
torch.nn.functional, nn.Module, nn.Parameter, nn.Linear, optim, TensorDataset, DataLoader, a
validation loop, and a CNN built from nn.Sequential with a Lambda module and AdaptiveAvgPool2d.
Synthetic 28x28 "digits" replace MNIST (no download)."""
# needs: nn optim
# tolerance: 1e-3
import math

import numpy as np

import tensorgraft as torch
import tensorgraft.nn.functional as F
from tensorgraft import nn, optim
from tensorgraft.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
x_train_np = rng.random((256, 784), dtype=np.float32)
y_train_np = rng.integers(0, 10, 256)
x_valid_np = rng.random((128, 784), dtype=np.float32)
y_valid_np = rng.integers(0, 10, 128)
x_train, y_train, x_valid, y_valid = map(torch.tensor, (x_train_np, y_train_np, x_valid_np, y_valid_np))
n, c = x_train.shape
print(x_train, y_train)
print(x_train.shape, y_train.min(), y_train.max())

torch.manual_seed(0)
weights = torch.randn(784, 10) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


bs = 64
xb = x_train[0:bs]
preds = model(xb)
print(preds[0], preds.shape)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
yb = y_train[0:bs]
print(loss_func(preds, yb))


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


print(accuracy(preds, yb))

lr = 0.5
epochs = 2
for epoch in range(epochs):  # noqa: B007 - the tutorial's own loop
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb = x_train[start_i:end_i]
        yb = y_train[start_i:end_i]
        pred = model(xb)
        loss = loss_func(pred, yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
print(loss_func(model(xb), yb), accuracy(model(xb), yb))

loss_func = F.cross_entropy
print(loss_func(xb @ weights + bias, yb), accuracy(xb @ weights + bias, yb))


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
print(loss_func(model(xb), yb))
print([name for name, _ in model.named_parameters()])


class Mnist_Linear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


def get_model():
    model = Mnist_Linear()
    return model, optim.SGD(model.parameters(), lr=lr)


model, opt = get_model()
print(model, opt, sep="\n")
train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
print(len(train_ds), train_ds[0][1], train_ds[0][0].shape)


def get_data(train_ds, valid_ds, bs):
    g = torch.Generator().manual_seed(0)
    return (DataLoader(train_ds, batch_size=bs, shuffle=True, generator=g),
            DataLoader(valid_ds, batch_size=bs * 2))


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
        print(epoch, f"{val_loss:.4f}")


train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
fit(epochs, model, loss_func, opt, train_dl, valid_dl)


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


def preprocess(x):
    return x.view(-1, 1, 28, 28)


cnn = nn.Sequential(
    Lambda(preprocess),
    nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
print(cnn)
opt = optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
fit(2, cnn, loss_func, opt, train_dl, valid_dl)
print(sum(p.numel() for p in cnn.parameters()), cnn[1].weight.shape, cnn(x_valid[:3]).argmax(1))
