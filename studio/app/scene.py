"""The live scene: one env whose MjData belongs to the GUI thread, its clock, camera and renderer.

The control loop is a fixed-step clock (Gaffer on Games, "Fix Your Timestep!"): a fast timer adds
``wall time × speed`` to an accumulator and the env is stepped ``control_dt`` at a time while the
accumulator holds enough, so simulated time follows wall time × speed whatever the timer jitter,
and the data are always stored at the nominal control rate. Rendering runs on its own display
timer in the main window, independent of the control rate.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.app.render import fit_render_size
from studio.envs import make_env


@dataclass
class Step:
    """One control step, with everything the recorder needs."""

    obs: np.ndarray  # (D,) before the step
    action: np.ndarray  # (A,)
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    state: np.ndarray  # (S,) env.get_state() before the step
    next_obs: np.ndarray  # (D,)
    index: int = 0  # step index within the episode


class SimClock:
    """Turns wall time into a whole number of fixed control steps at a given speed.

    ``max_catch_up`` caps the steps taken at one tick: after a stall (a slow frame, a dialog)
    the simulation skips ahead in wall time rather than fast-forwarding to catch up.
    """

    def __init__(self, control_dt: float, speed: float = 1.0, max_catch_up: int = 5) -> None:
        self.control_dt = control_dt
        self.speed = speed
        self.max_catch_up = max_catch_up
        self._debt = 0.0
        self._last: float | None = None
        self.dropped = 0.0  # simulated seconds skipped by the catch-up cap since creation

    def restart(self, now: float | None = None) -> None:
        """Forget the accumulated time (after a pause, a reset or a speed change)."""
        self._debt = 0.0
        self._last = time.perf_counter() if now is None else now

    def due(self, now: float | None = None) -> int:
        """How many control steps to take now."""
        now = time.perf_counter() if now is None else now
        if self._last is None:
            self._last = now
            return 0
        self._debt += (now - self._last) * self.speed
        self._last = now
        n = int(self._debt / self.control_dt + 1e-9)
        self._debt -= n * self.control_dt
        if n > self.max_catch_up:
            self.dropped += (n - self.max_catch_up) * self.control_dt + self._debt
            n, self._debt = self.max_catch_up, 0.0
        return n


class LiveScene(QObject):
    """Owns the env (and its MjData), the control loop, the camera and the renderer.

    Signals:
        stepped(Step): one control step was taken.
        episode_finished(Step): the env terminated or truncated; stepping pauses until reset.
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
        self.clock = SimClock(self.env.control_dt, speed)
        self.paused = False
        self.halted = False  # after termination/truncation, until reset
        self.step_index = 0
        self.last_info: dict[str, Any] = {}
        self.obs, _ = self.env.reset(seed=seed)
        self.camera = self.env.make_camera()
        self._renderer: mujoco.Renderer | None = None
        self._render_size = (0, 0)
        self.shadows = True
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._set_interval()
        self.steps_taken = 0  # every step since the start
        self.loop_steps = 0  # steps taken by the clock (for the real-time factor)

    # ----------------------------------------------------------------------------- loop
    @property
    def speed(self) -> float:
        """Simulated seconds per wall second."""
        return self.clock.speed

    def set_speed(self, speed: float) -> None:
        """Change the time dilation (0.1× to 2×)."""
        self.clock.speed = float(np.clip(speed, 0.05, 4.0))
        self.clock.restart()
        self._set_interval()

    def _set_interval(self) -> None:
        # Tick at least twice per control step (and at least every 10 ms) so steps land on time.
        ms = 1000.0 * self.env.control_dt / self.clock.speed / 2
        self._timer.setInterval(int(np.clip(ms, 2, 10)))

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

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode."""
        self.obs, _ = self.env.reset(seed=seed)
        self.step_index = 0
        self.halted = False
        self.last_info = {}
        self.clock.restart()
        self.scene_reset.emit()
        self.state_changed.emit()

    def _on_tick(self) -> None:
        n = self.clock.due()
        if self.paused or self.halted:
            return
        for _ in range(n):
            self.step_once()
            self.loop_steps += 1
            if self.halted or self.paused:
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
    def render(self, width: int, height: int) -> np.ndarray:
        """Render the current state from :attr:`camera` as ``(H, W, 3)`` uint8."""
        width, height = fit_render_size(self.env.model, width, height)
        if self._renderer is None or self._render_size != (width, height):
            if self._renderer is not None:
                self._renderer.close()
            self._renderer = mujoco.Renderer(self.env.model, height, width)
            self._render_size = (width, height)
        # Shadows double the cost of a frame on software GL; the View menu turns them off.
        self._renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = int(self.shadows)
        self._renderer.update_scene(self.env.data, self.camera)
        return self._renderer.render()

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
        """Back to the scene's default camera."""
        self.camera = self.env.make_camera()
        self.state_changed.emit()

    def _move(self, action: mujoco.mjtMouse, dx: float, dy: float, height: int) -> None:
        # Same convention as MuJoCo's viewer: displacements relative to the viewport height.
        h = max(height, 1)
        try:  # MuJoCo >= 4: the camera frame comes from the camera itself
            mujoco.mjv_moveCamera(self.env.model, int(action), dx / h, dy / h, self.camera)
        except TypeError:  # MuJoCo 3.x also takes the scene
            if self._renderer is None:
                self.render(320, 240)
            assert self._renderer is not None
            mujoco.mjv_moveCamera(
                self.env.model, int(action), dx / h, dy / h, self._renderer.scene, self.camera
            )
        self.state_changed.emit()

    def close(self) -> None:
        """Stop the loop and release the renderer and the env."""
        self.stop()
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self.env.close()
