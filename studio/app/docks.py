"""The main window's dock panels: Demos, Controls, Train, Evaluate and DAgger, built and placed.

The docks show what the parts hold; they are built here so the window only composes them.
Demos and Controls sit on the right; Train, Evaluate and DAgger are tabs beside Controls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from studio.app.dagger_panel import DaggerPanel
from studio.app.eval_panel import EvalPanel
from studio.app.evaluation import EvalController
from studio.app.panels import ControlsPanel
from studio.app.train_panel import TrainPanel
from studio.app.training import TrainingController
from widgets.dataset_panel import DatasetPanel

DOCK_MIN_WIDTH = 480


def make_dock(window: QMainWindow, title: str, widget: QWidget, name: str) -> QDockWidget:
    """A dock around ``widget``; ``name`` keys its place in the saved window layout."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setMinimumWidth(DOCK_MIN_WIDTH)
    return dock


class Docks:
    """The five panels and their docks (the window exposes them under the same names)."""

    def __init__(
        self,
        window: QMainWindow,
        training: TrainingController,
        evaluation: EvalController,
        *,
        recordings_path: Callable[[], Path | None],
        scene_id: Callable[[], str],
        masks: Callable[[], list[str]],
    ) -> None:
        """Args:
        window: the main window the docks go into.
        training: the training controller the Train panel starts and follows.
        evaluation: the evaluation controller the Evaluate panel starts and follows.
        recordings_path: the open recordings file (None: none).
        scene_id: the live scene's id.
        masks: the open file's mask names.
        """
        self.dataset_panel = DatasetPanel()
        self.controls_panel = ControlsPanel()
        self.train_panel = TrainPanel(
            training,
            recordings_path=recordings_path,
            scene_id=scene_id,
            selected_demos=self.dataset_panel.selected_names,
            masks=masks,
        )
        self.eval_panel = EvalPanel(evaluation)
        self.demos_dock = make_dock(window, "Demos", self.dataset_panel, "DemosDock")
        self.help_dock = make_dock(window, "Controls", self.controls_panel, "ControlsDock")
        self.train_dock = make_dock(window, "Train", self.train_panel, "TrainDock")
        self.eval_dock = make_dock(window, "Evaluate", self.eval_panel, "EvalDock")
        self.dagger_panel = DaggerPanel(recordings_path, scene_id)
        self.dagger_dock = make_dock(window, "DAgger", self.dagger_panel, "DaggerDock")
        right = Qt.DockWidgetArea.RightDockWidgetArea
        window.addDockWidget(right, self.demos_dock)
        window.addDockWidget(right, self.help_dock)
        window.tabifyDockWidget(self.help_dock, self.train_dock)
        window.tabifyDockWidget(self.train_dock, self.eval_dock)
        window.tabifyDockWidget(self.eval_dock, self.dagger_dock)
        self.help_dock.raise_()

    def view_actions(self) -> list[QAction]:
        """The View menu's show/hide entries, one per dock."""
        docks = (
            self.demos_dock,
            self.help_dock,
            self.train_dock,
            self.eval_dock,
            self.dagger_dock,
        )
        return [d.toggleViewAction() for d in docks]
