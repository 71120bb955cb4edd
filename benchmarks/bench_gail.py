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

Also ``python -m benchmarks gail`` (the defaults above). ``--quick`` (under a minute, in a fresh
temporary folder, nothing written): ``speed`` with seed 0 and 20,480 env steps, ``quality`` with
10 demos, seed 0, 1,000 BC warm-start steps and 10,240 env steps beside BC trained 1,000 steps,
20 evaluation episodes (seeds 1000-1019) for both; no ``arm`` or ``dagger``. ``--json``: the
figures as JSON (``run(quick)``).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
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
    # Progress goes to stderr: with --json, stdout carries the figures only.
    print("$", shown, file=sys.stderr, flush=True)
    tic = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"failed ({out.returncode}): {shown}")
    print(f"  {time.perf_counter() - tic:.0f} s", file=sys.stderr, flush=True)
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


def bc_score(
    work: Path, data: Path, name: str, seed: int, extra: list[str], log, episodes: int = 100
) -> dict:
    run = work / "runs" / name
    todo = not (run / "eval.json").exists()
    if todo:
        shutil.rmtree(run, ignore_errors=True)
    sh([*CLI, "train", "--algo", "bc", "--data", str(data), "--seed", str(seed),
        "--runs-dir", str(work / "runs"), "--name", name, "--threads", "1",
        "--no-progress", *extra], log, run=todo)  # fmt: skip
    out = sh([*CLI, "eval", str(run / "checkpoint.pt"), "--episodes", str(episodes), "--json"],
             log, run=todo)  # fmt: skip
    if todo:
        (run / "eval.json").write_text(out)
    return json.loads((run / "eval.json").read_text())["policy"]


def first_reach(evals: list[dict], target: float) -> str:
    hit = [m for m in evals if m["eval_return"] >= target]
    return f"{int(hit[0]['env_steps']):,} ({hit[0]['time_s']:.0f} s)" if hit else "not reached"


DEFAULTS = {"only": "speed,quality,arm,dagger", "seeds": "0,1", "quality_steps": 300_000,
            "demos": "10,4"}  # fmt: skip
QUICK = {
    "only": "speed,quality",
    "seeds": "0",
    "quality_steps": 10_240,
    "demos": "10",
    "speed_steps": 20_480,
    "warm_start": 1000,  # BC steps before GAIL (default 5000)
    "bc_steps": 1000,  # BC beside GAIL (default 5000)
    "eval_episodes": 20,
}


def run(
    quick: bool = False,
    *,
    work: Path | None = None,
    only: str = DEFAULTS["only"],
    seeds: str = DEFAULTS["seeds"],
    quality_steps: int = DEFAULTS["quality_steps"],
    demos: str = DEFAULTS["demos"],
) -> dict[str, Any]:
    """Run (or read back from ``work``) the sections in ``only``; returns the figures.

    ``quick`` ignores the other arguments and works in a fresh temporary folder, so that nothing
    is read back from an earlier run.
    """
    if quick:
        with tempfile.TemporaryDirectory(prefix="bench-gail-") as tmp:
            return _run(Path(tmp), quick=True, **{k: QUICK[k] for k in DEFAULTS})
    work = Path(work or "/tmp/gail-bench")
    work.mkdir(parents=True, exist_ok=True)
    return _run(work, quick=False, only=only, seeds=seeds, quality_steps=quality_steps,
                demos=demos)  # fmt: skip


def _run(work: Path, *, quick: bool, only: str, seeds: str, quality_steps: int, demos: str):
    sections, seed_list = only.split(","), [int(s) for s in seeds.split(",")]
    episodes = QUICK["eval_episodes"] if quick else 100
    log: list[str] = []
    f: dict[str, Any] = {
        "benchmark": "gail",
        "quick": quick,
        "only": only,
        "seeds": seeds,
        "quality_steps": quality_steps,
        "demos": demos,
        "eval_episodes": episodes,
        "commands": log,
    }
    ev = {"eval_every": 10240, "eval_episodes": episodes, "eval_seed": 1000}
    bc_extra = ["--steps", str(QUICK["bc_steps"])] if quick else []
    if "speed" in sections:
        data = collect(work, REACHER, 10, log)
        f["speed"] = []
        for s in seed_list:
            sets = {**ev, "warm_start": 0,
                    "total_env_steps": QUICK["speed_steps"] if quick else 75_000}  # fmt: skip
            f["speed"].append({"seed": s, "evals": gail_run(work, data, f"speed-s{s}", s, sets,
                                                            log)})  # fmt: skip
    if "quality" in sections:
        f["quality"] = []
        for n in [int(d) for d in demos.split(",")]:
            data = collect(work, REACHER, n, log)
            for s in seed_list:
                sets = {**ev, "eval_every": 50_000, "total_env_steps": quality_steps}
                if quick:
                    sets = {**sets, "eval_every": 0, "warm_start": QUICK["warm_start"]}
                e = gail_run(work, data, f"quality-{n}-s{s}", s, sets, log)
                bc = bc_score(work, data, f"bc-reacher-{n}-s{s}", s, bc_extra, log, episodes)
                f["quality"].append({"demos": n, "seed": s, "evals": e, "bc": bc})
    if "arm" in sections:
        data = collect(work, ARM, 4, log)
        f["arm"] = []
        for s in seed_list[:1]:
            sets = {**ev, "eval_every": 50_000, "total_env_steps": 300_000}
            e = gail_run(work, data, f"arm300k-s{s}", s, sets, log)
            bc = bc_score(work, data, f"bc-arm-4-s{s}", s, bc_extra, log, episodes)
            f["arm"].append({"seed": s, "evals": e, "bc": bc})
    if "dagger" in sections:
        f["dagger"] = []
        for s in seed_list[:1]:
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
            rounds = json.loads((run / "summary.json").read_text())["rounds"]
            bc = bc_score(work, collect(work, ARM, 20, log), f"bc-arm-20-all-s{s}", s,
                          [*bc_extra, "--obs-keys", "all"], log, episodes)  # fmt: skip
            f["dagger"].append({"seed": s, "rounds": rounds, "bc": bc})
    return f


def report(f: dict[str, Any]) -> str:
    """The figures as Markdown (without the hand-written notes of results/gail.md)."""
    n_ev = f["eval_episodes"]
    if f["quick"]:
        produced = "`python -m benchmarks gail --quick`"
    else:
        produced = (
            f"`nice -n 19 .venv/bin/python -m benchmarks.bench_gail --only {f['only']} "
            f"--seeds {f['seeds']} --quality-steps {f['quality_steps']} --demos {f['demos']}`"
        )
    lines = [
        "# GAIL and DAgger (issue 10)",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, shared by several "
        "people; every run `nice -n 19`, one torch thread. Evaluation: "
        f"{n_ev} episodes, seeds 1000-{1000 + n_ev - 1}, deterministic policy, true env return. "
        f"Produced by {produced}.",
        "",
    ]
    if f["quick"]:
        lines[2] = lines[2].replace("every run `nice -n 19`, ", "")
        lines += [
            f"Quick run (`--quick`), far too short to judge GAIL: {QUICK['speed_steps']:,} env "
            f"steps (instead of 75,000) from scratch; {f['quality_steps']:,} env steps after "
            f"{QUICK['warm_start']:,} BC warm-start steps (instead of 300,000 after 5,000) beside "
            f"BC trained {QUICK['bc_steps']:,} steps (instead of 5,000) on the same demos, one "
            f"seed, {n_ev} evaluation episodes for both; no arm push, no DAgger.",
            "",
        ]
    if "speed" in f:
        lines += ["## Reacher-v5, from scratch (warm_start=0), 10 demos: first eval >= -7.5", "",
                  "| seed | env steps (training s) to -7.5 | best eval | last eval |",
                  "|---|---|---|---|"]  # fmt: skip
        for r in f["speed"]:
            e = r["evals"]
            best = max(m["eval_return"] for m in e)
            lines.append(
                f"| {r['seed']} | {first_reach(e, -7.5)} | {best:.2f} | "
                f"{e[-1]['eval_return']:.2f} |"
            )
        lines.append("")
    if "quality" in f:
        warm = (
            f"defaults but a {QUICK['warm_start']:,}-step BC warm start"
            if f["quick"]
            else "defaults (BC warm start)"
        )
        lines += [f"## Reacher-v5, {warm}, "
                  f"{f['quality_steps']:,} env steps", "",
                  "| demos | seed | GAIL final eval | GAIL best eval | BC (same demos) |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for r in f["quality"]:
            e = r["evals"]
            lines.append(
                f"| {r['demos']} | {r['seed']} | {e[-1]['eval_return']:.2f} | "
                f"{max(m['eval_return'] for m in e):.2f} | {r['bc']['mean_return']:.2f} |"
            )
        lines.append("")
    if "arm" in f:
        lines += [
            "## Arm push, 4 demos (scene default parts)",
            "",
            "| seed | env steps | GAIL eval success, every 50k steps | BC (same demos) |",
            "|---|---|---|---|",
        ]
        for r in f["arm"]:
            e = r["evals"]
            curve = ", ".join(f"{m['eval_success']:.0%}" for m in e)
            lines.append(f"| {r['seed']} | {int(e[-1]['env_steps']):,} | {curve} | "
                         f"{r['bc']['success_rate']:.0%} |")  # fmt: skip
        lines.append("")
    if "dagger" in f:
        lines += ["## DAgger, arm push, every observation part (--obs-keys all)", "",
                  "| run | round | labelled steps | training steps | eval success |",
                  "|---|---|---|---|---|"]  # fmt: skip
        for d in f["dagger"]:
            s = d["seed"]
            for r in d["rounds"]:
                lines.append(f"| DAgger seed {s} | {r['round']} | {r['labelled_steps']} | "
                             f"{r['train_steps']} | {r['eval_success']:.0%} |")  # fmt: skip
            lines.append(
                f"| BC, 20 expert demos, seed {s} | - | - | - | {d['bc']['success_rate']:.0%} |"
            )
        lines.append("")
    lines += ["## Commands", "", "```", *f["commands"], "```", ""]
    return "\n".join(lines)


def main(quick: bool = False, argv: list[str] | None = None) -> str:
    """Run, return the report; a full run also writes it to results/gail.md (notes kept).

    ``argv``: the options of ``python -m benchmarks.bench_gail`` (none: the defaults).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/gail-bench")
    ap.add_argument("--only", default=DEFAULTS["only"])
    ap.add_argument("--seeds", default=DEFAULTS["seeds"])
    ap.add_argument("--quality-steps", type=int, default=DEFAULTS["quality_steps"])
    ap.add_argument("--demos", default=DEFAULTS["demos"], help="demo counts of the quality section")
    ap.add_argument("--quick", action="store_true", help="a short run; nothing written")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, nothing else")
    args = ap.parse_args(argv or [])
    quick = quick or args.quick
    f = run(quick, work=Path(args.work), only=args.only, seeds=args.seeds,
            quality_steps=args.quality_steps, demos=args.demos)  # fmt: skip
    if args.json:
        print(json.dumps(f, indent=2))
    text = report(f)
    if quick:
        return text
    # A hand-written "## Notes" section (what the figures mean, what was tried) survives reruns.
    old = RESULTS.read_text() if RESULTS.exists() else ""
    notes = old[old.index("## Notes") :] if "## Notes" in old else ""
    text += "\n" + notes if notes else ""
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}", file=sys.stderr)
    return text


if __name__ == "__main__":
    text = main(argv=sys.argv[1:])
    if "--json" not in sys.argv:
        print(text)
