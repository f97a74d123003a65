"""Few-shot and supervised-contrastive learning as tutorials write them: Prototypical Networks
(episodes of N-way K-shot, class prototypes as support means, logits = -cdist(query, protos)**2,
log_softmax + nll_loss), Reptile's meta-update (deepcopy, inner SGD, interpolating the weights
under no_grad), and the SupCon loss (label masks, logits minus their row max, logsumexp over the
non-self entries, mean log-probability of the positives)."""
# needs: nn optim
import copy
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
random.seed(0)

n_classes, per_class, dim = 5, 6, 8
centers = torch.randn(n_classes, dim) * 2
data = centers.repeat_interleave(per_class, dim=0) + 0.5 * torch.randn(n_classes * per_class, dim)
labels = torch.arange(n_classes).repeat_interleave(per_class)
print(data.shape, labels[:8], labels.dtype)

encoder = nn.Sequential(nn.Linear(dim, 16), nn.ReLU(), nn.Linear(16, 4))


def episode(n_way=3, k_shot=2, n_query=2):
    classes = random.sample(range(n_classes), n_way)
    support, query = [], []
    for c in classes:
        idx = (labels == c).nonzero(as_tuple=True)[0]
        perm = idx[torch.randperm(len(idx))]
        support.append(data[perm[:k_shot]])
        query.append(data[perm[k_shot:k_shot + n_query]])
    q_labels = torch.arange(n_way).repeat_interleave(n_query)
    return torch.stack(support), torch.cat(query), q_labels, classes


support, query, q_labels, classes = episode()
print(support.shape, query.shape, q_labels, classes)


def proto_loss(support, query, q_labels):
    n_way, k_shot, d = support.shape
    protos = encoder(support.reshape(-1, d)).reshape(n_way, k_shot, -1).mean(dim=1)
    dists = torch.cdist(encoder(query), protos).pow(2)
    log_p = F.log_softmax(-dists, dim=1)
    loss = F.nll_loss(log_p, q_labels)
    acc = (log_p.argmax(1) == q_labels).float().mean()
    return loss, acc, dists


loss, acc, dists = proto_loss(support, query, q_labels)
print(dists.shape, dists.grad_fn)
print(f"{loss.item():.4f} {acc.item():.4f}", loss.grad_fn)
opt = torch.optim.Adam(encoder.parameters(), lr=0.01, weight_decay=1e-4)
for ep in range(6):
    s, q, ql, _ = episode()
    loss, acc, _ = proto_loss(s, q, ql)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(ep, f"{loss.item():.4f}", f"{acc.item():.3f}")

# Reptile: adapt a copy with SGD, then move the meta-weights toward it
meta = nn.Linear(dim, n_classes)
meta_lr = 0.5
for it in range(3):
    fast = copy.deepcopy(meta)
    inner = torch.optim.SGD(fast.parameters(), lr=0.1)
    for _ in range(3):
        l = F.cross_entropy(fast(data), labels)
        inner.zero_grad()
        l.backward()
        inner.step()
    with torch.no_grad():
        for p, fp in zip(meta.parameters(), fast.parameters()):
            p.add_(fp - p, alpha=meta_lr)
    print(it, f"{l.item():.4f}", f"{meta.weight.norm().item():.4f}", meta.weight.requires_grad, fast.bias.grad.shape)


def supcon(features, labels, temperature=0.1):
    features = F.normalize(features, dim=1)
    logits = features @ features.T / temperature
    logits = logits - logits.max(dim=1, keepdim=True).values.detach()
    n = features.shape[0]
    self_mask = torch.eye(n, dtype=torch.bool)
    pos_mask = (labels.unsqueeze(0) == labels.unsqueeze(1)) & ~self_mask
    logits = logits.masked_fill(self_mask, -1e9)
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    mean_log_pos = (log_prob * pos_mask).sum(1) / pos_mask.sum(1).clamp(min=1)
    return -mean_log_pos.mean(), pos_mask


feats = encoder(data[::3])
sc, pos_mask = supcon(feats, labels[::3])
print(pos_mask.sum(1), pos_mask.dtype)
print(f"supcon {sc.item():.4f}", sc.grad_fn)
sc.backward()
print(encoder[2].bias.grad)

# batch-all triplets from masks: valid (a, p, n) where label[a] == label[p] != label[n]
with torch.no_grad():
    e = encoder(data[:12])
    d = torch.cdist(e, e)
    l12 = labels[:12]
    same = l12[:, None] == l12[None, :]
    valid = same.unsqueeze(2) & ~same.unsqueeze(1) & ~torch.eye(12, dtype=torch.bool).unsqueeze(2)
    trip = F.relu(d.unsqueeze(2) - d.unsqueeze(1) + 0.2) * valid
    print(valid.sum().item(), (trip > 1e-16).sum().item(), f"{(trip.sum() / valid.sum()).item():.4f}")
    print(torch.triu(same, diagonal=1).nonzero()[:5])

print(list(encoder.state_dict().keys()))
print(opt.param_groups[0]["weight_decay"], opt.state_dict()["state"][0]["exp_avg"].shape)
protos = torch.zeros(n_classes, dim).index_add_(0, labels, data) / per_class
print(torch.allclose(protos, torch.stack([data[labels == c].mean(0) for c in range(n_classes)]), atol=1e-6))
print(torch.cdist(data[:2], protos).argmin(1), torch.cdist(data[:2], protos, p=1).shape)
print(F.log_softmax(-torch.cdist(data[:2], protos) ** 2, dim=1).exp().sum(1))
for bad in [lambda: torch.cdist(data[:2], protos[:, :4]),
            lambda: torch.cdist(data[0], protos),
            lambda: F.nll_loss(F.log_softmax(data[:2], 1), labels[:2].float()),
            lambda: F.nll_loss(F.log_softmax(data[:2], 1), torch.tensor([0, 9])),
            lambda: F.cross_entropy(data[:2], labels[:3]),
            lambda: torch.logsumexp(data[:2], dim=2)]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
