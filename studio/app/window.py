"""The main window: composes the studio's parts, builds the menus and shows the mode.

Parts (one job each): :class:`ModeMachine` (the mode), :class:`CommandBindings` (the command
vocabulary), :class:`InputMux` (keyboard and pad in, actions and commands out),
:class:`StudioController` (what a command does in the current mode), :class:`LiveScene` (the env
and its control loop), :class:`Recorder` and :class:`SessionController` (the recordings file),
:class:`PlaybackController` (a recorded demo), :class:`FrameScheduler` (what is drawn, when;
frames/s and real-time factor), :class:`Docks` (the Demos, Controls, Train and Evaluate panels),
:class:`LearningWiring` (torch in the background, training runs, policies at the wheel),
:class:`SceneSwitcher` (making and swapping the live scene), :class:`Presenter` (the state onto
the widgets) and :class:`FileDialogs`. The window wires them to the widgets and keeps no state
of its own beyond what is on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from studio.app.clock import clamp_speed
from studio.app.commands import COMMANDS, CommandBindings
from studio.app.controller import StudioController
from studio.app.docks import Docks
from studio.app.evaluation import EvalController
from studio.app.files import FileDialogs
from studio.app.frames import FrameScheduler
from studio.app.input import InputMux
from studio.app.learning import LearningWiring
from studio.app.modes import Mode, ModeMachine
from studio.app.panels import (
    SceneToolBar,
    StudioStatusBar,
    make_actions,
    scene_title,
)
from studio.app.playback import PlaybackController
from studio.app.policy_driver import PolicyDriver
from studio.app.presenter import Presenter
from studio.app.recorder import Recorder
from studio.app.relabel import RelabelWiring
from studio.app.scenes import SceneSwitcher
from studio.app.session import SessionController
from studio.app.settings import AppSettings
from studio.app.training import TrainingController
from studio.envs import SCENES
from widgets.status import EpisodeEndBar
from widgets.timeline import Timeline
from widgets.viewport import Viewport


class MainWindow(QMainWindow):
    """Imitation Studio's main window.

    Signals:
        frame_rendered(): a new frame was put into the viewport.
    """

    frame_rendered = Signal()

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
        speed: the starting speed (default 1×; the last session's is not restored).
        settings: where settings live (tests pass a temporary INI file).
        gamepad: a ``Gamepad`` to poll, None for none, ``"auto"`` to open SDL's.
        seed: seed of the first episode (later resets draw their seeds from it).
        threaded_render: render in a worker thread (see ``render.py``); False renders on the
            GUI thread, which blocks the control loop for the length of each frame.
        """
        super().__init__()
        # Torch starts loading in the background at once (see ``learning.py``).
        self.learning = LearningWiring(self)
        self.settings = AppSettings(settings)
        self.setWindowTitle("Imitation Studio")
        self.resize(1400, 900)
        self.last_warning = ""  # the newest non-fatal warning shown (tests read it)
        self._warning_box: QMessageBox | None = None
        self.scenes = SceneSwitcher(self, seed)
        self.modes = ModeMachine(self)
        try:
            self.commands = CommandBindings.from_dict(self.settings.command_bindings())
        except (TypeError, ValueError):
            self.commands = CommandBindings()  # stale or conflicting: the defaults
        notes: list[str] = []
        # The scene comes first: a bad scene id raises ValueError here, before the render thread
        # exists (a QThread destroyed while running aborts the process).
        env_id = scene or self.settings.scene or SCENES[0]
        try:
            self.scene = self.scenes.make(env_id)
        except ValueError as exc:
            if scene is not None:
                raise  # asked for by name (command line): the caller reports it
            # The remembered scene cannot be opened any more: start on the default one.
            self.scene = self.scenes.make(SCENES[0])
            notes.append(
                f"Could not open the last scene {env_id!r} ({exc}); opened "
                f"{scene_title(SCENES[0])} instead."
            )
            self.settings.scene = SCENES[0]

        # Widgets.
        self.viewport = Viewport()
        self.end_bar = EpisodeEndBar()
        self.recovery_bar = EpisodeEndBar()
        self.timeline = Timeline()
        self.timeline.hide()
        central = QWidget()
        col = QVBoxLayout(central)
        col.setContentsMargins(4, 4, 4, 4)
        col.setSpacing(4)
        for w, stretch in ((self.viewport, 1), (self.recovery_bar, 0), (self.end_bar, 0)):
            col.addWidget(w, stretch)
        col.addWidget(self.timeline)
        self.setCentralWidget(central)
        self.actions_by_id = make_actions(self.commands, self, lambda cid: self.controller.run(cid))
        self.toolbar = SceneToolBar(SCENES, self.actions_by_id)
        self.addToolBar(self.toolbar)
        self.training = TrainingController(self)
        self.evaluation = EvalController(self)
        self.policy_driver = PolicyDriver(self)
        docks = Docks(
            self,
            self.training,
            self.evaluation,
            recordings_path=lambda: self.recorder.path,
            scene_id=lambda: self.scene.env_id,
            masks=self.learning.masks,
        )
        self.docks = docks
        self.dataset_panel, self.controls_panel = docks.dataset_panel, docks.controls_panel
        self.train_panel, self.eval_panel = docks.train_panel, docks.eval_panel
        self.demos_dock, self.help_dock = docks.demos_dock, docks.help_dock
        self.train_dock, self.eval_dock = docks.train_dock, docks.eval_dock
        self.status = StudioStatusBar()
        self.setStatusBar(self.status)

        # Parts.
        pad = self.scenes.open_gamepad() if gamepad == "auto" else gamepad
        labels = list(self.scene.env.action_labels)
        self.inputs = InputMux(
            self, self.modes, self.commands, self.scenes.keys_for(env_id), len(labels), pad
        )
        self.inputs.set_scene(self.scenes.keys_for(env_id), labels, self.scenes.stepping)
        self.recorder = Recorder(self)
        self.playback = PlaybackController(self.scene, self)
        self.frames = FrameScheduler(
            self.viewport, self.modes, self.scene, self.playback, threaded=threaded_render
        )
        self.files = FileDialogs(self)
        self.controller = StudioController(
            self.modes,
            self.scene,
            self.recorder,
            self.playback,
            self.inputs,
            self.commands,
            self.policy_driver,
            ask_for_file=self.files.ask_for_new,
            parent=self,
        )
        self.session = SessionController(
            self.recorder, self.modes, lambda: self.scene.env_id, self.scenes.switch, self
        )
        self.presenter = Presenter(self)
        self.relabel = RelabelWiring(self)
        for cid, handler in (
            ("new_file", self.files.on_new),
            ("open_file", self.files.on_open),
            ("quit", self.close),
            ("help", self.presenter.toggle_hints),
            ("load_policy", self.learning.on_load_policy),
        ):
            self.controller.set_handler(cid, handler)
        self._build_menus()
        self._connect()
        self.presenter.scene_changed()
        self.set_speed(1.0 if speed is None else speed)
        self.presenter.mode_changed(self.modes.mode, self.modes.mode)

        geometry, state = self.settings.window_layout()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._split_on_show = state is None
        path = recordings if recordings is not None else self.settings.last_file
        remembered = recordings is None
        opens = bool(path) and (not remembered or Path(path).exists())
        if opens and not self.open_recordings(path) and remembered:
            # Do not trip over the same file at every launch.
            self.settings.last_file = ""
            notes.append(f"{self.last_warning} (The last recordings file {path} is forgotten.)")
        if notes:
            self.warn("Imitation Studio", " ".join(notes))
        self._status_timer = QTimer(self)
        self._status_timer.setInterval(250)
        self._status_timer.timeout.connect(self.presenter.update_status)
        self._status_timer.start()
        self.scene.start()
        self.presenter.update_status()

    # ============================================================================= construction
    def _build_menus(self) -> None:
        bar = self.menuBar()
        menus = {
            m: bar.addMenu(f"&{m}")
            for m in ("File", "Scene", "Episode", "Playback", "Policy", "View")
        }
        for c in COMMANDS:
            if c.menu in menus:
                menus[c.menu].addAction(self.actions_by_id[c.id])
                if c.id == "open_file":
                    menus["File"].addSeparator()
        for env_id in SCENES:
            action = menus["Scene"].addAction(scene_title(env_id))
            action.triggered.connect(lambda _c=False, e=env_id: self.set_scene(e))
        view = menus["View"]
        view.addSeparator()
        self.shadows_action = view.addAction("&Shadows (slower on software GL)")
        self.shadows_action.setCheckable(True)
        self.shadows_action.setChecked(self.settings.shadows)
        self.shadows_action.toggled.connect(self._on_shadows_toggled)
        view.addSeparator()
        for action in self.docks.view_actions():
            view.addAction(action)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.actions_by_id["help"])
        help_menu.addAction("&About").triggered.connect(self._on_about)

    def _connect(self) -> None:
        """Widgets' requests to the parts (the presenter subscribes to the parts itself)."""
        c, s, pb = self.controller, self.session, self.playback
        self.toolbar.scene_chosen.connect(self.set_scene)
        self.toolbar.speed_chosen.connect(self.set_speed)
        vp = self.viewport
        vp.orbit_dragged.connect(lambda dx, dy: self.scene.orbit(dx, dy, vp.height()))
        vp.pan_dragged.connect(lambda dx, dy: self.scene.pan(dx, dy, vp.height()))
        vp.zoomed.connect(lambda steps: self.scene.zoom(steps))
        vp.resized.connect(lambda _w, _h: self.frames.invalidate())
        self.end_bar.kept.connect(lambda: c.run("keep"))
        self.end_bar.discarded.connect(lambda: c.run("discard"))
        c.warning.connect(self.warn)
        s.warning.connect(self.warn)
        dp = self.dataset_panel
        dp.demo_activated.connect(self.play_demo)
        dp.rename_requested.connect(lambda a, b: s.guarded(lambda: self.recorder.rename(a, b)))
        dp.tags_edited.connect(lambda n, t: s.guarded(lambda: self.recorder.set_tags(n, list(t))))
        dp.delete_requested.connect(self._on_delete_requested)
        tl = self.timeline
        tl.frame_selected.connect(pb.seek)
        tl.play_toggled.connect(lambda playing: pb.play() if playing else pb.pause())
        tl.step_clicked.connect(pb.step)
        self.learning.connect()
        self.presenter.connect()

    # ============================================================================= public API
    @property
    def mode(self) -> Mode:
        """The studio's mode."""
        return self.modes.mode

    @property
    def max_render_pixels(self) -> int:
        """Frames are rendered with at most this many pixels and scaled up."""
        return self.frames.max_render_pixels

    @max_render_pixels.setter
    def max_render_pixels(self, value: int) -> None:
        self.frames.max_render_pixels = int(value)

    def run_command(self, command: str) -> bool:
        """Run a command as a key, button or menu would (False: the mode does not offer it)."""
        return self.controller.run(command)

    def set_speed(self, speed: float) -> None:
        """The one speed (0.1× to 2×) of whatever plays: live driving and playback."""
        self.controller.set_speed(clamp_speed(speed))

    def set_scene(self, env_id: str) -> bool:
        """Switch to another scene; False (with a warning, the scene kept) when it cannot."""
        return self.scenes.set_scene(env_id)

    def open_recordings(self, path: str | Path) -> bool:
        """Open or create a recordings file (and switch to its scene); False when it failed."""
        return self.files.open(path)

    def play_demo(self, name: str) -> bool:
        """Show the demo ``name`` in playback (switching to its scene if needed)."""
        busy = self.session.busy_reason()
        if busy:
            self.presenter.refused(busy)
            return False
        stored = self.recorder.file_scene()
        if stored and stored != self.scene.env_id and not self.set_scene(stored):
            return False
        return self.controller.play(name, self.recorder.episode(name))

    def leave_playback(self) -> None:
        """Back to live driving on a fresh episode."""
        self.controller.leave_playback()

    def start_recording(self, *, device: str | None = None, source: str = "human") -> bool:
        """Reset the scene and start recording; False when it could not start."""
        self.leave_playback()
        return self.controller.start_recording(device=device, source=source)

    def render_frame(self, timeout: float = 10.0) -> None:
        """Render the current state into the viewport and wait for it (screenshots, tests)."""
        self.frames.render_now(QApplication.instance(), timeout)

    # ============================================================================= policies
    def wait_for_torch(self) -> bool:
        """Block until torch has loaded (a person asked for a policy in the first seconds)."""
        return self.learning.wait_for_torch()

    def load_policy(self, path: str | Path) -> bool:
        """Load a checkpoint to drive the live scene (its scene is opened when it names one)."""
        return self.learning.load_policy(path)

    def drive_policy(self, path: str | Path) -> bool:
        """Load ``path`` and let it drive the live scene."""
        return self.learning.drive_policy(path)

    # ============================================================================= dialogs
    def warn(self, title: str, text: str) -> None:
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

    def _on_delete_requested(self, names: list) -> None:
        if self.modes.mode is Mode.PLAYBACK and self.playback.name in names:
            self.leave_playback()
        self.session.guarded(lambda: self.recorder.delete(list(names)))

    def _on_shadows_toggled(self, on: bool) -> None:
        self.settings.shadows = on
        self.scene.shadows = on
        self.frames.invalidate()

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            "Imitation Studio",
            "Imitation Studio — drive MuJoCo robots, record demonstrations, play them back.",
        )

    def showEvent(self, event: QShowEvent) -> None:
        """On the first show without a saved layout, split the side at the real height."""
        super().showEvent(event)
        if self._split_on_show:
            self._split_on_show = False
            self.docks.first_split(self.docks.demos_dock.height() + self.docks.help_dock.height())

    # ============================================================================= closing
    def closeEvent(self, event: QCloseEvent) -> None:
        # A recording in progress is committed before anything else goes away; an episode that
        # awaits keep/discard stays undecided and is offered back at the next opening.
        self.recorder.commit_for_exit(keep=self.modes.mode is not Mode.PENDING)
        self.settings.set_window_layout(self.saveGeometry(), self.saveState())
        self.settings.set_bindings(self.scene.env_id, self.inputs.keyboard.bindings.to_dict())
        self.settings.set_command_bindings(self.commands.to_dict())
        pad_bindings = getattr(self.inputs.gamepad, "bindings", None)
        if hasattr(pad_bindings, "to_dict"):  # the pad's axes and dead-zones (GamepadBindings)
            self.settings.set_gamepad_bindings(pad_bindings.to_dict())
        self.settings.scene = self.scene.env_id
        self.settings.sync()
        self._status_timer.stop()
        # Worker threads end before their QThread objects go (a running one would abort).
        self.training.stop()
        self.docks.dagger_panel.stop()  # rollouts committed so far stay in the file
        self.evaluation.cancel()
        self.training.wait()
        self.docks.dagger_panel.wait()
        self.evaluation.wait()
        self.learning.torch_loader.wait()
        self.frames.close()
        self.playback.pause()
        self.session.close()
        self.inputs.close()
        self.scene.close()
        super().closeEvent(event)
