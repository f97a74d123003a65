"""'Adversarial Example Generation' (FGSM) tutorial on a small synthetic-MNIST LeNet: train briefly,
then perturb inputs with epsilon * data.grad.sign(), clamp to [0, 1], and measure accuracy per
epsilon; includes requires_grad on the input, model.eval() with dropout, F.nll_loss on log_softmax,
the final-prediction check via max(1, keepdim=True), a targeted iterative variant (PGD-style with
torch.no_grad updates and clamping to the epsilon ball), and the mistakes of the grad workflow."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(42)

# ten 'digit' prototypes plus noise, 1x12x12
protos = (torch.rand(10, 1, 12, 12) > 0.6).float()
labels = torch.arange(10).repeat(6)
data_all = (protos[labels] * 0.8 + torch.rand(60, 1, 12, 12) * 0.2).clamp(0, 1)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 4 * 4, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


model = Net()
print(model)
optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
for epoch in range(1, 4):
    model.train()
    perm = torch.randperm(60)
    for i in range(0, 60, 20):
        idx = perm[i:i + 20]
        optimizer.zero_grad()
        output = model(data_all[idx])
        loss = F.nll_loss(output, labels[idx])
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"epoch {epoch} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.4f}")


def fgsm_attack(image, epsilon, data_grad):
    sign_data_grad = data_grad.sign()
    perturbed_image = image + epsilon * sign_data_grad
    perturbed_image = torch.clamp(perturbed_image, 0, 1)
    return perturbed_image


def test(model, epsilon):
    correct = 0
    adv_examples = []
    for i in range(data_all.size(0)):
        data, target = data_all[i:i + 1], labels[i:i + 1]
        data.requires_grad = True
        output = model(data)
        init_pred = output.max(1, keepdim=True)[1]
        if init_pred.item() != target.item():
            continue
        loss = F.nll_loss(output, target)
        model.zero_grad()
        loss.backward()
        data_grad = data.grad.data
        perturbed_data = fgsm_attack(data, epsilon, data_grad)
        output = model(perturbed_data)
        final_pred = output.max(1, keepdim=True)[1]
        if final_pred.item() == target.item():
            correct += 1
        elif len(adv_examples) < 2:
            adv_ex = perturbed_data.squeeze().detach().cpu().numpy()
            adv_examples.append((init_pred.item(), final_pred.item(), adv_ex.shape))
    final_acc = correct / float(len(data_all))
    print(f"Epsilon: {epsilon}\tTest Accuracy = {correct} / {len(data_all)} = {final_acc:.4f}")
    return final_acc, adv_examples


model.eval()
accuracies = []
for eps in [0, .05, .1, .2, .3]:
    acc, ex = test(model, eps)
    accuracies.append(acc)
    print(ex)
print([f"{a:.3f}" for a in accuracies])

x = data_all[:1].clone().requires_grad_(True)
out = model(x)
print(out.grad_fn, x.grad)
F.nll_loss(out, labels[:1]).backward()
print(x.grad.shape, x.grad.abs().max() > 0, x.grad.sign().unique())
adv = fgsm_attack(x, 0.1, x.grad)
print(adv.grad_fn, adv.requires_grad, f"{(adv - x).abs().max().item():.4f}")

# iterative targeted attack (projected gradient descent)
target_class = torch.tensor([3])
x0 = data_all[:1]
x_adv = x0.clone()
eps, alpha = 0.3, 0.05
for it in range(6):
    x_adv.requires_grad_(True)
    loss = F.nll_loss(model(x_adv), target_class)
    grad, = torch.autograd.grad(loss, x_adv)
    with torch.no_grad():
        x_adv = x_adv - alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x0 - eps), x0 + eps).clamp(0, 1)
    print(it, f"{loss.item():.4f}", model(x_adv).argmax(1).item())
print(x_adv.requires_grad, f"{(x_adv - x0).abs().max().item():.4f}")

# mistakes
try:
    z = data_all[:1]
    model(z).sum().backward()
    print(z.grad)
    z.grad.sign()
except Exception as e:
    print(type(e).__name__, e)
try:
    leaf = data_all[:1].clone().requires_grad_()
    with torch.no_grad():
        out = model(leaf)
    out.sum().backward()
except Exception as e:
    print(type(e).__name__, e)
try:
    nonleaf = data_all[:1].requires_grad_() * 1.0
    model(nonleaf).sum().backward()
    print(nonleaf.grad)
except Exception as e:
    print(type(e).__name__, e)
try:
    labels.float().requires_grad_()
except Exception as e:
    print(type(e).__name__, e)
try:
    data_all[0, 0, 0].requires_grad_()
    print("ok")
except Exception as e:
    print(type(e).__name__, e)
