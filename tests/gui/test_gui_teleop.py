"""Driving the arm with the keyboard through the real main window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from studio.app.commands import CommandBindings
from studio.app.modes import Mode
from studio.app.teleop import KeyBindings

pytestmark = pytest.mark.gui


def _hold_until_moved(qtbot, drive, window, widget, key, axis: int, sign: float) -> np.ndarray:
    """Hold ``key`` until the fingertip moved 4 cm along ``axis`` (generous timeout, not a sleep).

    A loaded machine steps the loop late but does not change where the keys drive the arm.
    """
    start = drive.fingertip(window)
    qtbot.keyPress(widget, key)
    try:
        qtbot.waitUntil(
            lambda: sign * (drive.fingertip(window)[axis] - start[axis]) > 0.04, timeout=10_000
        )
    finally:
        qtbot.keyRelease(widget, key)
    return start


def test_arrow_keys_move_the_fingertip_the_right_way(make_window, drive, qtbot):
    window = make_window()
    drive.wait(0.2)
    vp = window.viewport
    start = _hold_until_moved(qtbot, drive, window, vp, Qt.Key.Key_Right, 0, +1)
    moved = drive.fingertip(window)
    assert abs(moved[1] - start[1]) < 0.5 * (moved[0] - start[0]), "Right must move along +x"

    drive.wait(0.3)  # the command ramps down after the release
    # W: away from the viewer, +y.
    start = _hold_until_moved(qtbot, drive, window, vp, Qt.Key.Key_W, 1, +1)
    moved = drive.fingertip(window)
    assert abs(moved[0] - start[0]) < 0.5 * (moved[1] - start[1]), "W must move along +y"
    assert window.inputs.active_device == "keyboard"


def test_keys_still_drive_when_a_child_widget_has_focus(make_window, drive, qtbot):
    window = make_window()
    table = window.dataset_panel._table
    table.setFocus()
    drive.wait(0.2)
    _hold_until_moved(qtbot, drive, window, table, Qt.Key.Key_Left, 0, -1)


def _send(widget, etype: QEvent.Type, key: Qt.Key, autorepeat: bool) -> None:
    event = QKeyEvent(etype, key, Qt.KeyboardModifier.NoModifier, "", autorepeat)
    QApplication.sendEvent(widget, event)


def test_commands_ramp_and_ignore_auto_repeat(make_window, qtbot):
    window = make_window()
    window.scene.set_paused(True)  # drive the ramp by hand, not by the clock
    teleop = window.inputs.keyboard
    qtbot.keyPress(window.viewport, Qt.Key.Key_Right)
    first = teleop.action(0.05)[0]
    assert 0 < first < 1, "the command ramps up rather than jumping to full"
    for _ in range(10):
        value = teleop.action(0.05)[0]
    assert value == pytest.approx(1.0)
    # A held key auto-repeats as release/press pairs flagged autoRepeat: the key stays held.
    _send(window.viewport, QEvent.Type.KeyRelease, Qt.Key.Key_Right, True)
    _send(window.viewport, QEvent.Type.KeyPress, Qt.Key.Key_Right, True)
    assert teleop.target()[0] == 1
    qtbot.keyRelease(window.viewport, Qt.Key.Key_Right)
    assert teleop.target()[0] == 0
    decay = [teleop.action(0.05)[0] for _ in range(4)]
    assert decay[-1] == 0 and all(np.diff(decay) <= 0)


def test_bindings_round_trip_and_show_in_help(make_window):
    bindings = KeyBindings.default_for(["throttle", "steering"])
    assert KeyBindings.from_dict(bindings.to_dict()) == bindings
    commands = CommandBindings()
    assert dict(commands.help_rows([Mode.LIVE]))["Space"] == "Start / stop recording"
    assert dict(commands.help_rows([Mode.PLAYBACK]))["Space"] == "Play / pause"
    assert commands.for_key("Space", Mode.PENDING) is None
    moved = CommandBindings.from_dict({"keys": {"record": ["F5"]}})
    assert CommandBindings.from_dict(moved.to_dict()).for_key("F5", Mode.LIVE) == "record"
    with pytest.raises(ValueError, match="means both"):
        CommandBindings({"reset": ["Space"]})  # Space already records while driving
    generic = KeyBindings.default_for(["a", "b", "c"])
    assert [a.label for a in generic.axes] == ["a", "b", "c"]
    window = make_window()
    shown = [
        window.controls_panel.table.topLevelItem(i).text(0)
        for i in range(window.controls_panel.table.topLevelItemCount())
    ]
    assert "Space" in shown and "R" in shown


def test_an_arm_at_rest_is_not_drawn_again_but_a_moving_one_is(make_window, drive, qtbot):
    window = make_window()
    frames = window.frames
    requests: list[int] = []
    request = frames.renderer.request
    frames.renderer.request = lambda r: requests.append(1) or request(r)  # type: ignore[method-assign]
    overlays: list[int] = []
    frames.about_to_show.connect(lambda: overlays.append(1))
    drive.wait(1.5)  # the arm settles at rest after the reset
    requests.clear()
    overlays.clear()
    steps = window.scene.env.elapsed_steps
    drive.wait(1.0)
    assert window.scene.env.elapsed_steps > steps + 5, "the scene keeps stepping at rest"
    assert len(requests) <= 2, f"{len(requests)} frames drawn of a scene at rest"
    assert len(overlays) > 10, "the overlay (REC badge, action bars) still refreshes"
    _hold_until_moved(qtbot, drive, window, window.viewport, Qt.Key.Key_Right, 0, +1)
    assert len(requests) > 5, "a moving arm is drawn"


def test_a_key_let_go_after_the_episode_ended_is_not_stuck_in_the_next(make_window, drive, qtbot):
    """Found driving the window with xdotool: Right held as the recording stopped and let go
    while keep/discard waited stayed held, and cancelled Left in every later episode."""
    window = make_window()
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING
    qtbot.keyPress(vp, Qt.Key.Key_Right)
    drive.wait(0.2)
    drive.tap(vp, Qt.Key.Key_Space)  # stop: keep or discard?
    assert window.mode is Mode.PENDING
    qtbot.keyRelease(vp, Qt.Key.Key_Right)
    drive.tap(vp, Qt.Key.Key_Return)
    assert window.mode is Mode.LIVE
    qtbot.keyPress(vp, Qt.Key.Key_Left)
    try:
        assert window.inputs.keyboard.target()[0] == -1.0
    finally:
        qtbot.keyRelease(vp, Qt.Key.Key_Left)
