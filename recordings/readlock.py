"""The locking under a Dataset: every read under the folder's shared lock, and the file opened
afresh when another process committed to it since the last read."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any, Self, TypeVar

import h5py

from .files import ReadHandle, changed_since
from .journal import read_lock
from .schema import ValidationError

_F = TypeVar("_F", bound=Callable[..., Any])


def reads(method: _F) -> _F:
    """Run a reader's method inside ``_reading()``: no commit lands while it reads."""

    @functools.wraps(method)
    def wrapper(self: LockedReader, *args: Any, **kwargs: Any) -> Any:
        with self._reading():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class LockedReader:
    """A recordings file read under the shared lock, reopened after other processes' commits.

    The base of :class:`~recordings.Dataset`: it opens nothing itself; the first
    ``_reading()`` opens the file, and ``_scan()`` (a subclass's) reads what it holds.
    """

    _f: h5py.File

    def __init__(
        self, path: str | os.PathLike, *, on_wait: Callable[[str], None] | None, lock_timeout: float
    ) -> None:
        self.path = os.fspath(path)
        self._on_wait = on_wait
        self._lock_timeout = lock_timeout
        self._depth = 0  # nesting of _reading(): only the outermost takes the lock
        self._handle: ReadHandle | None = None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold the shared lock; reopen first if a commit landed since the file was opened."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with read_lock(self.path, timeout=self._lock_timeout, on_wait=self._on_wait):
            if self._handle is None or changed_since(self.path, self._handle.token):
                self._reopen()
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    def _reopen(self) -> None:
        """Open the file as it is now (caller holds the shared lock)."""
        old = self._handle
        self._handle = None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        self._f = self._open()
        try:
            self._scan()
        except BaseException:
            self.close()
            raise

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Keep other processes' commits out for the block, so that calls inside it see one
        state of the file (they wait, and may time out: keep the block short)."""
        return self._reading()

    def _open(self) -> h5py.File:
        try:
            self._handle = ReadHandle(self.path)  # a private view: see ReadHandle
        except PermissionError as exc:
            problem = "cannot read it: permission denied"
            raise ValidationError(self.path, None, None, problem) from exc
        except FileNotFoundError as exc:
            raise ValidationError(self.path, None, None, "no such file") from exc
        except OSError as exc:
            if not h5py.is_hdf5(self.path):
                raise ValidationError(self.path, None, None, "not an HDF5 file") from exc
            raise ValidationError(
                self.path, None, None, f"truncated or damaged HDF5 file ({exc})"
            ) from exc
        return self._handle.file

    def _scan(self) -> None:
        """Read the header of the file just opened (caller holds the shared lock)."""
        raise NotImplementedError

    def close(self) -> None:
        """Close the HDF5 file."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            with contextlib.suppress(AttributeError, RuntimeError, OSError, ValueError):
                handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
