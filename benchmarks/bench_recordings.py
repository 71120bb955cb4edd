"""Recordings benchmark: append latency at 500 Hz, and opening a 1,000-demo, 1M-step file.

Run with ``python -m benchmarks recordings``; the report goes to benchmarks/results/recordings.md.
``--quick``: 3 paced episodes (instead of 10) and a 100-demo, 100k-step file (instead of 1,000
demos, 1M steps), the report printed only; ``--json``: the figures as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from recordings import Dataset, EpisodeWriter, RecordingFile

# Sizes like the arm scene: ~20 observation floats in named parts, 2 actions, ~40 state floats.
OBS_PARTS = {"joint_pos": 3, "joint_vel": 3, "ee_pos": 2, "puck_pos": 2, "puck_vel": 2, "goal": 8}
STATE, ACTION = 40, 2


def _step(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    obs = {k: rng.normal(size=n) for k, n in OBS_PARTS.items()}
    return obs, rng.uniform(-1, 1, ACTION).astype(np.float32), rng.normal(size=STATE)


def _paced(fn: Callable[[int], None], steps: int, hz: float) -> list[int]:
    """Call ``fn(i)`` at ``hz`` (sleep, then spin the last bit); ns spent in each call."""
    lat, period, t_next = [], 1.0 / hz, time.perf_counter()
    for i in range(steps):
        t_next += period
        t0 = time.perf_counter_ns()
        fn(i)
        lat.append(time.perf_counter_ns() - t0)
        while (left := t_next - time.perf_counter()) > 0:
            if left > 0.0005:
                time.sleep(left - 0.0004)
    return lat


def _summary(ns: list[int]) -> dict:
    us = np.array(ns) / 1e3
    return {
        "n": len(us),
        "p50": float(np.percentile(us, 50)),
        "p99": float(np.percentile(us, 99)),
        "p999": float(np.percentile(us, 99.9)),
        "max": float(us.max()),
        "over_1ms": int((us > 1000).sum()),
    }


def bench_append(folder: Path, hz: float = 500.0, episodes: int = 5, steps: int = 1000) -> dict:
    """Paced appends at ``hz``; per-step cost of ``append`` and per-episode cost of ``finish``.

    Also times the bare numpy copies of the same step at the same pace (``baseline``): on a
    shared machine, waking up every 2 ms costs cache misses and scheduling delays of its own.
    """
    rng = np.random.default_rng(0)
    pool = [_step(rng) for _ in range(256)]  # pre-made data: time the writer, not the RNG
    bufs = [np.empty((512, *np.shape(v))) for v in [*pool[0][0].values()] * 2 + list(pool[0][1:])]

    def baseline(i: int) -> None:
        obs, act, st = pool[i % len(pool)]
        for buf, v in zip(bufs, [*obs.values(), *obs.values(), act, st], strict=True):
            buf[i % 512] = v

    rf = RecordingFile(folder / "latency.h5")
    lat, base, commits = [], [], []
    for _ in range(episodes):
        # Baseline and writer alternate episode by episode, so both see the same machine load.
        base += _paced(baseline, steps, hz)
        w = rf.begin_episode(source="human", device="bench")

        def append(i: int, w: EpisodeWriter = w) -> None:
            obs, act, st = pool[i % len(pool)]
            w.append(obs, act, 0.0, i == steps - 1, st, next_obs=obs)

        lat += _paced(append, steps, hz)
        t0 = time.perf_counter()
        w.finish(success=True)
        commits.append(time.perf_counter() - t0)
    # Unpaced: how fast can it go at all? (flush_interval as above; blocks are handed off)
    w = rf.begin_episode(source="human")
    t0 = time.perf_counter()
    for i in range(5000):
        obs, act, st = pool[i % len(pool)]
        w.append(obs, act, 0.0, False, st, next_obs=obs)
    rate = 5000 / (time.perf_counter() - t0)
    w.discard()
    return {
        "episodes": episodes,
        "steps": steps,
        **_summary(lat),
        "base": _summary(base),
        "episode_p99": [
            float(np.percentile(np.array(lat[k * steps : (k + 1) * steps]) / 1e3, 99))
            for k in range(episodes)
        ],
        "commit_ms": float(np.median(commits) * 1e3),
        "rate": rate,
    }


def build_big(path: Path, demos: int = 1000, steps: int = 1000) -> float:
    """Record ``demos`` x ``steps`` through the real writer (unpaced); returns seconds taken."""
    rng = np.random.default_rng(1)
    pool = [_step(rng) for _ in range(256)]
    rf = RecordingFile(path)
    rf.set_env({"env_name": "Bench-v0", "type": 4, "env_kwargs": {}}, "<mujoco/>")
    t0 = time.perf_counter()
    for d in range(demos):
        w = rf.begin_episode(source="human" if d % 3 else "policy", device="bench")
        for i in range(steps):
            obs, act, st = pool[(i + d) % len(pool)]
            w.append(obs, act, float(i), i == steps - 1, st, next_obs=obs)
        w.finish(success=d % 4 != 0)
    return time.perf_counter() - t0


def probe(path: str) -> dict:
    """Run in a fresh process: time and RSS growth to open and list, then to load everything."""
    import psutil

    proc = psutil.Process()
    rss0 = proc.memory_info().rss
    t0 = time.perf_counter()
    names = RecordingFile(path, mode="r").demos
    t_list = time.perf_counter() - t0
    t0 = time.perf_counter()
    ds = Dataset(path)  # lazy: header and demo names only
    n_demos = len(ds.demos)
    t_open = time.perf_counter() - t0
    rss_open = proc.memory_info().rss
    t0 = time.perf_counter()
    infos = [ds.info(d) for d in ds.demos]  # what a demo list view shows
    t_info = time.perf_counter() - t0
    rss_info = proc.memory_info().rss
    t0 = time.perf_counter()
    ds.validate()  # layout of every demo, metadata only
    t_validate = time.perf_counter() - t0
    rss_validate = proc.memory_info().rss
    t0 = time.perf_counter()
    tr = ds.transitions()
    t_load = time.perf_counter() - t0
    rss_load = proc.memory_info().rss
    mb = 2**20
    return {
        "demos": len(names),
        "steps": int(sum(i.num_samples for i in infos)),
        "t_list": t_list,
        "t_open": t_open,
        "n_open": n_demos,
        "rss_open_mb": (rss_open - rss0) / mb,
        "t_info": t_info,
        "rss_info_mb": (rss_info - rss0) / mb,
        "t_validate": t_validate,
        "rss_validate_mb": (rss_validate - rss0) / mb,
        "t_load": t_load,
        "rss_load_mb": (rss_load - rss0) / mb,
        "transitions_mb": (tr.obs.nbytes + tr.actions.nbytes) / mb,
    }


FULL = {"episodes": 10, "demos": 1000}
QUICK = {"episodes": 3, "demos": 100}


def run(quick: bool = False) -> dict:
    """Run the benchmark; returns the figures (latencies in µs, times in s)."""
    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        a = bench_append(folder, episodes=sizes["episodes"])
        big = folder / "big.h5"
        t_build = build_big(big, demos=sizes["demos"])
        size_mb = os.path.getsize(big) / 2**20
        root = Path(__file__).resolve().parents[1]
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_recordings", str(big)],
            cwd=root, capture_output=True, text=True, check=True,
        )  # fmt: skip
        p = json.loads(out.stdout)
    return {
        "benchmark": "recordings",
        "quick": quick,
        "append": a,
        "big_file": {"demos": sizes["demos"], "build_s": t_build, "size_mb": size_mb, **p},
    }


def main(quick: bool = False) -> str:
    """Run the benchmark and return its Markdown report."""
    f = run(quick)
    a, big = f["append"], f["big_file"]
    p, t_build, size_mb = big, big["build_s"], big["size_mb"]
    n_ep, n_demos = a["episodes"], big["demos"]
    total = "1M" if n_demos * 1000 == 1_000_000 else f"{n_demos * 1000:,}"
    obs_floats = sum(OBS_PARTS.values())
    b = a["base"]
    note = (
        f"Quick run (`--quick`): {n_ep} paced episodes instead of {FULL['episodes']}, a "
        f"{n_demos}-demo file instead of {FULL['demos']:,}; same measurements, fewer samples.\n\n"
        if quick
        else ""
    )
    return f"""\
{note}## Append latency at 500 Hz (paced)

{a["n"]} steps in {n_ep} episodes of 1,000 (a baseline episode before each); each step: \
{obs_floats} obs floats in {len(OBS_PARTS)} named parts (+ the same as next_obs), {ACTION} float32 \
actions, {STATE} state floats.
Cost of `EpisodeWriter.append()` alone, measured around the call:

| | p50 | p99 | p99.9 | max | steps over 1 ms |
|---|---|---|---|---|---|
| `append()` | {a["p50"]:.0f} µs | {a["p99"]:.0f} µs | {a["p999"]:.0f} µs | {a["max"]:.0f} µs | \
{a["over_1ms"]} of {a["n"]} |
| baseline: the same 14 array copies, no writer | {b["p50"]:.0f} µs | {b["p99"]:.0f} µs | \
{b["p999"]:.0f} µs | {b["max"]:.0f} µs | {b["over_1ms"]} of {b["n"]} |

p99 of `append()` in each of the {n_ep} episodes: \
{", ".join(f"{v:.0f}" for v in a["episode_p99"])} µs.

The baseline row shows what this shared 2-core machine adds to any code woken every 2 ms (cold
caches, other processes, ~3x the hot-loop cost): compare the two rows rather than the absolute
figures. The writer itself costs ~30 µs a step in a hot loop (see the unpaced rate).

- `finish()` (commit of a 1,000-step demo into the HDF5 file through the rollback journal, with
  fsyncs): median {a["commit_ms"]:.1f} ms, once per episode, between episodes.
- Unpaced, the writer sustains {a["rate"]:,.0f} appends/s (the 500 Hz target needs 500).

## A {n_demos:,}-demo, {total}-step file

Built through the same writer in {t_build:.0f} s (unpaced appends plus {n_demos:,} commits);
{p["demos"]} demos, {p["steps"]:,} steps, {size_mb:.0f} MiB on disk. Measured in a fresh process:

| operation | time | RSS growth (cumulative) |
|---|---|---|
| `RecordingFile(path, "r").demos` (list names) | {p["t_list"] * 1e3:.0f} ms | |
| `Dataset(path)` + `.demos` (lazy open, {p["n_open"]} names) | {p["t_open"] * 1e3:.0f} ms | \
{p["rss_open_mb"]:.1f} MiB |
| `ds.info(name)` for every demo (attributes, as a list view shows them) | \
{p["t_info"]:.2f} s | {p["rss_info_mb"]:.1f} MiB |
| `ds.validate()` (layout of every demo, metadata only) | {p["t_validate"]:.2f} s | \
{p["rss_validate_mb"]:.1f} MiB |
| `ds.transitions()` (all data, for contrast) | {p["t_load"]:.1f} s | {p["rss_load_mb"]:.0f} MiB |

Opening and listing read metadata only: memory grows by {p["rss_info_mb"]:.1f} MiB to list a \
{size_mb:.0f} MiB file with every demo's attributes, against {p["rss_load_mb"]:.0f} MiB once \
the data is actually loaded ({p["transitions_mb"]:.0f} MiB of float32 training arrays plus \
h5py's buffers). Per-object costs are h5py's (tens of µs per attribute or dataset open on this \
shared 2-core machine), which is why validation is lazy: each demo is checked when it is first
loaded, and `validate()` / `check()` do the whole file on request.
"""


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1])))
