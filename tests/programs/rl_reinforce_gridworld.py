"""REINFORCE on a tiny deterministic gridworld written in plain Python: a policy MLP gives logits,
Categorical(logits=...) samples actions and gives log_prob and entropy, discounted returns are
built with a reversed loop and turned into a tensor, normalized with mean/std, and the loss
-(log_probs * returns).sum() minus an entropy bonus is minimized with Adam over 5 episodes."""
# needs: nn optim
# tolerance: 1e-3
import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.nn.functional as F
from tensorgraft.distributions import Categorical

torch.manual_seed(0)


class GridWorld:
    """A 4x4 grid; start (0, 0), goal (3, 3) pays +1, the pit at (1, 2) pays -1; each step costs 0.01."""
    MOVES = [(-1, 0), (1, 0), (0, -1), (0, 1)]  # up, down, left, right

    def __init__(self, size=4, max_steps=12):
        self.size, self.max_steps = size, max_steps

    def reset(self):
        self.pos, self.t = (0, 0), 0
        return self.observe()

    def observe(self):
        one_hot = [0.0] * (self.size * self.size)
        one_hot[self.pos[0] * self.size + self.pos[1]] = 1.0
        return one_hot

    def step(self, action):
        dr, dc = self.MOVES[action]
        r = min(max(self.pos[0] + dr, 0), self.size - 1)
        c = min(max(self.pos[1] + dc, 0), self.size - 1)
        self.pos, self.t = (r, c), self.t + 1
        if self.pos == (3, 3):
            return self.observe(), 1.0, True
        if self.pos == (1, 2):
            return self.observe(), -1.0, True
        return self.observe(), -0.01, self.t >= self.max_steps


class Policy(nn.Module):
    def __init__(self, n_obs=16, n_actions=4, hidden=32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_obs, hidden), nn.Tanh(), nn.Linear(hidden, n_actions))

    def forward(self, x):
        return self.net(x)


env = GridWorld()
policy = Policy()
print(policy)
print(sum(p.numel() for p in policy.parameters()), [tuple(p.shape) for p in policy.parameters()])
optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
gamma = 0.95
eps = torch.finfo(torch.float32).eps

obs = torch.tensor(env.reset())
logits = policy(obs)
dist = Categorical(logits=logits)
print(obs.shape, obs.dtype, logits.shape, logits.grad_fn.name())
print(dist.probs, torch.isclose(dist.probs.sum(), torch.tensor(1.0)))
print(dist.entropy(), dist.batch_shape, dist.event_shape)


def discounted_returns(rewards, gamma):
    returns, R = [], 0.0
    for r in reversed(rewards):
        R = r + gamma * R
        returns.insert(0, R)
    return torch.tensor(returns)


print(discounted_returns([0.0, -0.01, 1.0], 0.5))

for episode in range(5):
    state = env.reset()
    log_probs, entropies, rewards, actions = [], [], [], []
    done = False
    while not done:
        x = torch.tensor(state, dtype=torch.float32).unsqueeze(0)
        dist = Categorical(logits=policy(x))
        action = dist.sample()
        log_probs.append(dist.log_prob(action))
        entropies.append(dist.entropy())
        actions.append(action.item())
        state, reward, done = env.step(action.item())
        rewards.append(reward)
    returns = discounted_returns(rewards, gamma)
    raw_return = returns[0].item()
    returns = (returns - returns.mean()) / (returns.std() + eps)
    log_probs = torch.cat(log_probs)
    entropy = torch.cat(entropies).mean()
    loss = -(log_probs * returns).sum() - 0.01 * entropy
    optimizer.zero_grad()
    loss.backward()
    grad_norm = torch.norm(torch.stack([p.grad.norm() for p in policy.parameters()]))
    optimizer.step()
    print(f"episode {episode} len {len(rewards)} actions {actions} return {raw_return:.4f} "
          f"loss {loss.item():.4f} entropy {entropy.item():.4f} grad {grad_norm.item():.4f}")

print(log_probs.shape, log_probs.grad_fn.name(), returns.dtype, loss.grad_fn.name())
print(returns)

with torch.no_grad():
    grid = torch.eye(16)
    probs = F.softmax(policy(grid), dim=-1)
    greedy = probs.argmax(dim=1).view(4, 4)
print(probs.shape, probs.requires_grad)
print(greedy)
print(probs[0])
print(optimizer.state_dict()["state"][0]["step"], len(optimizer.state_dict()["state"]))
