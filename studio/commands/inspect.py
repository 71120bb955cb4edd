"""Summarise and validate a recordings file (like robomimic's get_dataset_info.py).

Prints demos, steps, sources, success rate, action ranges, observation keys and shapes, masks
and every validation problem (among them demos whose observation keys are not the scene's
``env_args["obs_parts"]``: another scene's demos). Reads every demo once to find NaN/inf.
Exit status: 0 when the file is valid; 2 when it breaks the format (every problem is listed with
the file, the demo and the field) or cannot be read at all (``--json`` then prints an object with
an ``"error"`` field).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the inspect options to ``parser``."""
    parser.add_argument("path", help="recordings file (.h5 / .hdf5)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every demo")


def summarise(path: str, on_wait: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Read ``path`` (leniently) and return the summary that ``inspect`` prints.

    The whole summary is read under one shared lock, so it describes one state of the file
    even while another process records into it (its commits wait meanwhile).

    Args:
        path: the recordings file.
        on_wait: called with a message when another process's commit must end first.

    Raises:
        RecordingError: the file cannot be opened at all (not HDF5, truncated, unreadable,
            future version), or another process kept it locked too long.
    """
    import numpy as np

    from recordings import SOURCES, UNKNOWN_SOURCE, Dataset, RecordingFile, ValidationError

    with Dataset(path, lenient=True, on_wait=on_wait) as ds, ds.locked():
        lengths, sources, success, demos = [], {}, [], []
        lo = hi = None
        for name in ds.demos:
            try:
                info = ds.info(name)
                actions = ds.episode(name).actions  # reads the demo: finds NaN/inf too
            except ValidationError as exc:  # lenient: ds.problems lists it (skipped)
                if not any(str(exc) in p for p in ds.problems):
                    ds.problems.append(f"{exc} (skipped)")
                continue
            lengths.append(info.num_samples)
            sources[info.source] = sources.get(info.source, 0) + 1
            if info.success is not None:
                success.append(info.success)
            if len(actions):
                lo = actions.min(0) if lo is None else np.minimum(lo, actions.min(0))
                hi = actions.max(0) if hi is None else np.maximum(hi, actions.max(0))
            demos.append(
                {"name": name, "steps": info.num_samples, "source": info.source,
                 "success": info.success, "tags": info.tags}
            )  # fmt: skip
        fields = ds.fields(ds.demos[0]) if ds.demos else {}  # shapes only; no data read
        obs = {k: [list(fields[f"obs/{k}"][0]), fields[f"obs/{k}"][1]] for k in ds.obs_keys}
        states = [list(fields["states"][0]), fields["states"][1]] if "states" in fields else None
        order = {s: i for i, s in enumerate((*SOURCES, UNKNOWN_SOURCE))}
        sources = dict(sorted(sources.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))
        mask_errors = ds.check_masks()  # names of demos the file does not hold, unreadable masks
        masks = {}
        for key in ds.mask_names:
            try:
                masks[key] = len(ds.mask(key))
            except ValidationError:
                continue  # listed by check_masks
        summary = {
            "path": path,
            "size_bytes": os.path.getsize(path),
            "format_version": ds.version,
            "env_args": ds.env_args,
            "demos": len(lengths),
            "steps": int(sum(lengths)),
            "steps_per_demo": (
                {"mean": float(np.mean(lengths)), "min": min(lengths), "max": max(lengths)}
                if lengths
                else None
            ),
            "sources": sources,
            "success_rate": float(np.mean(success)) if success else None,
            "with_success_flag": len(success),
            "action_min": None if lo is None else lo.tolist(),
            "action_max": None if hi is None else hi.tolist(),
            "obs": obs,
            "states": states,
            "masks": masks,
            "problems": [*ds.problems, *(str(e) for e in mask_errors)],
            "demo_list": demos,
        }
    try:
        rf = RecordingFile(path, mode="r", on_wait=on_wait)
        summary["pending_recovery"] = rf.pending_recovery()
        summary["awaiting_decision"] = rf.awaiting_decision()
        summary["stranded"] = rf.stranded()
    except Exception:  # a summary extra, never a reason to fail
        summary.setdefault("pending_recovery", 0)
        summary.setdefault("awaiting_decision", [])
        summary.setdefault("stranded", [])
    return summary


def _fmt(values: list[float] | None) -> str:
    return "-" if values is None else "[" + ", ".join(f"{v:+.3f}" for v in values) + "]"


def _print(s: dict[str, Any], verbose: bool) -> None:
    size = s["size_bytes"] / 1e6
    print(f"File: {s['path']}  ({size:.1f} MB, format_version {s['format_version']})")
    print(f"Environment: {json.dumps(s['env_args'])}")
    per = s["steps_per_demo"]
    span = (
        f"  (per demo: mean {per['mean']:.1f}, min {per['min']}, max {per['max']})" if per else ""
    )
    print(f"Demos: {s['demos']}   steps: {s['steps']}{span}")
    print("Sources: " + (", ".join(f"{k} {v}" for k, v in s["sources"].items()) or "-"))
    rate = s["success_rate"]
    print(
        f"Success rate: {rate:.1%} of {s['with_success_flag']} flagged demos"
        if rate is not None
        else "Success rate: - (no success flags)"
    )
    print(f"Actions: min {_fmt(s['action_min'])}\n         max {_fmt(s['action_max'])}")
    print("Observations:")
    for key, (shape, dtype) in s["obs"].items():
        print(f"  {key:<24} {tuple(shape)} {dtype}")
    if s["states"]:
        print(f"States: {tuple(s['states'][0])} {s['states'][1]}")
    print("Masks (filter keys):")
    for key, count in s["masks"].items():
        print(f"  {key:<24} {count} demos")
    if verbose:
        print("Demo list:")
        for d in s["demo_list"]:
            print(
                f"  {d['name']:<12} {d['steps']:>6} steps  {d['source']:<9} success={d['success']}"
            )
    if s["pending_recovery"]:
        n = s["pending_recovery"]
        what = "recording" if n == 1 else "recordings"
        print(
            f"Unfinished: {n} {what} not yet in the file (cut short by a crash, or left "
            "undecided when the studio closed). The studio offers them back, keep or discard, "
            "when it opens the file (from code: RecordingFile.recover())."
        )
    if s["awaiting_decision"]:
        names = ", ".join(s["awaiting_decision"])
        print(
            f"Recovered, awaiting keep or discard: {names} (in the file; the studio asks again "
            "at every opening until you answer)."
        )
    for j in s["stranded"]:
        print(
            f"Stranded: a recording of {j['env_name']} ({j['steps']} steps) in {j['path']} "
            "cannot go into this file, which holds another scene's demos; it stays on disk "
            "until you delete it."
        )
    if s["problems"]:
        print(f"Problems ({len(s['problems'])}):")
        for p in s["problems"]:
            print(f"  {p}")
    else:
        print("Validation: no problems")


def _say(message: str) -> None:
    print(f"inspect: {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    """Print the summary; returns the exit status."""
    from recordings import RecordingError

    try:
        summary = summarise(args.path, on_wait=_say)
    except Exception as exc:  # --json promises JSON, whatever went wrong
        if isinstance(exc, RecordingError):
            error = str(exc)
        else:  # a damaged file in a way nobody foresaw: still a message, not a traceback
            error = f"{args.path}: cannot be read ({type(exc).__name__}: {exc})"
        if args.json:
            print(json.dumps({"path": args.path, "error": error}))
        print(f"inspect: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print(summary, args.verbose)
    return 2 if summary["problems"] else 0
