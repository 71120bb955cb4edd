"""The studio's MuJoCo scenes as gymnasium environments.

``make_env`` opens our scenes and any gymnasium MuJoCo id behind one interface
(:class:`~studio.envs.base.StudioEnv`, see docs/INTERFACES.md). Importing this package also
registers our ids with gymnasium so ``gymnasium.make("ImitationStudio/ArmPush-v0")`` works.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from studio.envs.arm_push import ArmPushEnv
from studio.envs.base import StudioEnv
from studio.envs.car import CarObstacleEnv

ARM_PUSH = ArmPushEnv.env_id
CAR_OBSTACLE = CarObstacleEnv.env_id
_OURS: dict[str, type[StudioEnv]] = {ARM_PUSH: ArmPushEnv, CAR_OBSTACLE: CarObstacleEnv}

# Offered in the GUI's scene picker, default first. Gymnasium's own MuJoCo tasks follow.
SCENES: list[str] = [ARM_PUSH, CAR_OBSTACLE, "Reacher-v5", "Pusher-v5", "InvertedPendulum-v5"]

for _id, _cls in _OURS.items():
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_cls, max_episode_steps=None)


def make_env(env_id: str, *, render_mode: str | None = None, **kwargs: Any) -> StudioEnv:
    """Open a scene by id: ours directly, any gymnasium MuJoCo env through the adapter.

    Raises:
        ValueError: the id is unknown, or names a gymnasium env that is not MuJoCo-based.
    """
    if env_id in _OURS:
        return _OURS[env_id](render_mode=render_mode, **kwargs)
    from studio.envs.adapter import GymMujocoAdapter

    return GymMujocoAdapter(env_id, render_mode=render_mode, **kwargs)


def default_obs_parts(env_id: str) -> list[str] | None:
    """The observation parts a policy for ``env_id`` uses by default; None means all of them.

    Read from the scene class's ``policy_obs_parts``, so no env (model, renderer) is built.
    Any other id (a gymnasium env through the adapter, or an env this studio cannot open, such
    as one named by a foreign file) answers None: its observation is one part, ``flat``.
    """
    cls = _OURS.get(env_id)
    parts = cls.policy_obs_parts if cls is not None else None
    return list(parts) if parts is not None else None


__all__ = ["ARM_PUSH", "CAR_OBSTACLE", "SCENES", "StudioEnv", "default_obs_parts", "make_env"]
