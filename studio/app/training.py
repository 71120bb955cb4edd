"""Training in the background: a run trains in a process of its own, the GUI plots.

Three parts:

- :class:`TorchLoader` imports torch and ``algorithms`` and takes one optimiser step
  (``algorithms.warm_up``) in a thread at start-up: importing torch takes seconds and the first
  ``torch.optim`` use stalls >1 s, neither of which may happen on the GUI thread (the window
  itself loads policies and evaluates them).
- :class:`TrainingJob` lives in its own ``QThread``. It starts the run's process
  (:func:`studio.training_process.run_training`, which writes the run folder exactly as
  ``imitation-studio train`` does), relays what the process reports as signals, and asks it to
  stop. A process rather than a thread because training in the window's process shares the GIL
  with the GUI and reached a third of the CLI's speed (see :mod:`studio.training_process`).
- :class:`TrainingController` (GUI thread) starts and stops jobs, keeps the current run's
  metrics history and says how a run ended.

Nothing here writes to the recordings file: training only reads it.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from studio.app import runs
from studio.app.workers import end_job, start_job
from studio.training_process import TRAIN_THREADS, TrainRequest, run_training

__all__ = ["TRAIN_THREADS", "TorchLoader", "TrainRequest", "TrainingController", "TrainingJob"]

# Runs fork from a fork server: a clean interpreter started once (fork from the window would
# copy its Qt and GL state), with torch, the algorithms and the scenes already imported, so a
# run starts in a fraction of a second instead of the seconds a fresh interpreter takes.
_MP = multiprocessing.get_context("forkserver")
_MP.set_forkserver_preload(["studio.training_process", "algorithms", "studio.envs"])
POLL_S = 0.05
"""How often the relay looks for news from the process (and for a stop request)."""


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


class TrainingJob(QObject):
    """One run: :meth:`run`, in a worker thread, starts its process and relays its reports.

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
        self._stop = _MP.Event()
        self._closing = threading.Event()

    def stop(self) -> None:
        """Ask the run to stop at its next yield (thread-safe)."""
        self._stop.set()

    def abort(self) -> None:
        """The window is closing: stop the run and do not wait for its next yield."""
        self._stop.set()
        self._closing.set()

    @Slot()
    def run(self) -> None:
        """Train (the worker thread's body); always ends with :attr:`run_finished`."""
        tic = time.perf_counter()
        req = self.request
        try:
            status, message = self._relay(tic)
        except Exception as exc:  # the process could not even start
            status, message = runs.FAILED, f"Could not start the training process: {exc}"
        if req.run_dir.is_dir():
            try:
                runs.write_status(req.run_dir, status, message, time.perf_counter() - tic)
            except OSError as exc:  # a full disk at the very end: the run itself is on disk
                message += f" (status.json not written: {exc})"
        self.run_finished.emit(status, message)

    def _relay(self, tic: float) -> tuple[str, str]:
        receiver, sender = _MP.Pipe(duplex=False)
        proc = _MP.Process(
            target=run_training, args=(self.request, sender, self._stop), daemon=True
        )
        proc.start()
        sender.close()  # ours is the receiving end; EOF then means the process is gone
        try:
            while True:
                if self._closing.is_set():
                    proc.join(5.0)
                    return runs.STOPPED, "Stopped: the studio closed"
                if not receiver.poll(POLL_S):
                    continue
                try:
                    message = receiver.recv()
                except EOFError:  # it died without a word: killed, out of memory, a crash
                    proc.join(5.0)
                    code = proc.exitcode
                    return runs.FAILED, (
                        f"The training process ended unexpectedly (exit code {code}); the run "
                        "folder keeps what it wrote, and the recordings file is untouched."
                    )
                kind = message[0]
                if kind == "started":
                    info = dict(message[1])
                    info["total"] = runs.total_steps(info.pop("config"))
                    self.run_started.emit(info)
                elif kind == "metrics":
                    self.metrics_updated.emit(
                        {**message[1], "elapsed_s": time.perf_counter() - tic}
                    )
                elif kind == "finished":
                    proc.join(30.0)
                    return str(message[1]), str(message[2])
        finally:
            receiver.close()
            if proc.is_alive():
                proc.terminate()
                proc.join(5.0)


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
        job = TrainingJob(request)
        job.run_started.connect(self._on_run_started)
        job.metrics_updated.connect(self._on_metrics_updated)
        job.run_finished.connect(self._on_run_finished)
        self._thread, self._job = start_job(self, job), job
        self.running_changed.emit(True)

    def stop(self) -> None:
        """Ask the run to stop at its next yield (it saves a checkpoint there)."""
        if self._job is not None:
            self._job.stop()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Closing the window: end the run without waiting for its next yield (its checkpoint
        holds the last log point's weights) and block until the worker ended; False on
        timeout."""
        if self._thread is None:
            return True
        if self._job is not None:
            self._job.abort()
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
        end_job(thread, job)
        self.running_changed.emit(False)
        self.run_finished.emit(status, message)
