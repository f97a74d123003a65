"""'NLP From Scratch: Classifying Names with a Character-Level RNN': one-hot letters, a hand-made RNN
cell (Linear i2h/h2o + LogSoftmax) trained with NLLLoss and SGD, then the same with nn.RNN and nn.LSTM,
and topk predictions."""
# needs: nn optim
import random
import string

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

torch.manual_seed(0)
random.seed(0)

all_letters = string.ascii_letters + " .,;'"
n_letters = len(all_letters)
data = {
    "English": ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"],
    "French": ["Dubois", "Lefebvre", "Moreau", "Laurent", "Girard", "Roux"],
    "Italian": ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano"],
}
all_categories = list(data)
n_categories = len(all_categories)


def letterToIndex(letter):
    return all_letters.find(letter)


def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


print(letterToTensor("J"))
print(lineToTensor("Jones").size())
t = lineToTensor("ab")
print(t.nonzero())
print(t.sum(), t.dtype)


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.h2o = nn.Linear(hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = torch.tanh(self.i2h(combined))
        output = self.h2o(hidden)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 32
rnn = RNN(n_letters, n_hidden, n_categories)
print(rnn)
input = letterToTensor("A")
hidden = torch.zeros(1, n_hidden)
output, next_hidden = rnn(input, hidden)
print(output)
print(output.grad_fn, next_hidden.grad_fn)
print(next_hidden.shape)


def categoryFromOutput(output):
    top_n, top_i = output.topk(1)
    category_i = top_i[0].item()
    return all_categories[category_i], category_i


print(categoryFromOutput(output))

criterion = nn.NLLLoss()
learning_rate = 0.05


def randomTrainingExample():
    category = random.choice(all_categories)
    line = random.choice(data[category])
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    return category, line, category_tensor, line_tensor


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()
    rnn.zero_grad()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    loss = criterion(output, category_tensor)
    loss.backward()
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)
    return output, loss.item()


current_loss = 0
for it in range(1, 301):
    category, line, category_tensor, line_tensor = randomTrainingExample()
    output, loss = train(category_tensor, line_tensor)
    current_loss += loss
    if it % 50 == 0:
        guess, guess_i = categoryFromOutput(output)
        correct = "✓" if guess == category else "✗ (%s)" % category
        print("%d %d%% %.4f %s / %s %s" % (it, it / 300 * 100, loss, line, guess, correct))
        print(f"avg {current_loss / 50:.4f}")
        current_loss = 0

confusion = torch.zeros(n_categories, n_categories)
with torch.no_grad():
    for category in all_categories:
        for line in data[category]:
            hidden = rnn.initHidden()
            lt = lineToTensor(line)
            for i in range(lt.size()[0]):
                output, hidden = rnn(lt[i], hidden)
            guess, guess_i = categoryFromOutput(output)
            confusion[all_categories.index(category)][guess_i] += 1
for i in range(n_categories):
    confusion[i] = confusion[i] / confusion[i].sum()
print(confusion)


def predict(input_line, n_predictions=3):
    print("\n> %s" % input_line)
    with torch.no_grad():
        hidden = rnn.initHidden()
        lt = lineToTensor(input_line)
        for i in range(lt.size()[0]):
            output, hidden = rnn(lt[i], hidden)
        topv, topi = output.topk(n_predictions, 1, True)
        print(topv.shape, topi.dtype)
        for i in range(n_predictions):
            value = topv[0][i].item()
            category_index = topi[0][i].item()
            print("(%.2f) %s" % (value, all_categories[category_index]))


predict("Dovesky")
predict("Satoshi")

# the same classifier with the built-in recurrent layers, batched with batch_first
class NameRNN(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.rnn = kind(n_letters, 16, batch_first=True)
        self.fc = nn.Linear(16, n_categories)

    def forward(self, x):
        out, h = self.rnn(x)
        if isinstance(h, tuple):
            h = h[0]
        return F.log_softmax(self.fc(h[-1]), dim=1), out


for kind in (nn.RNN, nn.LSTM, nn.GRU):
    torch.manual_seed(1)
    model = NameRNN(kind)
    print(model)
    print([(n, tuple(p.shape)) for n, p in model.named_parameters()])
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    names = [("Smith", 0), ("Rossi", 2), ("Roux", 1), ("Evans", 0), ("Russo", 2)]
    for epoch in range(20):
        total = 0.0
        for name, label in names:
            x = lineToTensor(name).transpose(0, 1)
            logp, out = model(x)
            loss = F.nll_loss(logp, torch.tensor([label]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        if epoch % 5 == 4:
            print(kind.__name__, epoch, f"{total:.4f}")
    print(out.shape, out.grad_fn is not None, logp.grad_fn)
    with torch.no_grad():
        logp, _ = model(lineToTensor("Rossi").transpose(0, 1))
    print(logp.exp())
    print(logp.topk(2))

# common mistakes
try:
    nn.RNN(n_letters, 16)(torch.zeros(3, 1, 5))
except Exception as e:
    print(type(e).__name__, e)
try:
    criterion(torch.randn(1, 3), torch.tensor([1.0]))
except Exception as e:
    print(type(e).__name__, e)
try:
    criterion(torch.randn(1, 3), torch.tensor([5]))
except Exception as e:
    print(type(e).__name__, e)
try:
    nn.LSTM(4, 8)(torch.zeros(2, 1, 4), torch.zeros(1, 1, 8))
except Exception as e:
    print(type(e).__name__, e)
