"""Playback of a recorded demo: restores the exact recorded simulator state frame by frame."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.app.clock import SimClock, clamp_speed
from studio.app.scene import LiveScene


class PlaybackController(QObject):
    """Plays, pauses, steps and scrubs one episode on the live scene's env.

    Frame ``i`` shows ``states[i]`` (the state before action ``i``) and action ``i``, so a frame
    is exactly what the person saw when they chose that action. Between two frames the frame
    scheduler draws the re-simulated substeps of action ``i`` (see :meth:`phase`).

    Signals:
        frame_changed(index): a frame was shown.
        playing_changed(playing): play or pause.
    """

    frame_changed = Signal(int)
    playing_changed = Signal(bool)

    def __init__(self, scene: LiveScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._scene = scene
        self.name = ""
        self.episode: Any = None
        self.index = 0
        self.playing = False
        self.clock = SimClock(scene.env.control_dt, 1.0, max_catch_up=3)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._on_tick)

    def attach(self, scene: LiveScene) -> None:
        """Play on another scene's env from now on (the scene was switched)."""
        self.unload()
        self._scene = scene
        self.clock.control_dt = scene.env.control_dt

    @property
    def length(self) -> int:
        """Number of frames of the loaded episode."""
        return 0 if self.episode is None else len(self.episode.actions)

    @property
    def actions(self) -> np.ndarray:
        """``(N, A)`` recorded actions."""
        return np.asarray(self.episode.actions)

    @property
    def speed(self) -> float:
        """Playback speed (1.0 = the recorded rate)."""
        return self.clock.speed

    def load(self, name: str, episode: Any) -> None:
        """Show frame 0 of ``episode`` (paused)."""
        self.pause()
        self.name, self.episode = name, episode
        self.clock.control_dt = self._scene.env.control_dt
        self.seek(0)

    def unload(self) -> None:
        """Forget the episode."""
        self.pause()
        self.name, self.episode, self.index = "", None, 0

    def seek(self, index: int) -> None:
        """Restore the recorded state of frame ``index``."""
        if self.episode is None:
            return
        self.index = int(np.clip(index, 0, self.length - 1))
        self._scene.restore(np.asarray(self.episode.states[self.index]))
        self.frame_changed.emit(self.index)

    def step(self, delta: int) -> None:
        """Pause and move ``delta`` frames."""
        self.pause()
        self.seek(self.index + delta)

    def set_speed(self, speed: float) -> None:
        """Playback speed (1.0 = the recorded rate)."""
        self.clock.speed = clamp_speed(speed)
        self.clock.restart()

    def play(self) -> None:
        """Play from the current frame (from the start when at the end)."""
        if self.episode is None:
            return
        if self.index >= self.length - 1:
            self.seek(0)
        self.playing = True
        self.clock.restart()
        self._timer.start()
        self.playing_changed.emit(True)

    def pause(self) -> None:
        """Stop at the current frame."""
        if self.playing:
            self.playing = False
            self._timer.stop()
            self.playing_changed.emit(False)

    def toggle(self) -> None:
        """Play or pause."""
        self.pause() if self.playing else self.play()

    def transition(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """``(state, action, next state)`` of the step being played, None when not between two.

        The frame scheduler re-simulates its substeps and draws them at :meth:`phase`.
        """
        if not self.playing or self.episode is None or self.index + 1 >= self.length:
            return None
        i = self.index
        ep = self.episode
        return np.asarray(ep.states[i]), np.asarray(ep.actions[i]), np.asarray(ep.states[i + 1])

    def phase(self) -> float:
        """How far (0..1) playback has advanced from the current frame towards the next."""
        return self.clock.phase() if self.playing else 0.0

    def _on_tick(self) -> None:
        n = self.clock.due()
        if n == 0:
            return
        if self.index + n >= self.length - 1:
            self.seek(self.length - 1)
            self.pause()
        else:
            self.seek(self.index + n)
