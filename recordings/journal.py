"""Crash-safe changes to an HDF5 file: a rollback journal under h5py's file-object driver.

HDF5 updates its metadata (superblock, B-trees, heaps) in place, so a process killed half-way
through a write can leave a file that no longer opens. Every change to a recordings file therefore
goes through :func:`transaction`, which follows SQLite's rollback-journal protocol:

1. h5py works on an in-memory overlay of the file (``_Overlay``): reads see pending writes, writes
   stay in memory, the file on disk is not touched.
2. On commit, the original bytes of every page about to be overwritten (and the original length)
   go to ``<file>.journal`` with a checksum, which is fsync'ed.
3. The new pages are written to the file, which is fsync'ed; then the journal is deleted. Deleting
   it is the commit point.

A journal left behind by a crash is "hot": if its checksum is good, the file may be half-written and
the journal's bytes are copied back (roll back to the last commit); if not, the crash came before
step 3 and the file was never touched, so the journal is just removed. See docs/FORMAT.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import struct
import time
import zlib
from collections.abc import Callable, Iterator

import h5py

from .files import describe_os_error, fsync_dir, open_fd
from .locks import LOCK_TIMEOUT, dir_lock
from .schema import RecordingError

PAGE = 4096
JOURNAL_SUFFIX = ".journal"
_MAGIC = b"ISJRNL01"
_HEAD = struct.Struct("<8sQQ")  # magic, original file size, number of records
_REC = struct.Struct("<QQ")  # offset, length (followed by the bytes)
_TAIL = struct.Struct("<I8s")  # crc32 of everything before, magic again


def journal_path(path: str) -> str:
    """Where the rollback journal of ``path`` lives."""
    return str(path) + JOURNAL_SUFFIX


class _Overlay(io.RawIOBase):
    """A file object for h5py whose writes are kept in memory, page by page, until commit."""

    def __init__(self, fd: int, size: int) -> None:
        super().__init__()
        self._fd = fd
        self.orig_size = size
        self.size = size
        # Bytes at or beyond `_base_end` were cut off by a truncate: they read as zeros.
        self._base_end = size
        self._pos = 0
        self.pages: dict[int, bytearray] = {}

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self.size}[whence]
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def _base(self, offset: int, n: int) -> bytes:
        n_real = max(0, min(n, self._base_end - offset))
        data = os.pread(self._fd, n_real, offset) if n_real else b""
        return data + bytes(n - len(data))

    def _page(self, p: int) -> bytearray:
        page = self.pages.get(p)
        if page is None:
            page = self.pages[p] = bytearray(self._base(p * PAGE, PAGE))
        return page

    def readinto(self, buf) -> int:
        mv = memoryview(buf).cast("B")
        n = max(0, min(len(mv), self.size - self._pos))
        done = 0
        while done < n:
            off = self._pos + done
            p, start = divmod(off, PAGE)
            k = min(PAGE - start, n - done)
            page = self.pages.get(p)
            if page is not None:
                mv[done : done + k] = page[start : start + k]
            else:
                # Read straight through to the next dirty page in one call (fast bulk reads).
                k = n - done
                q = p + 1
                while q * PAGE < off + k and q not in self.pages:
                    q += 1
                k = min(k, q * PAGE - off)
                mv[done : done + k] = self._base(off, k)
            done += k
        self._pos += n
        return n

    def write(self, data) -> int:
        mv = memoryview(data).cast("B")
        done = 0
        while done < len(mv):
            p, start = divmod(self._pos + done, PAGE)
            k = min(PAGE - start, len(mv) - done)
            self._page(p)[start : start + k] = mv[done : done + k]
            done += k
        self._pos += done
        self.size = max(self.size, self._pos)
        return done

    def truncate(self, size: int | None = None) -> int:
        size = self._pos if size is None else size
        if size < self.size:
            for p in [p for p in self.pages if p * PAGE >= size]:
                del self.pages[p]
            p, start = divmod(size, PAGE)
            if p in self.pages:
                self.pages[p][start:] = bytes(PAGE - start)
            self._base_end = min(self._base_end, size)
        self.size = size
        return size

    def flush(self) -> None:
        pass

    # -- commit ---------------------------------------------------------------------------------

    def commit(self, path: str) -> None:
        """Journal the old bytes, write the new ones, fsync, remove the journal (see module doc)."""
        write = os.pwrite  # looked up per call so that tests can simulate failures
        writes = []
        for p in sorted(self.pages):
            off = p * PAGE
            if off < self.size:
                writes.append((off, bytes(self.pages[p][: min(PAGE, self.size - off)])))
        undo = [
            (off, os.pread(self._fd, min(len(d), self.orig_size - off), off))
            for off, d in writes
            if off < self.orig_size
        ]
        if self.size < self.orig_size:
            undo.append((self.size, os.pread(self._fd, self.orig_size - self.size, self.size)))
        if not writes and self.size == self.orig_size:
            return
        jpath = journal_path(path)
        blob = bytearray(_HEAD.pack(_MAGIC, self.orig_size, len(undo)))
        for off, d in undo:
            blob += _REC.pack(off, len(d)) + d
        blob += _TAIL.pack(zlib.crc32(blob), _MAGIC)
        try:
            jfd = os.open(jpath, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                _write_all(jfd, blob, 0, write)
                os.fsync(jfd)
            finally:
                os.close(jfd)
            fsync_dir(path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(jpath)  # the file was not touched yet
            raise RecordingError(f"{path}: cannot write journal: {describe_os_error(exc)}") from exc
        try:
            for off, d in writes:
                _write_all(self._fd, d, off, write)
            os.ftruncate(self._fd, self.size)
            _bump_mtime(self._fd)
            os.fsync(self._fd)
        except OSError as exc:
            # Put the old bytes back now (overwriting in place needs no new space); if even that
            # fails the journal stays, and the next open rolls back from it.
            try:
                _apply_undo(self._fd, self.orig_size, undo)
            except OSError:
                raise RecordingError(
                    f"{path}: write failed ({describe_os_error(exc)}); the previous state is kept "
                    f"in {jpath} and is restored the next time the file is opened"
                ) from exc
            with contextlib.suppress(OSError):
                os.unlink(jpath)
            raise RecordingError(
                f"{path}: write failed ({describe_os_error(exc)}); the file was rolled back to "
                "its previous state"
            ) from exc
        os.unlink(jpath)  # commit point
        fsync_dir(path)


def _bump_mtime(fd: int) -> None:
    """Make the file's mtime strictly later than before the commit.

    Open readers compare (inode, size, mtime) to tell whether a commit happened since they
    opened the file (see ``changed_since``). The kernel stamps writes with a coarse clock (one
    tick is several ms), so two commits in one tick could leave the same mtime; this cannot.
    """
    st = os.fstat(fd)
    ns = max(time.time_ns(), st.st_mtime_ns + 1)
    os.utime(fd, ns=(st.st_atime_ns, ns))


def _write_all(fd: int, data: bytes | bytearray, offset: int, write=None) -> None:
    write = write or os.pwrite
    mv = memoryview(data)
    while mv:
        n = write(fd, mv, offset)
        mv, offset = mv[n:], offset + n


def _apply_undo(fd: int, orig_size: int, undo: list[tuple[int, bytes]]) -> None:
    for off, d in undo:
        _write_all(fd, d, off)
    os.ftruncate(fd, orig_size)
    _bump_mtime(fd)  # the bytes changed again: open readers must notice
    os.fsync(fd)


def _read_journal(jpath: str) -> tuple[int, list[tuple[int, bytes]]] | None:
    """Parse a journal; None when it is incomplete (the crash came before the file was touched)."""
    with open(jpath, "rb") as fh:
        blob = fh.read()
    if len(blob) < _HEAD.size + _TAIL.size:
        return None
    crc, magic = _TAIL.unpack_from(blob, len(blob) - _TAIL.size)
    body = blob[: -_TAIL.size]
    if magic != _MAGIC or zlib.crc32(body) != crc:
        return None
    magic, orig_size, count = _HEAD.unpack_from(body)
    pos, undo = _HEAD.size, []
    for _ in range(count):
        off, n = _REC.unpack_from(body, pos)
        pos += _REC.size
        undo.append((off, body[pos : pos + n]))
        pos += n
    return orig_size, undo


def has_hot_journal(path: str) -> bool:
    """True when a crash left an interrupted commit for ``path``."""
    return os.path.exists(journal_path(path))


def roll_back(path: str) -> bool:
    """Undo an interrupted commit, if any (caller holds the folder lock). Returns True if it did."""
    jpath = journal_path(path)
    if not os.path.exists(jpath):
        return False
    try:
        parsed = _read_journal(jpath)
        if parsed is not None and os.path.exists(path):
            fd = os.open(path, os.O_RDWR)
            try:
                _apply_undo(fd, *parsed)
            finally:
                os.close(fd)
        os.unlink(jpath)
        fsync_dir(path)
    except OSError as exc:
        raise RecordingError(
            f"{path}: an interrupted write must be rolled back from {jpath}, but that failed "
            f"({describe_os_error(exc)}); open the file once from a writable location"
        ) from exc
    return parsed is not None


@contextlib.contextmanager
def transaction(
    path: str, *, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[str], None] | None = None
) -> Iterator[h5py.File]:
    """Open ``path`` for changes that land all together or not at all.

    Yields an h5py.File; if the block raises, nothing reaches the disk. ``timeout`` and
    ``on_wait`` are ``dir_lock``'s (waiting for readers and other writers).
    """
    path = str(path)
    with dir_lock(path, timeout=timeout, on_wait=on_wait):
        roll_back(path)
        fd = open_fd(path, os.O_RDWR, f"{path}: cannot open for writing")
        try:
            overlay = _Overlay(fd, os.fstat(fd).st_size)
            try:
                f = h5py.File(overlay, "r+")
            except OSError as exc:
                raise RecordingError(f"{path}: not a readable HDF5 file ({exc})") from exc
            try:
                yield f
            except BaseException:
                with contextlib.suppress(Exception):
                    f.close()
                raise
            f.close()
            overlay.commit(path)
        finally:
            os.close(fd)


@contextlib.contextmanager
def read_lock(
    path: str, *, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """A reader's lock on ``path``: ``dir_lock`` shared, with no interrupted commit left behind.

    Under the shared lock no live writer is committing, so a rollback journal found there is hot:
    a writer died mid-commit. It is undone (under the exclusive lock) before the read goes on.
    """
    with contextlib.ExitStack() as stack:
        for attempt in range(3):
            stack.enter_context(dir_lock(path, shared=True, timeout=timeout, on_wait=on_wait))
            if attempt == 2 or not has_hot_journal(path):
                break
            stack.close()
            with dir_lock(path, timeout=timeout, on_wait=on_wait):
                roll_back(path)
        yield
