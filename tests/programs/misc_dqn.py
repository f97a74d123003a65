"""The 'Reinforcement Learning (DQN)' tutorial's machinery on a tiny deterministic environment
(no gym): ReplayMemory of namedtuple Transitions, epsilon-greedy selection with
`policy_net(state).max(1).indices.view(1, 1)`, a non-final mask built from a tuple of bools,
`torch.cat` of batch fields, `gather(1, action_batch)`, `max(1).values` of the target net under
no_grad, SmoothL1Loss, AdamW(amsgrad=True), clip_grad_value_ and the soft target-network update
through state_dict items."""
# needs: nn optim
# tolerance: 1e-3
import math
import random
from collections import deque, namedtuple
from itertools import count

import tensorgraft as torch
import tensorgraft.nn as nn
import tensorgraft.optim as optim

random.seed(0)
torch.manual_seed(0)
device = torch.device("cpu")
Transition = namedtuple("Transition", ("state", "action", "next_state", "reward"))


class ReplayMemory:
    def __init__(self, capacity):
        self.memory = deque([], maxlen=capacity)

    def push(self, *args):
        self.memory.append(Transition(*args))

    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)

    def __len__(self):
        return len(self.memory)


class LineWorld:
    """Walk on 0..6 from 3; action 1 steps right, 0 left; reaching 6 pays 1 and ends, 0 ends."""

    def reset(self):
        self.pos = 3
        return [self.pos / 6.0, 1.0 - self.pos / 6.0], {}

    def step(self, action):
        self.pos += 1 if action == 1 else -1
        done = self.pos in (0, 6)
        reward = 1.0 if self.pos == 6 else 0.0
        return [self.pos / 6.0, 1.0 - self.pos / 6.0], reward, done, False, {}


class DQN(nn.Module):
    def __init__(self, n_observations, n_actions):
        super().__init__()
        self.layer1 = nn.Linear(n_observations, 16)
        self.layer2 = nn.Linear(16, 16)
        self.layer3 = nn.Linear(16, n_actions)

    def forward(self, x):
        x = torch.relu(self.layer1(x))
        x = torch.relu(self.layer2(x))
        return self.layer3(x)


BATCH_SIZE, GAMMA, EPS_START, EPS_END, EPS_DECAY, TAU, LR = 8, 0.9, 0.9, 0.05, 50, 0.005, 1e-3
env = LineWorld()
n_actions = 2
state, info = env.reset()
n_observations = len(state)
policy_net = DQN(n_observations, n_actions).to(device)
target_net = DQN(n_observations, n_actions).to(device)
target_net.load_state_dict(policy_net.state_dict())
optimizer = optim.AdamW(policy_net.parameters(), lr=LR, amsgrad=True)
memory = ReplayMemory(1000)
steps_done = 0


def select_action(state):
    global steps_done
    sample = random.random()
    eps_threshold = EPS_END + (EPS_START - EPS_END) * math.exp(-1.0 * steps_done / EPS_DECAY)
    steps_done += 1
    if sample > eps_threshold:
        with torch.no_grad():
            return policy_net(state).max(1).indices.view(1, 1)
    return torch.tensor([[random.randrange(n_actions)]], device=device, dtype=torch.long)


def optimize_model():
    if len(memory) < BATCH_SIZE:
        return None
    transitions = memory.sample(BATCH_SIZE)
    batch = Transition(*zip(*transitions))
    non_final_mask = torch.tensor(tuple(map(lambda s: s is not None, batch.next_state)), device=device,
                                  dtype=torch.bool)
    non_final_next_states = torch.cat([s for s in batch.next_state if s is not None])
    state_batch = torch.cat(batch.state)
    action_batch = torch.cat(batch.action)
    reward_batch = torch.cat(batch.reward)
    state_action_values = policy_net(state_batch).gather(1, action_batch)
    next_state_values = torch.zeros(BATCH_SIZE, device=device)
    with torch.no_grad():
        next_state_values[non_final_mask] = target_net(non_final_next_states).max(1).values
    expected_state_action_values = (next_state_values * GAMMA) + reward_batch
    criterion = nn.SmoothL1Loss()
    loss = criterion(state_action_values, expected_state_action_values.unsqueeze(1))
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(policy_net.parameters(), 100)
    optimizer.step()
    return loss


episode_durations = []
for i_episode in range(12):
    state, info = env.reset()
    state = torch.tensor(state, dtype=torch.float32, device=device).unsqueeze(0)
    losses = []
    for t in count():
        action = select_action(state)
        observation, reward, terminated, truncated, _ = env.step(action.item())
        reward = torch.tensor([reward], device=device)
        done = terminated or truncated or t > 30
        next_state = None if terminated else torch.tensor(observation, dtype=torch.float32,
                                                          device=device).unsqueeze(0)
        memory.push(state, action, next_state, reward)
        state = next_state
        loss = optimize_model()
        if loss is not None:
            losses.append(loss.item())
        target_net_state_dict = target_net.state_dict()
        policy_net_state_dict = policy_net.state_dict()
        for key in policy_net_state_dict:
            target_net_state_dict[key] = policy_net_state_dict[key] * TAU + target_net_state_dict[key] * (1 - TAU)
        target_net.load_state_dict(target_net_state_dict)
        if done:
            episode_durations.append(t + 1)
            break
    mean_loss = sum(losses) / len(losses) if losses else float("nan")
    print(i_episode, t + 1, f"{mean_loss:.5f}")

durations_t = torch.tensor(episode_durations, dtype=torch.float)
print(durations_t, durations_t.mean(), len(memory))
print(policy_net(torch.tensor([[0.5, 0.5]])), target_net.layer3.bias)
print(optimizer.state_dict()["state"][0].keys(), optimizer.state_dict()["param_groups"][0]["amsgrad"])
