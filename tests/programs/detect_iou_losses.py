"""Box-regression losses written by hand, as detection tutorials and DETR/YOLO code do: IoU, GIoU,
DIoU and CIoU losses built from torch.max/torch.min/clamp, optimised directly on box coordinates
with SGD, plus the L1 + GIoU combination and the gradients users inspect when a box has no
overlap (clamp passes zero, not NaN, to the clamped side; sqrt of a clamped zero)."""
# needs: optim
import math

import tensorgraft as torch


def iou_terms(pred, target, eps=1e-7):
    lt = torch.maximum(pred[:, :2], target[:, :2])
    rb = torch.minimum(pred[:, 2:], target[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, 0] * wh[:, 1]
    area_p = (pred[:, 2] - pred[:, 0]) * (pred[:, 3] - pred[:, 1])
    area_t = (target[:, 2] - target[:, 0]) * (target[:, 3] - target[:, 1])
    union = area_p + area_t - inter + eps
    iou = inter / union
    enc_lt = torch.min(pred[:, :2], target[:, :2])
    enc_rb = torch.max(pred[:, 2:], target[:, 2:])
    enc_wh = (enc_rb - enc_lt).clamp(min=0)
    return iou, union, enc_wh


def giou_loss(pred, target, eps=1e-7):
    iou, union, enc_wh = iou_terms(pred, target, eps)
    enc_area = enc_wh[:, 0] * enc_wh[:, 1] + eps
    return 1 - (iou - (enc_area - union) / enc_area)


def diou_loss(pred, target, eps=1e-7):
    iou, _, enc_wh = iou_terms(pred, target, eps)
    c2 = enc_wh.pow(2).sum(dim=1) + eps
    cp = (pred[:, :2] + pred[:, 2:]) / 2
    ct = (target[:, :2] + target[:, 2:]) / 2
    rho2 = ((cp - ct) ** 2).sum(dim=1)
    return 1 - iou + rho2 / c2


def ciou_loss(pred, target, eps=1e-7):
    iou, _, _ = iou_terms(pred, target, eps)
    wp, hp = pred[:, 2] - pred[:, 0], pred[:, 3] - pred[:, 1]
    wt, ht = target[:, 2] - target[:, 0], target[:, 3] - target[:, 1]
    v = (4 / math.pi ** 2) * torch.pow(torch.atan(wt / ht) - torch.atan(wp / hp), 2)
    with torch.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou_loss(pred, target, eps) + alpha * v


target = torch.tensor([[2.0, 2.0, 6.0, 5.0], [0.0, 0.0, 4.0, 4.0], [10.0, 10.0, 12.0, 14.0]])
start = torch.tensor([[1.0, 1.0, 4.0, 4.0], [5.0, 5.0, 7.0, 8.0], [9.0, 11.0, 11.0, 12.0]])
for name, fn in [("giou", giou_loss), ("diou", diou_loss), ("ciou", ciou_loss)]:
    pred = start.clone().requires_grad_(True)
    loss = fn(pred, target)
    print(name, loss, loss.grad_fn.name())
    loss.mean().backward()
    print(pred.grad)

# the non-overlapping box: plain IoU gives it no gradient at all (clamp passes 0, not NaN)
pred = start.clone().requires_grad_(True)
iou, union, _ = iou_terms(pred, target)
(1 - iou).sum().backward()
print("iou", iou)
print(pred.grad, torch.isnan(pred.grad).any())

# sqrt of a clamped overlap: the derivative is inf at 0 and must not leak into the clamped side
pred = start.clone().requires_grad_(True)
wh = (torch.minimum(pred[:, 2:], target[:, 2:]) - torch.maximum(pred[:, :2], target[:, :2])).clamp(min=0)
side = wh.sqrt().sum()
side.backward()
print(f"{side.item():.4f}", pred.grad)

torch.manual_seed(0)
pred = (target + torch.randn(3, 4) * 1.5).requires_grad_(True)
with torch.no_grad():
    pred[:, 2:] = torch.maximum(pred[:, 2:], pred[:, :2] + 0.5)
opt = torch.optim.SGD([pred], lr=0.5)
for step in range(30):
    opt.zero_grad()
    l_giou = giou_loss(pred, target).mean()
    l_l1 = torch.nn.functional.l1_loss(pred, target)
    loss = 2.0 * l_giou + 5.0 * l_l1
    loss.backward()
    opt.step()
    if step % 6 == 0:
        print(f"step {step:2d} giou {l_giou.item():.4f} l1 {l_l1.item():.4f} max|g| {pred.grad.abs().max().item():.4f}")
print(pred.detach().round(decimals=2))
final_iou, _, _ = iou_terms(pred.detach(), target)
print("final iou", final_iou)

# box widths from unconstrained parameters: softplus or exp, and the gradient at a clamped width
raw = torch.tensor([[-2.0, 0.5], [0.0, 3.0]], requires_grad=True)
w = torch.nn.functional.softplus(raw)
h = raw.clamp(min=0.1, max=2.0)
area = (w * h).sum()
area.backward()
print(w, h, raw.grad)

# norms of regression residuals (a zero row included) and their gradients
res = torch.tensor([[0.0, 0.0], [3.0, -4.0], [1.0, 0.0]], requires_grad=True)
for p in [1, 2, float("inf"), 0.5]:
    res.grad = None
    torch.linalg.vector_norm(res, ord=p, dim=1).sum().backward()
    print(p, res.grad)
