"""A training run in a process of its own, for the studio's Train panel. Qt-free.

Why a process and not a thread: BC's small-batch steps spend most of their time in Python,
and in the window's process they share the GIL with the GUI thread, the control loop and the
render thread. Measured on a 2-core machine while a person drives (``python -m benchmarks
training_gui --quick``, the same run and machine load): a training thread reached 0.36x the
samples/s of ``imitation-studio train`` run alone, a training process 0.51x, with the GUI's
frame time within its target either way. On a quiet machine, and since a picture at rest is no
longer re-rendered, the process reaches 0.90x while a person drives and 0.98x with the window
idle (``python -m benchmarks training_gui``, benchmarks/results/training_gui.md). A process
also keeps a crashed or out-of-memory run from taking the window with it.

The run writes exactly what ``imitation-studio train`` writes (config.json, metrics.jsonl,
checkpoint.pt; the shared helpers in :mod:`studio.runfolder` choose the parts and prepare the
folder) and reports to the window through a pipe:

- ``("started", info)`` once the data is read and the trainer built;
- ``("metrics", metrics)`` at every yield (plain floats);
- ``("finished", status, message)`` last, with status ``done``, ``stopped``, ``diverged`` or
  ``failed``.

The window asks it to stop through an event; it stops at the next yield and saves a
checkpoint there. Nothing here writes to the recordings file: training only reads it.
"""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DONE, STOPPED, DIVERGED, FAILED = "done", "stopped", "diverged", "failed"

TRAIN_THREADS = 1
"""Torch threads for a run started from the window: one, so the other core keeps the GUI,
the control loop and the renderer going on a 2-core machine."""


@dataclass
class TrainRequest:
    """Everything a run needs, decided in the window (plain data: it crosses to the process)."""

    algorithm: str
    overrides: dict[str, Any]
    data_path: Path
    run_dir: Path
    demos: list[str] | None = None
    """Only these demos (None: every demo of the file)."""
    obs_keys: str | None = None
    """None: the scene's default parts; ``"all"``; or ``"a,b"`` (the CLI's ``--obs-keys``)."""
    device: str = "auto"
    seed: int = 0
    env_id: str | None = None
    """The scene algorithms that learn in an env (gail) use (default: the file's)."""
    num_threads: int = TRAIN_THREADS
    demos_from: str = "all demos"
    extra: dict[str, Any] = field(default_factory=dict)


def describe_problem(exc: BaseException) -> str:
    """A training error in words a person can act on."""
    import recordings

    name = type(exc).__name__
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return (
            f"Out of memory ({name}: {exc}). Lower batch_size or hidden_sizes, train on the "
            "CPU, or close other programs."
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full ({exc}). Free some space; the recordings file is untouched."
    if isinstance(exc, recordings.ValidationError):
        return f"The recordings break the format: {exc}"
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    if isinstance(exc, ValueError | OSError | recordings.RecordingError):
        return str(exc)
    return f"{name}: {exc}"


def run_training(request: TrainRequest, conn: Any, stop: Any) -> None:
    """The process's entry point: build, train, report through ``conn`` until finished.

    Args:
        request: what to train.
        conn: the child's end of a ``multiprocessing.Pipe``.
        stop: a ``multiprocessing.Event``; set, the run stops at its next yield.
    """
    try:
        try:
            trainer, info = _build(request)
        except Exception as exc:  # bad data, bad settings, no memory: a message, not a crash
            conn.send(("finished", FAILED, describe_problem(exc)))
            return
        conn.send(("started", info))
        status, message = _loop(request, trainer, conn, stop)
        conn.send(("finished", status, message))
    except (BrokenPipeError, EOFError):
        pass  # the window went away: nobody to report to
    finally:
        conn.close()


def _build(req: TrainRequest) -> tuple[Any, dict[str, Any]]:
    """Read the data, build the trainer, write config.json."""
    import numpy as np

    import algorithms
    import recordings
    from studio.runfolder import choose_obs_keys, env_factory, prepare_run_dir, remove_empty

    cfg = algorithms.make_config(req.algorithm, req.overrides)
    device = algorithms.resolve_device(req.device)
    if not req.data_path.exists():
        raise ValueError(f"{req.data_path}: no such file")
    created = prepare_run_dir(req.run_dir)
    try:
        with recordings.Dataset(req.data_path) as dataset, dataset.locked():
            keys, keys_from, why = choose_obs_keys(req.obs_keys, dataset)
            data = algorithms.as_demo_data(dataset, demos=req.demos, obs_keys=keys)
        env_id = req.env_id or str(data.lineage.get("env_name") or "")
        trainer = algorithms.make_trainer(
            cfg,
            data,
            device=device,
            rng=np.random.default_rng(req.seed),
            checkpoint_path=req.run_dir / "checkpoint.pt",
            num_threads=req.num_threads,
            # Only an algorithm that learns in an env builds one (as in the CLI).
            make_env=env_factory(env_id)
            if env_id and algorithms.learns_in_env(req.algorithm)
            else None,
        )
    except BaseException:
        remove_empty(created)  # nothing was written: leave no empty run folder behind
        raise
    trainer.lineage["seed"] = req.seed
    trainer.lineage["obs_keys_from"] = keys_from
    config = {
        "algorithm": req.algorithm,
        "config": algorithms.config_to_dict(cfg),
        "data": str(req.data_path.resolve()),
        "obs_keys": list(trainer.obs_keys),
        "obs_keys_from": keys_from,
        "obs_keys_why": why,
        "seed": req.seed,
        "env": env_id or None,
        "device": str(device),
        "train_demos": trainer.train_demos,
        "val_demos": trainer.val_demos,
        "skipped": [],
        "demos_from": req.demos_from,
        "command": ["imitation-studio", "gui"],
    }
    (req.run_dir / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    info = {
        "run_dir": str(req.run_dir),
        "algorithm": req.algorithm,
        "device": str(device),
        "obs_keys": list(trainer.obs_keys),
        "obs_keys_why": why,
        "train_demos": len(trainer.train_demos),
        "val_demos": len(trainer.val_demos),
        "config": config["config"],
        "env": env_id,
    }
    return trainer, info


def _loop(req: TrainRequest, trainer: Any, conn: Any, stop: Any) -> tuple[str, str]:
    import algorithms

    gen = trainer.run()
    try:
        with open(req.run_dir / "metrics.jsonl", "w") as log:
            for metrics in gen:
                log.write(json.dumps(metrics) + "\n")
                log.flush()
                conn.send(("metrics", {k: float(v) for k, v in metrics.items()}))
                if stop.is_set():
                    gen.close()  # restores torch's threads, closes the envs
                    trainer.save(req.run_dir / "checkpoint.pt")
                    return STOPPED, f"Stopped at step {int(trainer.step)}"
    except algorithms.TrainingDiverged as exc:
        return DIVERGED, str(exc)
    except (BrokenPipeError, EOFError):
        raise
    except Exception as exc:
        return FAILED, describe_problem(exc)
    return DONE, f"Done: {int(trainer.step)} steps; checkpoint {req.run_dir.name}"
