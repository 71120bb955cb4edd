"""Speed of the scenes: env steps/s against raw ``mj_step``, render frames/s, expert success.

Used by ``imitation-studio bench`` and ``make bench`` (benchmarks/bench_envs.py). Ratios are
measured in one run, side by side, because absolute numbers on a shared machine are noisy.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs import ARM_PUSH, CAR_OBSTACLE, make_env
from studio.envs.rendering import FrameRenderer
from studio.experts import make_expert


def _timed_steps(env: Any, actions: np.ndarray, seed: int) -> float:
    """``env.step`` calls per second over pre-drawn ``actions``; a reset ends each episode.

    The one timing loop for every env measured here, ours and gymnasium's alike: actions are
    drawn before the clock starts (drawing them inside the loop would bill one side for its
    random numbers), and episode resets are inside the timed loop on both sides. The clock is
    this process's CPU time: on a machine shared with other jobs, wall time would bill a side
    for the moments the scheduler ran someone else.
    """
    env.reset(seed=seed)
    step, reset = env.step, env.reset
    t0 = time.process_time()
    for a in actions:
        _, _, terminated, truncated, _ = step(a)
        if terminated or truncated:
            reset()
    return len(actions) / (time.process_time() - t0)


def _raw_steps(model: mujoco.MjModel, data: mujoco.MjData, substeps: int, steps: int) -> float:
    """Bare ``mj_step`` control steps per second (``substeps`` physics steps each)."""
    t0 = time.process_time()  # CPU time, as _timed_steps
    for _ in range(steps):
        mujoco.mj_step(model, data, substeps)
    return steps / (time.process_time() - t0)


def _actions(space: Any, unit: np.ndarray) -> np.ndarray:
    """``unit`` actions in [-1, 1] mapped onto ``space``'s bounds, in its dtype."""
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    return (low + (unit + 1.0) * 0.5 * (high - low)).astype(space.dtype)


def _unit_actions(n_act: int, steps: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1.0, 1.0, (steps, n_act))


@dataclass
class Speed:
    """Medians over interleaved repeats: env steps/s, the reference's steps/s, their ratio."""

    ours: float
    reference: float
    ratio: float  # median of the per-repeat ratios (each pair ran back to back)


def _interleaved(ours: Callable[[], float], ref: Callable[[], float], repeats: int) -> Speed:
    """Alternate the two measurements ``repeats`` times (both see the same machine load)."""
    a, b = [], []
    for _ in range(repeats):
        a.append(ours())
        b.append(ref())
    return Speed(
        statistics.median(a),
        statistics.median(b),
        statistics.median(x / y for x, y in zip(a, b, strict=True)),
    )


def env_vs_raw(env_id: str, steps: int, *, repeats: int = 5, seed: int = 0) -> Speed:
    """Our ``env.step`` against bare ``mj_step`` of the same model (same substeps per step)."""
    env = make_env(env_id)
    actions = _actions(env.action_space, _unit_actions(len(env.action_labels), steps, seed))
    model, data = env.model, env.data
    substeps = max(1, round(env.control_dt / model.opt.timestep))
    try:
        return _interleaved(
            lambda: _timed_steps(env, actions, seed),
            lambda: _raw_steps(model, data, substeps, steps),
            repeats,
        )
    finally:
        env.close()


def adapter_vs_gymnasium(env_id: str, steps: int, *, repeats: int = 5, seed: int = 0) -> Speed:
    """The adapter against gymnasium's own ``gym.make(env_id)`` (its default wrappers).

    Both get the same pre-drawn actions (each in its own action space: the adapter's [-1, 1],
    gymnasium's bounds), the same seeded first reset and the same episode length.
    """
    ours = make_env(env_id)
    theirs = gym.make(env_id)
    unit = _unit_actions(len(ours.action_labels), steps, seed)
    ours_actions = _actions(ours.action_space, unit)
    their_actions = _actions(theirs.action_space, unit)
    try:
        return _interleaved(
            lambda: _timed_steps(ours, ours_actions, seed),
            lambda: _timed_steps(theirs, their_actions, seed),
            repeats,
        )
    finally:
        ours.close()
        theirs.close()


def render_fps(
    env_id: str, frames: int, width: int = 640, height: int = 480, *, shadows: bool = True
) -> float:
    """Frames/s of scene update + render + read-back with the env's teleop camera."""
    env = make_env(env_id)
    env.reset(seed=0)
    renderer = FrameRenderer()
    camera = env.make_camera()

    def frame() -> None:
        renderer.render(env.model, env.data, camera, width, height, shadows=shadows)

    frame()  # context creation is not part of the per-frame cost
    t0 = time.perf_counter()
    for _ in range(frames):
        env.step(np.zeros(env.action_space.shape))
        frame()
    elapsed = time.perf_counter() - t0
    renderer.close()
    env.close()
    return frames / elapsed


def render_fps_with_backend(
    backend: str, env_id: str, frames: int, *, shadows: bool = True
) -> float | None:
    """Render frames/s with ``MUJOCO_GL=backend`` (a subprocess: the backend is per process)."""
    code = (
        "from studio.benchmark import render_fps;"
        f"print(render_fps({env_id!r}, {frames}, shadows={shadows}))"
    )
    env = {**os.environ, "MUJOCO_GL": backend, "PYOPENGL_PLATFORM": backend}
    try:
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
        )
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def expert_success(env_id: str, episodes: int) -> tuple[float, float]:
    """Success rate and mean episode length of the scripted expert over seeded episodes."""
    env = make_env(env_id)
    expert = make_expert(env_id, rng=np.random.default_rng(0))
    successes, lengths = 0, []
    for seed in range(episodes):
        obs, _ = env.reset(seed=seed)
        expert.reset()
        info: dict = {}
        for _ in range(env.max_episode_steps):
            obs, _, terminated, truncated, info = env.step(expert.act(obs))
            if terminated or truncated:
                break
        successes += bool(info.get("is_success"))
        lengths.append(env.elapsed_steps)
    return successes / episodes, float(np.mean(lengths))


def expert_vs_random_return(env_id: str, episodes: int, *, seed: int = 0) -> tuple[float, float]:
    """Mean episode return of the scripted expert and of uniform random actions, same seeds."""
    env = make_env(env_id)
    expert = make_expert(env_id, rng=np.random.default_rng(seed))
    rng = np.random.default_rng(seed)

    def run(act: Callable[[np.ndarray], np.ndarray]) -> float:
        total = 0.0
        for i in range(episodes):
            obs, _ = env.reset(seed=seed + i)
            expert.reset()
            for _ in range(env.max_episode_steps):
                obs, reward, terminated, truncated, _ = env.step(act(obs))
                total += float(reward)
                if terminated or truncated:
                    break
        return total / episodes

    try:
        return run(expert.act), run(lambda _: rng.uniform(-1.0, 1.0, env.action_space.shape))
    finally:
        env.close()


def measure(steps: int, frames: int, episodes: int, repeats: int) -> dict[str, Any]:
    """Every measurement of the scenes report, as plain JSON-able figures."""
    figures: dict[str, Any] = {}
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


def tables(f: dict[str, Any], *, steps: int, frames: int, episodes: int, repeats: int) -> str:
    """:func:`measure`'s figures as the report's Markdown tables."""
    lines = [
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


def report(steps: int = 5000, frames: int = 200, episodes: int = 200, repeats: int = 5) -> str:
    """Run everything and return a Markdown report."""
    sizes = {"steps": steps, "frames": frames, "episodes": episodes, "repeats": repeats}
    return tables(measure(**sizes), **sizes)
