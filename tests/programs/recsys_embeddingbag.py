"""Bag-of-features recommender inputs as in the EmbeddingBag tutorial (text classification / DLRM
sparse features): flat indices with offsets, 2-D fixed-size bags, sum/mean/max modes,
per_sample_weights, padding_idx, include_last_offset, from_pretrained, F.embedding_bag, the
equivalent Embedding + segment mean with index_add_, gradients, and the usual errors."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(3)
bag = nn.EmbeddingBag(10, 4, mode="mean")
print(bag)
print(bag.weight.shape, bag.mode, bag.padding_idx)
indices = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
offsets = torch.tensor([0, 4])
out = bag(indices, offsets)
print(out)
print(out.grad_fn.name())

emb = nn.Embedding.from_pretrained(bag.weight.detach().clone())
seg = torch.repeat_interleave(torch.arange(2), torch.tensor([4, 4]))
manual = torch.zeros(2, 4).index_add_(0, seg, emb(indices)) / 4
print("segment mean agrees", torch.allclose(manual, out, atol=1e-6))

print(bag(torch.tensor([[1, 2, 4], [4, 3, 9]])))
sum_bag = nn.EmbeddingBag.from_pretrained(torch.arange(12.0).view(6, 2), mode="sum")
print(sum_bag)
print(sum_bag(torch.tensor([0, 1, 2, 5]), torch.tensor([0, 1, 1])))
print(sum_bag(torch.tensor([0, 1, 2, 5]), torch.tensor([0, 1, 3, 4]), ))
w = torch.tensor([1.0, 0.5, 2.0, -1.0])
print(sum_bag(torch.tensor([0, 1, 2, 5]), torch.tensor([0, 2]), per_sample_weights=w))
max_bag = nn.EmbeddingBag.from_pretrained(torch.arange(12.0).view(6, 2), mode="max")
print(max_bag(torch.tensor([0, 4, 2, 5, 1]), torch.tensor([0, 2])))
last = nn.EmbeddingBag.from_pretrained(torch.arange(12.0).view(6, 2), mode="mean", include_last_offset=True)
print(last(torch.tensor([0, 4, 2, 5, 1]), torch.tensor([0, 2, 5])))
pad = nn.EmbeddingBag(6, 3, mode="sum", padding_idx=0)
print(pad)
print(pad.weight[0])
print(pad(torch.tensor([[0, 1, 0], [0, 0, 0]])) - pad.weight[1].unsqueeze(0) * torch.tensor([[1.0], [0.0]]))
weight = torch.randn(7, 3, requires_grad=True)
fe = F.embedding_bag(torch.tensor([1, 2, 2, 6]), weight, torch.tensor([0, 3]), mode="sum")
print(fe)
fe.sum().backward()
print(weight.grad)


class BagClassifier(nn.Module):
    def __init__(self, vocab, dim, classes):
        super().__init__()
        self.embedding = nn.EmbeddingBag(vocab, dim, mode="mean")
        self.fc = nn.Linear(dim, classes)
        self.embedding.weight.data.uniform_(-0.5, 0.5)
        self.fc.weight.data.uniform_(-0.5, 0.5)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        return self.fc(self.embedding(text, offsets))


texts = [[1, 2, 3], [4, 5], [1, 3], [6, 7, 8, 9], [5, 4, 6], [2, 1]]
labels = torch.tensor([0, 1, 0, 1, 1, 0])
flat = torch.tensor([t for s in texts for t in s])
offs = torch.tensor([0] + [len(s) for s in texts[:-1]]).cumsum(dim=0)
print("offsets", offs)
clf = BagClassifier(10, 6, 2)
print(clf)
opt = torch.optim.SGD(clf.parameters(), lr=0.5)
for epoch in range(25):
    opt.zero_grad()
    loss = F.cross_entropy(clf(flat, offs), labels)
    loss.backward()
    opt.step()
    if epoch % 5 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f}")
print("pred", clf(flat, offs).argmax(1))
print(clf.embedding.weight.grad[0], clf.embedding.weight.grad.abs().sum(1).gt(0))

for bad in [lambda: bag(indices),
            lambda: bag(indices, torch.tensor([1, 4])),
            lambda: bag(indices.float(), offsets),
            lambda: nn.EmbeddingBag(10, 4, mode="median"),
            lambda: bag(indices, offsets, per_sample_weights=torch.ones(8)),
            lambda: sum_bag(torch.tensor([0, 1]), torch.tensor([0]), per_sample_weights=torch.ones(3))]:
    try:
        print(bad())
    except Exception as e:
        print(type(e).__name__, e)
