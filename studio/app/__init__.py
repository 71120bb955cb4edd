"""The studio's main window and what it wires together: live scene, teleop, recorder, playback."""

from studio.app.window import MainWindow

__all__ = ["MainWindow"]
