"""Training in the background: a worker thread runs the algorithm's generator, the GUI plots.

Three parts:

- :class:`TorchLoader` imports torch and ``algorithms`` and takes one optimiser step
  (``algorithms.warm_up``) in a thread at start-up: importing torch takes seconds and the first
  ``torch.optim`` use stalls >1 s, neither of which may happen on the GUI thread.
- :class:`TrainingJob` lives in its own ``QThread``. It reads the recordings (under the file's
  shared lock), builds the trainer (and, for algorithms that learn in an env, its envs: their
  ``MjData`` belong to that thread), writes the run folder exactly as ``imitation-studio
  train`` does (the CLI's own helpers choose the parts and prepare the folder) and emits each
  yield's metrics as plain floats. It stops between two yields when asked.
- :class:`TrainingController` (GUI thread) starts and stops jobs, keeps the current run's
  metrics history and says how a run ended.

Nothing here writes to the recordings file: training only reads it.
"""

from __future__ import annotations

import errno
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.app import runs

# Torch threads for training while the GUI runs: one leaves the other core(s) to the GUI thread
# and the render thread (the GUI frame-time target holds on a 2-core machine).
TRAIN_THREADS = 1
SWITCH_INTERVAL_S = 0.001


class TorchLoader(QThread):
    """Imports torch and the algorithms and warms torch.optim up, off the GUI thread.

    Signals:
        loaded(error): done; ``error`` is "" or why torch could not be loaded.
    """

    loaded = Signal(str)

    def run(self) -> None:
        try:
            import algorithms

            algorithms.warm_up()
        except Exception as exc:  # no torch, a broken install: the studio runs without training
            self.loaded.emit(f"{type(exc).__name__}: {exc}")
            return
        self.loaded.emit("")


@dataclass
class TrainRequest:
    """Everything a run needs, decided on the GUI thread (plain data: it crosses threads)."""

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


def _problem(exc: BaseException) -> str:
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


class TrainingJob(QObject):
    """One run, executed by :meth:`run` in a worker thread.

    Signals:
        run_started(info): the data is read and the trainer built (``run_dir``, ``device``,
            ``obs_keys``, ``train_demos``, ``val_demos``, ``total``, ``algorithm``).
        metrics_updated(metrics): one yield's metrics (plain floats) plus ``elapsed_s``.
        run_finished(status, message): ``done``, ``stopped``, ``diverged`` or ``failed``.
    """

    run_started = Signal(dict)
    metrics_updated = Signal(dict)
    run_finished = Signal(str, str)

    def __init__(self, request: TrainRequest) -> None:
        super().__init__()
        self.request = request
        self._stop = threading.Event()

    def stop(self) -> None:
        """Ask the run to stop at its next yield (thread-safe)."""
        self._stop.set()

    @Slot()
    def run(self) -> None:
        """Train (in the worker thread); always ends with :attr:`run_finished`."""
        tic = time.perf_counter()
        req = self.request
        try:
            trainer = self._build()
        except Exception as exc:  # bad data, bad settings, no memory: a message, not a crash
            self.run_finished.emit(runs.FAILED, _problem(exc))
            return
        status, message = self._loop(trainer, tic)
        try:
            runs.write_status(req.run_dir, status, message, time.perf_counter() - tic)
        except OSError as exc:  # a full disk at the very end: the run itself is on disk
            message += f" (status.json not written: {exc})"
        self.run_finished.emit(status, message)

    def _build(self) -> Any:
        """Read the data, build the trainer, write config.json; returns the trainer."""
        import numpy as np

        import algorithms
        import recordings
        from studio.runfolder import choose_obs_keys, env_factory, prepare_run_dir, remove_empty

        req = self.request
        cfg = algorithms.make_config(req.algorithm, req.overrides)
        device = algorithms.resolve_device(req.device)
        if not req.data_path.exists():
            raise ValueError(f"{req.data_path}: no such file")
        created = prepare_run_dir(req.run_dir)
        try:
            with (
                recordings.Dataset(req.data_path) as dataset,
                dataset.locked(),
            ):
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
        self.run_started.emit(
            {
                "run_dir": str(req.run_dir),
                "algorithm": req.algorithm,
                "device": str(device),
                "obs_keys": list(trainer.obs_keys),
                "obs_keys_why": why,
                "train_demos": len(trainer.train_demos),
                "val_demos": len(trainer.val_demos),
                "total": runs.total_steps(config["config"]),
                "env": env_id,
            }
        )
        return trainer

    def _loop(self, trainer: Any, tic: float) -> tuple[str, str]:
        import algorithms

        req = self.request
        gen = trainer.run()
        try:
            with open(req.run_dir / "metrics.jsonl", "w") as log:
                for metrics in gen:
                    log.write(json.dumps(metrics) + "\n")
                    log.flush()
                    self.metrics_updated.emit({**metrics, "elapsed_s": time.perf_counter() - tic})
                    if self._stop.is_set():
                        gen.close()  # restores torch's threads, closes the envs
                        trainer.save(req.run_dir / "checkpoint.pt")
                        return runs.STOPPED, f"Stopped at step {int(trainer.step)}"
        except algorithms.TrainingDiverged as exc:
            return runs.DIVERGED, str(exc)
        except Exception as exc:
            return runs.FAILED, _problem(exc)
        return runs.DONE, f"Done: {int(trainer.step)} steps; checkpoint {req.run_dir.name}"


class TrainingController(QObject):
    """Starts, stops and follows training runs (GUI thread).

    Signals:
        run_started(info), metrics_updated(metrics), run_finished(status, message): the
            current job's, re-emitted on the GUI thread.
        running_changed(running): a run started or ended.
    """

    run_started = Signal(dict)
    metrics_updated = Signal(dict)
    run_finished = Signal(str, str)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: TrainingJob | None = None
        self.request: TrainRequest | None = None
        self.info: dict[str, Any] = {}
        self.history: dict[str, list[float]] = {}
        self.status = ""
        self.message = ""

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._thread is not None

    def start(self, request: TrainRequest) -> None:
        """Start a run in a new worker thread (one run at a time)."""
        if self.running:
            raise RuntimeError("a run is already in progress")
        self.request = request
        self.info, self.history, self.status, self.message = {}, {}, runs.RUNNING, ""
        # The worker's Python (GAIL's rollout loop above all) holds the GIL for up to the
        # switch interval at a time; 1 ms instead of 5 lets the control timer keep its beat.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        thread = QThread(self)
        job = TrainingJob(request)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.run_started.connect(self._on_run_started)
        job.metrics_updated.connect(self._on_metrics_updated)
        job.run_finished.connect(self._on_run_finished)
        self._thread, self._job = thread, job
        thread.start()
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Ask the run to stop at its next yield (it saves a checkpoint there)."""
        if self._job is not None:
            self._job.stop()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the worker thread ended (closing the window); False on timeout."""
        if self._thread is None:
            return True
        if timeout_s is None:
            return self._thread.wait()
        return self._thread.wait(int(timeout_s * 1000))

    def _on_run_started(self, info: dict) -> None:
        self.info = dict(info)
        self.run_started.emit(info)

    def _on_metrics_updated(self, metrics: dict) -> None:
        for key, value in metrics.items():
            self.history.setdefault(key, []).append(float(value))
        self.metrics_updated.emit(metrics)

    def _on_run_finished(self, status: str, message: str) -> None:
        self.status, self.message = status, message
        thread, job = self._thread, self._job
        self._thread = self._job = None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()
        if job is not None:
            job.deleteLater()
        self.running_changed.emit(False)
        self.run_finished.emit(status, message)
