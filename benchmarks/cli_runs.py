"""What the quality benchmarks (GAIL, DAgger) share: real ``imitation-studio`` commands, each
recorded for the report and skipped when its output is already in the work folder (a training
run only if its ``config.json`` holds the settings the command gives today; demos only if
today's expert recorded them), and a results file whose hand-written notes survive a rerun."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "studio"]


def sh(cmd: list[str], log: list[str], *, run: bool = True, shown: str | None = None) -> str:
    """Record a command; run it unless ``run`` is false (its output is already in --work).

    ``shown``: how the report prints it (default: ``cmd`` as an ``imitation-studio`` command).
    """
    shown = shown or " ".join(["imitation-studio", *cmd[3:]])
    log.append(shown)
    if not run:
        return ""
    # Progress goes to stderr: with --json, stdout carries the figures only.
    print("$", shown, file=sys.stderr, flush=True)
    tic = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
        raise SystemExit(f"failed ({out.returncode}): {shown}")
    print(f"  {time.perf_counter() - tic:.0f} s", file=sys.stderr, flush=True)
    return out.stdout


def _recorded_by(path: Path) -> str:
    """The device of the file's first demo (``expert:<name>`` for a scripted expert's)."""
    import recordings

    try:
        with recordings.Dataset(path) as ds:
            return ds.info(ds.demos[0]).device if ds.demos else ""
    except (OSError, recordings.RecordingError):
        return ""


def collect(work: Path, env: str, n: int, log: list[str]) -> Path:
    """``n`` scripted-expert demos of ``env`` (seeds 0..n-1), recorded once per work folder.

    A file left by an earlier run is reused only if today's expert recorded it: a changed
    expert (a new ``name``) records the demos again rather than reusing another expert's.
    """
    import numpy as np

    from studio.experts import make_expert

    path = work / f"{env.split('/')[-1]}-{n}.h5"
    expected = f"expert:{make_expert(env, rng=np.random.default_rng(0)).name}"
    if path.exists() and _recorded_by(path) != expected:
        print(f"{path} was recorded by another expert; recording it again", file=sys.stderr)
        path.unlink()
    sh([*CLI, "collect", "--env", env, "--episodes", str(n), "--out", str(path),
        "--no-progress"], log, run=not path.exists())  # fmt: skip
    return path


def bc_score(
    work: Path, data: Path, name: str, seed: int, extra: list[str], log: list[str],
    episodes: int = 100,
) -> dict:  # fmt: skip
    """Train BC on ``data`` and evaluate it (``eval --json``'s ``policy`` figures)."""
    run = work / "runs" / name
    todo = not (run / "eval.json").exists() or not same_settings(run, "bc", extra)
    if todo:
        shutil.rmtree(run, ignore_errors=True)
    sh([*CLI, "train", "--algo", "bc", "--data", str(data), "--seed", str(seed),
        "--runs-dir", str(work / "runs"), "--name", name, "--threads", "1",
        "--no-progress", *extra], log, run=todo)  # fmt: skip
    out = sh([*CLI, "eval", str(run / "checkpoint.pt"), "--episodes", str(episodes), "--json"],
             log, run=todo)  # fmt: skip
    if todo:
        (run / "eval.json").write_text(out)
    return json.loads((run / "eval.json").read_text())["policy"]


def _sets(args: list[str]) -> dict[str, str]:
    """The ``--set KEY=VALUE`` / ``--set=KEY=VALUE`` pairs of a command's arguments."""
    pairs, it = {}, iter(args)
    for a in it:
        pair = (
            next(it, "") if a == "--set" else a[len("--set=") :] if a.startswith("--set=") else ""
        )
        if "=" in pair:
            key, value = pair.split("=", 1)
            pairs[key] = value
    return pairs


def same_settings(run: Path, algo: str, args: list[str]) -> bool:
    """Whether the run folder's ``config.json`` holds the settings ``args`` would give today.

    A cached run is only reused when it is: a default changed since (say, GAIL's learning-rate
    schedule) must not leave the report quoting a run made with the old one.
    """
    import algorithms

    try:
        saved = json.loads((run / "config.json").read_text())["config"]
    except (OSError, ValueError, KeyError):
        return False
    today = json.loads(
        json.dumps(algorithms.config_to_dict(algorithms.make_config(algo, _sets(args))))
    )
    default = json.loads(json.dumps(algorithms.config_to_dict(algorithms.make_config(algo))))
    # A setting added since the run was made is not in its config.json: at its default it
    # means what the code did before it existed.
    return all(saved[k] == v if k in saved else v == default[k] for k, v in today.items())


def finish(figures: dict, report: Any, path: Path, *, quick: bool, as_json: bool) -> str:
    """A benchmark's ending: the figures as JSON if asked, then the report, written to ``path``
    (hand-written notes kept) unless the run was ``quick``."""
    if as_json:
        print(json.dumps(figures, indent=2))
    text = report(figures)
    return text if quick else write_keeping_notes(path, text)


def write_keeping_notes(path: Path, text: str) -> str:
    """Write a report to ``path``, keeping the hand-written ``## Notes`` section already there."""
    old = path.read_text() if path.exists() else ""
    notes = old[old.index("## Notes") :] if "## Notes" in old else ""
    text += "\n" + notes if notes else ""
    path.write_text(text)
    print(f"wrote {path}", file=sys.stderr)
    return text
