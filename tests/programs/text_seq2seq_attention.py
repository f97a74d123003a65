"""'NLP From Scratch: Translation with a Sequence to Sequence Network and Attention': a GRU encoder,
a Bahdanau-attention GRU decoder (bmm, softmax over encoder outputs), teacher forcing with
random.random(), SOS/EOS tokens, NLLLoss on log_softmax, and greedy decoding that records the
attention matrix."""
# needs: nn optim
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft import optim

torch.manual_seed(0)
random.seed(0)

SOS_token, EOS_token = 0, 1
pairs = [("je suis grand", "i am tall"), ("il est petit", "he is small"), ("je suis petit", "i am small"),
         ("elle est grande", "she is tall"), ("il est grand", "he is tall")]


class Lang:
    def __init__(self, name):
        self.name = name
        self.word2index = {}
        self.index2word = {0: "SOS", 1: "EOS"}
        self.n_words = 2

    def addSentence(self, sentence):
        for word in sentence.split(" "):
            if word not in self.word2index:
                self.word2index[word] = self.n_words
                self.index2word[self.n_words] = word
                self.n_words += 1


input_lang, output_lang = Lang("fra"), Lang("eng")
for a, b in pairs:
    input_lang.addSentence(a)
    output_lang.addSentence(b)
print(input_lang.n_words, output_lang.n_words)
MAX_LENGTH = 5


def tensorFromSentence(lang, sentence):
    indexes = [lang.word2index[w] for w in sentence.split(" ")]
    indexes.append(EOS_token)
    return torch.tensor(indexes, dtype=torch.long).view(1, -1)


print(tensorFromSentence(input_lang, pairs[0][0]))


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size, dropout_p=0.1):
        super().__init__()
        self.hidden_size = hidden_size
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, input):
        embedded = self.dropout(self.embedding(input))
        output, hidden = self.gru(embedded)
        return output, hidden


class BahdanauAttention(nn.Module):
    def __init__(self, hidden_size):
        super().__init__()
        self.Wa = nn.Linear(hidden_size, hidden_size)
        self.Ua = nn.Linear(hidden_size, hidden_size)
        self.Va = nn.Linear(hidden_size, 1)

    def forward(self, query, keys):
        scores = self.Va(torch.tanh(self.Wa(query) + self.Ua(keys)))
        scores = scores.squeeze(2).unsqueeze(1)
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, keys)
        return context, weights


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size, dropout_p=0.1):
        super().__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.attention = BahdanauAttention(hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)
        self.dropout = nn.Dropout(dropout_p)

    def forward(self, encoder_outputs, encoder_hidden, target_tensor=None, teacher_forcing=False):
        batch_size = encoder_outputs.size(0)
        decoder_input = torch.empty(batch_size, 1, dtype=torch.long).fill_(SOS_token)
        decoder_hidden = encoder_hidden
        decoder_outputs, attentions = [], []
        for i in range(MAX_LENGTH):
            decoder_output, decoder_hidden, attn_weights = self.forward_step(
                decoder_input, decoder_hidden, encoder_outputs)
            decoder_outputs.append(decoder_output)
            attentions.append(attn_weights)
            if target_tensor is not None and teacher_forcing:
                decoder_input = target_tensor[:, i].unsqueeze(1)
            else:
                _, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
        decoder_outputs = torch.cat(decoder_outputs, dim=1)
        decoder_outputs = F.log_softmax(decoder_outputs, dim=-1)
        attentions = torch.cat(attentions, dim=1)
        return decoder_outputs, decoder_hidden, attentions

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.dropout(self.embedding(input))
        query = hidden.permute(1, 0, 2)
        context, attn_weights = self.attention(query, encoder_outputs)
        input_gru = torch.cat((embedded, context), dim=2)
        output, hidden = self.gru(input_gru, hidden)
        output = self.out(output)
        return output, hidden, attn_weights


hidden_size = 16
encoder = EncoderRNN(input_lang.n_words, hidden_size)
decoder = AttnDecoderRNN(hidden_size, output_lang.n_words)
print(encoder)
print(decoder)

# one padded batch of all pairs
def pad(ids, n):
    return ids + [0] * (n - len(ids))


inp = torch.tensor([pad([input_lang.word2index[w] for w in a.split()] + [EOS_token], MAX_LENGTH) for a, _ in pairs])
tgt = torch.tensor([pad([output_lang.word2index[w] for w in b.split()] + [EOS_token], MAX_LENGTH) for _, b in pairs])
print(inp)
print(tgt.shape, tgt.dtype)

enc_out, enc_hidden = encoder(inp)
print(enc_out.shape, enc_hidden.shape, enc_hidden.grad_fn is not None)
dec_out, dec_hidden, attn = decoder(enc_out, enc_hidden, tgt, teacher_forcing=True)
print(dec_out.shape, attn.shape, dec_out.grad_fn)
print(attn.sum(-1))

encoder_optimizer = optim.Adam(encoder.parameters(), lr=0.01)
decoder_optimizer = optim.Adam(decoder.parameters(), lr=0.01)
criterion = nn.NLLLoss()
for epoch in range(1, 81):
    encoder_optimizer.zero_grad()
    decoder_optimizer.zero_grad()
    use_tf = random.random() < 0.5
    enc_out, enc_hidden = encoder(inp)
    dec_out, _, _ = decoder(enc_out, enc_hidden, tgt, teacher_forcing=use_tf)
    loss = criterion(dec_out.view(-1, dec_out.size(-1)), tgt.view(-1))
    loss.backward()
    encoder_optimizer.step()
    decoder_optimizer.step()
    if epoch % 20 == 0:
        print(epoch, use_tf, f"{loss.item():.4f}")


def evaluate(sentence):
    encoder.eval()
    decoder.eval()
    with torch.no_grad():
        input_tensor = tensorFromSentence(input_lang, sentence)
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_outputs, decoder_hidden, decoder_attn = decoder(encoder_outputs, encoder_hidden)
        _, topi = decoder_outputs.topk(1)
        decoded_ids = topi.squeeze()
        decoded_words = []
        for idx in decoded_ids:
            if idx.item() == EOS_token:
                decoded_words.append("<EOS>")
                break
            decoded_words.append(output_lang.index2word[idx.item()])
    return decoded_words, decoder_attn


for a, b in pairs[:3]:
    words, att = evaluate(a)
    print(">", a)
    print("=", b)
    print("<", " ".join(words))
    print(att.shape, att[0, 0])

q = torch.randn(2, 1, 4)
k = torch.randn(2, 3, 4)
w = F.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
print(w)
print(torch.bmm(w, k))
try:
    torch.bmm(q, k)
except Exception as e:
    print(type(e).__name__, e)
try:
    torch.bmm(q[0], k[0])
except Exception as e:
    print(type(e).__name__, e)
try:
    decoder.gru(torch.randn(2, 1, 32), torch.randn(2, 16))
except Exception as e:
    print(type(e).__name__, e)
