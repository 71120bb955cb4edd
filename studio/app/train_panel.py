"""The Train panel: choose an algorithm, demos, parts and settings; start, watch, stop; list runs.

The settings form is generated from the chosen algorithm's config dataclass (a newly registered
algorithm appears here with no GUI code); its validation is the config's own ``ValueError``,
shown beside the field it names. The panel fills in once torch has loaded in the background
(:class:`~studio.app.training.TorchLoader`). Runs live in ``runs/`` beside the recordings file.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.app import runs
from studio.app.doctor import diagnose
from studio.app.training import TrainingController, TrainRequest
from widgets.config_form import ConfigForm
from widgets.live_plot import LivePlot

ALL_DEMOS, SELECTED = "all demos", "selected rows in Demos"

# Curves per kind of run: (title, [(metrics key, legend)]).
LOSS_PANELS = [
    ("loss", [("loss", "train"), ("val_loss", "validation")]),
    ("samples/s", [("samples_per_s", "samples/s")]),
]
GAIL_PANELS = [
    ("discriminator loss", [("disc_loss", "D loss")]),
    (
        "discriminator accuracy",
        [("disc_acc_expert", "on expert"), ("disc_acc_policy", "on policy")],
    ),
    ("mean D (probability 'expert')", [("d_expert", "D(expert)"), ("d_policy", "D(policy)")]),
    (
        "learned reward vs true return",
        [
            ("learned_reward", "learned reward"),
            ("episode_return", "return"),
            ("eval_return", "eval", "points"),
        ],
    ),
    ("success", [("episode_success", "rollouts"), ("eval_success", "eval", "points")]),
    ("env steps/s", [("env_steps_per_s", "env steps/s")]),
]
RUN_COLUMNS = ["run", "algo", "status", "elapsed", "step", "latest"]


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def _latest_text(latest: dict[str, float]) -> str:
    for key, fmt in (
        ("eval_success", "success {:.0%}"),
        ("val_loss", "val {:.4g}"),
        ("loss", "loss {:.4g}"),
        ("disc_loss", "D loss {:.3g}"),
    ):
        if key in latest:
            return fmt.format(latest[key])
    return ""


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
        self._runs: list[runs.RunInfo] = []
        self.last_error = ""

        # Settings.
        self.algo_combo = QComboBox()
        self.algo_combo.setToolTip("Algorithm (every registered one is listed)")
        self.algo_combo.currentTextChanged.connect(self._on_algorithm_changed)
        self.demos_combo = QComboBox()
        self.demos_combo.setToolTip(
            "Which demos to train on: all, a mask of the file, or the rows selected in Demos"
        )
        self.parts_edit = QLineEdit()
        self.parts_edit.setToolTip(
            "Observation parts, comma-separated; empty = the scene's default parts; 'all' = "
            "every part (BC then keys on features the expert ignores)"
        )
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cpu", "cuda"])
        self.device_combo.currentTextChanged.connect(self._on_device_changed)
        self.device_label = QLabel()
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setToolTip("Seed of the split, the initialisation and the batches")
        self.form = ConfigForm()
        self.form.edited.connect(self._on_form_edited)
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
        self.plot = LivePlot()
        self.plot.set_panels(LOSS_PANELS)
        self.plot.setMinimumHeight(260)
        self.doctor_label = QLabel()
        self.doctor_label.setWordWrap(True)
        self.doctor_label.setStyleSheet("background: #3a3020; color: #f0d890; padding: 4px;")
        self.doctor_label.hide()
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button.clicked.connect(lambda: self._on_export("png"))
        self.csv_button.clicked.connect(lambda: self._on_export("csv"))
        self.runs_table = QTableWidget(0, len(RUN_COLUMNS))
        self.runs_table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs_table.verticalHeader().hide()
        header = self.runs_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(RUN_COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.runs_table.cellDoubleClicked.connect(lambda r, _c: self._on_drive_run(r))
        self.drive_button = QPushButton("Drive with it")
        self.drive_button.setToolTip("Let the selected run's checkpoint drive the scene")
        self.drive_button.clicked.connect(lambda: self._on_drive_run(self._selected_run_row()))
        self.eval_button = QPushButton("Evaluate")
        self.eval_button.clicked.connect(self._on_evaluate_run)

        # Layout.
        top = QWidget()
        form = QFormLayout(top)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Algorithm", self.algo_combo)
        form.addRow("Demos", self.demos_combo)
        form.addRow("Observation parts", self.parts_edit)
        device_row = QHBoxLayout()
        device_row.addWidget(self.device_combo)
        device_row.addWidget(self.device_label, 1)
        form.addRow("Device", device_row)
        form.addRow("Seed", self.seed_spin)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        scroll.setMinimumHeight(90)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        settings = QWidget()
        col = QVBoxLayout(settings)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(top)
        col.addWidget(QLabel("<b>Settings</b> (hover a name for what it does)"))
        col.addWidget(scroll, 1)
        col.addLayout(buttons)
        col.addWidget(self.rate_label)
        col.addWidget(self.status_label)
        watch = QWidget()
        wcol = QVBoxLayout(watch)
        wcol.setContentsMargins(0, 0, 0, 0)
        wcol.addWidget(self.plot, 1)
        wcol.addWidget(self.doctor_label)
        export = QHBoxLayout()
        export.addStretch(1)
        export.addWidget(self.png_button)
        export.addWidget(self.csv_button)
        wcol.addLayout(export)
        runs_box = QWidget()
        rcol = QVBoxLayout(runs_box)
        rcol.setContentsMargins(0, 0, 0, 0)
        rrow = QHBoxLayout()
        rrow.addWidget(QLabel("<b>Runs</b> (runs/ beside the recordings file)"), 1)
        rrow.addWidget(self.drive_button)
        rrow.addWidget(self.eval_button)
        rcol.addLayout(rrow)
        rcol.addWidget(self.runs_table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for w, stretch in ((settings, 2), (watch, 5), (runs_box, 1)):
            self.splitter.addWidget(w)
            self.splitter.setStretchFactor(self.splitter.count() - 1, stretch)
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
        self.algo_combo.blockSignals(True)
        self.algo_combo.clear()
        self.algo_combo.addItems(algorithms.names())
        self.algo_combo.blockSignals(False)
        self._on_algorithm_changed(self.algo_combo.currentText())
        self._on_device_changed(self.device_combo.currentText())
        self._set_enabled(True)
        self.status_label.setText("Ready: pick an algorithm and press Start.")
        self.refresh()

    def _set_enabled(self, on: bool) -> None:
        running = self.controller.running
        for w in (self.algo_combo, self.demos_combo, self.parts_edit, self.device_combo):
            w.setEnabled(on and not running)
        self.form.setEnabled(on and not running)
        self.seed_spin.setEnabled(on and not running)
        self.start_button.setEnabled(on and not running)
        self.stop_button.setEnabled(running)

    def refresh(self) -> None:
        """The file or its demos changed: the demo choices, the default parts and the runs."""
        current = self.demos_combo.currentText()
        self.demos_combo.clear()
        self.demos_combo.addItem(ALL_DEMOS)
        self.demos_combo.addItems([f"mask: {m}" for m in self._masks()])
        self.demos_combo.addItem(SELECTED)
        i = self.demos_combo.findText(current)
        self.demos_combo.setCurrentIndex(max(i, 0))
        from studio.envs import default_obs_parts

        default = default_obs_parts(self._scene_id())
        self.parts_edit.setPlaceholderText(
            f"scene default: {','.join(default)}" if default else "every part (scene default)"
        )
        self.reload_runs()

    # ----------------------------------------------------------------------------- settings
    def _on_algorithm_changed(self, name: str) -> None:
        if not name:
            return
        import algorithms

        self.form.set_dataclass(algorithms.get(name).config_cls)
        gail = hasattr(algorithms.get(name).config_cls(), "total_env_steps")
        if gail:
            self.plot.set_panels(GAIL_PANELS, "env steps", columns=2)
        else:
            self.plot.set_panels(LOSS_PANELS, "step")
        self._on_form_edited()

    def _on_device_changed(self, device: str) -> None:
        if not self._ready:
            return
        import algorithms

        try:
            used = algorithms.resolve_device(device)
            self.device_label.setText(f"→ trains on <b>{used}</b>")
            self.device_label.setStyleSheet("")
        except ValueError as exc:
            self.device_label.setText(str(exc))
            self.device_label.setStyleSheet("color: #e05040;")

    def config_error(self) -> tuple[str | None, str]:
        """``(field, message)`` of the settings' validation ("" when they are valid)."""
        import algorithms

        try:
            algorithms.make_config(self.algo_combo.currentText(), self.form.values())
        except ValueError as exc:
            text = str(exc)
            named = [f for f in self.form.fields() if re.search(rf"\b{re.escape(f)}\b", text)]
            # The message's first field name is the one at fault ("steps must be >= 1").
            named.sort(key=lambda f: re.search(rf"\b{re.escape(f)}\b", text).start())  # type: ignore[union-attr]
            return (named[0] if named else None), text
        return None, ""

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
        algo = self.algo_combo.currentText()
        overrides = self.form.values()
        algorithms.make_config(algo, overrides)  # raises with the config's own message
        choice = self.demos_combo.currentText()
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
        parts = self.parts_edit.text().strip() or None
        runs_dir = runs.runs_dir_for(path)
        name = runs.new_run_name(algo, path, runs_dir)
        return TrainRequest(
            algorithm=algo,
            overrides=overrides,
            data_path=Path(path),
            run_dir=runs_dir / name,
            demos=demos,
            obs_keys=parts,
            device=self.device_combo.currentText(),
            seed=self.seed_spin.value(),
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
        self.plot.clear_data()
        self.doctor_label.hide()
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
        self.device_label.setText(f"→ trains on <b>{info['device']}</b>")
        self.reload_runs()

    def _on_metrics_updated(self, metrics: dict) -> None:
        step = metrics.get("step", 0.0)
        self.plot.append(step, metrics)
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
        self._update_live_row(step, total, elapsed)
        self.rate_label.setText(
            f"{rate} · elapsed {_duration(elapsed)} · ETA {_duration(eta)}"
            if rate
            else f"elapsed {_duration(elapsed)}"
        )

    def _update_doctor(self) -> None:
        c = self.controller
        hints = diagnose(c.history, status=c.status, message=c.message)
        if hints:
            self.doctor_label.setText(
                "<b>Training doctor</b><br>"
                + "<br>".join(f"<b>{h.title}.</b> {h.text}" for h in hints)
            )
        self.doctor_label.setVisible(bool(hints))

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
        path = self._recordings_path()
        self._runs = runs.list_runs(runs.runs_dir_for(path), path) if path else []
        live = self.controller.request.run_dir if self.controller.running else None
        table = self.runs_table
        table.setRowCount(len(self._runs))
        for r, run in enumerate(self._runs):
            status = runs.RUNNING if live is not None and run.path == live else run.status
            step = f"{int(run.step)}/{run.total}" if run.total else f"{int(run.step)}"
            cells = [
                run.name,
                run.algorithm,
                status,
                _duration(run.elapsed_s),
                step,
                _latest_text(run.latest),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and run.message:
                    item.setToolTip(run.message)
                table.setItem(r, c, item)

    def _update_live_row(self, step: float, total: int, elapsed: float) -> None:
        """The running run's row follows the metrics (its files are not re-read)."""
        if self.controller.request is None:
            return
        live = self.controller.request.run_dir
        hist = self.controller.history
        latest = {k: v[-1] for k, v in hist.items() if v}
        for r, run in enumerate(self._runs):
            if run.path == live:
                cells = {3: _duration(elapsed), 4: f"{int(step)}/{total}", 5: _latest_text(latest)}
                for c, text in cells.items():
                    self.runs_table.setItem(r, c, QTableWidgetItem(text))

    def run_rows(self) -> list[runs.RunInfo]:
        """The runs listed."""
        return list(self._runs)

    def _selected_run_row(self) -> int:
        rows = self.runs_table.selectionModel().selectedRows()
        return rows[0].row() if rows else (0 if self._runs else -1)

    def _on_drive_run(self, row: int) -> None:
        if 0 <= row < len(self._runs) and self._runs[row].checkpoint is not None:
            self.drive_requested.emit(str(self._runs[row].checkpoint))
        else:
            self.message.emit("That run has no checkpoint")

    def _on_evaluate_run(self) -> None:
        row = self._selected_run_row()
        if 0 <= row < len(self._runs) and self._runs[row].checkpoint is not None:
            self.evaluate_requested.emit(str(self._runs[row].checkpoint))
        else:
            self.message.emit("Select a run with a checkpoint to evaluate")

    # ----------------------------------------------------------------------------- export
    def _on_export(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the curves as {kind.upper()}", f"curves.{kind}", f"*.{kind}"
        )
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str | Path) -> Path:
        """Save the curves as ``png`` or ``csv``."""
        out = self.plot.export_png(path) if kind == "png" else self.plot.export_csv(path)
        self.message.emit(f"Curves saved to {out}")
        return out

    def info(self) -> dict[str, Any]:
        """What the current run said when it started."""
        return dict(self.controller.info)
