"""The main window's dock panels: Demos, Controls, Train, Evaluate and DAgger, built and placed.

The docks show what the parts hold; they are built here so the window only composes them.
Demos and Controls sit on the right; Train, Evaluate and DAgger are tabs beside Controls.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

from studio.app.dagger_panel import DaggerPanel
from studio.app.eval_panel import EvalPanel
from studio.app.evaluation import EvalController
from studio.app.panels import ControlsPanel
from studio.app.train_panel import TrainPanel
from studio.app.training import TrainingController
from widgets.dataset_panel import DatasetPanel

DOCK_MIN_WIDTH = 480
# The shortest a tabbed panel's dock gets before its panel scrolls.
SCROLLING_DOCK_MIN_HEIGHT = 240


def make_dock(
    window: QMainWindow, title: str, widget: QWidget, name: str, *, scrolls: bool = False
) -> QDockWidget:
    """A dock around ``widget``; ``name`` keys its place in the saved window layout.

    ``scrolls``: the panel fills the dock when there is room and scrolls when the dock is
    shorter than the panel's minimum. The tabbed panels share one height, so without it the
    tallest (Train) would set the height of all of them and squeeze the Demos table.
    """
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    if scrolls:
        area = QScrollArea()
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidget(widget)
        area.setMinimumHeight(SCROLLING_DOCK_MIN_HEIGHT)
        # As wide as the panel beside the vertical bar: scrolling is up and down only.
        area.setMinimumWidth(
            widget.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width()
        )
        widget = area
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
        self._window = window
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
        self.train_dock = make_dock(window, "Train", self.train_panel, "TrainDock", scrolls=True)
        self.eval_dock = make_dock(window, "Evaluate", self.eval_panel, "EvalDock", scrolls=True)
        self.dagger_panel = DaggerPanel(recordings_path, scene_id)
        self.dagger_dock = make_dock(
            window, "DAgger", self.dagger_panel, "DaggerDock", scrolls=True
        )
        right = Qt.DockWidgetArea.RightDockWidgetArea
        window.addDockWidget(right, self.demos_dock)
        window.addDockWidget(right, self.help_dock)
        window.tabifyDockWidget(self.help_dock, self.train_dock)
        window.tabifyDockWidget(self.train_dock, self.eval_dock)
        window.tabifyDockWidget(self.eval_dock, self.dagger_dock)
        self.help_dock.raise_()

    def first_split(self, height: int) -> None:
        """Give the Demos table about a third of the side's ``height``, the tabs the rest.

        The layout's own first split follows size hints, which left the table three rows high
        under the tabs. Called when a window without a saved layout is first shown.
        """
        third = max(height // 3, 1)
        self._window.resizeDocks(
            [self.demos_dock, self.help_dock], [third, height - third], Qt.Orientation.Vertical
        )

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
