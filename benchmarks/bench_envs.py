"""Scenes: env.step vs raw mj_step, the gymnasium adapter vs gymnasium's own env, render
frames/s per backend, scripted-expert success.

``--quick``: 5 interleaved repeats of 1,000 steps (instead of 25 of 2,000), 50 rendered frames
per cell (instead of 200), 20 expert episodes (instead of 200); ``--json``: the figures as JSON.
"""

from __future__ import annotations

import os
from typing import Any

from studio.benchmark import measure, tables

FULL = {"steps": 2000, "frames": 200, "episodes": 200, "repeats": 25}
QUICK = {"steps": 1000, "frames": 50, "episodes": 20, "repeats": 5}


def run(quick: bool = False) -> dict[str, Any]:
    """Measure everything (the same measurements as ``studio.benchmark.report``); the figures."""
    sizes = QUICK if quick else FULL
    steps, frames, episodes, repeats = (
        sizes[k] for k in ("steps", "frames", "episodes", "repeats")
    )
    figures: dict[str, Any] = {
        "benchmark": "envs",
        "quick": quick,
        **sizes,
        "load_before": os.getloadavg()[0],
    }
    figures.update(measure(steps, frames, episodes, repeats))
    return figures


def report(f: dict[str, Any]) -> str:
    """The figures as Markdown (the layout of ``studio.benchmark.report``)."""
    steps, frames, episodes, repeats = (f[k] for k in ("steps", "frames", "episodes", "repeats"))
    lines = []
    if f["quick"]:
        lines += [
            f"Quick run (`--quick`): {repeats} interleaved repeats of {steps} steps, {frames} "
            f"rendered frames per cell, {episodes} expert episodes (the full run: "
            f"{FULL['repeats']} repeats of {FULL['steps']} steps, {FULL['frames']} frames, "
            f"{FULL['episodes']} episodes); noisier figures, same measurements.",
            "",
        ]
    lines += [
        f"1-minute load average at the start: {f['load_before']:.1f} (other jobs share the "
        "machine; the step-rate ratios pair each measurement with its reference back to back and "
        "use CPU time, the render frame rates are wall time and move with the load).",
        "",
    ]
    return (
        "\n".join(lines)
        + "\n"
        + tables(f, steps=steps, frames=frames, episodes=episodes, repeats=repeats)
    )


def main(quick: bool = False) -> str:
    """Run and return the Markdown report."""
    return report(run(quick))


if __name__ == "__main__":
    print(main())
