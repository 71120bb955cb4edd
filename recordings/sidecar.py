"""Journal of the episode being recorded: ``<file>.rec-<id>`` next to the HDF5 file.

Steps are appended in blocks, each with its own checksum, so a process killed at any moment
leaves a file whose good prefix can be read back; that prefix is what ``recover()`` commits. The
HDF5 file itself is only touched once per episode, at ``finish()``.

Layout: header ``ISREC001 | u32 len | u32 crc | JSON meta``, then blocks
``BLK1 | u32 header len | u64 payload len | u32 crc | JSON {"n", "fields"} | raw arrays``.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import zlib
from typing import Any

import numpy as np

from .schema import RecordingError

SIDECAR_INFIX = ".rec-"
_MAGIC = b"ISREC001"
_META = struct.Struct("<8sII")
_BLOCK_MAGIC = b"BLK1"
_BLOCK = struct.Struct("<4sIQI")


def sidecar_paths(path: str) -> list[str]:
    """All in-progress episode journals of ``path`` (live or crashed)."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + SIDECAR_INFIX
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return sorted(os.path.join(folder, n) for n in names if n.startswith(prefix))


def try_lock(sidecar: str) -> int | None:
    """Open and lock a journal; None if a live writer holds it (or it vanished)."""
    try:
        fd = os.open(sidecar, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


class SidecarWriter:
    """Appends blocks of steps to a new journal, which it keeps locked while it lives."""

    def __init__(self, path: str, meta: dict[str, Any]) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)  # tells recover() this episode is alive
        body = json.dumps(meta).encode()
        self._write(_META.pack(_MAGIC, len(body), zlib.crc32(body)) + body)

    def _write(self, data: bytes) -> None:
        mv = memoryview(data)
        while mv:
            mv = mv[os.write(self.fd, mv) :]

    def write_block(
        self, n: int, fields: list[tuple[str, np.ndarray]], extra: dict | None = None
    ) -> None:
        """Write ``n`` steps; each array is (n, ...). ``extra`` goes into the block header."""
        head = {"n": n, "fields": [[k, a.dtype.str, a.shape[1:]] for k, a in fields]}
        head_b = json.dumps({**head, **(extra or {})}).encode()
        payload = b"".join(a.tobytes() for _, a in fields)
        crc = zlib.crc32(payload, zlib.crc32(head_b))
        # One write call: a block is either all there or detected as torn by its checksum.
        self._write(_BLOCK.pack(_BLOCK_MAGIC, len(head_b), len(payload), crc) + head_b + payload)

    def write_finish(self, finish: dict[str, Any]) -> None:
        """Record how the episode ended (success flag, attributes) as an empty block."""
        try:
            json.dumps(finish)
        except TypeError as exc:
            raise ValueError(f"finish attributes must be JSON-able: {exc}") from exc
        self.write_block(0, [], {"finish": finish})

    def sync(self) -> None:
        """Push written blocks to the disk (guards against power loss, not only process death)."""
        os.fsync(self.fd)

    def close(self) -> None:
        """Close (and unlock) the journal."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def read_sidecar(path: str) -> tuple[dict[str, Any], dict[str, np.ndarray], int]:
    """Read a journal's metadata and its good steps.

    Returns:
        (meta, arrays by field name, number of steps). A torn final block is ignored; a field
        missing from early blocks (``labels`` appear at the first label) is filled with NaN.

    Raises:
        RecordingError: the header itself is unreadable (the crash came while creating it).
    """
    with open(path, "rb") as fh:
        blob = fh.read()
    if len(blob) < _META.size:
        raise RecordingError(f"{path}: in-progress journal has no header")
    magic, n_meta, crc = _META.unpack_from(blob)
    meta_b = blob[_META.size : _META.size + n_meta]
    if magic != _MAGIC or len(meta_b) != n_meta or zlib.crc32(meta_b) != crc:
        raise RecordingError(f"{path}: in-progress journal header is damaged")
    meta = json.loads(meta_b)
    pos = _META.size + n_meta
    blocks: list[tuple[int, dict[str, np.ndarray]]] = []
    while pos + _BLOCK.size <= len(blob):
        bmagic, n_head, n_payload, crc = _BLOCK.unpack_from(blob, pos)
        start = pos + _BLOCK.size
        end = start + n_head + n_payload
        if bmagic != _BLOCK_MAGIC or end > len(blob):
            break
        head_b = blob[start : start + n_head]
        payload = memoryview(blob)[start + n_head : end]
        if zlib.crc32(payload, zlib.crc32(head_b)) != crc:
            break
        head = json.loads(head_b)
        if "finish" in head:
            meta["finish"] = head["finish"]
        n, off, arrays = head["n"], 0, {}
        for key, dtype, shape in head["fields"]:
            dt = np.dtype(dtype)
            size = n * dt.itemsize * int(np.prod(shape, dtype=np.int64))
            arrays[key] = np.frombuffer(payload[off : off + size], dtype=dt).reshape(n, *shape)
            off += size
        if n:
            blocks.append((n, arrays))
        pos = end
    total = sum(n for n, _ in blocks)
    out: dict[str, np.ndarray] = {}
    for key in dict.fromkeys(k for _, arrays in blocks for k in arrays):
        like = next(a[key] for _, a in blocks if key in a)
        parts = []
        for n, arrays in blocks:
            if key in arrays:
                parts.append(arrays[key])
            else:
                parts.append(np.full((n, *like.shape[1:]), np.nan, dtype=like.dtype))
        out[key] = np.concatenate(parts)
    return meta, out, total
