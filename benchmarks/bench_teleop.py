"""Displayed frames/s and GUI frame time of the real main window, live and in playback.

At 0.1×, 0.25× and 1×: a scripted "person" drives the arm with the arrow keys (switching every
1.5 s, episodes reset as they end), then a recorded expert demo plays back in a loop. The
viewport is 640x480, shadows off (the default), rendering in the render thread (the default).

Measured per row:
- displayed frames/s: frames put into the viewport per wall second (what the person sees);
- GUI frame time: the GUI thread's work for one displayed frame (QImage + paint), p50/p99;
- GUI tick time: the GUI thread's work at one display tick (choosing the state, re-simulating
  the substeps of a new control step, sending the render request), p99;
- render time: the render thread's MuJoCo render + read-back, p50;
- real-time factor: simulated (or played) seconds per wall second, against the speed.

``--quick``: 7 s per row (under a minute in all); ``--json``: the figures as JSON.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

SPEEDS = (0.1, 0.25, 1.0)
SIZE = (640, 480)


def _pcts(values: list[float]) -> tuple[float, float]:
    a = np.asarray(values) * 1000.0
    if a.size == 0:
        return float("nan"), float("nan")
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def _wait(app: Any, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)


def _window(app: Any) -> Any:
    from PySide6.QtCore import QSettings

    from studio.app import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="bench-teleop-"))
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(recordings=tmp / "demos.h5", settings=settings, seed=0, gamepad=None)
    window.max_render_pixels = SIZE[0] * SIZE[1]
    window.viewport.setFixedSize(*SIZE)
    window.show()
    _wait(app, 1.5)  # warm-up: first GL context, first HDF5 opening
    return window


def _expert_demo(window: Any) -> str:
    from studio.app.modes import Mode
    from studio.experts import make_expert

    scene = window.scene
    expert = make_expert(scene.env_id, rng=np.random.default_rng(0))
    window.start_recording(device="scripted expert", source="scripted")
    expert.reset()
    window.controller.set_paused(True)
    while window.mode is Mode.RECORDING:
        scene.step_once(expert.act(scene.obs))
    window.controller.set_paused(False)
    window.run_command("keep")
    return window.recorder.last_saved


def _measure(app: Any, window: Any, seconds: float, playback: bool) -> dict[str, float]:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    frames = window.frames
    frame_times: list[float] = []
    tick_times: list[float] = []
    shown: list[float] = []
    show = frames._on_frame_rendered  # wrapped to time the GUI thread's work per frame

    def timed_frame(frame, secs) -> None:
        t = time.perf_counter()
        show(frame, secs)
        window.viewport.repaint()  # paint now, inside the measurement
        frame_times.append(time.perf_counter() - t)
        shown.append(t)

    tick = frames._on_tick

    def timed_tick() -> None:
        t = time.perf_counter()
        tick()
        tick_times.append(time.perf_counter() - t)

    frames.renderer.frame_rendered.disconnect(show)
    frames.renderer.frame_rendered.connect(timed_frame)
    frames._timer.timeout.disconnect(tick)
    frames._timer.timeout.connect(timed_tick)
    frames.render_seconds.clear()
    scene, pb = window.scene, window.playback
    dt = scene.env.control_dt

    def replay(playing: bool) -> None:
        if not playing:
            QTimer.singleShot(0, pb.play)

    def next_episode(_step) -> None:
        QTimer.singleShot(0, scene.reset)

    if playback:
        pb.playing_changed.connect(replay)
        pb.play()
        played = {"frames": 0, "last": pb.index}

        def count(index: int) -> None:
            played["frames"] += max(0, index - played["last"])
            played["last"] = index

        pb.frame_changed.connect(count)
    else:
        scene.episode_finished.connect(next_episode)
    keys = [Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Left, Qt.Key.Key_Down]
    held, k = None, 0
    steps0 = scene.steps_taken
    t0 = time.perf_counter()
    next_switch = t0
    while (now := time.perf_counter()) - t0 < seconds:
        if not playback and now >= next_switch:
            if held is not None:
                QTest.keyRelease(window.viewport, held)
            held = keys[k % len(keys)]
            QTest.keyPress(window.viewport, held)
            k, next_switch = k + 1, now + 1.5
        app.processEvents()
        time.sleep(0.001)
    wall = time.perf_counter() - t0
    if held is not None:
        QTest.keyRelease(window.viewport, held)
    if playback:
        pb.playing_changed.disconnect(replay)
        pb.pause()
        sim = played["frames"] * dt
    else:
        scene.episode_finished.disconnect(next_episode)
        sim = (scene.steps_taken - steps0) * dt
    frames.renderer.frame_rendered.disconnect(timed_frame)
    frames.renderer.frame_rendered.connect(show)
    frames._timer.timeout.disconnect(timed_tick)
    frames._timer.timeout.connect(tick)
    f50, f99 = _pcts(frame_times)
    _, t99 = _pcts(tick_times)
    r50, _ = _pcts(list(frames.render_seconds))
    return {
        "fps": len(shown) / wall,
        "frame_p50_ms": f50,
        "frame_p99_ms": f99,
        "tick_p99_ms": t99,
        "render_p50_ms": r50,
        "rtf": sim / wall,
        "wall_s": wall,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure every row; returns the figures."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    seconds = 7.0 if quick else 20.0
    app = QApplication.instance() or QApplication([])
    load = os.getloadavg()[0]
    window = _window(app)
    name = _expert_demo(window)
    rows = []
    for speed in SPEEDS:
        window.set_speed(speed)
        _wait(app, 0.3)
        rows.append({"mode": "live", "speed": speed, **_measure(app, window, seconds, False)})
    window.play_demo(name)
    for speed in SPEEDS:
        window.set_speed(speed)
        rows.append({"mode": "playback", "speed": speed, **_measure(app, window, seconds, True)})
    window.close()
    app.processEvents()
    return {
        "benchmark": "teleop",
        "quick": quick,
        "seconds_per_row": seconds,
        "viewport": list(SIZE),
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "rows": rows,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures as Markdown."""
    lines = [
        f"Arm push, viewport {SIZE[0]}x{SIZE[1]}, shadows off, render thread, "
        f"{figures['seconds_per_row']:.0f} s of wall time per row, QT_QPA_PLATFORM=offscreen, "
        "software GL (Mesa llvmpipe through EGL, no GPU). Load average before/after: "
        f"{figures['load_before']:.1f} / {figures['load_after']:.1f} (2 cores shared with "
        "other jobs).",
        "",
        "| mode | speed | displayed frames/s | GUI frame time p50 | p99 | GUI tick p99 "
        "| render p50 | real-time factor |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in figures["rows"]:
        lines.append(
            f"| {r['mode']} | {r['speed']:g}× | {r['fps']:.1f} | {r['frame_p50_ms']:.1f} ms "
            f"| {r['frame_p99_ms']:.1f} ms | {r['tick_p99_ms']:.1f} ms "
            f"| {r['render_p50_ms']:.1f} ms | {r['rtf']:.3f} |"
        )
    worst = min(r["fps"] for r in figures["rows"])
    lines += [
        "",
        f"Target ≥ 30 displayed frames/s at every speed, live and playback: "
        f"{'met' if worst >= 30 else 'missed'} ({worst:.1f} worst).",
    ]
    return "\n".join(lines)


def main(quick: bool = False) -> str:
    """Run and return the Markdown report."""
    return report(run(quick))


if __name__ == "__main__":
    print(main())
