"""Checks that a demo group fits the format; every problem names the file, demo and field."""

from __future__ import annotations

import json

import h5py
import numpy as np

from .schema import RECORDED_PROVENANCES, ValidationError, parse_count, parse_flag, to_python

_FLOAT = "f"
_NUMERIC = "biuf"


def check_structure(
    file: str, name: str, g: h5py.Group, version: int, obs_parts: list[str] | None = None
) -> list[ValidationError]:
    """Metadata-only checks (no array data is read): presence, dtypes, shapes, lengths.

    Args:
        file: path, for messages.
        name: demo name.
        g: the demo group.
        version: the file's format_version (0 = plain robomimic file: fewer required fields).
            Demos without our ``source`` attribute are held to robomimic's rules either way.
        obs_parts: the observation keys ``env_args["obs_parts"]`` names, when it does: the
            demo's ``obs`` keys must be exactly these (a demo of another scene fails).
    """
    errs: list[ValidationError] = []

    def err(field: str | None, problem: str) -> None:
        errs.append(ValidationError(file, name, field, problem))

    # Open each object once and read its shape/dtype once: h5py property calls are not cheap.
    members = {k: (v.shape, v.dtype) for k, v in g.items() if isinstance(v, h5py.Dataset)}
    if "actions" not in members:
        err("actions", "missing dataset")
        return errs
    a_shape, a_dtype = members["actions"]
    if a_dtype.kind != _FLOAT or len(a_shape) != 2:
        err("actions", f"expected a 2-D float array, found {a_dtype} {a_shape}")
        return errs
    n = a_shape[0]
    if n == 0:
        # robomimic's loaders index the last step of every demo; an empty one cannot train.
        err("actions", "no steps (an empty demo)")
        return errs
    if "num_samples" in g.attrs:
        stated = parse_count(g.attrs["num_samples"])
        if stated is None:
            err("num_samples", f"not a whole number: {to_python(g.attrs['num_samples'])!r}")
        elif stated != n:
            err("num_samples", f"attribute says {stated}, actions has {n}")
    errs.extend(check_attrs(file, name, g.attrs))
    required = {"rewards": (_FLOAT, 1), "dones": (_NUMERIC, 1)}
    optional = {"labels": (_FLOAT, 2)}
    # Our demos (they carry a `source`) always have these; demos written by robomimic's tools,
    # even inside a file we have since appended to, may lack them (e.g. D4RL conversions).
    ours = {"states": (_FLOAT, 2), "provenance": ("iu", 1)}
    (required if version >= 1 and "source" in g.attrs else optional).update(ours)
    for key, (kinds, ndim) in {**required, **optional}.items():
        if key not in members:
            if key in required:
                err(key, "missing dataset")
            continue
        shape, dtype = members[key]
        if dtype.kind not in kinds:
            err(key, f"wrong dtype {dtype}")
        elif len(shape) != ndim:
            err(key, f"expected {ndim} dimension(s), found shape {shape}")
        elif shape[0] != n:
            err(key, f"length {shape[0]} does not match actions ({n})")
        elif key == "labels" and shape != a_shape:
            err(key, f"shape {shape} does not match actions {a_shape}")
    groups = [(k, g[k]) for k in ("obs", "next_obs") if isinstance(g.get(k), h5py.Group)]
    if not groups or groups[0][0] != "obs" or len(groups[0][1]) == 0:
        err("obs", "missing group of observation datasets")
    elif obs_parts is not None and set(groups[0][1]) != set(obs_parts):
        keys = sorted(groups[0][1])
        err(
            "obs",
            f"keys {keys} differ from env_args obs_parts {sorted(obs_parts)} "
            "(a demo of another scene or observation layout?)",
        )
    for gname, grp in groups:
        for key, ds in grp.items():
            field = f"{gname}/{key}"
            if not isinstance(ds, h5py.Dataset):
                err(field, "expected a dataset")
                continue
            shape, dtype = ds.shape, ds.dtype
            if dtype.kind not in _NUMERIC:
                err(field, f"wrong dtype {dtype}")
            elif len(shape) == 0 or shape[0] != n:
                err(field, f"length {shape[:1]} does not match actions ({n})")
    return errs


def check_attrs(file: str, name: str, attrs: h5py.AttributeManager) -> list[ValidationError]:
    """The demo attributes readers act on must mean something (``success="maybe"`` does not)."""
    errs = []
    if "success" in attrs and parse_flag(attrs["success"]) is None:
        value = to_python(attrs["success"])
        if value != "":  # an empty string is how some tools say "unknown"
            errs.append(ValidationError(file, name, "success", f"not true/false: {value!r}"))
    if "seed" in attrs:
        seed = to_python(attrs["seed"])
        if parse_count(seed) is None or isinstance(seed, str):
            errs.append(ValidationError(file, name, "seed", f"not a whole number >= 0: {seed!r}"))
    if "obs_keys" in attrs:
        raw = to_python(attrs["obs_keys"])
        try:
            keys = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            keys = None
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            problem = f"not a JSON list of names: {raw!r}"
            errs.append(ValidationError(file, name, "obs_keys", problem))
    return errs


def check_values(file: str, name: str, arrays: dict[str, np.ndarray]) -> list[ValidationError]:
    """Checks on loaded data: NaN/inf, label rows, provenance values."""
    errs = []
    for field, arr in arrays.items():
        if arr is None or arr.dtype.kind != _FLOAT:
            if field == "provenance" and arr is not None and arr.size:
                bad = ~np.isin(arr, sorted(RECORDED_PROVENANCES))
                if bad.any():
                    step = int(np.argmax(bad))
                    errs.append(
                        ValidationError(file, name, field, f"unknown value {arr[step]} at {step}")
                    )
            continue
        if field == "labels":
            # A row is either a label (all finite) or "no label" (all NaN); anything else is bad.
            finite = np.isfinite(arr).all(axis=1)
            missing = np.isnan(arr).all(axis=1)
            bad = ~(finite | missing)
        else:
            if arr.ndim == 0 or len(arr) == 0:
                continue  # nothing to check (an empty demo fails check_structure)
            bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
        if bad.any():
            step = int(np.argmax(bad))
            errs.append(
                ValidationError(
                    file, name, field, f"NaN or inf at step {step} ({int(bad.sum())} steps)"
                )
            )
    return errs
