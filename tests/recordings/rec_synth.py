"""Deterministic synthetic episodes shared by the recordings tests and the crash-test writer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recordings.schema import RECORDED_PROVENANCES


@dataclass
class SynthEpisode:
    """Arrays that an episode is recorded from, regenerated exactly from (seed, k)."""

    obs: dict[str, np.ndarray]
    next_obs: dict[str, np.ndarray]
    actions: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    states: np.ndarray
    provenance: np.ndarray
    labels: np.ndarray | None

    def __len__(self) -> int:
        return len(self.actions)


def synth_episode(
    seed: int, k: int, length: int | None = None, labels: bool = False
) -> SynthEpisode:
    """Episode ``k`` of a run seeded ``seed``: ~20 obs floats, 2 actions, 40 state floats."""
    rng = np.random.default_rng([seed, k])
    n = int(rng.integers(20, 200)) if length is None else length
    obs = {
        "ee_pos": rng.normal(size=(n + 1, 3)),
        "goal": rng.normal(size=(n + 1, 2)).astype(np.float32),
        "joints": rng.normal(size=(n + 1, 15)),
    }
    lab = None
    if labels:
        lab = rng.normal(size=(n, 2)).astype(np.float32)
        lab[rng.random(n) < 0.3] = np.nan  # steps the person left alone
    return SynthEpisode(
        obs={key: v[:-1] for key, v in obs.items()},
        next_obs={key: v[1:] for key, v in obs.items()},
        actions=rng.uniform(-1, 1, size=(n, 2)).astype(np.float32),
        rewards=rng.normal(size=n),
        dones=np.arange(n) == n - 1,
        states=rng.normal(size=(n, 40)),
        provenance=rng.choice(sorted(RECORDED_PROVENANCES), size=n).astype(np.uint8),
        labels=lab,
    )


def record(writer, ep: SynthEpisode, start: int = 0, stop: int | None = None) -> None:
    """Append steps ``[start, stop)`` of ``ep`` to an EpisodeWriter."""
    for i in range(start, len(ep) if stop is None else stop):
        writer.append(
            {key: v[i] for key, v in ep.obs.items()},
            ep.actions[i],
            float(ep.rewards[i]),
            bool(ep.dones[i]),
            ep.states[i],
            next_obs={key: v[i] for key, v in ep.next_obs.items()},
            provenance=int(ep.provenance[i]),
            label=None if ep.labels is None or np.isnan(ep.labels[i]).all() else ep.labels[i],
        )


def assert_same(loaded, ep: SynthEpisode, n: int | None = None) -> None:
    """The loaded Episode equals the first ``n`` steps of ``ep`` bit for bit (dtypes included).

    A prefix (a recovered episode) ends with ``done = 1``: the writer marks a demo's last step.
    """
    n = len(ep) if n is None else n
    assert len(loaded) == n, (len(loaded), n)

    def same(a: np.ndarray, b: np.ndarray) -> None:
        b = b[:n]
        assert a.dtype == b.dtype and a.shape == b.shape, (a.dtype, b.dtype, a.shape, b.shape)
        assert a.tobytes() == b.tobytes()

    for key in ep.obs:
        same(loaded.obs[key], ep.obs[key])
        same(loaded.next_obs[key], ep.next_obs[key])
    same(loaded.actions, ep.actions)
    same(loaded.rewards, ep.rewards)
    dones = ep.dones[:n].copy()
    if n:
        dones[-1] = True
    same(loaded.dones.astype(bool), dones)
    same(loaded.states, ep.states)
    same(loaded.provenance, ep.provenance)
    if ep.labels is None:
        assert loaded.labels is None
    else:
        same(loaded.labels, ep.labels)
