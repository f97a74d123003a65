"""RetinaNet/SSD-style detection head pieces written by hand, as tutorials build them: anchor
generation with meshgrid/arange/stack, anchor-to-ground-truth matching with max/argmax over dims,
box encoding/decoding with log/exp, sigmoid focal loss on top of BCE-with-logits, smooth L1,
and a few optimizer steps of a tiny conv head on one feature map."""
# needs: nn optim
import math

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F


def make_anchors(feat_h, feat_w, stride, sizes, ratios):
    shifts_x = torch.arange(0, feat_w, dtype=torch.float32) * stride + stride / 2
    shifts_y = torch.arange(0, feat_h, dtype=torch.float32) * stride + stride / 2
    shift_y, shift_x = torch.meshgrid(shifts_y, shifts_x, indexing="ij")
    shifts = torch.stack((shift_x.reshape(-1), shift_y.reshape(-1),
                          shift_x.reshape(-1), shift_y.reshape(-1)), dim=1)
    scales = torch.as_tensor(sizes, dtype=torch.float32)
    aspect = torch.as_tensor(ratios, dtype=torch.float32)
    h_ratios = torch.sqrt(aspect)
    w_ratios = 1 / h_ratios
    ws = (w_ratios[:, None] * scales[None, :]).view(-1)
    hs = (h_ratios[:, None] * scales[None, :]).view(-1)
    base = torch.stack([-ws, -hs, ws, hs], dim=1) / 2
    return (shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4), base.round()


def box_iou(a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[:, :2])
    rb = torch.min(a[:, None, 2:], b[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh.prod(dim=2)
    return inter / (area_a[:, None] + area_b - inter)


def encode(gt, anchors, weights=(10.0, 10.0, 5.0, 5.0)):
    wx, wy, ww, wh = weights
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + 0.5 * gw, gt[:, 1] + 0.5 * gh
    return torch.stack([wx * (gx - ax) / aw, wy * (gy - ay) / ah,
                        ww * torch.log(gw / aw), wh * torch.log(gh / ah)], dim=1)


def decode(deltas, anchors, weights=(10.0, 10.0, 5.0, 5.0), clip=math.log(1000.0 / 16)):
    wx, wy, ww, wh = weights
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    dx, dy = deltas[:, 0::4] / wx, deltas[:, 1::4] / wy
    dw = torch.clamp(deltas[:, 2::4] / ww, max=clip)
    dh = torch.clamp(deltas[:, 3::4] / wh, max=clip)
    cx, cy = dx * aw[:, None] + ax[:, None], dy * ah[:, None] + ay[:, None]
    w, h = torch.exp(dw) * aw[:, None], torch.exp(dh) * ah[:, None]
    return torch.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=2).flatten(1)


def sigmoid_focal_loss(inputs, targets, alpha=0.25, gamma=2.0):
    p = torch.sigmoid(inputs)
    ce = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce * ((1 - p_t) ** gamma)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * loss).sum()


torch.manual_seed(0)
anchors, base = make_anchors(4, 4, 8, sizes=(8.0, 16.0), ratios=(0.5, 1.0, 2.0))
print(anchors.shape, anchors.dtype)
print(base)
print(anchors[:7])

gt_boxes = torch.tensor([[2.0, 3.0, 14.0, 12.0], [16.0, 14.0, 30.0, 31.0]])
gt_labels = torch.tensor([1, 2])
iou = box_iou(gt_boxes, anchors)
print(iou.shape, iou.max(dim=1).values)
matched_vals, matches = iou.max(dim=0)
below, between = matched_vals < 0.3, (matched_vals >= 0.3) & (matched_vals < 0.5)
matches[below] = -1
matches[between] = -2
# allow low-quality matches: each gt keeps its best anchor(s)
highest = iou.max(dim=1).values
gt_idx, anchor_idx = torch.where(iou == highest[:, None])
matches[anchor_idx] = gt_idx
print("positives", (matches >= 0).sum().item(), "ignored", (matches == -2).sum().item())
print(torch.nonzero(matches >= 0).flatten())
pos = matches >= 0
targets = encode(gt_boxes[matches[pos]], anchors[pos])
print(targets)
decoded = decode(targets, anchors[pos])
print(decoded)
print(torch.allclose(decoded, gt_boxes[matches[pos]], atol=1e-4))

num_classes = 3
cls_target = torch.zeros(anchors.shape[0], num_classes)
cls_target[pos, gt_labels[matches[pos]]] = 1.0
valid = matches != -2
print(cls_target.sum(0), valid.sum())


class Head(nn.Module):
    def __init__(self, c, a, k):
        super().__init__()
        self.a, self.k = a, k
        self.cls = nn.Conv2d(c, a * k, 3, padding=1)
        self.reg = nn.Conv2d(c, a * 4, 3, padding=1)
        prior = 0.01
        nn.init.constant_(self.cls.bias, -math.log((1 - prior) / prior))

    def forward(self, x):
        n, _, h, w = x.shape
        cls = self.cls(x).view(n, self.a, self.k, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, self.k)
        reg = self.reg(x).view(n, self.a, 4, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, 4)
        return cls, reg


head = Head(8, 6, num_classes)
print(head)
print(f"{head.cls.bias[0].item():.4f}")
feat = torch.randn(1, 8, 4, 4)
opt = torch.optim.SGD(head.parameters(), lr=0.05, momentum=0.9)
for step in range(6):
    cls_out, reg_out = head(feat)
    num_pos = max(1, pos.sum().item())
    l_cls = sigmoid_focal_loss(cls_out[0][valid], cls_target[valid]) / num_pos
    l_reg = F.smooth_l1_loss(reg_out[0][pos], targets, beta=1.0 / 9, reduction="sum") / num_pos
    l1 = F.l1_loss(reg_out[0][pos], targets)
    loss = l_cls + l_reg
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} cls {l_cls.item():.4f} reg {l_reg.item():.4f} l1 {l1.item():.4f}")
print(cls_out.shape, reg_out.shape, loss.grad_fn.name())

with torch.no_grad():
    cls_out, reg_out = head(feat)
    scores = cls_out[0].sigmoid()
    flat = scores.flatten()
    top, idx = flat.topk(5)
    anchor_ids, cls_ids = idx // num_classes, idx % num_classes
    boxes = decode(reg_out[0][anchor_ids], anchors[anchor_ids])
print(top, anchor_ids, cls_ids)
print(boxes.round(decimals=1))
print(torch.div(idx, num_classes, rounding_mode="floor"), torch.remainder(idx, num_classes))

try:
    F.binary_cross_entropy_with_logits(cls_out, cls_target)
except Exception as e:
    print(type(e).__name__, e)
try:
    F.smooth_l1_loss(reg_out[0][pos], targets, beta=-1.0)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.meshgrid(torch.arange(3), torch.arange(2), indexing="xz")
except Exception as e:
    print(type(e).__name__, e)
