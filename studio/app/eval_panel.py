"""The Evaluate panel: one or two checkpoints over N seeded episodes, the expert beside them."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from studio.app.evaluation import EVAL_SEED, EvalController, EvalRequest

ROWS = [
    ("success", "success_rate", "{:.0%}"),
    ("return (mean)", "mean_return", "{:.2f}"),
    ("return (std)", "std_return", "{:.2f}"),
    ("length", "mean_length", "{:.1f}"),
    ("collisions", "collision_rate", "{:.0%}"),
    ("expert-normalised", "normalized_score", "{:.0f}"),
]


class EvalPanel(QWidget):
    """Checkpoint pickers, episodes and seed, and the results table (metrics x columns)."""

    def __init__(self, controller: EvalController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.first = QLineEdit()
        self.first.setPlaceholderText("checkpoint.pt (a run's, or any file)")
        self.second = QLineEdit()
        self.second.setPlaceholderText("optional: a second checkpoint, same seeds")
        self.episodes = QSpinBox()
        self.episodes.setRange(1, 10_000)
        self.episodes.setValue(20)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(EVAL_SEED)
        self.seed.setToolTip("Episode i resets with seed + i (collect records from 0)")
        self.expert = QCheckBox("scripted expert on the same seeds")
        self.expert.setChecked(True)
        self.run_button = QPushButton("Evaluate")
        self.run_button.clicked.connect(self.start)
        self.status = QLabel("Pick a checkpoint (or Evaluate in the Train panel's runs list).")
        self.status.setWordWrap(True)
        self.table = QTableWidget(len(ROWS), 0)
        self.table.setVerticalHeaderLabels([r[0] for r in ROWS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        # Run names share a long prefix and differ at the end (the time): keep both ends.
        self.table.horizontalHeader().setTextElideMode(Qt.TextElideMode.ElideMiddle)

        form = QFormLayout()
        for label, edit in (("Checkpoint", self.first), ("Compare with", self.second)):
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            browse = QPushButton("…")
            browse.setFixedWidth(30)
            browse.clicked.connect(lambda _c=False, e=edit: self._on_browse(e))
            row.addWidget(browse)
            form.addRow(label, row)
        form.addRow("Episodes", self.episodes)
        form.addRow("First seed", self.seed)
        form.addRow("", self.expert)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(self.run_button)
        layout.addWidget(self.status)
        layout.addWidget(self.table, 1)
        controller.progressed.connect(lambda name: self.status.setText(f"Evaluating {name}…"))
        controller.evaluated.connect(self._on_evaluated)
        controller.failed.connect(self._on_failed)
        controller.running_changed.connect(lambda r: self.run_button.setEnabled(not r))

    def _on_browse(self, edit: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Checkpoint", edit.text(), "*.pt")
        if path:
            edit.setText(path)

    def set_checkpoint(self, path: str | Path) -> None:
        """Evaluate ``path`` next; the checkpoint shown before moves to "Compare with"."""
        old = self.first.text().strip()
        if old and old != str(path):
            self.second.setText(old)
        self.first.setText(str(path))

    def start(self) -> bool:
        """Evaluate the chosen checkpoint(s) in the background; False when none is chosen."""
        paths = [Path(t) for e in (self.first, self.second) if (t := e.text().strip())]
        if not paths or self.controller.running:
            self.status.setText("Pick a checkpoint first" if not paths else "Already evaluating")
            return False
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            self.status.setText(f"<span style='color:#e05040'>No such file: {missing[0]}</span>")
            return False
        self.status.setText("Evaluating…")
        self.controller.start(
            EvalRequest(
                checkpoints=paths,
                episodes=self.episodes.value(),
                seed=self.seed.value(),
                expert=self.expert.isChecked(),
            )
        )
        return True

    def _on_evaluated(self, result: dict) -> None:
        rows = result["rows"]
        self.table.setColumnCount(len(rows))
        self.table.setHorizontalHeaderLabels([r["label"] for r in rows])
        for c, row in enumerate(rows):
            header = self.table.horizontalHeaderItem(c)
            if header is not None:
                header.setToolTip(str(row.get("checkpoint", row["label"])))
        for c, row in enumerate(rows):
            for r, (_title, key, fmt) in enumerate(ROWS):
                value = row.get(key)
                item = QTableWidgetItem("–" if value is None else fmt.format(value))
                self.table.setItem(r, c, item)
        first, last = result["seeds"]
        self.status.setText(f"{result['env']}, seeds {first}–{last} (the same for every column)")

    def _on_failed(self, message: str) -> None:
        self.status.setText(f"<span style='color:#e05040'>Evaluation failed: {message}</span>")

    def cell(self, row: str, column: int) -> str:
        """The table's text at metric ``row`` (e.g. "success") and column (tests)."""
        r = [t for t, _k, _f in ROWS].index(row)
        item = self.table.item(r, column)
        return item.text() if item is not None else ""

    def columns(self) -> list[str]:
        """The column headers."""
        return [self.table.horizontalHeaderItem(c).text() for c in range(self.table.columnCount())]
