"""Small status views: the episode-end prompt bar and a key-bindings table."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)


class EpisodeEndBar(QFrame):
    """A non-blocking bar asking whether to keep the episode just recorded.

    Signals:
        kept(): "Keep" was pressed.
        discarded(): "Discard" was pressed.
    """

    kept = Signal()
    discarded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EpisodeEndBar")
        self._label = QLabel()
        self._label.setTextFormat(Qt.TextFormat.RichText)
        self._keep = QPushButton("Keep  (Enter)")
        self._discard = QPushButton("Discard  (Backspace)")
        for b in (self._keep, self._discard):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._keep.clicked.connect(self.kept)
        self._discard.clicked.connect(self.discarded)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._keep)
        layout.addWidget(self._discard)
        self.hide()

    def ask(
        self, text: str, success: bool, *, keep: str = "Keep", discard: str = "Discard"
    ) -> None:
        """Show the bar with ``text``; green when the episode succeeded, amber otherwise.

        ``keep`` and ``discard`` label the buttons (with their keys, e.g. ``"Keep  (Enter)"``).
        """
        self._keep.setText(keep)
        self._discard.setText(discard)
        color = "#1f5f3a" if success else "#6b4a12"
        self.setStyleSheet(
            f"#EpisodeEndBar {{ background: {color}; border-radius: 6px; }}"
            " #EpisodeEndBar QLabel { color: white; }"
        )
        self._label.setText(text)
        self.show()

    def text(self) -> str:
        """The question shown."""
        return self._label.text()

    def click_keep(self) -> None:
        """Press "Keep" (automation, tests)."""
        self._keep.click()

    def click_discard(self) -> None:
        """Press "Discard"."""
        self._discard.click()

    def button_texts(self) -> tuple[str, str]:
        """The keep and discard buttons' labels."""
        return self._keep.text(), self._discard.text()


class BindingsTable(QTreeWidget):
    """Two columns (key, what it does) grouped in sections, for the help panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(2)
        self.setHeaderLabels(["Key / button", "Does"])
        self.setRootIsDecorated(False)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.setIndentation(8)

    def set_sections(self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> None:
        """Show ``[(section title, [(keys, description), ...]), ...]``."""
        self.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for title, rows in sections:
            head = QTreeWidgetItem([title, ""])
            head.setFont(0, bold)
            self.addTopLevelItem(head)
            head.setFirstColumnSpanned(True)
            for keys, what in rows:
                item = QTreeWidgetItem([keys, what])
                self.addTopLevelItem(item)
        self.expandAll()
