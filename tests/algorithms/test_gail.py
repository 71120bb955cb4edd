"""GAIL on a tiny point-reaching task: discriminator, rewards, one round, checkpoints, stopping.

The task (``PointEnv``) is a 1-D point that must reach a goal; the episode terminates on success
(like the arm and the car), so the absorbing-state handling is exercised too.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import algorithms
from algorithms import gail


class PointEnv(gym.Env):
    """obs (pos, goal); action: velocity in [-1, 1]; success when within 0.05 of the goal."""

    max_episode_steps = 40

    def __init__(self) -> None:
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (2,), np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pos, self.goal = self.np_random.uniform(-1, 1, 2)
        self.t = 0
        return np.array([self.pos, self.goal]), {"is_success": False}

    def step(self, action):
        self.pos = float(np.clip(self.pos + 0.1 * float(np.asarray(action)[0]), -2, 2))
        self.t += 1
        success = abs(self.pos - self.goal) < 0.05
        reward = -abs(self.pos - self.goal)
        trunc = self.t >= self.max_episode_steps and not success
        return np.array([self.pos, self.goal]), reward, success, trunc, {"is_success": success}


def expert_act(obs: np.ndarray) -> np.ndarray:
    return np.clip(np.atleast_2d(obs)[:, 1:2] - np.atleast_2d(obs)[:, 0:1], -1, 1) * 3


def rollouts(act, episodes: int, seed: int) -> algorithms.DemoData:
    env = PointEnv()
    obs_l, act_l, ep_l = [], [], []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done = False
        while not done:
            a = np.clip(act(obs), -1, 1).reshape(1)
            obs_l.append(obs)
            act_l.append(a)
            ep_l.append(i)
            obs, _, term, trunc, _ = env.step(a)
            done = term or trunc
    return algorithms.DemoData.from_arrays(np.array(obs_l), np.array(act_l), np.array(ep_l))


@pytest.fixture(autouse=True)
def one_thread():
    """Calls made outside ``run()`` (which sets num_threads itself) also use one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def demos() -> algorithms.DemoData:
    return rollouts(lambda o: expert_act(o)[0], episodes=20, seed=0)


def trainer(demos, **overrides) -> gail.GAILTrainer:
    settings = {
        "num_envs": 4,
        "rollout_steps": 64,
        "hidden_sizes": (32, 32),
        "disc_hidden_sizes": (32, 32),
        "warm_start": 0,
        "eval_episodes": 4,
        "total_env_steps": 256,
        **overrides,
    }
    cfg = algorithms.make_config("gail", settings)
    return gail.GAILTrainer(
        cfg, demos, make_env=lambda seed: PointEnv(), device="cpu", rng=0, num_threads=1
    )


def random_samples(t: gail.GAILTrainer, n: int = 2000) -> tuple[torch.Tensor, ...]:
    rng = np.random.default_rng(1)
    data = rollouts(lambda o: rng.uniform(-1, 1, 1), episodes=n // 40, seed=100)
    obs = t._norm(torch.as_tensor(data.obs))
    return obs, torch.as_tensor(data.actions), torch.zeros(len(obs))


def test_discriminator_separates_expert_from_random(demos):
    t = trainer(demos, disc_updates=300, disc_lr=1e-3)
    rand = random_samples(t)
    metrics = t.update_discriminator(rand)
    with torch.no_grad():
        le = t.algo.disc_logit(*t._expert)
        lr = t.algo.disc_logit(*rand)
    acc = 0.5 * (float((le > 0).float().mean()) + float((lr < 0).float().mean()))
    assert acc > 0.9, metrics
    assert metrics["d_expert"] > metrics["d_policy"]
    # The reward, whichever form, is higher on expert pairs than on random ones.
    for kind in gail.REWARDS:
        r_e = gail.reward_from_logit(le, kind).mean()
        r_r = gail.reward_from_logit(lr, kind).mean()
        assert r_e > r_r + 0.5, kind


def test_rewards_follow_their_definitions():
    logit = torch.tensor([-2.0, 0.0, 3.0])
    d = torch.sigmoid(logit)
    torch.testing.assert_close(gail.reward_from_logit(logit, "gail"), -torch.log(1 - d))
    torch.testing.assert_close(gail.reward_from_logit(logit, "log_d"), torch.log(d))
    torch.testing.assert_close(gail.reward_from_logit(logit, "logit"), logit)


def test_absorbing_state_removes_the_survival_bias():
    """A positive per-step reward pays loitering unless termination leads somewhere valuable."""
    gamma = 0.99
    r = 0.5  # e.g. -log(1 - D) at D = 0.4: always > 0
    short = torch.full((10, 1), r)  # reaches the goal after 10 steps
    done = torch.zeros(10, 1)
    done[-1] = 1
    long_ = torch.full((200, 1), r)  # loiters until the time limit, bootstrapped by 0 here

    def start_value(rewards, next_v_end, dones):
        values = torch.zeros_like(rewards)
        nxt = torch.zeros_like(rewards)
        nxt[-1] = next_v_end
        return float(gail.gae(rewards, values, nxt, dones, gamma, 1.0)[0])

    loiter = start_value(long_, 0.0, torch.zeros(200, 1))
    finish_plain = start_value(short, 0.0, done)
    assert loiter > finish_plain  # the bias: without absorbing states loitering pays more
    # With an absorbing state the expert also reaches (D(abs) high, reward 2.0 per step there):
    finish_absorbing = start_value(short, 2.0 / (1 - gamma), done)
    assert finish_absorbing > loiter


def test_one_round_yields_every_metric(demos):
    t = trainer(demos, warm_start=20, eval_every=256)
    metrics = list(t.run())
    assert "warm_start_loss" in metrics[0]
    last = metrics[-1]
    expected = {
        "disc_loss",
        "disc_acc_expert",
        "disc_acc_policy",
        "d_expert",
        "d_policy",
        "disc_entropy",
        "learned_reward",
        "episode_return",
        "episode_success",
        "pg_loss",
        "value_loss",
        "approx_kl",
        "entropy",
        "env_steps_per_s",
        "env_steps",
        "time_s",
        "eval_return",
        "eval_success",
    }
    assert expected <= set(last)
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    assert last["env_steps"] == 256 and last["round"] == 1
    assert 0 <= last["disc_acc_expert"] <= 1 and 0 <= last["eval_success"] <= 1


def test_bc_term_and_schedules(demos):
    """The GAIL+BC term pulls the actor's mean to the expert's actions; schedules anneal."""
    from algorithms.gail_ppo import schedules

    cfg = algorithms.make_config(
        "gail", {"bc_coef": 2.0, "bc_anneal": 0.5, "lr_anneal": True, "policy_lr": 1e-3}
    )
    assert schedules(cfg, 0.0) == (1e-3, 2.0)
    assert schedules(cfg, 0.25) == pytest.approx((0.75e-3, 1.0))
    assert schedules(cfg, 0.75) == pytest.approx((0.25e-3, 0.0))  # BC weight gone at 50%
    held = algorithms.make_config("gail", {"bc_coef": 2.0, "bc_anneal": 0.0, "lr_anneal": False})
    assert schedules(held, 0.9) == (3e-4, 2.0)
    assert schedules(algorithms.make_config("gail", {}), 0.9)[0] == pytest.approx(0.3e-4)

    def bc_error(t: gail.GAILTrainer) -> float:
        with torch.no_grad():
            pred = t.algo.actor(t._expert_obs)
        return float(((pred - t._expert_act) ** 2).sum(-1).mean())

    errors = {}
    for coef in (0.0, 10.0):
        t = trainer(
            demos,
            bc_coef=coef,
            bc_anneal=0.0,
            total_env_steps=512,
            ppo_epochs=40,
            minibatch_size=64,
            policy_lr=1e-3,
        )
        metrics = list(t.run())
        assert metrics[-1]["bc_weight"] == coef
        errors[coef] = bc_error(t)
    assert errors[10.0] < 0.5 * errors[0.0], errors
    assert metrics[-1]["bc_loss"] > 0


def test_discriminator_options_run(demos):
    """Zero-centred gradient penalty and instance noise train a discriminator that still
    separates expert from random pairs."""
    t = trainer(
        demos,
        disc_updates=300,
        disc_lr=1e-3,
        grad_penalty=1.0,
        grad_penalty_target=0.0,
        disc_noise=0.05,
    )
    rand = random_samples(t)
    metrics = t.update_discriminator(rand)
    assert metrics["disc_grad_penalty"] > 0
    with torch.no_grad():
        le = t.algo.disc_logit(*t._expert)
        lr = t.algo.disc_logit(*rand)
    acc = 0.5 * (float((le > 0).float().mean()) + float((lr < 0).float().mean()))
    assert acc > 0.75, (acc, metrics)


def test_checkpoint_roundtrip_and_step_scores(demos, tmp_path):
    t = trainer(demos, disc_input="obs_next_obs", grad_penalty=1.0)
    list(t.run())
    path = t.save(tmp_path / "gail.pt")
    loaded = algorithms.load_policy(path)
    a, b = t.policy().state_dict(), loaded.state_dict()
    assert a.keys() == b.keys() and any(k.startswith("net.disc") for k in a)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert loaded.algorithm == "gail"
    obs = demos.obs[:5]
    np.testing.assert_array_equal(t.policy().act(obs), loaded.act(obs))
    scores = gail.step_scores(loaded, obs, demos.actions[:5], next_obs=demos.obs[1:6])
    assert scores.shape == (5,) and ((scores > 0) & (scores < 1)).all()
    with pytest.raises(ValueError, match="next_obs"):
        gail.step_scores(loaded, obs, demos.actions[:5])


def test_discriminator_sees_only_the_chosen_columns(demos, tmp_path):
    """``disc_obs_dims``: D reads the chosen observation columns and nothing else, before and
    after a checkpoint round trip; an index past the observation is refused by name."""
    for disc_input in ("obs_act", "obs_next_obs"):
        t = trainer(demos, disc_obs_dims="1", disc_input=disc_input)
        # The chosen column, the action (or that column of s'), the absorbing flag.
        assert t.algo.disc[0].in_features == 3
        obs, act, flag = t._expert
        moved = obs.clone()
        moved[:, 0] += 3.0  # the column D does not see
        other = act if disc_input == "obs_act" else obs
        other_moved = act if disc_input == "obs_act" else moved
        with torch.no_grad():
            same = t.algo.disc_logit(moved, other_moved, flag)
            torch.testing.assert_close(same, t.algo.disc_logit(obs, other, flag))
            moved[:, 1] += 3.0  # the column it sees
            assert not torch.allclose(t.algo.disc_logit(moved, other, flag), same)
    list(t.run())
    loaded = algorithms.load_policy(t.save(tmp_path / "gail.pt"))
    assert loaded.config.disc_obs_dims == (1,)
    np.testing.assert_allclose(
        gail.step_scores(loaded, demos.obs[:5], demos.actions[:5], next_obs=demos.obs[1:6]),
        gail.step_scores(t.policy(), demos.obs[:5], demos.actions[:5], next_obs=demos.obs[1:6]),
    )
    with pytest.raises(ValueError, match="reach past the observation's 2 columns"):
        trainer(demos, disc_obs_dims="0,2")
    with pytest.raises(ValueError, match="distinct indices"):
        algorithms.make_config("gail", {"disc_obs_dims": "1,1"})


def test_stops_between_yields_and_restores_threads(demos):
    torch.set_num_threads(2)
    before = torch.get_num_threads()
    t = trainer(demos, total_env_steps=10_000)
    run = t.run()
    first = next(run)
    run.close()  # the caller stops: no further round runs
    assert first["env_steps"] == 256 and t.env_steps == 256
    assert torch.get_num_threads() == before


def test_gail_keeps_finishing_episodes_with_a_positive_reward(demos):
    """-log(1 - D) > 0 pays loitering; with absorbing states the policy still reaches the goal."""
    t = trainer(
        demos, reward="gail", warm_start=300, total_env_steps=2048, eval_every=0, eval_episodes=20
    )
    last = list(t.run())[-1]
    assert last["eval_success"] >= 0.9, last


def test_train_needs_make_env_and_bad_settings_say_what_to_fix(demos):
    cfg = algorithms.make_config("gail", {"total_env_steps": 10})
    with pytest.raises(ValueError, match="make_env"):
        algorithms.train(cfg, demos, rng=0)
    with pytest.raises(ValueError, match="reward must be one of"):
        algorithms.make_config("gail", {"reward": "airl"})
    with pytest.raises(ValueError, match="num_envs must be >= 1"):
        algorithms.make_config("gail", {"num_envs": 0})


def test_cli_gail_on_a_reacher_file_then_eval(tmp_path, capsys):
    """The command line the checks use: env from the file, metrics.jsonl, eval loads the run."""
    import json

    from studio.cli import main

    data = tmp_path / "reacher.h5"
    collect = ["collect", "--env", "Reacher-v5", "--episodes", "2", "--out", str(data)]
    assert main([*collect, "--no-progress"]) == 0
    sets = {
        "total_env_steps": 512,
        "num_envs": 2,
        "rollout_steps": 128,
        "eval_every": 256,
        "eval_episodes": 2,
        "eval_seed": 1000,
        "warm_start": 10,
        "hidden_sizes": "32,32",
    }
    args = ["train", "--algo", "gail", "--data", str(data), "--seed", "0"]
    args += ["--runs-dir", str(tmp_path / "runs"), "--name", "g", "--no-progress", "--threads", "1"]
    assert main([*args, *(f"--set={k}={v}" for k, v in sets.items())]) == 0
    run = tmp_path / "runs" / "g"
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    rounds = [m for m in lines if "round" in m and m["round"] > 0]
    assert [m["env_steps"] for m in rounds] == [256, 512]
    assert all("eval_return" in m and "eval_success" in m for m in rounds)
    assert all(m["time_s"] > 0 for m in rounds)
    assert json.loads((run / "config.json").read_text())["env"] == "Reacher-v5"
    capsys.readouterr()
    assert main(["eval", str(run / "checkpoint.pt"), "--episodes", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["episodes"] == 2
