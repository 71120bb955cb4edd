"""Panels of the main window: the scene toolbar, the controls (help) panel and the status bar."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QStatusBar,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.app.clock import SPEEDS, nearest_speed_index
from studio.app.commands import COMMANDS, CommandBindings, is_shortcut
from studio.app.modes import Mode
from widgets.status import BindingsTable

SCENE_TITLES = {
    "ImitationStudio/ArmPush-v0": "Arm push",
    "ImitationStudio/CarObstacle-v0": "Car obstacle",
}
MOUSE_ROWS = [
    ("left drag", "orbit the camera"),
    ("right drag", "pan"),
    ("wheel", "zoom"),
]


_ICON_TEXT = {"reset": "⟲ Reset", "record": "● Record", "pause": "Pause", "live": "Back to live"}


def make_actions(
    commands: CommandBindings, parent: QObject, run: Callable[[str], object]
) -> dict[str, QAction]:
    """One QAction per command: menus and toolbar show the same thing, greyed by mode.

    Plain keys are shown beside the title (the keyboard filter handles them, whatever has
    focus); keys with a modifier are the action's shortcuts.
    """
    actions = {}
    for c in COMMANDS:
        keys = commands.keys.get(c.id, ())
        plain = " / ".join(k for k in keys if not is_shortcut(k))
        action = QAction(c.title + (f"\t{plain}" if plain else ""), parent)
        shortcuts = [QKeySequence(k) for k in keys if is_shortcut(k)]
        if shortcuts:
            action.setShortcuts(shortcuts)
        title = c.title.replace("&", "")
        action.setIconText(_ICON_TEXT.get(c.id, title))
        action.setToolTip(f"{title} ({plain})" if plain else title)
        action.setCheckable(c.id == "pause")
        action.triggered.connect(lambda _checked=False, cid=c.id: run(cid))
        actions[c.id] = action
    return actions


_REC_STYLE = "color: #e03030; font-weight: bold;"


def recording_text(steps: int) -> str:
    """The status bar's text while recording."""
    return f"● REC {steps} steps"


def scene_title(env_id: str) -> str:
    """Human name of a scene id."""
    return SCENE_TITLES.get(env_id, env_id)


class SceneToolBar(QToolBar):
    """Scene picker, the episode commands' buttons and the one speed.

    The buttons are the command table's actions (the same ones the menus list), so a button
    is enabled exactly when its command is available in the current mode.

    Signals:
        scene_chosen(env_id), speed_chosen(speed).
    """

    scene_chosen = Signal(str)
    speed_chosen = Signal(float)

    def __init__(
        self,
        scenes: Sequence[str],
        actions: Mapping[str, QAction],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Scene", parent)
        self.setObjectName("SceneToolBar")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._actions = dict(actions)
        self.scene_combo = QComboBox()
        self.scene_combo.setToolTip(
            "Scene: pick one, or type any gymnasium MuJoCo id (e.g. Hopper-v5) and press Enter"
        )
        self.scene_combo.setMinimumWidth(190)
        # Editable: any gymnasium MuJoCo env id can be typed in. Typed text is never inserted
        # as an item; the window adds the scene once it opened (set_scene).
        self.scene_combo.setEditable(True)
        self.scene_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for env_id in scenes:
            self.scene_combo.addItem(scene_title(env_id), env_id)
        self.scene_combo.activated.connect(
            lambda i: self.scene_chosen.emit(self.scene_combo.itemData(i))
        )
        self.scene_combo.lineEdit().returnPressed.connect(self._on_scene_typed)
        # Text typed and left without Enter used to stay in the box ("k" over the arm scene);
        # leaving the box shows the scene that is open again.
        self.scene_combo.lineEdit().editingFinished.connect(self._show_open_scene)
        self.speed_combo = QComboBox()
        self.speed_combo.setToolTip(
            "Speed of whatever plays, live or playback ([ and ]); recordings keep the control rate"
        )
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s:g}×", s)
        self.speed_combo.activated.connect(
            lambda i: self.speed_chosen.emit(float(self.speed_combo.itemData(i)))
        )

        self.addWidget(QLabel(" Scene "))
        self.addWidget(self.scene_combo)
        self.addSeparator()
        for cid in ("reset", "record", "pause"):
            self.addAction(self._actions[cid])
        self.addSeparator()
        self.addWidget(QLabel(" Speed "))
        self.addWidget(self.speed_combo)
        self.addSeparator()
        self.addAction(self._actions["live"])
        for cid in ("reset", "record", "pause", "live"):
            self.button(cid).setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def button(self, command: str) -> QToolButton:
        """The button of a command's action."""
        widget = self.widgetForAction(self._actions[command])
        assert isinstance(widget, QToolButton)
        return widget

    def _on_scene_typed(self) -> None:
        text = self.scene_combo.currentText().strip()
        if not text:
            return
        # A listed scene may be typed by its title or by its id.
        i = self.scene_combo.findText(text)
        self.scene_chosen.emit(self.scene_combo.itemData(i) if i >= 0 else text)

    def _show_open_scene(self) -> None:
        self.scene_combo.setEditText(self.scene_combo.itemText(self.scene_combo.currentIndex()))

    def set_scene(self, env_id: str) -> None:
        """Select ``env_id`` in the picker (added if missing)."""
        i = self.scene_combo.findData(env_id)
        if i < 0:
            self.scene_combo.addItem(scene_title(env_id), env_id)
            i = self.scene_combo.count() - 1
        self.scene_combo.setCurrentIndex(i)

    def set_speed(self, speed: float) -> None:
        """Select the closest offered speed."""
        self.speed_combo.setCurrentIndex(nearest_speed_index(speed))

    def speed(self) -> float:
        """The chosen speed."""
        return float(self.speed_combo.currentData())

    def set_mode(self, mode: Mode, paused: bool) -> None:
        """Show the mode: record/stop, pause/resume, the back-to-live button in playback."""
        record = self._actions["record"]
        record.setIconText("■ Stop" if mode is Mode.RECORDING else "● Record")
        self.button("record").setStyleSheet(
            "color: #e03030; font-weight: bold;" if mode is Mode.RECORDING else ""
        )
        pause = self._actions["pause"]
        pause.setIconText("Resume" if paused and mode is not Mode.PLAYBACK else "Pause")
        pause.setChecked(paused and mode is not Mode.PLAYBACK)
        self._actions["live"].setVisible(mode is Mode.PLAYBACK)


class ControlsPanel(QWidget):
    """The help panel: every key, button and mouse gesture of the current scene."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = BindingsTable()
        intro = QLabel(
            "Drive with the keyboard or a gamepad (the stick overrides the keys when moved). "
            "Press <b>Space</b> to record a demo from a fresh episode; it ends by itself on "
            "success, failure or the time limit — then keep or discard it. "
            "Double-click a demo to play it back."
        )
        intro.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)

    def show_sections(self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> None:
        """Fill the table: ``[(title, [(keys, what), ...]), ...]`` plus the mouse gestures."""
        self.table.set_sections([*sections, ("Mouse (viewport)", MOUSE_ROWS)])


class StudioStatusBar(QStatusBar):
    """Sim time, real-time factor, frame rate, mode, input device and file."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sim_time = QLabel()
        self.rtf = QLabel()
        self.fps = QLabel()
        self.rec = QLabel()
        self.device = QLabel()
        self.file = QLabel()
        for w, width in (
            (self.sim_time, 110),
            (self.rtf, 120),
            (self.fps, 80),
            (self.rec, 130),
            (self.device, 190),
        ):
            w.setMinimumWidth(width)
            self.addPermanentWidget(w)
        self.addPermanentWidget(self.file, 1)
        self.file.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def show_recording(self, steps: int) -> None:
        """Only the recording's step count (it changes every control step)."""
        self.rec.setText(recording_text(steps))
        if self.rec.styleSheet() != _REC_STYLE:  # called every frame: restyle only on a change
            self.rec.setStyleSheet(_REC_STYLE)

    def show_values(
        self,
        *,
        sim_time: float,
        rtf: float | None,
        speed: float,
        fps: float,
        rec: str,
        device: str,
        file: str,
    ) -> None:
        """Update every field."""
        self.sim_time.setText(f"sim {sim_time:7.2f} s")
        rtf_text = "–" if rtf is None else f"{rtf:4.2f}"
        self.rtf.setText(f"RTF {rtf_text} (×{speed:g})")
        self.rtf.setToolTip("real-time factor: simulated seconds per wall second (target: speed)")
        self.fps.setText(f"{fps:5.1f} fps")
        self.rec.setText(rec)
        self.rec.setStyleSheet(_REC_STYLE if "REC" in rec else "")
        self.device.setText(f"input: {device}")
        self.file.setText(file or "no recordings file")
