"""Review findings on the studio: a busy file is said, not a silent freeze; recovered episodes
are worded by how they were left and offered until answered; a keep refused for another scene
says where the episode is; the banner never covers a hint; the mode has one owner."""

from __future__ import annotations

import fcntl
import os
import threading

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from recordings import Dataset, RecordingFile
from studio.app.modes import Mode
from tests.recordings.rec_synth import record, synth_episode
from widgets.viewport import Viewport

pytestmark = pytest.mark.gui

CAR = {"env_name": "ImitationStudio/CarObstacle-v0", "type": 4, "env_kwargs": {}}


def _record_and_stop(window, drive, seconds: float = 0.3) -> int:
    """Record a short episode and stop it: the keep/discard bar asks."""
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING
    drive.hold(window.viewport, Qt.Key.Key_Right, seconds)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.PENDING
    return window.recorder.steps


def test_keep_while_another_process_reads_the_file_says_so(make_window, drive, tmp_path):
    """Keep waited silently (a Python warning on stderr) while `inspect` or `train` read the
    file; the status bar now says why the studio waits."""
    window = make_window()
    _record_and_stop(window, drive)
    shown: list[str] = []
    window.statusBar().messageChanged.connect(shown.append)
    # What a reader in another process holds while it reads: the folder's shared lock.
    fd = os.open(tmp_path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_SH)
    release = threading.Timer(0.5, os.close, args=(fd,))
    release.start()
    try:
        drive.tap(window.viewport, Qt.Key.Key_Return)  # keep: waits for the reader
    finally:
        release.join()
    assert "demos.h5 is being read by another process; waiting…" in shown
    assert window.mode is Mode.LIVE and len(window.recorder.demos) == 1


def test_an_episode_left_undecided_is_worded_as_such_and_offered_until_answered(
    make_window, drive, tmp_path
):
    """Issue 9, bugs 1 and 6: closing leaves the choice; every opening asks until answered."""
    demos = tmp_path / "demos.h5"
    window = make_window()
    steps = _record_and_stop(window, drive)
    window.close()
    again = make_window(recordings=demos)
    text = again.recovery_bar.text()
    assert again.recovery_bar.isVisible()
    assert "Left undecided when the studio closed" in text and "crash" not in text
    assert f"{steps} steps" in text
    again.close()  # not answered: asked again at the next opening
    third = make_window(recordings=demos)
    assert third.recovery_bar.isVisible() and "Left undecided" in third.recovery_bar.text()
    third.recovery_bar.click_keep()
    with Dataset(demos) as ds:
        [name] = ds.demos
        assert ds.info(name).num_samples == steps
        assert np.asarray(ds.episode(name).dones)[-1] == 1
    third.close()
    fourth = make_window(recordings=demos)
    assert not fourth.recovery_bar.isVisible()  # answered: kept, not asked again
    assert fourth.recorder.demos == [name]


def test_a_keep_refused_for_another_scene_says_where_the_episode_is(make_window, drive, tmp_path):
    """The warning promised the episode "will be offered back", which a file of another scene
    never does: it now says where the journal is and that it cannot go into this file."""
    demos = tmp_path / "demos.h5"
    window = make_window()  # an empty file: any scene may start recording into it
    _record_and_stop(window, drive)
    car = RecordingFile(demos, on_wait=None)  # meanwhile another process records the car
    car.set_env(CAR, "<mujoco/>")
    writer = car.begin_episode(source="human")
    record(writer, synth_episode(0, 3, length=5))
    writer.finish(success=True)
    drive.tap(window.viewport, Qt.Key.Key_Return)  # keep: refused, the file is the car's now
    assert window.mode is Mode.LIVE
    [journal] = list(tmp_path.glob("demos.h5.rec-*"))
    warning = window.last_warning
    assert "can never go into this file" in warning and str(journal) in warning
    assert "offered back" not in warning


def test_gamepad_bindings_are_saved_at_close(make_window, settings_path):
    """AppSettings.set_gamepad_bindings was never called: the pad's dead-zones were lost."""
    from studio.gamepad_mapping import GamepadBindings

    class Pad:
        bindings = GamepadBindings(deadzone=0.2)

        def poll(self):
            raise RuntimeError("no pad")

        def close(self) -> None:
            pass

    window = make_window(gamepad=Pad())
    window.close()
    from studio.app.settings import AppSettings

    saved = AppSettings(QSettings(str(settings_path), QSettings.Format.IniFormat))
    assert GamepadBindings.from_dict(saved.gamepad_bindings() or {}).deadzone == 0.2


def test_the_overlay_leaves_out_the_precision_row_by_name(make_window):
    window = make_window()
    hints = dict(window.viewport.hints())
    assert not any(k.startswith("hold ") for k in hints)
    keys = window.inputs.keyboard.bindings
    assert keys.help_rows()[-1][0] == f"hold {keys.precision_key}"
    assert keys.help_rows(with_precision=False) == keys.help_rows()[:-1]


def test_switching_scene_from_playback_goes_through_the_controller(make_window, drive):
    """The window set the mode itself; the controller now releases the scene."""
    window = make_window()
    _record_and_stop(window, drive)
    window.run_command("keep")
    assert window.play_demo(window.recorder.demos[0]) and window.mode is Mode.PLAYBACK
    assert window.set_scene("ImitationStudio/CarObstacle-v0")
    assert window.mode is Mode.LIVE and window.scene.env_id.startswith("ImitationStudio/Car")


@pytest.mark.parametrize("size", [(420, 520), (700, 500)])
def test_a_banner_never_covers_a_hint_row(qtbot, size):
    vp = Viewport()
    qtbot.addWidget(vp)
    vp.resize(*size)
    vp.set_frame(np.zeros((240, 320, 3), np.uint8))
    vp.set_title("Keep or discard? · Arm push · 1×")
    hints = [(f"Key{i} / Alt{i}", f"a rather long description of command {i}") for i in range(14)]
    vp.set_hints(hints)
    vp.set_banner("Keep (Return / Enter) or discard (Backspace / Del) the episode first")
    vp.grab()  # paints
    box, banner = vp.painted_rects()
    rows = vp.painted_rows()
    assert len(rows) == 1 + len(hints)  # the title and every hint row were drawn
    for row in rows:
        assert box.contains(row), "the box covers the title and every hint row"
        assert not banner.intersects(row)
    assert vp.rect().toRectF().contains(banner), "the banner is in view"
