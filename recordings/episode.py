"""EpisodeWriter: records one episode step by step into its journal, commits it on finish()."""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .journal import describe_os_error
from .schema import Provenance, RecordingError
from .sidecar import SidecarWriter

_PROVENANCES = frozenset(int(p) for p in Provenance)


class EpisodeWriter:
    """Appends steps to memory buffers and journals them to ``<file>.rec-<id>`` in blocks.

    Created by :meth:`RecordingFile.begin_episode`. ``append`` costs a few microseconds (copies
    into preallocated arrays); buffered steps reach the journal when the buffer fills, on
    ``flush()``, and at least every ``flush_interval`` seconds (a background thread covers
    pauses between appends), so a crash loses at most that much.
    """

    def __init__(
        self,
        sidecar_path: str,
        meta: dict[str, Any],
        commit: Callable[[EpisodeWriter], str],
        *,
        flush_interval: float = 0.5,
        capacity: int = 512,
    ) -> None:
        self.sidecar_path = sidecar_path
        self.episode_id: str = meta["episode_id"]
        self._commit = commit
        self._interval = flush_interval
        self._capacity = capacity
        self._sidecar = SidecarWriter(sidecar_path, meta)
        self._offset = os.lseek(self._sidecar.fd, 0, os.SEEK_CUR)
        self._lock = threading.Lock()
        self._bufs: dict[str, np.ndarray] = {}
        self._obs_keys: list[str] = []
        self._has_next_obs = False
        self._n_buf = 0
        self._n_total = 0
        self._last_flush = time.monotonic()
        self._unsynced = False
        self._error: RecordingError | None = None
        self._state = "open"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="episode-flush", daemon=True)
        self._thread.start()

    # -- recording --------------------------------------------------------------------------------

    @property
    def num_steps(self) -> int:
        """Steps appended so far."""
        return self._n_total

    def _init_buffers(self, obs, action, state, next_obs) -> None:
        cap = self._capacity
        self._obs_keys = list(obs)
        self._has_next_obs = next_obs is not None
        for key in self._obs_keys:
            v = np.asarray(obs[key])
            self._bufs["obs/" + key] = np.empty((cap, *v.shape), v.dtype)
            if next_obs is not None:
                self._bufs["next_obs/" + key] = np.empty((cap, *v.shape), v.dtype)
        a = np.asarray(action)
        self._bufs["actions"] = np.empty((cap, *a.shape), a.dtype if a.dtype.kind == "f" else "f8")
        self._bufs["rewards"] = np.empty(cap, "f8")
        self._bufs["dones"] = np.empty(cap, "u1")  # robomimic stores 0/1
        s = np.asarray(state)
        self._bufs["states"] = np.empty((cap, *s.shape), s.dtype if s.dtype.kind == "f" else "f8")
        self._bufs["provenance"] = np.empty(cap, "u1")
        self._obs_items = [self._item("obs/" + k, k) for k in self._obs_keys]
        if next_obs is not None:
            self._next_items = [self._item("next_obs/" + k, k) for k in self._obs_keys]
        self._act_item = self._item("actions")
        self._state_item = self._item("states")
        self._obs_key_set = set(self._obs_keys)

    def _item(self, field: str, key: str = "") -> tuple:
        """(dict key, field name, buffer, zeros for the finiteness test or None)."""
        buf = self._bufs[field]
        zeros = np.zeros(int(np.prod(buf.shape[1:])), buf.dtype) if buf.dtype.kind == "f" else None
        return key, field, buf, zeros

    @staticmethod
    def _put(item: tuple, i: int, value: Any) -> None:
        _, name, buf, zeros = item
        v = np.asarray(value)
        if v.shape != buf.shape[1:]:
            raise ValueError(f"{name}: shape {v.shape} differs from the episode's {buf.shape[1:]}")
        # v . 0 is NaN exactly when v holds a NaN or an inf: 3x cheaper than isfinite().all().
        if zeros is not None and not math.isfinite(v.reshape(-1) @ zeros):
            raise ValueError(f"{name}: contains NaN or inf")
        buf[i] = v

    def append(
        self,
        obs: Mapping[str, np.ndarray],
        action: np.ndarray,
        reward: float,
        done: bool,
        state: np.ndarray,
        next_obs: Mapping[str, np.ndarray] | None = None,
        provenance: int = Provenance.HUMAN,
        label: np.ndarray | None = None,
    ) -> None:
        """Record one step: ``obs`` seen, ``action`` executed, and what followed.

        Args:
            obs: named observation parts at the time of the action (fixed keys and shapes).
            action: executed action (A,).
            reward: reward of the step.
            done: episode ended with this step.
            state: full simulator state at the time of the action, for exact restore (S,).
            next_obs: observation after the step (give it always or never within an episode).
            provenance: who produced ``action`` (a Provenance value).
            label: DAgger relabel: the action the person says should have been taken (A,);
                kept apart from ``action``. Steps without one get a NaN row.

        Raises:
            ValueError: keys, shapes or values (NaN/inf) do not fit the episode.
            RecordingError: the writer is finished, or its journal cannot be written.
        """
        with self._lock:
            if self._state != "open":
                raise RecordingError(f"{self.sidecar_path}: episode is {self._state}")
            if self._n_buf == self._capacity:
                self._flush_locked()  # raises: the step is not recorded
            if not self._bufs:
                self._init_buffers(obs, action, state, next_obs)
            if obs.keys() != self._obs_key_set:
                raise ValueError(f"obs keys {sorted(obs)} differ from {sorted(self._obs_keys)}")
            if (next_obs is not None) != self._has_next_obs:
                raise ValueError("next_obs must be given for every step or for none")
            if int(provenance) not in _PROVENANCES:
                raise ValueError(f"provenance {provenance!r} is not a Provenance value")
            if not math.isfinite(reward):
                raise ValueError(f"reward {reward!r} is not finite")
            i, bufs = self._n_buf, self._bufs
            put = self._put
            for item in self._obs_items:
                put(item, i, obs[item[0]])
            if next_obs is not None:
                if next_obs.keys() != self._obs_key_set:
                    raise ValueError(f"next_obs keys {sorted(next_obs)} differ from obs keys")
                for item in self._next_items:
                    put(item, i, next_obs[item[0]])
            put(self._act_item, i, action)
            put(self._state_item, i, state)
            if label is not None:
                if "labels" not in bufs:
                    bufs["labels"] = np.full_like(bufs["actions"], np.nan)
                    self._label_item = self._item("labels")
                put(self._label_item, i, label)
            elif "labels" in bufs:
                bufs["labels"][i] = np.nan
            bufs["rewards"][i] = reward
            bufs["dones"][i] = bool(done)
            bufs["provenance"][i] = int(provenance)
            self._n_buf += 1
            self._n_total += 1
            if time.monotonic() - self._last_flush >= self._interval:
                try:
                    self._flush_locked()
                except RecordingError as exc:
                    self._error = exc  # the step is buffered; flush() or finish() will report it

    def _flush_locked(self) -> None:
        n = self._n_buf
        self._last_flush = time.monotonic()
        if n == 0:
            return
        try:
            self._sidecar.write_block(n, [(k, b[:n]) for k, b in self._bufs.items()])
        except OSError as exc:
            # Cut the torn block off so that later blocks stay readable after a crash.
            try:
                os.ftruncate(self._sidecar.fd, self._offset)
                os.lseek(self._sidecar.fd, self._offset, os.SEEK_SET)
            except OSError:
                pass
            raise RecordingError(
                f"{self.sidecar_path}: cannot save recorded steps: {describe_os_error(exc)}"
            ) from exc
        self._offset = os.lseek(self._sidecar.fd, 0, os.SEEK_CUR)
        self._n_buf = 0
        self._error = None
        self._unsynced = True

    def flush(self) -> None:
        """Journal every buffered step now. Raises RecordingError if it cannot be written."""
        with self._lock:
            if self._state == "open":
                self._flush_locked()

    def _watch(self) -> None:
        # Covers pauses between appends (no append, no flush) and fsyncs outside the lock so
        # that a slow disk never blocks append().
        while not self._stop.wait(self._interval / 2):
            with self._lock:
                if self._state != "open":
                    return
                if self._n_buf and time.monotonic() - self._last_flush >= self._interval:
                    try:
                        self._flush_locked()
                    except RecordingError as exc:
                        self._error = exc
            if self._unsynced:
                self._unsynced = False
                # An unsynced journal still survives a process crash; fsync is for power loss.
                with contextlib.suppress(OSError):
                    self._sidecar.sync()

    def _stop_thread(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    # -- ending ---------------------------------------------------------------------------------

    def finish(self, success: bool, **attrs: Any) -> str:
        """Commit the episode as the next ``demo_<i>`` of the file and return its name.

        Args:
            success: whether the task was achieved.
            **attrs: extra demo attributes (JSON-able), e.g. ``notes="..."``, ``tags=[...]``.

        Raises:
            RecordingError: nothing recorded, or the file cannot be written; in the latter case
                the steps stay in the journal and ``RecordingFile.recover()`` commits them later.
        """
        with self._lock:
            if self._state != "open":
                raise RecordingError(f"{self.sidecar_path}: episode is {self._state}")
            if self._n_total == 0:
                raise RecordingError(f"{self.sidecar_path}: no steps recorded; discard() it")
            self._flush_locked()
            # The finish record makes the journal self-describing: a crash or a failed commit
            # from here on still recovers with the right success flag and attributes.
            try:
                self._sidecar.write_finish({"success": bool(success), "attrs": attrs})
            except OSError as exc:
                raise RecordingError(
                    f"{self.sidecar_path}: cannot save the episode's end: {describe_os_error(exc)}"
                ) from exc
            self._state = "finishing"
        self._stop_thread()
        try:
            name = self._commit(self)
        except BaseException:
            self._sidecar.close()  # unlock: recover() may take it from here
            self._state = "failed"
            raise
        self._state = "finished"
        # If this fails, recover() sees the demo is already committed and removes the journal.
        with contextlib.suppress(OSError):
            os.unlink(self.sidecar_path)
        self._sidecar.close()
        return name

    def discard(self) -> None:
        """Drop the episode: its journal is deleted and the HDF5 file is not touched."""
        with self._lock:
            if self._state in ("finished", "discarded"):
                return
            self._state = "discarded"
        self._stop_thread()
        try:
            os.unlink(self.sidecar_path)
        except FileNotFoundError:
            pass
        finally:
            self._sidecar.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        # Leaving the block without finish() (or on an exception) throws the episode away.
        if self._state == "open":
            self.discard()
