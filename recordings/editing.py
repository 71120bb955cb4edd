"""Editing the demos of a recordings file: delete, rename, trim, attributes, masks, compact."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

import h5py

from .fileaccess import FileAccess
from .files import ReadHandle, create_empty, describe_os_error
from .journal import roll_back
from .layout import awaiting_names, mask_names, set_awaiting, set_demo_attrs, write_mask
from .schema import STEP_FIELDS, RecordingError, check_name, check_user_attrs, to_python


class Editing(FileAccess):
    """The editing part of :class:`~recordings.RecordingFile`."""

    def delete(self, name: str) -> None:
        """Remove a demo (and its name from every mask). Other demos are not touched."""
        with self._write() as f:
            g = self._demo(f, name)
            n = int(to_python(g.attrs.get("num_samples", 0)))
            del f["data"][name]
            f["data"].attrs["total"] = max(0, int(to_python(f["data"].attrs.get("total", 0))) - n)
            for mask in list(f.get("mask", {})):
                names = mask_names(f, mask)
                if name in names:
                    write_mask(f, mask, [m for m in names if m != name])
            if name in (awaiting := awaiting_names(f)):
                set_awaiting(f, [n for n in awaiting if n != name])

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
                names = mask_names(f, mask)
                if old in names:
                    write_mask(f, mask, [new if m == old else m for m in names])
            for g in f["data"].values():
                if to_python(g.attrs.get("parent", "")) == old:
                    g.attrs["parent"] = new
            awaiting = json.loads(to_python(f["data"].attrs.get("awaiting_decision", "")) or "[]")
            if old in awaiting:
                set_awaiting(f, [new if n == old else n for n in awaiting])

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
            set_demo_attrs(self._demo(f, name), attrs)

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
            write_mask(f, mask_name, list(demo_names))

    def compact(self) -> None:
        """Rewrite the file without the space that deleted demos left behind (atomic rename)."""
        if self.mode == "r":
            raise RecordingError(f"{self.path}: opened read-only")
        with self._lock():
            roll_back(self.path)
            tmp = f"{self.path}.tmp-{os.getpid()}"
            try:
                create_empty(tmp)
                handle = ReadHandle(self.path)
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
