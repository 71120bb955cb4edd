"""Scene picker, camera mouse control and a gymnasium scene in the main window."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from tests.support.qt_events import wheel

pytestmark = pytest.mark.gui


def _mouse(widget, etype, pos, button, buttons) -> None:
    event = QMouseEvent(
        etype,
        QPointF(*pos),
        widget.mapToGlobal(QPointF(*pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_left_drag_orbits_and_wheel_zooms(make_window, drive):
    window = make_window()
    cam = window.scene.camera
    azimuth, distance = cam.azimuth, cam.distance
    vp = window.viewport
    left = Qt.MouseButton.LeftButton
    _mouse(vp, QEvent.Type.MouseButtonPress, (200, 200), left, left)
    _mouse(vp, QEvent.Type.MouseMove, (260, 200), Qt.MouseButton.NoButton, left)
    _mouse(vp, QEvent.Type.MouseButtonRelease, (260, 200), left, Qt.MouseButton.NoButton)
    assert window.scene.camera.azimuth != pytest.approx(azimuth)
    wheel(vp, notches=2)  # two wheel notches towards the scene
    assert window.scene.camera.distance < distance
    closer = window.scene.camera.distance
    wheel(vp, notches=-1)
    assert window.scene.camera.distance > closer
    drive.tap(vp, Qt.Key.Key_C)  # back to the default camera
    assert window.scene.camera.azimuth == pytest.approx(azimuth)


def test_scene_picker_switches_to_the_car_and_a_gymnasium_scene(make_window, drive, tmp_path):
    window = make_window(recordings=tmp_path / "any.h5")
    combo = window.toolbar.scene_combo
    combo.setCurrentIndex(combo.findData("ImitationStudio/CarObstacle-v0"))
    combo.activated.emit(combo.currentIndex())
    assert window.scene.env.action_labels == ["throttle", "steering"]
    x0 = window.scene.env.data.qpos[0]
    drive.hold(window.viewport, Qt.Key.Key_Up, 0.6)  # throttle forward
    assert window.scene.env.data.qpos[0] != pytest.approx(x0)

    window.set_scene("Reacher-v5")
    assert window.scene.env_id == "Reacher-v5"
    drive.hold(window.viewport, Qt.Key.Key_Right, 0.3)
    assert window.scene.steps_taken > 0
    assert window.toolbar.scene_combo.currentData() == "Reacher-v5"
