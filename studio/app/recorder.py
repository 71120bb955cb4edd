"""Recording: one open recordings file, the episode being written, and the keep/discard decision.

Each step is appended to the file's journal as it happens (the writer is crash-safe), so a crash
loses at most the steps since the last flush. When an episode ends the recorder holds it until
the person keeps or discards it (the studio's mode says which: ``modes.py``). Closing the window
decides nothing for the person: an episode still being recorded is committed, one that awaits
keep/discard is left undecided in its journal (:meth:`Recorder.commit_for_exit`).

Opening a file commits what a crash or an undecided close left in journals; such demos await
the person's keep or discard (:meth:`Recorder.awaiting`, :meth:`Recorder.decide`), at every
opening until answered. Commits run on the GUI thread: when another process reads the file
(``imitation-studio inspect`` or ``train``), the recorder waits for it and says so
(``waiting``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from recordings import (
    Dataset,
    Provenance,
    RecordingError,
    RecordingFile,
    scene_of,
)
from studio.app.scene import Step

_PROVENANCE = {
    "human": Provenance.HUMAN,
    "scripted": Provenance.SCRIPTED,
    "policy": Provenance.POLICY,
}


class Recorder(QObject):
    """Writes episodes of the live scene (a person, a scripted expert or a policy driving).

    Signals:
        file_opened(path): a recordings file was opened or created ("" when closed).
        demos_changed(): the list of demos or their attributes changed.
        waiting(text): another process reads (or writes) the file; this process waits for it
            before its change or read (``"demos.h5 is being read by another process;
            waiting…"``). Emitted on the GUI thread while it waits, at most once per wait.
    """

    file_opened = Signal(str)
    demos_changed = Signal()
    waiting = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self._file: RecordingFile | None = None
        self._writer: Any = None
        self._env_args: dict[str, Any] | None = None
        self.steps = 0
        self.stopped_success = False
        self.stopped_reason = ""
        self.device = "keyboard"
        self.source = "human"
        self.last_saved: str | None = None
        self.recovered: list[str] = []
        self.failed_journal: str | None = None  # the journal of the last keep that failed
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
        """Open (or create) a recordings file; episodes left in journals are committed.

        Those this opening committed are in :attr:`recovered`; :meth:`awaiting` lists every
        demo that awaits the person's keep or discard (also from earlier openings).
        """
        self.close()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = RecordingFile(path, mode="a", on_wait=self.report_wait)
        self.path = path
        self._info_cache.clear()
        self.recovered = list(self._file.recover() or [])
        self.file_opened.emit(str(path))
        self.demos_changed.emit()

    def report_wait(self, message: str) -> None:
        """``on_wait`` of every read and change of the file: emits :attr:`waiting`."""
        # The library's message names the path and what the other process does; the status
        # bar names the file the person knows.
        name = self.path.name if self.path is not None else "The recordings file"
        doing = "written" if "being written" in message else "read"
        self.waiting.emit(f"{name} is being {doing} by another process; waiting…")

    def file_scene(self) -> str | None:
        """The scene the open file is for (None: no file, or a new one)."""
        return scene_of(self.path) if self.path is not None else None

    def close(self) -> None:
        """Commit whatever is in progress (see :meth:`commit_for_exit`) and close the file."""
        self.commit_for_exit(keep=True)
        if self._file is not None:
            self._file.close()
            self._file = None
            self._info_cache.clear()
            self.path = None
            self._env_args = None
            self.file_opened.emit("")

    # ----------------------------------------------------------------------------- recovered
    def awaiting(self) -> list[str]:
        """Recovered demos (a crash, or left undecided at close) nobody has kept or discarded."""
        return self._file.awaiting_decision() if self._file is not None else []

    def decide(self, name: str, keep: bool) -> None:
        """The person's answer for a recovered demo: keep it, or delete it."""
        assert self._file is not None
        self._file.decide(name, keep)
        self._info_cache.pop(name, None)
        self.demos_changed.emit()

    def stranded_journal(self, path: str | None) -> dict[str, Any] | None:
        """``{"path", "env_name", "steps"}`` when the journal at ``path`` can never go into this
        file (recorded for another scene), else None."""
        if self._file is None or path is None:
            return None
        try:
            entries = self._file.stranded()
        except RecordingError:
            return None
        for entry in entries:
            if Path(entry["path"]) == Path(path):
                return entry
        return None

    # ----------------------------------------------------------------------------- episodes
    def check_scene(self, env: Any) -> None:
        """Raise ``RecordingError`` if the open file holds another scene's demos."""
        if self._file is None:
            raise RuntimeError("no recordings file is open: File ▸ New… or Open… first")
        self._file.check_scene(env.env_args())

    def start(self, env: Any, device: str, *, seed: int | None, source: str = "human") -> None:
        """Begin an episode of ``env`` (call right after its reset with ``seed``).

        Args:
            env: the live scene's env.
            device: what drove it ("keyboard", "gamepad:<name>", "scripted expert").
            seed: the seed of the reset the episode starts from (stored with the demo).
            source: who drove: "human", "scripted" (a scripted expert) or "policy" (a
                trained policy: the rollouts DAgger and the relabel mode work on).

        Raises:
            RecordingError: the file holds another scene's demos (nothing was started).
        """
        if source not in _PROVENANCE:
            raise ValueError(f"source must be one of {sorted(_PROVENANCE)}, not {source!r}")
        if self._writer is not None:
            raise RuntimeError("an episode is already open: keep or discard it first")
        self.check_scene(env)
        assert self._file is not None
        args = env.env_args()
        if self._env_args != args:
            self._file.set_env(args, env.model_xml)
            self._env_args = args
        self.device = device
        self.source = source
        self._writer = self._file.begin_episode(source=source, device=device, seed=seed)
        self.steps = 0

    def append(
        self,
        env: Any,
        step: Step,
        *,
        provenance: int | None = None,
        policy_action: np.ndarray | None = None,
    ) -> None:
        """Write one control step (``step.state`` is the state before it).

        Args:
            provenance: who produced the executed action (default: the episode's source).
            policy_action: what the driving policy would have done (take-over episodes).
        """
        if self._writer is None:
            return
        self._writer.append(
            obs=env.split_obs(step.obs),
            action=np.asarray(step.action, dtype=np.float32),
            reward=step.reward,
            # Ended by success, failure or the time limit: done. The writer marks the last step
            # of every demo done when it is committed, whoever stopped it (robomimic's rule).
            done=bool(step.terminated or step.truncated),
            state=step.state,
            next_obs=env.split_obs(step.next_obs),
            provenance=_PROVENANCE[self.source] if provenance is None else provenance,
            policy_action=None
            if policy_action is None
            else np.asarray(policy_action, dtype=np.float32),
        )
        self.steps += 1

    def stop(self, reason: str, success: bool) -> bool:
        """End the episode's recording; returns whether it awaits :meth:`keep` or :meth:`discard`.

        An episode stopped before its first step has nothing to keep: it is dropped at once and
        False is returned.
        """
        if self._writer is None:
            return False
        if self.steps == 0:
            self.discard()
            return False
        self.stopped_success = success
        self.stopped_reason = reason
        return True

    def keep(self) -> str:
        """Commit the open episode and return its name.

        Raises:
            RecordingError: the commit failed (disk full, file locked, or the file now holds
                another scene's demos: ``SceneMismatchError``). The episode's journal stays
                beside the file (its path in :attr:`failed_journal`); the next opening offers it
                back, unless it is of another scene (:meth:`stranded_journal`).
        """
        writer, self._writer = self._writer, None
        if writer is None:
            raise RuntimeError("no episode to keep")
        self.failed_journal = None
        try:
            name = writer.finish(success=bool(self.stopped_success))
        except RecordingError:
            writer.abandon()
            self.failed_journal = str(writer.sidecar_path)
            raise
        self.last_saved = name
        self.demos_changed.emit()
        return name

    def discard(self) -> None:
        """Drop the open episode; nothing of it stays in the file."""
        if self._writer is not None:
            self._writer.discard()
            self._writer = None
        self.steps = 0

    def commit_for_exit(self, *, keep: bool = True) -> None:
        """Closing: commit whatever was recorded (a failure leaves its journal for recovery).

        Args:
            keep: False for an episode that awaits the person's keep/discard: it is neither
                kept nor dropped but suspended in its journal with its success flag, which the
                next opening of the file commits as ``undecided`` and offers back (keep or
                discard), so closing never decides for the person.
        """
        if self._writer is None:
            return
        if self.steps == 0:
            self.discard()
            return
        if not keep:
            writer, self._writer = self._writer, None
            try:
                writer.suspend(bool(self.stopped_success))  # every step, and how it ended
            except RecordingError:  # what reached the journal stays there, as after a crash
                writer.abandon()
            return
        with contextlib.suppress(RecordingError):
            self.keep()

    def write_relabel(
        self, parent: str, episode: Any, labels: np.ndarray, attrs: dict[str, Any]
    ) -> str:
        """Commit a person's labels of the rollout ``parent`` as a new ``relabel`` demo.

        The demo repeats the rollout's steps (states, observations, executed actions and their
        provenance, which stays POLICY: the policy produced them) and adds ``labels`` (NaN rows:
        not labelled), with ``parent`` naming the rollout, so ``algorithms.dagger.aggregate``
        trains on the labelled steps only.
        """
        if self._file is None:
            raise RuntimeError("no recordings file is open")
        writer = self._file.begin_episode(
            source="relabel", device="keyboard", parent=parent, attrs=attrs
        )
        nxt = episode.next_obs
        try:
            for i in range(len(episode)):
                row = labels[i]
                writer.append(
                    {k: v[i] for k, v in episode.obs.items()},
                    episode.actions[i],
                    float(episode.rewards[i]),
                    bool(episode.dones[i]),
                    episode.states[i],
                    next_obs=None if nxt is None else {k: v[i] for k, v in nxt.items()},
                    provenance=int(episode.provenance[i]),
                    label=row.astype(episode.actions.dtype) if np.isfinite(row).all() else None,
                )
            name = writer.finish(success=bool(episode.info.success))
        except BaseException:
            writer.discard()
            raise
        self._info_cache.pop(name, None)
        self.demos_changed.emit()
        return name

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
        return Dataset(self.path, lenient=True, on_wait=self.report_wait)

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
