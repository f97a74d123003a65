"""'Training a Classifier' (CIFAR-10 tutorial) on synthetic 3x32x32 images: a LeNet-style CNN with
Conv2d/MaxPool2d, then a deeper net with BatchNorm2d and Dropout2d, train/eval modes, accuracy via
argmax, per-class accuracy, state_dict save/load, and the shape mistakes users hit."""
# needs: nn optim
import io
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim
from tensorgraft.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
random.seed(0)

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')

# synthetic "images": the class decides which channel has a bright stripe
N = 64
labels = torch.randint(0, 10, (N,))
images = torch.rand(N, 3, 32, 32) * 0.5
for i in range(N):
    c = int(labels[i])
    images[i, c % 3, (c * 3):(c * 3 + 3), :] += 0.5
images = (images - 0.5) / 0.5
print(images.shape, images.dtype, labels[:8])
print(f"{images.min().item():.4f} {images.max().item():.4f} {images.mean().item():.4f}")

dataset = TensorDataset(images, labels)
trainloader = DataLoader(dataset, batch_size=16, shuffle=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
print(net)
print(sum(p.numel() for p in net.parameters()))
for name, p in net.named_parameters():
    print(name, tuple(p.shape), p.requires_grad)

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

for epoch in range(3):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, lbls = data
        if epoch == 0 and i == 0:
            print(inputs.shape, lbls.shape)
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, lbls)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f'[{epoch + 1}] loss: {running_loss / len(trainloader):.4f}')
print(outputs.shape, outputs.grad_fn, loss.grad_fn)
print(net.conv1.weight.grad.shape, f"{net.conv1.weight.grad.abs().sum().item():.4f}")

buf = io.BytesIO()
torch.save(net.state_dict(), buf)
buf.seek(0)
net2 = Net()
print(net2.load_state_dict(torch.load(buf)))
print(list(net2.state_dict().keys()))

correct = 0
total = 0
with torch.no_grad():
    for data in DataLoader(dataset, batch_size=16):
        imgs, lbls = data
        outputs = net2(imgs)
        _, predicted = torch.max(outputs.data, 1)
        total += lbls.size(0)
        correct += (predicted == lbls).sum().item()
print(f'Accuracy of the network on the {total} test images: {100 * correct // total} %')
print(predicted, predicted.dtype, outputs.requires_grad)

correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    outputs = net(images)
    _, predictions = torch.max(outputs, 1)
    for label, prediction in zip(labels, predictions):
        if label == prediction:
            correct_pred[classes[label]] += 1
        total_pred[classes[label]] += 1
for classname, correct_count in correct_pred.items():
    if total_pred[classname]:
        accuracy = 100 * float(correct_count) / total_pred[classname]
        print(f'Accuracy for class: {classname:5s} is {accuracy:.1f} %')


class BNNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Dropout2d(p=0.2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


model = BNNet()
print(model)
print(model.features[1].running_mean, model.features[1].num_batches_tracked)
opt = optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
for epoch in range(2):
    model.train()
    for inputs, lbls in trainloader:
        opt.zero_grad()
        out = model(inputs)
        loss = F.cross_entropy(out, lbls)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        logits = model(images)
        acc = (logits.argmax(dim=1) == labels).float().mean()
    print(f"epoch {epoch} loss {loss.item():.4f} acc {acc.item():.4f} training={model.training}")
bn = model.features[1]
print(bn)
print(bn.running_mean)
print(bn.running_var)
print(bn.num_batches_tracked, bn.momentum, bn.eps)
print(list(model.state_dict().keys()))
print(model.features[4].training, model.classifier[1].p)
probs = F.softmax(logits[:4], dim=1)
print(probs.sum(dim=1))
print(torch.topk(probs, 3, dim=1).indices)

# common mistakes
try:
    net(torch.randn(3, 32, 32).unsqueeze(0).permute(0, 2, 3, 1))
except Exception as e:
    print(type(e).__name__, e)
try:
    net(torch.randn(1, 3, 28, 28))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.BatchNorm2d(8)(torch.randn(2, 4, 5, 5))
except Exception as e:
    print(type(e).__name__, e)
try:
    bn2 = nn.BatchNorm2d(3)
    bn2(torch.randn(1, 3, 1, 1))
    print("ok")
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.BatchNorm1d(3)(torch.randn(1, 3))
except Exception as e:
    print(type(e).__name__, e)
try:
    F.cross_entropy(torch.randn(4, 10), torch.tensor([1.0, 2.0, 3.0, 4.0]))
except Exception as e:
    print(type(e).__name__, e)
