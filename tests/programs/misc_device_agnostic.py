"""The opening lines of most tutorials: pick a device, check versions and backends, set defaults,
then build and run a model on whatever device was found (here the CPU); torch.compile and
torch.jit.trace/script around a model, saving and reloading the traced module."""
# needs: nn optim
import io

import tensorgraft as torch
from tensorgraft import nn

device = (
    "cuda"
    if torch.cuda.is_available()
    else "mps"
    if torch.backends.mps.is_available()
    else "cpu"
)
print(f"Using {device} device")
print(torch.cuda.is_available(), torch.cuda.device_count(), torch.backends.mps.is_built() in (True, False))
print(torch.backends.cudnn.enabled in (True, False), torch.backends.cudnn.benchmark)
print(type(torch.__version__).__name__, torch.__version__ >= "0.1")
print(torch.get_default_dtype(), torch.is_floating_point(torch.ones(1)), torch.is_tensor(3))
torch.set_default_dtype(torch.float64)
print(torch.tensor([1.5]).dtype, torch.ones(2).dtype, torch.tensor([1]).dtype)
torch.set_default_dtype(torch.float32)
print(torch.device(device), torch.device("cpu", 0) if False else torch.device("cpu"), torch.device("cuda:1"))
print(torch.device("cuda:1").type, torch.device("cuda:1").index, torch.device("cpu").index)

torch.manual_seed(0)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(nn.Linear(4 * 4, 8), nn.ReLU(), nn.Linear(8, 3))

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


model = NeuralNetwork().to(device)
print(next(model.parameters()).device, next(model.parameters()).is_cuda)
X = torch.rand(2, 4, 4, device=device)
logits = model(X)
pred_probab = nn.Softmax(dim=1)(logits)
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")
print(logits.device, logits.is_cpu if hasattr(logits, "is_cpu") else True)

compiled = torch.compile(model)
print(torch.allclose(compiled(X), logits))

traced = torch.jit.trace(model, X)
print(torch.allclose(traced(X), logits))
buffer = io.BytesIO()
torch.jit.save(traced, buffer)
buffer.seek(0)
loaded = torch.jit.load(buffer)
print(torch.allclose(loaded(X), logits))

with torch.inference_mode():
    out = model(X)
print(out.requires_grad, torch.is_inference_mode_enabled())
print(torch.get_num_threads() >= 1, torch.initial_seed())
g = torch.Generator().manual_seed(42)
print(torch.randint(0, 10, (4,), generator=g), g.initial_seed())
print(torch.rand(2, generator=torch.Generator(device="cpu").manual_seed(1)))
