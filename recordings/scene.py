"""One scene per recordings file: which scene a file is for, and the refusal of another's demos."""

from __future__ import annotations

import json
import os
from typing import Any

import h5py

from .fileaccess import FileAccess
from .schema import RecordingError, to_python


class SceneMismatchError(RecordingError):
    """A demo of one scene was to go into a file that holds another scene's demos."""


def stored_env_name(f: h5py.File) -> str | None:
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
    with FileAccess(path, mode="r")._read() as f:
        if not isinstance(f.get("data"), h5py.Group):
            return None
        return stored_env_name(f)


def refuse_other_scene(path: str, f: h5py.File, args: dict[str, Any]) -> None:
    """Raise SceneMismatchError when the open file ``f`` holds demos of another scene than
    ``args["env_name"]`` (an empty file takes any scene)."""
    old = stored_env_name(f) if len(f["data"]) else None
    new = args.get("env_name")
    if old is not None and old != new:
        raise SceneMismatchError(
            f"{path}: holds {len(f['data'])} demos of {old}; cannot record {new} into "
            "it (one file holds one scene: choose another file)"
        )
