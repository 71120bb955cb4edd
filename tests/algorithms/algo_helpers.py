"""Helpers for the algorithms tests: tiny demonstrations and small, fast configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

import algorithms


def linear_demos(n_demos: int = 6, steps: int = 40, seed: int = 0) -> algorithms.DemoData:
    """Demos of a trivial task: action = tanh(W obs), obs 3-D, actions 2-D."""
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, size=(n_demos * steps, 3)).astype(np.float32)
    actions = np.tanh(obs @ W.T)
    episode_index = np.repeat(np.arange(n_demos), steps)
    return algorithms.DemoData.from_arrays(obs, actions, episode_index)


W = np.array([[0.8, -0.5, 0.2], [0.1, 0.6, -0.7]], dtype=np.float32)


def bimodal_demos(n: int = 2000, seed: int = 0) -> algorithms.DemoData:
    """1-D obs, 1-D action +-0.8 (plus a little noise) at random, whatever the obs."""
    rng = np.random.default_rng(seed)
    obs = rng.uniform(-1, 1, size=(n, 1)).astype(np.float32)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    actions = (0.8 * sign + 0.02 * rng.normal(size=n))[:, None].astype(np.float32)
    return algorithms.DemoData.from_arrays(obs, actions, np.repeat(np.arange(20), n // 20))


def small_config(name: str, **overrides: Any) -> Any:
    """Default config of ``name`` shrunk so that a run takes well under a second."""
    values: dict[str, Any] = {"hidden_sizes": (32, 32), "batch_size": 64, "steps": 20}
    values["log_every"] = 10
    values.update(overrides)
    return algorithms.make_config(name, values)


def run_all(trainer: algorithms.Trainer) -> list[dict[str, float]]:
    """Run a trainer to the end; its metrics."""
    return list(trainer.run())


def write_recordings(
    path: Path, data: algorithms.DemoData, *, valid: list[str] | None = None
) -> Path:
    """Write ``data`` as a real recordings file: obs parts "pos" (first 2 cols) and "rest"."""
    from recordings import Provenance, RecordingFile

    rf = RecordingFile(path)
    try:
        rf.set_env({"env_name": "Toy-v0", "type": 4, "env_kwargs": {}}, "<mujoco/>")
        for e in range(len(data.demo_names)):
            rows = np.flatnonzero(data.episode_index == e)
            writer = rf.begin_episode(source="scripted", device="test")
            for j, i in enumerate(rows):
                writer.append(
                    {"pos": data.obs[i, :2], "rest": data.obs[i, 2:]},
                    data.actions[i],
                    0.0,
                    j == len(rows) - 1,
                    np.zeros(1),
                    provenance=Provenance.SCRIPTED,
                )
            writer.finish(success=True)
        if valid is not None:
            rf.set_mask("valid", valid)
    finally:
        rf.close()
    return path


def open_fds_on(path: Path) -> int:
    """How many of this process's file descriptors are open on ``path`` (Linux's /proc)."""
    import os

    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.path.realpath(os.readlink(f"/proc/self/fd/{fd}")) == target
        except OSError:
            continue  # closed meanwhile
    return count
