"""Recording into a recordings file: its scene, new episodes, and committing their journals."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

import numpy as np

from .episode import EpisodeWriter
from .fileaccess import FileAccess
from .files import describe_os_error
from .layout import awaiting_names, mask_names, set_awaiting, set_demo_attrs, write_mask
from .scene import refuse_other_scene
from .schema import FORMAT_VERSION, SOURCES, RecordingError, check_user_attrs, demo_index, to_python
from .sidecar import SIDECAR_INFIX, read_sidecar


class Committing(FileAccess):
    """The recording part of :class:`~recordings.RecordingFile`."""

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
                refuse_other_scene(self.path, f, args)
        if not unchanged:
            with self._write() as f:
                refuse_other_scene(self.path, f, args)  # again, under the lock: another process
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
            refuse_other_scene(self.path, f, dict(env_args))

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
                refuse_other_scene(self.path, f, env_args)
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
                set_awaiting(f, [*awaiting_names(f), name])
            set_demo_attrs(g, attrs)
            data.attrs["total"] = int(to_python(data.attrs.get("total", 0))) + n
            data.attrs["next_demo_index"] = index + 1
            f.attrs["format_version"] = FORMAT_VERSION
            source = meta["source"]
            write_mask(f, source, [*mask_names(f, source), name])
        return name, True
