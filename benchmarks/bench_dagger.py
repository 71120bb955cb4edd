"""DAgger on the arm push, every observation part (issue 10), through the command line.

Every run is a real ``imitation-studio`` command (printed in the report with its seeds); the
report ``benchmarks/results/dagger.md`` is written from the runs' ``summary.json`` and
``eval --json`` outputs, never typed in.

    nice -n 19 .venv/bin/python -m benchmarks.bench_dagger --work /tmp/dagger-bench --seeds 0,1

Per seed: DAgger from 5 scripted demos (collect seeds 0-4), 3 rounds of 5 rollouts, every
observation part (``--obs-keys all``), once per way of rolling out (``ROLLOUTS``: the paper's beta
mixture; the same with noise on the expert's executed actions, DART; the take-over gate with that
noise; the expert driving round 1 with that noise, then the gate, on a GELU network), beside BC
trained on 20 scripted demos (the same number of episodes, collect seeds 0-19) with every part and
with the scene's default parts (the causal-confusion lesson: BC on all parts keys on features the
expert ignores), once per learner (``LEARNERS``) that the DAgger rows use, so each DAgger row has
its like-for-like BC. The scripted expert's own success (``eval --expert``, 300 episodes, seeds
1000-1299) is reported too.
Evaluation: 100 episodes, seeds 1000-1099, deterministic policy.

Also ``python -m benchmarks dagger`` (the defaults above). ``--quick`` (about 30 s of CPU, in a
fresh temporary folder, nothing written): seed 0, 2 demos, 1 round of 2 rollouts, 300 training
steps per round, BC on 4 demos, 10 evaluation episodes. ``--json``: the figures as JSON
(``run(quick)``).
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.cli_runs import CLI, bc_score, collect, finish, sh

ARM = "ImitationStudio/ArmPush-v0"
RESULTS = Path(__file__).parent / "results" / "dagger.md"

FULL = {
    "demos": 5,
    "rounds": 3,
    "per_round": 5,
    "bc_demos": 20,
    "eval_episodes": 100,
    "expert_episodes": 300,
    "sets": [],
}
QUICK = {
    "demos": 2,
    "rounds": 1,
    "per_round": 2,
    "bc_demos": 4,
    "eval_episodes": 10,
    "expert_episodes": 10,
    "sets": ["steps=300"],
}
# Settings of the DAgger runs' BC (--set KEY=VALUE); the BC baselines use the same ones.
DAGGER_SETS: list[str] = []
# The BC learners compared: (what the report calls it, run-name suffix, BC --set KEY=VALUE).
LEARNERS: list[tuple[str, str, list[str]]] = [
    ("BC defaults (ReLU)", "", []),
    ("GELU", "-gelu", ["activation=gelu"]),
]
# How the rollouts are driven and who learns: (what the report calls it, run-name prefix,
# dagger options, the LEARNERS entry).
ROLLOUTS: list[tuple[str, str, list[str], str]] = [
    ("beta mixture 1, 0.5, 0.25", "dagger", ["--beta", "1", "--beta-decay", "0.5"], ""),
    (
        "beta mixture + expert noise 0.4",
        "dagger-noise",
        ["--beta", "1", "--beta-decay", "0.5", "--expert-noise", "0.4"],
        "",
    ),
    (
        "take-over gate 0.45 + expert noise 0.4",
        "dagger-gate-noise",
        ["--beta", "0", "--gate", "0.45", "--expert-noise", "0.4"],
        "",
    ),
    (
        "round 1 expert-driven, then the gate 0.45; expert noise 0.4; GELU",
        "dagger-recipe-gelu",
        ["--beta", "1", "--beta-decay", "0", "--gate", "0.45", "--expert-noise", "0.4"],
        "-gelu",
    ),
]


def run(quick: bool = False, *, work: Path | None = None, seeds: str = "0,1") -> dict[str, Any]:
    """Run (or read back from ``work``) the DAgger and BC runs; returns the figures.

    ``quick`` works in a fresh temporary folder with seed 0, so nothing is read back.
    """
    if quick:
        with tempfile.TemporaryDirectory(prefix="bench-dagger-") as tmp:
            return _run(Path(tmp), quick=True, seeds="0")
    work = Path(work or "/tmp/dagger-bench")
    work.mkdir(parents=True, exist_ok=True)
    return _run(work, quick=False, seeds=seeds)


def _run(work: Path, *, quick: bool, seeds: str) -> dict[str, Any]:
    p = QUICK if quick else FULL
    log: list[str] = []
    f: dict[str, Any] = {
        "benchmark": "dagger",
        "quick": quick,
        "seeds": seeds,
        "settings": {k: v for k, v in p.items() if k != "sets"},
        "bc_sets": [*p["sets"], *DAGGER_SETS],
        "rollouts": [
            {"name": name, "options": opts, "learner": learner}
            for name, _, opts, learner in ROLLOUTS
        ],
        "learners": [{"name": name, "suffix": sfx, "sets": x} for name, sfx, x in LEARNERS],
        "commands": log,
        "dagger": [],
    }
    src = collect(work, ARM, p["demos"], log)
    many = collect(work, ARM, p["bc_demos"], log)
    sets = _set_args([*p["sets"], *DAGGER_SETS])  # every run's; a learner's come on top
    for s in [int(x) for x in seeds.split(",")]:
        runs: dict[str, list[dict[str, Any]]] = {}
        for name, prefix, opts, learner in ROLLOUTS:
            data = work / f"{prefix}-s{s}.h5"
            run_dir = work / "runs" / f"{prefix}-s{s}"
            todo = not (run_dir / "checkpoint.pt").exists()
            if todo:
                shutil.rmtree(run_dir, ignore_errors=True)
                shutil.copy(src, data)
            log.append(f"cp {src} {data}")
            learner_sets = _set_args(_learner_sets(learner))
            sh([*CLI, "dagger", "--data", str(data), "--expert", "scripted",
                "--rounds", str(p["rounds"]), "--episodes-per-round", str(p["per_round"]),
                *opts, "--obs-keys", "all", "--eval-episodes", str(p["eval_episodes"]),
                "--seed", str(s), "--runs-dir", str(work / "runs"), "--name", f"{prefix}-s{s}",
                "--threads", "1", *sets, *learner_sets], log, run=todo)  # fmt: skip
            runs[name] = json.loads((run_dir / "summary.json").read_text())["rounds"]
        n = p["bc_demos"]
        eps = p["eval_episodes"]
        bc_all = {}
        for _, sfx, extra in LEARNERS:
            both = [*sets, *_set_args(extra)]
            name = f"bc-{n}-all{sfx}-s{s}"
            bc_all[sfx] = bc_score(work, many, name, s, ["--obs-keys", "all", *both], log, eps)
        bc_def = bc_score(work, many, f"bc-{n}-default-s{s}", s, sets, log, eps)
        f["dagger"].append({"seed": s, "runs": runs, "bc_all": bc_all, "bc_default": bc_def})
    # The scripted expert on its own: `eval --expert` runs it on the same seeds as the policy.
    ck = work / "runs" / f"bc-{p['bc_demos']}-default-s{seeds.split(',')[0]}" / "checkpoint.pt"
    ex_json = work / "expert-eval.json"
    todo = not ex_json.exists()
    out = sh([*CLI, "eval", str(ck), "--expert", "--episodes", str(p["expert_episodes"]),
              "--json"], log, run=todo)  # fmt: skip
    if todo:
        ex_json.write_text(out)
    f["expert"] = json.loads(ex_json.read_text())["expert"]
    return f


def _set_args(pairs: list[str]) -> list[str]:
    return [f"--set={x}" for x in pairs]


def _learner_sets(suffix: str) -> list[str]:
    return next(x for _, sfx, x in LEARNERS if sfx == suffix)


def _pct(x: float) -> str:
    return f"{x:.0%}"


def report(f: dict[str, Any]) -> str:
    """The figures as Markdown (without the hand-written notes of results/dagger.md)."""
    p = f["settings"]
    n_ev = p["eval_episodes"]
    if f["quick"]:
        produced = "`python -m benchmarks dagger --quick`"
    else:
        produced = f"`nice -n 19 .venv/bin/python -m benchmarks.bench_dagger --seeds {f['seeds']}`"
    sets = ", ".join(f"`{s}`" for s in f["bc_sets"]) or "none (the BC defaults)"
    lines = [
        "# DAgger on the arm push (issue 10)",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, shared by several "
        "people; every run `nice -n 19`, one torch thread. Evaluation: "
        f"{n_ev} episodes, seeds 1000-{1000 + n_ev - 1}, deterministic policy. "
        f"Produced by {produced}.",
        "",
        f"DAgger: {p['demos']} scripted demos, {p['rounds']} rounds of {p['per_round']} "
        "rollouts labelled by the scripted expert, every "
        "observation part (`--obs-keys all`), with each way of rolling out: the paper's mixture "
        "(a rollout step executes the expert's action with probability beta = 1, 0.5, 0.25 in "
        "rounds 1, 2, 3: `--beta 1 --beta-decay 0.5`); the same with Gaussian noise of std 0.4 "
        "on what the expert executes, its label kept clean (DART: `--expert-noise 0.4`); and "
        "the take-over gate (the learner drives until its action is 0.45 from the expert's, "
        "then the expert until they agree: `--beta 0 --gate 0.45`) with that noise; and the "
        "expert driving all of round 1 with that noise, then the gate alone (`--beta 1 "
        "--beta-decay 0 --gate 0.45 --expert-noise 0.4`), with a GELU network "
        "(`--set activation=gelu`). "
        f"BC: {p['bc_demos']} scripted demos, once per learner the DAgger rows use. BC settings "
        f"changed from the defaults (DAgger's BC and the BC baselines alike): {sets}.",
        "",
    ]
    if f["quick"]:
        lines += ["Quick run (`--quick`): far too small to judge DAgger.", ""]
    ex = f["expert"]
    lines += [
        f"Scripted expert on its own: {_pct(ex['success_rate'])} success over "
        f"{ex['episodes']} episodes (seeds 1000-{1000 + ex['episodes'] - 1}), mean length "
        f"{ex['mean_length']:.0f} steps.",
        "",
        "## DAgger, every observation part",
        "",
        "| rollouts | seed | round | labelled steps | training steps | expert-driven rollout "
        "steps | rollout success | eval success |",
        "|---|---|---|---|---|---|---|---|",
    ]
    names = [r["name"] for r in f["rollouts"]]
    for name in names:
        for d in f["dagger"]:
            for r in d["runs"][name]:
                roll = _pct(r["rollout_success"]) if "rollout_success" in r else "-"
                by = "-"
                if "rollout_expert_steps" in r:
                    by = f"{r['rollout_expert_steps']:.0f} of {r['rollout_steps']:.0f}"
                lines.append(f"| {name} | {d['seed']} | {r['round']} | {r['labelled_steps']} | "
                             f"{r['train_steps']} | {by} | {roll} | "
                             f"{_pct(r['eval_success'])} |")  # fmt: skip
    lines += [
        "",
        f"## BC on {p['bc_demos']} scripted demos (no labelled steps) beside DAgger's last round",
        "",
        "| seed | "
        + " | ".join(f"BC, every part, {x['name']}" for x in f["learners"])
        + " | BC, scene default parts | "
        + " | ".join(f"DAgger, {n}" for n in names)
        + " |",
        "|---|" + "---|" * (len(f["learners"]) + 1 + len(names)),
    ]
    for d in f["dagger"]:
        bc = " | ".join(_pct(d["bc_all"][x["suffix"]]["success_rate"]) for x in f["learners"])
        last = " | ".join(_pct(d["runs"][n][-1]["eval_success"]) for n in names)
        lines.append(f"| {d['seed']} | {bc} | {_pct(d['bc_default']['success_rate'])} | "
                     f"{last} |")  # fmt: skip
    lines += ["", "## Commands", "", "```", *f["commands"], "```", ""]
    return "\n".join(lines)


def main(quick: bool = False, argv: list[str] | None = None) -> str:
    """Run, return the report; a full run also writes it to results/dagger.md (notes kept).

    ``argv``: the options of ``python -m benchmarks.bench_dagger`` (none: the defaults).
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default="/tmp/dagger-bench")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--quick", action="store_true", help="a short run; nothing written")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON, nothing else")
    args = ap.parse_args(argv or [])
    quick = quick or args.quick
    f = run(quick, work=Path(args.work), seeds=args.seeds)
    return finish(f, report, RESULTS, quick=quick, as_json=args.json)


if __name__ == "__main__":
    text = main(argv=sys.argv[1:])
    if "--json" not in sys.argv:
        print(text)
