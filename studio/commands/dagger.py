"""DAgger rounds on a recordings file: train BC, roll out, label, append to the file, retrain.

Each round's rollouts go into --data as demos (source "policy", a ``labels`` dataset with the
expert's actions, attributes ``dagger_round`` and ``beta``), so the aggregate dataset is the file.
--expert scripted labels with the scene's scripted expert; --expert file labels nothing and
trains on the labels already in the file (a person's relabels from the studio), appending the
new rollouts unlabelled for the next labelling session. --beta / --beta-decay: the paper's
mixture policy, a rollout step executes the expert's action with probability beta * beta_decay
** (round - 1), by default 1, 0.5, 0.25 (--beta 0: the learner drives every step; with --expert
file there is no expert to execute). --gate TAU (0 = off): an intervention-gated rollout
(HG-DAgger): the learner drives until its action is more than TAU (L2, action units) from the
expert's for --gate-after steps in a row, then the expert drives until the two agree within TAU
for --gate-hold steps in a row, and hands back; use it with --beta 0 (beta mixing still applies
on top). Expert-driven steps are stored with provenance SCRIPTED, the learner's with POLICY.
--expert-noise SIGMA (DART): Gaussian noise of this std is added to the expert's action wherever
the expert drives a rollout step; the label stays the clean action, so the learner sees states
off the expert's path, and motions that are not the expert's own, labelled with the correction.
BC settings: --set KEY=VALUE (as
``train --algo bc``; here val_fraction defaults to 0: every labelled step trains).
--bc-baseline (scripted expert): each round also trains BC on the file's first demos plus
expert episodes (kept in memory, not in --data) holding as many steps as DAgger's labels so far,
and scores it on the same seeds: the comparison of the DAgger paper, for the same number of
labels. Writes R/N/checkpoint.pt (the last round's policy), R/N/summary.json (per round: labelled
steps so far, training steps, evaluation success and return, and the baseline's) and
R/N/config.json.
Exit status: 0 done, 2 bad arguments or data, 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from studio.cli import non_negative_int, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the dagger options to ``parser``."""
    parser.add_argument("--data", required=True, help="recordings file: read and appended to")
    parser.add_argument(
        "--expert",
        default="scripted",
        choices=["scripted", "file"],
        help="who labels: the scene's scripted expert, or labels already in the file",
    )
    parser.add_argument("--env", help="scene id (default: the file's env_args env_name)")
    parser.add_argument("--rounds", type=positive_int, default=3, help="rounds (default 3)")
    parser.add_argument(
        "--episodes-per-round", type=positive_int, default=5, help="rollouts per round (default 5)"
    )
    parser.add_argument(
        "--beta",
        type=float,
        default=1.0,
        help="probability that a rollout step executes the expert's action, round 1 (default 1)",
    )
    parser.add_argument(
        "--beta-decay",
        type=float,
        default=0.5,
        help="beta of round i = beta * beta_decay**(i-1) (default 0.5: 1, 0.5, 0.25, ...)",
    )
    parser.add_argument(
        "--gate",
        type=float,
        default=0.0,
        metavar="TAU",
        help="intervention-gated rollouts: the expert takes over when the learner's action is "
        "more than TAU (L2, action units) from its own, and hands back once they agree again; "
        "use with --beta 0 (default 0: off, beta mixing only)",
    )
    parser.add_argument(
        "--gate-after",
        type=positive_int,
        default=1,
        help="steps in a row over TAU before the expert takes over (default 1)",
    )
    parser.add_argument(
        "--gate-hold",
        type=positive_int,
        default=3,
        help="steps in a row within TAU before the expert hands back (default 3)",
    )
    parser.add_argument(
        "--expert-noise",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="std of Gaussian noise on the expert's action where it drives a rollout step "
        "(DART); the label stays the clean action (default 0: off)",
    )
    parser.add_argument(
        "--bc-baseline",
        action="store_true",
        help="each round also train BC on the demos plus scripted-expert episodes with as many "
        "steps as DAgger's labels, evaluated on the same seeds (the DAgger curve's other line)",
    )
    parser.add_argument("--eval-episodes", type=positive_int, default=100)
    parser.add_argument("--eval-seed", type=non_negative_int, default=1000)
    parser.add_argument("--obs-keys", help="observation parts, comma-separated, or 'all'")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=positive_int, default=None)
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--runs-dir", default="runs")
    parser.add_argument("--name", help="run name (default dagger-<data stem>-<time>)")


def run(args: argparse.Namespace) -> int:
    """Run the rounds; returns the exit status."""
    import numpy as np

    import algorithms
    import recordings
    from algorithms import dagger
    from studio.commands.train import _parse_sets
    from studio.envs import make_env
    from studio.experts import make_expert
    from studio.runfolder import choose_obs_keys, prepare_run_dir

    data_path = Path(args.data)
    for flag, value, why in (
        ("--gate", args.gate, "an expert to take over"),
        ("--expert-noise", args.expert_noise, "an expert that drives"),
    ):
        if value > 0 and args.expert != "scripted":
            print(f"dagger: {flag} needs --expert scripted ({why})", file=sys.stderr)
            return 2
    if args.bc_baseline and args.expert != "scripted":
        print("dagger: --bc-baseline needs --expert scripted (it collects expert episodes)",
              file=sys.stderr)  # fmt: skip
        return 2
    try:
        sets: dict[str, Any] = {"val_fraction": "0", **_parse_sets(args.set)}
        bc_cfg = algorithms.make_config("bc", sets)
        cfg = dagger.DAggerConfig(
            rounds=args.rounds,
            episodes_per_round=args.episodes_per_round,
            beta=args.beta,
            beta_decay=args.beta_decay,
            gate=args.gate,
            gate_after=args.gate_after,
            gate_hold=args.gate_hold,
            expert_noise=args.expert_noise,
            eval_episodes=args.eval_episodes,
            eval_seed=args.eval_seed,
        )
        if not data_path.exists():
            raise ValueError(f"{data_path}: no such file")
        with recordings.Dataset(data_path) as ds:
            keys, keys_from, why = choose_obs_keys(args.obs_keys, ds)
            keys = list(ds.obs_keys) if keys is None else keys
            env_id = args.env or str(ds.env_args.get("env_name") or "")
        if not env_id:
            raise ValueError(f"{data_path}: env_args names no scene; pass --env")
        make_env(env_id).close()
        expert = (
            make_expert(env_id, rng=np.random.default_rng(args.seed))
            if args.expert == "scripted"
            else None
        )
        name = args.name or f"dagger-{data_path.stem}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
        run_dir = Path(args.runs_dir) / name
        prepare_run_dir(run_dir)
    except (ValueError, recordings.RecordingError) as exc:
        print(f"dagger: {exc}", file=sys.stderr)
        return 2
    config = {
        "dagger": {k: getattr(cfg, k) for k in cfg.__dataclass_fields__},
        "bc": algorithms.config_to_dict(bc_cfg),
        "data": str(data_path.resolve()),
        "env": env_id,
        "expert": args.expert,
        "obs_keys": keys,
        "obs_keys_from": keys_from,
        "seed": args.seed,
        "command": ["imitation-studio", "dagger", *sys.argv[2:]],
    }
    (run_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    print(f"DAgger on {data_path} in {env_id}; parts {', '.join(keys)} ({why}); run {run_dir}")
    rounds: list[dict[str, Any]] = []
    gen = dagger.run_dagger(
        cfg,
        bc_cfg,
        data_path,
        lambda seed: make_env(env_id),
        expert=expert,
        obs_keys=keys,
        rng=np.random.default_rng(args.seed),
        device=args.device,
        num_threads=args.threads,
        bc_baseline=args.bc_baseline,
    )
    status = 0
    try:
        while True:
            try:
                summary = next(gen)
            except StopIteration as stop:
                stop.value.save(run_dir / "checkpoint.pt")
                break
            rounds.append(summary)
            print(
                f"round {summary['round']}: {summary['labelled_steps']} labelled steps, "
                f"{summary['train_steps']} training steps, eval success "
                f"{summary['eval_success']:.0%}, return {summary['eval_return']:.2f}"
                + (
                    f"; rollouts {summary['rollout_expert_steps']:.0f} of "
                    f"{summary['rollout_steps']:.0f} steps expert-driven, "
                    f"success {summary['rollout_success']:.0%}"
                    if "rollout_steps" in summary
                    else ""
                )
                + (
                    f"; BC with {summary['bc_labelled_steps']:.0f} more expert steps "
                    f"{summary['bc_success']:.0%}"
                    if "bc_success" in summary
                    else ""
                ),
                flush=True,
            )
            (run_dir / "summary.json").write_text(json.dumps({"rounds": rounds}, indent=2) + "\n")
    except KeyboardInterrupt:
        print("\ndagger: interrupted", file=sys.stderr)
        status = 130
    except (ValueError, recordings.RecordingError) as exc:
        print(f"dagger: {exc}", file=sys.stderr)
        status = 2
    if status == 0:
        print(f"Done: checkpoint {run_dir / 'checkpoint.pt'}, summary {run_dir / 'summary.json'}")
    return status
