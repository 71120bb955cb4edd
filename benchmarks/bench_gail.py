"""GAIL quality runs (issue 10), through the command line the checks use, beside a reference.

Every run is a real ``imitation-studio`` command (printed in the report with its seeds); the
report ``benchmarks/results/gail.md`` is written from the runs' ``metrics.jsonl``,
``summary.json`` and ``eval --json`` outputs, never typed in.

    nice -n 19 .venv/bin/python -m benchmarks.bench_gail --work /tmp/gail-bench \
        --only speed,quality,arm,reference --seeds 0,1

Sections: ``speed`` (Reacher-v5, 10 demos, no BC warm start nor BC term, a constant learning
rate, 75k env steps), ``quality``
(Reacher-v5, 10 and 4 demos, defaults, 300k env steps, BC on the same demos beside it),
``features`` (the same, with a discriminator that sees only the joint velocities and the
fingertip-target vector, ``disc_obs_dims=6,7,8,9``; not in the default list), ``arm`` (arm
push, 4 demos, 300k env steps), ``reference`` (HumanCompatibleAI ``imitation``
1.0.1's GAIL, SB3 PPO with 8 envs, on the very same Reacher-v5 demo files and budget, evaluated
on the same episodes and timed the same way; only where ``imitation`` imports: ``make
bench-reference`` installs it ``--no-deps`` beside ours). Evaluation: 100 episodes, seeds
1000-1099. (DAgger has its own benchmark, ``bench_dagger``.)

Also ``python -m benchmarks gail`` (the defaults above). ``--quick`` (under a minute, in a fresh
temporary folder, nothing written): ``speed`` with seed 0 and 20,480 env steps, ``quality`` with
10 demos, seed 0, 1,000 BC warm-start steps and 10,240 env steps beside BC trained 1,000 steps,
20 evaluation episodes (seeds 1000-1019) for both; no ``arm`` or ``reference``. ``--json``: the
figures as JSON (``run(quick)``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.cli_runs import CLI, bc_score, collect, finish, same_settings, sh

REACHER, ARM = "Reacher-v5", "ImitationStudio/ArmPush-v0"
REACHER_DISC_DIMS = "6,7,8,9"  # the ``features`` section's D: joint velocities, tip - target
RESULTS = Path(__file__).parent / "results" / "gail.md"


def metrics(run: Path) -> list[dict[str, float]]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def gail_run(work: Path, data: Path, name: str, seed: int, sets: dict[str, Any], log) -> list:
    run = work / "runs" / name
    args = [f"--set={k}={v}" for k, v in sets.items()]
    todo = (
        not (run / "metrics.jsonl").exists()
        or "eval_return" not in metrics(run)[-1]
        or not same_settings(run, "gail", args)
    )
    if todo:
        shutil.rmtree(run, ignore_errors=True)
    sh([*CLI, "train", "--algo", "gail", "--data", str(data), "--seed", str(seed),
        "--runs-dir", str(work / "runs"), "--name", name, "--threads", "1",
        "--no-progress", *args], log, run=todo)  # fmt: skip
    return [m for m in metrics(run) if "eval_return" in m]


def first_reach(evals: list[dict], target: float) -> str:
    hit = [m for m in evals if m["eval_return"] >= target]
    return f"{int(hit[0]['env_steps']):,} ({hit[0]['time_s']:.0f} s)" if hit else "not reached"


DEFAULTS = {"only": "speed,quality,arm,reference", "seeds": "0,1", "quality_steps": 300_000,
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
            # From scratch as the reference ran: no BC warm start, no BC term, and a constant
            # learning rate (SB3's PPO default; annealing it over a 75k budget would slow it).
            sets = {**ev, "warm_start": 0, "bc_coef": 0, "lr_anneal": 0,
                    "total_env_steps": QUICK["speed_steps"] if quick else 75_000}  # fmt: skip
            f["speed"].append({"seed": s, "evals": gail_run(work, data, f"speed-s{s}", s, sets,
                                                            log)})  # fmt: skip
    # Reacher-v5's observation: cos q (0-1), sin q (2-3), target (4-5), joint velocities (6-7),
    # fingertip - target (8-9). The ``features`` D sees only the last two parts, so it cannot
    # learn which arm poses and targets the few demos had, only how the arm moves near a target.
    for section, extra in (("quality", {}), ("features", {"disc_obs_dims": REACHER_DISC_DIMS})):
        if section not in sections:
            continue
        f[section] = []
        for n in [int(d) for d in demos.split(",")]:
            data = collect(work, REACHER, n, log)
            for s in seed_list:
                sets = {**ev, "eval_every": 50_000, "total_env_steps": quality_steps, **extra}
                if quick:
                    sets = {**sets, "eval_every": 0, "warm_start": QUICK["warm_start"]}
                e = gail_run(work, data, f"{section}-{n}-s{s}", s, sets, log)
                bc = bc_score(work, data, f"bc-reacher-{n}-s{s}", s, bc_extra, log, episodes)
                f[section].append({"demos": n, "seed": s, "evals": e, "bc": bc})
    if "arm" in sections:
        data = collect(work, ARM, 4, log)
        f["arm"] = []
        for s in seed_list:
            sets = {**ev, "eval_every": 50_000, "total_env_steps": 300_000}
            e = gail_run(work, data, f"arm300k-s{s}", s, sets, log)
            bc = bc_score(work, data, f"bc-arm-4-s{s}", s, bc_extra, log, episodes)
            f["arm"].append({"seed": s, "evals": e, "bc": bc})
    if "reference" in sections:
        f["reference"] = reference_section(work, seed_list, quality_steps, demos, episodes, log)
    return f


REFERENCE = "imitation==1.0.1"  # HumanCompatibleAI imitation, the reference
REF_EVAL_EVERY = 10_240  # env steps between the reference's evaluations (5 PPO rounds of 2048)


def reference_train(
    data: Path, seed: int, steps: int, eval_every: int, episodes: int, out: Path
) -> None:
    """Train imitation 1.0.1's GAIL on ``data`` and write ``metrics.jsonl`` lines to ``out``.

    Its ``train_adversarial gail`` defaults as far as they apply (imitation/scripts/config):
    SB3 PPO with the 32x32 ``FeedForward32Policy``, 2048 env steps a round (8 envs x 256),
    minibatch 64, 10 epochs, lr 3e-4, no entropy bonus; ``BasicRewardNet`` with running input
    normalisation, its output normalised (``NormalizedRewardNet``, ``RunningNorm``);
    4 discriminator updates a round, a generator replay buffer of 2048; variable horizons
    allowed (the reacher named config). Two departures: ``demo_batch_size`` is
    min(1024, demo transitions), because 4 demos of Reacher-v5 have only 200 and the library
    refuses a batch larger than the demos; the 8 envs are a ``DummyVecEnv`` (the CLI's default
    is subprocess workers, slower here on 2 cores and unlike our synchronous envs).
    Evaluation: our ``evaluate`` (deterministic ``predict``, true env reward, episodes
    ``1000 + i``) every ``eval_every`` env steps, excluded from ``time_s`` like ours.
    """
    import h5py
    import numpy as np
    import torch
    from imitation.algorithms.adversarial.gail import GAIL
    from imitation.data.types import Trajectory
    from imitation.data.wrappers import RolloutInfoWrapper
    from imitation.policies.base import FeedForward32Policy
    from imitation.rewards.reward_nets import BasicRewardNet, NormalizedRewardNet
    from imitation.util import logger as imit_logger
    from imitation.util.networks import RunningNorm
    from imitation.util.util import make_vec_env
    from stable_baselines3 import PPO

    from algorithms.evaluation import evaluate
    from studio.envs import make_env

    torch.set_num_threads(1)
    torch.manual_seed(seed)
    trajs = []
    with h5py.File(data, "r") as h5:
        env_id = json.loads(h5["data"].attrs["env_args"])["env_name"]
        for name in sorted(h5["data"], key=lambda k: int(k.split("_")[1])):
            g = h5["data"][name]
            obs = np.concatenate([g["obs/flat"][:], g["next_obs/flat"][-1:]]).astype(np.float32)
            acts = g["actions"][:].astype(np.float32)
            trajs.append(Trajectory(obs=obs, acts=acts, infos=None, terminal=True))
    n_demo = sum(len(t.acts) for t in trajs)
    venv = make_vec_env(env_id, rng=np.random.default_rng(seed), n_envs=8, parallel=False,
                        post_wrappers=[lambda e, _: RolloutInfoWrapper(e)])  # fmt: skip
    reward_net = NormalizedRewardNet(
        BasicRewardNet(
            venv.observation_space, venv.action_space, normalize_input_layer=RunningNorm
        ),
        RunningNorm,
    )
    ppo = PPO(FeedForward32Policy, venv, n_steps=2048 // 8, batch_size=64, n_epochs=10,
              learning_rate=3e-4, ent_coef=0.0, seed=seed, device="cpu")  # fmt: skip
    trainer = GAIL(demonstrations=trajs, demo_batch_size=min(1024, n_demo),
                   gen_replay_buffer_capacity=2048, n_disc_updates_per_round=4, venv=venv,
                   gen_algo=ppo, reward_net=reward_net, allow_variable_horizon=True,
                   init_tensorboard=False,
                   custom_logger=imit_logger.configure(None, format_strs=[]))  # fmt: skip

    class Actor:
        obs_keys = ("flat",)

        def act(self, obs: Any) -> Any:
            return ppo.policy.predict(obs, deterministic=True)[0]

        def reset(self) -> None:
            pass

    out.parent.mkdir(parents=True, exist_ok=True)
    train_s = 0.0
    with open(out, "w") as fh:
        while ppo.num_timesteps < steps:
            tic = time.perf_counter()
            trainer.train(eval_every)
            train_s += time.perf_counter() - tic
            res = evaluate(Actor(), lambda _s: make_env(env_id), episodes=episodes, seed=1000)
            line = {"env_steps": ppo.num_timesteps, "time_s": train_s,
                    "eval_return": res.mean_return}  # fmt: skip
            fh.write(json.dumps(line) + "\n")
            fh.flush()
    venv.close()


def reference_section(
    work: Path, seeds: list[int], steps: int, demos: str, episodes: int, log: list[str]
) -> dict[str, Any]:
    """imitation 1.0.1's GAIL on the quality section's demo files, where it imports."""
    have = all(importlib.util.find_spec(m) for m in ("imitation", "stable_baselines3"))
    if not have:
        return {"available": False, "runs": []}
    runs = []
    for n in [int(d) for d in demos.split(",")]:
        data = collect(work, REACHER, n, log)
        for s in seeds:
            out = work / "runs" / f"reference-{n}-s{s}" / "metrics.jsonl"
            todo = not out.exists() or metrics(out.parent)[-1]["env_steps"] < steps
            cmd = [sys.executable, "-m", "benchmarks.bench_gail", "--reference-run", str(data),
                   "--seeds", str(s), "--quality-steps", str(steps), "--eval-every",
                   str(REF_EVAL_EVERY), "--eval-episodes", str(episodes),
                   "--out", str(out)]  # fmt: skip
            sh(cmd, log, run=todo, shown=" ".join(["nice -n 19 .venv/bin/python", *cmd[1:]]))
            runs.append({"demos": n, "seed": s, "evals": metrics(out.parent)})
    return {"available": True, "package": REFERENCE, "runs": runs}


def reference_report(f: dict[str, Any]) -> list[str]:
    ref = f["reference"]
    head = "## Reference: HumanCompatibleAI imitation 1.0.1 GAIL on the same demos"
    if not ref["available"]:
        return [head, "", "`imitation` does not import in this environment, so it was not run "
                "(`make bench-reference` installs it); compare ours with the issue's figures "
                "for it: -7.5 first reached after 150k-300k env steps (10 demos) and "
                "300k-800k (4 demos), -6.1 to -7.2 after 1.5M steps (10 demos).", ""]  # fmt: skip
    ours = {(r["demos"], r["seed"]): r for r in f.get("quality", [])}
    speed = {r["seed"]: r for r in f.get("speed", [])}
    lines = [head, "", "SB3 PPO, 8 envs, its `train_adversarial gail` defaults (see "
             "`reference_train`), no warm start; evaluated every "
             f"{REF_EVAL_EVERY:,} env steps on the same {f['eval_episodes']} episodes; training "
             "seconds exclude evaluations, as ours. Ours beside it: the speed run (from scratch, "
             "10 demos) for the steps to -7.5 and the quality run (defaults) for the return at the "
             "same budget.", "",
             "| demos | seed | reference: env steps (training s) to -7.5 | ours from scratch "
             "| reference final eval (env steps, training s) | ours final, defaults (env steps) |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in ref["runs"]:
        e = r["evals"]
        sp = speed.get(r["seed"]) if r["demos"] == 10 else None
        q = ours.get((r["demos"], r["seed"]))
        qe = q["evals"][-1] if q else None
        ours_final = f"{qe['eval_return']:.2f} ({int(qe['env_steps']):,})" if qe else "-"
        lines.append(
            f"| {r['demos']} | {r['seed']} | {first_reach(e, -7.5)} | "
            f"{first_reach(sp['evals'], -7.5) if sp else '-'} | {e[-1]['eval_return']:.2f} "
            f"({int(e[-1]['env_steps']):,}, {e[-1]['time_s']:.0f} s) | {ours_final} |"
        )
    lines.append("")
    return lines


def curve_rows(
    runs: list[dict], lead: Any, key: str, fmt: str, bc_key: str, *, final: bool
) -> list[str]:
    """Table rows: ``lead(run)``, the evaluations' ``key`` every 50k steps (and the last one
    again if ``final``), then BC's ``bc_key`` on the same demos; a blank line after."""
    rows = []
    for r in runs:
        e = r["evals"]
        cells = [lead(r), ", ".join(format(m[key], fmt) for m in e)]
        cells += [format(e[-1][key], fmt)] if final else []
        rows.append("| " + " | ".join([*cells, format(r["bc"][bc_key], fmt)]) + " |")
    return [*rows, ""]


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
        "# GAIL (issue 10)",
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
            f"seed, {n_ev} evaluation episodes for both; no arm push, no reference.",
            "",
        ]
    if "speed" in f:
        lines += ["## Reacher-v5, from scratch (warm_start=0, bc_coef=0), 10 demos: first eval "
                  ">= -7.5", "",
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
    if "features" in f:
        lines += [f"## Reacher-v5, defaults but D sees only the joint velocities and the "
                  f"fingertip-target vector (`disc_obs_dims={REACHER_DISC_DIMS}`), "
                  f"{f['quality_steps']:,} env steps", "",
                  "| demos | seed | GAIL evals, every 50k steps | GAIL final eval | "
                  "BC (same demos) |", "|---|---|---|---|---|"]  # fmt: skip
        lines += curve_rows(f["features"], lambda r: f"{r['demos']} | {r['seed']}",
                            "eval_return", ".2f", "mean_return", final=True)  # fmt: skip
    if "arm" in f:
        lines += [
            "## Arm push, 4 demos (scene default parts)",
            "",
            "| seed | env steps | GAIL eval success, every 50k steps | BC (same demos) |",
            "|---|---|---|---|",
        ]
        lines += curve_rows(f["arm"],
                            lambda r: f"{r['seed']} | {int(r['evals'][-1]['env_steps']):,}",
                            "eval_success", ".0%", "success_rate", final=False)  # fmt: skip
    if "reference" in f:
        lines += reference_report(f)
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
    ap.add_argument("--reference-run", metavar="DATA", help="(internal) one reference run")
    ap.add_argument("--eval-every", type=int, default=REF_EVAL_EVERY)
    ap.add_argument("--eval-episodes", type=int, default=100)
    ap.add_argument("--out", help="(with --reference-run) metrics.jsonl to write")
    args = ap.parse_args(argv or [])
    if args.reference_run:
        reference_train(Path(args.reference_run), int(args.seeds), args.quality_steps,
                        args.eval_every, args.eval_episodes, Path(args.out))  # fmt: skip
        return ""
    quick = quick or args.quick
    f = run(quick, work=Path(args.work), only=args.only, seeds=args.seeds,
            quality_steps=args.quality_steps, demos=args.demos)  # fmt: skip
    return finish(f, report, RESULTS, quick=quick, as_json=args.json)


if __name__ == "__main__":
    text = main(argv=sys.argv[1:])
    if "--json" not in sys.argv:
        print(text)
