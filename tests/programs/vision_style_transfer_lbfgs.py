"""'Neural Transfer Using PyTorch' tutorial, shrunk: a tiny random conv feature extractor stands in for
VGG19, with ContentLoss / StyleLoss modules (gram matrices, F.mse_loss against detached targets)
inserted into an nn.Sequential rebuilt from the layers, a Normalization module, the input image
optimised with optim.LBFGS([input_img]) and a closure that clamps in place under no_grad; then LBFGS
on its own (Rosenbrock with strong Wolfe line search, history_size, state_dict) and the mistakes.
The program runs in float64 (set_default_dtype): LBFGS with unit steps (style_weight 1e6, and
Rosenbrock's valley) amplifies float32 summation-order rounding to 1e-3 within 20 evaluations; in
float64 both libraries agree to every printed digit."""
# needs: nn optim
import copy

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
imsize = 16
style_img = torch.rand(1, 3, imsize, imsize)
content_img = F.interpolate(torch.rand(1, 3, 4, 4), size=(imsize, imsize), mode="bilinear", align_corners=False)
assert style_img.size() == content_img.size(), "we need to import style and content images of the same size"


class ContentLoss(nn.Module):
    def __init__(self, target,):
        super(ContentLoss, self).__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


cnn = nn.Sequential(
    nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=True),
    nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(16, 16, 3, padding=1),
).eval()
for p in cnn.parameters():
    p.requires_grad_(False)
cnn_normalization_mean = torch.tensor([0.485, 0.456, 0.406])
cnn_normalization_std = torch.tensor([0.229, 0.224, 0.225])


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        self.mean = mean.clone().detach().view(-1, 1, 1)
        self.std = std.clone().detach().view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


content_layers_default = ['conv_4']
style_layers_default = ['conv_1', 'conv_2', 'conv_3', 'conv_4']


def get_style_model_and_losses(cnn, normalization_mean, normalization_std, style_img, content_img,
                               content_layers=content_layers_default, style_layers=style_layers_default):
    normalization = Normalization(normalization_mean, normalization_std)
    content_losses = []
    style_losses = []
    model = nn.Sequential(normalization)
    i = 0
    for layer in cnn.children():
        if isinstance(layer, nn.Conv2d):
            i += 1
            name = 'conv_{}'.format(i)
        elif isinstance(layer, nn.ReLU):
            name = 'relu_{}'.format(i)
            layer = nn.ReLU(inplace=False)
        elif isinstance(layer, nn.MaxPool2d):
            name = 'pool_{}'.format(i)
        elif isinstance(layer, nn.BatchNorm2d):
            name = 'bn_{}'.format(i)
        else:
            raise RuntimeError('Unrecognized layer: {}'.format(layer.__class__.__name__))
        model.add_module(name, layer)
        if name in content_layers:
            target = model(content_img).detach()
            content_loss = ContentLoss(target)
            model.add_module("content_loss_{}".format(i), content_loss)
            content_losses.append(content_loss)
        if name in style_layers:
            target_feature = model(style_img).detach()
            style_loss = StyleLoss(target_feature)
            model.add_module("style_loss_{}".format(i), style_loss)
            style_losses.append(style_loss)
    for i in range(len(model) - 1, -1, -1):
        if isinstance(model[i], ContentLoss) or isinstance(model[i], StyleLoss):
            break
    model = model[:(i + 1)]
    return model, style_losses, content_losses


def get_input_optimizer(input_img):
    optimizer = optim.LBFGS([input_img])
    return optimizer


def run_style_transfer(cnn, normalization_mean, normalization_std, content_img, style_img, input_img, num_steps=30,
                       style_weight=1000000, content_weight=1):
    print('Building the style transfer model..')
    model, style_losses, content_losses = get_style_model_and_losses(cnn, normalization_mean, normalization_std,
                                                                     style_img, content_img)
    input_img.requires_grad_(True)
    model.eval()
    model.requires_grad_(False)
    optimizer = get_input_optimizer(input_img)
    print('Optimizing..')
    run = [0]
    while run[0] <= num_steps:
        def closure():
            with torch.no_grad():
                input_img.clamp_(0, 1)
            optimizer.zero_grad()
            model(input_img)
            style_score = 0
            content_score = 0
            for sl in style_losses:
                style_score += sl.loss
            for cl in content_losses:
                content_score += cl.loss
            style_score *= style_weight
            content_score *= content_weight
            loss = style_score + content_score
            loss.backward()
            run[0] += 1
            if run[0] % 10 == 0:
                print("run {}:".format(run))
                print('Style Loss : {:4f} Content Loss: {:4f}'.format(style_score.item(), content_score.item()))
            return style_score + content_score
        optimizer.step(closure)
    with torch.no_grad():
        input_img.clamp_(0, 1)
    return input_img, model, optimizer


input_img = content_img.clone()
output, model, optimizer = run_style_transfer(cnn, cnn_normalization_mean, cnn_normalization_std, content_img,
                                              style_img, input_img)
print(model)
print(output.shape, output.requires_grad, f"{output.min().item():.4f} {output.max().item():.4f}")
print(f"{(output - content_img).abs().mean().item():.4f}")
st = optimizer.state_dict()
print(sorted(st['state'][0].keys()))
print({k: v for k, v in st['param_groups'][0].items() if k != 'params'})
print(st['state'][0]['func_evals'], st['state'][0]['n_iter'], len(st['state'][0]['old_dirs']))
print(optimizer)
print(gram_matrix(torch.arange(8.).view(1, 2, 2, 2)))
m2 = copy.deepcopy(cnn)
print(type(m2[1]).__name__, [type(m).__name__ for m in m2.children()][:4], m2[0].weight.dtype)


# LBFGS on its own
def rosenbrock(xy):
    x, y = xy[0], xy[1]
    return (1 - x) ** 2 + 100 * (y - x ** 2) ** 2


for kwargs in [dict(lr=1, max_iter=20), dict(lr=1, max_iter=20, line_search_fn="strong_wolfe"),
               dict(lr=0.5, max_iter=5, history_size=3, tolerance_change=1e-12),
               dict(lr=1, max_iter=50, max_eval=30, line_search_fn="strong_wolfe", tolerance_grad=1e-5)]:
    xy = torch.tensor([-1.5, 2.0], requires_grad=True)
    opt = optim.LBFGS([xy], **kwargs)
    evals = []

    def closure():
        opt.zero_grad()
        loss = rosenbrock(xy)
        loss.backward()
        evals.append(loss.item())
        return loss
    for outer in range(3):
        ret = opt.step(closure)
        print(f"  step {outer}: returned {ret.item():.6f} -> xy {xy[0].item():.5f} {xy[1].item():.5f}")
    s = opt.state[opt.param_groups[0]['params'][0]]
    print(kwargs, len(evals), s['func_evals'], s['n_iter'], f"{s['t']:.5f}" if torch.is_tensor(s['t']) is False
          else f"{s['t'].item():.5f}", len(s['old_dirs']))

# state_dict round trip
xy = torch.tensor([0.0, 0.0], requires_grad=True)
opt = optim.LBFGS([xy], line_search_fn="strong_wolfe")


def closure():
    opt.zero_grad()
    loss = rosenbrock(xy)
    loss.backward()
    return loss


opt.step(closure)
sd = opt.state_dict()
opt2 = optim.LBFGS([xy], line_search_fn="strong_wolfe")
opt2.load_state_dict(sd)
print(opt2.state_dict()['param_groups'], opt2.state[xy]['n_iter'])
opt2.step(closure)
print(f"{xy[0].item():.5f} {xy[1].item():.5f}")

# mistakes
for call in [
    lambda: optim.LBFGS([xy]).step(),
    lambda: optim.LBFGS([xy, torch.zeros(2, requires_grad=True)], lr=1),
    lambda: optim.LBFGS([{'params': [xy]}, {'params': [torch.zeros(1, requires_grad=True)]}]),
    lambda: optim.LBFGS([xy], line_search_fn="armijo"),
    lambda: optim.LBFGS([xy], lr=-1),
    lambda: optim.LBFGS(xy.float()),
]:
    try:
        r = call()
        print("no error", type(r).__name__)
    except Exception as e:
        print(type(e).__name__, e)
