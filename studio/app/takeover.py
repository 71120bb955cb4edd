"""Take-over: the person grabs the wheel from a driving policy and hands it back (issue 12).

While a policy drives (and while its episode is recorded), holding a driving key or the pad's
LB/RB hands control to the person at the next control step; letting go hands it back. The
policy still computes its action at every step, so a recorded episode stores both: the
executed action with per-step provenance (HUMAN while the person held the wheel, POLICY
otherwise) and ``policy_actions``, what the policy would have done, so the timeline can show
how far the policy was from the person at the moment they took over.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from studio.gamepad_mapping import Button

TAKE_OVER_BUTTONS = frozenset({int(Button.LEFT_SHOULDER), int(Button.RIGHT_SHOULDER)})
"""Pad buttons that, held, give the person the wheel."""


def person_wants_wheel(inputs: Any) -> bool:
    """Whether the person holds a driving key or a take-over pad button now."""
    if np.any(inputs.keyboard.target() != 0):
        return True
    pad = inputs.pad_state
    return bool(pad is not None and pad.connected and TAKE_OVER_BUTTONS & set(pad.held))


def choose_action(inputs: Any, driver: Any, env: Any, obs: np.ndarray, dt: float) -> np.ndarray:
    """The action of one control step while a policy drives: the person's during a take-over.

    The person's input is read every step (the key ramp advances, the pad is polled) and the
    policy acts every step (its history stays current; ``driver.last_action`` is what it would
    do). ``driver.person_drove`` says which one is returned.
    """
    person = inputs.action(dt)
    policy = driver.action(env, obs)
    take = person_wants_wheel(inputs)
    driver.set_person(take)
    if not take:
        return policy
    space = env.action_space
    return np.clip(np.asarray(person, dtype=np.float64), space.low, space.high)


class HelpRequests:
    """The policy asks for help itself (ThriftyDAgger's target rate).

    Each step while a policy drives, its uncertainty (``algorithms.uncertainty.action_spread``
    at the live observation) joins a window of recent values; when it is above their
    ``1 - rate`` quantile (so about ``rate`` of the steps, 1% by default) the studio pauses and
    asks the person to take over, so a person supervising at 1× is called only where it
    matters. Off until the person turns it on (``H``).
    """

    def __init__(self, rate: float = 0.01, window: int = 2000, warmup: int = 100) -> None:
        self.rate, self.warmup = rate, warmup
        self.enabled = False
        self.recent: deque[float] = deque(maxlen=window)
        self.asked = 0
        """How many times the policy asked for help."""

    def threshold(self) -> float:
        """The uncertainty above which the policy asks (inf until ``warmup`` steps are seen)."""
        if len(self.recent) < self.warmup:
            return float("inf")
        return float(np.quantile(np.asarray(self.recent), 1.0 - self.rate))

    def observe(self, uncertainty: float) -> bool:
        """Add one step's uncertainty; True when the policy should ask for help now."""
        self.recent.append(float(uncertainty))
        if not self.enabled or uncertainty <= self.threshold():
            return False
        self.asked += 1
        return True
