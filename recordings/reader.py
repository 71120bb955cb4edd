"""Dataset: lazy, validated reading of a recordings file (ours or plain robomimic)."""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Iterator
from typing import Any, NoReturn, TypeVar

import h5py
import numpy as np

from .journal import (
    LOCK_TIMEOUT,
    ReadHandle,
    changed_since,
    default_on_wait,
    dir_lock,
    has_hot_journal,
    roll_back,
)
from .schema import (
    FORMAT_VERSION,
    DemoInfo,
    Episode,
    Provenance,
    RecordingError,
    Transitions,
    ValidationError,
    demo_info_from_attrs,
    natural_key,
    parse_count,
    to_python,
)
from .validate import check_structure, check_values

_F = TypeVar("_F", bound=Callable[..., Any])


def _reads(method: _F) -> _F:
    """Run a Dataset method inside ``_reading()``: no commit lands while it reads."""

    @functools.wraps(method)
    def wrapper(self: Dataset, *args: Any, **kwargs: Any) -> Any:
        with self._reading():
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


class Dataset:
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
        on_wait: called with "<file> is being written by another process; waiting" when a read
            must wait for another process's commit (default: a ``FileBusyWarning``).
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
        self.path = os.fspath(path)
        self.lenient = lenient
        self.problems: list[str] = []
        self._bad: set[str] = set()
        self._checked: set[str] = set()
        self._on_wait = on_wait
        self._lock_timeout = lock_timeout
        self._depth = 0  # nesting of _reading(): only the outermost takes the lock
        self._seen: set[str] = set()  # every demo name this Dataset has listed
        self._handle: ReadHandle | None = None
        if not os.path.exists(self.path):
            raise ValidationError(self.path, None, None, "no such file")
        with self._reading():
            pass  # opens the file and reads its header and demo names

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """Hold the shared lock; reopen first if a commit landed since the file was opened."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        with contextlib.ExitStack() as stack:
            for attempt in range(3):
                stack.enter_context(
                    dir_lock(
                        self.path, shared=True, timeout=self._lock_timeout, on_wait=self._on_wait
                    )
                )
                # Under the shared lock no live writer is committing, so a rollback journal
                # here is hot: a writer died mid-commit. Undo it (exclusively), then read.
                if attempt == 2 or not has_hot_journal(self.path):
                    break
                stack.close()
                with dir_lock(self.path, timeout=self._lock_timeout, on_wait=self._on_wait):
                    roll_back(self.path)
            if self._handle is None or changed_since(self.path, self._handle.token):
                self._reopen()
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0

    def _reopen(self) -> None:
        """Open the file as it is now (caller holds the shared lock)."""
        old = self._handle
        self._handle = None
        if old is not None:
            with contextlib.suppress(Exception):
                old.close()
        self._f = self._open()
        try:
            self._scan()
        except BaseException:
            self.close()
            raise
        self._checked.clear()  # a commit may have trimmed or replaced a checked demo

    def locked(self) -> contextlib.AbstractContextManager[None]:
        """Keep other processes' commits out for the block, so that calls inside it see one
        state of the file (they wait, and may time out: keep the block short)."""
        return self._reading()

    def _open(self) -> h5py.File:
        try:
            self._handle = ReadHandle(self.path)  # a private view: see ReadHandle
        except PermissionError as exc:
            problem = "cannot read it: permission denied"
            raise ValidationError(self.path, None, None, problem) from exc
        except FileNotFoundError as exc:
            raise ValidationError(self.path, None, None, "no such file") from exc
        except OSError as exc:
            if not h5py.is_hdf5(self.path):
                raise ValidationError(self.path, None, None, "not an HDF5 file") from exc
            raise ValidationError(
                self.path, None, None, f"truncated or damaged HDF5 file ({exc})"
            ) from exc
        return self._handle.file

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
    @_reads
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

    @_reads
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

    @_reads
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

    @_reads
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

    @property
    @_reads
    def mask_names(self) -> list[str]:
        """Names of the masks (filter keys), without reading them."""
        group = self._f.get("mask")
        return sorted(group) if isinstance(group, h5py.Group) else []

    @property
    @_reads
    def masks(self) -> dict[str, list[str]]:
        """Every mask (filter key) with its demo names."""
        group = self._f.get("mask")
        if not isinstance(group, h5py.Group):
            return {}
        return {k: self.mask(k) for k in group}

    @_reads
    def mask(self, name: str) -> list[str]:
        """Demo names in a mask (robomimic's filter keys), byte strings decoded."""
        group = self._f.get("mask")
        if not isinstance(group, h5py.Group) or name not in group:
            raise KeyError(f"{self.path}: no mask {name!r}; masks are {sorted(group or [])}")
        ds = group[name]
        if not isinstance(ds, h5py.Dataset) or ds.dtype.kind not in "SOU" or ds.ndim > 1:
            raise ValidationError(self.path, None, f"mask/{name}", "is not a list of demo names")
        return [str(to_python(v)) for v in np.atleast_1d(ds[()])]

    @property
    @_reads
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

    @_reads
    def model_file(self, name: str | None = None) -> str | None:
        """The MJCF of a demo (of the first demo when no name is given), or None."""
        if name is None:
            if not self.demos:
                return None
            name = self.demos[0]
        value = to_python(self._group(name).attrs.get("model_file", ""))
        return value or None

    def _first_good(self) -> h5py.Group | None:
        for name in self.demos:
            try:
                return self._group(name)
            except ValidationError:
                if not self.lenient:
                    raise
        return None

    @property
    @_reads
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

    # -- loading --------------------------------------------------------------------------------

    @_reads
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

    def _select(self, demos: list[str] | None, mask: str | None) -> list[str]:
        if demos is not None and mask is not None:
            raise ValueError("give demos or mask, not both")
        if mask is not None:
            # Demos skipped as invalid are left out here too (they are listed in problems).
            return [d for d in self.mask(mask) if d not in self._bad]
        if demos is None:
            return self.demos
        for d in demos:
            self._group(d, check=False)  # KeyError for unknown or skipped demos
        return list(demos)

    def _load_checked(self, name: str) -> Episode | None:
        try:
            return self.episode(name)
        except ValidationError:
            if not self.lenient:
                raise
            return None  # listed in problems by _fail

    def _default_keys(self) -> list[str]:
        # Flat training vectors use the low-dimensional keys; images (N, H, W, C) stay out.
        g = self._first_good()
        return [k for k in self.obs_keys if g is not None and g["obs"][k].ndim <= 2]

    @_reads
    def transitions(
        self,
        demos: list[str] | None = None,
        *,
        mask: str | None = None,
        obs_keys: list[str] | None = None,
        use_labels: bool = True,
    ) -> Transitions:
        """Flat (obs, action) arrays over the chosen demos, for training.

        Args:
            demos: demo names (default: all valid demos).
            mask: take the demos of this mask instead.
            obs_keys: observation parts to concatenate, in order (default: low-dim keys).
            use_labels: where a step has a DAgger label, train on it instead of the executed action.
        """
        names = self._select(demos, mask)
        keys = list(obs_keys) if obs_keys is not None else self._default_keys()
        # Pass 1, metadata only: sizes, so that the output is allocated once (no concatenation
        # of per-demo copies: peak memory stays near the size of the result).
        sizes: list[tuple[str, int]] = []
        widths: dict[str, int] = {}
        act_dim = None
        for name in names:
            try:
                g = self._group(name)
                for k in keys:
                    if k not in g["obs"]:
                        self._fail(name, [ValidationError(self.path, name, f"obs/{k}", "missing")])
                    w = int(np.prod(g["obs"][k].shape[1:], dtype=np.int64))
                    if widths.setdefault(k, w) != w:
                        problem = f"width {w} differs from earlier demos' {widths[k]}"
                        self._fail(name, [ValidationError(self.path, name, f"obs/{k}", problem)])
                a = g["actions"].shape[1]
                if act_dim is not None and a != act_dim:
                    problem = f"{a} action dims, earlier demos have {act_dim}"
                    self._fail(name, [ValidationError(self.path, name, "actions", problem)])
                act_dim = a
                sizes.append((name, g["actions"].shape[0]))
            except ValidationError:
                if not self.lenient:
                    raise
        slices, start = {}, 0
        for k in keys:
            slices[k] = slice(start, start + widths.get(k, 0))
            start += widths.get(k, 0)
        total = sum(n for _, n in sizes)
        obs = np.empty((total, start), np.float32)
        actions = np.empty((total, act_dim or 0), np.float32)
        ep_idx = np.empty(total, np.int64)
        step_idx = np.empty(total, np.int64)
        used: list[str] = []
        # Pass 2: read and value-check each demo into place; a demo skipped (lenient) leaves
        # no gap because the cursor only moves on success.
        row = 0
        for name, n in sizes:
            arrays = self._training_arrays(name, keys, use_labels)
            if arrays is None:
                continue
            for k in keys:
                obs[row : row + n, slices[k]] = arrays[f"obs/{k}"].reshape(n, -1)
            actions[row : row + n] = self._train_actions(arrays)
            ep_idx[row : row + n] = len(used)
            step_idx[row : row + n] = np.arange(n)
            used.append(name)
            row += n
        if row < total:  # some demos were skipped: drop the unused tail
            obs, actions = obs[:row].copy(), actions[:row].copy()
            ep_idx, step_idx = ep_idx[:row].copy(), step_idx[:row].copy()
        return Transitions(
            obs=obs,
            actions=actions,
            episode_index=ep_idx,
            step_index=step_idx,
            demo_names=used,
            obs_keys=keys,
            obs_slices=slices,
        )

    def _training_arrays(
        self, name: str, keys: list[str], use_labels: bool
    ) -> dict[str, np.ndarray] | None:
        """Read (and value-check) only what training uses; None if skipped (lenient)."""
        try:
            g = self._group(name)
            for k in keys:
                if k not in g["obs"]:
                    self._fail(name, [ValidationError(self.path, name, f"obs/{k}", "missing")])
            fields = [f"obs/{k}" for k in keys] + ["actions"]
            if use_labels and "labels" in g:
                fields.append("labels")
            arrays = {f: g[f][()] for f in fields}
            errs = check_values(self.path, name, arrays)
            if errs:
                self._fail(name, errs)
        except ValidationError:
            if not self.lenient:
                raise
            return None  # listed in problems by _fail
        return arrays

    @staticmethod
    def _train_actions(arrays: dict[str, np.ndarray]) -> np.ndarray:
        actions = arrays["actions"].astype(np.float32)  # (N, A)
        labels = arrays.get("labels")
        if labels is not None:
            labelled = np.isfinite(labels).all(axis=1)
            actions[labelled] = labels[labelled]
        return actions

    @_reads
    def stats(
        self, keys: list[str] | None = None, demos: list[str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """Per-key mean/std/min/max for normalisation, over obs keys and ``"actions"``.

        Streams demo by demo, so memory stays at one demo. Each demo's mean and sum of squared
        deviations are computed in two passes (float64) and merged with Chan et al.'s parallel
        update, which stays accurate when values sit far from zero (E[x²]−E[x]² does not).
        Actions are the ones ``transitions()`` trains on (labels where present).
        """
        keys = list(keys) if keys is not None else self._default_keys()
        acc: dict[str, list] = {}  # key -> [count, mean, M2 (sum of squared deviations), min, max]
        obs_keys = [k for k in keys if k != "actions"]
        for name in self._select(demos, None):
            arrays = self._training_arrays(name, obs_keys, True)
            if arrays is None:
                continue
            n = len(arrays["actions"])
            if n == 0:
                continue
            columns = {k: arrays[f"obs/{k}"].reshape(n, -1) for k in obs_keys}
            columns["actions"] = self._train_actions(arrays)
            for k, x in columns.items():
                x = x.astype(np.float64)
                mean_b = x.mean(axis=0)
                m2_b = np.square(x - mean_b).sum(axis=0)
                if k not in acc:
                    acc[k] = [n, mean_b, m2_b, x.min(axis=0), x.max(axis=0)]
                    continue
                a = acc[k]
                count = a[0] + n
                delta = mean_b - a[1]
                a[1] = a[1] + delta * (n / count)
                a[2] = a[2] + m2_b + delta * delta * (a[0] * n / count)
                a[0] = count
                a[3] = np.minimum(a[3], x.min(axis=0))
                a[4] = np.maximum(a[4], x.max(axis=0))
        return {
            k: {"mean": mean, "std": np.sqrt(m2 / count), "min": lo, "max": hi}
            for k, (count, mean, m2, lo, hi) in acc.items()
        }

    @_reads
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

    @_reads
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

    # -- lifetime -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HDF5 file."""
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None:
            with contextlib.suppress(AttributeError, RuntimeError, OSError, ValueError):
                handle.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()


__all__ = ["Dataset", "RecordingError"]
