"""Metric learning as tutorials and face/person re-id code write it: an embedding net trained with
nn.TripletMarginLoss on batch-hard triplets mined with masks over torch.cdist / pairwise distances,
F.pairwise_distance, nn.PairwiseDistance, nn.CosineEmbeddingLoss on similar/dissimilar pairs,
nn.MarginRankingLoss, nn.TripletMarginWithDistanceLoss with a cosine distance, the contrastive
(Hadsell) loss by hand, and the argument errors users hit."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)

# no bias on the embedding layer: distances cannot see a shift, so its gradient is only rounding
# noise, which Adam would blow up to full-size steps
net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3, bias=False))
x = torch.randn(12, 6)
labels = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
emb = net(x)

a, p, n = emb[0:4], emb[1:5], emb[6:10]
print(F.pairwise_distance(a, p))
print(F.pairwise_distance(a, p, p=1.0, keepdim=True).shape)
pdist = nn.PairwiseDistance(p=2, eps=1e-6)
print(pdist, pdist(a, n).grad_fn)
print(F.pairwise_distance(torch.ones(3), torch.ones(3)))
print(F.pdist(emb[:4]))

triplet = nn.TripletMarginLoss(margin=1.0, p=2)
print(triplet)
print(f"{triplet(a, p, n).item():.4f}", triplet(a, p, n).grad_fn)
print(F.triplet_margin_loss(a, p, n, margin=0.5, swap=True, reduction="none"))


def cosine_distance(u, v):
    return 1.0 - F.cosine_similarity(u, v)


twd = nn.TripletMarginWithDistanceLoss(distance_function=cosine_distance, margin=0.2)
print(f"{twd(a, p, n).item():.4f}")
print(f"{F.triplet_margin_with_distance_loss(a, p, n, reduction='sum').item():.4f}")


def batch_hard_triplet(embeddings, labels, margin=0.3):
    dist = torch.cdist(embeddings, embeddings, p=2)
    same = labels.unsqueeze(0) == labels.unsqueeze(1)
    eye = torch.eye(len(labels), dtype=torch.bool)
    pos_mask = same & ~eye
    hardest_pos = (dist * pos_mask.float()).max(dim=1).values
    hardest_neg = dist.masked_fill(same, float("inf")).min(dim=1).values
    return F.relu(hardest_pos - hardest_neg + margin).mean(), dist, pos_mask


loss, dist, pos_mask = batch_hard_triplet(emb, labels)
print(dist.shape, pos_mask.sum().item(), dist.diagonal())
print(pos_mask[:4, :4])
print(f"batch-hard {loss.item():.4f}", loss.grad_fn)

opt = torch.optim.Adam(net.parameters(), lr=0.01)
for step in range(8):
    loss, _, _ = batch_hard_triplet(net(x), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(step, f"{loss.item():.4f}")

x1, x2 = torch.randn(5, 3), torch.randn(5, 3)
target = torch.tensor([1, -1, 1, -1, 1])
cel = nn.CosineEmbeddingLoss(margin=0.1)
print(cel, f"{cel(x1, x2, target).item():.4f}")
print(F.cosine_embedding_loss(x1, x2, target.float(), reduction="none"))

mrl = nn.MarginRankingLoss(margin=0.5)
s1 = torch.randn(6, requires_grad=True)
s2 = torch.randn(6)
rank_t = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
out = mrl(s1, s2, rank_t)
out.backward()
print(mrl, f"{out.item():.4f}", out.grad_fn)
print(s1.grad)


def contrastive_loss(e1, e2, same, margin=1.0):
    d = F.pairwise_distance(e1, e2)
    return (same * d.pow(2) + (1 - same) * F.relu(margin - d).pow(2)).mean() / 2


same = torch.tensor([1.0, 0.0, 1.0, 0.0, 0.0])
print(f"contrastive {contrastive_loss(x1, x2, same).item():.4f}")

with torch.no_grad():
    e = F.normalize(net(x), dim=1)
    d = torch.cdist(e, e)
    d.fill_diagonal_(float("inf"))
    nn_idx = d.argmin(dim=1)
print("nn labels", labels[nn_idx])
print("recall@1", (labels[nn_idx] == labels).float().mean().item())

for bad in [lambda: triplet(a, p, n[:2]),
            lambda: cel(x1, x2, target[:3]),
            lambda: mrl(s1, s2[:3], rank_t),
            lambda: F.pairwise_distance(a, torch.randn(4, 5)),
            lambda: nn.TripletMarginLoss(margin=1.0)(a, p, n.unsqueeze(0)),
            lambda: F.triplet_margin_with_distance_loss(a, p, n, margin=-1.0),
            lambda: F.triplet_margin_loss(a, p, n, margin=0),
            lambda: nn.TripletMarginLoss(margin=-0.5),
            lambda: F.triplet_margin_loss(a, p, n.tolist()),
            lambda: cel(x1[0], x2[0], torch.tensor([1])),
            lambda: cel(x1, x2, target.unsqueeze(1)),
            lambda: F.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[3, 4]])),
            lambda: F.cosine_similarity(torch.tensor([[1, 2]]), torch.tensor([[3.0, 4.0]]))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
