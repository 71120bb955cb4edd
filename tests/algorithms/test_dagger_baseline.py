"""BC for the same number of expert labels: the second line of the DAgger curve."""

from __future__ import annotations

import numpy as np
import torch
from test_dagger import BC, Expert, make_env, write_expert_demos

import algorithms
from algorithms import dagger
from algorithms.dagger_baseline import BASELINE_SEED, SameLabelsBC
from recordings import Dataset


def one_demo_baseline(tmp_path):
    """A point-task file with one expert demo, its aggregate, and the baseline over it."""
    torch.set_num_threads(1)
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    base = dagger.aggregate(path, ["pos", "goal"])
    return path, base, SameLabelsBC(base, Expert(), make_env, algorithms.make_config("bc", BC))


def test_baseline_adds_whole_expert_episodes_for_the_labels_and_keeps_the_file(tmp_path):
    path, base, same = one_demo_baseline(tmp_path)
    assert len(same.data(0).obs) == len(base.obs)  # no labels: BC on the demos alone
    small = same.data(20)
    added = len(small.obs) - len(base.obs)
    assert added == small.lineage["labelled_steps"] >= 20
    # Whole episodes: the last one added takes the count past 20, the one before it did not.
    assert added - len(same._act[len(small.demo_names) - 2]) < 20
    big = same.data(200)
    assert big.lineage["labelled_steps"] >= 200
    # Round k trains on a superset of round k-1: the same episodes, more of them.
    np.testing.assert_array_equal(big.obs[: len(small.obs)], small.obs)
    # Its episodes are the expert's, on seeds apart from the demos', rollouts' and evaluation's.
    env = make_env(0)
    obs, _ = env.reset(seed=BASELINE_SEED)
    np.testing.assert_allclose(big.obs[len(base.obs)], obs.astype(np.float32))
    np.testing.assert_allclose(big.actions[len(base.obs)], Expert().act(obs), rtol=1e-6)
    with Dataset(path) as ds:
        assert len(ds.demos) == 1  # nothing of the baseline goes into the user's file


def test_baseline_scores_on_daggers_seeds(tmp_path):
    *_, same = one_demo_baseline(tmp_path)
    first = same.score(0, eval_episodes=20, eval_seed=1000, rng=0, device="cpu")
    more = same.score(400, eval_episodes=20, eval_seed=1000, rng=0, device="cpu")
    assert first["bc_labelled_steps"] == 0 and more["bc_labelled_steps"] >= 400
    assert more["bc_success"] >= first["bc_success"] + 0.2, (first, more)


def test_rounds_carry_the_baseline_and_the_file_holds_only_daggers_rollouts(tmp_path):
    torch.set_num_threads(1)
    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    cfg = dagger.DAggerConfig(rounds=2, episodes_per_round=3, eval_episodes=10)
    bc = algorithms.make_config("bc", BC)
    rounds = list(
        dagger.run_dagger(
            cfg, bc, path, make_env, expert=Expert(), obs_keys=["pos", "goal"], rng=0,
            device="cpu", bc_baseline=True,
        )
    )  # fmt: skip
    assert rounds[0]["bc_labelled_steps"] == 0
    assert rounds[0]["bc_success"] == rounds[0]["eval_success"]  # one first point for both
    for r in rounds[1:]:
        assert r["bc_labelled_steps"] >= r["labelled_steps"] > 0
        assert 0 <= r["bc_success"] <= 1
    with Dataset(path) as ds:
        assert len(ds.demos) == 1 + 2 * 3


def test_cli_refuses_a_baseline_without_a_scripted_expert(tmp_path, capsys):
    from studio.cli import main

    path = tmp_path / "point.h5"
    write_expert_demos(path, n=1)
    args = ["dagger", "--data", str(path), "--expert", "file", "--bc-baseline"]
    assert main([*args, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "--bc-baseline needs --expert scripted" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
