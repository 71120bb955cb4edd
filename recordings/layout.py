"""The groups and attributes of a recordings file's layout: masks, demo attributes, the demos
awaiting a decision. Helpers for code that holds the file open (see docs/FORMAT.md)."""

from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np

from .schema import FORMAT_VERSION, natural_key, parse_tags, to_attr, to_python


def init_file(f: h5py.File) -> None:
    """Lay out a new, empty recordings file."""
    f.attrs["format_version"] = FORMAT_VERSION
    data = f.create_group("data")
    data.attrs["total"] = 0
    data.attrs["env_args"] = json.dumps({})
    f.create_group("mask")


def awaiting_names(f: h5py.File) -> list[str]:
    """Recovered demos nobody has kept or discarded yet (``data.attrs["awaiting_decision"]``)."""
    try:
        names = json.loads(to_python(f["data"].attrs.get("awaiting_decision", "")) or "[]")
    except ValueError:
        return []
    return [n for n in names if isinstance(n, str) and n in f["data"]]


def set_awaiting(f: h5py.File, names: list[str]) -> None:
    """Replace the list of recovered demos awaiting a decision (none: the attribute goes)."""
    if names:
        f["data"].attrs["awaiting_decision"] = json.dumps(sorted(set(names), key=natural_key))
    elif "awaiting_decision" in f["data"].attrs:
        del f["data"].attrs["awaiting_decision"]


def mask_names(f: h5py.File, mask: str) -> list[str]:
    """The demo names of a mask ([] when there is no such mask)."""
    if "mask" not in f or mask not in f["mask"]:
        return []
    return [to_python(v) for v in f["mask"][mask][()]]


def write_mask(f: h5py.File, mask: str, names: list[str]) -> None:
    """Create or replace a mask with ``names``, in natural order."""
    group = f.require_group("mask")
    if mask in group:
        del group[mask]
    # robomimic's split_train_val.py writes fixed-length byte strings; so do we.
    group.create_dataset(mask, data=np.array(sorted(names, key=natural_key), dtype="S"))


def set_demo_attrs(g: h5py.Group, attrs: dict[str, Any]) -> None:
    """Write demo attributes: ``tags`` as a JSON list, None removes the attribute."""
    for key, value in attrs.items():
        if key == "tags":
            value = json.dumps(parse_tags(value))
        if value is None:
            if key in g.attrs:
                del g.attrs[key]
            continue
        g.attrs[key] = to_attr(value)
