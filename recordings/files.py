"""Plain file work under a recordings file: OS error wording, fsync, read views, atomic creation."""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable

import h5py

from .schema import RecordingError


def describe_os_error(exc: OSError) -> str:
    """A short human explanation of the usual I/O failures."""
    if exc.errno == errno.ENOSPC:
        return "disk full"
    if exc.errno == errno.EDQUOT:
        return "disk quota exceeded"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied (read-only location?)"
    return exc.strerror or str(exc)


def open_fd(path: str, flags: int, failure: str) -> int:
    """``os.open(path, flags)``; an OSError is raised as a RecordingError "<failure>: <why>"."""
    try:
        return os.open(path, flags)
    except OSError as exc:
        raise RecordingError(f"{failure}: {describe_os_error(exc)}") from exc


def fsync_dir(path: str) -> None:
    """fsync the folder of ``path`` (errors ignored)."""
    # Makes the creation/removal of the journal itself durable (power loss, not just kill -9).
    with contextlib.suppress(OSError):
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def file_token(fd: int) -> tuple[int, int, int, int]:
    """(device, inode, size, mtime in ns) of an open file: changes with every commit."""
    st = os.fstat(fd)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def changed_since(path: str, token: tuple[int, int, int, int]) -> bool:
    """Whether ``path`` was committed to (or replaced) since ``token`` was taken.

    A file that is gone counts as unchanged: a reader keeps reading its (unlinked) copy.
    """
    try:
        st = os.stat(path)
    except OSError:
        return False
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != token


class ReadHandle:
    """An HDF5 file open for reading through a private Python file object.

    HDF5 shares one cache among all opens of the same inode in a process, so a plain
    ``h5py.File(path)`` opened after one of our commits would reuse an older open's stale
    metadata and not see the new demos. Going through our own file object gives every open its
    own view of the file as it is now.
    """

    def __init__(self, path: str) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        self.token = file_token(self._fh.fileno())  # the state this view shows
        try:
            self.file = h5py.File(self._fh, "r")
        except BaseException:
            self._fh.close()
            raise

    def close(self) -> None:
        """Close the HDF5 file and its file object."""
        try:
            self.file.close()
        finally:
            self._fh.close()


def create_empty(path: str) -> None:
    """Create (or empty) ``path`` through ``os.open``, so that a read-only or full location fails
    here with a plain OSError (whose errno ``describe_os_error`` explains) rather than inside
    HDF5, and before anything else is done."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))


def create_atomically(path: str, init: Callable[[h5py.File], None]) -> None:
    """Create ``path`` fully formed: build it under a temporary name, then rename it into place."""
    path = str(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        create_empty(tmp)
        with h5py.File(tmp, "w") as f:
            init(f)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise RecordingError(f"{path}: cannot create file: {describe_os_error(exc)}") from exc
