"""EpisodeWriter: records one episode step by step into its journal, commits it on finish()."""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .files import describe_os_error
from .schema import RECORDED_PROVENANCES, Provenance, RecordingError, check_user_attrs
from .sidecar import SidecarWriter

_PROVENANCES = RECORDED_PROVENANCES
_ndarray, _asarray, _isfinite = np.ndarray, np.asarray, math.isfinite


class EpisodeWriter:
    """Appends steps to memory buffers and journals them to ``<file>.rec-<id>`` in blocks.

    Created by :meth:`RecordingFile.begin_episode`. ``append`` only copies into preallocated
    arrays and never does I/O: every ``flush_interval`` seconds (or when the buffer fills) the
    buffered steps are copied out as a block that a background thread writes to the journal, so
    a crash loses at most about that much. ``flush()`` writes synchronously.
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
        self._lock = threading.Lock()  # buffers, queue, state
        self._io_lock = threading.Lock()  # journal writes, in queue order
        self._queue: list[tuple[int, list[tuple[str, np.ndarray]]]] = []  # blocks to write
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
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="episode-flush", daemon=True)
        self._thread.start()

    # -- recording --------------------------------------------------------------------------------

    @property
    def num_steps(self) -> int:
        """Steps appended so far."""
        return self._n_total

    @property
    def error(self) -> RecordingError | None:
        """The last background journal-write failure (e.g. disk full), None once writes work."""
        return self._error

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
        """(dict key, field name, buffer, zeros for the finiteness test or None, step shape)."""
        buf = self._bufs[field]
        zeros = np.zeros(int(np.prod(buf.shape[1:])), buf.dtype) if buf.dtype.kind == "f" else None
        return key, field, buf, zeros, buf.shape[1:]

    @staticmethod
    def _put(item: tuple, i: int, value: Any) -> None:
        # The hot path (called ~15 times a step): no avoidable allocation or attribute lookup.
        _, name, buf, zeros, shape = item
        v = value if type(value) is _ndarray else _asarray(value)
        if v.shape != shape:
            raise ValueError(f"{name}: shape {v.shape} differs from the episode's {shape}")
        # v . 0 is NaN exactly when v holds a NaN or an inf: 3x cheaper than isfinite().all().
        if zeros is not None and not _isfinite((v if v.ndim == 1 else v.reshape(-1)) @ zeros):
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
        policy_action: np.ndarray | None = None,
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
            policy_action: the action a driving policy would have taken at this step (A,),
                stored as ``policy_actions`` (a take-over: how far the policy was from the
                person). Steps without one get a NaN row.

        Raises:
            ValueError: keys, shapes or values (NaN/inf) do not fit the episode.
            RecordingError: the writer is finished or discarded. (Journal write failures never
                interrupt recording: the steps stay in memory, ``error`` says what went wrong,
                and ``flush()``/``finish()`` raise it if it persists.)
        """
        with self._lock:
            if self._state != "open":
                raise RecordingError(f"{self.sidecar_path}: episode is {self._state}")
            if self._n_buf == self._capacity:
                self._handoff_locked()
            if not self._bufs:
                self._init_buffers(obs, action, state, next_obs)
            if obs.keys() != self._obs_key_set:
                raise ValueError(f"obs keys {sorted(obs)} differ from {sorted(self._obs_keys)}")
            if (next_obs is not None) != self._has_next_obs:
                raise ValueError("next_obs must be given for every step or for none")
            if int(provenance) not in _PROVENANCES:
                raise ValueError(f"provenance {provenance!r} is not a recordable Provenance value")
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
            if policy_action is not None:
                if "policy_actions" not in bufs:
                    bufs["policy_actions"] = np.full_like(bufs["actions"], np.nan)
                    self._policy_item = self._item("policy_actions")
                put(self._policy_item, i, policy_action)
            elif "policy_actions" in bufs:
                bufs["policy_actions"][i] = np.nan
            bufs["rewards"][i] = reward
            bufs["dones"][i] = bool(done)
            bufs["provenance"][i] = int(provenance)
            self._n_buf += 1
            self._n_total += 1
            if time.monotonic() - self._last_flush >= self._interval:
                self._handoff_locked()

    def _handoff_locked(self) -> None:
        """Copy the buffered steps out as a block for the writer thread (caller holds _lock)."""
        n = self._n_buf
        self._last_flush = time.monotonic()
        if n == 0:
            return
        # A copy (tens of µs) lets append() go on filling the same buffers at once.
        self._queue.append((n, [(k, b[:n].copy()) for k, b in self._bufs.items()]))
        self._n_buf = 0
        self._wake.set()

    def _write_queued(self) -> None:
        """Write queued blocks in order (caller holds _io_lock). A failed block stays queued."""
        while True:
            with self._lock:
                if not self._queue:
                    return
                n, fields = self._queue[0]
            try:
                self._sidecar.write_block(n, fields)
            except OSError as exc:
                # Cut the torn block off so that later blocks stay readable after a crash.
                with contextlib.suppress(OSError):
                    os.ftruncate(self._sidecar.fd, self._offset)
                    os.lseek(self._sidecar.fd, self._offset, os.SEEK_SET)
                raise RecordingError(
                    f"{self.sidecar_path}: cannot save recorded steps: {describe_os_error(exc)}"
                ) from exc
            self._offset = os.lseek(self._sidecar.fd, 0, os.SEEK_CUR)
            self._unsynced = True
            with self._lock:
                self._queue.pop(0)
                self._error = None

    def flush(self) -> None:
        """Write every recorded step to the journal now.

        Raises:
            RecordingError: the journal cannot be written (the steps stay queued in memory; a
                later ``flush()`` or ``finish()`` tries again).
        """
        with self._lock:
            if self._state != "open":
                return
            self._handoff_locked()
        with self._io_lock:
            try:
                self._write_queued()
            except RecordingError as exc:
                with self._lock:
                    self._error = exc  # `error` reports it whichever thread met it
                raise

    def _watch(self) -> None:
        # Writes handed-off blocks, flushes during pauses between appends, and fsyncs: all off
        # the caller's thread, so append() never waits for the disk.
        while True:
            self._wake.wait(self._interval / 2)
            self._wake.clear()
            if self._stop.is_set():
                return
            with self._lock:
                if self._n_buf and time.monotonic() - self._last_flush >= self._interval:
                    self._handoff_locked()
            with self._io_lock:
                try:
                    self._write_queued()
                except RecordingError as exc:
                    with self._lock:
                        self._error = exc
                if self._unsynced:
                    self._unsynced = False
                    # An unsynced journal survives a process crash; fsync is for power loss.
                    with contextlib.suppress(OSError):
                        self._sidecar.sync()

    def _stop_thread(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join()

    # -- ending ---------------------------------------------------------------------------------

    def finish(self, success: bool, **attrs: Any) -> str:
        """Commit the episode as the next ``demo_<i>`` of the file and return its name.

        The last appended step is stored with ``done = 1`` (robomimic's rule: the last step of
        every demo is done), so callers need not know in advance which step is the last one.
        The other steps keep the ``done`` they were appended with.

        Args:
            success: whether the task was achieved.
            **attrs: extra demo attributes (JSON-able), e.g. ``notes="..."``, ``tags=[...]``.

        Raises:
            RecordingError: nothing recorded, or the file cannot be written; in the latter case
                the steps stay in the journal and ``RecordingFile.recover()`` commits them later.
                Also when the file holds another scene's demos by now (another process recorded
                into it): the episode cannot go into this file and ``recover()`` leaves it.
        """
        check_user_attrs(attrs)
        finish = {"success": bool(success), "attrs": attrs}
        try:
            json.dumps(finish)
        except TypeError as exc:
            raise ValueError(f"finish attributes must be JSON-able: {exc}") from exc
        with self._lock:
            if self._state != "open":
                raise RecordingError(f"{self.sidecar_path}: episode is {self._state}")
            if self._n_total == 0:
                raise RecordingError(f"{self.sidecar_path}: no steps recorded; discard() it")
        self.flush()  # if this raises, the episode stays open: finish() can be tried again
        try:
            # The finish record makes the journal self-describing: a crash or a failed commit
            # from here on still recovers with the right success flag and attributes.
            self._end_journal("finishing", finish)
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

    def suspend(self, success: bool | None = None) -> None:
        """Leave the episode undecided: every step and its end stay in the journal, uncommitted.

        For a person who has not yet said keep or discard when the program closes. The next
        ``RecordingFile.recover()`` commits it with this ``success`` flag and the demo attribute
        ``undecided=True``, and lists it in ``awaiting_decision()`` until someone decides.

        Raises:
            RecordingError: the journal cannot be written (what reached it stays recoverable).
        """
        finish: dict[str, Any] = {"success": success, "attrs": {"undecided": True}}
        with self._lock:
            if self._state != "open":
                raise RecordingError(f"{self.sidecar_path}: episode is {self._state}")
        self.flush()
        try:
            self._end_journal("suspended", finish)
        finally:
            self._sidecar.close()  # unlocked: the next recover() takes it

    def _end_journal(self, state: str, finish: dict[str, Any]) -> None:
        """Stop the flush thread and write the last steps and the finish record (state
        ``state`` from here on; the journal stays open for the caller to commit or close)."""
        with self._lock:
            self._state = state
            self._handoff_locked()  # steps another thread appended since, if any
        self._stop_thread()
        with self._io_lock:
            self._write_queued()
            try:
                self._sidecar.write_finish(finish)
            except OSError as exc:
                why = describe_os_error(exc)
                raise RecordingError(
                    f"{self.sidecar_path}: cannot save the episode's end: {why}"
                ) from exc

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

    def abandon(self) -> None:
        """Stop writing but keep the journal, unlocked, for ``RecordingFile.recover()``.

        For a caller that gives up after ``finish()`` failed (e.g. a full disk): the steps that
        reached the journal are offered back the next time the file is opened, unlike
        :meth:`discard`, which deletes them. A no-op unless the episode is still open.
        """
        with self._lock:
            if self._state != "open":
                return
            self._state = "failed"
        self._stop_thread()
        self._sidecar.close()

    def __enter__(self) -> EpisodeWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        # Leaving the block without finish() (or on an exception) throws the episode away.
        if self._state == "open":
            self.discard()
