"""A person's relabelling rate and the frame rate of the real main window in relabel mode.

Setup (as the relabel GUI tests do): four scripted arm-push demos collected and a tiny BC policy
(16x16, 40 steps) trained with the studio's CLI; the policy drives and one of its rollouts is
recorded (Space, Space, Enter), then played back in relabel mode (``L``) at 0.25×. A scripted
"person" holds the arrow keys, switching every second (Right, Up, Left, Down), while the rollout
plays; at its end it starts again from the first frame. The viewport is 640x480, shadows off,
rendering in the render thread (the defaults).

Measured:
- displayed frames/s: frames put into the viewport per wall second (what the person sees);
- GUI frame time: the GUI thread's work for one displayed frame (QImage + paint), p50/p99;
- labelled frames per wall-clock minute: rollout frames given a label while it played, per
  minute of wall time. At 0.25× of a 20 Hz rollout at most 0.25 × 20 × 60 = 300 per minute.

``--quick``: about 10 s of relabelling (under a minute in all); ``--json``: the figures as JSON.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SPEED = 0.25
SIZE = (640, 480)
SWITCH_S = 1.0


def _setup(root: Path) -> tuple[Path, Path]:
    """Four scripted demos and a tiny BC checkpoint (the CLI's output kept off stdout)."""
    from studio.cli import main as cli
    from studio.envs import ARM_PUSH

    demos = root / "demos.h5"
    with contextlib.redirect_stdout(sys.stderr):
        argv = ["collect", "--env", ARM_PUSH, "--episodes", "4", "--out", str(demos)]
        assert cli([*argv, "--no-progress"]) == 0
        argv = ["train", "--data", str(demos), "--steps", "40", "--runs-dir", str(root / "runs")]
        argv += ["--name", "bc", "--set", "hidden_sizes=16,16", "--no-progress"]
        assert cli([*argv, "--threads", "1"]) == 0
    return demos, root / "runs" / "bc" / "checkpoint.pt"


def _window(app: Any, demos: Path, root: Path) -> Any:
    from PySide6.QtCore import QSettings

    from benchmarks.bench_teleop import _wait
    from studio.app import MainWindow

    settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(recordings=demos, settings=settings, seed=0, gamepad=None)
    window.max_render_pixels = SIZE[0] * SIZE[1]
    window.viewport.setFixedSize(*SIZE)
    window.show()
    _wait(app, 1.5)  # warm-up: first GL context, first HDF5 opening
    return window


def _tap(app: Any, window: Any, key: Any) -> None:
    from PySide6.QtTest import QTest

    from benchmarks.bench_teleop import _wait

    QTest.keyClick(window.viewport, key)
    _wait(app, 0.02)


def _rollout(app: Any, window: Any, checkpoint: Path, seconds: float) -> str:
    """The policy drives; Space records it for ``seconds`` (at 2×), Space stops, Enter keeps."""
    from PySide6.QtCore import Qt

    from benchmarks.bench_teleop import _wait
    from studio.app.modes import Mode

    assert window.drive_policy(checkpoint) and window.mode is Mode.POLICY
    window.set_speed(2.0)
    _tap(app, window, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING
    _wait(app, seconds)
    if window.mode is Mode.RECORDING:
        _tap(app, window, Qt.Key.Key_Space)
    assert window.mode is Mode.PENDING
    _tap(app, window, Qt.Key.Key_Return)
    name = window.recorder.last_saved
    _tap(app, window, Qt.Key.Key_Escape)  # the person has the wheel
    return name


def _measure(app: Any, window: Any, seconds: float) -> dict[str, float]:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from benchmarks.bench_teleop import _pcts

    frames = window.frames
    frame_times: list[float] = []
    shown: list[float] = []
    show = frames._on_frame_rendered  # wrapped to time the GUI thread's work per frame

    def timed_frame(frame, secs) -> None:
        t = time.perf_counter()
        show(frame, secs)
        window.viewport.repaint()  # paint now, inside the measurement
        frame_times.append(time.perf_counter() - t)
        shown.append(t)

    frames.renderer.frame_rendered.disconnect(show)
    frames.renderer.frame_rendered.connect(timed_frame)
    frames.render_seconds.clear()
    pb = window.playback
    state = {"labelled": 0, "last": pb.index, "loops": 0, "measuring": True}

    def count(index: int) -> None:  # frames passed while playing each get a label
        if pb.playing and index > state["last"]:
            state["labelled"] += index - state["last"]
        state["last"] = index

    def again() -> None:
        pb.seek(0)
        state["last"] = pb.index
        pb.play()

    def replay(playing: bool) -> None:
        if not playing and state["measuring"]:
            state["loops"] += 1
            QTimer.singleShot(0, again)

    pb.frame_changed.connect(count)
    pb.playing_changed.connect(replay)
    keys = [Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Left, Qt.Key.Key_Down]
    held, k = None, 0
    QTest.keyClick(window.viewport, Qt.Key.Key_Space)  # play
    state["last"] = pb.index
    t0 = time.perf_counter()
    next_switch = t0
    while (now := time.perf_counter()) - t0 < seconds:
        if now >= next_switch:
            if held is not None:
                QTest.keyRelease(window.viewport, held)
            held = keys[k % len(keys)]
            QTest.keyPress(window.viewport, held)
            k, next_switch = k + 1, now + SWITCH_S
        app.processEvents()
        time.sleep(0.001)
    wall = time.perf_counter() - t0
    state["measuring"] = False
    if held is not None:
        QTest.keyRelease(window.viewport, held)
    pb.pause()
    pb.frame_changed.disconnect(count)
    pb.playing_changed.disconnect(replay)
    frames.renderer.frame_rendered.disconnect(timed_frame)
    frames.renderer.frame_rendered.connect(show)
    f50, f99 = _pcts(frame_times)
    r50, _ = _pcts(list(frames.render_seconds))
    labels = window.relabel.labels
    return {
        "fps": len(shown) / wall,
        "frame_p50_ms": f50,
        "frame_p99_ms": f99,
        "render_p50_ms": r50,
        "labelled_frames": state["labelled"],
        "labelled_per_min": state["labelled"] / wall * 60.0,
        "rollout_frames_with_label": int(np.isfinite(labels).all(axis=1).sum())
        if labels.size
        else 0,
        "loops": state["loops"],
        "wall_s": wall,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Set up, relabel, and return the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from benchmarks.bench_teleop import _wait
    from studio.app.modes import Mode

    seconds = 10.0 if quick else 40.0
    app = QApplication.instance() or QApplication([])
    load = os.getloadavg()[0]
    t_setup = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="bench-relabel-"))
    demos, checkpoint = _setup(root)
    window = _window(app, demos, root)
    name = _rollout(app, window, checkpoint, 3.0 if quick else 6.0)
    assert window.play_demo(name)
    length = window.playback.length
    dt = window.scene.env.control_dt
    window.set_speed(SPEED)
    _tap(app, window, Qt.Key.Key_L)
    assert window.mode is Mode.RELABEL, window.mode
    _wait(app, 0.3)
    setup_s = time.perf_counter() - t_setup
    figures = _measure(app, window, seconds)
    window.relabel.labels[:] = float("nan")  # nothing to save; leave relabel mode quietly
    window.close()
    app.processEvents()
    return {
        "benchmark": "relabel",
        "quick": quick,
        "speed": SPEED,
        "seconds": seconds,
        "setup_s": setup_s,
        "rollout_frames": length,
        "control_hz": 1.0 / dt,
        "max_labelled_per_min": SPEED * 60.0 / dt,
        "viewport": list(SIZE),
        "load_before": load,
        "load_after": os.getloadavg()[0],
        **figures,
    }


def report(f: dict[str, Any]) -> str:
    """The figures as Markdown."""
    ok = f["fps"] >= 30
    return "\n".join(
        [
            f"Arm push, viewport {SIZE[0]}x{SIZE[1]}, shadows off, render thread, "
            "QT_QPA_PLATFORM=offscreen, software GL (Mesa llvmpipe through EGL, no GPU). "
            f"A tiny BC policy's rollout ({f['rollout_frames']} frames at "
            f"{f['control_hz']:.0f} Hz, looped {f['loops']} times) relabelled at "
            f"{f['speed']:g}× for {f['wall_s']:.1f} s of wall time, arrow keys held and "
            f"switched every {SWITCH_S:g} s. Setup (collect, train, record): "
            f"{f['setup_s']:.1f} s. Load average before/after: {f['load_before']:.1f} / "
            f"{f['load_after']:.1f} (shared machine).",
            "",
            "| speed | displayed frames/s | GUI frame time p50 | p99 | render p50 "
            "| labelled frames | labelled frames / wall min | max at this speed |",
            "|---|---|---|---|---|---|---|---|",
            f"| {f['speed']:g}× | {f['fps']:.1f} | {f['frame_p50_ms']:.1f} ms "
            f"| {f['frame_p99_ms']:.1f} ms | {f['render_p50_ms']:.1f} ms "
            f"| {f['labelled_frames']} | {f['labelled_per_min']:.0f} "
            f"| {f['max_labelled_per_min']:.0f} |",
            "",
            f"Target ≥ 30 displayed frames/s in relabel mode at {f['speed']:g}×: "
            f"{'met' if ok else 'missed'} ({f['fps']:.1f}).",
            "",
            f"Labelling rate: {f['labelled_per_min']:.0f} labelled frames per wall-clock minute, "
            f"{f['labelled_per_min'] / f['max_labelled_per_min']:.0%} of the "
            f"{f['max_labelled_per_min']:.0f}/min a person can give at {f['speed']:g}× "
            f"({f['control_hz']:.0f} Hz × {f['speed']:g} × 60) while the rollout plays "
            "(the shortfall: the wait for the first frame and any restarts at the rollout's "
            "end). This is the scripted person's rate, an upper bound of what the window lets "
            "through: a real person also pauses, scrubs back and redoes stretches.",
        ]
    )


def main(quick: bool = False) -> str:
    """Run and return the Markdown report."""
    return report(run(quick))


if __name__ == "__main__":
    print(main())
