"""Dataset: lazy, validated reading of a recordings file (ours or plain robomimic).

Dataset is built in layers: ``readlock.py`` (the shared lock, reopening after commits),
``checked_reader.py`` (header, demos and masks, checked on first use), ``training_arrays.py``
(transitions and statistics for training); this module reads single demos.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import h5py
import numpy as np

from .locks import LOCK_TIMEOUT, default_on_wait
from .readlock import reads
from .schema import (
    DemoInfo,
    Episode,
    Provenance,
    RecordingError,
    ValidationError,
    demo_info_from_attrs,
    parse_count,
    to_python,
)
from .training_arrays import TrainingArrays
from .validate import check_values


class Dataset(TrainingArrays):
    """A recordings file open for reading, lazily.

    Opening reads the file's header and the list of demo names only (milliseconds, a few MB, for
    a 1,000-demo file). Each demo is validated the first time its arrays or layout are needed
    (``episode``, ``fields``, ``transitions``, ``stats``); ``validate()`` checks every demo's
    layout up front (metadata only) and ``check()`` also reads every value (NaN/inf).

    Other processes may commit to the file while it is open. Every method reads under a shared
    lock that commits wait for, so it sees the file either before or after a commit, never
    half-way; if a commit landed since the last call, the file is opened afresh first (new
    demos appear, deleted ones leave ``demos``). To see one state across several calls, wrap
    them in ``with ds.locked():`` (commits wait meanwhile: keep it short). A Dataset is for one
    thread.

    Args:
        path: the ``.h5`` file.
        lenient: skip demos that break the format and list why in ``problems`` instead of
            raising. Never silent: every skipped demo has an entry, and leaves ``demos``.
        on_wait: called with ``busy_message`` ("<file> (or another file in its folder) is
            being written by another process; waiting") when a read must wait for another
            process's commit (default: a ``FileBusyWarning``).
        lock_timeout: seconds to wait for a commit before giving up with a RecordingError.

    Raises:
        ValidationError: not an HDF5 file, truncated, format_version from the future, no
            ``data`` group, or not readable (permissions). Problems inside a demo are raised
            when that demo is checked.
        RecordingError: another process kept the file locked for ``lock_timeout`` seconds.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        lenient: bool = False,
        on_wait: Callable[[str], None] | None = default_on_wait,
        lock_timeout: float = LOCK_TIMEOUT,
    ) -> None:
        super().__init__(path, lenient=lenient, on_wait=on_wait, lock_timeout=lock_timeout)
        if not os.path.exists(self.path):
            raise ValidationError(self.path, None, None, "no such file")
        with self._reading():
            pass  # opens the file and reads its header and demo names

    @reads
    def info(self, name: str) -> DemoInfo:
        """Attributes of a demo (no array data is read, and the layout is not checked)."""
        g = self._group(name, check=False)
        if "num_samples" in g.attrs:
            n = parse_count(g.attrs["num_samples"])
            if n is None:
                value = to_python(g.attrs["num_samples"])
                problem = f"not a whole number: {value!r}"
                self._fail(name, [ValidationError(self.path, name, "num_samples", problem)])
        elif isinstance(g.get("actions"), h5py.Dataset):
            n = g["actions"].shape[0]
        else:
            self._fail(name, [ValidationError(self.path, name, "actions", "missing dataset")])
        return demo_info_from_attrs(name, g.attrs, n)

    @reads
    def fields(self, name: str) -> dict[str, tuple[tuple[int, ...], str]]:
        """Per-step shape and dtype of each field of a demo: ``{"actions": ((2,), "float32")}``.

        Reads metadata only.
        """
        g = self._group(name)
        out = {}
        for key in ("obs", "next_obs"):
            for k, ds in g.get(key, {}).items():
                out[f"{key}/{k}"] = (tuple(ds.shape[1:]), str(ds.dtype))
        for k in ("actions", "rewards", "dones", "states", "provenance", "labels"):
            if k in g:
                out[k] = (tuple(g[k].shape[1:]), str(g[k].dtype))
        return out

    @reads
    def model_file(self, name: str | None = None) -> str | None:
        """The MJCF of a demo (of the first demo when no name is given), or None."""
        if name is None:
            if not self.demos:
                return None
            name = self.demos[0]
        value = to_python(self._group(name).attrs.get("model_file", ""))
        return value or None

    @reads
    def episode(self, name: str) -> Episode:
        """Load one demo into memory. Raises ValidationError on NaN/inf or bad values."""
        g = self._group(name)
        n = g["actions"].shape[0]
        obs = {k: ds[()] for k, ds in g["obs"].items()}
        next_obs = {k: ds[()] for k, ds in g["next_obs"].items()} if "next_obs" in g else None
        actions = g["actions"][()]
        states = g["states"][()] if "states" in g else np.zeros((n, 0))
        stored_prov = g["provenance"][()] if "provenance" in g else None
        prov = stored_prov
        if prov is None:  # files from other tools do not say who acted
            prov = np.full(n, Provenance.UNKNOWN, np.uint8)
        labels = g["labels"][()] if "labels" in g else None
        arrays = {
            **{f"obs/{k}": v for k, v in obs.items()},
            **{f"next_obs/{k}": v for k, v in (next_obs or {}).items()},
            "actions": actions,
            "rewards": g["rewards"][()],
            "dones": g["dones"][()],
            "states": states,
            "provenance": stored_prov,  # only stored codes are checked
            "labels": labels,
        }
        errs = check_values(self.path, name, arrays)
        if errs:
            self._fail(name, errs)
        return Episode(
            obs=obs,
            next_obs=next_obs,
            actions=actions,
            rewards=arrays["rewards"],
            dones=arrays["dones"],
            states=states,
            provenance=prov,
            labels=labels,
            info=demo_info_from_attrs(name, g.attrs, n),
            policy_actions=g["policy_actions"][()] if "policy_actions" in g else None,
        )

    def _load_checked(self, name: str) -> Episode | None:
        try:
            return self.episode(name)
        except ValidationError:
            if not self.lenient:
                raise
            return None  # listed in problems by _fail

    @reads
    def check(self) -> list[str]:
        """Validate every demo fully: layout, and every value (reads all data: slow on big
        files), and every mask (``check_masks``).

        Returns:
            New problems found (also appended to ``problems``); in strict mode the first raises.
        """
        before = len(self.problems)
        for name in list(self.demos):
            self._load_checked(name)
        errs = self.check_masks()
        if errs and not self.lenient:
            raise errs[0]
        self.problems.extend(str(e) for e in errs if str(e) not in self.problems)
        return self.problems[before:]


__all__ = ["Dataset", "RecordingError"]
