"""Scenes: env.step vs raw mj_step, the gymnasium adapter vs gymnasium's own env, render
frames/s per backend, scripted-expert success.

``--quick``: 5 interleaved repeats of 1,000 steps (instead of 25 of 2,000), 50 rendered frames
per cell (instead of 200), 20 expert episodes (instead of 200); ``--json``: the figures as JSON.
"""

from __future__ import annotations

import os
from typing import Any

from studio.benchmark import (
    adapter_vs_gymnasium,
    env_vs_raw,
    expert_success,
    expert_vs_random_return,
    render_fps_with_backend,
)
from studio.envs import ARM_PUSH, CAR_OBSTACLE

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
    figures["env_vs_raw"] = []
    for env_id in (ARM_PUSH, CAR_OBSTACLE, "Reacher-v5"):
        r = env_vs_raw(env_id, steps, repeats=repeats)
        figures["env_vs_raw"].append(
            {"env": env_id, "env_steps_s": r.ours, "raw_steps_s": r.reference, "ratio": r.ratio}
        )
    figures["adapter_vs_gymnasium"] = []
    for env_id in ("Reacher-v5",):
        r = adapter_vs_gymnasium(env_id, steps, repeats=repeats)
        figures["adapter_vs_gymnasium"].append(
            {
                "env": env_id,
                "adapter_steps_s": r.ours,
                "gymnasium_steps_s": r.reference,
                "ratio": r.ratio,
            }
        )
    figures["render"] = []
    for backend in ("egl", "osmesa"):
        for shadows in (False, True):
            figures["render"].append(
                {
                    "backend": backend,
                    "shadows": shadows,
                    "arm_fps": render_fps_with_backend(backend, ARM_PUSH, frames, shadows=shadows),
                    "car_fps": render_fps_with_backend(
                        backend, CAR_OBSTACLE, frames, shadows=shadows
                    ),
                }
            )
    figures["experts"] = []
    for env_id in (ARM_PUSH, CAR_OBSTACLE):
        rate, length = expert_success(env_id, episodes)
        figures["experts"].append({"env": env_id, "success_rate": rate, "mean_length": length})
    n = min(episodes, 100)
    ours, rand = expert_vs_random_return("Reacher-v5", n)
    figures["reacher_returns"] = {"episodes": n, "expert": ours, "random": rand}
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
        f"## Simulation speed (one core, CPU time, random actions drawn before timing; median of "
        f"{repeats} interleaved repeats of {steps} steps)",
        "",
        "| scene | env.step /s | raw mj_step /s (same substeps) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for r in f["env_vs_raw"]:
        lines.append(
            f"| {r['env']} | {r['env_steps_s']:,.0f} | {r['raw_steps_s']:,.0f} | {r['ratio']:.2f} |"
        )
    lines += [
        "",
        "## Gymnasium adapter against gymnasium's own env",
        "",
        "Both timed by the same loop: the same pre-drawn actions, the same resets "
        "(the adapter: our `make_env`; gymnasium: `gym.make` with its default wrappers).",
        "",
        "| env | adapter steps/s | gymnasium steps/s | ratio (target >= 0.9) |",
        "|---|---:|---:|---:|",
    ]
    for r in f["adapter_vs_gymnasium"]:
        lines.append(
            f"| {r['env']} | {r['adapter_steps_s']:,.0f} | {r['gymnasium_steps_s']:,.0f} "
            f"| {r['ratio']:.2f}x |"
        )
    lines += [
        "",
        "## Rendering at 640x480 (software Mesa, scene update + render + read-back)",
        "",
        "| backend | shadows | arm push frames/s | car frames/s |",
        "|---|---|---:|---:|",
    ]
    for r in f["render"]:
        fmt = [f"{v:.0f}" if v is not None else "unavailable" for v in (r["arm_fps"], r["car_fps"])]
        on = "on" if r["shadows"] else "off (studio default)"
        lines.append(f"| {r['backend']} | {on} | {fmt[0]} | {fmt[1]} |")
    lines += [
        "",
        f"## Scripted experts ({episodes} seeded episodes each, seeds 0..{episodes - 1})",
        "",
        "| scene | success rate | mean length (steps) |",
        "|---|---:|---:|",
    ]
    for r in f["experts"]:
        lines.append(f"| {r['env']} | {r['success_rate']:.1%} | {r['mean_length']:.0f} |")
    rr = f["reacher_returns"]
    lines += [
        "",
        f"Reacher-v5 has no success flag: its scripted expert's mean return is {rr['expert']:.2f} "
        f"against {rr['random']:.2f} for uniform random actions (seeds 0..{rr['episodes'] - 1}, "
        "the same for both).",
    ]
    return "\n".join(lines) + "\n"


def main(quick: bool = False) -> str:
    """Run and return the Markdown report."""
    return report(run(quick))


if __name__ == "__main__":
    print(main())
