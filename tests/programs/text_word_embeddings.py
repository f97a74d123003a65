"""'Word Embeddings: Encoding Lexical Semantics' tutorial: an N-gram language model (Embedding ->
Linear -> ReLU -> Linear -> log_softmax, NLLLoss, SGD), the CBOW exercise, then nn.Embedding's
options users reach for: padding_idx (zero row, no gradient), max_norm renormalisation in place,
from_pretrained (freeze), the sparse flag, scale_grad_by_freq, F.embedding, and
cosine similarity between learned vectors."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(1)

word_to_ix = {"hello": 0, "world": 1}
embeds = nn.Embedding(2, 5)
lookup_tensor = torch.tensor([word_to_ix["hello"]], dtype=torch.long)
hello_embed = embeds(lookup_tensor)
print(hello_embed)
print(embeds)
print(embeds.weight.shape, embeds.weight.requires_grad)

CONTEXT_SIZE = 2
EMBEDDING_DIM = 10
test_sentence = """When forty winters shall besiege thy brow,
And dig deep trenches in thy beauty's field,
Thy youth's proud livery so gazed on now,
Will be a totter'd weed of small worth held:""".split()
ngrams = [([test_sentence[i - j - 1] for j in range(CONTEXT_SIZE)], test_sentence[i])
          for i in range(CONTEXT_SIZE, len(test_sentence))]
print(ngrams[:3])
vocab = sorted(set(test_sentence))
word_to_ix = {word: i for i, word in enumerate(vocab)}
print(len(vocab))


class NGramLanguageModeler(nn.Module):
    def __init__(self, vocab_size, embedding_dim, context_size):
        super(NGramLanguageModeler, self).__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear1 = nn.Linear(context_size * embedding_dim, 128)
        self.linear2 = nn.Linear(128, vocab_size)

    def forward(self, inputs):
        embeds = self.embeddings(inputs).view((1, -1))
        out = F.relu(self.linear1(embeds))
        out = self.linear2(out)
        log_probs = F.log_softmax(out, dim=1)
        return log_probs


losses = []
loss_function = nn.NLLLoss()
model = NGramLanguageModeler(len(vocab), EMBEDDING_DIM, CONTEXT_SIZE)
optimizer = optim.SGD(model.parameters(), lr=0.001)
for _epoch in range(5):
    total_loss = 0
    for context, target in ngrams:
        context_idxs = torch.tensor([word_to_ix[w] for w in context], dtype=torch.long)
        model.zero_grad()
        log_probs = model(context_idxs)
        loss = loss_function(log_probs, torch.tensor([word_to_ix[target]], dtype=torch.long))
        loss.backward()
        optimizer.step()
        total_loss += loss.item()
    losses.append(total_loss)
print([f"{v:.4f}" for v in losses])
print(model.embeddings.weight[word_to_ix["beauty's"]])

raw_text = """We are about to study the idea of a computational process.
Computational processes are abstract beings that inhabit computers.""".split()
vocab = set(raw_text)
word_to_ix = {word: i for i, word in enumerate(sorted(vocab))}
data = []
for i in range(2, len(raw_text) - 2):
    context = [raw_text[i - 2], raw_text[i - 1], raw_text[i + 1], raw_text[i + 2]]
    data.append((context, raw_text[i]))
print(data[:2])


class CBOW(nn.Module):
    def __init__(self, vocab_size, embedding_dim):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.linear = nn.Linear(embedding_dim, vocab_size)

    def forward(self, inputs):
        return F.log_softmax(self.linear(self.embeddings(inputs).sum(dim=-2)), dim=-1)


def make_context_vector(context, word_to_ix):
    idxs = [word_to_ix[w] for w in context]
    return torch.tensor(idxs, dtype=torch.long)


print(make_context_vector(data[0][0], word_to_ix))
cbow = CBOW(len(vocab), 8)
opt = optim.Adam(cbow.parameters(), lr=0.05)
ctx = torch.stack([make_context_vector(c, word_to_ix) for c, _ in data])
tgt = torch.tensor([word_to_ix[t] for _, t in data])
for epoch in range(40):
    out = cbow(ctx)
    loss = F.nll_loss(out, tgt)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if epoch % 10 == 0:
        print(epoch, f"{loss.item():.4f}", out.shape)
print((cbow(ctx).argmax(1) == tgt).float().mean())
v = cbow.embeddings.weight
print(F.cosine_similarity(v[word_to_ix["processes"]], v[word_to_ix["process."]], dim=0).shape)
sims = F.cosine_similarity(v[word_to_ix["study"]].unsqueeze(0), v, dim=1)
print(sims.shape, sims.topk(3).indices.dtype)

# padding_idx: the row starts at zero and never gets a gradient
torch.manual_seed(0)
emb = nn.Embedding(6, 3, padding_idx=0)
print(emb)
print(emb.weight)
batch = torch.tensor([[1, 2, 0, 0], [3, 4, 5, 0]])
out = emb(batch)
print(out.shape, out.grad_fn)
out.sum().backward()
print(emb.weight.grad)
emb2 = nn.Embedding(5, 2, padding_idx=-1)
print(emb2.padding_idx, emb2.weight[4])
print(nn.Embedding(4, 2, padding_idx=2).weight)

# max_norm renormalises the looked-up rows in place
torch.manual_seed(0)
emb = nn.Embedding(5, 3, max_norm=1.0)
print(emb)
print(emb.weight.norm(dim=1))
idx = torch.tensor([0, 2, 2])
out = emb(idx)
print(out.norm(dim=1))
print(emb.weight.norm(dim=1))
emb_n = nn.Embedding(4, 3, max_norm=0.5, norm_type=1.0)
print(emb_n)
emb_n(torch.tensor([1, 3]))
print(emb_n.weight.abs().sum(1))

# from_pretrained
weight = torch.FloatTensor([[1, 2.3, 3], [4, 5.1, 6.3]])
embedding = nn.Embedding.from_pretrained(weight)
print(embedding)
print(embedding(torch.LongTensor([1])))
print(embedding.weight.requires_grad)
e2 = nn.Embedding.from_pretrained(weight, freeze=False, padding_idx=0)
print(e2.weight.requires_grad, e2.padding_idx, e2)

# sparse=True only changes the gradient's layout (sparse gradients are not printed here)
sp = nn.Embedding(10, 3, sparse=True)
print(sp)

# scale_grad_by_freq
sg = nn.Embedding(4, 2, scale_grad_by_freq=True)
sg(torch.tensor([1, 1, 1, 2])).sum().backward()
print(sg.weight.grad)
print(sg)

# functional form
w = torch.rand(10, 3)
inp = torch.tensor([[1, 2, 4, 5], [4, 3, 2, 9]])
print(F.embedding(inp, w).shape)
w2 = torch.rand(10, 3)
print(F.embedding(torch.tensor([[0, 2, 0, 5]]), w2, padding_idx=0)[0, 0])

for fn in [
    lambda: nn.Embedding(3, 2)(torch.tensor([3])),
    lambda: nn.Embedding(3, 2)(torch.tensor([-1])),
    lambda: nn.Embedding(3, 2, padding_idx=3),
    lambda: nn.Embedding(3, 2, padding_idx=-4),
    lambda: nn.Embedding(3, 2)(torch.tensor([0.0, 1.0])),
    lambda: nn.Embedding.from_pretrained(torch.rand(3)),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
