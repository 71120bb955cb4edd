"""Speed of the scenes: env steps/s against raw ``mj_step``, render frames/s, expert success.

Used by ``imitation-studio bench`` and ``make bench`` (benchmarks/bench_envs.py). Ratios are
measured in one run, side by side, because absolute numbers on a shared machine are noisy.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs import ARM_PUSH, CAR_OBSTACLE, make_env
from studio.experts import make_expert


def env_steps_per_second(env_id: str, steps: int, *, seed: int = 0) -> float:
    """``env.step`` calls per second with uniform random actions (resets included)."""
    env = make_env(env_id)
    rng = np.random.default_rng(seed)
    actions = rng.uniform(-1, 1, (steps, *env.action_space.shape))
    env.reset(seed=seed)
    t0 = time.perf_counter()
    for a in actions:
        _, _, terminated, truncated, _ = env.step(a)
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - t0)


def raw_steps_per_second(env_id: str, steps: int) -> float:
    """The same physics with bare ``mj_step`` (one control step = ``frame_skip`` substeps)."""
    env = make_env(env_id)
    env.reset(seed=0)
    model, data = env.model, env.data
    substeps = max(1, round(env.control_dt / model.opt.timestep))
    t0 = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data, substeps)
    return steps / (time.perf_counter() - t0)


def gymnasium_steps_per_second(env_id: str, steps: int) -> float:
    """Gymnasium's own ``gym.make(env_id)`` with its default wrappers, for reference."""
    env = gym.make(env_id)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    del rng
    return steps / (time.perf_counter() - t0)


def render_fps(
    env_id: str, frames: int, width: int = 640, height: int = 480, *, shadows: bool = True
) -> float:
    """Frames/s of scene update + render + read-back with the env's teleop camera."""
    env = make_env(env_id)
    env.reset(seed=0)
    renderer = mujoco.Renderer(env.model, height, width)
    camera = env.make_camera()

    def frame() -> None:
        renderer.update_scene(env.data, camera)
        renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = int(shadows)
        renderer.render()

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


def report(steps: int = 5000, frames: int = 200, episodes: int = 200) -> str:
    """Run everything and return a Markdown report."""
    lines = [
        "## Simulation speed (one core, random actions)",
        "",
        "| scene | env.step /s | raw mj_step /s (same substeps) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for env_id in (ARM_PUSH, CAR_OBSTACLE, "Reacher-v5"):
        ours = env_steps_per_second(env_id, steps)
        raw = raw_steps_per_second(env_id, steps)
        lines.append(f"| {env_id} | {ours:,.0f} | {raw:,.0f} | {ours / raw:.2f} |")
    ref = gymnasium_steps_per_second("Reacher-v5", steps)
    lines += [
        "",
        f"Reference: gymnasium's own `gym.make('Reacher-v5')` (with its wrappers): "
        f"{ref:,.0f} steps/s in the same run.",
        "",
        "## Rendering at 640x480 (software Mesa, scene update + render + read-back)",
        "",
        "| backend | shadows | arm push frames/s | car frames/s |",
        "|---|---|---:|---:|",
    ]
    for backend in ("egl", "osmesa"):
        for shadows in (False, True):
            arm = render_fps_with_backend(backend, ARM_PUSH, frames, shadows=shadows)
            car = render_fps_with_backend(backend, CAR_OBSTACLE, frames, shadows=shadows)
            fmt = [f"{v:.0f}" if v is not None else "unavailable" for v in (arm, car)]
            on = "on" if shadows else "off (studio default)"
            lines.append(f"| {backend} | {on} | {fmt[0]} | {fmt[1]} |")
    lines += [
        "",
        f"## Scripted experts ({episodes} seeded episodes each, seeds 0..{episodes - 1})",
        "",
        "| scene | success rate | mean length (steps) |",
        "|---|---:|---:|",
    ]
    for env_id in (ARM_PUSH, CAR_OBSTACLE):
        rate, length = expert_success(env_id, episodes)
        lines.append(f"| {env_id} | {rate:.1%} | {length:.0f} |")
    return "\n".join(lines) + "\n"
