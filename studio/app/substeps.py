"""Smooth frames between control steps: the physics substeps of one step, re-simulated.

The env steps at the control rate (20 Hz: recordings keep that rate), which in slow motion is a
slideshow: 0.1× would show two frames per second. A control step is ``frame_skip`` MuJoCo
substeps (arm 10, car 5). :class:`SubstepSimulator` re-runs a step on a private copy of the env
from the exact state before it with the same action, stopping after 1, 2, ... substeps, and
keeps every intermediate state. A step with all its substeps is the env's own ``step``, so the
last state lands bit for bit on the state after the real step (tested).

Stopping after ``k`` substeps is done by running the copy's ``step`` with ``frame_skip = k``:
the studio's scenes set their controls once per control step (arm) or re-aim them every substep
(car) inside ``step``, and both loop ``frame_skip`` times, so the first ``k`` substeps of a
``k``-substep step are the first ``k`` substeps of the full one. Scenes without ``frame_skip``
(gymnasium's, through the adapter) get the two control states blended instead.

:func:`blend` draws between two neighbouring substeps when the display outpaces them (the car
at 0.1× has 10 substeps per wall second): qpos and the rest are blended linearly; MuJoCo's
kinematics normalise free-joint quaternions when the frame is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def blend(states: np.ndarray, fraction: float) -> np.ndarray:
    """The state at ``fraction`` (0..1) of the way through ``states`` ``(K+1, S)``.

    Exact at the substeps themselves (``fraction = k / K``); a linear blend between them.
    """
    k_max = len(states) - 1
    if k_max <= 0:
        return states[0]
    x = min(1.0, max(0.0, float(fraction))) * k_max
    k = min(int(x), k_max - 1)
    w = x - k
    if w <= 0.0:
        return states[k]
    if w >= 1.0:
        return states[k + 1]
    return (1.0 - w) * states[k] + w * states[k + 1]


class SubstepSimulator:
    """Re-simulates the substeps of one control step on a private env.

    Args:
        make_env: builds the private env (same scene as the one whose steps are shown).
    """

    def __init__(self, make_env: Callable[[], Any]) -> None:
        self._env = make_env()
        self._env.reset(seed=0)
        self.substeps = int(getattr(self._env, "frame_skip", 0) or 0)
        """Physics substeps per control step (0: the scene does not expose them)."""

    @property
    def exact(self) -> bool:
        """True when the frames are physics substeps, False when blended control states."""
        return self.substeps > 0

    def states(self, state: np.ndarray, action: np.ndarray, after: np.ndarray | None = None):
        """``(K+1, S)``: ``state``, the state after each substep, the state after the step.

        Args:
            state: the exact state before the step (``env.get_state()``).
            action: the step's action.
            after: the state after the step when known (live: the real env's; playback: the
                next recorded state). Used as the last row; without substeps the rows are
                ``state`` and ``after``.
        """
        env = self._env
        state = np.asarray(state, dtype=np.float64)
        if not self.exact:
            if after is None:
                env.set_state(state)
                env.step(action)
                after = env.get_state()
            return np.stack([state, np.asarray(after, dtype=np.float64)])
        rows = [state]
        full = self.substeps
        try:
            for k in range(1, full + 1):
                env.set_state(state)
                env.frame_skip = k
                env.step(action)
                rows.append(env.get_state())
        finally:
            env.frame_skip = full
        # The k-th row's step counter is the one after the step; for drawing it does not
        # matter, and the last row is then exactly the real next state.
        if after is not None:
            rows[-1] = np.asarray(after, dtype=np.float64)
        return np.stack(rows)

    def close(self) -> None:
        """Release the private env."""
        self._env.close()
