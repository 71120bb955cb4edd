"""Shared machinery of the studio's scenes: exact state capture, input checks, rendering.

Every scene (ours, and gymnasium's through the adapter) is a :class:`StudioEnv`, so the control
loop, the recorder, playback and training code see one interface (docs/INTERFACES.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs.rendering import FrameRenderer

# The integration state is what mj_step reads: time, qpos, qvel, act, warm-start accelerations,
# controls, applied forces and mocap poses. Restoring all of it (the warm start in particular)
# is what makes a replay from a recorded frame reproduce the recording bit for bit.
STATE_SIG = int(mujoco.mjtState.mjSTATE_INTEGRATION)
_POSE_SIG = int(
    mujoco.mjtState.mjSTATE_QPOS
    | mujoco.mjtState.mjSTATE_MOCAP_POS
    | mujoco.mjtState.mjSTATE_MOCAP_QUAT
)


def check_action(action: Any, space: gym.spaces.Box, env_name: str) -> np.ndarray:
    """Return ``action`` as a float64 vector clipped to ``space``, or raise ``ValueError``.

    Shape and finiteness errors are refused loudly: a NaN reaching MuJoCo would make a bad
    policy look like a physics bug. Values beyond the bounds are clipped (regressed policies
    overshoot a little) but not silently: envs report it as ``info["action_clipped"]``.
    """
    a = np.asarray(action, dtype=np.float64)
    if a.shape != space.shape:
        raise ValueError(
            f"{env_name}: action has shape {a.shape}, expected {space.shape} "
            f"(labels: one value per action dimension)"
        )
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{env_name}: action contains NaN or inf: {a.tolist()}")
    return np.clip(a, space.low, space.high)


class StudioEnv(gym.Env):
    """A gymnasium MuJoCo env with named observation parts and exact state capture.

    Subclasses set ``model``/``data``, ``obs_parts``, ``action_labels``, ``control_dt``,
    ``max_episode_steps``, ``model_xml`` and implement ``_task_state``/``_set_task_state``
    for whatever task variables (goal, obstacle) live outside MuJoCo's state.
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["rgb_array"], "render_fps": 30}

    model: mujoco.MjModel
    data: mujoco.MjData
    obs_parts: dict[str, slice]
    action_labels: list[str]
    control_dt: float
    max_episode_steps: int
    model_xml: str
    env_id: str = ""
    # The observation parts a policy should see by default (training's ``--obs-keys``), in
    # ``obs_parts`` order; None means all of them. A scene narrows it when the full observation
    # invites causal confusion (BC keying on features its expert ignores).
    policy_obs_parts: ClassVar[tuple[str, ...] | None] = None
    # Number of task-state floats appended after MuJoCo's state in get_state().
    task_state_size: int = 0

    def __init__(
        self, *, render_mode: str | None = None, width: int = 640, height: int = 480
    ) -> None:
        if render_mode not in (None, "rgb_array"):
            raise ValueError(
                f"{self.env_id}: render_mode {render_mode!r} not supported; use 'rgb_array' or None"
            )
        self.render_mode = render_mode
        self.width, self.height = int(width), int(height)
        self._renderer: FrameRenderer | None = None
        self._camera: mujoco.MjvCamera | None = None
        self.elapsed_steps = 0
        self._env_kwargs: dict[str, Any] = {}
        self._clipped = False
        # (action space, its shape, lo, hi) for _check_action's fast path; see there.
        self._fast_bounds: tuple[Any, tuple[int, ...], float, float] | None = None

    # -- description -------------------------------------------------------------------------

    @property
    def state_size(self) -> int:
        """Length of the vector returned by :meth:`get_state`."""
        return 1 + mujoco.mj_stateSize(self.model, STATE_SIG) + self.task_state_size

    def env_args(self) -> dict[str, Any]:
        """JSON-able description stored with recordings (robomimic's ``env_args``).

        robomimic's docs call the type ``env_type`` while its code reads ``type``: write both.
        """
        return {
            "env_name": self.env_id,
            "type": 4,  # not a robomimic EnvType (1-3): a gymnasium env of ours
            "env_type": 4,
            "env_kwargs": dict(self._env_kwargs),
            "backend": "imitation_studio",
            "control_dt": self.control_dt,
            "max_episode_steps": self.max_episode_steps,
            "obs_parts": {k: [s.start, s.stop] for k, s in self.obs_parts.items()},
            "action_labels": list(self.action_labels),
        }

    def split_obs(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        """Split a flat observation ``(D,)`` or a batch ``(N, D)`` into its named parts."""
        obs = np.asarray(obs)
        return {k: obs[..., s] for k, s in self.obs_parts.items()}

    def join_obs(self, parts: Mapping[str, np.ndarray]) -> np.ndarray:
        """Inverse of :meth:`split_obs`: concatenate named parts in ``obs_parts`` order."""
        missing = [k for k in self.obs_parts if k not in parts]
        if missing:
            raise ValueError(f"{self.env_id}: observation parts missing: {missing}")
        return np.concatenate([np.asarray(parts[k], dtype=np.float64) for k in self.obs_parts], -1)

    # -- state -------------------------------------------------------------------------------

    def get_state(self) -> np.ndarray:
        """Full state: ``[elapsed_steps, MuJoCo integration state, task state]`` (float64)."""
        physics = np.empty(mujoco.mj_stateSize(self.model, STATE_SIG))
        mujoco.mj_getState(self.model, self.data, physics, STATE_SIG)
        task = np.asarray(self._task_state(), dtype=np.float64).reshape(-1)
        return np.concatenate([[float(self.elapsed_steps)], physics, task])

    def set_state(self, state: np.ndarray) -> None:
        """Restore a state from :meth:`get_state` exactly (physics, task and step counter)."""
        state = np.asarray(state, dtype=np.float64).reshape(-1)
        if state.shape[0] != self.state_size:
            raise ValueError(
                f"{self.env_id}: state has {state.shape[0]} values, expected {self.state_size} "
                "(was it recorded with another scene or model?)"
            )
        n = mujoco.mj_stateSize(self.model, STATE_SIG)
        self.elapsed_steps = int(state[0])
        mujoco.mj_setState(self.model, self.data, np.ascontiguousarray(state[1 : 1 + n]), STATE_SIG)
        self._set_task_state(state[1 + n :])
        # Positions changed: recompute derived quantities (site poses, sensors) for obs/render.
        mujoco.mj_forward(self.model, self.data)

    def pose_of(self, state: np.ndarray) -> np.ndarray:
        """What a picture of ``state`` depends on: positions (joints, mocap bodies) and the
        task state (e.g. where the goal is); no velocities, clock or solver warm start."""
        n = mujoco.mj_stateSize(self.model, STATE_SIG)
        physics = np.ascontiguousarray(np.asarray(state, dtype=np.float64)[1 : 1 + n])
        out = np.empty(mujoco.mj_stateSize(self.model, _POSE_SIG))
        mujoco.mj_extractState(self.model, physics, STATE_SIG, out, _POSE_SIG)
        return np.concatenate([out, np.asarray(state, dtype=np.float64)[1 + n :]])

    def _check_action(self, action: Any) -> np.ndarray:
        """:func:`check_action` for this env; remembers whether it clipped (see ``step``).

        Runs every step, so the common case (right shape, every value inside the bounds) is
        decided with Python float comparisons on ``tolist()``: numpy's reductions (isfinite,
        all, clip, any) cost more than a small env's physics step. A NaN fails every
        comparison, so it (and anything out of bounds) takes the exact path below.
        """
        space: Any = self.action_space  # a Box (docs/INTERFACES.md)
        fast = self._fast_bounds
        if fast is None or fast[0] is not space:
            # The tightest uniform interval inside the box: values within it are in bounds.
            lo, hi = float(np.max(space.low)), float(np.min(space.high))
            fast = self._fast_bounds = (space, space.shape, lo, hi)
        a = np.asarray(action, dtype=np.float64)
        if a.shape == fast[1]:
            lo, hi = fast[2], fast[3]
            if all(lo <= v <= hi for v in a.reshape(-1).tolist()):
                self._clipped = False
                return a
        clipped = check_action(a, space, self.env_id)  # raises on shape or NaN/inf
        self._clipped = bool(np.any(clipped != a))
        return clipped

    def _advance(self, substeps: int) -> None:
        """Step the physics, then bring derived quantities up to date with the new state.

        After ``mj_step`` the kinematics and sensors still describe the state before the last
        integration; observations and the arm's Jacobian controller must see the same values
        whether the state came from stepping or from :meth:`set_state` (which runs mj_forward),
        otherwise a replay from a restored frame drifts.
        """
        mujoco.mj_step(self.model, self.data, substeps)
        self._end_step()

    def _end_step(self) -> None:
        """Finish a control step: derived quantities up to date (see _advance), count it."""
        mujoco.mj_forward(self.model, self.data)
        self.elapsed_steps += 1

    def _task_state(self) -> np.ndarray:
        return np.zeros(0)

    def _set_task_state(self, task: np.ndarray) -> None:
        del task

    # -- rendering -----------------------------------------------------------------------------

    def make_camera(self) -> mujoco.MjvCamera:
        """The default teleop camera; subclasses aim it at their workspace."""
        cam = mujoco.MjvCamera()
        mujoco.mjv_defaultFreeCamera(self.model, cam)
        return cam

    def render(self) -> np.ndarray | None:
        """Render the current state as ``(H, W, 3)`` uint8 with the default camera."""
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            self._renderer = FrameRenderer()
            self._camera = self.make_camera()
        return self._renderer.render(self.model, self.data, self._camera, self.width, self.height)

    def close(self) -> None:
        """Release the renderer (its GL context)."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
