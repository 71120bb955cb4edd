"""A settings form generated from a dataclass: one editor per field, errors beside the field.

Fields with ``metadata["choices"]`` get a combo box, booleans a check box, everything else a
line edit holding the value as text (tuples as ``256,256``). ``metadata["help"]`` becomes the
tooltip. The form knows nothing of what the values mean: the owner parses :meth:`values` and
calls :meth:`set_error` with what its validation said.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


class ConfigForm(QWidget):
    """Editors for the fields of a dataclass.

    Signals:
        edited(): a value changed (the owner validates again).
    """

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setVerticalSpacing(2)
        self._editors: dict[str, QWidget] = {}
        self._errors: dict[str, QLabel] = {}
        self._defaults: dict[str, Any] = {}

    def set_dataclass(self, cls: type, values: dict[str, Any] | None = None) -> None:
        """Build the editors for ``cls``'s fields (defaults, or ``values`` where given)."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._editors.clear()
        self._errors.clear()
        defaults = cls()
        self._defaults = {f.name: getattr(defaults, f.name) for f in dataclasses.fields(cls)}
        for f in dataclasses.fields(cls):
            value = (values or {}).get(f.name, self._defaults[f.name])
            editor = self._editor(value, f.metadata.get("choices"))
            tip = (
                f"{f.name}: {f.metadata.get('help', '')} (default {_text(self._defaults[f.name])})"
            )
            editor.setToolTip(tip)
            error = QLabel()
            error.setStyleSheet("color: #e05040;")
            error.setWordWrap(True)
            error.hide()
            cell = QWidget()
            row = QHBoxLayout(cell)
            row.setContentsMargins(0, 0, 0, 0)
            row.addWidget(editor, 1)
            row.addWidget(error, 1)
            label = QLabel(f.name)
            label.setToolTip(tip)
            self._layout.addRow(label, cell)
            self._editors[f.name] = editor
            self._errors[f.name] = error

    def _editor(self, value: Any, choices: Any) -> QWidget:
        if choices:
            combo = QComboBox()
            combo.addItems([str(c) for c in choices])
            combo.setCurrentText(str(value))
            combo.currentTextChanged.connect(lambda _t: self.edited.emit())
            return combo
        if isinstance(value, bool):
            check = QCheckBox()
            check.setChecked(value)
            check.toggled.connect(lambda _c: self.edited.emit())
            return check
        line = QLineEdit(_text(value))
        line.textEdited.connect(lambda _t: self.edited.emit())
        return line

    # ----------------------------------------------------------------------------- values
    def fields(self) -> list[str]:
        """The field names, in form order."""
        return list(self._editors)

    def editor(self, name: str) -> QWidget:
        """The editor of field ``name``."""
        return self._editors[name]

    def set_value(self, name: str, value: Any) -> None:
        """Show ``value`` in field ``name``'s editor."""
        editor = self._editors[name]
        if isinstance(editor, QComboBox):
            editor.setCurrentText(str(value))
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(_text(value))
        self.edited.emit()

    def values(self, *, changed_only: bool = True) -> dict[str, Any]:
        """Field values as the editors hold them: text, or bool for check boxes.

        Args:
            changed_only: leave out fields still at their default (the record of a run then
                says what the person changed).
        """
        out: dict[str, Any] = {}
        for name, editor in self._editors.items():
            if isinstance(editor, QComboBox):
                value: Any = editor.currentText()
            elif isinstance(editor, QCheckBox):
                value = editor.isChecked()
            else:
                assert isinstance(editor, QLineEdit)
                value = editor.text().strip()
            if changed_only and value == (
                d if isinstance(d := self._defaults[name], bool) else _text(d)
            ):
                continue
            out[name] = value
        return out

    # ----------------------------------------------------------------------------- errors
    def set_error(self, name: str | None, text: str) -> None:
        """Show ``text`` beside field ``name`` (None: clear every message)."""
        for field, label in self._errors.items():
            show = name is not None and field == name and bool(text)
            label.setText(text if show else "")
            label.setVisible(show)

    def error(self, name: str) -> str:
        """The message beside field ``name`` ("" when none)."""
        label = self._errors[name]
        return label.text() if not label.isHidden() else ""
