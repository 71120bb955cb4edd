"""The folder lock that serialises commits and reads of the recordings files in one folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import warnings
from collections.abc import Callable, Iterator

from .files import open_fd
from .schema import RecordingError

#: How long a reader or writer waits for another process's commit or read before giving up.
LOCK_TIMEOUT = 30.0


class FileBusyWarning(UserWarning):
    """A reader or writer waits because another process is writing (or reading) the file."""


def default_on_wait(message: str) -> None:
    """Say that we wait, as a FileBusyWarning (a CLI shows it; the caller can filter it)."""
    warnings.warn(message, FileBusyWarning, stacklevel=4)


def busy_message(path: str, shared: bool) -> str:
    """What a process waiting for the lock of ``path`` says."""
    return f"{_busy(path, shared)}; waiting"


def _busy(path: str, shared: bool) -> str:
    # The lock is the folder's: it may be another file of the folder that is busy.
    doing = "written" if shared else "read or written"
    return f"{path} (or another file in its folder) is being {doing} by another process"


@contextlib.contextmanager
def dir_lock(
    path: str,
    *,
    shared: bool = False,
    timeout: float = LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Serialise commits to files in the folder of ``path`` (flock on the folder itself).

    Commits take it exclusive, reads shared, so a read sees the file before or after a commit.
    Locking the folder rather than the file keeps clear of HDF5's own flock on the file, which
    would otherwise make an open reader block every commit; survives the file being replaced
    (``compact()``, a new file renamed into place); and leaves no lock file behind.

    Args:
        path: the file whose folder is locked.
        shared: a reader's lock (many at once) instead of a writer's (one, alone).
        timeout: seconds to wait before giving up with a RecordingError.
        on_wait: called once with a message (``busy_message``) when the lock is not free at
            once; None says nothing.
    """
    folder = os.path.dirname(os.path.abspath(path))
    fd = open_fd(folder, os.O_RDONLY, f"{path}: cannot open folder {folder}")
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not told and on_wait is not None:
                    told = True
                    on_wait(busy_message(path, shared))
                if time.monotonic() > deadline:
                    raise RecordingError(
                        f"{_busy(path, shared)}: gave up after waiting {timeout:g} s "
                        f"(the lock is on the folder {folder}; is a process stuck?)"
                    ) from None
                time.sleep(0.005)
        yield
    finally:
        os.close(fd)  # also releases the lock
