"""The session: which recordings file is open, its demos, and what a crash left in it.

Opening a file switches to its scene (one file holds one scene: ``recordings.scene_of``) and
offers back the recovered episodes — a crash's, or one left undecided when the studio closed:
the recorder commits them on opening, and every demo that awaits a decision (this opening's and
any earlier one's) is listed in :attr:`SessionController.recovered` and offered at every opening
until the person keeps or discards it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from recordings import Dataset, RecordingError, remove_recording
from studio.app.modes import Mode, ModeMachine
from studio.app.panels import scene_title
from studio.app.recorder import Recorder
from widgets.dataset_panel import DemoRow


class SessionController(QObject):
    """Opens, creates and edits the recordings file.

    Signals:
        file_changed(path): the open file changed ("" when none).
        demos_changed(): the demos or the header text changed (read :meth:`rows`, :attr:`header`).
        recovered_found(names): the opened file holds recovered demos awaiting keep or discard.
        warning(title, text): something went wrong; the studio goes on.
    """

    file_changed = Signal(str)
    demos_changed = Signal()
    recovered_found = Signal(list)
    warning = Signal(str, str)

    def __init__(
        self,
        recorder: Recorder,
        modes: ModeMachine,
        scene_id: Callable[[], str],
        switch_scene: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        """Args:
        recorder: the recorder whose file this is.
        modes: the studio's mode (files change only while no episode is open).
        scene_id: the live scene's id.
        switch_scene: switch the live scene (raises ValueError when it cannot be opened).
        """
        super().__init__(parent)
        self.recorder = recorder
        self._modes = modes
        self._scene_id = scene_id
        self._switch_scene = switch_scene
        self.header = ""
        self.recovered: list[str] = []
        self._rows: list[DemoRow] = []
        recorder.demos_changed.connect(self.refresh)

    @property
    def path(self) -> Path | None:
        """The open file."""
        return self.recorder.path

    def busy_reason(self) -> str:
        """Why the file cannot change now ("" when it can)."""
        if self._modes.mode in (Mode.RECORDING, Mode.PENDING):
            return "Stop the recording and keep or discard the episode first"
        if self._modes.mode is Mode.RELABEL:
            return "Save the labels (Return) or stop relabelling (Esc) first"
        return ""

    # ----------------------------------------------------------------------------- files
    def open(self, path: str | Path) -> bool:
        """Open or create a recordings file and switch to its scene.

        When the file cannot be read, or holds a scene the studio cannot open (e.g. a robomimic
        file of "Lift"), the file that was open before is opened again, a warning is emitted
        and False is returned.
        """
        previous = self.recorder.path
        try:
            self.recorder.open(path)
            env_name = self.recorder.file_scene()
        except Exception as exc:  # a corrupt or locked file must not take the studio down
            self._failed(f"Could not open {path}: {exc}", previous)
            return False
        if env_name and env_name != self._scene_id():
            try:
                self._switch_scene(env_name)  # a file holds demos of one scene
            except ValueError as exc:
                self._failed(
                    f"Could not open {path}: its demos are of the scene {env_name!r}, which the "
                    f"studio cannot open ({exc}). Staying on {scene_title(self._scene_id())}.",
                    previous,
                )
                return False
        try:
            self.recovered = self.recorder.awaiting()
        except RecordingError as exc:  # unreadable now: the demos panel says why
            self.recovered = []
            self.warning.emit("Recordings", str(exc))
        self.file_changed.emit(str(self.recorder.path))
        self.refresh()
        if self.recovered:
            self.recovered_found.emit(list(self.recovered))
        return True

    def new(self, path: str | Path, *, confirm: Callable[[str], bool]) -> bool:
        """Replace ``path`` by an empty recordings file and open it.

        Replacing the open file when it holds demos asks ``confirm(question)`` first.
        """
        path = Path(path)
        previous = self.recorder.path
        same = previous is not None and path.resolve() == previous.resolve()
        count = demo_count(path) if same else 0
        if count and not confirm(
            f"{path.name} is the open recordings file and holds {count} demos. "
            "Delete them and start an empty file?"
        ):
            return False
        self.recorder.close()
        try:
            remove_recording(path, missing_ok=True)
        except (OSError, RecordingError) as exc:
            self._failed(f"Could not replace {path}: {exc}", previous)
            return False
        return self.open(path)

    def _failed(self, text: str, previous: Path | None) -> None:
        self.recorder.close()
        if previous is not None:
            # It was fine a moment ago; if not any more, run without a file.
            with contextlib.suppress(Exception):
                self.recorder.open(previous)
        self.warning.emit("Recordings", text)
        self.file_changed.emit(str(self.recorder.path) if self.recorder.path else "")
        self.refresh()

    def close(self) -> None:
        """Commit what is being recorded and close the file."""
        self.recorder.close()

    # ----------------------------------------------------------------------------- recovered
    def keep_recovered(self) -> bool:
        """The person keeps the recovered episodes (no longer offered at the next opening)."""
        return self._decide(True)

    def discard_recovered(self) -> bool:
        """The person does not want the recovered episodes: delete them."""
        return self._decide(False)

    def _decide(self, keep: bool) -> bool:
        names, self.recovered = self.recovered, []

        def decide() -> None:
            present = set(self.recorder.demos)
            for name in names:
                if name in present:
                    self.recorder.decide(name, keep)

        return self.guarded(decide)

    # ----------------------------------------------------------------------------- demos
    def refresh(self) -> None:
        """Re-read the demos (cached attributes: only changed demos are read again)."""
        rec = self.recorder
        if not rec.is_open or rec.path is None:
            self.header = "No recordings file — File ▸ New… or Open…"
            self._rows = []
            self.demos_changed.emit()
            return
        try:
            infos = rec.infos(rec.demos)
        except Exception as exc:  # unreadable file: say so, keep the studio running
            self.header = f"Cannot read {rec.path}: {exc}"
            self.demos_changed.emit()
            return
        self._rows = [
            DemoRow(
                name=info.name,
                source=str(info.source),
                num_samples=int(info.num_samples),
                success=None if info.success is None else bool(info.success),
                created=str(info.created)[5:16].replace("T", " "),  # MM-DD HH:MM (UTC)
                tags=list(info.tags or []),
                device=str(info.device or ""),
                notes=str(info.notes or ""),
            )
            for info in infos
        ]
        header = f"<b>{rec.path.name}</b> — {len(self._rows)} demos  ({rec.path})"
        stored = rec.file_scene() if self._rows else None
        if stored not in (None, self._scene_id()):
            # One file holds one scene's demos: say so before the person tries to record.
            header += (
                f"<br><span style='color:#d08020'>Demos of {scene_title(stored)}: "
                "open or create another file to record this scene.</span>"
            )
        self.header = header
        self.demos_changed.emit()

    def rows(self) -> list[DemoRow]:
        """The demos as the panel shows them."""
        return list(self._rows)

    def guarded(self, fn: Callable[[], object]) -> bool:
        """Run an edit; a failure (name taken, read-only file) becomes a warning."""
        try:
            fn()
        except Exception as exc:
            self.warning.emit("Recordings", str(exc))
            return False
        return True


def demo_count(path: Path) -> int:
    """How many demos a recordings file holds (0 when it is missing or unreadable)."""
    try:
        with Dataset(path, lenient=True) as ds:
            return len(ds.demos)
    except Exception:
        return 0
