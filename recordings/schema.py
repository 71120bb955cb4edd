"""Names, constants, errors and plain data types of the recordings format (see docs/FORMAT.md)."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Version of our additions to robomimic's layout. Files without the attribute are plain robomimic
#: files (version 0); a file with a larger number was written by a newer studio and is refused.
FORMAT_VERSION = 1

#: Who produced a demonstration, stored per demo as ``source`` and used as mask names.
SOURCES = ("human", "policy", "relabel", "scripted")

#: The ``source`` read for a demo that does not say who produced it (e.g. one written by
#: robomimic's tools). Never written, and no mask of that name is kept.
UNKNOWN_SOURCE = "unknown"


class Provenance(enum.IntEnum):
    """Per step: who produced the action that was executed (stored as uint8 ``provenance``)."""

    HUMAN = 0
    POLICY = 1
    RELABEL = 2
    SCRIPTED = 3
    #: Read only: the steps of a demo without a ``provenance`` dataset (a file from another
    #: tool). Never recorded or stored.
    UNKNOWN = 255


#: The codes a ``provenance`` dataset may hold (every Provenance but UNKNOWN).
RECORDED_PROVENANCES = frozenset(int(p) for p in Provenance if p != Provenance.UNKNOWN)


# Attributes we write on every demo group (anything else is a user attribute, see DemoInfo.attrs).
STANDARD_DEMO_ATTRS = frozenset(
    {
        "num_samples",
        "model_file",
        "source",
        "device",
        "created",
        "success",
        "notes",
        "tags",
        "parent",
        "episode_id",
        "obs_keys",
        "seed",
    }
)
# Attributes the writer owns: callers may not set them (they would break validation or recovery).
PROTECTED_DEMO_ATTRS = frozenset({"num_samples", "episode_id", "obs_keys", "source", "created"})


def check_user_attrs(attrs: dict[str, Any]) -> None:
    """Raise ValueError if ``attrs`` tries to set an attribute the writer owns."""
    bad = sorted(PROTECTED_DEMO_ATTRS & set(attrs))
    if bad:
        raise ValueError(f"demo attributes {bad} are set by the writer and cannot be given")


def check_name(name: Any, what: str = "demo name") -> str:
    """Return ``name`` if it can name a demo or mask, else raise ValueError saying why.

    Names are stored as HDF5 link names and, inside masks, as fixed-length byte strings (the
    ``S`` dtype robomimic reads), so they must be non-empty printable ASCII without ``/``.
    """
    if not isinstance(name, str):
        raise ValueError(f"{what} must be a string, not {type(name).__name__}")
    if not name:
        raise ValueError(f"{what} must not be empty")
    bad = sorted({c for c in name if not " " <= c <= "~"})
    if bad:
        raise ValueError(
            f"{what} {name!r} has characters other than printable ASCII: {''.join(bad)!r}"
        )
    if "/" in name or name in (".", ".."):
        raise ValueError(f"{what} {name!r} must not contain '/' or be '.' or '..'")
    if name != name.strip():
        raise ValueError(f"{what} {name!r} must not start or end with a space")
    return name


# Per-step datasets of a demo besides obs/ and next_obs/.
STEP_FIELDS = (
    "actions",
    "rewards",
    "dones",
    "states",
    "provenance",
    "labels",
    "policy_actions",
)


class RecordingError(Exception):
    """A recordings file cannot be read or written; the message names the path and the problem."""


class ValidationError(RecordingError):
    """A file, demo or field breaks the format.

    Attributes:
        file: path of the file.
        demo: demo name, or None when the whole file is at fault.
        field: dataset or attribute (e.g. ``obs/ee_pos``), or None.
        problem: what is wrong, in words.
    """

    def __init__(self, file: str, demo: str | None, field: str | None, problem: str) -> None:
        self.file = str(file)
        self.demo = demo
        self.field = field
        self.problem = problem
        where = "/".join(p for p in (demo, field) if p)
        super().__init__(f"{self.file}: {where}: {problem}" if where else f"{self.file}: {problem}")


@dataclass(frozen=True)
class DemoInfo:
    """Attributes of one demo, read without touching its arrays."""

    name: str
    num_samples: int
    source: str
    device: str = ""
    created: str = ""
    success: bool | None = None
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    parent: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None


@dataclass
class Episode:
    """One demo loaded into memory. Shapes: N steps, A action dims, S state dims."""

    obs: dict[str, np.ndarray]  # key -> (N, ...)
    next_obs: dict[str, np.ndarray] | None  # key -> (N, ...)
    actions: np.ndarray  # (N, A) executed actions
    rewards: np.ndarray  # (N,)
    dones: np.ndarray  # (N,)
    states: np.ndarray  # (N, S); (N, 0) for files without states
    provenance: np.ndarray  # (N,) uint8, values of Provenance
    labels: np.ndarray | None  # (N, A) corrected actions; NaN rows = no label for that step
    info: DemoInfo
    # (N, A) what a driving policy would have done (take-over episodes); NaN rows: not computed
    policy_actions: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.actions)


@dataclass
class Transitions:
    """Flat arrays over many demos, ready for training."""

    obs: np.ndarray  # (N, D) float32, obs_keys concatenated in order
    actions: np.ndarray  # (N, A) float32
    episode_index: np.ndarray  # (N,) int64 index into demo_names
    step_index: np.ndarray  # (N,) int64 step within its demo
    demo_names: list[str]
    obs_keys: list[str]
    obs_slices: dict[str, slice]  # key -> columns of obs

    def __len__(self) -> int:
        return len(self.actions)


def natural_key(name: str) -> tuple:
    """Sort key that orders ``demo_2`` before ``demo_10``."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def demo_index(name: str) -> int | None:
    """The N of ``demo_N``, or None for other names."""
    m = re.fullmatch(r"demo_(\d+)", name)
    return int(m.group(1)) if m else None


def to_python(value: Any) -> Any:
    """Turn an HDF5 attribute value into a plain Python value (str, int, float, bool, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "SO":
            return [to_python(v) for v in value.tolist()]
        return value.tolist()
    return value


def to_attr(value: Any) -> Any:
    """Turn a Python value into something h5py stores as an attribute (JSON for dicts/lists)."""
    if value is None:
        return ""
    if isinstance(value, str | bool | int | float | np.generic | np.ndarray):
        return value
    return json.dumps(value)


def parse_tags(value: Any) -> list[str]:
    """Tags are stored as a JSON list string; accept a plain list or comma string too."""
    value = to_python(value)
    if isinstance(value, list):
        return [str(v) for v in value]
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return [t.strip() for t in str(value).split(",") if t.strip()]
    return [str(v) for v in parsed] if isinstance(parsed, list) else [str(parsed)]


def parse_flag(value: Any) -> bool | None:
    """A true/false attribute (``success``) as a bool; None when absent or not a flag."""
    value = to_python(value)
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer) and int(value) in (0, 1):
        return bool(value)
    if isinstance(value, float | np.floating) and float(value) in (0.0, 1.0):
        return bool(value)
    return None


def parse_count(value: Any) -> int | None:
    """An attribute that should hold a count (``num_samples``) as an int; None if it is not a
    non-negative whole number (e.g. the string "lots")."""
    value = to_python(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def demo_info_from_attrs(name: str, attrs: Any, num_samples: int) -> DemoInfo:
    """Build a DemoInfo from a demo group's attributes (our own or robomimic's)."""
    # model_file (the MJCF, tens of KB) is not part of DemoInfo: skip reading it.
    a = {k: to_python(attrs[k]) for k in attrs if k != "model_file"}
    success = a.get("success")
    parent = a.get("parent") or None
    extra = {k: v for k, v in a.items() if k not in STANDARD_DEMO_ATTRS}
    return DemoInfo(
        name=name,
        num_samples=parse_count(a.get("num_samples", num_samples)) or num_samples,
        # Files from other tools (robomimic's) do not say who drove: say so, do not guess.
        source=str(a.get("source") or UNKNOWN_SOURCE),
        device=str(a.get("device", "")),
        created=str(a.get("created", "")),
        success=parse_flag(success),  # a malformed one is reported by validation
        notes=str(a.get("notes", "")),
        tags=parse_tags(a.get("tags", "")),
        parent=str(parent) if parent else None,
        attrs=extra,
        seed=_as_seed(a.get("seed")),
    )


def _as_seed(value: Any) -> int | None:
    """An episode seed attribute as an int; None when absent or not a whole number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return None
