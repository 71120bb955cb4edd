"""A gymnasium env's demos written as robomimic writes them train and evaluate with no flags.

robomimic's ``EnvGym`` stores a gym env's observation as ``obs/flat`` and its ``env_args`` as
``{"env_name", "type": 2, "env_kwargs"}``, with none of the studio's own attributes
(``format_version``, ``source``, ``obs_parts``). The adapter names its part ``flat`` too.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from studio.cli import main
from studio.envs import make_env
from studio.experts import make_expert

GYM_TYPE = 2  # robomimic.envs.env_base.EnvType.GYM_TYPE


def _robomimic_file(path: Path, demos: int) -> None:
    env = make_env("Reacher-v5")
    expert = make_expert("Reacher-v5", rng=np.random.default_rng(0))
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        for i in range(demos):
            obs, _ = env.reset(seed=i)
            rows: dict[str, list] = {k: [] for k in ("obs", "actions", "rewards", "dones", "next")}
            states = []
            for _ in range(env.max_episode_steps):
                states.append(np.concatenate([env.data.qpos, env.data.qvel]))
                action = expert.act(obs)
                next_obs, reward, terminated, truncated, _ = env.step(action)
                for k, v in zip(
                    rows, (obs, action, reward, int(terminated or truncated), next_obs), strict=True
                ):
                    rows[k].append(v)
                obs = next_obs
            g = data.create_group(f"demo_{i}")
            g.attrs["num_samples"] = len(states)
            g["actions"], g["rewards"] = np.array(rows["actions"]), np.array(rows["rewards"])
            g["dones"], g["states"] = np.array(rows["dones"]), np.array(states)
            g["obs/flat"], g["next_obs/flat"] = np.array(rows["obs"]), np.array(rows["next"])
        data.attrs["total"] = demos * env.max_episode_steps
        data.attrs["env_args"] = json.dumps(
            {"env_name": "Reacher-v5", "type": GYM_TYPE, "env_kwargs": {}}
        )
    env.close()


def test_robomimic_gym_file_trains_and_evaluates_in_the_env_it_names(tmp_path: Path, capsys):
    data = tmp_path / "reacher_robomimic.h5"
    _robomimic_file(data, demos=3)
    train = ["train", "--algo", "bc", "--data", str(data), "--steps", "50", "--no-progress"]
    assert main([*train, "--runs-dir", str(tmp_path / "runs"), "--name", "r"]) == 0
    capsys.readouterr()
    ckpt = tmp_path / "runs" / "r" / "checkpoint.pt"
    # No --env: the checkpoint's env comes from the file's env_args, and its 'flat' input
    # must be a part of that env.
    assert main(["eval", str(ckpt), "--episodes", "2", "--seed", "1000", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["env"] == "Reacher-v5"
    assert out["policy"]["mean_length"] == 50
