"""Fine-tuning recipe ('Transfer Learning for Computer Vision' / 'Optimizing Model Parameters'
tutorials): freeze a backbone with requires_grad_(False), optimize only the trainable parameters
(filter), differential learning rates, a per-batch OneCycleLR over a DataLoader with random_split
train/val sets, gradient accumulation, unfreezing later with add_param_group, a train/eval loop
reporting accuracy, and the optimizer/state printouts users look at."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(0)
N = 96
X = torch.randn(N, 6)
w = torch.randn(6, 3)
y = (X @ w).argmax(dim=1)
dataset = TensorDataset(X, y)
train_set, val_set = random_split(dataset, [72, 24], generator=torch.Generator().manual_seed(42))
train_loader = DataLoader(train_set, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
val_loader = DataLoader(val_set, batch_size=32)
print(len(train_set), len(val_set), len(train_loader), len(val_loader))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU())
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.backbone(x))


model = Classifier()
for p in model.backbone.parameters():
    p.requires_grad_(False)
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
frozen = [n for n, p in model.named_parameters() if not p.requires_grad]
print("trainable", trainable)
print("frozen", frozen)
print("n trainable", sum(p.numel() for p in model.parameters() if p.requires_grad),
      "total", sum(p.numel() for p in model.parameters()))

optimizer = torch.optim.AdamW(filter(lambda p: p.requires_grad, model.parameters()), lr=1e-2, weight_decay=0.01)
epochs = 3
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.05, epochs=epochs,
                                                steps_per_epoch=len(train_loader))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)


def evaluate(m):
    m.eval()
    correct, total, loss_sum = 0, 0, 0.0
    with torch.no_grad():
        for xb, yb in val_loader:
            out = m(xb)
            loss_sum += criterion(out, yb).item() * len(yb)
            correct += (out.argmax(1) == yb).sum().item()
            total += len(yb)
    return loss_sum / total, correct / total


for epoch in range(epochs):
    model.train()
    running = 0.0
    for xb, yb in train_loader:
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        scheduler.step()
        running += loss.item()
    val_loss, acc = evaluate(model)
    print(f"epoch {epoch} train {running / len(train_loader):.4f} val {val_loss:.4f} acc {acc:.3f} "
          f"lr {scheduler.get_last_lr()[0]:.6f} beta1 {optimizer.param_groups[0]['betas'][0]:.4f}")
print(model.backbone[0].weight.grad, model.head.weight.grad.shape)

# Unfreeze the backbone with a smaller learning rate (differential lrs).
for p in model.backbone.parameters():
    p.requires_grad_(True)
optimizer.add_param_group({"params": model.backbone.parameters(), "lr": 1e-3})
print([g["lr"] for g in optimizer.param_groups], [len(g["params"]) for g in optimizer.param_groups])
print(sorted(optimizer.param_groups[1].keys()))
print({k: v for k, v in optimizer.param_groups[1].items() if k not in ("params", "initial_lr", "max_lr",
                                                                          "min_lr", "max_momentum", "base_momentum")})

# Gradient accumulation over 2 batches.
accum = 2
optimizer.zero_grad()
model.train()
for i, (xb, yb) in enumerate(train_loader):
    loss = criterion(model(xb), yb) / accum
    loss.backward()
    if (i + 1) % accum == 0:
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad()
        print(f"update after batch {i} grad norm {gn.item():.4f}")
print(model.backbone[0].weight.grad)
val_loss, acc = evaluate(model)
print(f"final val {val_loss:.4f} acc {acc:.3f}")
state = optimizer.state_dict()
print(len(state["state"]), sorted(state["state"][0].keys()), state["state"][0]["step"])
print([sorted(k for k in g if k != "params") == sorted(k for k in state["param_groups"][0] if k != "params")
       for g in state["param_groups"]])
print(state["param_groups"][1]["params"])

# eval() vs train(), and inference_mode.
model.eval()
with torch.inference_mode():
    logits = model(X[:4])
print(logits.requires_grad, logits.is_inference(), F.softmax(logits, dim=1).argmax(1), y[:4])
preds = torch.cat([model(xb).argmax(1) for xb, _ in val_loader])
print(preds.shape, preds.dtype, preds.grad_fn)
