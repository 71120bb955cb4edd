"""RecordingFile: create a recordings file, record episodes into it, edit and recover demos."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import h5py
import numpy as np

from . import journal
from .episode import EpisodeWriter
from .journal import (
    LOCK_TIMEOUT,
    default_on_wait,
    describe_os_error,
    dir_lock,
    has_hot_journal,
    roll_back,
    transaction,
)
from .schema import (
    FORMAT_VERSION,
    SOURCES,
    STEP_FIELDS,
    RecordingError,
    check_name,
    check_user_attrs,
    demo_index,
    natural_key,
    parse_tags,
    to_attr,
    to_python,
)
from .sidecar import SIDECAR_INFIX, read_sidecar, sidecar_paths, try_lock


def _init_file(f: h5py.File) -> None:
    f.attrs["format_version"] = FORMAT_VERSION
    data = f.create_group("data")
    data.attrs["total"] = 0
    data.attrs["env_args"] = json.dumps({})
    f.create_group("mask")


class SceneMismatchError(RecordingError):
    """A demo of one scene was to go into a file that holds another scene's demos."""


def _stored_env_name(f: h5py.File) -> str | None:
    """``env_name`` of the file's ``env_args``; None when absent or unreadable."""
    try:
        stored = json.loads(to_python(f["data"].attrs.get("env_args", "")) or "{}")
    except (TypeError, ValueError):
        return None
    name = stored.get("env_name") if isinstance(stored, dict) else None
    return str(name) if name is not None else None


def scene_of(path: str | os.PathLike) -> str | None:
    """The scene (``env_name`` of ``env_args``) a recordings file is for.

    Returns:
        The stored ``env_name``; None when the file does not exist or names no scene (a new,
        empty file). A file may name a scene and hold no demos yet: it then still accepts any
        scene (see ``RecordingFile.check_scene``).

    Raises:
        RecordingError: the file exists but cannot be read as a recordings file.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        return None
    with RecordingFile(path, mode="r")._read() as f:
        if not isinstance(f.get("data"), h5py.Group):
            return None
        return _stored_env_name(f)


def _awaiting(f: h5py.File) -> list[str]:
    """Recovered demos nobody has kept or discarded yet (``data.attrs["awaiting_decision"]``)."""
    try:
        names = json.loads(to_python(f["data"].attrs.get("awaiting_decision", "")) or "[]")
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str) and n in f["data"]]


def _set_awaiting(f: h5py.File, names: list[str]) -> None:
    if names:
        f["data"].attrs["awaiting_decision"] = json.dumps(sorted(set(names), key=natural_key))
    elif "awaiting_decision" in f["data"].attrs:
        del f["data"].attrs["awaiting_decision"]


def _mask_names(f: h5py.File, mask: str) -> list[str]:
    if "mask" not in f or mask not in f["mask"]:
        return []
    return [to_python(v) for v in f["mask"][mask][()]]


def _write_mask(f: h5py.File, mask: str, names: list[str]) -> None:
    group = f.require_group("mask")
    if mask in group:
        del group[mask]
    # robomimic's split_train_val.py writes fixed-length byte strings; so do we.
    group.create_dataset(mask, data=np.array(sorted(names, key=natural_key), dtype="S"))


class RecordingFile:
    """A recordings file open for recording and editing (``mode="a"``) or reading (``"r"``).

    The HDF5 file is opened only for the moment of each change, inside a journaled transaction
    (see ``recordings/journal.py``), so readers can open it at any time and a crash at any moment
    leaves it as it was after the last completed change.

    Args:
        path: the ``.h5`` file; created (empty) in mode ``"a"`` if missing.
        mode: ``"a"`` (read/write) or ``"r"`` (read-only).
        flush_interval: the longest time (s) recorded steps stay only in memory.
        on_wait: called with "<file> is being written by another process; waiting" (or "read
            or written", before a change) when another process's commit or read must end
            first (default: a ``FileBusyWarning``); None says nothing.
        lock_timeout: seconds to wait for it before giving up with a RecordingError.

    Raises:
        RecordingError: the file cannot be created or opened, naming the path and the problem.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        mode: str = "a",
        *,
        flush_interval: float = 0.5,
        on_wait: Callable[[str], None] | None = default_on_wait,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        if mode not in ("a", "r"):
            raise ValueError(f"mode must be 'a' or 'r', not {mode!r}")
        self.path = os.fspath(path)
        self.mode = mode
        self._on_wait = on_wait
        self._lock_timeout = lock_timeout
        self._flush_interval = flush_interval
        self._env_args: dict | None = None
        self._model_file = ""
        self._closed = False
        if not os.path.exists(self.path):
            if mode == "r":
                raise RecordingError(f"{self.path}: no such file")
            with self._lock():
                if not os.path.exists(self.path):
                    journal.create_atomically(self.path, _init_file)
        if has_hot_journal(self.path):
            with self._lock():
                roll_back(self.path)
        with self._read() as f:
            version = int(to_python(f.attrs.get("format_version", 0)))
            if version > FORMAT_VERSION:
                raise RecordingError(
                    f"{self.path}: format_version {version} is newer than this studio's "
                    f"{FORMAT_VERSION}; update the studio to write to it"
                )
            has_data = "data" in f
        if not has_data:
            if mode == "r":
                raise RecordingError(f"{self.path}: no 'data' group: not a recordings file")
            with transaction(self.path, timeout=self._lock_timeout, on_wait=self._on_wait) as f:
                f.require_group("data").attrs["total"] = 0

    # -- plumbing -------------------------------------------------------------------------------

    def _lock(self, *, shared: bool = False) -> contextlib.AbstractContextManager[None]:
        return dir_lock(self.path, shared=shared, timeout=self._lock_timeout, on_wait=self._on_wait)

    @contextlib.contextmanager
    def _read(self) -> Iterator[h5py.File]:
        with contextlib.ExitStack() as stack:
            for attempt in range(3):
                stack.enter_context(self._lock(shared=True))
                # Under the shared lock no live writer is committing, so a rollback journal
                # here is hot: a writer died mid-commit. Undo it (exclusively), then read.
                if attempt == 2 or not has_hot_journal(self.path):
                    break
                stack.close()
                with self._lock():
                    roll_back(self.path)
            try:
                handle = journal.ReadHandle(self.path)
            except PermissionError as exc:
                raise RecordingError(f"{self.path}: cannot read it: permission denied") from exc
            except OSError as exc:
                raise RecordingError(f"{self.path}: not a readable HDF5 file ({exc})") from exc
            try:
                yield handle.file
            finally:
                handle.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[h5py.File]:
        if self.mode == "r":
            raise RecordingError(f"{self.path}: opened read-only")
        if self._closed:
            raise RecordingError(f"{self.path}: file is closed")
        with transaction(self.path, timeout=self._lock_timeout, on_wait=self._on_wait) as f:
            yield f

    def _demo(self, f: h5py.File, name: str) -> h5py.Group:
        if "data" not in f or name not in f["data"]:
            raise KeyError(f"{self.path}: no demo named {name!r}")
        return f["data"][name]

    # -- reading --------------------------------------------------------------------------------

    @property
    def demos(self) -> list[str]:
        """Names of the committed demos, in natural order (demo_2 before demo_10)."""
        with self._read() as f:
            return sorted(f["data"].keys(), key=natural_key)

    def masks(self) -> dict[str, list[str]]:
        """Every mask (filter key) and its demo names."""
        with self._read() as f:
            return {m: _mask_names(f, m) for m in f.get("mask", {})}

    # -- recording ------------------------------------------------------------------------------

    def set_env(self, env_args: dict[str, Any], model_file: str) -> None:
        """Store the env description (``data.attrs["env_args"]``) and the MJCF for new demos.

        A file holds demos of one scene: once it has demos, an ``env_args`` with another
        ``env_name`` is refused. The same ``env_args`` again is a no-op; the same scene with other
        arguments replaces the stored ones.

        Raises:
            RecordingError: the file already holds demos of another ``env_name`` (the message
                names the file, the stored scene and the new one), or it cannot be written.
        """
        args = dict(env_args)
        # robomimic's docs say "env_type", its code reads "type": write both.
        if "type" in args or "env_type" in args:
            args.setdefault("type", args.get("env_type"))
            args.setdefault("env_type", args.get("type"))
        text = json.dumps(args)
        with self._read() as f:
            unchanged = to_python(f["data"].attrs.get("env_args", "")) == text
            if not unchanged:
                self._refuse_other_scene(f, args)
        if not unchanged:
            with self._write() as f:
                self._refuse_other_scene(f, args)  # again, under the lock: another process
                f["data"].attrs["env_args"] = text
        self._env_args = args
        self._model_file = model_file

    def check_scene(self, env_args: dict[str, Any]) -> None:
        """Refuse to record ``env_args``' scene into this file if it holds another scene's demos.

        The rule (one scene per file) binds once the file holds demos: an empty file takes any
        scene. ``set_env()`` and every commit apply it too; this is for callers that want to
        ask before they start (e.g. the studio when a scene is picked).

        Raises:
            RecordingError: the file holds demos of another ``env_name``; the message names the
                file, the stored scene and the new one.
        """
        with self._read() as f:
            self._refuse_other_scene(f, dict(env_args))

    def _refuse_other_scene(self, f: h5py.File, args: dict[str, Any]) -> None:
        old = _stored_env_name(f) if len(f["data"]) else None
        new = args.get("env_name")
        if old is not None and old != new:
            raise SceneMismatchError(
                f"{self.path}: holds {len(f['data'])} demos of {old}; cannot record {new} into "
                "it (one file holds one scene: choose another file)"
            )

    def begin_episode(
        self,
        *,
        source: str,
        device: str = "",
        notes: str = "",
        parent: str | None = None,
        attrs: dict[str, Any] | None = None,
        seed: int | None = None,
    ) -> EpisodeWriter:
        """Start recording an episode; nothing reaches the HDF5 file until ``finish()``.

        The episode is of the scene last given to ``set_env()`` (if any): its commit is refused
        when the file holds another scene's demos by then (another process may have recorded
        into it meanwhile).

        Args:
            source: who drove: one of SOURCES.
            device: operator input device ("keyboard", "gamepad:<name>", ...).
            notes: free text.
            parent: for a relabel, the rollout demo it corrects.
            attrs: extra JSON-able demo attributes.
            seed: the seed the env was reset with for this episode, stored as demo attribute
                ``seed`` (``DemoInfo.seed``), so evaluation can avoid the training seeds.
        """
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
            raise ValueError(f"seed must be an int or None, not {seed!r}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        check_user_attrs(attrs or {})
        if self.mode == "r" or self._closed:
            raise RecordingError(f"{self.path}: opened read-only or closed")
        if parent is not None and parent not in self.demos:
            raise ValueError(f"{self.path}: parent demo {parent!r} does not exist")
        episode_id = uuid.uuid4().hex[:16]
        meta = {
            "episode_id": episode_id,
            "source": source,
            "device": device,
            "notes": notes,
            "parent": parent,
            "attrs": dict(attrs or {}),
            "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "model_file": self._model_file,
            "format_version": FORMAT_VERSION,
            # The scene the episode is recorded in: the commit checks it against the file's.
            "env_args": self._env_args,
        }
        if seed is not None:
            meta["seed"] = int(seed)
        sidecar = f"{self.path}{SIDECAR_INFIX}{episode_id}"
        try:
            json.dumps(meta)
            return EpisodeWriter(
                sidecar, meta, self._commit_writer, flush_interval=self._flush_interval
            )
        except TypeError as exc:
            raise ValueError(f"episode attrs must be JSON-able: {exc}") from exc
        except OSError as exc:
            raise RecordingError(
                f"{self.path}: cannot start an episode journal {sidecar}: {describe_os_error(exc)}"
            ) from exc

    def _commit_writer(self, writer: EpisodeWriter) -> str:
        return self._commit_sidecar(writer.sidecar_path, recovered=False)[0]

    def _commit_sidecar(self, sidecar: str, *, recovered: bool) -> tuple[str, bool]:
        """Commit a journal as the next demo; returns (name, whether it was new)."""
        meta, arrays, n = read_sidecar(sidecar)
        finish = meta.get("finish")
        if "dones" in arrays and n:
            # robomimic's rule, applied here once for every writer: the last step of a demo is
            # done, whether the episode ended, was cut off, or came back from a crash.
            arrays["dones"] = arrays["dones"].copy()
            arrays["dones"][-1] = 1
        env_args = meta.get("env_args")
        with self._write() as f:
            data = f["data"]
            if recovered:  # a crash right after an earlier commit: the demo is already there
                for name in data:
                    if to_python(data[name].attrs.get("episode_id", "")) == meta["episode_id"]:
                        return name, False
            if isinstance(env_args, dict):
                # Checked here, under the write lock: set_env() ran before other processes may
                # have committed demos of another scene into the (then empty) file.
                self._refuse_other_scene(f, env_args)
                if len(data) == 0:  # the first demo decides the file's scene
                    data.attrs["env_args"] = json.dumps(env_args)
            taken = [demo_index(k) for k in data]
            start = int(to_python(data.attrs.get("next_demo_index", 0)))
            index = max([start, *[i + 1 for i in taken if i is not None]])
            name = f"demo_{index}"
            g = data.create_group(name)
            for key, arr in arrays.items():
                g.create_dataset(key, data=arr)
            attrs: dict[str, Any] = {
                "num_samples": n,
                "model_file": meta.get("model_file", ""),
                "source": meta["source"],
                "device": meta.get("device", ""),
                "created": meta.get("created", ""),
                "notes": meta.get("notes", ""),
                "tags": "[]",
                "episode_id": meta["episode_id"],
                "obs_keys": json.dumps([k[4:] for k in arrays if k.startswith("obs/")]),
            }
            if meta.get("parent"):
                attrs["parent"] = meta["parent"]
            if meta.get("seed") is not None:
                attrs["seed"] = int(meta["seed"])
            attrs.update(meta.get("attrs", {}))
            if finish is not None:
                if finish.get("success") is not None:  # None: suspended before it was known
                    attrs["success"] = bool(finish["success"])
                attrs.update(finish.get("attrs", {}))
            if recovered:
                attrs["recovered"] = True
                # Nobody chose to keep it: listed until a person keeps or discards it.
                _set_awaiting(f, [*_awaiting(f), name])
            self._set_demo_attrs(g, attrs)
            data.attrs["total"] = int(to_python(data.attrs.get("total", 0))) + n
            data.attrs["next_demo_index"] = index + 1
            f.attrs["format_version"] = FORMAT_VERSION
            source = meta["source"]
            _write_mask(f, source, [*_mask_names(f, source), name])
        return name, True

    @staticmethod
    def _set_demo_attrs(g: h5py.Group, attrs: dict[str, Any]) -> None:
        for key, value in attrs.items():
            if key == "tags":
                value = json.dumps(parse_tags(value))
            if value is None:
                if key in g.attrs:
                    del g.attrs[key]
                continue
            g.attrs[key] = to_attr(value)

    # -- recovery -------------------------------------------------------------------------------

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
            scene = _stored_env_name(f) if len(f["data"]) else None
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
            return _awaiting(f)

    def decide(self, name: str, keep: bool) -> None:
        """A person's answer for a recovered demo: keep it (no longer awaiting) or delete it."""
        if not keep:
            self.delete(name)  # also drops it from the awaiting list
            return
        with self._write() as f:
            self._demo(f, name)
            _set_awaiting(f, [n for n in _awaiting(f) if n != name])

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

    # -- editing --------------------------------------------------------------------------------

    def delete(self, name: str) -> None:
        """Remove a demo (and its name from every mask). Other demos are not touched."""
        with self._write() as f:
            g = self._demo(f, name)
            n = int(to_python(g.attrs.get("num_samples", 0)))
            del f["data"][name]
            f["data"].attrs["total"] = max(0, int(to_python(f["data"].attrs.get("total", 0))) - n)
            for mask in list(f.get("mask", {})):
                names = _mask_names(f, mask)
                if name in names:
                    _write_mask(f, mask, [m for m in names if m != name])
            if name in (awaiting := _awaiting(f)):
                _set_awaiting(f, [n for n in awaiting if n != name])

    def rename(self, old: str, new: str) -> None:
        """Rename a demo; masks and relabels that name it as parent follow.

        Raises:
            KeyError: no demo ``old``.
            ValueError: ``new`` is empty, not printable ASCII, contains ``/`` or is already
                used. The file is left unchanged.
        """
        check_name(new, "new demo name")
        with self._write() as f:
            self._demo(f, old)
            if new in f["data"]:
                raise ValueError(f"{self.path}: demo {new!r} already exists")
            f["data"].move(old, new)
            for mask in list(f.get("mask", {})):
                names = _mask_names(f, mask)
                if old in names:
                    _write_mask(f, mask, [new if m == old else m for m in names])
            for g in f["data"].values():
                if to_python(g.attrs.get("parent", "")) == old:
                    g.attrs["parent"] = new
            awaiting = json.loads(to_python(f["data"].attrs.get("awaiting_decision", "")) or "[]")
            if old in awaiting:
                _set_awaiting(f, [new if n == old else n for n in awaiting])

    def trim(self, name: str, start: int, stop: int) -> None:
        """Keep only steps ``[start, stop)`` of a demo (Python slice semantics, no step)."""
        with self._write() as f:
            g = self._demo(f, name)
            n = int(to_python(g.attrs["num_samples"]))
            lo, hi, _ = slice(start, stop).indices(n)
            if hi <= lo:
                raise ValueError(f"{self.path}: trim {name}[{start}:{stop}] leaves no steps")
            keys = [k for k in STEP_FIELDS if k in g]
            keys += [f"{grp}/{k}" for grp in ("obs", "next_obs") if grp in g for k in g[grp]]
            for key in keys:
                arr = g[key][lo:hi]
                del g[key]
                g.create_dataset(key, data=arr)
            g.attrs["num_samples"] = hi - lo
            total = int(to_python(f["data"].attrs.get("total", 0)))
            f["data"].attrs["total"] = total - (n - (hi - lo))

    def set_attrs(self, name: str, **attrs: Any) -> None:
        """Set demo attributes: ``tags`` (list[str]), ``notes``, ``success``...; None removes."""
        with self._write() as f:
            check_user_attrs(attrs)
            self._set_demo_attrs(self._demo(f, name), attrs)

    def set_mask(self, mask_name: str, demo_names: list[str]) -> None:
        """Create or replace a mask (filter key) such as ``train`` or ``valid``.

        Raises:
            ValueError: the mask name is not a valid name (see ``rename``).
            KeyError: a demo name is not in the file.
        """
        check_name(mask_name, "mask name")
        with self._write() as f:
            missing = [d for d in demo_names if d not in f["data"]]
            if missing:
                raise KeyError(f"{self.path}: mask {mask_name!r} names unknown demos {missing}")
            _write_mask(f, mask_name, list(demo_names))

    def compact(self) -> None:
        """Rewrite the file without the space that deleted demos left behind (atomic rename)."""
        if self.mode == "r":
            raise RecordingError(f"{self.path}: opened read-only")
        with self._lock():
            roll_back(self.path)
            tmp = f"{self.path}.tmp-{os.getpid()}"
            try:
                journal.create_empty(tmp)
                handle = journal.ReadHandle(self.path)
                try:
                    src = handle.file
                    with h5py.File(tmp, "w") as dst:
                        for key, value in src.attrs.items():
                            dst.attrs[key] = value
                        for key in src:
                            src.copy(src[key], dst, name=key)
                finally:
                    handle.close()
                fd = os.open(tmp, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(tmp, self.path)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                why = describe_os_error(exc)
                raise RecordingError(f"{self.path}: compact failed: {why}") from exc

    def close(self) -> None:
        """Stop using the file. Unfinished episode writers stay usable (they own their journal)."""
        self._closed = True

    def __enter__(self) -> RecordingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def remove_recording(path: str | os.PathLike, *, missing_ok: bool = False) -> list[str]:
    """Delete a recordings file together with its sidecar journals.

    Removes ``<path>``, its rollback journal ``<path>.journal`` (an interrupted commit), the
    episode journals ``<path>.rec-<id>`` (crashed episodes awaiting ``recover()``) and temporary
    files ``<path>.tmp-<pid>`` left by an interrupted ``compact()`` or creation. Nothing is
    removed while a live writer is recording into the file (it holds its episode journal
    locked); other processes' commits are kept out by the folder lock meanwhile. Readers that
    have the file open keep reading their (now unlinked) copy.

    Args:
        path: the ``.h5`` file.
        missing_ok: when neither the file nor any sidecar exists, return ``[]`` instead of
            raising.

    Returns:
        The paths removed.

    Raises:
        RecordingError: a live writer is recording an episode into the file, or a removal
            failed (the message names the path).
        FileNotFoundError: nothing to remove and not ``missing_ok``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    base = os.path.basename(path)
    locked: list[int] = []
    removed: list[str] = []
    with dir_lock(path):
        try:
            sidecars = sidecar_paths(path)
            for sc in sidecars:
                fd = try_lock(sc)
                if fd is None and os.path.exists(sc):
                    raise RecordingError(
                        f"{path}: an episode is being recorded into it ({sc} is locked by a live "
                        "writer); finish or discard it first"
                    )
                if fd is not None:
                    locked.append(fd)
            try:
                names = os.listdir(folder)
            except OSError:
                names = []
            temps = sorted(os.path.join(folder, n) for n in names if n.startswith(f"{base}.tmp-"))
            candidates = [path, journal.journal_path(path), *sidecars, *temps]
            for p in candidates:
                try:
                    os.unlink(p)
                except FileNotFoundError:
                    continue
                except OSError as exc:
                    why = describe_os_error(exc)
                    raise RecordingError(f"{path}: cannot remove {p}: {why}") from exc
                removed.append(p)
        finally:
            for fd in locked:
                os.close(fd)
    if removed:
        journal.fsync_dir(path)
    elif not missing_ok:
        raise FileNotFoundError(f"{path}: no such recordings file")
    return removed
