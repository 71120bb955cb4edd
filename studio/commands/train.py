"""Train a BC or conditional-VAE policy on a recordings file.

Writes runs/<name>/config.json (algorithm, settings, data, seed), metrics.jsonl (one line of
metrics every log_every steps), checkpoint.pt (the latest good weights, rewritten at every log
point) and TensorBoard event files when tensorboard is installed. Settings are the algorithm's
config fields: --set head=gmm --set hidden_sizes=256,256 (list them with --list-settings).
Observation parts: by default the scene's policy parts (a scene declares the parts its policies
should read, e.g. the arm's puck_rel,goal_rel: with every part, BC keys on features the expert
ignores and fails, see benchmarks/results/learning.md); scenes without a default use all parts.
--obs-keys all takes every part, --obs-keys a,b those. The parts and why they were chosen are
printed and stored in config.json and the checkpoint's lineage (obs_keys, obs_keys_from).
A demo that breaks the format (NaN, missing or mis-shaped fields) stops the run unless --lenient,
which skips it and prints each problem (file, demo and field; also in config.json's "skipped").
Exit status: 0 trained, 1 the loss diverged (the last good checkpoint is kept), 2 bad arguments,
data or run folder, 130 interrupted (the checkpoint holds the weights so far).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any

from studio.cli import non_negative_int, positive_int
from studio.runfolder import (
    choose_obs_keys,
    env_factory,
    prepare_run_dir,
    remove_empty,
)

# obs_keys_from values: why a run reads the parts it reads.


def _obs_keys_help() -> str:
    from studio.envs import SCENES, default_obs_parts

    defaults = [f"{env}: {','.join(p)}" for env in SCENES if (p := default_obs_parts(env))]
    listed = "; ".join(defaults) if defaults else "none"
    return (
        "observation parts to train on, comma-separated, or 'all'. Default: the scene's "
        f"policy parts ({listed}); every part for scenes without a default"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the train options to ``parser``."""
    parser.add_argument("--algo", default="bc", help="algorithm: bc, cvae or gail (default bc)")
    parser.add_argument("--data", help="recordings file (.h5) to train on")
    parser.add_argument(
        "--env",
        help="scene gail learns and evaluates in (default: the file's env_args env_name)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting of the algorithm's config (repeatable)",
    )
    parser.add_argument("--steps", type=positive_int, help="gradient steps (same as --set steps=N)")
    parser.add_argument("--obs-keys", help=_obs_keys_help())
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed of split, init and batches"
    )
    parser.add_argument("--runs-dir", default="runs", help="parent folder of runs (default runs)")
    parser.add_argument("--name", help="run name (default <algo>-<data stem>-<time>)")
    parser.add_argument(
        "--threads", type=positive_int, default=None, help="torch CPU threads (default: torch's)"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="skip demos that break the format (NaN, missing fields...) and list them, "
        "instead of stopping at the first",
    )
    parser.add_argument(
        "--list-settings", action="store_true", help="print the algorithm's settings and exit"
    )


def _settings_table(name: str) -> str:
    import dataclasses

    import algorithms

    cfg = algorithms.get(name).config_cls()
    lines = [f"Settings of {name} (--set KEY=VALUE):"]
    for f in dataclasses.fields(cfg):
        choices = f" {{{', '.join(f.metadata['choices'])}}}" if "choices" in f.metadata else ""
        lines.append(f"  {f.name} = {getattr(cfg, f.name)!r}{choices}: {f.metadata.get('help')}")
    return "\n".join(lines)


def _parse_sets(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {pair!r}")
        out[key.strip()] = value.strip()
    return out


def _tensorboard(run_dir: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(run_dir))


def _say(message: str) -> None:
    print(f"train: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Train; returns the exit status."""
    import numpy as np
    from tqdm import tqdm

    import algorithms
    import recordings

    try:
        if args.list_settings:
            print(_settings_table(args.algo))
            return 0
        if not args.data:
            raise ValueError("--data is required")
        overrides: dict[str, Any] = _parse_sets(args.set)
        if args.steps is not None:
            overrides["steps"] = args.steps
        cfg = algorithms.make_config(args.algo, overrides)
        device = algorithms.resolve_device(args.device)
    except ValueError as exc:
        print(f"train: {exc}", file=sys.stderr)
        return 2

    data_path = Path(args.data)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    name = args.name or f"{args.algo}-{data_path.stem}-{stamp}"
    run_dir = Path(args.runs_dir) / name
    if not data_path.exists():  # before creating a run folder for nothing
        print(f"train: {data_path}: no such file", file=sys.stderr)
        return 2
    for attempt in range(2, 100):
        try:
            created = prepare_run_dir(run_dir)
            break
        except ValueError as exc:
            if args.name or not run_dir.is_dir():  # a chosen name is never changed
                print(f"train: {exc}", file=sys.stderr)
                return 2
            # Runs started in the same second (a seed sweep): the next free default name.
            run_dir = Path(args.runs_dir) / f"{name}-{attempt}"
    else:
        print(f"train: no free run folder named {name}-N in {args.runs_dir}", file=sys.stderr)
        return 2
    skipped: list[str] = []
    try:
        # Everything is read into memory here: the file is closed before training starts.
        # One state of the file: another process's commit waits until the data is read.
        with (
            recordings.Dataset(data_path, lenient=args.lenient, on_wait=_say) as dataset,
            dataset.locked(),
        ):
            try:
                keys, keys_from, why = choose_obs_keys(args.obs_keys, dataset)
                data = algorithms.as_demo_data(dataset, obs_keys=keys)
            finally:
                skipped = list(dataset.problems)  # lenient: every demo left out, and why
                for problem in skipped:
                    print(f"train: {problem}", file=sys.stderr)
        env_id = args.env or str(data.lineage.get("env_name") or "")
        trainer = algorithms.make_trainer(
            cfg,
            data,
            device=device,
            rng=np.random.default_rng(args.seed),
            checkpoint_path=run_dir / "checkpoint.pt",
            num_threads=args.threads,
            # Only an algorithm that learns in an env builds one: BC on a file of a scene the
            # studio cannot open (robomimic's Lift, say) trains as before.
            make_env=env_factory(env_id)
            if env_id and algorithms.learns_in_env(args.algo)
            else None,
        )
    except (OSError, ValueError, KeyError, recordings.RecordingError) as exc:
        remove_empty(created)
        hint = ""
        if isinstance(exc, recordings.ValidationError) and exc.demo and not args.lenient:
            hint = " (--lenient skips such demos and lists them)"
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"train: {message}{hint}", file=sys.stderr)
        return 2
    except Exception as exc:  # a damaged file must end in a message, not a traceback
        remove_empty(created)
        print(
            f"train: {data_path}: cannot read the recordings ({type(exc).__name__}: {exc}); "
            f"`imitation-studio inspect {data_path}` checks the file",
            file=sys.stderr,
        )
        return 2
    trainer.lineage["seed"] = args.seed
    trainer.lineage["obs_keys_from"] = keys_from  # saved in every checkpoint's meta

    config = {
        "algorithm": args.algo,
        "config": algorithms.config_to_dict(cfg),
        "data": str(data_path.resolve()),
        "obs_keys": list(trainer.obs_keys),
        "obs_keys_from": keys_from,
        "obs_keys_why": why,
        "seed": args.seed,
        "env": env_id or None,
        "device": str(device),
        "train_demos": trainer.train_demos,
        "val_demos": trainer.val_demos,
        "skipped": skipped,
        "command": ["imitation-studio", "train", *sys.argv[2:]],
    }
    (run_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    left_out = f", {len(skipped)} problem(s) in skipped demos" if skipped else ""
    print(
        f"Training {args.algo} on {len(trainer.train_demos)} demos "
        f"({len(trainer.val_demos)} held out{left_out}) on {device}; run folder {run_dir}"
    )
    parts = ", ".join(trainer.obs_keys) or "the unnamed flat observation"
    print(f"Observation parts: {parts} ({why})")
    board = _tensorboard(run_dir)
    status, last = 0, {}
    with (
        open(run_dir / "metrics.jsonl", "w") as log,
        tqdm(total=getattr(cfg, "total_env_steps", cfg.steps), disable=args.no_progress) as bar,
    ):
        try:
            for metrics in trainer.run():
                last = metrics
                log.write(json.dumps(metrics) + "\n")
                log.flush()
                if board is not None:
                    for key, value in metrics.items():
                        if key != "step":
                            board.add_scalar(key, value, int(metrics["step"]))
                bar.update(int(metrics["step"]) - bar.n)
                # BC/cVAE show their loss; gail its discriminator loss and evaluations.
                names = ("loss", "val_loss", "disc_loss", "eval_return", "eval_success")
                shown = {k: metrics[k] for k in names if k in metrics}
                bar.set_postfix({k: f"{v:.4g}" for k, v in shown.items()})
        except algorithms.TrainingDiverged as exc:
            print(f"train: {exc}", file=sys.stderr)
            status = 1
        except KeyboardInterrupt:
            trainer.save(run_dir / "checkpoint.pt")
            print(f"\ntrain: interrupted at step {trainer.step}", file=sys.stderr)
            status = 130
        finally:
            if board is not None:
                board.close()
    if status == 0:
        val = f", val loss {last['val_loss']:.4g}" if "val_loss" in last else ""
        if "loss" in last:
            result = f"loss {last['loss']:.4g}{val}"
        else:  # gail: steps are env steps; the last evaluation says how it went
            result = f"eval return {last.get('eval_return', float('nan')):.4g}"
        print(f"Done: {trainer.step} steps, {result}; checkpoint {run_dir / 'checkpoint.pt'}")
    return status
