"""The Train panel's settings: algorithm, demos, observation parts, device, seed and the form.

The settings form is generated from the chosen algorithm's config dataclass (a newly registered
algorithm appears here with no GUI code); its validation is the config's own ``ValueError``,
shown beside the field it names.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from widgets.config_form import ConfigForm

ALL_DEMOS, SELECTED = "all demos", "selected rows in Demos"


class TrainSettings(QWidget):
    """What a run trains: the choices above the form, and the algorithm's own settings.

    Signals:
        algorithm_changed(name): another algorithm was chosen (its form is shown).
        edited(): any setting changed (read :meth:`config_error`).
    """

    algorithm_changed = Signal(str)
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ready = False
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
        self.form.edited.connect(self.edited)

        top = QFormLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addRow("Algorithm", self.algo_combo)
        top.addRow("Demos", self.demos_combo)
        top.addRow("Observation parts", self.parts_edit)
        device_row = QHBoxLayout()
        device_row.addWidget(self.device_combo)
        device_row.addWidget(self.device_label, 1)
        top.addRow("Device", device_row)
        top.addRow("Seed", self.seed_spin)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(top)
        col.addWidget(QLabel("<b>Settings</b> (hover a name for what it does)"))
        col.addWidget(self.form)
        col.addStretch(1)

    def set_algorithms(self, names: list[str]) -> None:
        """Torch has loaded: list the registered algorithms and show the first one's form."""
        self._ready = True
        self.algo_combo.blockSignals(True)
        self.algo_combo.clear()
        self.algo_combo.addItems(names)
        self.algo_combo.blockSignals(False)
        self._on_algorithm_changed(self.algo_combo.currentText())
        self._on_device_changed(self.device_combo.currentText())

    def set_enabled(self, on: bool) -> None:
        """Allow or forbid changing the settings (not while a run trains)."""
        for w in (self.algo_combo, self.demos_combo, self.parts_edit, self.device_combo):
            w.setEnabled(on)
        self.form.setEnabled(on)
        self.seed_spin.setEnabled(on)

    def set_choices(self, masks: list[str], default_parts: list[str]) -> None:
        """The file's masks (demo choices) and the scene's default observation parts."""
        current = self.demos_combo.currentText()
        self.demos_combo.clear()
        self.demos_combo.addItem(ALL_DEMOS)
        self.demos_combo.addItems([f"mask: {m}" for m in masks])
        self.demos_combo.addItem(SELECTED)
        i = self.demos_combo.findText(current)
        self.demos_combo.setCurrentIndex(max(i, 0))
        self.parts_edit.setPlaceholderText(
            f"scene default: {','.join(default_parts)}"
            if default_parts
            else "every part (scene default)"
        )

    def show_device(self, device: str) -> None:
        """The device a run trains on."""
        self.device_label.setText(f"→ trains on <b>{device}</b>")
        self.device_label.setStyleSheet("")

    # ----------------------------------------------------------------------------- values
    def algorithm(self) -> str:
        """The chosen algorithm's name."""
        return self.algo_combo.currentText()

    def overrides(self) -> dict[str, Any]:
        """The form's values (the config's fields)."""
        return self.form.values()

    def demos_choice(self) -> str:
        """``ALL_DEMOS``, ``SELECTED`` or ``"mask: <name>"``."""
        return self.demos_combo.currentText()

    def parts(self) -> str | None:
        """The observation parts typed (None: the scene's default)."""
        return self.parts_edit.text().strip() or None

    def device(self) -> str:
        """``auto``, ``cpu`` or ``cuda``."""
        return self.device_combo.currentText()

    def seed(self) -> int:
        """The run's seed."""
        return self.seed_spin.value()

    # ----------------------------------------------------------------------------- validation
    def _on_algorithm_changed(self, name: str) -> None:
        if not name:
            return
        import algorithms

        self.form.set_dataclass(algorithms.get(name).config_cls)
        self.algorithm_changed.emit(name)
        self.edited.emit()

    def _on_device_changed(self, device: str) -> None:
        if not self._ready:
            return
        import algorithms

        try:
            self.show_device(algorithms.resolve_device(device))
        except ValueError as exc:
            self.device_label.setText(str(exc))
            self.device_label.setStyleSheet("color: #e05040;")

    def config_error(self) -> tuple[str | None, str]:
        """``(field, message)`` of the settings' validation ("" when they are valid)."""
        import algorithms

        try:
            algorithms.make_config(self.algorithm(), self.form.values())
        except ValueError as exc:
            text = str(exc)
            named = [f for f in self.form.fields() if _position(f, text) >= 0]
            # The message's first field name is the one at fault ("steps must be >= 1").
            named.sort(key=lambda f: _position(f, text))
            return (named[0] if named else None), text
        return None, ""


def _position(field: str, text: str) -> int:
    """Where the word ``field`` first appears in ``text`` (-1: it does not)."""
    m = re.search(rf"\b{re.escape(field)}\b", text)
    return m.start() if m else -1
