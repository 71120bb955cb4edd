"""The Train panel's watch section: the live curves, the training doctor and the export buttons.

The curves are chosen by the kind of run: a loss (BC, cVAE) or GAIL's two-player picture
(discriminator loss and accuracy, mean D on expert and policy samples, learned reward against
the true return, success). The doctor (``doctor.py``) reads the same history.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.app.doctor import diagnose
from widgets.live_plot import LivePlot

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
    ("mean D (1 = 'expert')", [("d_expert", "D(expert)"), ("d_policy", "D(policy)")]),
    (
        "learned reward vs return",
        [
            ("learned_reward", "learned reward"),
            ("episode_return", "return"),
            ("eval_return", "eval", "points"),
        ],
    ),
    ("success", [("episode_success", "rollouts"), ("eval_success", "eval", "points")]),
    ("env steps/s", [("env_steps_per_s", "env steps/s")]),
]


class TrainingWatch(QWidget):
    """The curves of the current run, the doctor's hints under them, PNG and CSV export.

    Signals:
        message(text): something for the status bar.
    """

    message = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = LivePlot()
        self.plot.set_panels(LOSS_PANELS)
        self.plot.setMinimumHeight(180)
        self.doctor_label = QLabel()
        self.doctor_label.setWordWrap(True)
        self.doctor_label.setStyleSheet("background: #3a3020; color: #f0d890; padding: 4px;")
        self.doctor_label.hide()
        self.png_button = QPushButton("Export PNG…")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button.clicked.connect(lambda: self._on_export("png"))
        self.csv_button.clicked.connect(lambda: self._on_export("csv"))
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(self.plot, 1)
        col.addWidget(self.doctor_label)
        export = QHBoxLayout()
        export.addStretch(1)
        export.addWidget(self.png_button)
        export.addWidget(self.csv_button)
        col.addLayout(export)

    def set_kind(self, gail: bool) -> None:
        """GAIL's panels (two columns, by env steps) or a loss's (by step)."""
        if gail:
            self.plot.set_panels(GAIL_PANELS, "env steps", columns=2)
        else:
            self.plot.set_panels(LOSS_PANELS, "step")

    def clear(self) -> None:
        """A new run: no curves, no hints."""
        self.plot.clear_data()
        self.doctor_label.hide()

    def append(self, step: float, metrics: dict[str, float]) -> None:
        """One yield's metrics."""
        self.plot.append(step, metrics)

    def update_doctor(self, history: dict[str, list[float]], status: str, message: str) -> None:
        """Show the doctor's hints for the run's history (hidden when it has none)."""
        hints = diagnose(history, status=status, message=message)
        if hints:
            self.doctor_label.setText(
                "<b>Training doctor</b><br>"
                + "<br>".join(f"<b>{h.title}.</b> {h.text}" for h in hints)
            )
        self.doctor_label.setVisible(bool(hints))

    def _on_export(self, kind: str) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, f"Export the curves as {kind.upper()}", f"curves.{kind}", f"*.{kind}"
        )
        if path:
            self.export(kind, path)

    def export(self, kind: str, path: str | Path) -> Any:
        """Save the curves as ``png`` or ``csv``; returns the path written."""
        out = self.plot.export_png(path) if kind == "png" else self.plot.export_csv(path)
        self.message.emit(f"Curves saved to {out}")
        return out
