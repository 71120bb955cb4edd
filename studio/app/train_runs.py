"""The Train panel's runs list: the runs in ``runs/`` beside the recordings file.

Each row shows a run's name, algorithm, status, elapsed time, step and latest figures; the
running run's row follows its metrics. A run with a checkpoint can drive the scene or be
evaluated.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.app import runs

RUN_COLUMNS = ["run", "algo", "status", "elapsed", "step", "latest"]


def duration_text(seconds: float | None) -> str:
    """``"m:ss"`` (or hours), ``"–"`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def latest_text(latest: dict[str, float]) -> str:
    """The one figure that says most about a run's state."""
    for key, fmt in (
        ("eval_success", "success {:.0%}"),
        ("val_loss", "val {:.4g}"),
        ("loss", "loss {:.4g}"),
        ("disc_loss", "D loss {:.3g}"),
    ):
        if key in latest:
            return fmt.format(latest[key])
    return ""


class RunsList(QWidget):
    """The table of runs and the buttons that use a run's checkpoint.

    Signals:
        drive_requested(path): let the checkpoint at ``path`` drive the scene.
        evaluate_requested(path): evaluate the checkpoint at ``path``.
        message(text): something for the status bar.
    """

    drive_requested = Signal(str)
    evaluate_requested = Signal(str)
    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._runs: list[runs.RunInfo] = []
        self.table = QTableWidget(0, len(RUN_COLUMNS))
        self.table.setHorizontalHeaderLabels(RUN_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(RUN_COLUMNS)):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.table.cellDoubleClicked.connect(lambda r, _c: self._on_drive_run(r))
        self.drive_button = QPushButton("Drive with it")
        self.drive_button.setToolTip("Let the selected run's checkpoint drive the scene")
        self.drive_button.clicked.connect(lambda: self._on_drive_run(self._selected_row()))
        self.eval_button = QPushButton("Evaluate")
        self.eval_button.clicked.connect(self._on_evaluate_run)
        row = QHBoxLayout()
        row.addWidget(QLabel("<b>Runs</b> (runs/ beside the recordings file)"), 1)
        row.addWidget(self.drive_button)
        row.addWidget(self.eval_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(row)
        col.addWidget(self.table, 1)

    def reload(self, recordings: Path | None, live: Path | None) -> None:
        """List the runs beside ``recordings`` (trained on it); ``live`` is the running one."""
        self._runs = runs.list_runs(runs.runs_dir_for(recordings), recordings) if recordings else []
        self.table.setRowCount(len(self._runs))
        for r, run in enumerate(self._runs):
            status = runs.RUNNING if live is not None and run.path == live else run.status
            step = f"{int(run.step)}/{run.total}" if run.total else f"{int(run.step)}"
            cells = [
                run.name,
                run.algorithm,
                status,
                duration_text(run.elapsed_s),
                step,
                latest_text(run.latest),
            ]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c == 2 and run.message:
                    item.setToolTip(run.message)
                self.table.setItem(r, c, item)

    def update_live(
        self, live: Path, step: float, total: int, elapsed: float, latest: dict[str, float]
    ) -> None:
        """The running run's row follows the metrics (its files are not re-read)."""
        for r, run in enumerate(self._runs):
            if run.path == live:
                cells = {
                    3: duration_text(elapsed),
                    4: f"{int(step)}/{total}",
                    5: latest_text(latest),
                }
                for c, text in cells.items():
                    self.table.setItem(r, c, QTableWidgetItem(text))

    def rows(self) -> list[runs.RunInfo]:
        """The runs listed."""
        return list(self._runs)

    def _selected_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else (0 if self._runs else -1)

    def _on_drive_run(self, row: int) -> None:
        if 0 <= row < len(self._runs) and self._runs[row].checkpoint is not None:
            self.drive_requested.emit(str(self._runs[row].checkpoint))
        else:
            self.message.emit("That run has no checkpoint")

    def _on_evaluate_run(self) -> None:
        row = self._selected_row()
        if 0 <= row < len(self._runs) and self._runs[row].checkpoint is not None:
            self.evaluate_requested.emit(str(self._runs[row].checkpoint))
        else:
            self.message.emit("Select a run with a checkpoint to evaluate")
