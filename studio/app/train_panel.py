"""The Train panel: choose an algorithm, demos, parts and settings; start, watch, stop; list runs.

Three sections, one class each: :class:`~studio.app.train_settings.TrainSettings` (what a run
trains, with the form generated from the algorithm's config dataclass),
:class:`~studio.app.train_watch.TrainingWatch` (live curves, the training doctor, export) and
:class:`~studio.app.train_runs.RunsList` (the runs in ``runs/`` beside the recordings file).
This panel puts them in a splitter, starts and stops runs and follows the training controller.
It fills in once torch has loaded in the background (:class:`~studio.app.training.TorchLoader`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from studio.app import runs
from studio.app.doctor import diagnose
from studio.app.train_runs import RunsList, duration_text
from studio.app.train_settings import ALL_DEMOS, SELECTED, TrainSettings
from studio.app.train_watch import GAIL_PANELS, LOSS_PANELS, TrainingWatch
from studio.app.training import TrainingController, TrainRequest

__all__ = ["ALL_DEMOS", "GAIL_PANELS", "LOSS_PANELS", "SELECTED", "TrainPanel"]


class TrainPanel(QWidget):
    """Training settings, the live plots, the doctor and the runs list.

    Signals:
        drive_requested(path): let the checkpoint at ``path`` drive the scene.
        evaluate_requested(path): evaluate the checkpoint at ``path``.
        message(text): something for the status bar.
    """

    drive_requested = Signal(str)
    evaluate_requested = Signal(str)
    message = Signal(str)

    def __init__(
        self,
        controller: TrainingController,
        *,
        recordings_path: Callable[[], Path | None],
        scene_id: Callable[[], str],
        selected_demos: Callable[[], list[str]],
        masks: Callable[[], list[str]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._recordings_path = recordings_path
        self._scene_id = scene_id
        self._selected_demos = selected_demos
        self._masks = masks
        self._ready = False
        self.last_error = ""

        self.settings = TrainSettings()
        self.settings.algorithm_changed.connect(self._on_algorithm_changed)
        self.settings.edited.connect(self._on_form_edited)
        self.watch = TrainingWatch()
        self.watch.message.connect(self.message)
        self.runs = RunsList()
        self.runs.drive_requested.connect(self.drive_requested)
        self.runs.evaluate_requested.connect(self.evaluate_requested)
        self.runs.message.connect(self.message)
        # The parts tests and the window reach by name.
        self.algo_combo, self.form = self.settings.algo_combo, self.settings.form
        self.parts_edit, self.device_label = self.settings.parts_edit, self.settings.device_label
        self.plot, self.runs_table = self.watch.plot, self.runs.table
        self.drive_button = self.runs.drive_button

        self.start_button = QPushButton("▶ Start training")
        self.start_button.clicked.connect(self.start)
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.rate_label = QLabel()
        self.status_label = QLabel("Loading torch…")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The settings scroll as one (the choices and the form), so every row can be reached
        # however small the dock; Start/Stop and the status stay in view under them.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.settings)
        scroll.setMinimumHeight(90)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        top = QWidget()
        col = QVBoxLayout(top)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(scroll, 1)
        col.addLayout(buttons)
        col.addWidget(self.rate_label)
        col.addWidget(self.status_label)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for w, stretch in ((top, 4), (self.watch, 5), (self.runs, 1)):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
        self.splitter.setChildrenCollapsible(False)
        # The first layout follows the sections' size hints, which left ~4 settings rows in
        # view: start with room for the whole form; the person drags the handles from there.
        self.splitter.setSizes([420, 460, 140])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.splitter)
        self._set_enabled(False)

        controller.run_started.connect(self._on_run_started)
        controller.metrics_updated.connect(self._on_metrics_updated)
        controller.run_finished.connect(self._on_run_finished)
        controller.running_changed.connect(self._on_running_changed)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._update_rate)

    # ----------------------------------------------------------------------------- set-up
    @property
    def ready(self) -> bool:
        """Whether torch is loaded and the panel filled in."""
        return self._ready

    def set_torch_loaded(self, error: str) -> None:
        """Torch finished loading (``error`` = "" when it loaded): list the algorithms."""
        if error:
            self.status_label.setText(f"Training is not available: {error}")
            return
        import algorithms

        self._ready = True
        self.settings.set_algorithms(algorithms.names())
        self._set_enabled(True)
        self.status_label.setText("Ready: pick an algorithm and press Start.")
        self.refresh()

    def _set_enabled(self, on: bool) -> None:
        running = self.controller.running
        self.settings.set_enabled(on and not running)
        self.start_button.setEnabled(on and not running)
        self.stop_button.setEnabled(running)

    def refresh(self) -> None:
        """The file or its demos changed: the demo choices, the default parts and the runs."""
        from studio.envs import default_obs_parts

        self.settings.set_choices(self._masks(), list(default_obs_parts(self._scene_id()) or []))
        self.reload_runs()

    # ----------------------------------------------------------------------------- settings
    def _on_algorithm_changed(self, name: str) -> None:
        import algorithms

        self.watch.set_kind(hasattr(algorithms.get(name).config_cls(), "total_env_steps"))

    def config_error(self) -> tuple[str | None, str]:
        """``(field, message)`` of the settings' validation ("" when they are valid)."""
        return self.settings.config_error()

    def _on_form_edited(self) -> None:
        name, text = self.config_error()
        self.form.set_error(name, text)
        if text and name is None:
            self.status_label.setText(text)
        self.start_button.setEnabled(self._ready and not text and not self.controller.running)

    # ----------------------------------------------------------------------------- start, stop
    def request(self) -> TrainRequest:
        """The run the panel describes now.

        Raises:
            ValueError: no recordings file, no demos selected, or invalid settings.
        """
        import algorithms

        path = self._recordings_path()
        if path is None:
            raise ValueError("Open or create a recordings file first (File ▸ Open…)")
        s = self.settings
        algo = s.algorithm()
        overrides = s.overrides()
        algorithms.make_config(algo, overrides)  # raises with the config's own message
        choice = s.demos_choice()
        demos: list[str] | None = None
        if choice == SELECTED:
            demos = self._selected_demos()
            if not demos:
                raise ValueError("Select demos in the Demos panel first (or train on all)")
            choice = f"{len(demos)} selected demos"
        elif choice.startswith("mask: "):
            import recordings

            with recordings.Dataset(path, lenient=True) as ds:
                demos = ds.mask(choice.removeprefix("mask: "))
        runs_dir = runs.runs_dir_for(path)
        name = runs.new_run_name(algo, path, runs_dir)
        return TrainRequest(
            algorithm=algo,
            overrides=overrides,
            data_path=Path(path),
            run_dir=runs_dir / name,
            demos=demos,
            obs_keys=s.parts(),
            device=s.device(),
            seed=s.seed(),
            env_id=self._scene_id(),
            demos_from=choice,
        )

    def start(self) -> bool:
        """Start a run from the panel's settings; False (with a message) when it cannot."""
        if not self._ready or self.controller.running:
            return False
        try:
            request = self.request()
        except (ValueError, KeyError, OSError) as exc:
            text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
            self.last_error = text
            self.status_label.setText(f"<span style='color:#e05040'>{text}</span>")
            self.message.emit(text)
            return False
        self.watch.clear()
        self.progress.setValue(0)
        self.progress.setFormat("starting…")
        self.status_label.setText(f"Reading the demos… run folder {request.run_dir}")
        self.controller.start(request)
        return True

    def stop(self) -> None:
        """Stop the run at its next log point (it keeps a checkpoint)."""
        self.controller.stop()
        self.status_label.setText("Stopping at the next log point…")

    # ----------------------------------------------------------------------------- run events
    def _on_running_changed(self, running: bool) -> None:
        self._set_enabled(self._ready)
        if running:
            self._elapsed_timer.start()
        else:
            self._elapsed_timer.stop()
            self._on_form_edited()

    def _on_run_started(self, info: dict) -> None:
        parts = ", ".join(info["obs_keys"]) or "the flat observation"
        self.status_label.setText(
            f"Training {info['algorithm']} on {info['train_demos']} demos "
            f"({info['val_demos']} held out) on <b>{info['device']}</b>; parts: {parts} "
            f"({info['obs_keys_why']})"
        )
        self.settings.show_device(info["device"])
        self.reload_runs()

    def _on_metrics_updated(self, metrics: dict) -> None:
        step = metrics.get("step", 0.0)
        self.watch.append(step, metrics)
        total = self.controller.info.get("total") or 0
        if total:
            self.progress.setValue(int(1000 * min(step / total, 1.0)))
            self.progress.setFormat(f"{int(step)} / {total}")
        self._update_rate()
        self._update_doctor()

    def _update_rate(self) -> None:
        hist = self.controller.history
        if not hist.get("step"):
            return
        step, elapsed = hist["step"][-1], hist["elapsed_s"][-1]
        total = self.controller.info.get("total") or 0
        rate = ""
        if hist.get("samples_per_s"):
            rate = f"{hist['samples_per_s'][-1]:,.0f} samples/s"
        elif hist.get("env_steps_per_s"):
            rate = f"{hist['env_steps_per_s'][-1]:,.0f} env steps/s"
        eta = (total - step) * elapsed / step if step > 0 and total else math.nan
        if self.controller.request is not None:
            latest = {k: v[-1] for k, v in hist.items() if v}
            self.runs.update_live(self.controller.request.run_dir, step, total, elapsed, latest)
        self.rate_label.setText(
            f"{rate} · elapsed {duration_text(elapsed)} · ETA {duration_text(eta)}"
            if rate
            else f"elapsed {duration_text(elapsed)}"
        )

    def _update_doctor(self) -> None:
        c = self.controller
        self.watch.update_doctor(c.history, c.status, c.message)

    def doctor_hints(self) -> list[str]:
        """The kinds of the doctor's current hints (tests)."""
        c = self.controller
        return [h.kind for h in diagnose(c.history, status=c.status, message=c.message)]

    def _on_run_finished(self, status: str, message: str) -> None:
        colour = {"done": "#50c070", "stopped": "#d0a040"}.get(status, "#e05040")
        self.status_label.setText(f"<span style='color:{colour}'>{status}: {message}</span>")
        self.progress.setFormat(status)
        if status in (runs.FAILED, runs.DIVERGED):
            self.last_error = message
        self.plot.refresh()
        self._update_doctor()
        self.reload_runs()

    # ----------------------------------------------------------------------------- runs list
    def reload_runs(self) -> None:
        """List the runs in ``runs/`` beside the recordings file (trained on that file)."""
        live = self.controller.request.run_dir if self.controller.running else None
        self.runs.reload(self._recordings_path(), live)

    def run_rows(self) -> list[runs.RunInfo]:
        """The runs listed."""
        return self.runs.rows()

    # ----------------------------------------------------------------------------- export
    def export(self, kind: str, path: str | Path) -> Path:
        """Save the curves as ``png`` or ``csv``."""
        return self.watch.export(kind, path)

    def info(self) -> dict[str, Any]:
        """What the current run said when it started."""
        return dict(self.controller.info)
