"""Checks that a demo group fits the format; every problem names the file, demo and field."""

from __future__ import annotations

import h5py
import numpy as np

from .schema import Provenance, ValidationError, to_python

_FLOAT = "f"
_NUMERIC = "biuf"


def _dataset(g: h5py.Group, key: str) -> h5py.Dataset | None:
    obj = g.get(key)
    return obj if isinstance(obj, h5py.Dataset) else None


def check_structure(file: str, name: str, g: h5py.Group, version: int) -> list[ValidationError]:
    """Metadata-only checks (no array data is read): presence, dtypes, shapes, lengths.

    Args:
        file: path, for messages.
        name: demo name.
        g: the demo group.
        version: the file's format_version (0 = plain robomimic file: fewer required fields).
            Demos without our ``source`` attribute are held to robomimic's rules either way.
    """
    errs: list[ValidationError] = []

    def err(field: str | None, problem: str) -> None:
        errs.append(ValidationError(file, name, field, problem))

    actions = _dataset(g, "actions")
    if actions is None:
        err("actions", "missing dataset")
        return errs
    if actions.dtype.kind != _FLOAT or actions.ndim != 2:
        err("actions", f"expected a 2-D float array, found {actions.dtype} {actions.shape}")
        return errs
    n = actions.shape[0]
    if "num_samples" in g.attrs and int(to_python(g.attrs["num_samples"])) != n:
        err("num_samples", f"attribute says {to_python(g.attrs['num_samples'])}, actions has {n}")
    required = {"rewards": (_FLOAT, 1), "dones": (_NUMERIC, 1)}
    optional = {"labels": (_FLOAT, 2)}
    # Our demos (they carry a `source`) always have these; demos written by robomimic's tools,
    # even inside a file we have since appended to, may lack them (e.g. D4RL conversions).
    ours = {"states": (_FLOAT, 2), "provenance": ("iu", 1)}
    (required if version >= 1 and "source" in g.attrs else optional).update(ours)
    for key, (kinds, ndim) in {**required, **optional}.items():
        ds = _dataset(g, key)
        if ds is None:
            if key in required:
                err(key, "missing dataset")
            continue
        if ds.dtype.kind not in kinds:
            err(key, f"wrong dtype {ds.dtype}")
        elif ds.ndim != ndim:
            err(key, f"expected {ndim} dimension(s), found shape {ds.shape}")
        elif ds.shape[0] != n:
            err(key, f"length {ds.shape[0]} does not match actions ({n})")
        elif key == "labels" and ds.shape != actions.shape:
            err(key, f"shape {ds.shape} does not match actions {actions.shape}")
    obs = g.get("obs")
    if not isinstance(obs, h5py.Group) or len(obs) == 0:
        err("obs", "missing group of observation datasets")
    groups = [("obs", obs)] if isinstance(obs, h5py.Group) else []
    if isinstance(g.get("next_obs"), h5py.Group):
        groups.append(("next_obs", g["next_obs"]))
    for gname, grp in groups:
        for key, ds in grp.items():
            field = f"{gname}/{key}"
            if not isinstance(ds, h5py.Dataset):
                err(field, "expected a dataset")
            elif ds.dtype.kind not in _NUMERIC:
                err(field, f"wrong dtype {ds.dtype}")
            elif ds.ndim == 0 or ds.shape[0] != n:
                err(field, f"length {ds.shape[:1]} does not match actions ({n})")
    return errs


def check_values(file: str, name: str, arrays: dict[str, np.ndarray]) -> list[ValidationError]:
    """Checks on loaded data: NaN/inf, label rows, provenance values."""
    errs = []
    for field, arr in arrays.items():
        if arr is None or arr.dtype.kind != _FLOAT:
            if field == "provenance" and arr is not None and arr.size:
                bad = (arr < 0) | (arr > max(Provenance))
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
            bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1) if arr.ndim else np.array([])
        if bad.any():
            step = int(np.argmax(bad))
            errs.append(
                ValidationError(
                    file, name, field, f"NaN or inf at step {step} ({int(bad.sum())} steps)"
                )
            )
    return errs
