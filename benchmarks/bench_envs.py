"""Scenes: env.step vs raw mj_step, the gymnasium adapter vs gymnasium's own env, render
frames/s per backend, scripted-expert success."""

import os

from studio.benchmark import report


def main() -> str:
    """Markdown report (see studio/benchmark.py), with the machine's load when it started."""
    load = os.getloadavg()[0]
    return (
        f"1-minute load average at the start: {load:.1f} (other jobs share the machine; the "
        "step-rate ratios pair each measurement with its reference back to back and use CPU "
        "time, the render frame rates are wall time and move with the load).\n\n"
        + report(steps=2000, frames=200, episodes=200, repeats=25)
    )
