"""A gamepad drives the arm and records, through a real SDL virtual joystick (no pad needed)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pygame")

from recordings import Dataset
from studio.gamepad import Axis, Button, Gamepad
from studio.virtual_joystick import VirtualJoystick, VirtualJoystickUnsupportedError

pytestmark = pytest.mark.gui


@pytest.fixture
def joystick():
    try:
        joy = VirtualJoystick()
    except VirtualJoystickUnsupportedError as exc:
        pytest.skip(f"no SDL virtual joysticks: {exc}")
    yield joy
    joy.detach()


def test_gamepad_drives_the_arm_and_records(make_window, drive, joystick, qtbot, tmp_path):
    window = make_window(gamepad=Gamepad())
    # Hot-plug: the studio picks the pad up on a later poll, as when a person plugs one in.
    joystick.update()
    qtbot.waitUntil(lambda: window._pad_state is not None and window._pad_state.connected)
    drive.wait(0.1)
    start = drive.fingertip(window)

    joystick.tap(Button.A)  # A: record
    drive.wait(0.3)
    assert window.recorder.recording
    assert window.active_device.startswith("gamepad:")
    joystick.set_axis(Axis.LEFT_X, 1.0)  # stick right: +x
    drive.wait(0.6)
    assert window.status.device.text().startswith("input: gamepad:")
    joystick.set_axis(Axis.LEFT_X, 0.0)
    drive.wait(0.2)
    moved = drive.fingertip(window) - start
    assert moved[0] > 0.04

    joystick.tap(Button.A)  # A again: stop; the keep/discard bar appears
    drive.wait(0.3)
    assert window.recorder.pending
    joystick.tap(Button.X)  # X: keep
    drive.wait(0.3)
    assert not window.recorder.pending

    with Dataset(tmp_path / "demos.h5") as ds:
        assert len(ds.demos) == 1
        info, ep = ds.info(ds.demos[0]), ds.episode(ds.demos[0])
    assert info.device.startswith("gamepad:")
    actions = np.asarray(ep.actions)
    assert actions[:, 0].max() > 0.95, "full stick right is recorded as ee_vx = +1"
    assert np.all(np.abs(actions[:, 1]) < 1e-3)
