"""evaluate() on a tiny gymnasium env: success, returns, collisions and batching."""

from __future__ import annotations

from typing import ClassVar

import gymnasium as gym
import numpy as np
import pytest
from algo_helpers import run_all, small_config

import algorithms


class PointEnv(gym.Env):
    """x in [-1, 1]; the action moves it; success near 0, "collision" beyond |x| = 0.9."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float64)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    obs_parts: ClassVar[dict[str, slice]] = {"x": slice(0, 1), "bias": slice(1, 2)}

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.t = float(self.np_random.uniform(-0.8, 0.8)), 0
        return np.array([self.x, 1.0]), {}

    def step(self, action):
        self.x += 0.2 * float(action[0])
        self.t += 1
        success, collision = abs(self.x) < 0.1, abs(self.x) > 0.9
        info = {"is_success": success, "collision": collision}
        return np.array([self.x, 1.0]), -abs(self.x), success or collision, self.t >= 20, info


class Homing:
    """Moves towards 0 (or away, when ``sign`` is -1); accepts (D,) or (B, D)."""

    def __init__(self, sign: float = 1.0) -> None:
        self.sign = sign

    def reset(self) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return np.clip(-self.sign * 5 * obs[..., :1], -1, 1)


def test_success_and_collisions_are_counted():
    good = algorithms.evaluate(Homing(), lambda s: PointEnv(), 12, seed=0)
    assert good.success_rate == 1.0 and good.collision_rate == 0.0
    assert good.episodes == 12 and len(good.records) == 12 and good.mean_length < 20
    bad = algorithms.evaluate(
        Homing(-1.0), lambda s: PointEnv(), 12, seed=0, expert_return=-0.5, random_return=-3.0
    )
    assert bad.success_rate < 0.2 and bad.collision_rate > 0.8
    expected = 100 * (bad.mean_return + 3.0) / 2.5
    assert bad.normalized_score == pytest.approx(expected)
    assert "collisions" in bad.summary()


def test_deterministic_results_do_not_depend_on_num_envs():
    one = algorithms.evaluate(Homing(), lambda s: PointEnv(), 10, seed=3, num_envs=1)
    four = algorithms.evaluate(Homing(), lambda s: PointEnv(), 10, seed=3, num_envs=4)
    assert one.records == four.records
    single = algorithms.evaluate(Homing(), lambda s: PointEnv(), 3, seed=3, batched=False)
    assert single.records == one.records[:3]


def test_sampling_results_depend_on_num_envs_but_reproduce():
    # The docstring's caveat: one sampler per group of episodes, reseeded from the group's first.
    x = np.random.default_rng(0).uniform(-1, 1, size=(400, 1)).astype(np.float32)
    data = algorithms.DemoData.from_arrays(x, np.clip(-5 * x, -1, 1), obs_keys=["x"])
    cfg = small_config("cvae", steps=10, z_mode="sample", latent_dim=4)
    policy = algorithms.Trainer(cfg, data, rng=0).policy()

    def run(num_envs):
        return algorithms.evaluate(policy, lambda s: PointEnv(), 6, seed=3, num_envs=num_envs)

    assert run(3).records == run(3).records
    assert run(1).records != run(3).records


def test_max_steps_cuts_episodes():
    r = algorithms.evaluate(Homing(0.0), lambda s: PointEnv(), 4, seed=0, max_steps=3)
    assert max(e.length for e in r.records) == 3


def test_policy_reads_its_parts_by_name():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(400, 1)).astype(np.float32)
    data = algorithms.DemoData.from_arrays(x, np.clip(-5 * x, -1, 1), obs_keys=["x"])
    trainer = algorithms.Trainer(small_config("bc", steps=300, lr=3e-3), data, rng=0)
    run_all(trainer)
    result = algorithms.evaluate(trainer.policy(), lambda s: PointEnv(), 10, seed=0)
    assert result.success_rate >= 0.9  # got column 0 ("x") of the 2-D observation

    # A policy of unnamed observations gets the env's whole flat observation, as it is.
    unnamed = algorithms.DemoData.from_arrays(np.c_[x, np.ones_like(x)], np.clip(-5 * x, -1, 1))
    policy = algorithms.Trainer(small_config("bc", steps=10), unnamed, rng=0).policy()
    seen = []
    real_act = policy.act

    def spy(obs):
        seen.append(np.array(obs))
        return real_act(obs)

    policy.act = spy
    result = algorithms.evaluate(policy, lambda s: PointEnv(), 1, seed=5, max_steps=2)
    assert result.episodes == 1 and len(seen) == result.records[0].length
    first_obs, _ = PointEnv().reset(seed=5)
    np.testing.assert_array_equal(seen[0], first_obs[None].astype(np.float32))

    data.obs_keys = ["y"]
    trainer = algorithms.Trainer(small_config("bc", steps=10), data, rng=0)
    with pytest.raises(ValueError, match=r"no observation part\(s\) \['y'\]"):
        algorithms.evaluate(trainer.policy(), lambda s: PointEnv(), 1, seed=0)


class FlatPointEnv(PointEnv):
    """PointEnv whose observation is one part, named as the gymnasium adapter names it."""

    obs_parts: ClassVar[dict[str, slice]] = {"flat": slice(0, 2)}


class OldAdapterPointEnv(PointEnv):
    obs_parts: ClassVar[dict[str, slice]] = {"observation": slice(0, 2)}


class NamedHoming(Homing):
    def __init__(self, obs_keys: list[str]) -> None:
        super().__init__()
        self.obs_keys = obs_keys


@pytest.mark.parametrize(
    ("keys", "env_cls"),
    [
        (["observation"], FlatPointEnv),  # a policy from our older adapter files, today's env
        (["flat"], FlatPointEnv),  # robomimic's EnvGym files (obs/flat)
        (["flat"], OldAdapterPointEnv),
    ],
)
def test_flat_and_observation_are_one_part(keys, env_cls):
    result = algorithms.evaluate(NamedHoming(keys), lambda s: env_cls(), 4, seed=0)
    assert result.success_rate == 1.0  # got the whole observation, x first
    with pytest.raises(ValueError, match=r"no observation part\(s\) \['x'\]"):
        algorithms.evaluate(NamedHoming(["x"]), lambda s: env_cls(), 1, seed=0)


def test_policy_reads_flat_parts_under_either_name():
    x = np.random.default_rng(0).uniform(-1, 1, size=(40, 2)).astype(np.float32)
    data = algorithms.DemoData.from_arrays(x, x[:, :1], obs_keys=["observation"])
    policy = algorithms.Trainer(small_config("bc", steps=2), data, rng=0).policy()
    np.testing.assert_array_equal(policy.obs_from_parts({"flat": x[0]}), x[0])
    with pytest.raises(ValueError, match=r"missing observation part\(s\) \['observation'\]"):
        policy.obs_from_parts({"pos": x[0]})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 0}, "max_steps must be >= 1"),
        ({"max_steps": -1}, "max_steps must be >= 1"),
        ({"num_envs": -4}, "num_envs must be >= 1"),
        ({"num_envs": 0}, "num_envs must be >= 1"),
    ],
)
def test_nonsense_counts_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        algorithms.evaluate(Homing(), lambda s: PointEnv(), 2, seed=0, **kwargs)
