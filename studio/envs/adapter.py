"""Open any gymnasium MuJoCo environment (``Reacher-v5``, ``Pusher-v5``...) as a StudioEnv.

The adapter drives the unwrapped gymnasium env (no TimeLimit/OrderEnforcing wrappers, so state
restore is not undone by a wrapper's counters), rescales actions to ``[-1, 1]`` like our scenes,
and adds the same exact state capture, named observation part and camera.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs.base import StudioEnv

FLAT = "flat"  # the adapter's single observation part (robomimic's EnvGym key)


class GymMujocoAdapter(StudioEnv):
    """A gymnasium ``MujocoEnv`` behind the studio's interface.

    Args:
        env_id: a registered gymnasium id whose env is MuJoCo-based.
        render_mode: ``"rgb_array"`` or ``None``.
        width, height: render size in pixels.
        **kwargs: passed to ``gymnasium.make``.
    """

    policy_obs_parts = None  # the one part, ``flat``

    def __init__(
        self,
        env_id: str,
        *,
        render_mode: str | None = None,
        width: int = 640,
        height: int = 480,
        **kwargs: Any,
    ) -> None:
        super().__init__(render_mode=render_mode, width=width, height=height)
        if env_id not in gym.registry:
            known = ", ".join(sorted(k for k in gym.registry if k.endswith("-v5"))[:12])
            raise ValueError(
                f"unknown environment id {env_id!r}. Use one of the studio's scenes "
                f"(ImitationStudio/ArmPush-v0, ImitationStudio/CarObstacle-v0) or a gymnasium "
                f"MuJoCo id such as: {known}"
            )
        try:
            inner = gym.make(env_id, **kwargs)
        except Exception as exc:  # gymnasium raises many types (missing deps, bad kwargs)
            raise ValueError(f"could not open environment {env_id!r}: {exc}") from exc
        base: Any = inner.unwrapped  # a gymnasium MujocoEnv (checked below)
        if not (hasattr(base, "model") and isinstance(base.model, mujoco.MjModel)):
            inner.close()
            raise ValueError(
                f"environment {env_id!r} is not a MuJoCo environment; the studio needs a "
                "MuJoCo model to render, record and restore states"
            )
        if not isinstance(base.action_space, gym.spaces.Box):
            inner.close()
            raise ValueError(f"environment {env_id!r} has a non-continuous action space")
        self._inner = base
        self.env_id = env_id
        self._env_kwargs = dict(kwargs)
        self.model, self.data = base.model, base.data
        self.control_dt = float(getattr(base, "dt", self.model.opt.timestep))
        spec_steps = inner.spec.max_episode_steps if inner.spec else None
        self.max_episode_steps = int(spec_steps or 1000)
        low = base.action_space.low.astype(np.float64)
        high = base.action_space.high.astype(np.float64)
        # [-1, 1] -> [low, high] as center + half * a (two array ops a step instead of four).
        self._center, self._half = (high + low) / 2.0, (high - low) / 2.0
        self._identity_scale = bool(np.all(low == -1.0) and np.all(high == 1.0))
        n_act = base.action_space.shape[0]
        self.action_space = gym.spaces.Box(-1.0, 1.0, (n_act,), np.float32)
        self.action_labels = [_actuator_label(self.model, i) for i in range(n_act)]
        dim = int(np.prod(base.observation_space.shape))
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (dim,), np.float64)
        # One part named as robomimic's EnvGym names a gym env's observation (obs/flat), so
        # files recorded by robomimic and by the studio train and evaluate interchangeably.
        self.obs_parts = {FLAT: slice(0, dim)}
        self.model_xml = _model_xml(base)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Reset the wrapped env (seeded) and the step counter."""
        super().reset(seed=seed)
        obs, info = self._inner.reset(seed=seed, options=options)
        self.elapsed_steps = 0
        info = dict(info)
        info.setdefault("is_success", False)
        return np.asarray(obs, dtype=np.float64).reshape(-1), info

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Rescale ``[-1, 1]`` to the env's bounds, step, and apply the time limit.

        The same truncation as gymnasium's TimeLimit wrapper (``truncated`` once
        ``max_episode_steps`` steps have run), without the wrappers' per-step cost.
        """
        a = self._check_action(action)
        # Most MuJoCo tasks' bounds are already [-1, 1]: no rescaling arrays to allocate then.
        scaled = a if self._identity_scale else self._center + self._half * a
        obs, reward, terminated, truncated, info = self._inner.step(scaled)
        self.elapsed_steps += 1
        if not truncated and self.elapsed_steps >= self.max_episode_steps:
            truncated = True
        # A fresh dict: the inner env may keep the one it returned.
        info = dict(info)
        info["is_success"] = bool(info.get("is_success", False))
        info["action_clipped"] = self._clipped
        if obs.__class__ is not np.ndarray or obs.dtype != np.float64 or obs.ndim != 1:
            obs = np.asarray(obs, dtype=np.float64).reshape(-1)
        return obs, float(reward), bool(terminated), bool(truncated), info

    def close(self) -> None:
        """Close the renderer and the wrapped env."""
        super().close()
        self._inner.close()


def _actuator_label(model: mujoco.MjModel, i: int) -> str:
    """Actuator name, else the name of the joint it drives, else ``a<i>``."""
    if i >= model.nu:
        return f"a{i}"
    if model.actuator(i).name:
        return model.actuator(i).name
    if model.actuator_trntype[i] == mujoco.mjtTrn.mjTRN_JOINT:
        joint = model.joint(int(model.actuator_trnid[i, 0])).name
        if joint:
            return joint
    return f"a{i}"


def _model_xml(base: Any) -> str:
    """The MJCF gymnasium loaded (stored with recordings as ``model_file``), or ``""``."""
    path = getattr(base, "fullpath", None)
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return ""
