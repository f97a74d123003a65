"""DQN with an experience-replay buffer (collections.deque, random.sample under random.seed),
epsilon-greedy actions, a target network made with copy.deepcopy and refreshed with
load_state_dict(state_dict()), Q(s, a) picked with gather, targets from max(1)[0] under no_grad,
F.smooth_l1_loss, and optimizer.zero_grad(set_to_none=True); 10 learning steps on a chain MDP. At the
end, the classic mistake of a (B, 1) prediction against a (B,) target, and the legacy reduce=
argument: the warnings they give, and the line they name."""
# needs: nn optim
# tolerance: 1e-3
import copy
import random
import warnings
from collections import deque

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F

random.seed(0)
torch.manual_seed(0)


class Chain:
    """States 0..4 on a line; action 0 goes left, 1 goes right; state 4 pays 1 and ends the episode."""
    n_states, n_actions = 5, 2

    def reset(self):
        self.s = 0
        return self.s

    def step(self, a):
        self.s = max(0, self.s - 1) if a == 0 else self.s + 1
        done = self.s == self.n_states - 1
        return self.s, (1.0 if done else -0.05), done


def encode(s):
    return F.one_hot(torch.tensor(s), Chain.n_states).float()


class ReplayBuffer:
    def __init__(self, capacity):
        self.buffer = deque(maxlen=capacity)

    def push(self, s, a, r, s2, done):
        self.buffer.append((s, a, r, s2, done))

    def sample(self, batch_size):
        batch = random.sample(self.buffer, batch_size)
        s, a, r, s2, d = zip(*batch)
        return (torch.stack([encode(x) for x in s]), torch.tensor(a, dtype=torch.int64),
                torch.tensor(r, dtype=torch.float32), torch.stack([encode(x) for x in s2]),
                torch.tensor(d, dtype=torch.float32))

    def __len__(self):
        return len(self.buffer)


q_net = nn.Sequential(nn.Linear(Chain.n_states, 24), nn.ReLU(), nn.Linear(24, Chain.n_actions))
target_net = copy.deepcopy(q_net)
target_net.eval()
for p in target_net.parameters():
    p.requires_grad_(False)
print(q_net)
print(target_net[0].weight.requires_grad, q_net[0].weight.requires_grad,
      torch.equal(q_net[2].bias, target_net[2].bias), q_net[2].bias is target_net[2].bias)
print(list(q_net.state_dict().keys()))
optimizer = torch.optim.RMSprop(q_net.parameters(), lr=5e-3)
print(encode(2), encode(2).dtype)

env = Chain()
buffer = ReplayBuffer(capacity=50)
gamma, batch_size = 0.9, 8


def epsilon_greedy(state, epsilon):
    if random.random() < epsilon:
        return random.randrange(Chain.n_actions)
    with torch.no_grad():
        return q_net(encode(state).unsqueeze(0)).argmax(dim=1).item()


# warm up the buffer with random actions
s = env.reset()
for _ in range(20):
    a = random.randrange(Chain.n_actions)
    s2, r, done = env.step(a)
    buffer.push(s, a, r, s2, done)
    s = env.reset() if done else s2
print(len(buffer), buffer.buffer[0], buffer.buffer[-1])

states, actions, rewards, next_states, dones = buffer.sample(batch_size)
print(states.shape, actions, rewards, dones.dtype)
q_all = q_net(states)
q_sa = q_all.gather(1, actions.unsqueeze(1)).squeeze(1)
print(q_all.shape, q_sa.shape, q_sa.grad_fn.name(), q_sa.grad_fn.next_functions[0][0].name())
with torch.no_grad():
    best = target_net(next_states).max(1)
print(type(best).__name__, best[0].shape, best[1].dtype, best.indices.shape, best[0].requires_grad)

epsilon = 0.5
for step in range(10):
    a = epsilon_greedy(s, epsilon)
    s2, r, done = env.step(a)
    buffer.push(s, a, r, s2, done)
    s = env.reset() if done else s2
    epsilon = max(0.05, epsilon * 0.8)

    states, actions, rewards, next_states, dones = buffer.sample(batch_size)
    q_sa = q_net(states).gather(1, actions.unsqueeze(1)).squeeze(1)
    with torch.no_grad():
        next_q = target_net(next_states).max(1)[0]
        target = rewards + gamma * next_q * (1 - dones)
    loss = F.smooth_l1_loss(q_sa, target)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if step % 3 == 2:
        target_net.load_state_dict(q_net.state_dict())
    print(f"step {step} a={a} eps={epsilon:.4f} loss {loss.item():.5f} buffer {len(buffer)} "
          f"q_mean {q_sa.mean().item():.5f}")

print(q_net[0].weight.grad is None, q_net[0].weight.grad.shape)
optimizer.zero_grad(set_to_none=True)
print(q_net[0].weight.grad)
optimizer.zero_grad(set_to_none=False)
print(q_net[0].weight.grad)
print(torch.equal(q_net[0].weight, target_net[0].weight), torch.equal(q_net[2].bias, target_net[2].bias))
result = target_net.load_state_dict(q_net.state_dict())
print(result, result.missing_keys)
with torch.no_grad():
    table = q_net(torch.eye(Chain.n_states))
print(table)
print(table.max(1)[1], table.max(dim=1, keepdim=True)[0].shape)
print(F.smooth_l1_loss(torch.tensor([0.0, 2.0, 0.3]), torch.tensor([1.0, 0.0, 0.0]), reduction="none"),
      F.smooth_l1_loss(torch.tensor([0.0, 2.0]), torch.tensor([1.0, 0.0]), beta=2.0),
      F.huber_loss(torch.tensor([0.0, 3.0]), torch.tensor([1.0, 0.0]), delta=2.0))
print(optimizer)

# Q(s, a) left as (B, 1) against a (B,) target broadcasts to (B, B): PyTorch warns, naming this line
states, actions, rewards, next_states, dones = buffer.sample(batch_size)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wrong = F.smooth_l1_loss(q_net(states).gather(1, actions.unsqueeze(1)), rewards)
    also_wrong = F.mse_loss(q_net(states).gather(1, actions.unsqueeze(1)), rewards, reduction="none")
    legacy = nn.SmoothL1Loss(reduce=False)
    legacy_f = F.smooth_l1_loss(q_sa, target, size_average=False)
print(wrong.shape, also_wrong.shape, legacy.reduction, legacy_f.shape, f"{legacy_f.item():.5f}")
for w in caught:
    where = w.lineno if w.filename == "<string>" else "in the library"
    print(w.category.__name__, where, w.message)
