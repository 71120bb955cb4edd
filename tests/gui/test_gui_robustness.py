"""Failures the studio must survive: foreign files, bad scene ids, full disks, odd orderings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from recordings import Dataset, RecordingError
from recordings.episode import EpisodeWriter
from studio.app.modes import Mode
from studio.envs import SCENES

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


def _robomimic_lift(path: Path) -> Path:
    """A robomimic-style file of a robosuite scene the studio cannot open."""
    with h5py.File(path, "w") as f:
        g = f.create_group("data")
        g.attrs["env_args"] = json.dumps({"env_name": "Lift", "type": 1, "env_kwargs": {}})
        g.attrs["total"] = 0
    return path


def _record(window, drive, seconds: float = 0.3) -> None:
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING
    drive.hold(window.viewport, Qt.Key.Key_Right, seconds)


def test_a_file_of_an_unknown_scene_warns_and_keeps_the_studio(
    make_window, tmp_path, settings_path
):
    window = make_window()
    scene, demos = window.scene, tmp_path / "demos.h5"
    lift = _robomimic_lift(tmp_path / "lift.h5")
    assert window.open_recordings(lift) is False
    # Same scene object, still running; the file that was open before is open again.
    assert window.scene is scene and scene.is_running() and scene.env is not None
    assert window.recorder.path == demos
    assert "lift.h5" in window.last_warning and "'Lift'" in window.last_warning
    assert "lift.h5" in window.statusBar().currentMessage()
    assert window.settings.last_file == str(demos.resolve())
    window.close()

    # The next launch opens the last good file, not the foreign one.
    again = make_window(
        recordings=None, settings=QSettings(str(settings_path), QSettings.Format.IniFormat)
    )
    assert again.recorder.path == demos.resolve()
    assert again.scene.env_id == scene.env_id


def test_a_remembered_scene_that_fails_falls_back_to_the_default(
    make_window, tmp_path, settings_path
):
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    settings.setValue("scene/id", "Foo-v0")
    settings.setValue("recordings/last_file", str(_robomimic_lift(tmp_path / "lift.h5")))
    settings.sync()
    window = make_window(recordings=None, settings=settings)
    assert window.scene.env_id == SCENES[0] and window.scene.is_running()
    assert "Foo-v0" in window.last_warning and "lift.h5" in window.last_warning
    assert window.settings.last_file == "" and window.settings.scene == SCENES[0]


def test_bad_scene_id_on_the_command_line_exits_2_with_the_reason(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    code = "import sys; from studio.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "gui", "--scene", "Foo-v0", "--file", str(tmp_path / "d.h5")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Foo-v0" in proc.stderr and "unknown environment id" in proc.stderr
    assert "QThread" not in proc.stderr


def _record_and_keep(window, drive) -> None:
    _record(window, drive)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.tap(window.viewport, Qt.Key.Key_Return)
    assert window.mode is Mode.LIVE


def test_new_file_onto_the_open_file(make_window, drive, tmp_path, monkeypatch):
    window = make_window()
    demos = tmp_path / "demos.h5"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(demos), ""))
    # While an episode is open the file stays: the person decides about the episode first.
    _record(window, drive)
    window.run_command("new_file")
    assert window.mode is Mode.RECORDING and window.recorder.path == demos
    assert "Stop the recording first" in window.statusBar().currentMessage()
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.tap(window.viewport, Qt.Key.Key_Return)
    # Declined: the open file keeps its demos.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    window.run_command("new_file")
    with Dataset(demos) as ds:
        assert len(ds.demos) == 1
    assert window.recorder.path == demos and window.mode is Mode.LIVE

    # Confirmed: an empty file, and no leftover journal is "recovered" into it.
    (tmp_path / "demos.h5.rec-0123456789abcdef").write_bytes(b"junk from a crash")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    _record_and_keep(window, drive)
    window.run_command("new_file")
    assert window.recorder.path == demos and window.recorder.recovered == []
    assert window.recorder.demos == []
    assert not list(tmp_path.glob("demos.h5.rec-*"))
    assert not (tmp_path / "demos.h5.journal").exists()
    assert window.dataset_panel.rows() == []


def test_a_failed_keep_keeps_the_journal_and_unsticks_the_studio(
    make_window, drive, tmp_path, monkeypatch
):
    window = make_window()
    demos = tmp_path / "demos.h5"

    def full_disk(self, success, **attrs):
        raise RecordingError(f"{demos}: cannot write: No space left on device")

    monkeypatch.setattr(EpisodeWriter, "finish", full_disk)
    _record(window, drive, 0.6)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.PENDING
    drive.tap(window.viewport, Qt.Key.Key_Return)  # keep: fails
    assert window.mode is Mode.LIVE and not window.end_bar.isVisible()
    assert "No space left" in window.last_warning and "recovered" in window.last_warning
    assert window.toolbar.button("record").text() == "● Record" and not window.scene.halted
    assert len(list(tmp_path.glob("demos.h5.rec-*"))) == 1
    # Discard now has nothing to delete: the journal stays.
    drive.tap(window.viewport, Qt.Key.Key_Backspace)
    assert len(list(tmp_path.glob("demos.h5.rec-*"))) == 1

    monkeypatch.undo()  # the disk has room again; reopening offers the episode back
    window.open_recordings(demos)
    assert len(window.recorder.recovered) == 1
    assert window.recorder.demos == window.recorder.recovered


def test_stopping_before_the_first_step_goes_back_to_live_driving(make_window, drive):
    window = make_window()
    button = window.toolbar.button("record")
    button.click()  # start and stop before the control loop had a chance to step
    assert window.mode is Mode.RECORDING and button.text() == "■ Stop"
    button.click()
    assert window.recorder.steps == 0 and window.mode is Mode.LIVE
    assert not window.end_bar.isVisible()
    assert button.text() == "● Record" and not window.scene.halted
    before = window.scene.step_index
    drive.wait(0.4)
    assert window.scene.step_index > before, "the scene must keep stepping"


def test_done_flags_follow_robomimic(make_window, monkeypatch):
    window = make_window()
    scene, rec = window.scene, window.recorder

    def record(steps: int) -> np.ndarray:
        window.start_recording()
        window.controller.set_paused(True)  # step by hand: no wall-clock waiting
        for _ in range(steps):
            scene.step_once()
            if window.mode is not Mode.RECORDING:
                break
        if window.mode is Mode.RECORDING:
            window.toolbar.button("record").click()  # stopped by the person
        assert window.mode is Mode.PENDING
        window.end_bar.click_keep()
        window.controller.set_paused(False)
        return np.asarray(rec.episode(rec.last_saved).dones)

    # Stopped by the person: only the last step is done.
    np.testing.assert_array_equal(record(4), [0, 0, 0, 1])

    # Ended by the time limit (truncated, not terminated): done as well.
    step = scene.env.step

    def third_truncates(action):
        obs, reward, _, _, info = step(action)
        return obs, reward, False, scene.step_index == 2, info

    monkeypatch.setattr(scene.env, "step", third_truncates)
    np.testing.assert_array_equal(record(10), [0, 0, 1])
    assert rec.info(rec.last_saved).success is False


class _Pad:
    """A gamepad that is never connected, with the default button bindings."""

    def __init__(self) -> None:
        from studio.gamepad_mapping import GamepadBindings

        self.bindings = GamepadBindings()

    def poll(self):
        raise RuntimeError("no pad")

    def close(self) -> None:
        pass


def test_typed_scene_ids_and_gamepad_help(make_window, qtbot):
    window = make_window(gamepad=_Pad())
    table = window.controls_panel.table
    texts = []
    for i in range(table.topLevelItemCount()):
        item = table.topLevelItem(i)
        texts += [item.text(1)] + [item.child(j).text(1) for j in range(item.childCount())]
    assert not any("DAgger" in t for t in texts), "no help for what does not exist yet"

    combo = window.toolbar.scene_combo
    assert combo.isEditable()
    scene = window.scene
    combo.lineEdit().setText("Foo-v0")
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert window.scene is scene and scene.is_running()
    assert "Foo-v0" in window.last_warning
    assert combo.currentData() == scene.env_id  # the picker shows the scene still running
    assert combo.currentText() == combo.itemText(combo.currentIndex())  # not "Foo-v0"

    window.activateWindow()
    combo.lineEdit().setFocus()
    qtbot.waitUntil(combo.lineEdit().hasFocus)
    qtbot.keyClicks(combo.lineEdit(), "k")  # typed, then left without Enter
    assert combo.currentText() != combo.itemText(combo.currentIndex())
    window.viewport.setFocus()
    qtbot.waitUntil(lambda: combo.currentText() == combo.itemText(combo.currentIndex()))
    assert window.scene is scene

    combo.lineEdit().setText("Hopper-v5")  # not in the list: any gymnasium MuJoCo id
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Return)
    assert window.scene.env_id == "Hopper-v5" and window.scene.is_running()
    assert combo.currentData() == "Hopper-v5"
