"""Teleop while training: GUI frame time and real-time factor with BC or GAIL in the background.

The real main window (arm push, 640x480 viewport, render thread) is driven with the arrow keys
as in ``bench_teleop`` (its measurement, reused): first with nothing training, then while a BC
run and then a GAIL run train from the Train panel (one torch thread, the studio's setting).
Then the BC run's training speed in the window (samples/s, median over its log points, while the
person drives and with the window idle) against the same run from the command line
(``imitation-studio train`` in a subprocess with ``--threads 1``, the window closed). The
command-line run is timed twice, before the window opens and after it closes, and the window's
figures are compared with the mean of the two, so that both sides see the same machine load
(this machine is shared; its speed drifts within minutes).

``--quick``: 7 s per row; ``--json``: the figures as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.bench_teleop import SIZE, _expert_demo, _measure, _wait, _window

BC = {"steps": "1000000", "log_every": "100"}  # the defaults otherwise (256x256, batch 256)
GAIL = {"total_env_steps": "10000000", "warm_start": "200", "eval_every": "0"}
DEMOS = 10


def _start(app: Any, window: Any, algo: str, values: dict[str, str]) -> None:
    panel = window.train_panel
    end = time.perf_counter() + 120
    while not panel.ready and time.perf_counter() < end:
        _wait(app, 0.05)
    panel.algo_combo.setCurrentText(algo)
    for key, value in values.items():
        panel.form.set_value(key, value)
    if not panel.start():
        raise RuntimeError(f"{algo} did not start: {panel.last_error}")
    key = "loss" if algo == "bc" else "disc_loss"
    end = time.perf_counter() + 120
    while len(window.training.history.get(key, [])) < 2 and time.perf_counter() < end:
        _wait(app, 0.05)  # past the data loading and the warm start: training proper


def _stop(app: Any, window: Any) -> dict[str, list[float]]:
    history = {k: list(v) for k, v in window.training.history.items()}
    window.training.stop()
    while window.training.running:
        _wait(app, 0.05)
    return history


def _cli_samples_per_s(data: Path, steps: int) -> float:
    """The same BC run from the command line: median samples/s over its log points."""
    runs = Path(tempfile.mkdtemp(prefix="bench-train-cli-"))
    cmd = [
        sys.executable,
        "-m",
        "studio",
        "train",
        "--algo",
        "bc",
        "--data",
        str(data),
        "--steps",
        str(steps),
        "--set",
        "log_every=100",
        "--threads",
        "1",
        "--runs-dir",
        str(runs),
        "--name",
        "cli",
        "--no-progress",
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    lines = (runs / "cli" / "metrics.jsonl").read_text().splitlines()
    rates = [json.loads(line)["samples_per_s"] for line in lines][1:]
    return float(np.median(rates))


def run(quick: bool = False) -> dict[str, Any]:
    """Measure every row; returns the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    seconds = 7.0 if quick else 20.0
    app = QApplication.instance() or QApplication([])
    load = os.getloadavg()[0]
    window = _window(app)
    for _ in range(DEMOS):
        _expert_demo(window)
    data = window.recorder.path
    # A copy for the command-line runs, read while the window holds its file open.
    cli_data = Path(tempfile.mkdtemp(prefix="bench-train-data-")) / "demos.h5"
    shutil.copyfile(data, cli_data)
    cli_steps = 1500 if quick else 4000
    cli_before = _cli_samples_per_s(cli_data, cli_steps)
    window.set_speed(1.0)
    rows = [{"training": "nothing", **_measure(app, window, seconds, False)}]
    _start(app, window, "bc", BC)
    rows.append({"training": "bc", **_measure(app, window, seconds, False)})
    bc = _stop(app, window)
    window_rate = float(np.median(bc["samples_per_s"][1:]))
    bc_steps = int(bc["step"][-1])
    _start(app, window, "gail", GAIL)
    rows.append({"training": "gail", **_measure(app, window, seconds, False)})
    gail = _stop(app, window)
    _start(app, window, "bc", BC)  # the same run with nobody driving (the window idle)
    _wait(app, seconds)
    idle = _stop(app, window)
    idle_rate = float(np.median(idle["samples_per_s"][1:]))
    window.close()
    app.processEvents()
    cli_after = _cli_samples_per_s(cli_data, cli_steps)
    cli_rate = (cli_before + cli_after) / 2
    return {
        "benchmark": "training_gui",
        "quick": quick,
        "seconds_per_row": seconds,
        "viewport": list(SIZE),
        "demos": DEMOS,
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "rows": rows,
        "bc_samples_per_s_window": window_rate,
        "bc_samples_per_s_cli": cli_rate,
        "bc_samples_per_s_cli_before_after": [cli_before, cli_after],
        "bc_samples_per_s_window_idle": idle_rate,
        "bc_steps_in_window": bc_steps,
        "gail_env_steps_per_s_window": float(np.median(gail["env_steps_per_s"]))
        if gail.get("env_steps_per_s")
        else None,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as Markdown."""
    lines = [
        f"Arm push at 1×, viewport {SIZE[0]}x{SIZE[1]}, the arrow keys driving (switching every "
        f"1.5 s), {figures['seconds_per_row']:.0f} s of wall time per row, {figures['demos']} "
        "expert demos in the file; training from the Train panel with one torch thread; "
        "QT_QPA_PLATFORM=offscreen, software GL. Load average before/after: "
        f"{figures['load_before']:.1f} / {figures['load_after']:.1f} (2 cores shared with "
        "other jobs).",
        "",
        "| training in the background | displayed frames/s | GUI frame time p50 | p99 "
        "| GUI tick p99 | real-time factor |",
        "|---|---|---|---|---|---|",
    ]
    for r in figures["rows"]:
        lines.append(
            f"| {r['training']} | {r['fps']:.1f} | {r['frame_p50_ms']:.1f} ms "
            f"| {r['frame_p99_ms']:.1f} ms | {r['tick_p99_ms']:.1f} ms | {r['rtf']:.3f} |"
        )
    worst_p99 = max(r["frame_p99_ms"] for r in figures["rows"])
    worst_rtf = max(abs(r["rtf"] - 1.0) for r in figures["rows"])
    cli = figures["bc_samples_per_s_cli"]
    ratio = figures["bc_samples_per_s_window"] / cli
    idle = figures["bc_samples_per_s_window_idle"] / cli
    gail = figures["gail_env_steps_per_s_window"]
    lines += [
        "",
        f"Target GUI frame p99 ≤ 33 ms: {'met' if worst_p99 <= 33 else 'missed'} "
        f"({worst_p99:.1f} ms worst); real-time factor within 2%: "
        f"{'met' if worst_rtf <= 0.02 else 'missed'} ({worst_rtf:.1%} worst).",
        "",
        f"BC (256x256, batch 256) samples/s: {figures['bc_samples_per_s_window']:,.0f} in the "
        f"window while a person drives, {cli:,.0f} from the CLI "
        "(`imitation-studio train --algo bc --threads 1`, the window closed; the mean of "
        "{:,.0f} before the window opened and {:,.0f} after it closed): ".format(
            *figures["bc_samples_per_s_cli_before_after"]
        )
        + f"{ratio:.2f}x (target ≥ 0.8x: {'met' if ratio >= 0.8 else 'missed'}). With the "
        f"window open but nobody driving: {figures['bc_samples_per_s_window_idle']:,.0f}, "
        f"{idle:.2f}x. The run trains in a process of its own: as a thread in the window's "
        "process it reached 0.36x (GIL contention; `--quick`, an earlier run).",
    ]
    if gail is not None:
        lines.append(f"GAIL env steps/s in the window while a person drives: {gail:,.0f}.")
    return "\n".join(lines)


def main(quick: bool = False) -> str:
    """Run and return the Markdown report."""
    return report(run(quick))


if __name__ == "__main__":
    print(main())
