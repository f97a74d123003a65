"""'Build the Neural Network' tutorial: a NeuralNetwork with nn.Flatten + nn.Sequential, printing
the model, its layers' outputs, named_parameters with sizes and value slices, named_modules,
children and the state_dict."""
# needs: nn
import tensorgraft as torch
from tensorgraft import nn

torch.manual_seed(0)
device = "cpu"
print(f"Using {device} device")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
print(model)

X = torch.rand(1, 28, 28, device=device)
logits = model(X)
print(logits.shape, logits.grad_fn)
pred_probab = nn.Softmax(dim=1)(logits)
print(torch.allclose(pred_probab.sum(dim=1), torch.ones(1)))
y_pred = pred_probab.argmax(1)
print(f"Predicted class: {y_pred}")

input_image = torch.rand(3, 28, 28)
print(input_image.size())
flatten = nn.Flatten()
flat_image = flatten(input_image)
print(flat_image.size())
layer1 = nn.Linear(in_features=28 * 28, out_features=20)
hidden1 = layer1(flat_image)
print(hidden1.size())
print(f"Before ReLU: {hidden1[:, :4]}\n\n")
hidden1 = nn.ReLU()(hidden1)
print(f"After ReLU: {hidden1[:, :4]}")

seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
input_image = torch.rand(3, 28, 28)
logits = seq_modules(input_image)
print(logits.shape)
softmax = nn.Softmax(dim=1)
pred_probab = softmax(logits)
print(pred_probab[0], pred_probab.dtype)

print(f"Model structure: {model}\n\n")
for name, param in model.named_parameters():
    print(f"Layer: {name} | Size: {param.size()} | Values : {param[:2, :3] if param.dim() > 1 else param[:2]} \n")

print(sum(p.numel() for p in model.parameters()))
for name, module in model.named_modules():
    print(repr(name), type(module).__name__)
for child in model.children():
    print(type(child).__name__)
print(len(list(model.modules())))
sd = model.state_dict()
print(type(sd).__name__, list(sd.keys()))
for k, v in sd.items():
    print(k, tuple(v.shape), v.dtype, v.requires_grad)
print(model.linear_relu_stack[0])
print(model.linear_relu_stack[-1].bias)
print(model.linear_relu_stack[1:3])
print(model.linear_relu_stack[0].weight.grad)
print(nn.Flatten(0, 1), nn.Flatten(start_dim=2, end_dim=-1), nn.Unflatten(1, (2, 5)))
u = nn.Unflatten(1, (2, 5))(torch.arange(20.).reshape(2, 10))
print(u.shape, u[1])
