"""The main window: wires the live scene, teleop devices, recorder and playback to the widgets.

Modes: *live* (the person drives; the control loop steps the env) and *playback* (the loop is
stopped and the timeline restores recorded states on the same env). The window owns no physics:
the :class:`LiveScene` owns the env, the :class:`Recorder` the file, the
:class:`PlaybackController` the episode being shown.
"""

from __future__ import annotations

import collections
import contextlib
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QColor, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from recordings import RecordingError, remove_recording
from studio.app.panels import ControlsPanel, SceneToolBar, StudioStatusBar, scene_title
from studio.app.playback import PlaybackController
from studio.app.recorder import Recorder
from studio.app.render import AsyncRenderer, RenderRequest, camera_to_dict
from studio.app.scene import LiveScene, Step
from studio.app.settings import AppSettings
from studio.app.teleop import COMMANDS, KeyBindings, KeyboardTeleop
from studio.envs import SCENES
from widgets.dataset_panel import DatasetPanel, DemoRow
from widgets.status import EpisodeEndBar
from widgets.timeline import SPEEDS, Timeline
from widgets.viewport import Viewport

DISPLAY_HZ = 60.0
# Render at most this many pixels and let the viewport scale up: the software renderer's cost
# grows with the pixel count; ~0.4 MP keeps software rendering interactive on a laptop CPU.
MAX_RENDER_PIXELS = 720 * 540


class MainWindow(QMainWindow):
    """Imitation Studio's main window.

    Signals:
        frame_rendered(): a new frame was rendered into the viewport.
        mode_changed(mode): ``"live"`` or ``"playback"``.
    """

    frame_rendered = Signal()
    mode_changed = Signal(str)

    def __init__(
        self,
        *,
        scene: str | None = None,
        recordings: str | Path | None = None,
        speed: float | None = None,
        settings: QSettings | None = None,
        gamepad: Any = "auto",
        seed: int | None = None,
        threaded_render: bool = True,
    ) -> None:
        """Args:
        scene: scene id (default: the last one, else arm push).
        recordings: recordings file to open (default: the last one, if it still exists).
        speed: live time dilation (default: the last one).
        settings: where settings live (tests pass a temporary INI file).
        gamepad: a ``Gamepad`` to poll, None for none, ``"auto"`` to open SDL's.
        seed: seed of the first episode.
        threaded_render: render in a worker thread (see ``render.py``); False renders on the
            GUI thread, which blocks the control loop for the length of each frame.
        """
        super().__init__()
        self.settings = AppSettings(settings)
        self.setWindowTitle("Imitation Studio")
        self.resize(1400, 900)
        self.mode = "live"
        self.active_device = "keyboard"
        self._seed = seed
        self._frames: collections.deque[float] = collections.deque(maxlen=120)
        self._sim_marks: collections.deque[tuple[float, float]] = collections.deque(maxlen=64)
        self._dirty = True
        self.max_render_pixels = MAX_RENDER_PIXELS
        self.render_seconds: collections.deque[float] = collections.deque(maxlen=120)
        self.last_action = np.zeros(0)
        self._pad_state: Any = None
        self.last_warning = ""  # the newest non-fatal warning shown (tests read it)
        self._warning_box: QMessageBox | None = None
        startup_notes: list[str] = []
        # The scene comes first: a bad scene id raises ValueError here, before the render thread
        # exists (a QThread destroyed while running aborts the process).
        env_id = scene or self.settings.scene or SCENES[0]
        try:
            self.scene: LiveScene = self._make_scene(env_id)
        except ValueError as exc:
            if scene is not None:
                raise  # asked for by name (command line): the caller reports it
            # The remembered scene cannot be opened any more: start on the default one.
            startup_notes.append(f"Could not open the last scene {env_id!r} ({exc}); opened ")
            env_id = SCENES[0]
            self.scene = self._make_scene(env_id)
            startup_notes[-1] += f"{scene_title(env_id)} instead."
            self.settings.scene = env_id
        self.renderer = AsyncRenderer(self) if threaded_render else None
        if self.renderer is not None:
            self.renderer.frame_rendered.connect(self._on_frame_rendered)
        self.gamepad = self._open_gamepad() if gamepad == "auto" else gamepad

        self.viewport = Viewport()
        self.end_bar = EpisodeEndBar()
        self.timeline = Timeline()
        self.timeline.hide()
        central = QWidget()
        col = QVBoxLayout(central)
        col.setContentsMargins(4, 4, 4, 4)
        col.setSpacing(4)
        col.addWidget(self.viewport, 1)
        col.addWidget(self.end_bar)
        col.addWidget(self.timeline)
        self.setCentralWidget(central)

        self.toolbar = SceneToolBar(SCENES)
        self.addToolBar(self.toolbar)
        self.dataset_panel = DatasetPanel()
        self.controls_panel = ControlsPanel()
        self.demos_dock = self._dock("Demos", self.dataset_panel, "DemosDock")
        self.help_dock = self._dock("Controls", self.controls_panel, "ControlsDock")
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.demos_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.help_dock)
        self.status = StudioStatusBar()
        self.setStatusBar(self.status)

        self.recorder = Recorder(self)
        self.last_action = np.zeros(self.scene.env.action_space.shape)
        self.teleop = KeyboardTeleop(self, self._bindings_for(env_id))
        self.playback = PlaybackController(self.scene, self)
        self._build_menus()
        self._connect()
        self._apply_scene_ui()
        self.set_speed(speed if speed is not None else self.settings.speed)

        geometry, state = self.settings.window_layout()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        path = recordings if recordings is not None else self.settings.last_file
        remembered = recordings is None
        opened = True
        if path and (not remembered or Path(path).exists()):
            opened = self.open_recordings(path)
        if not opened and remembered:
            # Do not trip over the same file at every launch.
            self.settings.last_file = ""
            startup_notes.append(
                f"{self.last_warning} (The last recordings file {path} is forgotten.)"
            )
        if startup_notes:
            self._warn("Imitation Studio", " ".join(startup_notes))

        self._display_timer = QTimer(self)
        self._display_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._display_timer.setInterval(int(1000 / DISPLAY_HZ))
        self._display_timer.timeout.connect(self._on_display_tick)
        self._display_timer.start()
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start()
        self._pad_timer = QTimer(self)  # polls the pad while the control loop does not
        self._pad_timer.setInterval(50)
        self._pad_timer.timeout.connect(self._on_pad_timer)
        self._pad_timer.start()
        self.scene.start()
        self._update_status()

    # ============================================================================= construction
    def _dock(self, title: str, widget: QWidget, name: str) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setMinimumWidth(480)
        return dock

    def _open_gamepad(self) -> Any:
        try:
            from studio.gamepad import Gamepad, GamepadBindings

            saved = self.settings.gamepad_bindings()
            return Gamepad(GamepadBindings.from_dict(saved) if saved else None)
        except Exception:  # no pygame, bad settings: run keyboard-only
            return None

    def _make_scene(self, env_id: str) -> LiveScene:
        scene = LiveScene(env_id, self._next_action, seed=self._seed, parent=self)
        scene.shadows = self.settings.shadows
        scene.stepped.connect(self._on_stepped)
        scene.episode_finished.connect(self._on_episode_finished)
        scene.state_changed.connect(self._on_state_changed)
        return scene

    def _bindings_for(self, env_id: str) -> KeyBindings:
        labels = list(self.scene.env.action_labels)
        saved = self.settings.bindings(env_id)
        if saved:
            try:
                b = KeyBindings.from_dict(saved)
                if [a.label for a in b.axes] == labels:
                    return b
            except (KeyError, TypeError, ValueError):
                pass  # stale or corrupt: defaults
        return KeyBindings.default_for(labels)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._add_action(file_menu, "&New recordings file…", self._on_new_file, QKeySequence.New)
        self._add_action(file_menu, "&Open recordings file…", self._on_open_file, QKeySequence.Open)
        file_menu.addSeparator()
        self._add_action(file_menu, "&Quit", self.close, QKeySequence.Quit)
        scene_menu = self.menuBar().addMenu("&Scene")
        for env_id in SCENES:
            self._add_action(scene_menu, scene_title(env_id), lambda e=env_id: self.set_scene(e))
        scene_menu.addSeparator()
        self._add_action(scene_menu, "&Reset episode", lambda: self._on_command("reset"))
        self._add_action(scene_menu, "Reset &camera", lambda: self._on_command("camera_reset"))
        view_menu = self.menuBar().addMenu("&View")
        self.shadows_action = self._add_action(
            view_menu, "&Shadows (slower on software GL)", self._on_shadows_toggled
        )
        self.shadows_action.setCheckable(True)
        self.shadows_action.setChecked(self.settings.shadows)
        view_menu.addSeparator()
        view_menu.addAction(self.demos_dock.toggleViewAction())
        view_menu.addAction(self.help_dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        self._add_action(help_menu, "&Controls", lambda: self._on_command("help"))
        self._add_action(help_menu, "&About", self._on_about)

    def _add_action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        tb = self.toolbar
        tb.scene_chosen.connect(self.set_scene)
        tb.reset_clicked.connect(lambda: self._on_command("reset"))
        tb.record_clicked.connect(lambda: self._on_command("record"))
        tb.pause_toggled.connect(self._on_pause_toggled)
        tb.speed_chosen.connect(self.set_speed)
        tb.live_clicked.connect(self.leave_playback)
        self.teleop.command_triggered.connect(self._on_command)
        self.viewport.orbit_dragged.connect(
            lambda dx, dy: self.scene.orbit(dx, dy, self.viewport.height())
        )
        self.viewport.pan_dragged.connect(
            lambda dx, dy: self.scene.pan(dx, dy, self.viewport.height())
        )
        self.viewport.zoomed.connect(lambda s: self.scene.zoom(s))
        self.viewport.resized.connect(lambda _w, _h: self._on_state_changed())
        self.end_bar.kept.connect(lambda: self._on_command("keep"))
        self.end_bar.discarded.connect(lambda: self._on_command("discard"))
        self.recorder.recording_started.connect(self._on_recording_changed)
        self.recorder.recording_stopped.connect(self._on_recording_stopped)
        self.recorder.episode_saved.connect(self._on_episode_saved)
        self.recorder.episode_discarded.connect(self._on_episode_discarded)
        self.recorder.keep_failed.connect(self._on_keep_failed)
        self.recorder.demos_changed.connect(self._refresh_demos)
        self.recorder.file_opened.connect(lambda _p: self._refresh_demos())
        dp = self.dataset_panel
        dp.demo_activated.connect(self.play_demo)
        dp.rename_requested.connect(self._on_rename_requested)
        dp.tags_edited.connect(self._on_tags_edited)
        dp.delete_requested.connect(self._on_delete_requested)
        tl = self.timeline
        tl.frame_selected.connect(self.playback.seek)
        tl.play_toggled.connect(self._on_play_toggled)
        tl.step_clicked.connect(self.playback.step)
        tl.speed_changed.connect(self.playback.set_speed)
        self.playback.frame_changed.connect(self._on_playback_frame)
        self.playback.playing_changed.connect(self.timeline.set_playing)

    def _apply_scene_ui(self) -> None:
        env_id = self.scene.env_id
        self.toolbar.set_scene(env_id)
        pad_rows = []
        if self.gamepad is not None:
            pad_rows = [("left stick", "drive (overrides the keys when moved)")]
            names = {0: "A", 1: "B", 2: "X", 3: "Y", 4: "Back", 6: "Start", 9: "LB", 10: "RB"}
            what = dict(COMMANDS, takeover="(reserved for policy take-over)")
            for button, event in sorted(self.gamepad.bindings.buttons.items()):
                pad_rows.append((names.get(button, f"button {button}"), what.get(event, event)))
            if self.scene.env.action_labels == ["throttle", "steering"]:
                pad_rows[0] = ("triggers · right stick", "throttle · steering")
        self.controls_panel.show_bindings(self.teleop.bindings, pad_rows)
        self._update_overlay()

    # ============================================================================= public API
    def set_scene(self, env_id: str) -> bool:
        """Switch to another scene (what is being recorded is kept).

        Returns False, with a warning and the current scene kept, when ``env_id`` cannot be
        opened (unknown id, not a MuJoCo env).
        """
        try:
            self._switch_scene(env_id)
        except ValueError as exc:
            self._warn("Scene", f"Cannot open the scene {env_id!r}: {exc}")
            self.toolbar.set_scene(self.scene.env_id)
            return False
        return True

    def _switch_scene(self, env_id: str) -> None:
        """Swap in a new live scene; raises ValueError (nothing changed) if it cannot be made."""
        env_id = env_id.strip()
        if env_id == self.scene.env_id:
            return
        new = self._make_scene(env_id)  # first: if this raises, the current scene stays
        self.leave_playback()
        self.recorder.finish_for_exit()
        self.scene.close()
        self.playback.unload()
        self.scene = new
        self.last_action = np.zeros(new.env.action_space.shape)
        self.playback.scene = self.scene
        self.teleop.set_bindings(self._bindings_for(env_id))
        self.settings.scene = env_id
        self.scene.set_speed(self.settings.speed)
        self._apply_scene_ui()
        self._refresh_demos()
        self.scene.start()

    def set_speed(self, speed: float) -> None:
        """Live time dilation (0.1× to 2×)."""
        speed = float(np.clip(speed, SPEEDS[0], SPEEDS[-1]))
        self.scene.set_speed(speed)
        self.toolbar.set_speed(speed)
        self.settings.speed = speed
        self._update_status()

    def open_recordings(self, path: str | Path) -> bool:
        """Open or create a recordings file; its demos appear in the demos panel.

        A file holds demos of one scene, so the studio switches to it. When that scene cannot be
        opened here (e.g. a robomimic file of "Lift") the studio warns, keeps its current scene
        and file, and returns False.
        """
        previous = self.recorder.path
        try:
            self.recorder.open(path)
            args = self.recorder.file_env_args()
        except Exception as exc:  # a corrupt or locked file must not take the studio down
            self._warn("Recordings", f"Could not open {path}: {exc}")
            self._reopen(previous)
            return False
        env_name = (args or {}).get("env_name")
        if env_name and env_name != self.scene.env_id:
            try:
                self._switch_scene(env_name)  # a file holds demos of one scene
            except ValueError as exc:
                self._warn(
                    "Recordings",
                    f"Could not open {path}: its demos are of the scene {env_name!r}, which "
                    f"the studio cannot open ({exc}). Staying on "
                    f"{scene_title(self.scene.env_id)}.",
                )
                self._reopen(previous)
                return False
        self.settings.last_file = str(Path(path).resolve())  # only once it opened for real
        self.setWindowTitle(f"Imitation Studio — {Path(path).name}")
        if self.recorder.recovered:
            self.statusBar().showMessage(
                f"Recovered {len(self.recorder.recovered)} unfinished episode(s)", 8000
            )
        return True

    def _reopen(self, previous: Path | None) -> None:
        """After a failed open: back to the file that was open before, if any."""
        self.recorder.close()
        if previous is not None:
            # It was fine a moment ago; if not any more, run without a file.
            with contextlib.suppress(Exception):
                self.recorder.open(previous)
        self.setWindowTitle(
            f"Imitation Studio — {self.recorder.path.name}"
            if self.recorder.path
            else "Imitation Studio"
        )
        self._refresh_demos()

    def _warn(self, title: str, text: str) -> None:
        """A non-fatal warning: status bar plus a non-modal message box (never blocks)."""
        self.last_warning = text
        self.statusBar().showMessage(text, 15000)
        if self._warning_box is not None:
            self._warning_box.close()
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r: setattr(self, "_warning_box", None))
        self._warning_box = box
        box.open()

    def play_demo(self, name: str) -> None:
        """Enter playback on the demo ``name``."""
        self.recorder.finish_for_exit()
        args = self.recorder.file_env_args()
        env_name = (args or {}).get("env_name")
        if env_name and env_name != self.scene.env_id and not self.set_scene(env_name):
            return
        episode = self.recorder.episode(name)
        self.scene.stop()
        self.mode = "playback"
        self.teleop.playback_mode = True
        self.teleop.release_all()
        self.timeline.set_episode(
            np.asarray(episode.actions), self.scene.env.action_labels, self.scene.env.control_dt
        )
        self.timeline.set_speed(self.playback.clock.speed)
        self.timeline.show()
        self.end_bar.hide()
        self.toolbar.set_playback(True)
        self.playback.load(name, episode)
        self.dataset_panel.select(name)
        self._update_overlay()
        self.mode_changed.emit("playback")

    def leave_playback(self) -> None:
        """Back to live driving on a fresh episode."""
        if self.mode != "playback":
            return
        self.playback.unload()
        self.mode = "live"
        self.teleop.playback_mode = False
        self.timeline.hide()
        self.toolbar.set_playback(False)
        self.scene.reset()
        self.scene.start()
        self._update_overlay()
        self.mode_changed.emit("live")

    def start_recording(self) -> bool:
        """Reset the scene and start recording; returns False when no file could be opened."""
        if self.mode == "playback":
            self.leave_playback()
        if not self.recorder.is_open:
            self._on_new_file()
            if not self.recorder.is_open:
                return False
        self.recorder.resolve_pending()
        self.end_bar.hide()
        if self.scene.paused:
            self.toolbar.pause_btn.setChecked(False)  # recording a frozen scene makes no sense
        self.scene.reset()
        try:
            self.recorder.start(self.scene.env, self.active_device_name())
        except Exception as exc:  # e.g. the file holds another scene's demos
            self.viewport.set_banner("Cannot record here", QColor(200, 60, 40))
            QTimer.singleShot(2500, lambda: self.viewport.set_banner(""))
            self.statusBar().showMessage(str(exc), 10000)
            return False
        return True

    def active_device_name(self) -> str:
        """``"keyboard"`` or ``"gamepad:<name>"``."""
        return self.active_device

    # ============================================================================= control loop
    def _poll_pad(self) -> Any:
        if self.gamepad is None:
            return None
        try:
            state = self.gamepad.poll()
        except Exception as exc:  # a pygame hiccup must never stop the control loop
            self.statusBar().showMessage(f"gamepad: {exc}", 5000)
            return None
        self._pad_state = state
        if state.events and state.connected:
            self.active_device = f"gamepad:{state.name}"  # a button press is using the pad
        for event in state.events:
            # Commands change the episode: run them after the current step, not inside it.
            QTimer.singleShot(0, lambda e=event: self._on_command(e))
        if getattr(state, "changed", False):
            if not state.connected and self.active_device.startswith("gamepad"):
                self.active_device = "keyboard"
            self._update_status()
        return state

    def _next_action(self, dt: float) -> np.ndarray:
        """Action source of the live scene: the gamepad while its stick is moved, else the keys."""
        keys = self.teleop.action(dt)
        state = self._poll_pad()
        if state is not None and state.connected:
            pad = np.asarray(state.action(self.scene.env.action_labels), dtype=np.float64)
            if np.any(pad != 0):
                self.active_device = f"gamepad:{state.name}"
                self.teleop.command[:] = 0  # no stale key ramp when the stick lets go
                self.last_action = pad
                return pad
        if self.teleop.is_driving():
            self.active_device = "keyboard"
        self.last_action = keys
        return keys

    def _on_pad_timer(self) -> None:
        # While the control loop steps it polls the pad itself, at the control rate.
        stepping = self.mode == "live" and not (self.scene.paused or self.scene.halted)
        if not stepping:
            self._poll_pad()

    def _on_stepped(self, step: Step) -> None:
        if self.recorder.recording:
            self.recorder.append(self.scene.env, step)

    def _on_episode_finished(self, step: Step) -> None:
        info = step.info
        success = bool(info.get("is_success", False))
        if success:
            reason = "success"
        elif info.get("collision"):
            reason = "collision"
        elif step.truncated:
            reason = "time limit"
        else:
            reason = "failed"
        color = QColor(40, 150, 80) if success else QColor(190, 110, 30)
        self.viewport.set_banner(reason.capitalize(), color)
        if self.recorder.recording:
            self.recorder.stop(reason, success)
        else:
            QTimer.singleShot(1200, self._on_auto_reset)

    def _on_auto_reset(self) -> None:
        self.viewport.set_banner("")
        if self.mode == "live" and self.scene.halted and not self.recorder.pending:
            self.scene.reset()

    # ============================================================================= commands
    def _on_command(self, command: str) -> None:
        """Keyboard, gamepad, toolbar and menu commands all land here."""
        rec = self.recorder
        if command in ("play_pause", "step_back", "step_forward", "live"):
            if self.mode != "playback":
                return
            if command == "play_pause":
                self.playback.toggle()
            elif command == "live":
                self.leave_playback()
            else:
                self.playback.step(-1 if command == "step_back" else 1)
        elif command == "record":
            if rec.recording:
                rec.stop("stopped", bool(self.scene.last_info.get("is_success", False)))
                self.scene.halted = rec.pending  # nothing recorded: back to live driving
            else:
                self.start_recording()
        elif command == "reset":
            if self.mode == "playback":
                self.leave_playback()
            elif rec.recording:
                rec.stop("reset", bool(self.scene.last_info.get("is_success", False)))
                self.scene.halted = rec.pending
            else:
                rec.resolve_pending()
                self.scene.reset()
        elif command == "discard":
            if rec.recording or rec.pending:
                rec.discard()
        elif command == "keep":
            if rec.pending:
                rec.keep()
        elif command == "pause":
            self.toolbar.pause_btn.toggle()
        elif command in ("speed_up", "speed_down"):
            i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - self.scene.speed))
            i = int(np.clip(i + (1 if command == "speed_up" else -1), 0, len(SPEEDS) - 1))
            self.set_speed(SPEEDS[i])
        elif command == "camera_reset":
            self.scene.reset_camera()
        elif command == "help":
            shown = self.help_dock.isVisible() and not self.help_dock.visibleRegion().isEmpty()
            visible = not shown
            self.help_dock.setVisible(visible)
            if visible:
                self.help_dock.raise_()

    def _on_play_toggled(self, playing: bool) -> None:
        if playing:
            self.playback.play()
        else:
            self.playback.pause()

    def _on_shadows_toggled(self) -> None:
        self.settings.shadows = self.shadows_action.isChecked()
        self.scene.shadows = self.settings.shadows
        self._dirty = True

    def _on_pause_toggled(self, paused: bool) -> None:
        self.scene.set_paused(paused)
        self.toolbar.pause_btn.setText("Resume" if paused else "Pause")
        self.viewport.set_banner("Paused" if paused else "", QColor(70, 90, 130))

    # ============================================================================= recording
    def _on_recording_changed(self) -> None:
        self.toolbar.set_recording(self.recorder.recording)
        self._update_overlay()
        self._update_status()

    def _on_recording_stopped(self, reason: str, success: bool) -> None:
        self._on_recording_changed()
        mark = "✓ success" if success else f"✗ {reason}"
        self.end_bar.ask(
            f"<b>Episode ended</b> — {mark} after {self.recorder.steps} steps. "
            "Keep it in the recordings file?",
            success,
        )

    def _on_episode_saved(self, name: str) -> None:
        self.end_bar.hide()
        self.viewport.set_banner("")
        self.statusBar().showMessage(f"Saved {name}", 5000)
        self._after_decision()

    def _on_episode_discarded(self) -> None:
        self.end_bar.hide()
        self.viewport.set_banner("")
        self.statusBar().showMessage("Episode discarded", 5000)
        self._after_decision()

    def _on_keep_failed(self, message: str) -> None:
        self.end_bar.hide()
        self.viewport.set_banner("")
        name = self.recorder.path.name if self.recorder.path else "the recordings file"
        self._warn(
            "Recordings",
            f"Could not save the episode into {name}: {message}\n"
            "Its journal stays beside the file: the episode will be offered back (recovered) "
            "when the file is opened again.",
        )
        self._after_decision()

    def _after_decision(self) -> None:
        self._on_recording_changed()
        if self.mode == "live" and not self.recorder.recording:
            self.scene.reset()

    def _refresh_demos(self) -> None:
        rec = self.recorder
        if not rec.is_open:
            self.dataset_panel.set_header("No recordings file — File ▸ New… or Open…")
            self.dataset_panel.set_rows([])
            return
        try:
            infos = rec.infos(rec.demos)
        except Exception as exc:  # unreadable file: say so, keep the studio running
            self.dataset_panel.set_header(f"Cannot read {rec.path}: {exc}")
            return
        rows = [
            DemoRow(
                name=info.name,
                source=str(info.source),
                num_samples=int(info.num_samples),
                success=None if info.success is None else bool(info.success),
                created=str(info.created)[5:16].replace("T", " "),  # MM-DD HH:MM (UTC)
                tags=list(info.tags or []),
                device=str(info.device or ""),
                notes=str(info.notes or ""),
            )
            for info in infos
        ]
        self.dataset_panel.set_rows(rows)
        header = f"<b>{rec.path.name}</b> — {len(rows)} demos  ({rec.path})"
        args = rec.file_env_args() if rows else None
        if args and args.get("env_name") not in (None, self.scene.env_id):
            # One file holds one scene's demos: say so before the person tries to record.
            header += (
                f"<br><span style='color:#d08020'>Demos of {scene_title(args['env_name'])}: "
                "open or create another file to record this scene.</span>"
            )
        self.dataset_panel.set_header(header)

    def _on_rename_requested(self, old: str, new: str) -> None:
        self._guarded(lambda: self.recorder.rename(old, new))

    def _on_tags_edited(self, name: str, tags: list) -> None:
        self._guarded(lambda: self.recorder.set_tags(name, list(tags)))

    def _on_delete_requested(self, names: list) -> None:
        if self.mode == "playback" and self.playback.name in names:
            self.leave_playback()
        self._guarded(lambda: self.recorder.delete(list(names)))

    def _guarded(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # name taken, file read-only: say so, keep running
            QMessageBox.warning(self, "Recordings", str(exc))

    def _on_new_file(self) -> None:
        start = self.settings.last_file or str(Path.home() / "demos.h5")
        path, _ = QFileDialog.getSaveFileName(
            self, "New recordings file", start, "HDF5 recordings (*.h5 *.hdf5)"
        )
        if path:
            self.new_recordings(path)

    def new_recordings(self, path: str | Path, *, confirmed: bool = False) -> bool:
        """Replace ``path`` by an empty recordings file and open it.

        The episode in progress is committed to the file that was open first (closing keeps
        it). Replacing the open file when it holds demos asks once more unless ``confirmed``.
        """
        path = Path(path)
        previous = self.recorder.path
        same = previous is not None and path.resolve() == previous.resolve()
        self.leave_playback()
        self.recorder.close()  # commits the episode in progress into the old file, first
        if same and not confirmed and _demo_count(path) > 0:
            answer = QMessageBox.question(
                self,
                "New recordings file",
                f"{path.name} is the open recordings file and holds {_demo_count(path)} "
                "demos. Delete them and start an empty file?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                self._reopen(previous)
                return False
        try:
            remove_recording(path, missing_ok=True)
        except (OSError, RecordingError) as exc:
            self._warn("Recordings", f"Could not replace {path}: {exc}")
            self._reopen(previous)
            return False
        return self.open_recordings(path)

    def _on_open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open recordings file", self.settings.last_file, "HDF5 recordings (*.h5 *.hdf5)"
        )
        if path:
            self.open_recordings(path)

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            "Imitation Studio",
            "Imitation Studio — drive MuJoCo robots, record demonstrations, play them back.",
        )

    # ============================================================================= view
    def _on_state_changed(self) -> None:
        self._dirty = True

    def _on_playback_frame(self, index: int) -> None:
        self.timeline.set_frame(index)
        self._update_overlay()

    def _on_display_tick(self) -> None:
        # Redraw only when something changed (a step, a restored state, a camera move): with a
        # software renderer an unchanged frame is the most expensive thing the GUI could do.
        # While the render thread is busy the request waits here, so it carries the newest state.
        if not self._dirty or (self.renderer is not None and self.renderer.busy):
            return
        self._dirty = False
        self._request_frame()

    def _render_size(self) -> tuple[int, int]:
        ratio = self.viewport.devicePixelRatioF()
        w, h = self.viewport.width() * ratio, self.viewport.height() * ratio
        scale = min(1.0, (self.max_render_pixels / max(w * h, 1)) ** 0.5)
        return int(w * scale), int(h * scale)

    def _request_frame(self) -> int:
        w, h = self._render_size()
        if self.renderer is None:
            t0 = time.perf_counter()
            frame = self.scene.render(w, h)
            self._on_frame_rendered(frame, time.perf_counter() - t0)
            return 0
        scene = self.scene
        return self.renderer.request(
            RenderRequest(
                env_id=scene.env_id,
                state=scene.env.get_state(),
                camera=camera_to_dict(scene.camera),
                width=w,
                height=h,
                shadows=scene.shadows,
            )
        )

    def render_frame(self, timeout: float = 10.0) -> None:
        """Render the current state into the viewport and wait for it (screenshots, tests)."""
        serial = self._request_frame()
        if self.renderer is None:
            return
        app = QApplication.instance()
        end = time.perf_counter() + timeout
        while self.renderer.last_serial < serial and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    def _on_frame_rendered(self, frame: np.ndarray, seconds: float) -> None:
        if self.mode == "live":
            self._update_live_overlay()
        self.viewport.set_frame(frame)
        self.render_seconds.append(seconds)
        self._frames.append(time.perf_counter())
        self.frame_rendered.emit()

    def _update_live_overlay(self) -> None:
        rec = self.recorder
        if rec.recording:
            self.viewport.set_recording(True, f"REC  {rec.steps} steps")
        else:
            self.viewport.set_recording(False)
        device = "gamepad" if self.active_device.startswith("gamepad") else "keyboard"
        labels = self.scene.env.action_labels
        self.viewport.set_action(self.last_action, labels, f"command ({device})")

    def _update_overlay(self) -> None:
        env = self.scene.env
        if self.mode == "playback":
            i = self.playback.index
            n = self.playback.length
            self.viewport.set_title(f"▶ Playback · {self.playback.name} · frame {i + 1}/{n}")
            self.viewport.set_hints(self.teleop.bindings.help_rows(playback=True))
            self.viewport.set_recording(False)
            if n:
                self.viewport.set_action(
                    self.playback.actions[i], env.action_labels, "recorded action"
                )
            return
        self.viewport.set_title(f"● Live · {scene_title(self.scene.env_id)}")
        bindings = self.teleop.bindings
        hints = bindings.help_rows()[: len(bindings.axes)]
        for command in ("record", "reset", "discard", "help"):
            keys = bindings.commands.get(command)
            if keys:
                hints.append((" / ".join(keys), COMMANDS[command]))
        self.viewport.set_hints(hints)
        self._update_live_overlay()

    def _update_status(self) -> None:
        now = time.perf_counter()
        sim = self.scene.loop_steps * self.scene.env.control_dt
        stepping = self.mode == "live" and not (self.scene.paused or self.scene.halted)
        if not stepping or (self._sim_marks and sim < self._sim_marks[-1][1]):
            self._sim_marks.clear()  # a pause is not a slow simulation; a new scene restarts
        self._sim_marks.append((now, sim))
        # Real-time factor over the last ~2 s of wall time while the loop runs.
        old = next((m for m in self._sim_marks if now - m[0] <= 2.0), self._sim_marks[0])
        rtf = (sim - old[1]) / (now - old[0]) if now - old[0] > 0.4 else None
        recent = [t for t in self._frames if now - t <= 1.0]
        fps = len(recent) / 1.0 if len(recent) > 1 else 0.0
        rec = self.recorder
        if rec.recording:
            rec_text = f"● REC {rec.steps} steps"
        elif rec.pending:
            rec_text = "ended: keep/discard?"
        else:
            rec_text = "not recording"
        if self.mode == "playback":
            rec_text = "playback"
        device = self.active_device
        pad = self._pad_state
        if pad is not None and pad.connected and not device.startswith("gamepad"):
            device += f"  (pad: {pad.name})"
        elif pad is None or not pad.connected:
            device += "  (no pad)" if self.gamepad is not None else ""
        self.status.show_values(
            sim_time=float(self.scene.env.data.time),
            rtf=rtf,
            speed=self.scene.speed,
            fps=fps,
            rec=rec_text,
            device=device,
            file=str(rec.path) if rec.path else "",
        )

    # ============================================================================= closing
    def closeEvent(self, event: QCloseEvent) -> None:
        # Whatever is being recorded is committed before anything else goes away.
        self.recorder.finish_for_exit()
        self.settings.set_window_layout(self.saveGeometry(), self.saveState())
        self.settings.set_bindings(self.scene.env_id, self.teleop.bindings.to_dict())
        self.settings.scene = self.scene.env_id
        self.settings.sync()
        for timer in (self._display_timer, self._status_timer, self._pad_timer):
            timer.stop()
        self.playback.pause()
        self.recorder.close()
        if self.renderer is not None:
            self.renderer.close()
        self.scene.close()
        if self.gamepad is not None:
            self.gamepad.close()
        super().closeEvent(event)


def _demo_count(path: Path) -> int:
    """How many demos a recordings file holds (0 when it is missing or unreadable)."""
    from recordings import Dataset

    try:
        with Dataset(path, lenient=True) as ds:
            return len(ds.demos)
    except Exception:
        return 0
