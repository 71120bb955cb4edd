"""Gamepad poll cost and fidelity, driven by a real SDL virtual joystick.

The control loop polls the pad once per control step (60-500 Hz), so a poll must cost well under
a millisecond and must never drop or repeat a button press.
"""

from __future__ import annotations

import time

import numpy as np

from studio.gamepad import Axis, Button, Gamepad
from tests.support.virtual_joystick import VirtualJoystick

POLLS = 20_000
TAPS = 2_000


def _percentiles(samples_s: list[float]) -> str:
    us = np.asarray(samples_s) * 1e6
    return f"{np.percentile(us, 50):.1f} / {np.percentile(us, 99):.1f} / {us.max():.1f}"


def main() -> str:
    """Run the benchmark and return a Markdown report."""
    rows = []
    with Gamepad() as pad, VirtualJoystick() as vj:
        assert pad.poll().connected
        idle = []
        for _ in range(POLLS):
            t0 = time.perf_counter()
            pad.poll()
            idle.append(time.perf_counter() - t0)
        rows.append(("idle (no input change)", _percentiles(idle)))

        moving, worst_error = [], 0.0
        for i in range(POLLS):
            value = np.sin(i * 0.01)  # sweep the stick through its whole range
            vj.set_axis(Axis.LEFT_X, value)
            vj.set_axis(Axis.RIGHT_Y, -value)
            t0 = time.perf_counter()
            state = pad.poll()
            moving.append(time.perf_counter() - t0)
            if abs(value) > 0.2:  # outside the dead-zone the reading must follow the same poll
                worst_error = max(worst_error, abs(np.sign(value) - np.sign(state.sticks[0])))
        rows.append(("two axes change every poll", _percentiles(moving)))

        seen = 0
        for i in range(TAPS):
            vj.tap(Button.A if i % 2 else Button.Y)
            if i % 3 == 0:  # several clicks may land between two polls
                seen += len(pad.poll().pressed)
        seen += len(pad.poll().pressed)

    lines = [
        f"Gamepad.poll() on a virtual SDL controller, {POLLS} polls per row.",
        "",
        "| case | poll p50 / p99 / max (µs) |",
        "|---|---|",
        *(f"| {name} | {cell} |" for name, cell in rows),
        "",
        f"Button clicks: {TAPS} tapped, {seen} events reported (must be equal).  ",
        f"Stick sign errors outside the dead-zone: {worst_error:.0f} (must be 0).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
