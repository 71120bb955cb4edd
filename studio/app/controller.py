"""The studio controller: runs commands against the mode, the live scene, recorder and playback.

Every command — key, pad button, menu, toolbar, end-of-episode bar — arrives at :meth:`run` as
an id from the command table. A command that the current mode does not offer is refused with a
message, so a key can never do something else by accident (Space while the keep/discard bar
shows does not keep the episode). Handlers change the mode through the mode machine only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from recordings import Provenance, RecordingError
from studio.app.clock import clamp_speed, next_speed
from studio.app.commands import BY_ID, CommandBindings
from studio.app.input import InputMux
from studio.app.modes import Mode, ModeMachine
from studio.app.playback import PlaybackController
from studio.app.policy_driver import PolicyDriver
from studio.app.recorder import Recorder
from studio.app.scene import LiveScene, Step

AUTO_RESET_MS = 1200  # an unrecorded episode that ended shows its result this long


def end_reason(step: Step) -> tuple[str, bool]:
    """Why an episode ended (``"success"``, ``"collision"``, ``"time limit"``, ``"failed"``)."""
    info = step.info
    if info.get("is_success", False):
        return "success", True
    if info.get("collision"):
        return "collision", False
    return ("time limit" if step.truncated else "failed"), False


class StudioController(QObject):
    """Gives every command its meaning in the current mode.

    Signals:
        message(text): something to tell the person in the status bar.
        refused(text): a command could not run (shown as a banner and in the status bar).
        warning(title, text): a problem worth a message box (non-modal).
        episode_ended(reason, success, steps): a recorded episode stopped; keep or discard?
        episode_decided(text): the episode was kept or discarded (``"Saved demo_3"``).
        episode_result(reason, success): an episode ended (recorded or not).
        episode_started(): the scene was reset (whichever scene is attached).
        speed_changed(speed): the one speed (live and playback) changed.
        paused_changed(paused): the simulation was paused or resumed.
        playback_loaded(name, episode): a demo is shown in playback.
    """

    message = Signal(str)
    refused = Signal(str)
    warning = Signal(str, str)
    episode_ended = Signal(str, bool, int)
    episode_decided = Signal(str)
    episode_result = Signal(str, bool)
    episode_started = Signal()
    speed_changed = Signal(float)
    paused_changed = Signal(bool)
    playback_loaded = Signal(str, object)

    def __init__(
        self,
        modes: ModeMachine,
        scene: LiveScene,
        recorder: Recorder,
        playback: PlaybackController,
        inputs: InputMux,
        commands: CommandBindings,
        policy: PolicyDriver | None = None,
        *,
        ask_for_file: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        """Args:
        modes, scene, recorder, playback, inputs, commands: the parts it drives.
        policy: the policy that drives in the policy mode (default: none loaded yet).
        ask_for_file: recording with no file open asks for one (File ▸ New); True when a file
            is open afterwards.
        """
        super().__init__(parent)
        self.policy = policy or PolicyDriver(self)
        self.modes = modes
        self.recorder = recorder
        self.playback = playback
        self.inputs = inputs
        self.commands = commands
        self.speed = 1.0
        self.scene = scene
        self._ask_for_file = ask_for_file
        self._handlers: dict[str, Callable[[], Any]] = {
            "record": self._on_record,
            "keep": self.keep,
            "discard": self.discard,
            "reset": self._on_reset,
            "pause": self._on_pause,
            "slower": lambda: self.set_speed(next_speed(self.speed, -1)),
            "faster": lambda: self.set_speed(next_speed(self.speed, +1)),
            "play_pause": self.playback.toggle,
            "step_back": lambda: self.playback.step(-1),
            "step_forward": lambda: self.playback.step(+1),
            "live": self._on_live,
            "camera_reset": lambda: self.scene.reset_camera(),
            "drive_policy": self.start_policy,
            "load_policy": lambda: self.refused.emit("No checkpoint dialog in this window"),
        }
        inputs.command_triggered.connect(self.run)
        inputs.command_refused.connect(self._on_refused_key)
        self.attach(scene)

    def attach(self, scene: LiveScene) -> None:
        """Control ``scene`` from now on (at the current speed)."""
        self.scene = scene
        scene.set_speed(self.speed)
        scene.stepped.connect(self._on_stepped)
        scene.episode_finished.connect(self._on_episode_finished)
        scene.scene_reset.connect(self.policy.reset)  # a policy's history is per episode
        scene.scene_reset.connect(self.episode_started.emit)

    def set_handler(self, command: str, handler: Callable[[], Any]) -> None:
        """Give a command its handler (the window's dialogs: files, help, quit)."""
        if command not in BY_ID:
            raise ValueError(f"unknown command {command!r}")
        self._handlers[command] = handler

    @property
    def mode(self) -> Mode:
        """The current mode (from the mode machine)."""
        return self.modes.mode

    # ----------------------------------------------------------------------------- dispatch
    def available(self, command: str) -> bool:
        """Whether ``command`` can run in the current mode."""
        return self.modes.mode in BY_ID[command].modes

    def run(self, command: str) -> bool:
        """Run a command; returns False (with a message) when the mode does not offer it."""
        if not self.available(command):
            self.refused.emit(self._why_not(command))
            return False
        self._handlers[command]()
        return True

    def _why_not(self, command: str) -> str:
        title = BY_ID[command].title.replace("&", "").lower()
        if self.mode is Mode.PENDING:
            keep, discard = self.commands.key_text("keep"), self.commands.key_text("discard")
            return f"Keep ({keep}) or discard ({discard}) the episode first"
        if self.mode is Mode.RECORDING:
            return f"Stop the recording first ({self.commands.key_text('record')})"
        return f"Not while {self.mode.title.lower()}: {title}"

    def _on_refused_key(self, key: str) -> None:
        if self.mode is Mode.PENDING:
            self.refused.emit(self._why_not("record"))
        else:
            self.message.emit(f"{key} does nothing while {self.mode.title.lower()}")

    # ----------------------------------------------------------------------------- speed, pause
    def set_speed(self, speed: float) -> None:
        """The one speed: live driving and playback alike."""
        self.speed = clamp_speed(speed)
        self.scene.set_speed(self.speed)
        self.playback.set_speed(self.speed)
        self.speed_changed.emit(self.speed)

    def set_paused(self, paused: bool) -> None:
        """Freeze or resume the live simulation."""
        if paused != self.scene.paused:
            self.scene.set_paused(paused)
            self.paused_changed.emit(paused)

    def _on_pause(self) -> None:
        if self.mode is Mode.PLAYBACK:
            self.playback.toggle()
        else:
            self.set_paused(not self.scene.paused)

    # ----------------------------------------------------------------------------- policy
    @property
    def policy_drives(self) -> bool:
        """Whether the loaded policy, not the person, makes the scene's actions now."""
        if self.mode is Mode.POLICY:
            return True
        return self.mode is Mode.RECORDING and self.recorder.source == "policy"

    def _driver_mode(self) -> Mode:
        """Where an episode's end returns to: whoever drove it keeps driving."""
        return Mode.POLICY if self.recorder.source == "policy" else Mode.LIVE

    def start_policy(self) -> bool:
        """Hand the wheel to the loaded policy on a fresh episode; False when it cannot."""
        if not self.policy.loaded:
            load = self.commands.key_text("load_policy")
            self.refused.emit(f"Load a policy checkpoint first ({load}, or a run in Train)")
            return False
        if not self.modes.can(Mode.POLICY):
            self.refused.emit(self._why_not("drive_policy"))
            return False
        self.inputs.release_all()
        self.set_paused(False)
        self.modes.go(Mode.POLICY)
        self.scene.reset()
        self.message.emit(
            f"{self.policy.label} drives; hold a driving key (or LB) to take over, Esc to stop it"
        )
        return True

    def leave_policy(self) -> None:
        """Back to the person driving, on a fresh episode."""
        if self.mode is Mode.POLICY:
            self.modes.go(Mode.LIVE)
            self.scene.reset()

    def release_scene(self) -> None:
        """The live scene is about to be replaced: leave playback and policy driving for live.

        The policy is unloaded too (it drives the scene it was loaded for). Call only while no
        episode is open (the session's ``busy_reason()`` is empty).
        """
        if self.mode.replays:
            self.playback.unload()
            self.modes.go(Mode.LIVE)
        elif self.mode is Mode.POLICY:
            self.modes.go(Mode.LIVE)
        self.policy.unload()

    def _on_live(self) -> None:
        if self.mode is Mode.POLICY:
            self.leave_policy()
        else:
            self.leave_playback()

    # ----------------------------------------------------------------------------- recording
    def _on_record(self) -> None:
        if self.mode is Mode.RECORDING:
            self.stop_recording("stopped")
        elif self.mode is Mode.POLICY:
            self.start_recording(device=f"policy:{self.policy.label}", source="policy")
        else:
            self.start_recording()

    def start_recording(self, *, device: str | None = None, source: str = "human") -> bool:
        """Reset the scene and record from its first step; False when it could not start."""
        if not self.modes.can(Mode.RECORDING):
            self.refused.emit(self._why_not("record"))
            return False
        if not self.recorder.is_open and not self._ask_for_file():
            return False
        try:
            self.recorder.check_scene(self.scene.env)
        except RecordingError as exc:  # the file holds another scene's demos
            self.refused.emit(f"Cannot record here: {exc}")
            return False
        self.set_paused(False)  # recording a frozen scene makes no sense
        seed = self.scene.reset()
        self.recorder.start(
            self.scene.env, device or self.inputs.active_device, seed=seed, source=source
        )
        self.modes.go(Mode.RECORDING)
        return True

    def stop_recording(self, reason: str) -> None:
        """End the recording; with steps it waits for keep or discard."""
        success = bool(self.scene.last_info.get("is_success", False))
        self._stopped(reason, success)

    def _stopped(self, reason: str, success: bool) -> None:
        if self.recorder.stop(reason, success):
            self.scene.halt()  # the scene waits with the episode's last state
            self.modes.go(Mode.PENDING)
            self.episode_ended.emit(reason, success, self.recorder.steps)
        else:
            self.modes.go(self._driver_mode())  # nothing recorded: back to driving
            self.episode_decided.emit("Nothing was recorded")

    def keep(self) -> str | None:
        """Commit the pending episode; returns its name (None when the commit failed)."""
        name = None
        try:
            name = self.recorder.keep()
            text = f"Saved {name}"
        except RecordingError as exc:
            text = "The episode could not be saved"
            self.warning.emit("Recordings", self._not_saved(exc))
        self._decided(text)
        return name

    def _not_saved(self, exc: RecordingError) -> str:
        """Why the episode is not in the file, and where it is now."""
        path = self.recorder.path.name if self.recorder.path else "the recordings file"
        journal = self.recorder.failed_journal
        stranded = self.recorder.stranded_journal(journal) if journal else None
        if stranded is not None:
            return (
                f"Could not save the episode into {path}: {exc}\nIt was recorded for "
                f"{stranded['env_name']} and can never go into this file. Its "
                f"{stranded['steps']} steps stay in the journal {stranded['path']}; delete that "
                "file when you no longer need it."
            )
        return (
            f"Could not save the episode into {path}: {exc}\nIts journal stays beside the "
            "file: the episode will be offered back (recovered: keep or discard) when the file "
            "is opened again."
        )

    def discard(self) -> None:
        """Drop the episode being recorded or awaiting a decision."""
        self.recorder.discard()
        self._decided("Episode discarded")

    def _decided(self, text: str) -> None:
        self.modes.go(self._driver_mode())
        self.scene.reset()
        self.episode_decided.emit(text)

    def _on_reset(self) -> None:
        if self.mode is Mode.RECORDING:
            self.stop_recording("reset")
        else:
            self.scene.reset()

    def _on_stepped(self, step: Step) -> None:
        if self.mode is not Mode.RECORDING:
            return
        if self.recorder.source == "policy":  # who drove this step, and what the policy wanted
            who = Provenance.HUMAN if self.policy.person_drove else Provenance.POLICY
            self.recorder.append(
                self.scene.env, step, provenance=who, policy_action=self.policy.last_action
            )
        else:
            self.recorder.append(self.scene.env, step)

    def _on_episode_finished(self, step: Step) -> None:
        reason, success = end_reason(step)
        self.episode_result.emit(reason, success)
        if self.mode is Mode.RECORDING:
            self._stopped(reason, success)
        else:
            QTimer.singleShot(AUTO_RESET_MS, self._on_auto_reset)

    def _on_auto_reset(self) -> None:
        if self.mode in (Mode.LIVE, Mode.POLICY) and self.scene.halted:
            self.scene.reset()

    # ----------------------------------------------------------------------------- playback
    def play(self, name: str, episode: Any) -> bool:
        """Show a recorded demo of the current scene in playback."""
        if self.mode is Mode.PLAYBACK:
            self.playback.unload()
        elif not self.modes.can(Mode.PLAYBACK):
            self.refused.emit(self._why_not("play_pause"))
            return False
        self.scene.stop()
        self.inputs.release_all()
        self.modes.go(Mode.PLAYBACK)
        self.playback.load(name, episode)
        self.playback_loaded.emit(name, episode)
        return True

    def leave_playback(self) -> None:
        """Back to live driving on a fresh episode."""
        if self.mode is not Mode.PLAYBACK:
            return
        self.playback.unload()
        self.modes.go(Mode.LIVE)
        self.scene.reset()
        self.scene.start()
