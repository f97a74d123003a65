"""Weight initialization with model.apply(init_fn) and nn.init (xavier_uniform_, kaiming_normal_,
zeros_, constant_, normal_, orthogonal_, calculate_gain), then the fine-tuning recipe: freeze the
backbone with requires_grad_(False), count trainable parameters, give the optimizer only the
head's, train a few steps, and move the model between dtypes (to(float64), half(), float())
with train()/eval() flags along the way."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                                      nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                      nn.Flatten())
        self.dropout = nn.Dropout(0.25)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.dropout(self.backbone(x)))


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
        print("init", type(m).__name__, tuple(m.weight.shape))
    elif isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(m.bias, 0.01)
        print("init", type(m).__name__, tuple(m.weight.shape))
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)


model = Classifier()
returned = model.apply(init_weights)
print(returned is model)
print(model.head.weight)
print(model.head.bias, model.backbone[0].bias)
print(f"{model.backbone[0].weight.std().item():.4f}", model.backbone[0].weight.shape)
print(nn.init.calculate_gain("relu"), nn.init.calculate_gain("leaky_relu", 0.2), nn.init.calculate_gain("tanh"))
print(nn.init.calculate_gain("selu"), nn.init.calculate_gain("sigmoid"))
w = torch.empty(3, 5)
print(nn.init.uniform_(w, -0.1, 0.1))
print(nn.init.normal_(w, mean=0.0, std=0.02))
print(nn.init.ones_(w)[0], nn.init.eye_(torch.empty(2, 3)))
q = nn.init.orthogonal_(torch.empty(3, 3))
print(torch.allclose(q @ q.T, torch.eye(3), atol=1e-5))
print(nn.init.trunc_normal_(torch.empty(2, 4), std=0.5, a=-0.5, b=0.5).abs().max() <= 0.5)
print(nn.init.kaiming_uniform_(torch.empty(2, 4), a=5 ** 0.5))
with torch.no_grad():
    print(nn.init.xavier_normal_(torch.empty(2, 2), gain=nn.init.calculate_gain("tanh")))
try:
    nn.init.xavier_uniform_(torch.empty(5))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.init.calculate_gain("swish")
except Exception as e:
    print(type(e).__name__, e)

# freeze the backbone for fine-tuning
for param in model.backbone.parameters():
    param.requires_grad = False
model.backbone.requires_grad_(False)
total = sum(p.numel() for p in model.parameters())
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
print(f"total={total} trainable={trainable}")
print([n for n, p in model.named_parameters() if p.requires_grad])

optimizer = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
print(optimizer)
x = torch.randn(6, 1, 8, 8)
y = torch.tensor([0, 1, 2, 0, 1, 2])
model.train()
print(model.training, model.backbone[1].training, model.dropout.training)
bb_before = model.backbone[0].weight.clone()
rm_before = model.backbone[1].running_mean.clone()
for step in range(3):
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    print(step, f"{loss.item():.4f}", model.backbone[0].weight.grad, model.head.weight.grad.shape)
print(torch.equal(bb_before, model.backbone[0].weight), torch.equal(rm_before, model.backbone[1].running_mean))
print(model.backbone[1].num_batches_tracked)

model.eval()
print(model.training, model.backbone[1].training, model.dropout.training)
with torch.no_grad():
    out = model(x)
print(out.requires_grad, out.argmax(1))
with torch.inference_mode():
    print(model(x[:2]).shape)

# dtype moves
model64 = model.to(torch.float64)
print(model64 is model, model.head.weight.dtype, model.backbone[1].running_mean.dtype,
      model.backbone[1].num_batches_tracked.dtype)
print(model(x.double()).dtype)
try:
    model.head(torch.randn(2, 8))
except Exception as e:
    print(type(e).__name__, e)
model.half()
print(model.head.weight.dtype, model.head.weight.requires_grad, model.backbone[0].weight.requires_grad)
model.float()
print(model.head.weight.dtype, model.head.bias)
print(model.train(False).training, model.train().training)
model.requires_grad_()
print(sum(p.numel() for p in model.parameters() if p.requires_grad))
print(model.head.weight.is_leaf, type(model.head.weight).__name__)
