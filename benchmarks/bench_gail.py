"""GAIL and DAgger quality runs (issue 10), through the command line the checks use.

Every run is a real ``imitation-studio`` command (printed in the report with its seeds); the
report ``benchmarks/results/gail.md`` is written from the runs' ``metrics.jsonl``,
``summary.json`` and ``eval --json`` outputs, never typed in.

    nice -n 19 .venv/bin/python -m benchmarks.bench_gail --work /tmp/gail-bench \
        --only speed,quality,arm,dagger --seeds 0,1

Sections: ``speed`` (Reacher-v5, 10 demos, no BC warm start, 75k env steps), ``quality``
(Reacher-v5, 10 and 4 demos, defaults, 300k env steps, BC on the same demos beside it),
``arm`` (arm push, 4 demos), ``dagger`` (arm push, every observation part, 5 demos, 3 rounds of 5
rollouts, and BC on 20 demos). Evaluation: 100 episodes, seeds 1000-1099.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REACHER, ARM = "Reacher-v5", "ImitationStudio/ArmPush-v0"
CLI = [sys.executable, "-m", "studio"]
RESULTS = Path(__file__).parent / "results" / "gail.md"


def sh(cmd: list[str], log: list[str], *, run: bool = True) -> str:
    """Record a command; run it unless ``run`` is false (its output is already in --work)."""
    shown = " ".join(["imitation-studio", *cmd[3:]])
    log.append(shown)
    if not run:
        return ""
    print("$", shown, flush=True)
    tic = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"failed ({out.returncode}): {shown}")
    print(f"  {time.perf_counter() - tic:.0f} s", flush=True)
    return out.stdout


def collect(work: Path, env: str, n: int, log: list[str]) -> Path:
    path = work / f"{env.split('/')[-1]}-{n}.h5"
    sh([*CLI, "collect", "--env", env, "--episodes", str(n), "--out", str(path),
        "--no-progress"], log, run=not path.exists())  # fmt: skip
    return path


def metrics(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def gail_run(work: Path, data: Path, name: str, seed: int, sets: dict[str, Any], log) -> list:
    run = work / "runs" / name
    todo = not (run / "metrics.jsonl").exists() or "eval_return" not in metrics(run)[-1]
    if todo:
        shutil.rmtree(run, ignore_errors=True)
    args = [f"--set={k}={v}" for k, v in sets.items()]
    sh([*CLI, "train", "--algo", "gail", "--data", str(data), "--seed", str(seed),
        "--runs-dir", str(work / "runs"), "--name", name, "--threads", "1",
        "--no-progress", *args], log, run=todo)  # fmt: skip
    return [m for m in metrics(run) if "eval_return" in m]


def bc_score(work: Path, data: Path, name: str, seed: int, extra: list[str], log) -> dict:
    run = work / "runs" / name
    todo = not (run / "eval.json").exists()
    if todo:
        shutil.rmtree(run, ignore_errors=True)
    sh([*CLI, "train", "--algo", "bc", "--data", str(data), "--seed", str(seed),
        "--runs-dir", str(work / "runs"), "--name", name, "--threads", "1",
        "--no-progress", *extra], log, run=todo)  # fmt: skip
    out = sh([*CLI, "eval", str(run / "checkpoint.pt"), "--episodes", "100", "--json"], log,
             run=todo)  # fmt: skip
    if todo:
        (run / "eval.json").write_text(out)
    return json.loads((run / "eval.json").read_text())["policy"]


def first_reach(evals: list[dict], target: float) -> str:
    hit = [m for m in evals if m["eval_return"] >= target]
    return f"{int(hit[0]['env_steps']):,} ({hit[0]['time_s']:.0f} s)" if hit else "not reached"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/gail-bench")
    ap.add_argument("--only", default="speed,quality,arm,dagger")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--quality-steps", type=int, default=300_000)
    ap.add_argument("--demos", default="10,4", help="demo counts of the quality section")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    only, seeds = args.only.split(","), [int(s) for s in args.seeds.split(",")]
    log: list[str] = []
    lines = [
        "# GAIL and DAgger (issue 10)",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, shared by several "
        "people; every run `nice -n 19`, one torch thread. Evaluation: 100 episodes, seeds "
        "1000-1099, deterministic policy, true env return. Produced by "
        f"`nice -n 19 .venv/bin/python -m benchmarks.bench_gail --only {args.only} "
        f"--seeds {args.seeds} --quality-steps {args.quality_steps} --demos {args.demos}`.",
        "",
    ]
    ev = {"eval_every": 10240, "eval_episodes": 100, "eval_seed": 1000}
    if "speed" in only:
        data = collect(work, REACHER, 10, log)
        lines += ["## Reacher-v5, from scratch (warm_start=0), 10 demos: first eval >= -7.5", "",
                  "| seed | env steps (training s) to -7.5 | best eval | last eval |",
                  "|---|---|---|---|"]  # fmt: skip
        for s in seeds:
            sets = {**ev, "warm_start": 0, "total_env_steps": 75_000}
            e = gail_run(work, data, f"speed-s{s}", s, sets, log)
            best = max(m["eval_return"] for m in e)
            lines.append(
                f"| {s} | {first_reach(e, -7.5)} | {best:.2f} | {e[-1]['eval_return']:.2f} |"
            )
        lines.append("")
    if "quality" in only:
        lines += ["## Reacher-v5, defaults (BC warm start), "
                  f"{args.quality_steps:,} env steps", "",
                  "| demos | seed | GAIL final eval | GAIL best eval | BC (same demos) |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for n in [int(d) for d in args.demos.split(",")]:
            data = collect(work, REACHER, n, log)
            for s in seeds:
                sets = {**ev, "eval_every": 50_000, "total_env_steps": args.quality_steps}
                e = gail_run(work, data, f"quality-{n}-s{s}", s, sets, log)
                bc = bc_score(work, data, f"bc-reacher-{n}-s{s}", s, [], log)
                lines.append(
                    f"| {n} | {s} | {e[-1]['eval_return']:.2f} | "
                    f"{max(m['eval_return'] for m in e):.2f} | {bc['mean_return']:.2f} |"
                )
        lines.append("")
    if "arm" in only:
        data = collect(work, ARM, 4, log)
        lines += [
            "## Arm push, 4 demos (scene default parts)",
            "",
            "| seed | env steps | GAIL eval success, every 50k steps | BC (same demos) |",
            "|---|---|---|---|",
        ]
        for s in seeds[:1]:
            sets = {**ev, "eval_every": 50_000, "total_env_steps": 300_000}
            e = gail_run(work, data, f"arm300k-s{s}", s, sets, log)
            bc = bc_score(work, data, f"bc-arm-4-s{s}", s, [], log)
            curve = ", ".join(f"{m['eval_success']:.0%}" for m in e)
            lines.append(f"| {s} | {int(e[-1]['env_steps']):,} | {curve} | "
                         f"{bc['success_rate']:.0%} |")  # fmt: skip
        lines.append("")
    if "dagger" in only:
        lines += ["## DAgger, arm push, every observation part (--obs-keys all)", "",
                  "| run | round | labelled steps | training steps | eval success |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for s in seeds[:1]:
            src = collect(work, ARM, 5, log)
            data = work / f"dagger-s{s}.h5"
            run = work / "runs" / f"dagger-s{s}"
            todo = not (run / "checkpoint.pt").exists()
            if todo:
                shutil.rmtree(run, ignore_errors=True)
                shutil.copy(src, data)
            log.append(f"cp {src} {data}")
            sh([*CLI, "dagger", "--data", str(data), "--expert", "scripted", "--rounds", "3",
                "--episodes-per-round", "5", "--obs-keys", "all", "--seed", str(s),
                "--runs-dir", str(work / "runs"), "--name", f"dagger-s{s}",
                "--threads", "1"], log, run=todo)  # fmt: skip
            for r in json.loads((run / "summary.json").read_text())["rounds"]:
                lines.append(f"| DAgger seed {s} | {r['round']} | {r['labelled_steps']} | "
                             f"{r['train_steps']} | {r['eval_success']:.0%} |")  # fmt: skip
            bc = bc_score(work, collect(work, ARM, 20, log), f"bc-arm-20-all-s{s}", s,
                          ["--obs-keys", "all"], log)  # fmt: skip
            lines.append(
                f"| BC, 20 expert demos, seed {s} | - | - | - | {bc['success_rate']:.0%} |"
            )
        lines.append("")
    lines += ["## Commands", "", "```", *log, "```", ""]
    # A hand-written "## Notes" section (what the figures mean, what was tried) survives reruns.
    old = RESULTS.read_text() if RESULTS.exists() else ""
    notes = old[old.index("## Notes") :] if "## Notes" in old else ""
    RESULTS.write_text("\n".join(lines) + ("\n" + notes if notes else ""))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
