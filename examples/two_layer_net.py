"""The seed tutorial's two-layer network (PyTorch's "Learning PyTorch with Examples"), trained with
autograd, `nn` and an optimizer on CPU, printing its loss as it falls.

Written exactly as for PyTorch; only the import differs. Parts that are not installed are
reported with the pip command that installs them.
"""
import tensorgraft as torch

torch.manual_seed(0)

# N is the batch size; D_in the input dimension; H the hidden dimension; D_out the output dimension.
N, D_in, H, D_out = 64, 1000, 100, 10

x = torch.randn(N, D_in)
y = torch.randn(N, D_out)

model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H),
    torch.nn.ReLU(),
    torch.nn.Linear(H, D_out),
)
loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)

print(model)
for t in range(500):
    y_pred = model(x)
    loss = loss_fn(y_pred, y)
    if t % 50 == 49:
        print(t, loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
