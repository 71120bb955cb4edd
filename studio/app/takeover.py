"""Take-over: the person grabs the wheel from a driving policy and hands it back (issue 12).

While a policy drives (and while its episode is recorded), holding a driving key or the pad's
LB/RB hands control to the person at the next control step; letting go hands it back. The
policy still computes its action at every step, so a recorded episode stores both: the
executed action with per-step provenance (HUMAN while the person held the wheel, POLICY
otherwise) and ``policy_actions``, what the policy would have done, so the timeline can show
how far the policy was from the person at the moment they took over.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studio.gamepad import Button

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
