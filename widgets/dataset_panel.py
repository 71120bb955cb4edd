"""A table of recorded demonstrations with play, rename, tag and delete actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

COLUMNS = ("Name", "Steps", "Success", "Source", "Created (UTC)", "Tags")


@dataclass
class DemoRow:
    """One row of the table: what the panel shows about a demo."""

    name: str
    source: str = ""
    num_samples: int = 0
    success: bool | None = None
    created: str = ""
    tags: list[str] = field(default_factory=list)
    device: str = ""
    notes: str = ""


def _source_text(row: DemoRow) -> str:
    """``human · gamepad``: who drove, and the device kind when it adds something.

    Only the kind: a pad's full name would push the tags out of the panel (it is in the
    tooltip), and "scripted · scripted expert" says the same thing twice.
    """
    kind = row.device.split(":")[0].strip()
    return f"{row.source} · {kind}" if kind and row.source not in kind else row.source


class DatasetPanel(QWidget):
    """Lists demos; the owner applies the edits it asks for and then calls :meth:`set_rows`.

    Signals:
        demo_selected(name): the current row changed ("" when none).
        demo_activated(name): a demo was double-clicked or "Play" pressed.
        rename_requested(old, new): the person typed a new name.
        tags_edited(name, tags): the person typed new comma-separated tags.
        delete_requested(names): the person confirmed deleting these demos.
    """

    demo_selected = Signal(str)
    demo_activated = Signal(str)
    rename_requested = Signal(str, str)
    tags_edited = Signal(str, list)
    delete_requested = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[DemoRow] = []
        self._header = QLabel("No recordings file — File ▸ New… or Open…")
        self._header.setWordWrap(True)
        self._table = QTableWidget(0, len(COLUMNS))
        self._table.setHorizontalHeaderLabels(COLUMNS)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setAlternatingRowColors(True)
        self._table.verticalHeader().setVisible(False)
        self._table.verticalHeader().setDefaultSectionSize(22)
        hh = self._table.horizontalHeader()
        # Every column but the name fits its content; the name takes what is left and elides
        # (its tooltip has it whole). A stretched *last* column was cut off by the panel's
        # edge as soon as the others outgrew the dock: the tags were the part lost.
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        hh.setStretchLastSection(False)
        self._table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self._table.customContextMenuRequested.connect(self._on_context_menu)
        self._table.itemSelectionChanged.connect(self._on_selection_changed)
        self._table.cellDoubleClicked.connect(lambda r, _c: self._on_play())

        self._play_btn = QPushButton("▶ Play")
        self._rename_btn = QPushButton("Rename…")
        self._tag_btn = QPushButton("Tags…")
        self._delete_btn = QPushButton("Delete")
        self._play_btn.clicked.connect(self._on_play)
        self._rename_btn.clicked.connect(self._on_rename)
        self._tag_btn.clicked.connect(self._on_tags)
        self._delete_btn.clicked.connect(self._on_delete)
        buttons = QHBoxLayout()
        for b in (self._play_btn, self._rename_btn, self._tag_btn, self._delete_btn):
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(b)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._header)
        layout.addWidget(self._table, 1)
        layout.addLayout(buttons)
        self._update_buttons()

    # ----------------------------------------------------------------------------- model -> view
    def set_header(self, text: str) -> None:
        """The line above the table (e.g. the file path and the number of demos)."""
        self._header.setText(text)

    def set_rows(self, rows: Sequence[DemoRow]) -> None:
        """Replace the table's content, keeping the selection where the name still exists."""
        current = self.selected()
        self._rows = list(rows)
        self._table.blockSignals(True)
        self._table.setRowCount(len(self._rows))
        for r, row in enumerate(self._rows):
            ok = {True: "✓", False: "✗", None: "–"}[row.success]
            # A relabel demo replays its rollout's states with a person's corrected actions:
            # its success is the rollout's, and a bare ✗ read as "these labels failed".
            relabel = row.source == "relabel" and row.success is not None
            if relabel:
                ok = f"rollout {ok}"
            values = (
                row.name,
                str(row.num_samples),
                ok,
                _source_text(row),
                row.created,
                ", ".join(row.tags),
            )
            for c, text in enumerate(values):
                item = QTableWidgetItem(text)
                if c in (1, 2):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if c == 2 and row.success is not None:
                    colour = "#3cb371" if row.success else "#e0603c"
                    item.setForeground(QColor("#909090" if relabel else colour))
                if c == 2 and relabel:
                    item.setToolTip(
                        "How the relabelled rollout ended when the policy drove it; the "
                        "labels are the corrections, not a new attempt."
                    )
                elif c == 0:
                    item.setToolTip(row.name + (f"\n{row.notes}" if row.notes else ""))
                elif c == 3 and row.device:
                    item.setToolTip(row.device)
                elif row.notes:
                    item.setToolTip(row.notes)
                self._table.setItem(r, c, item)
        self._table.blockSignals(False)
        if current is not None:
            self.select(current)
        self._update_buttons()

    def rows(self) -> list[DemoRow]:
        """The rows shown."""
        return list(self._rows)

    def select(self, name: str) -> bool:
        """Select the row named ``name``; returns whether it exists."""
        for r, row in enumerate(self._rows):
            if row.name == name:
                self._table.selectRow(r)
                return True
        return False

    def selected(self) -> str | None:
        """The name of the current demo, or None."""
        rows = self._table.selectionModel().selectedRows()
        if not rows:
            return None
        r = rows[0].row()
        return self._rows[r].name if r < len(self._rows) else None

    def column_visible(self, title: str) -> bool:
        """Whether column ``title`` is shown whole, without scrolling (layout checks)."""
        c = COLUMNS.index(title)
        hh = self._table.horizontalHeader()
        left = hh.sectionViewportPosition(c)
        return left >= 0 and left + hh.sectionSize(c) <= self._table.viewport().width()

    def rows_in_view(self) -> int:
        """How many whole rows the table's viewport has room for (layout checks)."""
        return self._table.viewport().height() // self._table.verticalHeader().defaultSectionSize()

    def play_selected(self) -> None:
        """What the Play button does: ask to play the selected demo."""
        self._on_play()

    def selected_names(self) -> list[str]:
        """All selected demo names, in table order."""
        rows = sorted(i.row() for i in self._table.selectionModel().selectedRows())
        return [self._rows[r].name for r in rows if r < len(self._rows)]

    # ----------------------------------------------------------------------------- actions
    def _update_buttons(self) -> None:
        has = self.selected() is not None
        for b in (self._play_btn, self._rename_btn, self._tag_btn, self._delete_btn):
            b.setEnabled(has)

    def _on_selection_changed(self) -> None:
        self._update_buttons()
        self.demo_selected.emit(self.selected() or "")

    def _on_play(self) -> None:
        name = self.selected()
        if name:
            self.demo_activated.emit(name)

    def _on_rename(self) -> None:
        name = self.selected()
        if not name:
            return
        new, ok = QInputDialog.getText(
            self, "Rename demo", "New name:", QLineEdit.EchoMode.Normal, name
        )
        new = new.strip()
        if ok and new and new != name:
            self.rename_requested.emit(name, new)

    def _on_tags(self) -> None:
        name = self.selected()
        if not name:
            return
        row = next(r for r in self._rows if r.name == name)
        text, ok = QInputDialog.getText(
            self, "Tags", "Comma-separated tags:", QLineEdit.EchoMode.Normal, ", ".join(row.tags)
        )
        if ok:
            self.tags_edited.emit(name, [t.strip() for t in text.split(",") if t.strip()])

    def _on_delete(self) -> None:
        names = self.selected_names()
        if not names:
            return
        what = names[0] if len(names) == 1 else f"{len(names)} demos"
        answer = QMessageBox.question(
            self, "Delete demos", f"Delete {what} from the recordings file? This cannot be undone."
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(names)

    def _on_context_menu(self, pos) -> None:
        if self.selected() is None:
            return
        menu = QMenu(self)
        for text, slot in (
            ("Play", self._on_play),
            ("Rename…", self._on_rename),
            ("Tags…", self._on_tags),
            ("Delete", self._on_delete),
        ):
            action = QAction(text, menu)
            action.triggered.connect(slot)
            menu.addAction(action)
        menu.exec(self._table.viewport().mapToGlobal(pos))
