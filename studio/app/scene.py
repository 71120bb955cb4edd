"""The live scene: one env whose MjData belongs to the GUI thread, its control loop and camera.

The control loop is a :class:`~studio.app.clock.SimClock`: a fast timer asks it how many
control steps are due and steps the env that many times, so the data are always stored at the
nominal control rate whatever the speed. Drawing is the frame scheduler's job
(``frames.py``), on its own display timer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.app.clock import SimClock, clamp_speed
from studio.envs import make_env


@dataclass
class Step:
    """One control step, with everything the recorder and the frame scheduler need."""

    obs: np.ndarray  # (D,) before the step
    action: np.ndarray  # (A,)
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    state: np.ndarray  # (S,) env.get_state() before the step
    next_obs: np.ndarray  # (D,)
    next_state: np.ndarray  # (S,) env.get_state() after the step
    index: int = 0  # step index within the episode


class LiveScene(QObject):
    """Owns the env (and its MjData), the control loop and the camera (drawn by ``frames.py``).

    ``paused`` (the person froze time) and ``halted`` (the episode ended, waiting for a reset)
    are facts about the simulation; whether the loop runs at all is the studio's mode.

    Signals:
        stepped(Step): one control step was taken.
        episode_finished(Step): the env terminated or truncated; stepping stops until reset.
        scene_reset(): the env was reset.
        state_changed(): something visible changed (step, reset, state restored, camera moved).
    """

    stepped = Signal(object)
    episode_finished = Signal(object)
    scene_reset = Signal()
    state_changed = Signal()

    def __init__(
        self,
        env_id: str,
        action_source: Callable[[float], np.ndarray],
        *,
        speed: float = 1.0,
        seed: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        """Args:
        env_id: a scene id for :func:`studio.envs.make_env`.
        action_source: called once per control step with ``control_dt``; returns the action.
        speed: simulated seconds per wall second.
        seed: seed of the first reset (None: random).
        """
        super().__init__(parent)
        self.env_id = env_id
        self.env = make_env(env_id)
        self._action_source = action_source
        self.clock = SimClock(self.env.control_dt, clamp_speed(speed))
        self.paused = False
        self.halted = False
        self.step_index = 0
        self.last_info: dict[str, Any] = {}
        self.last_seed = seed
        self.obs, _ = self.env.reset(seed=seed)
        self.camera = self.env.make_camera()
        self.shadows = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._set_interval()
        self.steps_taken = 0  # every step since the start
        self.loop_steps = 0  # steps taken by the clock (for the real-time factor)
        self._seeds = np.random.default_rng(seed)

    # ----------------------------------------------------------------------------- loop
    @property
    def speed(self) -> float:
        """Simulated seconds per wall second."""
        return self.clock.speed

    @property
    def running(self) -> bool:
        """Whether steps are being taken now (loop on, not paused, episode not ended)."""
        return self._timer.isActive() and not (self.paused or self.halted)

    def set_speed(self, speed: float) -> None:
        """Change the time dilation (within :data:`~studio.app.clock.SPEEDS`' range)."""
        self.clock.speed = clamp_speed(speed)
        self.clock.restart()
        self._set_interval()

    def _set_interval(self) -> None:
        # Tick at least twice per control step (and at least every 10 ms) so steps land on time.
        ms = 1000.0 * self.env.control_dt / self.clock.speed / 2
        self._timer.setInterval(int(np.clip(ms, 2, 10)))

    def phase(self) -> float:
        """How far (0..1) wall time has advanced into the next control step (see SimClock)."""
        if not self.running:
            return 1.0  # frozen: show the state the sim is in
        return self.clock.phase()

    def start(self) -> None:
        """Start the control loop."""
        self.clock.restart()
        self._timer.start()

    def stop(self) -> None:
        """Stop the control loop."""
        self._timer.stop()

    def is_running(self) -> bool:
        """True while the control timer runs (even when paused)."""
        return self._timer.isActive()

    def set_paused(self, paused: bool) -> None:
        """Freeze the simulation (the view still redraws for camera moves)."""
        self.paused = paused
        self.clock.restart()
        self.state_changed.emit()

    def halt(self) -> None:
        """Stop stepping until the next :meth:`reset` (an episode ended or was stopped)."""
        self.halted = True

    def reset(self, seed: int | None = None) -> int:
        """Start a new episode; returns its seed (drawn from the scene's seed when None)."""
        if seed is None:
            seed = int(self._seeds.integers(2**31 - 1))
        self.obs, _ = self.env.reset(seed=seed)
        self.last_seed = seed
        self.step_index = 0
        self.halted = False
        self.last_info = {}
        self.clock.restart()
        self.scene_reset.emit()
        self.state_changed.emit()
        return seed

    def _on_tick(self) -> None:
        n = self.clock.due()
        if self.paused or self.halted:
            return
        for _ in range(n):
            self.step_once()
            self.loop_steps += 1
            if self.halted or self.paused or not self._timer.isActive():
                break

    def step_once(self, action: np.ndarray | None = None) -> Step:
        """Take one control step with ``action`` (default: from the action source)."""
        if action is None:
            action = self._action_source(self.env.control_dt)
        action = np.asarray(action, dtype=np.float32).reshape(self.env.action_space.shape)
        state = self.env.get_state()
        next_obs, reward, terminated, truncated, info = self.env.step(action)
        step = Step(
            obs=self.obs,
            action=action,
            reward=float(reward),
            terminated=bool(terminated),
            truncated=bool(truncated),
            info=info,
            state=state,
            next_obs=next_obs,
            next_state=self.env.get_state(),
            index=self.step_index,
        )
        self.obs = next_obs
        self.step_index += 1
        self.steps_taken += 1
        self.last_info = info
        self.stepped.emit(step)
        self.state_changed.emit()
        if terminated or truncated:
            self.halted = True
            self.episode_finished.emit(step)
        return step

    def restore(self, state: np.ndarray) -> None:
        """Show a recorded state (playback): ``env.set_state`` restores it exactly."""
        self.env.set_state(state)
        self.state_changed.emit()

    # ----------------------------------------------------------------------------- view
    def orbit(self, dx: float, dy: float, height: int) -> None:
        """Rotate the camera by a mouse drag of ``(dx, dy)`` pixels in a view ``height`` high."""
        self._move(mujoco.mjtMouse.mjMOUSE_ROTATE_V, dx, dy, height)

    def pan(self, dx: float, dy: float, height: int) -> None:
        """Move the camera's look-at point in the view plane."""
        self._move(mujoco.mjtMouse.mjMOUSE_MOVE_V, dx, dy, height)

    def zoom(self, steps: float) -> None:
        """Dolly in (positive) or out by wheel notches."""
        self._move(mujoco.mjtMouse.mjMOUSE_ZOOM, 0.0, 0.05 * steps * 100, 100)

    def reset_camera(self) -> None:
        """Back to the studio's default view of the scene."""
        self.camera = self.env.make_camera()
        self.state_changed.emit()

    def _move(self, action: mujoco.mjtMouse, dx: float, dy: float, height: int) -> None:
        # Same convention as MuJoCo's viewer: displacements relative to the viewport height.
        h = max(height, 1)
        model = self.env.model
        try:  # MuJoCo >= 4: the camera frame comes from the camera itself
            mujoco.mjv_moveCamera(model, int(action), dx / h, dy / h, self.camera)
        except TypeError:  # MuJoCo 3.x takes a scene whose camera frame is up to date
            scene = mujoco.MjvScene(model, maxgeom=1000)
            mujoco.mjv_updateScene(
                model,
                self.env.data,
                mujoco.MjvOption(),
                None,
                self.camera,
                int(mujoco.mjtCatBit.mjCAT_ALL),
                scene,
            )
            mujoco.mjv_moveCamera(model, int(action), dx / h, dy / h, scene, self.camera)
        self.state_changed.emit()

    def close(self) -> None:
        """Stop the loop and release the env."""
        self.stop()
        self.env.close()
