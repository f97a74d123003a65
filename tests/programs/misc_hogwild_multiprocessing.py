"""Hogwild-style training with torch.multiprocessing, as in PyTorch's mnist_hogwild example and the
"Multiprocessing best practices" notes: model.share_memory(), worker processes (fork) that train the
shared parameters with their own optimizer, tensors sent through a Queue (moved to shared memory),
and the sharing-strategy functions. The workers run one
after another so the printed numbers are deterministic."""
# needs: nn optim
import tensorgraft as torch
import tensorgraft.multiprocessing as mp
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
import tensorgraft.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def train(rank, model, data, target, steps=20):
    torch.manual_seed(100 + rank)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(data), target)
        loss.backward()
        optimizer.step()


def square_in_place(q_in, q_out):
    t = q_in.get()
    t.pow_(2)
    q_out.put("done")


if __name__ == "__main__":
    # one intra-op thread: a child forked while a thread pool exists can hang (PyTorch's OpenMP pool)
    torch.set_num_threads(1)
    print(mp.get_sharing_strategy(), sorted(mp.get_all_sharing_strategies()))
    torch.manual_seed(0)
    data = torch.randn(32, 4)
    target = (data[:, 0] + data[:, 1] > 0).long()
    model = Net()
    print([p.is_shared() for p in model.parameters()])
    model.share_memory()
    print([p.is_shared() for p in model.parameters()])
    print(f"loss before {F.cross_entropy(model(data), target).item():.4f}")
    ctx = mp.get_context("fork")
    for rank in range(2):
        p = ctx.Process(target=train, args=(rank, model, data, target))
        p.start()
        p.join()
        print(f"worker {rank} exit code {p.exitcode}, loss now {F.cross_entropy(model(data), target).item():.4f}")
    accuracy = (model(data).argmax(1) == target).float().mean()
    print(f"accuracy {accuracy.item():.4f}")
    print(model.fc2.bias)

    # a private (unshared) copy does not see a child's training
    private = Net()
    private.load_state_dict(model.state_dict())
    p = ctx.Process(target=train, args=(9, private, data, target))
    p.start()
    p.join()
    print(torch.equal(private.fc2.bias, model.fc2.bias))

    # tensors put on a queue move into shared memory; the child writes into the parent's memory
    q_in, q_out = ctx.Queue(), ctx.Queue()
    t = torch.arange(4.0)
    p = ctx.Process(target=square_in_place, args=(q_in, q_out))
    p.start()
    q_in.put(t)
    print(q_out.get(), t, t.is_shared())
    p.join()

    try:
        mp.set_sharing_strategy("shared_memory")
    except AssertionError as e:
        print("AssertionError", str(e).split(",")[0])
