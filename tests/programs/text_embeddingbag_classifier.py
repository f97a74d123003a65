"""'Text classification with the torchtext library' tutorial (AG_NEWS style) without torchtext: a
vocabulary built by hand, text_pipeline/label_pipeline, a collate_batch that concatenates token ids
and builds offsets with cumsum, nn.EmbeddingBag(mode='mean') + Linear, CrossEntropyLoss, SGD with
StepLR and clip_grad_norm_, DataLoader with a custom collate_fn, random_split, accuracy; then
EmbeddingBag's modes, per_sample_weights, padding_idx, 2-D input, include_last_offset and errors."""
# needs: nn optim
import random
from collections import Counter

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.utils.data import DataLoader, random_split

torch.manual_seed(0)
random.seed(0)

topics = {
    0: ["the team won the match", "a great goal in the final", "the player scored twice", "fans cheered the win"],
    1: ["stocks fell on monday", "the market rallied today", "profits rose this quarter", "the bank cut rates"],
    2: ["the new phone has a chip", "software update fixes bugs", "the chip is very fast", "a new app for phones"],
}
train_iter = [(label, text) for label, texts in topics.items() for text in texts] * 3
random.shuffle(train_iter)
print(len(train_iter), train_iter[0])


def tokenizer(text):
    return text.lower().split()


counter = Counter()
for _, text in train_iter:
    counter.update(tokenizer(text))
itos = ["<unk>", "<pad>"] + sorted(counter)
stoi = {w: i for i, w in enumerate(itos)}
print(len(itos), itos[:6])


def text_pipeline(x):
    return [stoi.get(tok, 0) for tok in tokenizer(x)]


def label_pipeline(x):
    return int(x)


print(text_pipeline("the chip won the market"), label_pipeline("2"))


def collate_batch(batch):
    label_list, text_list, offsets = [], [], [0]
    for _label, _text in batch:
        label_list.append(label_pipeline(_label))
        processed_text = torch.tensor(text_pipeline(_text), dtype=torch.int64)
        text_list.append(processed_text)
        offsets.append(processed_text.size(0))
    label_list = torch.tensor(label_list, dtype=torch.int64)
    offsets = torch.tensor(offsets[:-1]).cumsum(dim=0)
    text_list = torch.cat(text_list)
    return label_list, text_list, offsets


labels, text, offsets = collate_batch(train_iter[:3])
print(labels, text, offsets)


class TextClassificationModel(nn.Module):
    def __init__(self, vocab_size, embed_dim, num_class):
        super(TextClassificationModel, self).__init__()
        self.embedding = nn.EmbeddingBag(vocab_size, embed_dim, sparse=False)
        self.fc = nn.Linear(embed_dim, num_class)
        self.init_weights()

    def init_weights(self):
        initrange = 0.5
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.fc.weight.data.uniform_(-initrange, initrange)
        self.fc.bias.data.zero_()

    def forward(self, text, offsets):
        embedded = self.embedding(text, offsets)
        return self.fc(embedded)


num_class = len(topics)
model = TextClassificationModel(len(itos), 16, num_class)
print(model)
out = model(text, offsets)
print(out.shape, out.grad_fn)
print(model.embedding(text, offsets).grad_fn)

criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 1.0, gamma=0.1)
train_dataset, valid_dataset = random_split(train_iter, [30, 6], generator=torch.Generator().manual_seed(1))
print(len(train_dataset), len(valid_dataset))
train_dataloader = DataLoader(train_dataset, batch_size=8, shuffle=True, collate_fn=collate_batch)
valid_dataloader = DataLoader(valid_dataset, batch_size=8, shuffle=False, collate_fn=collate_batch)


def train(dataloader):
    model.train()
    total_acc, total_count = 0, 0
    for label, text, offsets in dataloader:
        optimizer.zero_grad()
        predicted_label = model(text, offsets)
        loss = criterion(predicted_label, label)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        total_acc += (predicted_label.argmax(1) == label).sum().item()
        total_count += label.size(0)
    return total_acc / total_count, loss.item()


def evaluate(dataloader):
    model.eval()
    total_acc, total_count = 0, 0
    with torch.no_grad():
        for label, text, offsets in dataloader:
            predicted_label = model(text, offsets)
            total_acc += (predicted_label.argmax(1) == label).sum().item()
            total_count += label.size(0)
    return total_acc / total_count


for epoch in range(1, 6):
    acc, last_loss = train(train_dataloader)
    accu_val = evaluate(valid_dataloader)
    print(f"| epoch {epoch} | train acc {acc:.4f} | loss {last_loss:.4f} | valid acc {accu_val:.4f} "
          f"| lr {scheduler.get_last_lr()[0]:.4f}")
    scheduler.step()

names = {0: "Sports", 1: "Business", 2: "Sci/Tec"}


def predict(text, text_pipeline):
    with torch.no_grad():
        text = torch.tensor(text_pipeline(text))
        output = model(text, torch.tensor([0]))
        return output.argmax(1).item()


for s in ["the team scored a goal", "the bank market fell", "a fast new chip"]:
    print(s, "->", names[predict(s, text_pipeline)])
print(F.softmax(model(torch.tensor(text_pipeline("fans cheered")), torch.tensor([0])), dim=1))

# EmbeddingBag options
torch.manual_seed(0)
bag = nn.EmbeddingBag(10, 3, mode="sum")
print(bag)
inp = torch.tensor([1, 2, 4, 5, 4, 3, 2, 9])
offs = torch.tensor([0, 4])
print(bag(inp, offs))
print(torch.allclose(bag(inp, offs)[0], bag.weight[[1, 2, 4, 5]].sum(0)))
bag_max = nn.EmbeddingBag(10, 3, mode="max")
print(bag_max)
print(bag_max(inp, offs))
bag_mean = nn.EmbeddingBag.from_pretrained(bag.weight.detach(), mode="mean")
print(bag_mean, bag_mean.weight.requires_grad)
print(bag_mean(inp.view(2, 4)))
w = torch.tensor([0.1, 0.2, 0.3, 0.4, 1.0, 1.0, 1.0, 1.0])
print(bag(inp, offs, per_sample_weights=w))
print(nn.EmbeddingBag(10, 3, mode="sum", include_last_offset=True)(inp, torch.tensor([0, 3, 8])).shape)
bag_pad = nn.EmbeddingBag(10, 3, mode="mean", padding_idx=2)
print(bag_pad)
print(bag_pad.weight[2])
print(bag_pad(torch.tensor([[2, 2, 1], [3, 2, 4]])))
print(bag_pad(torch.tensor([2, 2, 1, 3]), torch.tensor([0, 2, 2])))
out = bag(inp, offs)
out.sum().backward()
print(bag.weight.grad[:5])
print(F.embedding_bag(inp, bag.weight, offs, mode="sum").shape)
print(nn.EmbeddingBag(10, 3, max_norm=1.0)(inp, offs).norm(dim=1) <= 1.0001)

for fn in [
    lambda: nn.EmbeddingBag(10, 3, mode="median"),
    lambda: bag(inp),
    lambda: bag_max(inp, offs, per_sample_weights=w),
    lambda: bag(torch.tensor([1, 10]), torch.tensor([0])),
    lambda: bag(inp.float(), offs),
]:
    try:
        fn()
    except Exception as e:
        print(type(e).__name__, e)
