"""The scripted expert for gymnasium's Reacher-v5 (through the adapter)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.envs import make_env
from studio.experts import make_expert


def _returns(env, act, seeds) -> list[float]:
    out = []
    for seed in seeds:
        obs, _ = env.reset(seed=seed)
        total, done = 0.0, False
        while not done:
            obs, reward, terminated, truncated, _ = env.step(act(obs))
            total += reward
            done = terminated or truncated
        out.append(total)
    return out


@pytest.fixture
def reacher():
    env = make_env("Reacher-v5")
    yield env
    env.close()


def test_reacher_expert_beats_random_actions_by_a_wide_margin(reacher):
    expert = make_expert("Reacher-v5", rng=np.random.default_rng(0))
    rng = np.random.default_rng(0)
    seeds = range(100, 105)
    ours = _returns(reacher, expert.act, seeds)
    random = _returns(reacher, lambda _: rng.uniform(-1, 1, 2), seeds)
    # Random actions score about -42 (mostly control cost); reaching the target about -4.
    assert max(ours) > -8.0 and min(random) < -30.0
    assert min(ours) - max(random) > 20.0, (ours, random)


def test_reacher_expert_puts_the_fingertip_on_the_target(reacher):
    expert = make_expert("Reacher-v5", rng=np.random.default_rng(0))
    for seed in range(3):
        obs, _ = reacher.reset(seed=seed)
        start = np.linalg.norm(obs[8:10])
        for _ in range(reacher.max_episode_steps):
            obs, *_ = reacher.step(expert.act(obs))
        assert np.linalg.norm(obs[8:10]) < min(0.01, 0.2 * start)  # fingertip - target


def test_reacher_expert_actions_are_in_bounds_and_deterministic(reacher):
    a = make_expert("Reacher-v5", rng=np.random.default_rng(0))
    b = make_expert("Reacher-v5", rng=np.random.default_rng(1))
    obs, _ = reacher.reset(seed=7)
    for _ in range(20):
        act = a.act(obs)
        assert act.shape == reacher.action_space.shape
        assert np.all(np.abs(act) <= 1.0)
        np.testing.assert_array_equal(act, b.act(obs))
        obs, *_ = reacher.step(act)
