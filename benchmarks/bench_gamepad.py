"""Gamepad poll cost and fidelity, driven by a real SDL virtual joystick.

The control loop polls the pad once per control step (60-500 Hz), so a poll must cost well under
a millisecond and must never drop or repeat a button press.
"""

from __future__ import annotations

import time

import numpy as np

from studio.gamepad import Gamepad
from studio.gamepad_mapping import Axis, Button
from tests.support.virtual_joystick import VirtualJoystick

POLLS = 20_000
TAPS = 2_000
QUICK = 10  # --quick divides the counts by this


def _percentiles(samples_s: list[float]) -> dict[str, float]:
    us = np.asarray(samples_s) * 1e6
    return {
        "p50_us": float(np.percentile(us, 50)),
        "p99_us": float(np.percentile(us, 99)),
        "max_us": float(us.max()),
    }


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns the figures (poll times in µs, taps seen, sign errors)."""
    polls, taps = (POLLS // QUICK, TAPS // QUICK) if quick else (POLLS, TAPS)
    figures: dict = {"benchmark": "gamepad", "quick": quick, "polls": polls, "taps": taps}
    with Gamepad() as pad, VirtualJoystick() as vj:
        assert pad.poll().connected
        idle = []
        for _ in range(polls):
            t0 = time.perf_counter()
            pad.poll()
            idle.append(time.perf_counter() - t0)
        figures["idle"] = _percentiles(idle)

        moving, worst_error = [], 0.0
        for i in range(polls):
            value = np.sin(i * 0.01)  # sweep the stick through its whole range
            vj.set_axis(Axis.LEFT_X, value)
            vj.set_axis(Axis.RIGHT_Y, -value)
            t0 = time.perf_counter()
            state = pad.poll()
            moving.append(time.perf_counter() - t0)
            if abs(value) > 0.2:  # outside the dead-zone the reading must follow the same poll
                worst_error = max(worst_error, abs(np.sign(value) - np.sign(state.sticks[0])))
        figures["moving"] = _percentiles(moving)

        seen = 0
        for i in range(taps):
            vj.tap(Button.A if i % 2 else Button.Y)
            if i % 3 == 0:  # several clicks may land between two polls
                seen += len(pad.poll().pressed)
        seen += len(pad.poll().pressed)

    figures["seen"] = seen
    figures["sign_errors"] = int(worst_error)
    return figures


def main(quick: bool = False) -> str:
    """Run the benchmark and return a Markdown report."""
    f = run(quick)
    rows = [("idle (no input change)", f["idle"]), ("two axes change every poll", f["moving"])]
    lines = [
        f"Gamepad.poll() on a virtual SDL controller, {f['polls']} polls per row.",
        "",
        "| case | poll p50 / p99 / max (µs) |",
        "|---|---|",
        *(
            f"| {name} | {c['p50_us']:.1f} / {c['p99_us']:.1f} / {c['max_us']:.1f} |"
            for name, c in rows
        ),
        "",
        f"Button clicks: {f['taps']} tapped, {f['seen']} events reported (must be equal).  ",
        f"Stick sign errors outside the dead-zone: {f['sign_errors']} (must be 0).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(main())
