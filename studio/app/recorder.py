"""Recording: one open recordings file, the episode being written, and the keep/discard decision.

Each step is appended to the file as it happens (the writer is crash-safe), so a crash loses at
most the steps since the last flush. When an episode ends the recorder holds it as *pending*
until the person keeps or discards it; anything that moves on (a new recording, a reset, closing
the window) applies the default: keep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from recordings import Dataset, Provenance, RecordingError, RecordingFile
from studio.app.scene import Step

_PROVENANCE = {"human": Provenance.HUMAN, "scripted": Provenance.SCRIPTED}


class Recorder(QObject):
    """Writes human demonstrations of the live scene into one recordings file.

    Signals:
        file_opened(path): a recordings file was opened or created ("" when closed).
        recording_started(): an episode began.
        recording_stopped(reason, success): the episode ended and awaits keep/discard.
        episode_saved(name): the pending episode was committed.
        episode_discarded(): the pending episode was dropped (or one stopped before its first
            step: there was nothing to keep).
        keep_failed(message): committing the pending episode failed (e.g. disk full); its journal
            stays beside the file and is recovered the next time the file is opened.
        demos_changed(): the list of demos or their attributes changed.
    """

    file_opened = Signal(str)
    recording_started = Signal()
    recording_stopped = Signal(str, bool)
    episode_saved = Signal(str)
    episode_discarded = Signal()
    keep_failed = Signal(str)
    demos_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._file: RecordingFile | None = None
        self._writer: Any = None
        self._env_args: dict[str, Any] | None = None
        self.steps = 0
        self.recording = False
        self.pending = False
        self.pending_success = False
        self.pending_reason = ""
        self.device = "keyboard"
        self.source = "human"
        # The newest step is held back one step so that the last step of a demo can be written
        # with done=1 whatever ended it (robomimic marks the last step of every demo done).
        self._held: dict[str, Any] | None = None
        self.last_saved: str | None = None
        self.recovered: list[str] = []
        # DemoInfo by demo name. Reading one demo's attributes costs ~1 ms with h5py, so the
        # demos panel would stall for a second on a 1,000-demo file after every edit without it;
        # every method that changes a demo drops that demo's entry.
        self._info_cache: dict[str, Any] = {}

    # ----------------------------------------------------------------------------- file
    @property
    def is_open(self) -> bool:
        """Whether a recordings file is open."""
        return self._file is not None

    def open(self, path: str | Path) -> None:
        """Open (or create) a recordings file; episodes left by a crash are recovered."""
        self.close()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = RecordingFile(path, mode="a")
        self.path = path
        self._info_cache.clear()
        self.recovered = list(self._file.recover() or [])
        self.file_opened.emit(str(path))
        self.demos_changed.emit()

    def file_env_args(self) -> dict[str, Any] | None:
        """The ``env_args`` stored in the file, or None for a new file."""
        if self.path is None:
            return None
        with Dataset(self.path, lenient=True) as ds:
            return dict(ds.env_args) or None

    def close(self) -> None:
        """Finish whatever is in progress (kept) and close the file."""
        self.finish_for_exit()
        if self._file is not None:
            self._file.close()
            self._file = None
            self._info_cache.clear()
            self.path = None
            self._env_args = None
            self.file_opened.emit("")

    # ----------------------------------------------------------------------------- episodes
    def start(self, env: Any, device: str, *, source: str = "human") -> None:
        """Begin an episode of ``env`` (call right after its reset).

        Args:
            env: the live scene's env.
            device: what drove it ("keyboard", "gamepad:<name>", "scripted expert").
            source: who drove: "human" or "scripted" (a scripted expert).
        """
        if source not in _PROVENANCE:
            raise ValueError(f"source must be one of {sorted(_PROVENANCE)}, not {source!r}")
        if self._file is None:
            raise RuntimeError("no recordings file is open: File ▸ New… or Open… first")
        self.resolve_pending()
        args = env.env_args()
        if self._env_args != args:
            stored = self.file_env_args()
            if stored and stored.get("env_name") != args["env_name"] and self.demos:
                raise RuntimeError(
                    f"{self.path.name} holds demos of {stored.get('env_name')}, not "
                    f"{args['env_name']}: open or create another recordings file for this scene"
                )
            self._file.set_env(args, env.model_xml)
            self._env_args = args
        self.device = device
        self.source = source
        self._writer = self._file.begin_episode(source=source, device=device, notes="")
        self._held = None
        self.steps = 0
        self.recording = True
        self.recording_started.emit()

    def append(self, env: Any, step: Step) -> None:
        """Write one control step (``step.state`` is the state before it)."""
        if not self.recording:
            return
        self._write_held(done=False)
        self._held = dict(
            obs=env.split_obs(step.obs),
            action=np.asarray(step.action, dtype=np.float32),
            reward=step.reward,
            # robomimic's rule: an episode that ended for any reason (success, failure or the
            # time limit) is done; `collect` writes the same.
            done=bool(step.terminated or step.truncated),
            state=step.state,
            next_obs=env.split_obs(step.next_obs),
            provenance=_PROVENANCE[self.source],
        )
        self.steps += 1

    def _write_held(self, *, done: bool) -> None:
        if self._held is None:
            return
        held, self._held = self._held, None
        held["done"] = bool(held["done"] or done)
        self._writer.append(**held)

    def stop(self, reason: str, success: bool) -> None:
        """End the episode; it waits for :meth:`keep` or :meth:`discard`.

        An episode stopped before its first step has nothing to keep: it is discarded at once
        and ``episode_discarded`` is emitted, so the window goes back to live driving.
        """
        if not self.recording:
            return
        self.recording = False
        if self.steps == 0:
            self._writer.discard()  # nothing recorded: nothing to ask about
            self._writer = None
            self._held = None
            self.episode_discarded.emit()
            return
        self._write_held(done=True)  # the last step of a demo is done, whoever stopped it
        self.pending = True
        self.pending_success = success
        self.pending_reason = reason
        self.recording_stopped.emit(reason, success)

    def keep(self) -> str | None:
        """Commit the pending episode; returns its name (None when the commit failed).

        A failed commit (disk full, file locked) emits ``keep_failed`` and clears the pending
        state; the episode's journal stays on disk and ``RecordingFile.recover()`` commits it
        the next time the file is opened.
        """
        if not self.pending:
            return None
        writer, self._writer = self._writer, None
        self.pending = False
        try:
            name = writer.finish(success=bool(self.pending_success))
        except RecordingError as exc:
            writer.abandon()
            self.keep_failed.emit(str(exc))
            return None
        self.last_saved = name
        self.episode_saved.emit(name)
        self.demos_changed.emit()
        return name

    def discard(self) -> None:
        """Drop the pending (or running) episode; nothing of it stays in the file."""
        if not (self.pending or self.recording):
            return
        self._writer.discard()
        self._writer = None
        self._held = None
        self.pending = self.recording = False
        self.steps = 0
        self.episode_discarded.emit()

    def resolve_pending(self) -> None:
        """Apply the default decision (keep) to a pending episode."""
        if self.pending:
            self.keep()

    def finish_for_exit(self) -> None:
        """Quit/close while recording: commit what was recorded so far."""
        if self.recording:
            self.stop("stopped", False)
        self.resolve_pending()

    # ----------------------------------------------------------------------------- demos
    @property
    def demos(self) -> list[str]:
        """Names of the committed demos."""
        return list(self._file.demos) if self._file is not None else []

    def info(self, name: str) -> Any:
        """``DemoInfo`` of a committed demo."""
        return self.infos([name])[0]

    def infos(self, names: list[str]) -> list[Any]:
        """``DemoInfo`` of several demos; those not cached are read in one opening of the file."""
        missing = [n for n in names if n not in self._info_cache]
        if missing:
            with self._reader() as ds:
                self._info_cache.update((n, ds.info(n)) for n in missing)
        return [self._info_cache[n] for n in names]

    def episode(self, name: str) -> Any:
        """The recorded ``Episode`` (arrays in memory)."""
        with self._reader() as ds:
            return ds.episode(name)

    def _reader(self) -> Dataset:
        # The RecordingFile opens the HDF5 file only while it commits a change, so a short-lived
        # reader sees every committed demo and never holds the file across a write.
        if self.path is None:
            raise RuntimeError("no recordings file is open")
        return Dataset(self.path, lenient=True)

    def rename(self, old: str, new: str) -> None:
        """Rename a demo."""
        assert self._file is not None
        self._file.rename(old, new)
        self._info_cache.pop(old, None)
        self.demos_changed.emit()

    def set_tags(self, name: str, tags: list[str]) -> None:
        """Replace a demo's tags."""
        assert self._file is not None
        self._file.set_attrs(name, tags=list(tags))
        self._info_cache.pop(name, None)
        self.demos_changed.emit()

    def delete(self, names: list[str]) -> None:
        """Delete demos."""
        assert self._file is not None
        for name in names:
            self._file.delete(name)
            self._info_cache.pop(name, None)
        self.demos_changed.emit()
