"""Recording demos from the main window: what was pressed lands in the HDF5 file, or nothing."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from recordings import Dataset
from studio.app.modes import Mode
from studio.experts import make_expert

pytestmark = pytest.mark.gui


def _files(folder) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name != "settings.ini"}


def test_recorded_episode_holds_the_pressed_actions(make_window, drive, tmp_path):
    window = make_window()
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)  # record: a fresh episode starts
    assert window.mode is Mode.RECORDING
    drive.hold(vp, Qt.Key.Key_Right, 0.5)
    window.presenter.update_status()
    assert "REC" in window.status.rec.text() and window.viewport.recording_badge()
    drive.wait(0.3)
    drive.hold(vp, Qt.Key.Key_Up, 0.5)
    drive.tap(vp, Qt.Key.Key_Space)  # stop: the keep/discard bar appears
    assert window.mode is Mode.PENDING and window.end_bar.isVisible()
    drive.tap(vp, Qt.Key.Key_Return)  # keep
    assert not window.end_bar.isVisible()

    with Dataset(tmp_path / "demos.h5") as ds:
        assert len(ds.demos) == 1
        name = ds.demos[0]
        info, ep = ds.info(name), ds.episode(name)
    assert info.source == "human" and info.device == "keyboard"
    assert [r.name for r in window.dataset_panel.rows()] == [name]
    actions = np.asarray(ep.actions)
    assert actions.shape[1] == 2 and len(actions) >= 10
    right = actions[:, 0] > 0.5
    up = actions[:, 1] > 0.5
    assert right.any() and up.any()
    # Right was held first and alone: +x only; Up later: +y only, after every +x step.
    assert np.all(np.abs(actions[right, 1]) < 1e-6)
    assert np.argmax(up) > np.argmax(right)
    assert np.all(actions[up, 0] < 0.5)
    # The stored states are the ones before each action: frame 0 is the fresh reset.
    assert np.asarray(ep.states).shape[0] == len(actions)


def test_the_status_bar_counts_the_same_steps_as_the_rec_badge(make_window, drive):
    """The status bar refreshes at 4 Hz; its REC count was a few steps behind the badge's."""
    window = make_window()
    window._status_timer.stop()  # only the per-frame path may update the count
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.hold(window.viewport, Qt.Key.Key_Right, 0.5)
    window.presenter.before_frame()  # what each drawn frame does
    steps = window.recorder.steps
    assert steps > 0
    assert window.viewport.recording_badge() == f"REC  {steps} steps"
    assert window.status.rec.text() == f"● REC {steps} steps"


def test_discard_leaves_no_trace(make_window, drive, tmp_path):
    window = make_window()
    before = _files(tmp_path)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.hold(window.viewport, Qt.Key.Key_Left, 0.6)  # > flush interval: steps hit the disk
    drive.tap(window.viewport, Qt.Key.Key_Backspace)
    assert window.mode is Mode.LIVE
    drive.wait(0.1)
    with Dataset(tmp_path / "demos.h5") as ds:
        assert ds.demos == []
    assert _files(tmp_path) == before, "no journal or sidecar left behind"
    assert window.dataset_panel.rows() == []


def _expert_episode(window) -> None:
    """Run one episode (recorded if recording) with the scripted expert at the wheel until it
    succeeds."""
    drive_scene = window.scene
    window.controller.set_paused(True)  # the scripted expert drives instead of the keys
    expert = make_expert(drive_scene.env_id, rng=np.random.default_rng(0))
    expert.reset()
    for _ in range(drive_scene.env.max_episode_steps):
        drive_scene.step_once(expert.act(drive_scene.obs))
        if window.mode is not Mode.RECORDING and drive_scene.halted:
            break
    window.controller.set_paused(False)


def test_how_a_live_episode_ended_goes_away_when_the_next_one_starts(make_window, drive):
    """The result banner of an unrecorded episode used to stay over the next episode."""
    window = make_window()
    assert window.mode is Mode.LIVE
    _expert_episode(window)  # not recording: the episode ends and the scene resets by itself
    assert window.viewport.banner() == "Success"
    drive.qtbot.waitUntil(lambda: not window.scene.halted, timeout=5_000)
    assert window.viewport.banner() == ""
    drive.hold(window.viewport, Qt.Key.Key_Right, 0.3)  # driving the new episode
    assert window.viewport.banner() == ""


def test_space_or_r_while_the_bar_asks_keeps_nothing(make_window, drive, tmp_path):
    """Issue 9, bug 1: only the person's keep or discard decides; Space and R do neither."""
    window = make_window()
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)
    _expert_episode(window)
    assert window.mode is Mode.PENDING and "success" in window.end_bar.text()
    for key in (Qt.Key.Key_Space, Qt.Key.Key_R, Qt.Key.Key_Space):
        drive.tap(vp, key)
        assert window.mode is Mode.PENDING and window.end_bar.isVisible()
    assert "Keep (Return / Enter) or discard" in window.statusBar().currentMessage()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert ds.demos == [], "nothing is kept without the person's choice"
    assert not window.actions_by_id["record"].isEnabled()  # the menus say the same
    drive.tap(vp, Qt.Key.Key_Backspace)
    assert window.mode is Mode.LIVE
    with Dataset(tmp_path / "demos.h5") as ds:
        assert ds.demos == []

    drive.tap(vp, Qt.Key.Key_Space)
    _expert_episode(window)
    drive.tap(vp, Qt.Key.Key_Return)  # keep: the person's choice
    assert window.mode is Mode.LIVE
    with Dataset(tmp_path / "demos.h5") as ds:
        assert len(ds.demos) == 1
        assert ds.info(ds.demos[0]).success is True
        assert np.asarray(ds.episode(ds.demos[0]).dones)[-1] == 1


def test_closing_while_the_bar_asks_leaves_the_choice_for_the_next_opening(
    make_window, drive, tmp_path
):
    """Issue 9, bug 1: closing the window does not decide a pending episode for the person."""
    window = make_window()
    drive.tap(window.viewport, Qt.Key.Key_Space)
    _expert_episode(window)
    assert window.mode is Mode.PENDING
    steps = window.recorder.steps
    window.close()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert ds.demos == [], "closing kept nothing"
    again = make_window(recordings=tmp_path / "demos.h5")
    bar = again.recovery_bar
    assert bar.isVisible() and f"{steps} steps" in bar.text()
    bar.click_discard()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert ds.demos == []


def test_closing_while_recording_commits_the_episode(make_window, drive, tmp_path):
    window = make_window()
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.hold(window.viewport, Qt.Key.Key_D, 0.4)
    steps = window.recorder.steps
    assert steps > 0
    window.close()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert len(ds.demos) == 1
        assert ds.info(ds.demos[0]).num_samples == steps


def test_demos_panel_renames_tags_and_deletes(make_window, drive, monkeypatch):
    from PySide6.QtWidgets import QInputDialog, QMessageBox

    window = make_window()
    for _ in range(2):
        drive.tap(window.viewport, Qt.Key.Key_Space)
        drive.hold(window.viewport, Qt.Key.Key_Right, 0.2)
        drive.tap(window.viewport, Qt.Key.Key_Space)
        drive.tap(window.viewport, Qt.Key.Key_Return)
    panel = window.dataset_panel
    names = [r.name for r in panel.rows()]
    assert len(names) == 2

    panel.select(names[0])
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("pushed_left", True))
    panel._rename_btn.click()
    assert "pushed_left" in [r.name for r in panel.rows()]

    panel.select("pushed_left")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("good, slow", True))
    panel._tag_btn.click()
    row = next(r for r in panel.rows() if r.name == "pushed_left")
    assert row.tags == ["good", "slow"]

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel._delete_btn.click()
    assert [r.name for r in panel.rows()] == [names[1]]
    assert window.recorder.demos == [names[1]]


def test_settings_remember_file_and_scene_but_start_at_1x(make_window, tmp_path, settings_path):
    """Issue 9, bug 7: a session that ended in slow motion does not start the next one slow."""
    window = make_window(scene="ImitationStudio/CarObstacle-v0", recordings=tmp_path / "car.h5")
    drive_keys = window.viewport
    window.set_speed(0.5)
    qkey = Qt.Key.Key_BracketLeft
    from PySide6.QtTest import QTest

    QTest.keyClick(drive_keys, qkey)  # [ : one step slower
    assert window.scene.speed == pytest.approx(0.25)
    window.close()
    settings = QSettings(str(settings_path), QSettings.Format.IniFormat)
    again = make_window(settings=settings, scene=None, recordings=None)
    assert again.scene.env_id == "ImitationStudio/CarObstacle-v0"
    assert again.recorder.path is not None and again.recorder.path.name == "car.h5"
    assert again.scene.speed == pytest.approx(1.0)
    assert again.toolbar.speed() == pytest.approx(1.0)
