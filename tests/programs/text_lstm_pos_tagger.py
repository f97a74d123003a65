"""'Sequence Models and Long Short-Term Memory Networks' tutorial: stepping an nn.LSTM one element at
a time with (hidden, cell) carried along versus the whole sequence at once, then the LSTM
part-of-speech tagger (Embedding -> LSTM -> Linear -> log_softmax, NLLLoss, SGD), plus the cell
modules users write loops with (LSTMCell, GRUCell, RNNCell), weight layouts, and a character-level
word representation concatenated to the word embedding (the tutorial's exercise)."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim

torch.manual_seed(1)

lstm = nn.LSTM(3, 3)
inputs = [torch.randn(1, 3) for _ in range(5)]
hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
for i in inputs:
    out, hidden = lstm(i.view(1, 1, -1), hidden)
print(out)
print(hidden)
inputs = torch.cat(inputs).view(len(inputs), 1, -1)
hidden = (torch.randn(1, 1, 3), torch.randn(1, 1, 3))
out, hidden = lstm(inputs, hidden)
print(out)
print(hidden)
print(out.grad_fn, hidden[0].grad_fn)
print(lstm.weight_ih_l0.shape, lstm.weight_hh_l0.shape, lstm.bias_ih_l0.shape)
print(lstm.all_weights[0][0].shape, len(lstm.all_weights), lstm._flat_weights_names)


def prepare_sequence(seq, to_ix):
    idxs = [to_ix[w] for w in seq]
    return torch.tensor(idxs, dtype=torch.long)


training_data = [
    ("The dog ate the apple".split(), ["DET", "NN", "V", "DET", "NN"]),
    ("Everybody read that book".split(), ["NN", "V", "DET", "NN"]),
]
word_to_ix = {}
for sent, _tags in training_data:
    for word in sent:
        if word not in word_to_ix:
            word_to_ix[word] = len(word_to_ix)
print(word_to_ix)
tag_to_ix = {"DET": 0, "NN": 1, "V": 2}
EMBEDDING_DIM = 6
HIDDEN_DIM = 6


class LSTMTagger(nn.Module):
    def __init__(self, embedding_dim, hidden_dim, vocab_size, tagset_size):
        super(LSTMTagger, self).__init__()
        self.hidden_dim = hidden_dim
        self.word_embeddings = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim)
        self.hidden2tag = nn.Linear(hidden_dim, tagset_size)

    def forward(self, sentence):
        embeds = self.word_embeddings(sentence)
        lstm_out, _ = self.lstm(embeds.view(len(sentence), 1, -1))
        tag_space = self.hidden2tag(lstm_out.view(len(sentence), -1))
        tag_scores = F.log_softmax(tag_space, dim=1)
        return tag_scores


model = LSTMTagger(EMBEDDING_DIM, HIDDEN_DIM, len(word_to_ix), len(tag_to_ix))
loss_function = nn.NLLLoss()
optimizer = optim.SGD(model.parameters(), lr=0.1)
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)
for epoch in range(300):
    for sentence, tags in training_data:
        model.zero_grad()
        sentence_in = prepare_sequence(sentence, word_to_ix)
        targets = prepare_sequence(tags, tag_to_ix)
        tag_scores = model(sentence_in)
        loss = loss_function(tag_scores, targets)
        loss.backward()
        optimizer.step()
    if epoch % 100 == 0:
        print(epoch, f"{loss.item():.4f}")
with torch.no_grad():
    inputs = prepare_sequence(training_data[0][0], word_to_ix)
    tag_scores = model(inputs)
    print(tag_scores)
    print(tag_scores.argmax(dim=1))

# unbatched input goes straight in
out, (h, c) = model.lstm(model.word_embeddings(inputs))
print(out.shape, h.shape, c.shape)

# cells stepped by hand
torch.manual_seed(2)
rnn = nn.LSTMCell(10, 20)
print(rnn, rnn.weight_ih.shape, rnn.bias_hh.shape)
input = torch.randn(2, 3, 10)
hx = torch.randn(3, 20)
cx = torch.randn(3, 20)
output = []
for i in range(input.size()[0]):
    hx, cx = rnn(input[i], (hx, cx))
    output.append(hx)
output = torch.stack(output, dim=0)
print(output.shape, output.grad_fn, hx.grad_fn)
print(output[1, 0, :5])
gru = nn.GRUCell(10, 20)
h = gru(input[0])
print(gru, h.shape, h.grad_fn)
print(h[0, :5])
cell = nn.RNNCell(10, 20, nonlinearity="relu")
print(cell, cell(input[0, 0]).shape)
print(nn.RNNCell(4, 3, bias=False))
print((cell(input[0], torch.zeros(3, 20)) >= 0).all())

# the exercise: a character-level LSTM builds part of each word's representation
char_to_ix = {c: i for i, c in enumerate(sorted({c for s, _ in training_data for w in s for c in w}))}


class CharAugmentedTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.char_emb = nn.Embedding(len(char_to_ix), 3)
        self.char_lstm = nn.LSTM(3, 4)
        self.word_emb = nn.Embedding(len(word_to_ix), 5)
        self.lstm = nn.LSTM(9, 6, bidirectional=True)
        self.out = nn.Linear(12, len(tag_to_ix))

    def forward(self, sentence):
        reps = []
        for w in sentence:
            chars = torch.tensor([char_to_ix[c] for c in w])
            _, (h, _) = self.char_lstm(self.char_emb(chars).unsqueeze(1))
            reps.append(h[-1, 0])
        char_rep = torch.stack(reps)
        words = self.word_emb(prepare_sequence(sentence, word_to_ix))
        x = torch.cat([words, char_rep], dim=1).unsqueeze(1)
        out, _ = self.lstm(x)
        return F.log_softmax(self.out(out.squeeze(1)), dim=1)


tagger = CharAugmentedTagger()
opt = optim.Adam(tagger.parameters(), lr=0.05)
for epoch in range(30):
    total = 0.0
    for sentence, tags in training_data:
        opt.zero_grad()
        loss = F.nll_loss(tagger(sentence), prepare_sequence(tags, tag_to_ix))
        loss.backward()
        opt.step()
        total += loss.item()
    if epoch % 10 == 9:
        print(epoch, f"{total:.4f}")
print(tagger(training_data[1][0]).argmax(1))

for fn in [
    lambda: rnn(input[0], hx),
    lambda: rnn(torch.randn(3, 9)),
    lambda: gru(input[0], torch.randn(2, 20)),
    lambda: nn.RNNCell(3, 4, nonlinearity="gelu"),
    lambda: lstm(torch.randn(5, 1, 4)),
    lambda: lstm(torch.randn(5, 1, 3), (torch.randn(1, 1, 3), torch.randn(1, 2, 3))),
    lambda: nn.LSTM(3, 3, proj_size=3),
    lambda: nn.GRU(3, 3, proj_size=2),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
