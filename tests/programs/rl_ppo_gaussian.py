"""PPO with a Gaussian policy on a 1-D point-mass task: an actor-critic MLP with a learned
log-std parameter, Normal(mu, std).log_prob(a).sum(-1) and entropy, GAE(lambda) advantages from a
reversed loop, the clipped surrogate (ratio = exp(new - old), clamp, torch.min), a value loss and
entropy bonus, several epochs of minibatches drawn with torch.randperm, and clip_grad_norm_."""
# needs: nn optim
# tolerance: 1e-3
import tensorgraft as torch
import tensorgraft.nn as nn
from tensorgraft.distributions import Normal

torch.manual_seed(0)


class PointMass:
    """Position and velocity in 1-D; the action is a force; the reward is minus the distance to 0."""

    def reset(self):
        self.x, self.v, self.t = 1.0, 0.0, 0
        return torch.tensor([self.x, self.v])

    def step(self, force):
        force = max(-1.0, min(1.0, force))
        self.v = 0.9 * self.v + 0.1 * force
        self.x = self.x + self.v
        self.t += 1
        return torch.tensor([self.x, self.v]), -abs(self.x), self.t >= 16


class ActorCritic(nn.Module):
    def __init__(self, obs_dim=2, act_dim=1, hidden=32):
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, act_dim))
        self.critic = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))

    def dist(self, obs):
        mu = self.actor(obs)
        return Normal(mu, self.log_std.exp().expand_as(mu))

    def forward(self, obs):
        return self.dist(obs), self.critic(obs).squeeze(-1)


model = ActorCritic()
print(model)
print([(n, tuple(p.shape)) for n, p in model.named_parameters()])
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, eps=1e-5)
env = PointMass()
gamma, lam, clip_eps, epochs, minibatch = 0.99, 0.95, 0.2, 3, 8

d, v = model(env.reset().unsqueeze(0))
print(d)
print(d.batch_shape, d.event_shape, d.mean.grad_fn.name(), d.stddev.grad_fn.name(), v.shape)
a = d.sample()
print(a.shape, a.requires_grad, d.log_prob(a).sum(-1).grad_fn.name(), d.entropy().shape)
print(d.rsample().grad_fn.name(), d.variance)


def gae(rewards, values, dones, last_value):
    advantages = torch.zeros(len(rewards))
    next_adv, next_value = 0.0, last_value
    for t in reversed(range(len(rewards))):
        nonterminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * nonterminal - values[t]
        next_adv = delta + gamma * lam * nonterminal * next_adv
        advantages[t] = next_adv
        next_value = values[t]
    return advantages


for iteration in range(3):
    obs_buf, act_buf, logp_buf, rew_buf, val_buf, done_buf = [], [], [], [], [], []
    obs = env.reset()
    done = False
    with torch.no_grad():
        while not done:
            dist, value = model(obs.unsqueeze(0))
            action = dist.sample()
            logp = dist.log_prob(action).sum(-1)
            next_obs, reward, done = env.step(action.item())
            obs_buf.append(obs)
            act_buf.append(action.squeeze(0))
            logp_buf.append(logp.item())
            rew_buf.append(reward)
            val_buf.append(value.item())
            done_buf.append(float(done))
            obs = next_obs
        last_value = model(obs.unsqueeze(0))[1].item()
    obs_t = torch.stack(obs_buf)
    act_t = torch.stack(act_buf)
    old_logp = torch.tensor(logp_buf)
    values_t = torch.tensor(val_buf)
    adv = gae(rew_buf, val_buf, done_buf, last_value)
    returns = adv + values_t
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    if iteration == 0:
        print(obs_t.shape, act_t.shape, old_logp.shape, adv.dtype, returns.requires_grad)
        print(adv[:4], returns[:4])

    n = obs_t.shape[0]
    stats = []
    for _epoch in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, minibatch):
            idx = perm[start:start + minibatch]
            dist, value = model(obs_t[idx])
            new_logp = dist.log_prob(act_t[idx]).sum(-1)
            ratio = torch.exp(new_logp - old_logp[idx])
            surr1 = ratio * adv[idx]
            surr2 = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv[idx]
            policy_loss = -torch.min(surr1, surr2).mean()
            value_loss = 0.5 * (returns[idx] - value).pow(2).mean()
            entropy = dist.entropy().sum(-1).mean()
            loss = policy_loss + 0.5 * value_loss - 0.01 * entropy
            optimizer.zero_grad()
            loss.backward()
            total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            optimizer.step()
            clip_frac = ((ratio - 1.0).abs() > clip_eps).float().mean()
            stats.append((loss.item(), total_norm.item(), clip_frac.item()))
    print(f"iter {iteration} return {sum(rew_buf):.4f} perm {perm.tolist()[:6]} "
          f"loss {stats[-1][0]:.4f} grad_norm {stats[-1][1]:.4f} clip_frac {stats[-1][2]:.4f} "
          f"mean_loss {sum(s[0] for s in stats) / len(stats):.4f}")

print(ratio.grad_fn.name(), surr2.grad_fn.name(), policy_loss.grad_fn.name(), total_norm.dtype, total_norm.shape)
print(model.log_std, model.log_std.grad)
print(torch.clamp(torch.tensor([0.5, 1.0, 1.5]), 0.8, 1.2), torch.min(torch.tensor([1.0, 5.0]), torch.tensor([2.0, 3.0])))
x = torch.tensor([0.5, 1.0, 1.5], requires_grad=True)
torch.clamp(x, 0.8, 1.2).sum().backward()
print(x.grad)
with torch.no_grad():
    d = model.dist(torch.tensor([[1.0, 0.0], [0.0, 0.0]]))
print(d.mean, d.stddev)
print(Normal(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 2.0])).log_prob(torch.tensor([0.5, 0.5])),
      Normal(0.0, 1.0).entropy(), Normal(torch.zeros(2), 1.0).cdf(torch.tensor([0.0, 1.0])))
try:
    Normal(torch.tensor([0.0]), torch.tensor([-1.0]))
except ValueError as e:
    print(type(e).__name__, str(e)[:80])
