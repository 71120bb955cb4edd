"""Fixtures for driving the real main window offscreen: temporary settings and recordings."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication


@pytest.fixture(autouse=True, scope="session")
def _private_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Nothing in the GUI tests may read or write the user's own settings."""
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(folder))


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(qtbot, tmp_path: Path, settings_path: Path) -> Callable:
    """Factory: a shown main window with its own settings file and recordings file."""
    from studio.app import MainWindow

    def make(**kwargs):
        kwargs.setdefault("settings", QSettings(str(settings_path), QSettings.Format.IniFormat))
        kwargs.setdefault("recordings", tmp_path / "demos.h5")
        kwargs.setdefault("seed", 0)
        kwargs.setdefault("gamepad", None)
        window = MainWindow(**kwargs)
        # Small frames: rendering is not under test and the machine is shared.
        window.max_render_pixels = 320 * 240
        window.resize(1000, 700)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        return window

    return make


class Driver:
    """What a person does at the keyboard: hold keys, tap keys, wait and watch."""

    def __init__(self, qtbot) -> None:
        self.qtbot = qtbot

    @staticmethod
    def wait(seconds: float) -> None:
        """Run the event loop for ``seconds`` of wall time (the control loop keeps stepping)."""
        app = QApplication.instance()
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    def hold(self, widget, key: Qt.Key, seconds: float) -> None:
        """Hold a key for ``seconds`` (press, wait, release)."""
        self.qtbot.keyPress(widget, key)
        self.wait(seconds)
        self.qtbot.keyRelease(widget, key)

    def tap(self, widget, key: Qt.Key) -> None:
        """Press and release a key."""
        self.qtbot.keyClick(widget, key)
        self.wait(0.02)

    @staticmethod
    def fingertip(window) -> np.ndarray:
        """The arm's end-effector position (x, y) in the world."""
        return window.scene.env.data.site("fingertip").xpos[:2].copy()


@pytest.fixture
def drive(qtbot) -> Driver:
    return Driver(qtbot)
