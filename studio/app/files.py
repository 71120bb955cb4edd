"""The file dialogs of the window: File ▸ New and Open, and the question before replacing."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

if TYPE_CHECKING:
    from studio.app.window import MainWindow

_FILTER = "HDF5 recordings (*.h5 *.hdf5)"


class FileDialogs:
    """Asks the person for recordings files and hands them to the session."""

    def __init__(self, window: MainWindow) -> None:
        self.w = window

    def _refused(self) -> bool:
        """True (and says why) when no file may change now: an episode is open."""
        busy = self.w.session.busy_reason()
        if busy:
            self.w.presenter.refused(busy)
        return bool(busy)

    def open(self, path: str | Path) -> bool:
        """Open or create a recordings file; remembered for the next launch once it opened."""
        if self._refused():
            return False
        self.w.leave_playback()
        if not self.w.session.open(path):
            return False
        self.w.settings.last_file = str(Path(path).resolve())
        return True

    def new(self, path: str | Path, *, confirmed: bool = False) -> bool:
        """Replace ``path`` by an empty file and open it; asks first when it is the open one."""
        if self._refused():
            return False
        self.w.leave_playback()

        def confirm(question: str) -> bool:
            answer = QMessageBox.question(
                self.w,
                "New recordings file",
                question,
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            return answer == QMessageBox.StandardButton.Yes

        if not self.w.session.new(path, confirm=(lambda _q: True) if confirmed else confirm):
            return False
        self.w.settings.last_file = str(Path(path).resolve())
        return True

    def on_new(self) -> None:
        """File ▸ New: choose where, then start an empty file there."""
        if self._refused():
            return
        start = self.w.settings.last_file or str(Path.home() / "demos.h5")
        path, _ = QFileDialog.getSaveFileName(self.w, "New recordings file", start, _FILTER)
        if path:
            self.new(path)

    def on_open(self) -> None:
        """File ▸ Open."""
        if self._refused():
            return
        path, _ = QFileDialog.getOpenFileName(
            self.w, "Open recordings file", self.w.settings.last_file, _FILTER
        )
        if path:
            self.open(path)

    def ask_for_new(self) -> bool:
        """Recording with no file open: ask for one; True when one is open afterwards."""
        self.on_new()
        return self.w.recorder.is_open
