"""Time in the studio: the one speed range, the fixed-step clock and the frame-rate meter.

The control loop is a fixed-step clock (Gaffer on Games, "Fix Your Timestep!"): wall time × speed
is added to an accumulator and the env is stepped ``control_dt`` at a time while it holds enough,
so simulated time follows wall time × speed whatever the timer jitter, and recordings keep the
nominal control rate. Live driving and playback share the speed (one speed for whatever plays).
"""

from __future__ import annotations

import collections
import time

SPEEDS: tuple[float, ...] = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0)
"""The speeds offered everywhere (toolbar, ``[``/``]``, ``--speed``): simulated s per wall s."""
MIN_SPEED, MAX_SPEED = SPEEDS[0], SPEEDS[-1]


def clamp_speed(speed: float) -> float:
    """``speed`` limited to the offered range."""
    return float(min(MAX_SPEED, max(MIN_SPEED, float(speed))))


def nearest_speed_index(speed: float) -> int:
    """Index in :data:`SPEEDS` of the offered speed closest to ``speed``."""
    return min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))


def next_speed(speed: float, delta: int) -> float:
    """The offered speed ``delta`` places above (``+1``) or below (``-1``) ``speed``."""
    i = nearest_speed_index(speed) + delta
    return SPEEDS[min(len(SPEEDS) - 1, max(0, i))]


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

    def phase(self, now: float | None = None) -> float:
        """Fraction of the next control step already elapsed in wall time × speed, in [0, 1].

        The frame scheduler draws the substeps of the step just taken at this fraction, so the
        picture moves at the display rate while the env still steps at the control rate.
        """
        if self._last is None:
            return 0.0
        now = time.perf_counter() if now is None else now
        debt = self._debt + (now - self._last) * self.speed
        return min(1.0, max(0.0, debt / self.control_dt))


class RateMeter:
    """Displayed frames per second and the real-time factor over a short sliding window."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._frames: collections.deque[float] = collections.deque(maxlen=240)
        self._sim: collections.deque[tuple[float, float]] = collections.deque(maxlen=128)

    def frame_shown(self, now: float | None = None) -> None:
        """Count one displayed frame."""
        self._frames.append(time.perf_counter() if now is None else now)

    def sim_time(self, sim: float, running: bool, now: float | None = None) -> None:
        """Note the simulated time; ``running=False`` (paused, halted) restarts the window."""
        now = time.perf_counter() if now is None else now
        if not running or (self._sim and sim < self._sim[-1][1]):
            self._sim.clear()  # a pause is not a slow simulation; a reset restarts the count
        self._sim.append((now, sim))

    def fps(self, now: float | None = None) -> float:
        """Frames shown during the last second."""
        now = time.perf_counter() if now is None else now
        recent = [t for t in self._frames if now - t <= 1.0]
        return float(len(recent)) if len(recent) > 1 else 0.0

    def rtf(self) -> float | None:
        """Simulated seconds per wall second over the last ``window_s`` (None: too little)."""
        if not self._sim:
            return None
        now, sim = self._sim[-1]
        old = next((m for m in self._sim if now - m[0] <= self.window_s), self._sim[0])
        return (sim - old[1]) / (now - old[0]) if now - old[0] > 0.4 else None
