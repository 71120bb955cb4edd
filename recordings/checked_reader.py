"""A recordings file's header, demos and masks as a Dataset lists them, each checked on first use:
what is wrong raises, or (lenient) skips the demo and is listed in ``problems``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, NoReturn

import h5py
import numpy as np

from .readlock import LockedReader, reads
from .schema import FORMAT_VERSION, ValidationError, natural_key, to_python
from .validate import check_structure


class CheckedReader(LockedReader):
    """The listing and validation part of :class:`~recordings.Dataset`."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        lenient: bool,
        on_wait: Callable[[str], None] | None,
        lock_timeout: float,
    ) -> None:
        super().__init__(path, on_wait=on_wait, lock_timeout=lock_timeout)
        self.lenient = lenient
        self.problems: list[str] = []
        self._bad: set[str] = set()
        self._checked: set[str] = set()
        self._seen: set[str] = set()  # every demo name this Dataset has listed

    def _scan(self) -> None:
        f = self._f
        try:
            self.version = int(to_python(f.attrs.get("format_version", 0)))
        except (TypeError, ValueError):
            raise ValidationError(self.path, None, "format_version", "not an integer") from None
        if self.version > FORMAT_VERSION:
            raise ValidationError(
                self.path,
                None,
                "format_version",
                f"{self.version} is newer than this studio's {FORMAT_VERSION}; update the studio",
            )
        if not isinstance(f.get("data"), h5py.Group):
            raise ValidationError(self.path, None, "data", "missing group: not a recordings file")
        self._demos = sorted(f["data"].keys(), key=natural_key)
        self._names = set(self._demos)
        self._seen.update(self._names)
        self._obs_parts = self._expected_obs_keys()
        self._checked.clear()  # a commit may have trimmed or replaced a checked demo

    def _expected_obs_keys(self) -> list[str] | None:
        """The keys ``env_args["obs_parts"]`` names (a dict or a list), or None if it names none."""
        try:
            parts = self.env_args.get("obs_parts")
        except (ValidationError, AttributeError):
            return None  # env_args not JSON or not an object: nothing to compare with
        if isinstance(parts, dict | list) and parts:
            return [str(k) for k in parts]
        return None

    def _fail(self, name: str, errs: list[ValidationError]) -> NoReturn:
        """Raise the first problem; when lenient, first mark the demo skipped and list why."""
        if self.lenient and name not in self._bad:
            self._bad.add(name)
            self.problems.extend(f"{e} (skipped)" for e in errs)
        raise errs[0]

    # -- listing --------------------------------------------------------------------------------

    @property
    @reads
    def demos(self) -> list[str]:
        """Demo names in natural order (demo_2 before demo_10), less those found invalid."""
        return [d for d in self._demos if d not in self._bad]

    def __len__(self) -> int:
        return len(self.demos)

    def _group(self, name: str, *, check: bool = True) -> h5py.Group:
        if name not in self._names or name in self._bad:
            if name in self._bad:
                why = "was skipped as invalid (see problems)"
            elif name in self._seen:
                why = "was deleted or renamed by another process since it was listed"
            else:
                why = "does not exist"
            raise KeyError(f"{self.path}: demo {name!r} {why}")
        try:
            g = self._f["data"][name]
            if not isinstance(g, h5py.Group):
                kind = "an HDF5 dataset" if isinstance(g, h5py.Dataset) else type(g).__name__
                errs = [ValidationError(self.path, name, None, f"is {kind}, not a demo group")]
            else:
                errs = [] if not check or name in self._checked else self._check(name, g)
        except (OSError, KeyError, RuntimeError, ValueError, TypeError) as exc:
            # Damaged metadata inside the file, or attributes of the wrong type.
            errs = [ValidationError(self.path, name, None, f"unreadable ({exc})")]
        if errs:
            self._fail(name, errs)
        return g

    def _check(self, name: str, g: h5py.Group) -> list[ValidationError]:
        errs = check_structure(self.path, name, g, self.version, self._obs_parts)
        if not errs:
            self._checked.add(name)
        return errs

    @reads
    def validate(self) -> list[str]:
        """Check every demo's layout now (metadata only: ~1 ms a demo).

        Returns:
            The problems found (lenient); in strict mode the first one raises.
        """
        before = len(self.problems)
        for name in self.demos:
            try:
                self._group(name)
            except ValidationError:
                if not self.lenient:
                    raise
        return self.problems[before:]

    @property
    @reads
    def env_args(self) -> dict[str, Any]:
        """``data.attrs["env_args"]`` decoded ({} if absent)."""
        raw = to_python(self._f["data"].attrs.get("env_args", "{}"))
        try:
            args = json.loads(raw) if raw else {}
        except ValueError:
            raise ValidationError(self.path, None, "data.attrs/env_args", "not JSON") from None
        if not isinstance(args, dict):
            problem = f"not a JSON object: {raw!r}"
            raise ValidationError(self.path, None, "data.attrs/env_args", problem)
        return args

    def _first_good(self) -> h5py.Group | None:
        for name in self.demos:
            try:
                return self._group(name)
            except ValidationError:
                if not self.lenient:
                    raise
        return None

    @property
    @reads
    def obs_keys(self) -> list[str]:
        """Observation keys in recording order (the order ``split_obs`` gave), else sorted."""
        g = self._first_good()
        if g is None:
            return []
        keys = sorted(g["obs"].keys())
        try:
            order = json.loads(to_python(g.attrs.get("obs_keys", "[]")))
        except ValueError:
            order = []
        return order if sorted(order) == keys else keys

    @property
    @reads
    def mask_names(self) -> list[str]:
        """Names of the masks (filter keys), without reading them."""
        group = self._f.get("mask")
        return sorted(group) if isinstance(group, h5py.Group) else []

    @property
    @reads
    def masks(self) -> dict[str, list[str]]:
        """Every mask (filter key) with its demo names."""
        group = self._f.get("mask")
        if not isinstance(group, h5py.Group):
            return {}
        return {k: self.mask(k) for k in group}

    @reads
    def mask(self, name: str) -> list[str]:
        """Demo names in a mask (robomimic's filter keys), byte strings decoded."""
        group = self._f.get("mask")
        if not isinstance(group, h5py.Group) or name not in group:
            raise KeyError(f"{self.path}: no mask {name!r}; masks are {sorted(group or [])}")
        ds = group[name]
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "SOU" or ds.ndim > 1:
            raise ValidationError(self.path, None, f"mask/{name}", "is not a list of demo names")
        return [str(to_python(v)) for v in np.atleast_1d(ds[()])]

    @reads
    def check_masks(self) -> list[ValidationError]:
        """Masks that name demos the file does not hold, or that cannot be read (metadata only).

        Returns:
            One ValidationError per problem, its field ``mask/<name>``; nothing is raised or
            added to ``problems`` (``check()`` does that).
        """
        group = self._f.get("mask")
        if group is None:
            return []
        if not isinstance(group, h5py.Group):
            return [ValidationError(self.path, None, "mask", "is not a group of masks")]
        errs = []
        for mask in group:
            try:
                names = self.mask(mask)
            except ValidationError as exc:  # not a list of names: a problem to list, like others
                errs.append(exc)
                continue
            except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:
                errs.append(ValidationError(self.path, None, f"mask/{mask}", f"unreadable ({exc})"))
                continue
            for name in names:
                if name not in self._names:
                    problem = f"names demo {name!r}, which is not in the file"
                    errs.append(ValidationError(self.path, None, f"mask/{mask}", problem))
        return errs
