"""The plumbing of a RecordingFile: opening or creating the file, and its locked reads and
journaled writes (see ``recordings/journal.py``)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Self

import h5py

from .files import ReadHandle, create_atomically
from .journal import has_hot_journal, read_lock, roll_back, transaction
from .layout import init_file, mask_names
from .locks import LOCK_TIMEOUT, default_on_wait, dir_lock
from .schema import FORMAT_VERSION, RecordingError, natural_key, to_python


class FileAccess:
    """A recordings file opened for a :class:`~recordings.RecordingFile` (whose docstring
    describes the arguments); the HDF5 file itself is opened only for each read or change."""

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
                    create_atomically(self.path, init_file)
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
        with read_lock(self.path, timeout=self._lock_timeout, on_wait=self._on_wait):
            try:
                handle = ReadHandle(self.path)
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
            return {m: mask_names(f, m) for m in f.get("mask", {})}

    def close(self) -> None:
        """Stop using the file. Unfinished episode writers stay usable (they own their journal)."""
        self._closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
