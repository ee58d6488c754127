"""pytorch/examples reinforcement_learning/reinforce.py: Policy (Linear, Dropout, ReLU,
softmax), select_action with Categorical, saved_log_probs, finish_episode with discounted
returns normalised by std + eps, policy_loss via torch.cat(...).sum(), running_reward.
gym's CartPole is replaced by a tiny deterministic-dynamics environment of the same
interface (reset/step, 4 observations, 2 actions) driven by a NumPy generator."""
import argparse
from itertools import count

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical

parser = argparse.ArgumentParser(description='PyTorch REINFORCE example')
parser.add_argument('--gamma', type=float, default=0.99, metavar='G')
parser.add_argument('--seed', type=int, default=543, metavar='N')
parser.add_argument('--render', action='store_true')
parser.add_argument('--log-interval', type=int, default=5, metavar='N')
parser.add_argument('--episodes', type=int, default=15)
args = parser.parse_args()


class LineWorld:
    """Keep a point near 0: action 1 pushes right, 0 pushes left; the episode ends when the
    point leaves [-2, 2] or after 50 steps. Reward 1 per step survived."""

    def __init__(self):
        self.rng = np.random.RandomState(0)
        self.spec = type("Spec", (), {"reward_threshold": 45.0})()

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.RandomState(seed)
        self.x, self.v, self.t = self.rng.uniform(-0.5, 0.5), 0.0, 0
        return self._obs(), {}

    def _obs(self):
        return np.array([self.x, self.v, self.x * self.v, 1.0], dtype=np.float32)

    def step(self, action):
        self.v = 0.8 * self.v + (0.1 if action == 1 else -0.1) + self.rng.normal(0, 0.02)
        self.x += self.v
        self.t += 1
        terminated = abs(self.x) > 2.0
        truncated = self.t >= 50
        return self._obs(), 1.0, terminated, truncated, {}


env = LineWorld()
env.reset(seed=args.seed)
torch.manual_seed(args.seed)


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 128)
        self.dropout = nn.Dropout(p=0.6)
        self.affine2 = nn.Linear(128, 2)

        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = self.affine1(x)
        x = self.dropout(x)
        x = F.relu(x)
        action_scores = self.affine2(x)
        return F.softmax(action_scores, dim=1)


policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode():
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + args.gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]
    return policy_loss.item()


def main():
    running_reward = 10
    for i_episode in range(1, args.episodes + 1):
        state, _ = env.reset()
        ep_reward = 0
        for t in range(1, 10000):  # Don't infinite loop while learning
            action = select_action(state)
            state, reward, done, _, _ = env.step(action)
            if args.render:
                env.render()
            policy.rewards.append(reward)
            ep_reward += reward
            if done or env.t >= 50:
                break

        running_reward = 0.05 * ep_reward + (1 - 0.05) * running_reward
        loss = finish_episode()
        assert np.isfinite(loss)
        if i_episode % args.log_interval == 0:
            print('Episode {}\tLast reward: {:.2f}\tAverage reward: {:.2f}'.format(
                  i_episode, ep_reward, running_reward))
        if running_reward > env.spec.reward_threshold:
            print("Solved! Running reward is now {} and "
                  "the last episode runs to {} time steps!".format(running_reward, t))
            break
    print("final running reward: %.2f" % running_reward)


if __name__ == '__main__':
    main()
