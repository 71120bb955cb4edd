"""Train a BC or conditional-VAE policy on a recordings file.

Writes runs/<name>/config.json (algorithm, settings, data, seed), metrics.jsonl (one line of
metrics every log_every steps), checkpoint.pt (the latest good weights, rewritten at every log
point) and TensorBoard event files when tensorboard is installed. Settings are the algorithm's
config fields: --set head=gmm --set hidden_sizes=256,256 (list them with --list-settings).
A demo that breaks the format (NaN, missing or mis-shaped fields) stops the run unless --lenient,
which skips it and prints each problem (file, demo and field; also in config.json's "skipped").
Exit status: 0 trained, 1 the loss diverged (the last good checkpoint is kept), 2 bad arguments
or data, 130 interrupted (the checkpoint holds the weights so far).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the train options to ``parser``."""
    parser.add_argument("--algo", default="bc", help="algorithm: bc or cvae (default bc)")
    parser.add_argument("--data", help="recordings file (.h5) to train on")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a setting of the algorithm's config (repeatable)",
    )
    parser.add_argument("--steps", type=int, help="gradient steps (same as --set steps=N)")
    parser.add_argument(
        "--obs-keys", help="observation parts to train on, comma-separated (default: all)"
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu or cuda")
    parser.add_argument("--seed", type=int, default=0, help="seed of split, init and batches")
    parser.add_argument("--runs-dir", default="runs", help="parent folder of runs (default runs)")
    parser.add_argument("--name", help="run name (default <algo>-<data stem>-<time>)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
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
    if run_dir.exists() and any(run_dir.iterdir()):
        print(f"train: {run_dir} already exists; pick another --name", file=sys.stderr)
        return 2
    skipped: list[str] = []
    try:
        keys = [k.strip() for k in args.obs_keys.split(",")] if args.obs_keys else None
        # Everything is read into memory here: the file is closed before training starts.
        with recordings.Dataset(data_path, lenient=args.lenient) as dataset:
            try:
                data = algorithms.as_demo_data(dataset, obs_keys=keys)
            finally:
                skipped = list(dataset.problems)  # lenient: every demo left out, and why
                for problem in skipped:
                    print(f"train: {problem}", file=sys.stderr)
        trainer = algorithms.Trainer(
            cfg,
            data,
            device=device,
            rng=np.random.default_rng(args.seed),
            checkpoint_path=run_dir / "checkpoint.pt",
            num_threads=args.threads,
        )
    except (OSError, ValueError, KeyError, recordings.RecordingError) as exc:
        hint = ""
        if isinstance(exc, recordings.ValidationError) and exc.demo and not args.lenient:
            hint = " (--lenient skips such demos and lists them)"
        print(f"train: {exc}{hint}", file=sys.stderr)
        return 2
    trainer.lineage["seed"] = args.seed

    run_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "algorithm": args.algo,
        "config": algorithms.config_to_dict(cfg),
        "data": str(data_path.resolve()),
        "seed": args.seed,
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
    board = _tensorboard(run_dir)
    status, last = 0, {}
    with (
        open(run_dir / "metrics.jsonl", "w") as log,
        tqdm(total=cfg.steps, unit="step", disable=args.no_progress) as bar,
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
                shown = {"loss": metrics["loss"]}
                if "val_loss" in metrics:
                    shown["val"] = metrics["val_loss"]
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
        print(
            f"Done: {trainer.step} steps, loss {last.get('loss', float('nan')):.4g}{val}; "
            f"checkpoint {run_dir / 'checkpoint.pt'}"
        )
    return status
