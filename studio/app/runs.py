"""Training runs on disk: the ``runs/`` folder beside a recordings file, read and written.

A run folder holds what ``imitation-studio train`` writes (``config.json``, ``metrics.jsonl``,
``checkpoint.pt``); the studio adds ``status.json`` (how the run ended, in words, and its
elapsed time). Runs made by the command line have no ``status.json``: their status is inferred
from the checkpoint and the last metrics line. Qt-free, so a benchmark or the CLI can use it.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUNS = "runs"
STATUS_FILE = "status.json"

# How a run ended (or that it has not): the words the runs list shows.
RUNNING, DONE, STOPPED, DIVERGED, FAILED = "running", "done", "stopped", "diverged", "failed"


def runs_dir_for(recordings: str | Path) -> Path:
    """The ``runs/`` folder beside a recordings file."""
    return Path(recordings).resolve().parent / RUNS


def new_run_name(algorithm: str, recordings: str | Path, runs_dir: Path) -> str:
    """``<algo>-<file stem>-<time>``, as the CLI names runs, made unique in ``runs_dir``."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = f"{algorithm}-{Path(recordings).stem}-{stamp}"
    name, i = base, 1
    while (runs_dir / name).exists():
        i += 1
        name = f"{base}-{i}"
    return name


def total_steps(config: dict[str, Any]) -> int:
    """The step count a run goes to: env steps for algorithms that learn in an env (gail)."""
    return int(config.get("total_env_steps") or config.get("steps") or 0)


@dataclass
class RunInfo:
    """One run folder, as the runs list shows it."""

    name: str
    path: Path
    algorithm: str
    status: str
    message: str = ""
    elapsed_s: float | None = None
    step: float = 0.0
    total: int = 0
    latest: dict[str, float] = field(default_factory=dict)
    data: str = ""

    @property
    def checkpoint(self) -> Path | None:
        """``checkpoint.pt`` when the run wrote one."""
        path = self.path / "checkpoint.pt"
        return path if path.is_file() else None


def write_status(run_dir: Path, status: str, message: str, elapsed_s: float) -> None:
    """Record how a run ended (the studio's addition to a run folder)."""
    text = json.dumps({"status": status, "message": message, "elapsed_s": elapsed_s}, indent=2)
    (run_dir / STATUS_FILE).write_text(text + "\n")


def _last_metrics(path: Path) -> tuple[dict[str, float], float | None]:
    """The last line of ``metrics.jsonl`` with its known figures, and the training time."""
    latest: dict[str, float] = {}
    if not path.is_file():
        return latest, None
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        for key, value in row.items():
            if isinstance(value, int | float) and math.isfinite(value):
                latest[key] = float(value)
    return latest, latest.get("time_s") or latest.get("elapsed_s")


def read_run(run_dir: Path) -> RunInfo | None:
    """A run folder's summary (None when it is not a run folder)."""
    try:
        config = json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):
        return None
    latest, elapsed = _last_metrics(run_dir / "metrics.jsonl")
    total = total_steps(config.get("config") or {})
    step = latest.get("step", 0.0)
    info = RunInfo(
        name=run_dir.name,
        path=run_dir,
        algorithm=str(config.get("algorithm", "?")),
        status="",
        elapsed_s=elapsed,
        step=step,
        total=total,
        latest=latest,
        data=str(config.get("data") or ""),
    )
    try:
        status = json.loads((run_dir / STATUS_FILE).read_text())
        info.status = str(status.get("status", ""))
        info.message = str(status.get("message", ""))
        info.elapsed_s = status.get("elapsed_s", elapsed)
    except (OSError, ValueError):
        # A command-line run: a finished one reached its last step with a checkpoint.
        if info.checkpoint is None:
            info.status = FAILED
        else:
            info.status = DONE if total and step >= total else STOPPED
    return info


def list_runs(runs_dir: Path, data: str | Path | None = None) -> list[RunInfo]:
    """The runs in ``runs_dir``, newest first; only those trained on ``data`` when given."""
    if not runs_dir.is_dir():
        return []
    wanted = str(Path(data).resolve()) if data is not None else None
    runs = []
    for child in runs_dir.iterdir():
        if not child.is_dir():
            continue
        info = read_run(child)
        if info is None or (wanted is not None and info.data and info.data != wanted):
            continue
        runs.append(info)
    runs.sort(key=lambda r: r.path.stat().st_mtime, reverse=True)
    return runs
