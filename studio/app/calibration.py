"""Reaction-time calibration for relabelling (``T`` in relabel mode).

Three trials: the viewport's banner asks the person to wait, turns green after a random 1 to
2.5 s, and the first driving key (or stick push) after that ends the trial; a press before
green restarts it. The median of the three times becomes the relabel mode's reaction-time
offset (``RelabelWiring.set_offset``), which gives each label to the frame shown that long
before it was given.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QColor

if TYPE_CHECKING:
    from studio.app.window import MainWindow

TRIALS = 3
_WAIT, _GO = QColor(190, 110, 30), QColor(40, 150, 80)


class ReactionCalibration(QObject):
    """Measures the person's reaction time to a banner turning green.

    Signals:
        finished(seconds): the median reaction time of the trials.
    """

    finished = Signal(float)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.delay_range = (1.0, 2.5)
        self.times: list[float] = []
        self.state = "idle"  # idle, release (wait for keys up), wait (not green yet), go
        self._t0 = 0.0
        self._go_timer = QTimer(self)
        self._go_timer.setSingleShot(True)
        self._go_timer.timeout.connect(self._on_green)
        self._poll = QTimer(self)
        self._poll.setInterval(2)
        self._poll.timeout.connect(self._on_poll)

    @property
    def running(self) -> bool:
        """Whether a calibration is under way."""
        return self.state != "idle"

    def start(self) -> None:
        """Begin the trials (the playback pauses)."""
        self.w.playback.pause()
        self.times = []
        self._next()
        self._poll.start()

    def cancel(self) -> None:
        """Stop without changing the offset."""
        self._go_timer.stop()
        self._poll.stop()
        self.state = "idle"
        self.w.viewport.set_banner("")

    def _pressed(self) -> bool:
        return bool(np.any(np.asarray(self.w.inputs.label()) != 0))

    def _next(self) -> None:
        self.state = "release"
        self.w.viewport.set_banner(
            f"Reaction time {len(self.times) + 1}/{TRIALS}: when this turns green, press a"
            " driving key",
            _WAIT,
        )

    def _on_poll(self) -> None:
        pressed = self._pressed()
        if self.state == "release" and not pressed:
            self.state = "wait"
            self._go_timer.start(int(1000 * random.uniform(*self.delay_range)))
        elif self.state == "wait" and pressed:  # too early: the same trial again
            self._go_timer.stop()
            self.state = "release"
            self.w.viewport.set_banner("Too early — wait for green, then press", _WAIT)
        elif self.state == "go" and pressed:
            self.times.append(time.perf_counter() - self._t0)
            if len(self.times) < TRIALS:
                self._next()
            else:
                self._finish()

    def _on_green(self) -> None:
        if self.state == "wait":
            self.state = "go"
            self._t0 = time.perf_counter()
            self.w.viewport.set_banner("Now!", _GO)

    def _finish(self) -> None:
        self.cancel()
        self.finished.emit(float(np.median(self.times)))
