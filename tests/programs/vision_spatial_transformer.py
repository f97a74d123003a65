"""'Spatial Transformer Networks' tutorial on synthetic 16x16 digits: a localisation net regressing
an affine theta (initialised to identity), F.affine_grid + F.grid_sample, training it to undo a
known shift; then grid_sample by hand (every mode and padding_mode, align_corners both ways),
gradients wrt theta and the image, 3-D (volumetric) grids, and the mistakes users make."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.conv2_drop = nn.Dropout2d()
        self.fc1 = nn.Linear(8 * 2 * 2, 16)
        self.fc2 = nn.Linear(16, 10)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=5),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True),
            nn.Conv2d(4, 6, kernel_size=3),
            nn.MaxPool2d(2, stride=2),
            nn.ReLU(True)
        )
        self.fc_loc = nn.Sequential(
            nn.Linear(6 * 2 * 2, 16),
            nn.ReLU(True),
            nn.Linear(16, 3 * 2)
        )
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 6 * 2 * 2)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        x = F.grid_sample(x, grid, align_corners=False)
        return x, theta

    def forward(self, x):
        x, _ = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 8 * 2 * 2)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, training=self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


model = Net()
print(model)
data = torch.rand(8, 1, 16, 16)
target = torch.randint(0, 10, (8,))
optimizer = optim.SGD(model.parameters(), lr=0.01)
model.train()
for step in range(4):
    optimizer.zero_grad()
    output = model(data)
    loss = F.nll_loss(output, target)
    loss.backward()
    optimizer.step()
    print(f"step {step} loss {loss.item():.4f}")
model.eval()
with torch.no_grad():
    warped, theta = model.stn(data)
print(warped.shape, theta.shape)
print(theta[0])
print(output.grad_fn, warped.requires_grad)

# train only the transformer to undo a known translation
stn = model
shifted = torch.roll(data, shifts=2, dims=3)
opt = optim.Adam(list(stn.localization.parameters()) + list(stn.fc_loc.parameters()), lr=1e-2)
for step in range(5):
    opt.zero_grad()
    warped, theta = stn.stn(shifted)
    loss = F.mse_loss(warped, data)
    loss.backward()
    opt.step()
    print(f"align {step} {loss.item():.6f}")
print(stn.fc_loc[2].bias.grad)

# grid_sample by hand
x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).view(2, 3, 5, 5) / 10
theta = torch.tensor([[[0.9, -0.2, 0.1], [0.3, 1.1, -0.2]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
for ac in [False, True]:
    grid = F.affine_grid(theta, x.size(), align_corners=ac)
    print(grid.shape, grid.dtype)
    print(grid[0, 1])
    for mode in ["bilinear", "nearest", "bicubic"]:
        for pm in ["zeros", "border", "reflection"]:
            y = F.grid_sample(x, grid, mode=mode, padding_mode=pm, align_corners=ac)
            print(mode, pm, f"{y.sum().item():.4f}", y[0, 0, 0])
print(F.affine_grid(theta, [2, 3, 2, 3], align_corners=False))

tx = theta.clone().requires_grad_()
xg = x.clone().requires_grad_()
grid = F.affine_grid(tx, x.size(), align_corners=False)
y = F.grid_sample(xg, grid, mode="bilinear", padding_mode="border", align_corners=False)
print(grid.grad_fn, y.grad_fn)
y.pow(2).mean().backward()
print(tx.grad)
print(xg.grad[0, 0])

# an identity grid reproduces the input; a flip grid flips it
ident = F.affine_grid(torch.eye(2, 3).unsqueeze(0), (1, 1, 4, 4), align_corners=True)
img = torch.arange(16.).view(1, 1, 4, 4)
print(torch.allclose(F.grid_sample(img, ident, align_corners=True), img))
flip = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
print(F.grid_sample(img, F.affine_grid(flip, (1, 1, 4, 4), align_corners=True), align_corners=True))

# random sampling points, including points outside [-1, 1]
pts = torch.tensor([[[[-1.2, 0.0], [0.25, -0.5], [1.0, 1.0], [0.9, -1.1]]]])
for pm in ["zeros", "border", "reflection"]:
    print(pm, F.grid_sample(img, pts, padding_mode=pm, align_corners=False))

# volumetric
vol = torch.arange(2 * 3 * 4, dtype=torch.float32).view(1, 1, 2, 3, 4)
theta3 = torch.tensor([[[1.0, 0.1, 0.0, 0.05], [0.0, 0.9, 0.0, 0.0], [0.0, 0.0, 1.0, -0.1]]])
g3 = F.affine_grid(theta3, vol.shape, align_corners=False)
print(g3.shape)
print(F.grid_sample(vol, g3, mode="bilinear", align_corners=False))
print(F.grid_sample(vol, g3, mode="nearest", padding_mode="border", align_corners=False)[0, 0, 1])

# mistakes
for call in [
    lambda: F.affine_grid(theta[:, :1], x.size(), align_corners=False),
    lambda: F.affine_grid(theta, (2, 3, 4), align_corners=False),
    lambda: F.affine_grid(theta, [2, 3, 0, 5], align_corners=False),
    lambda: F.affine_grid(theta.long(), x.size(), align_corners=False),
    lambda: F.affine_grid(theta, (3, 3, 5, 5), align_corners=False),
    lambda: F.grid_sample(x, torch.rand(2, 4, 4, 3), align_corners=False),
    lambda: F.grid_sample(x, torch.rand(3, 4, 4, 2), align_corners=False),
    lambda: F.grid_sample(x[0], torch.rand(2, 4, 4, 2), align_corners=False),
    lambda: F.grid_sample(x[0], torch.rand(3, 4, 4, 2), align_corners=False),
    lambda: F.grid_sample(x, torch.rand(2, 4, 2), align_corners=False),
    lambda: F.grid_sample(x, torch.rand(2, 4, 4, 2).double(), align_corners=False),
    lambda: F.grid_sample(x.long(), torch.rand(2, 4, 4, 2), align_corners=False),
    lambda: F.grid_sample(vol, g3, mode="bicubic", align_corners=False),
    lambda: F.grid_sample(x, torch.rand(2, 4, 4, 2), mode="area", align_corners=False),
    lambda: F.grid_sample(x, torch.rand(2, 4, 4, 2), padding_mode="wrap", align_corners=False),
]:
    try:
        call()
        print("no error")
    except Exception as e:
        print(type(e).__name__, e)
print(F.grid_sample(torch.zeros(0, 3, 5, 5), torch.zeros(0, 4, 4, 2), align_corners=False).shape)
