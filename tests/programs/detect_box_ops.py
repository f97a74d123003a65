"""Object-detection box utilities written by hand the way detection tutorials do: cxcywh <-> xyxy
conversion, box areas, a pairwise IoU matrix with broadcasting and clamp, generalized IoU, and a
greedy NMS loop with argsort and boolean masks, plus a per-class ("batched") NMS via the
coordinate-offset trick."""
import tensorgraft as torch


def box_cxcywh_to_xyxy(x):
    cx, cy, w, h = x.unbind(-1)
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=-1)


def box_xyxy_to_cxcywh(x):
    x0, y0, x1, y1 = x.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def box_area(boxes):
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = torch.max(boxes1[:, None, :2], boxes2[:, :2])
    rb = torch.min(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[:, :, 0] * wh[:, :, 1]
    union = area1[:, None] + area2 - inter
    return inter / union, union


def generalized_box_iou(boxes1, boxes2):
    iou, union = box_iou(boxes1, boxes2)
    lt = torch.min(boxes1[:, None, :2], boxes2[:, :2])
    rb = torch.max(boxes1[:, None, 2:], boxes2[:, 2:])
    wh = (rb - lt).clamp(min=0)
    area = wh[..., 0] * wh[..., 1]
    return iou - (area - union) / area


def nms(boxes, scores, iou_threshold):
    order = scores.argsort(descending=True)
    keep = []
    while order.numel() > 0:
        i = order[0]
        keep.append(i.item())
        if order.numel() == 1:
            break
        ious, _ = box_iou(boxes[i].unsqueeze(0), boxes[order[1:]])
        mask = ious.squeeze(0) <= iou_threshold
        order = order[1:][mask]
    return torch.tensor(keep, dtype=torch.long)


def batched_nms(boxes, scores, idxs, iou_threshold):
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes) * (max_coordinate + 1)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


torch.manual_seed(0)
cxcywh = torch.tensor([[5.0, 5.0, 4.0, 4.0], [6.0, 6.0, 4.0, 4.0], [20.0, 20.0, 6.0, 2.0]])
xyxy = box_cxcywh_to_xyxy(cxcywh)
print(xyxy)
print(box_xyxy_to_cxcywh(xyxy))
print(torch.allclose(box_xyxy_to_cxcywh(xyxy), cxcywh))
print("areas", box_area(xyxy))

iou, union = box_iou(xyxy, xyxy)
print(iou)
print(union)
print(generalized_box_iou(xyxy, xyxy[:2]))
print(torch.diag(iou), iou.shape, iou.dtype)

# random boxes: xy + positive wh
xy = torch.rand(12, 2) * 20
wh = torch.rand(12, 2) * 8 + 2
boxes = torch.cat([xy, xy + wh], dim=1)
scores = torch.rand(12)
labels = torch.randint(0, 3, (12,))
print(boxes.round(decimals=2))
print(scores)
print(labels)
keep = nms(boxes, scores, 0.3)
print("nms keep", keep)
print("kept scores", scores[keep])
keep_b = batched_nms(boxes, scores, labels, 0.3)
print("batched keep", keep_b, labels[keep_b])

# top-k with a score threshold, the post-processing step
mask = scores > 0.5
print(mask.sum(), mask.nonzero().squeeze(1))
top_scores, top_idx = scores[mask].topk(3)
print(top_scores, top_idx)
vals, idx = torch.sort(scores, descending=True, stable=True)
print(idx[:5], vals[:5])

# IoU matrix statistics: the best match per row and column
iou_rb, _ = box_iou(boxes[:4], boxes)
best_val, best_idx = iou_rb.max(dim=1)
print(best_val, best_idx)
print(iou_rb.argmax(dim=0))
print(iou_rb.gt(0.1).any(dim=1), iou_rb.gt(0.1).all(dim=0)[:4])

# clipping boxes to an image and removing small boxes
clipped = boxes.clone()
clipped[:, 0::2] = clipped[:, 0::2].clamp(min=0, max=16)
clipped[:, 1::2] = clipped[:, 1::2].clamp(min=0, max=16)
ws, hs = clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1]
keep_small = torch.where((ws >= 1.0) & (hs >= 1.0))[0]
print(keep_small)
print(clipped[keep_small][:3])

# common mistakes
try:
    box_iou(xyxy, xyxy[:, :3])
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.stack([xyxy, xyxy[:2]])
except Exception as e:
    print(type(e).__name__, e)
try:
    scores.topk(20)
except Exception as e:
    print(type(e).__name__, e)
