"""DAgger rounds on a tiny recordable task: scripted labels, and a person's labels in the file."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

import algorithms
from algorithms import dagger
from recordings import Dataset, Provenance, RecordingFile


class Point2D(gym.Env):
    """A 2-D point that must reach a goal (terminates on success); parts ``pos`` and ``goal``.

    Just enough of the StudioEnv interface to record rollouts (state, parts, env_args, MJCF).
    """

    max_episode_steps = 30

    def __init__(self) -> None:
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (4,), np.float64)
        self.model_xml = "<mujoco/>"
        self.obs_parts = {"pos": slice(0, 2), "goal": slice(2, 4)}

    def env_args(self):
        return {"env_name": "Test/Point2D-v0", "type": 4, "env_type": 4, "env_kwargs": {}}

    def split_obs(self, obs):
        return {k: np.asarray(obs)[..., s] for k, s in self.obs_parts.items()}

    def get_state(self):
        return np.r_[self.pos, self.goal, self.t].astype(np.float64)

    def _obs(self):
        return np.r_[self.pos, self.goal]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.pos = self.np_random.uniform(-1, 1, 2)
        self.goal = self.np_random.uniform(-1, 1, 2)
        self.t = 0
        return self._obs(), {"is_success": False}

    def step(self, action):
        self.pos = np.clip(self.pos + 0.15 * np.asarray(action, np.float64), -2, 2)
        self.t += 1
        success = bool(np.linalg.norm(self.pos - self.goal) < 0.1)
        trunc = self.t >= self.max_episode_steps and not success
        reward = -float(np.linalg.norm(self.pos - self.goal))
        return self._obs(), reward, success, trunc, {"is_success": success}


class Expert:
    name = "point"

    def reset(self) -> None:
        pass

    def act(self, obs):
        d = np.asarray(obs)[2:4] - np.asarray(obs)[0:2]
        return np.clip(d / max(np.linalg.norm(d), 1e-6), -1, 1)


def make_env(seed: int) -> Point2D:
    return Point2D()


def write_expert_demos(path, n: int, seed: int = 0) -> None:
    env, expert = Point2D(), Expert()
    rf = RecordingFile(path)
    rf.set_env(env.env_args(), env.model_xml)
    for i in range(n):
        obs, _ = env.reset(seed=seed + i)
        w = rf.begin_episode(source="scripted", device="expert:point", seed=seed + i)
        done = False
        while not done:
            a = expert.act(obs).astype(np.float32)
            state = env.get_state()
            nxt, r, term, trunc, info = env.step(a)
            done = term or trunc
            w.append(
                env.split_obs(obs),
                a,
                r,
                done,
                state,
                next_obs=env.split_obs(nxt),
                provenance=Provenance.SCRIPTED,
            )
            obs = nxt
        w.finish(success=bool(info["is_success"]))


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


BC = {"steps": 400, "log_every": 400, "hidden_sizes": (64, 64), "val_fraction": 0.0}


def test_scripted_round_adds_labelled_demos_and_improves(tmp_path):
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    cfg = dagger.DAggerConfig(rounds=1, episodes_per_round=8, eval_episodes=30, beta=0.0)
    bc = algorithms.make_config("bc", BC)
    run = dagger.run_dagger(
        cfg, bc, path, make_env, expert=Expert(), obs_keys=["pos", "goal"], rng=0, device="cpu"
    )
    summary = list(run)
    assert [s["round"] for s in summary] == [0, 1]
    assert summary[0]["labelled_steps"] == 0
    assert summary[1]["labelled_steps"] == summary[1]["rollout_steps"] > 0
    assert summary[1]["eval_success"] >= summary[0]["eval_success"] + 0.2, summary
    with Dataset(path) as ds:
        assert len(ds.demos) == 1 + 8
        info = ds.info(ds.demos[-1])
        ep = ds.episode(ds.demos[-1])
    assert info.source == "policy" and info.attrs["dagger_round"] == 1
    assert np.isfinite(ep.labels).all()  # every visited state labelled by the expert
    assert (ep.provenance == Provenance.POLICY).all()  # beta = 0: the learner drove


def test_person_made_labels_in_the_file_are_used(tmp_path):
    """A rollout (policy steps, no labels) and a person's relabel of it: only labels train."""
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=2)
    env = Point2D()
    rf = RecordingFile(path)
    obs, _ = env.reset(seed=50)
    rollout = rf.begin_episode(source="policy", device="policy:bc")
    relabel_steps = []
    for _ in range(6):
        state = env.get_state()
        a = np.array([0.9, -0.9], np.float32)  # what the policy did: not a training target
        nxt, r, _, _, _ = env.step(a)
        rollout.append(
            env.split_obs(obs),
            a,
            r,
            False,
            state,
            next_obs=env.split_obs(nxt),
            provenance=Provenance.POLICY,
        )
        relabel_steps.append((obs, a, r, state, nxt))
        obs = nxt
    parent = rollout.finish(success=False)
    writer = rf.begin_episode(source="relabel", device="keyboard", parent=parent)
    person = np.array([-0.5, 0.25], np.float32)  # the person's correction
    for i, (o, a, r, state, nxt) in enumerate(relabel_steps):
        label = person if i % 2 == 0 else None  # some steps left unlabelled (a NaN row)
        writer.append(
            env.split_obs(o),
            a,
            r,
            False,
            state,
            next_obs=env.split_obs(nxt),
            provenance=Provenance.POLICY,
            label=label,
        )
    writer.finish(success=False)

    data = dagger.aggregate(path, ["pos", "goal"])
    assert data.lineage["labelled_steps"] == 3
    with Dataset(path) as ds:
        expert_steps = sum(len(ds.episode(n)) for n in ds.demos[:2])
    assert len(data.obs) == expert_steps + 3  # the rollout's own actions are left out
    labelled = data.actions[data.episode_index == data.demo_names.index(ds.demos[-1])]
    np.testing.assert_array_equal(labelled, np.tile(person, (3, 1)))
    assert not (np.abs(data.actions - [0.9, -0.9]) < 1e-6).all(-1).any()

    # A DAgger round without a callable expert trains on those labels and appends its rollouts
    # unlabelled, for a person to label next.
    cfg = dagger.DAggerConfig(rounds=1, episodes_per_round=2, eval_episodes=2)
    run = dagger.run_dagger(
        cfg,
        algorithms.make_config("bc", BC),
        path,
        make_env,
        expert=None,
        obs_keys=["pos", "goal"],
        rng=0,
        device="cpu",
    )
    summary = list(run)
    assert summary[0]["labelled_steps"] == 3 and summary[1]["labelled_steps"] == 3
    with Dataset(path) as ds:
        assert len(ds.demos) == 4 + 2
        assert (
            ds.episode(ds.demos[-1]).labels is None
            or not np.isfinite(ds.episode(ds.demos[-1]).labels).any()
        )


def test_bad_settings_say_what_to_fix():
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        dagger.DAggerConfig(rounds=0)
    with pytest.raises(ValueError, match="beta must be in"):
        dagger.DAggerConfig(beta=1.5)


def test_cli_dagger_appends_and_writes_summary(tmp_path):
    """`imitation-studio dagger` on an arm file: rollouts appended, checkpoint and summary."""
    import json

    from studio.cli import main

    arm = "ImitationStudio/ArmPush-v0"
    data = tmp_path / "arm.h5"
    assert (
        main(["collect", "--env", arm, "--episodes", "2", "--out", str(data), "--no-progress"]) == 0
    )
    args = ["dagger", "--data", str(data), "--expert", "scripted", "--rounds", "1"]
    args += ["--episodes-per-round", "1", "--eval-episodes", "1", "--obs-keys", "all"]
    args += ["--set", "steps=20", "--seed", "0", "--runs-dir", str(tmp_path / "runs")]
    assert main([*args, "--name", "d", "--threads", "1"]) == 0
    run = tmp_path / "runs" / "d"
    rounds = json.loads((run / "summary.json").read_text())["rounds"]
    assert [r["round"] for r in rounds] == [0, 1]
    assert rounds[1]["labelled_steps"] == rounds[1]["rollout_steps"] > 0
    assert 0 <= rounds[1]["eval_success"] <= 1
    with Dataset(data) as ds:
        assert len(ds.demos) == 3 and ds.info(ds.demos[-1]).source == "policy"
    policy = algorithms.load_policy(run / "checkpoint.pt")
    assert policy.lineage["dagger_round"] == 1


def test_each_label_is_the_experts_action_on_the_observation_it_is_stored_with(tmp_path):
    # A diagnosis check (issue 10, arm DAgger): labels are neither shifted by a step nor
    # rescaled; re-labelling every recorded observation reproduces the stored label.
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    bc = algorithms.make_config("bc", {**BC, "steps": 20, "log_every": 20})
    policy = algorithms.Trainer(bc, dagger.aggregate(path, ["pos", "goal"]), rng=0).policy()
    dagger.record_rollouts(
        policy, make_env, path, expert=Expert(), episodes=2, seeds=[7, 8], beta=0.0,
        rng=np.random.default_rng(0), round_index=1,
    )  # fmt: skip
    with Dataset(path) as ds:
        for name in ds.demos[1:]:
            ep = ds.episode(name)
            obs = np.concatenate([ep.obs["pos"], ep.obs["goal"]], -1)
            relabelled = np.array([Expert().act(o) for o in obs])
            np.testing.assert_allclose(ep.labels, relabelled, atol=1e-6)


def test_a_take_over_relabelled_later_is_counted_once(tmp_path):
    """A take-over rollout's person-driven steps are repeated in its relabel demo: one row each."""
    path = tmp_path / "point.h5"
    env = Point2D()
    rf = RecordingFile(path)
    obs, _ = env.reset(seed=60)
    steps = []
    rollout = rf.begin_episode(source="policy", device="policy:bc")
    for i in range(6):
        state = env.get_state()
        a = np.array([0.3, 0.3], np.float32)
        nxt, r, _, _, _ = env.step(a)
        who = Provenance.HUMAN if i < 2 else Provenance.POLICY  # the person took over first
        rollout.append(env.split_obs(obs), a, r, False, state, env.split_obs(nxt), provenance=who)
        steps.append((obs, a, r, state, nxt, who))
        obs = nxt
    parent = rollout.finish(success=False)
    assert len(dagger.aggregate(path, ["pos", "goal"]).obs) == 2  # the person's steps

    writer = rf.begin_episode(source="relabel", device="keyboard", parent=parent)
    for i, (o, a, r, state, nxt, who) in enumerate(steps):
        label = np.array([-0.5, 0.25], np.float32) if i == 4 else None
        writer.append(
            env.split_obs(o), a, r, False, state, env.split_obs(nxt), provenance=who, label=label
        )
    writer.finish(success=False)
    data = dagger.aggregate(path, ["pos", "goal"])
    assert len(data.obs) == 3  # two person-driven steps once, one label: not 2 + 3
    assert data.lineage["labelled_steps"] == 1


def test_the_gate_hands_control_to_the_expert_and_back():
    gate = dagger.InterventionGate(0.5, after=2, hold=3)
    near, far = np.zeros(2), np.array([1.0, 0.0])
    who = [gate.step(a, np.zeros(2)) for a in [near, far, far, far, near, near, near, near]]
    # Takes over at the 2nd far step in a row; the learner drives again from the 3rd near
    # step in a row (its action is within tau there).
    assert who == [False, False, True, True, True, True, False, False]
    assert gate.takeovers == 1
    gate.reset()
    assert not gate.expert_drives and gate.takeovers == 0
    with pytest.raises(ValueError, match="tau > 0"):
        dagger.InterventionGate(0.0)
    with pytest.raises(ValueError, match="gate must be >= 0"):
        dagger.DAggerConfig(gate=-1.0)


class WrongWay:
    """A learner that always drives away from the goal's side: far from the expert's label."""

    def reset(self, seed=None) -> None:
        pass

    def act(self, obs):
        return -Expert().act(obs)


def test_a_gated_rollout_marks_who_drove(tmp_path, monkeypatch):
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    monkeypatch.setattr(dagger, "obs_columns", lambda policy, env: None)
    gate = dagger.InterventionGate(0.5, after=3, hold=2)
    out = dagger.record_rollouts(
        WrongWay(), make_env, path, expert=Expert(), episodes=2, seeds=[7, 8], beta=0.0,
        rng=np.random.default_rng(0), round_index=1, gate=gate,
    )  # fmt: skip
    with Dataset(path) as ds:
        for name in ds.demos[1:]:
            info, ep = ds.info(name), ds.episode(name)
            # The learner drives 2 steps; the expert takes over on the 3rd far step in a row
            # (`after` = 3) and, as the learner never agrees with it, drives to the goal.
            assert (ep.provenance[:2] == Provenance.POLICY).all()
            assert (ep.provenance[2:] == Provenance.SCRIPTED).all()
            np.testing.assert_allclose(ep.actions[2:], ep.labels[2:], atol=1e-6)
            assert np.isfinite(ep.labels).all()  # every visited state labelled
            assert info.attrs["gate"] == 0.5 and info.attrs["takeovers"] == 1
            assert info.attrs["expert_steps"] == len(ep) - 2
            assert info.success
    assert out["rollout_success"] == 1.0
    assert out["rollout_expert_steps"] == out["rollout_steps"] - 4


def test_cli_gate_needs_an_expert_to_take_over(tmp_path, capsys):
    from studio.cli import main

    args = ["dagger", "--data", str(tmp_path / "x.h5"), "--expert", "file", "--gate", "0.3"]
    assert main(args) == 2
    assert "--gate needs --expert scripted" in capsys.readouterr().err


def test_expert_noise_perturbs_what_the_expert_executes_not_its_label(tmp_path, monkeypatch):
    """DART: a noisy expert-driven step executes label + noise and keeps the clean label."""
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    monkeypatch.setattr(dagger, "obs_columns", lambda policy, env: None)
    dagger.record_rollouts(
        WrongWay(), make_env, path, expert=Expert(), episodes=2, seeds=[7, 8], beta=1.0,
        rng=np.random.default_rng(0), round_index=1, expert_noise=0.3,
    )  # fmt: skip
    with Dataset(path) as ds:
        for name in ds.demos[1:]:
            info, ep = ds.info(name), ds.episode(name)
            assert info.attrs["expert_noise"] == 0.3
            assert (ep.provenance == Provenance.SCRIPTED).all()  # beta 1: the expert drove
            obs = np.concatenate([ep.obs["pos"], ep.obs["goal"]], -1)
            clean = np.array([Expert().act(o) for o in obs])
            np.testing.assert_allclose(ep.labels, clean, atol=1e-6)
            gap = np.abs(ep.actions - np.clip(clean, -1, 1))
            assert gap.max() > 0.1 and np.all(np.abs(ep.actions) <= 1.0)
    data = dagger.aggregate(path, ["pos", "goal"])  # trains on the clean labels only
    with Dataset(path) as ds:
        labels = np.concatenate([ds.episode(n).labels for n in ds.demos[1:]])
    np.testing.assert_allclose(data.actions[-len(labels) :], labels, atol=1e-6)
    with pytest.raises(ValueError, match="expert_noise must be >= 0"):
        dagger.DAggerConfig(expert_noise=-0.1)


def test_cli_expert_noise_needs_an_expert_that_drives(tmp_path, capsys):
    from studio.cli import main

    args = ["dagger", "--data", str(tmp_path / "x.h5"), "--expert", "file"]
    assert main([*args, "--expert-noise", "0.3"]) == 2
    assert "--expert-noise needs --expert scripted" in capsys.readouterr().err
