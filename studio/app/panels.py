"""Panels of the main window: the scene toolbar, the controls (help) panel and the status bar."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QStatusBar,
    QStyle,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from studio.app.teleop import KeyBindings
from widgets.status import BindingsTable
from widgets.timeline import SPEEDS

SCENE_TITLES = {
    "ImitationStudio/ArmPush-v0": "Arm push",
    "ImitationStudio/CarObstacle-v0": "Car obstacle",
}
MOUSE_ROWS = [
    ("left drag", "orbit the camera"),
    ("right drag", "pan"),
    ("wheel", "zoom"),
]


def scene_title(env_id: str) -> str:
    """Human name of a scene id."""
    return SCENE_TITLES.get(env_id, env_id)


class SceneToolBar(QToolBar):
    """Scene picker, reset, record, pause and live speed.

    Signals:
        scene_chosen(env_id), reset_clicked(), record_clicked(), pause_toggled(paused),
        speed_chosen(speed), live_clicked().
    """

    scene_chosen = Signal(str)
    reset_clicked = Signal()
    record_clicked = Signal()
    pause_toggled = Signal(bool)
    speed_chosen = Signal(float)
    live_clicked = Signal()

    def __init__(self, scenes: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__("Scene", parent)
        self.setObjectName("SceneToolBar")
        self.setMovable(False)
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
        self.reset_btn = QPushButton("⟲ Reset")
        self.reset_btn.setToolTip("Reset the episode (R)")
        self.reset_btn.clicked.connect(self.reset_clicked)
        self.record_btn = QPushButton("● Record")
        self.record_btn.setToolTip("Start / stop recording (Space)")
        self.record_btn.clicked.connect(self.record_clicked)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.setCheckable(True)
        self.pause_btn.setToolTip("Pause / resume the simulation (P)")
        self.pause_btn.toggled.connect(self.pause_toggled)
        self.speed_combo = QComboBox()
        self.speed_combo.setToolTip(
            "Time dilation while driving ([ and ]); data keep the nominal control rate"
        )
        for s in SPEEDS:
            self.speed_combo.addItem(f"{s:g}×", s)
        self.speed_combo.activated.connect(
            lambda i: self.speed_chosen.emit(float(self.speed_combo.itemData(i)))
        )
        self.live_btn = QPushButton("Back to live")
        self.live_btn.setToolTip("Leave playback (Esc)")
        self.live_btn.clicked.connect(self.live_clicked)
        sp = QStyle.StandardPixmap
        self.pause_btn.setIcon(self.style().standardIcon(sp.SP_MediaPause))
        self.live_btn.setIcon(self.style().standardIcon(sp.SP_ArrowBack))
        for w in (self.reset_btn, self.record_btn, self.pause_btn, self.live_btn):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.addWidget(QLabel(" Scene "))
        self.addWidget(self.scene_combo)
        self.addSeparator()
        self.addWidget(self.reset_btn)
        self.addWidget(self.record_btn)
        self.addWidget(self.pause_btn)
        self.addSeparator()
        self.addWidget(QLabel(" Speed "))
        self.addWidget(self.speed_combo)
        self.addSeparator()
        self._live_action = self.addWidget(self.live_btn)
        self._live_action.setVisible(False)

    def _on_scene_typed(self) -> None:
        text = self.scene_combo.currentText().strip()
        if not text:
            return
        # A listed scene may be typed by its title or by its id.
        i = self.scene_combo.findText(text)
        self.scene_chosen.emit(self.scene_combo.itemData(i) if i >= 0 else text)

    def set_scene(self, env_id: str) -> None:
        """Select ``env_id`` in the picker (added if missing)."""
        i = self.scene_combo.findData(env_id)
        if i < 0:
            self.scene_combo.addItem(scene_title(env_id), env_id)
            i = self.scene_combo.count() - 1
        self.scene_combo.setCurrentIndex(i)

    def set_speed(self, speed: float) -> None:
        """Select the closest offered speed."""
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - speed))
        self.speed_combo.setCurrentIndex(i)

    def set_recording(self, recording: bool) -> None:
        """Record button shows the current state."""
        self.record_btn.setText("■ Stop" if recording else "● Record")
        self.record_btn.setStyleSheet("color: #e03030; font-weight: bold;" if recording else "")

    def set_playback(self, playback: bool) -> None:
        """Show the back-to-live button in playback mode."""
        self._live_action.setVisible(playback)
        self.pause_btn.setEnabled(not playback)


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

    def show_bindings(self, bindings: KeyBindings, gamepad_rows: Sequence[tuple[str, str]]) -> None:
        """Fill the table from the key bindings and the gamepad's button list."""
        rows = bindings.help_rows()
        n_axes = len(bindings.axes) + 1
        sections = [
            ("Driving", rows[:n_axes]),
            ("Episode and view", rows[n_axes:]),
            ("Playback", bindings.help_rows(playback=True)),
            ("Mouse (viewport)", MOUSE_ROWS),
        ]
        if gamepad_rows:
            sections.append(("Gamepad", list(gamepad_rows)))
        self.table.set_sections(sections)


class StudioStatusBar(QStatusBar):
    """Sim time, real-time factor, frame rate, recording state, input device and file."""

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
        self.rec.setStyleSheet("color: #e03030; font-weight: bold;" if "REC" in rec else "")
        self.device.setText(f"input: {device}")
        self.file.setText(file or "no recordings file")
