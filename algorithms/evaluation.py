"""Roll a policy out in fresh environments and summarise success, return and collisions.

The caller passes an env factory ``make_env(seed) -> gymnasium.Env`` so that ``algorithms/`` never
imports the studio. Episodes run ``num_envs`` at a time in lock-step (one batched ``act`` call per
step, no subprocesses), each env reset with its own seed ``seed + episode``.

Reproducibility: the same ``seed`` and ``num_envs`` give the same results. Changing ``num_envs``
can change them:

- sampling policies (BC ``act_mode="component"`` or ``"sample"`` with a gmm or gaussian
  head, cVAE ``z_mode="sample"`` or ``"episode"``) draw
  one batch of noise per step from a sampler reseeded with ``seed + first episode of the group``,
  so the draws an episode gets depend on how the episodes are grouped;
- deterministic policies (BC ``act_mode="mean"``, cVAE ``z_mode="zero"``) depend on it only
  through float rounding: a batched matrix product can round differently for a different batch
  size, and a closed loop can amplify a last-bit difference into another trajectory (rarely, but
  enough to flip an episode near a success threshold);
- a ``make_env`` that uses its ``seed`` argument (envs are built with ``seed + j`` for slot
  ``j``, then reused) sees different seeds for the later episodes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from algorithms.policy import match_parts


class Actor(Protocol):
    """Anything with ``act(obs) -> action`` (batch in, batch out) and ``reset()``."""

    def act(self, obs: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


@dataclass
class EpisodeRecord:
    """One evaluation episode."""

    seed: int
    ret: float
    length: int
    success: bool
    collision: bool | None = None


@dataclass
class EvalResult:
    """Summary over the episodes (``collision_rate`` is ``None`` when the env reports none)."""

    episodes: int
    success_rate: float
    mean_return: float
    std_return: float
    mean_length: float
    collision_rate: float | None = None
    expert_return: float | None = None
    normalized_score: float | None = None
    records: list[EpisodeRecord] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (records included)."""
        return dataclasses.asdict(self)

    def summary(self) -> str:
        """One line for a terminal."""
        text = (
            f"success {self.success_rate:.0%} over {self.episodes} episodes, return "
            f"{self.mean_return:.2f} ± {self.std_return:.2f}, length {self.mean_length:.1f}"
        )
        if self.collision_rate is not None:
            text += f", collisions {self.collision_rate:.0%}"
        if self.normalized_score is not None:
            text += f", expert-normalised score {self.normalized_score:.1f}"
        return text


def _policy_reset(policy: Actor, seed: int) -> None:
    try:
        policy.reset(seed=seed)  # type: ignore[call-arg]  # Policy reseeds its sampler
    except TypeError:
        policy.reset()


def obs_columns(policy: Any, env: Any) -> np.ndarray | None:
    """Columns of the env's flat obs that make the policy's input, or ``None`` if identical.

    A policy trained on some of the recorded parts (``policy.obs_keys``) reads them from an env
    that names its parts (``env.obs_parts``, name -> slice) in the policy's order. ``flat`` and
    ``observation`` name the same single flat part (robomimic's EnvGym, our older adapter).
    """
    keys, parts = getattr(policy, "obs_keys", None), getattr(env, "obs_parts", None)
    if not keys or not parts:
        return None
    names, missing = match_parts(list(keys), parts)
    if missing:
        raise ValueError(f"the env has no observation part(s) {missing}; it has {list(parts)}")
    if names == list(parts):
        return None
    return np.concatenate([np.arange(parts[k].start, parts[k].stop) for k in names])


def evaluate(
    policy: Actor,
    make_env: Callable[[int], gym.Env],
    episodes: int,
    seed: int,
    *,
    expert_return: float | None = None,
    random_return: float = 0.0,
    max_steps: int | None = None,
    num_envs: int = 8,
    batched: bool = True,
) -> EvalResult:
    """Run ``episodes`` seeded episodes of ``policy`` and summarise them.

    Args:
        policy: a :class:`~algorithms.policy.Policy`, or anything with ``act`` and ``reset``.
        make_env: builds a fresh env from a seed; envs are closed afterwards.
        episodes: number of episodes; episode ``i`` resets with ``seed + i``.
        seed: base seed (the policy's sampler is reseeded from it too).
        expert_return: mean return of the expert; gives
            ``normalized_score = 100 * (R - random_return) / (expert_return - random_return)``.
        random_return: return of a trivial policy for that score (default 0).
        max_steps: cut episodes at this many steps (the env's own truncation still applies).
        num_envs: episodes run side by side with one batched ``act`` per step. Results can
            depend on it (sampling policies, float rounding): see the module doc.
        batched: ``False`` calls ``act`` on single observations (for actors that only take
            ``(D,)``, like scripted experts); forces ``num_envs = 1``.

    The policy gets the env's observation parts named by ``policy.obs_keys``, in that order
    (:func:`obs_columns`). Actions are clipped to the env's action space.
    ``info["is_success"]`` marks success (true at any step); ``info["collision"]``, when
    present, gives the collision rate.
    """
    if episodes < 1:
        raise ValueError(f"episodes must be >= 1, got {episodes}")
    if max_steps is not None and max_steps < 1:
        raise ValueError(f"max_steps must be >= 1 (or None for no limit), got {max_steps}")
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    num_envs = min(num_envs if batched else 1, episodes)
    envs = [make_env(seed + i) for i in range(num_envs)]
    records: list[EpisodeRecord] = []
    saw_collision = False
    try:
        space = envs[0].action_space
        if not isinstance(space, gym.spaces.Box):
            raise ValueError(f"evaluate needs a Box action space, the env has {space}")
        low, high = np.asarray(space.low), np.asarray(space.high)
        cols = obs_columns(policy, envs[0])
        for first in range(0, episodes, num_envs):
            ids = list(range(first, min(first + num_envs, episodes)))
            _policy_reset(policy, seed + first)
            obs = np.stack([envs[j].reset(seed=seed + i)[0] for j, i in enumerate(ids)])
            n = len(ids)
            ret, length = np.zeros(n), np.zeros(n, dtype=int)
            success, collision, done = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
            while not done.all():
                x = obs if cols is None else obs[:, cols]  # (n, D) -> policy's (n, D')
                if batched:
                    actions = np.asarray(policy.act(x.astype(np.float32)))  # (n, A)
                else:
                    actions = np.asarray(policy.act(x[0]))[None]
                for j in np.flatnonzero(~done):
                    a = np.clip(actions[j], low, high).astype(space.dtype)
                    o, r, term, trunc, info = envs[j].step(a)
                    obs[j] = o
                    ret[j] += float(r)
                    length[j] += 1
                    success[j] |= bool(info.get("is_success", False))
                    if "collision" in info:
                        saw_collision = True
                        collision[j] |= bool(info["collision"])
                    if term or trunc or (max_steps is not None and length[j] >= max_steps):
                        done[j] = True
            for k, i in enumerate(ids):
                records.append(
                    EpisodeRecord(
                        seed=seed + i,
                        ret=float(ret[k]),
                        length=int(length[k]),
                        success=bool(success[k]),
                        collision=bool(collision[k]) if saw_collision else None,
                    )
                )
    finally:
        for env in envs:
            env.close()
    rets = np.array([r.ret for r in records])
    score = None
    if expert_return is not None and expert_return != random_return:
        score = float(100 * (rets.mean() - random_return) / (expert_return - random_return))
    return EvalResult(
        episodes=len(records),
        success_rate=float(np.mean([r.success for r in records])),
        mean_return=float(rets.mean()),
        std_return=float(rets.std()),
        mean_length=float(np.mean([r.length for r in records])),
        collision_rate=float(np.mean([bool(r.collision) for r in records]))
        if saw_collision
        else None,
        expert_return=expert_return,
        normalized_score=score,
        records=records,
    )
