"""Deleting a recordings file together with everything kept beside it."""

from __future__ import annotations

import os

from .files import describe_os_error, fsync_dir
from .journal import journal_path
from .locks import dir_lock
from .schema import RecordingError
from .sidecar import sidecar_paths, try_lock


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
            candidates = [path, journal_path(path), *sidecars, *temps]
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
        fsync_dir(path)
    elif not missing_ok:
        raise FileNotFoundError(f"{path}: no such recordings file")
    return removed
