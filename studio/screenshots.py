"""Save PNGs of the main window in each mode: ``python -m studio.screenshots OUTDIR``.

Drives the real window the way a person would (key presses for driving; the scripted expert
stands in for a skilled driver to fill the demos panel quickly) and grabs it after each step:
live arm, live car, recording, the keep/discard prompt, playback with the timeline, the demos
panel, the help panel, a BC run and a GAIL run training (curves mid-run), the policy driving,
and its evaluation beside the scripted expert. Run it under a display (``make screenshots`` uses
``xvfb-run``) or with ``QT_QPA_PLATFORM=offscreen``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from studio.app import MainWindow
from studio.app.modes import Mode
from studio.envs import ARM_PUSH, CAR_OBSTACLE
from studio.experts import make_expert


def _wait(app: QApplication, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.002)


def _hold(app: QApplication, window: MainWindow, key: Qt.Key, seconds: float) -> None:
    QTest.keyPress(window.viewport, key)
    _wait(app, seconds)
    QTest.keyRelease(window.viewport, key)


def _tap(window: MainWindow, key: Qt.Key) -> None:
    QTest.keyClick(window.viewport, key)


def _record_expert_demo(app: QApplication, window: MainWindow, seed: int) -> None:
    """Record one demo with the scripted expert driving (fast: steps without waiting)."""
    expert = make_expert(window.scene.env_id, rng=np.random.default_rng(seed))
    # Recorded honestly: the scripted expert drove, not a person at the keyboard.
    window.start_recording(device="scripted expert", source="scripted")
    expert.reset()
    scene = window.scene
    window.controller.set_paused(True)  # the loop must not step with the keyboard in between
    while window.mode is Mode.RECORDING:
        scene.step_once(expert.act(scene.obs))
    window.controller.set_paused(False)
    _wait(app, 0.05)


def _wait_until(app: QApplication, done, timeout: float) -> bool:
    end = time.perf_counter() + timeout
    while not done() and time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)
    return bool(done())


def _train_drive_evaluate(app: QApplication, window: MainWindow, shot) -> None:
    """train-bc, policy-driving, evaluate and train-gail (mid-run, curves visible)."""
    for seed in range(4, 16):  # 16 expert demos in all: enough for BC to push the puck
        _record_expert_demo(app, window, seed)
        window.run_command("keep")
    panel = window.train_panel
    window.demos_dock.hide()
    window.train_dock.show()
    window.train_dock.raise_()
    _wait_until(app, lambda: panel.ready, 120)
    panel.algo_combo.setCurrentText("bc")
    # An ensemble of 3, so that relabel.png shows where its members disagree.
    bc = {"steps": "3000", "hidden_sizes": "64,64", "log_every": "50", "ensemble": "3"}
    for key, value in bc.items():
        panel.form.set_value(key, value)
    panel.start()
    _wait_until(app, lambda: len(window.training.history.get("step", [])) >= 25, 120)
    shot("train-bc")
    _wait_until(app, lambda: not window.training.running, 300)
    checkpoint = panel.run_rows()[0].checkpoint

    window.drive_policy(checkpoint)
    _wait(app, 2.0)
    shot("policy-driving")
    _takeover_and_relabel(app, window, shot)

    window.eval_dock.show()
    window.eval_dock.raise_()
    window.eval_panel.episodes.setValue(10)
    window.eval_panel.set_checkpoint(checkpoint)
    window.eval_panel.start()
    _wait_until(app, lambda: not window.evaluation.running, 300)
    shot("evaluate")

    window.train_dock.raise_()
    panel.algo_combo.setCurrentText("gail")
    gail = {
        "total_env_steps": "200000",
        "num_envs": "4",
        "rollout_steps": "128",
        "warm_start": "300",
        "hidden_sizes": "64,64",
        "eval_every": "4096",
        "eval_episodes": "4",
    }
    for key, value in gail.items():
        panel.form.set_value(key, value)
    panel.start()
    _wait_until(app, lambda: len(window.training.history.get("disc_loss", [])) >= 14, 300)
    shot("train-gail")
    panel.stop()
    _wait_until(app, lambda: not window.training.running, 120)
    window.demos_dock.show()


def _takeover_and_relabel(app: QApplication, window: MainWindow, shot) -> None:
    """takeover (the person holds the wheel while the policy's episode is recorded), and
    relabel (its rollout at 0.25×, labelled frames and the policy's uncertainty on the strip)."""
    _tap(window, Qt.Key.Key_Space)  # record the policy's episode
    _wait(app, 0.3)
    QTest.keyPress(window.viewport, Qt.Key.Key_Left)  # take over
    _wait(app, 0.5)
    shot("takeover")
    QTest.keyRelease(window.viewport, Qt.Key.Key_Left)
    _wait(app, 1.5)
    if window.mode is Mode.RECORDING:
        _tap(window, Qt.Key.Key_Space)
    window.run_command("keep")
    rollout = window.recorder.last_saved
    _tap(window, Qt.Key.Key_Escape)  # the person drives; the policy stays loaded
    if rollout is None or not window.play_demo(rollout):
        return
    window.set_speed(0.25)
    _tap(window, Qt.Key.Key_L)  # relabel
    window.playback.seek(10)
    _tap(window, Qt.Key.Key_Space)
    _hold(app, window, Qt.Key.Key_Right, 1.5)
    QTest.keyPress(window.viewport, Qt.Key.Key_Up)
    _wait(app, 1.2)
    shot("relabel")
    QTest.keyRelease(window.viewport, Qt.Key.Key_Up)
    _tap(window, Qt.Key.Key_Space)
    _tap(window, Qt.Key.Key_Return)  # save the labels
    window.set_speed(1.0)
    window.leave_playback()


def _dagger(app: QApplication, window: MainWindow, shot) -> None:
    """dagger: two rounds with the scripted expert from the DAgger panel, chart drawn."""
    panel = window.docks.dagger_panel
    window.docks.dagger_dock.show()
    window.docks.dagger_dock.raise_()
    panel.rounds_spin.setValue(2)
    panel.episodes_spin.setValue(3)
    panel.steps_spin.setValue(1500)
    panel.eval_spin.setValue(10)
    panel.start()
    _wait_until(app, lambda: not panel.running, 600)
    shot("dagger")


def main(argv: list[str] | None = None) -> int:
    """Write the screenshots into ``argv[0]`` (default ``screenshots``); returns 0."""
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="studio-shots-"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(scene=ARM_PUSH, recordings=tmp / "demos.h5", settings=settings, seed=3)
    window.resize(1500, 920)
    window.show()
    window.activateWindow()
    _wait(app, 0.5)
    saved: list[Path] = []

    def shot(name: str) -> None:
        _wait(app, 0.15)
        window.render_frame()
        app.processEvents()
        path = out / f"{name}.png"
        window.grab().save(str(path))
        saved.append(path)
        print(path, flush=True)

    # 1. Live arm: drive the fingertip right and away with the arrow keys.
    _hold(app, window, Qt.Key.Key_Right, 0.6)
    QTest.keyPress(window.viewport, Qt.Key.Key_Up)
    _wait(app, 0.4)
    shot("01_live_arm")
    QTest.keyRelease(window.viewport, Qt.Key.Key_Up)

    # 2. Recording: Space starts a demo from a fresh episode; drive a little.
    _tap(window, Qt.Key.Key_Space)
    _hold(app, window, Qt.Key.Key_Left, 0.5)
    QTest.keyPress(window.viewport, Qt.Key.Key_Up)
    _wait(app, 0.6)
    shot("02_recording")
    QTest.keyRelease(window.viewport, Qt.Key.Key_Up)

    # 3. Stop: the keep/discard prompt.
    _tap(window, Qt.Key.Key_Space)
    shot("03_episode_end_prompt")
    _tap(window, Qt.Key.Key_Backspace)

    # 4. The demos panel with a few expert demos, one renamed and tagged.
    for seed in range(4):
        _record_expert_demo(app, window, seed)
        window.run_command("keep")
    names = window.recorder.demos
    window.recorder.rename(names[0], "first_try")
    window.recorder.set_tags(names[1], ["clean", "fast"])
    window.dataset_panel.select("first_try")
    shot("04_demos_panel")

    # 5. Playback with the timeline, paused half-way.
    window.play_demo(window.recorder.demos[1])
    _tap(window, Qt.Key.Key_BracketLeft)  # [ : slower, 0.5×
    _tap(window, Qt.Key.Key_Space)  # play
    _wait(app, 0.8)
    _tap(window, Qt.Key.Key_Space)  # pause
    window.timeline.drag_to(window.playback.length // 2)
    shot("05_playback_timeline")
    _tap(window, Qt.Key.Key_BracketLeft)  # 0.25×
    _tap(window, Qt.Key.Key_BracketLeft)  # 0.1×: slow motion, substeps drawn between frames
    _tap(window, Qt.Key.Key_Space)
    _wait(app, 1.3)
    shot("08_playback_slow_motion")
    _tap(window, Qt.Key.Key_Space)
    _tap(window, Qt.Key.Key_BracketRight)
    _tap(window, Qt.Key.Key_BracketRight)
    _tap(window, Qt.Key.Key_BracketRight)  # back to 1×

    # 6. Help panel, and the overlay's hints hidden with F1.
    _tap(window, Qt.Key.Key_Escape)
    window.demos_dock.hide()
    window.help_dock.show()
    _tap(window, Qt.Key.Key_F1)
    shot("06_help_panel")
    _tap(window, Qt.Key.Key_F1)
    window.demos_dock.show()

    # 8-11. Train (BC, then GAIL mid-run), let the policy drive, evaluate it (issue 11).
    _train_drive_evaluate(app, window, shot)

    _dagger(app, window, shot)

    # 7. Live car (the whole course in view), steering left around the obstacle.
    window.set_scene(CAR_OBSTACLE)
    _wait(app, 0.3)
    shot("07a_car_opens")
    QTest.keyPress(window.viewport, Qt.Key.Key_Up)
    _wait(app, 0.7)
    QTest.keyPress(window.viewport, Qt.Key.Key_Left)
    _wait(app, 0.4)
    shot("07_live_car")
    QTest.keyRelease(window.viewport, Qt.Key.Key_Left)
    QTest.keyRelease(window.viewport, Qt.Key.Key_Up)

    window.close()
    print(f"{len(saved)} screenshots in {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
