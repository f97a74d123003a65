"""TensorBoard logging the way PyTorch's "Visualizing models, data, and training with TensorBoard"
tutorial does it (synthetic 8x8 images instead of torchvision's FashionMNIST): an image grid, the
model graph, an embedding with labels and thumbnails, the running loss, weight histograms, a
figure and per-class PR curves; then the event file is read back with TensorBoard's own reader."""
# needs: nn optim tensorboard PIL matplotlib
import os
import tempfile

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

import tensorgraft as torch  # noqa: E402
import tensorgraft.nn as nn  # noqa: E402
import tensorgraft.nn.functional as F  # noqa: E402
import tensorgraft.optim as optim  # noqa: E402
from tensorgraft.utils.tensorboard import SummaryWriter  # noqa: E402

torch.manual_seed(0)
classes = ("ring", "bar", "dot")
images = torch.rand(24, 1, 8, 8)
labels = torch.arange(24) % 3
images[labels == 1, :, 3:5, :] += 1.0  # a bright bar
images[labels == 2, :, 3:5, 3:5] += 2.0  # a bright dot
images = images / images.amax(dim=(1, 2, 3), keepdim=True)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(4 * 3 * 3, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


net = Net()
criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

logdir = os.path.join(tempfile.mkdtemp(), "experiment_1")
writer = SummaryWriter(logdir)
grid = torch.cat([img for img in images[:4]], dim=2)  # four images side by side
writer.add_image("four_images", grid)
writer.add_graph(net, images[:4])
writer.add_embedding(images.view(-1, 64), metadata=[classes[i] for i in labels], label_img=images)

step = 0
for epoch in range(3):
    running = 0.0
    for i in range(0, 24, 6):
        optimizer.zero_grad()
        loss = criterion(net(images[i:i + 6]), labels[i:i + 6])
        loss.backward()
        optimizer.step()
        running += loss.item()
        writer.add_scalar("training loss", loss.item(), step)
        step += 1
    writer.add_scalars("loss", {"epoch_mean": running / 4, "last": loss.item()}, epoch)
    writer.add_histogram("fc2.weight", net.fc2.weight, epoch)
    print(f"epoch {epoch}: mean loss {running / 4:.4f}")

with torch.no_grad():
    probs = F.softmax(net(images), dim=1)
fig = plt.figure(figsize=(2, 2), dpi=50)
plt.imshow(images[0, 0].numpy(), cmap="Greys")
plt.title(f"{classes[probs[0].argmax()]}: {probs[0].max().item() * 100:.1f}%")
writer.add_figure("predictions vs. actuals", fig, global_step=step)
for k, name in enumerate(classes):
    writer.add_pr_curve(name, labels == k, probs[:, k], global_step=0)
writer.add_text("notes", "lr = 0.1, momentum = 0.9")
writer.add_hparams({"lr": 0.1, "momentum": 0.9, "optimizer": "SGD"}, {"hparam/last_loss": loss.item()},
                   run_name="hparams")
writer.close()

runs = EventAccumulator(logdir, size_guidance={"scalars": 0, "images": 0, "histograms": 0, "tensors": 0})
runs.Reload()
tags = runs.Tags()
print("scalars:", tags["scalars"])
print("images:", tags["images"])
print("histograms:", tags["histograms"])
print("tensors:", sorted(tags["tensors"]))
print("graph logged:", tags["graph"])
for event in runs.Scalars("training loss")[::4]:
    print("step", event.step, "loss", round(event.value, 4))
for tag in tags["images"]:
    event = runs.Images(tag)[0]
    print(tag, "step", event.step, "size", event.width, "x", event.height)
for event in runs.Histograms("fc2.weight"):
    h = event.histogram_value
    print("histogram step", event.step, "count", h.num, "min", round(h.min, 4), "max", round(h.max, 4))
pr = runs.Tensors("ring")[0].tensor_proto
print("pr curve shape", [d.size for d in pr.tensor_shape.dim])
print("runs:", sorted(d for d in os.listdir(logdir) if not d.startswith("events")))
embedding_dir = os.path.join(logdir, "00000", "default")
print("embedding files:", sorted(os.listdir(embedding_dir)))
with open(os.path.join(embedding_dir, "metadata.tsv")) as f:
    print("metadata:", f.read().split()[:6])
with open(os.path.join(logdir, "projector_config.pbtxt")) as f:
    print(f.read().strip())
