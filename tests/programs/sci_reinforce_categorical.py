"""REINFORCE (policy gradient) as in the PyTorch RL examples: a small policy network outputs logits,
actions are drawn with Categorical(logits=...).sample(), the loss is -log_prob * return plus an
entropy bonus; a toy bandit environment gives rewards."""
# needs: nn optim
import random

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.distributions import Categorical

torch.manual_seed(0)
random.seed(0)


class Policy(nn.Module):
    def __init__(self, n_obs=4, n_actions=3, hidden=16):
        super().__init__()
        self.affine1 = nn.Linear(n_obs, hidden)
        self.dropout = nn.Dropout(p=0.0)
        self.affine2 = nn.Linear(hidden, n_actions)

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        return self.affine2(x)


policy = Policy()
print(policy)
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
eps = torch.finfo(torch.float32).eps
print("eps", eps)

# A first look at the distribution
logits = torch.tensor([[1.0, 2.0, 0.5], [0.1, 0.1, 0.1]])
dist = Categorical(logits=logits)
print(dist)
print(dist.batch_shape, dist.event_shape)
print(dist.probs)
print(dist.logits)
print(dist.entropy())
a = dist.sample()
print(a, a.dtype)
print(dist.log_prob(a))
print(dist.sample((2,)).shape)
print(dist.enumerate_support())
print(dist.param_shape, dist.mean.isnan().all().item())
print(Categorical(probs=torch.tensor([0.2, 0.3, 0.5])).probs)
print(Categorical(probs=torch.tensor([2.0, 3.0, 5.0])).probs)
try:
    Categorical(probs=torch.tensor([0.2, -0.3, 0.5]))
except Exception as e:
    print(type(e).__name__, e)
try:
    Categorical(logits=logits, probs=logits.softmax(-1))
except Exception as e:
    print(type(e).__name__, e)
try:
    dist.log_prob(torch.tensor([3, 0]))
except Exception as e:
    print(type(e).__name__, e)

# A contextual bandit: the best action is the argmax of the first three features.
W_true = torch.randn(4, 3)


def step(state, action):
    best = (state @ W_true).argmax().item()
    return 1.0 if action == best else 0.0


gamma = 0.99
running = 0.0
for episode in range(60):
    log_probs, rewards, entropies = [], [], []
    for _ in range(8):
        state = torch.randn(4)
        probs = F.softmax(policy(state), dim=-1)
        m = Categorical(probs)
        action = m.sample()
        log_probs.append(m.log_prob(action))
        entropies.append(m.entropy())
        rewards.append(step(state, action.item()))
    R = 0.0
    returns = []
    for r in rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    policy_loss = torch.stack([-lp * ret for lp, ret in zip(log_probs, returns)]).sum()
    loss = policy_loss - 0.01 * torch.stack(entropies).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    running = 0.05 * sum(rewards) + 0.95 * running
    if episode % 15 == 0:
        print(f"episode {episode} loss {loss.item():.4f} reward {sum(rewards)} running {running:.4f}")
print(policy_loss.grad_fn, loss.grad_fn)
print(returns)

# Batched logits path
states = torch.randn(5, 4)
out = policy(states)
m = Categorical(logits=out)
acts = m.sample()
print(acts)
lp = m.log_prob(acts)
print(lp.grad_fn, lp.shape)
print(m.entropy().mean().grad_fn)
print(torch.allclose(m.probs.sum(-1), torch.ones(5)), m.probs.sum(-1).grad_fn.name())  # (whether the sum rounds to exactly 1 depends on the CPU)
print(m.mode)
