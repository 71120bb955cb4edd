"""RecordingFile: a recordings file to record into, edit, and recover crashed episodes into.

Recording and committing live in ``committing.py``, editing in ``editing.py``, the file's
plumbing in ``fileaccess.py``; this module adds recovery and the decisions about recovered demos.
"""

from __future__ import annotations

import os
from typing import Any

from .committing import Committing
from .editing import Editing
from .layout import awaiting_names, set_awaiting
from .scene import SceneMismatchError, stored_env_name
from .schema import RecordingError, natural_key
from .sidecar import read_sidecar, sidecar_paths, try_lock


class RecordingFile(Committing, Editing):
    """A recordings file open for recording and editing (``mode="a"``) or reading (``"r"``).

    The HDF5 file is opened only for the moment of each change, inside a journaled transaction
    (see ``recordings/journal.py``), so readers can open it at any time and a crash at any moment
    leaves it as it was after the last completed change.

    Args:
        path: the ``.h5`` file; created (empty) in mode ``"a"`` if missing.
        mode: ``"a"`` (read/write) or ``"r"`` (read-only).
        flush_interval: the longest time (s) recorded steps stay only in memory.
        on_wait: called with ``busy_message`` ("<file> (or another file in its folder) is
            being written by another process; waiting", or "read or written" before a change)
            when another process's commit or read must end first (default: a
            ``FileBusyWarning``); None says nothing.
        lock_timeout: seconds to wait for it before giving up with a RecordingError.

    Raises:
        RecordingError: the file cannot be created or opened, naming the path and the problem.
    """

    def pending_recovery(self) -> int:
        """How many episodes were left in progress (a crash, a failed commit, or left
        undecided at close) that ``recover()`` can commit; see also :meth:`stranded`."""
        journals = self._unlocked_journals()
        return len(journals) - len(self._stranded(journals))

    def _unlocked_journals(self) -> list[str]:
        found = []
        for sidecar in sidecar_paths(self.path):
            fd = try_lock(sidecar)
            if fd is not None:  # else a live writer holds it
                os.close(fd)
                found.append(sidecar)
        return found

    def stranded(self) -> list[dict[str, Any]]:
        """Journals that can never go into this file: recorded for another scene.

        Returns:
            One ``{"path", "env_name", "steps"}`` per journal. They stay on disk (a person's
            recording is not ours to delete); ``remove_recording()`` or deleting the file at
            ``path`` gets rid of one.
        """
        return self._stranded(self._unlocked_journals())

    def _stranded(self, journals: list[str]) -> list[dict[str, Any]]:
        with self._read() as f:
            scene = stored_env_name(f) if len(f["data"]) else None
        out: list[dict[str, Any]] = []
        if scene is None:
            return out
        for sidecar in journals:
            try:
                meta, _, n = read_sidecar(sidecar)
            except RecordingError:
                continue
            args = meta.get("env_args")
            other = args.get("env_name") if isinstance(args, dict) else None
            if other is not None and other != scene:
                out.append({"path": sidecar, "env_name": other, "steps": n})
        return out

    def awaiting_decision(self) -> list[str]:
        """Demos ``recover()`` committed that nobody has kept or discarded yet.

        Kept in the file, so a studio offers them again at every opening until
        :meth:`decide` is called for each.
        """
        with self._read() as f:
            return awaiting_names(f)

    def decide(self, name: str, keep: bool) -> None:
        """A person's answer for a recovered demo: keep it (no longer awaiting) or delete it."""
        if not keep:
            self.delete(name)  # also drops it from the awaiting list
            return
        with self._write() as f:
            self._demo(f, name)
            set_awaiting(f, [n for n in awaiting_names(f) if n != name])

    def recover(self) -> list[str]:
        """Commit every crashed in-progress episode up to its last flush.

        Returns:
            Names of the demos recovered. They keep their source and get ``recovered=True``;
            ``success`` is only set if the episode had reached ``finish()``; their last step
            is done. An episode of another scene than the file's (its commit was refused) is
            left where it is.
        """
        if self.mode == "r":
            raise RecordingError(f"{self.path}: opened read-only; cannot recover")
        names = []
        for sidecar in sidecar_paths(self.path):
            fd = try_lock(sidecar)  # held while committing: a second recover() skips it
            if fd is None:
                continue
            try:
                try:
                    _, _, n = read_sidecar(sidecar)
                except RecordingError:
                    n = 0  # died while writing the header: nothing was recorded
                if n:
                    try:
                        name, new = self._commit_sidecar(sidecar, recovered=True)
                    except SceneMismatchError:
                        # Another scene's episode (its commit was refused): it can never go
                        # into this file, and deleting a person's recording is not ours to do.
                        continue
                    if new:  # else finish() had committed it just before the crash
                        names.append(name)
                os.unlink(sidecar)
            finally:
                os.close(fd)
        return sorted(set(names), key=natural_key)
