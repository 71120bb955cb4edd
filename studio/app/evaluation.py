"""Evaluation in the background: checkpoints over N seeded episodes, with the expert beside them.

:class:`EvalJob` runs in a worker thread with its own envs and its own copy of each policy
(loaded there), through ``algorithms.evaluate``, the code ``imitation-studio eval`` runs, and
on the same seeds (from 1000 by default: ``collect`` records from 0). Two checkpoints are
evaluated on the same seeds, so they compare episode for episode.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.app.workers import end_job, start_job

EVAL_SEED = 1000  # as `imitation-studio eval`: collect records from seed 0


@dataclass
class EvalRequest:
    """What to evaluate (plain data: it crosses threads)."""

    checkpoints: list[Path]
    episodes: int = 20
    seed: int = EVAL_SEED
    env_id: str | None = None
    """Default: the env the first checkpoint's training data was recorded in."""
    expert: bool = True


def _row(label: str, result: Any, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "label": label,
        "episodes": result.episodes,
        "success_rate": result.success_rate,
        "mean_return": result.mean_return,
        "std_return": result.std_return,
        "mean_length": result.mean_length,
        "collision_rate": result.collision_rate,
        "normalized_score": result.normalized_score,
        **(extra or {}),
    }


class EvalJob(QObject):
    """Evaluates in :meth:`run` (worker thread).

    Signals:
        progressed(text): which part runs now.
        evaluated(result): ``{"env", "seeds": [first, last], "rows": [row, ...]}``; a row has
            ``label``, ``success_rate``, ``mean_return``, ``std_return``, ``mean_length``,
            ``collision_rate`` (None without collisions), ``normalized_score``.
        failed(message): nothing could be evaluated, and why.
    """

    progressed = Signal(str)
    evaluated = Signal(dict)
    failed = Signal(str)

    def __init__(self, request: EvalRequest) -> None:
        super().__init__()
        self.request = request
        self.cancelled = threading.Event()

    @Slot()
    def run(self) -> None:
        """Evaluate every checkpoint (and the expert) on the same seeds."""
        try:
            self.evaluated.emit(self._evaluate())
        except Exception as exc:
            self.failed.emit(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))

    def _evaluate(self) -> dict[str, Any]:
        import numpy as np

        import algorithms
        from studio.commands.eval import RandomActor
        from studio.envs import make_env

        req = self.request
        policies = [algorithms.load_policy(p, device="cpu") for p in req.checkpoints]
        env_id = req.env_id or policies[0].lineage.get("env_name")
        if not env_id:
            raise ValueError("the checkpoint does not name its scene")
        make_env(env_id).close()

        def factory(seed: int) -> Any:
            return make_env(env_id)

        rows = []
        expert_result = random_result = None
        if req.expert:
            from studio.experts import make_expert

            try:
                expert = make_expert(env_id, rng=np.random.default_rng(req.seed))
            except ValueError:
                expert = None  # a scene without a scripted expert: policies only
            if expert is not None:
                self.progressed.emit("scripted expert")
                expert_result = algorithms.evaluate(
                    expert, factory, req.episodes, req.seed, batched=False
                )
                probe = make_env(env_id)
                space = probe.action_space
                probe.close()
                random_result = algorithms.evaluate(
                    RandomActor(space, seed=req.seed), factory, req.episodes, req.seed
                )
        for path, policy in zip(req.checkpoints, policies, strict=True):
            if self.cancelled.is_set():
                break
            name = path.parent.name if path.name == "checkpoint.pt" else path.stem
            self.progressed.emit(name)
            result = algorithms.evaluate(
                policy,
                factory,
                req.episodes,
                req.seed,
                expert_return=expert_result.mean_return if expert_result else None,
                random_return=random_result.mean_return if random_result else 0.0,
            )
            rows.append(_row(name, result, {"checkpoint": str(path), "algo": policy.algorithm}))
        if expert_result is not None:
            rows.append(_row("scripted expert", expert_result, {"normalized_score": 100.0}))
        return {"env": env_id, "seeds": [req.seed, req.seed + req.episodes - 1], "rows": rows}


class EvalController(QObject):
    """Runs one :class:`EvalJob` at a time in a worker thread (GUI thread side).

    Signals:
        progressed(text), evaluated(result), failed(message): the job's, on the GUI thread.
        running_changed(running).
    """

    progressed = Signal(str)
    evaluated = Signal(dict)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: EvalJob | None = None
        self.last_result: dict[str, Any] | None = None

    @property
    def running(self) -> bool:
        """Whether an evaluation is in progress."""
        return self._thread is not None

    def start(self, request: EvalRequest) -> None:
        """Evaluate in a new worker thread."""
        if self.running:
            raise RuntimeError("an evaluation is already running")
        job = EvalJob(request)
        job.progressed.connect(self.progressed)
        job.evaluated.connect(self._on_evaluated)
        job.failed.connect(self._on_failed)
        self._thread, self._job = start_job(self, job), job
        self.running_changed.emit(True)

    def cancel(self) -> None:
        """Skip the checkpoints not started yet (closing the window)."""
        if self._job is not None:
            self._job.cancelled.set()

    def wait(self) -> None:
        """Block until the worker ended."""
        if self._thread is not None:
            self._thread.wait()

    def _on_evaluated(self, result: dict) -> None:
        self.last_result = result
        self._done()
        self.evaluated.emit(result)

    def _on_failed(self, message: str) -> None:
        self._done()
        self.failed.emit(message)

    def _done(self) -> None:
        thread, job = self._thread, self._job
        self._thread = self._job = None
        end_job(thread, job)
        self.running_changed.emit(False)
