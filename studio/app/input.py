"""The input mux: keyboard and gamepad in, one action per control step and commands out.

The live scene asks :meth:`InputMux.action` once per control step: the gamepad's sticks while
they are moved, else the keyboard's ramped command. Command keys and pad buttons are looked up
in the command table for the current mode and come out as ``command_triggered(id)``, the same
signal menus and the toolbar end in.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from studio.app.commands import CommandBindings, button_name
from studio.app.modes import ModeMachine
from studio.app.teleop import KeyBindings, KeyboardTeleop

PAD_POLL_MS = 50  # while the control loop does not step (and poll) the pad itself


class InputMux(QObject):
    """Arbitrates between the keyboard and the gamepad.

    Signals:
        command_triggered(id): a command key or pad button was pressed.
        command_refused(key): a key or button that means nothing in this mode was pressed
            (its name, e.g. ``"Space"`` or ``"pad A"``).
        device_changed(): the active device, or the pad's connection, changed.
        problem(text): the pad could not be read (the loop goes on without it).
    """

    command_triggered = Signal(str)
    command_refused = Signal(str)
    device_changed = Signal()
    problem = Signal(str)

    def __init__(
        self,
        window: QWidget,
        modes: ModeMachine,
        commands: CommandBindings,
        keys: KeyBindings,
        action_size: int,
        gamepad: Any = None,
    ) -> None:
        super().__init__(window)
        self._modes = modes
        self.commands = commands
        self.gamepad = gamepad
        self.active_device = "keyboard"
        self.pad_state: Any = None
        self.last_action = np.zeros(action_size)
        self._labels: list[str] = []
        self.keyboard = KeyboardTeleop(
            window,
            keys,
            lambda key: self.commands.for_key(key, self._modes.mode),
            lambda: self._modes.mode.reads_controls,
            lambda key: self.commands.is_command_key(key),
        )
        self.keyboard.command_triggered.connect(self._on_key_command)
        self.keyboard.command_refused.connect(self._on_key_refused)
        self._pad_timer = QTimer(self)
        self._pad_timer.setInterval(PAD_POLL_MS)
        self._pad_timer.timeout.connect(self._on_pad_timer)
        self._pad_timer.start()
        self._stepping = lambda: False

    def set_scene(self, keys: KeyBindings, action_labels: list[str], stepping) -> None:
        """A new scene: its driving keys, action labels and whether its loop is stepping."""
        self.keyboard.set_bindings(keys)
        self._labels = list(action_labels)
        self.last_action = np.zeros(len(action_labels))
        self._stepping = stepping

    def release_all(self) -> None:
        """Forget held keys and the ramp (leaving driving: playback, a dialog)."""
        self.keyboard.release_all()
        self.keyboard.stop_ramp()

    # ----------------------------------------------------------------------------- action source
    def action(self, dt: float) -> np.ndarray:
        """The live scene's action for one control step of ``dt`` simulated seconds."""
        keys = self.keyboard.action(dt)
        state = self.poll_pad()
        if state is not None and state.connected:
            pad = np.asarray(state.action(self._labels), dtype=np.float64)
            if np.any(pad != 0):
                self._set_device(f"gamepad:{state.name}")
                self.keyboard.stop_ramp()  # no stale key ramp when the stick lets go
                self.last_action = pad
                return pad
        if self.keyboard.is_driving():
            self._set_device("keyboard")
        self.last_action = keys
        return keys

    def label(self) -> np.ndarray:
        """The person's command as a relabel label: the stick while moved, else the held keys
        without the ramp (a key held while a frame passes means that full command there)."""
        state = self.poll_pad()
        if state is not None and state.connected:
            pad = np.asarray(state.action(self._labels), dtype=np.float64)
            if np.any(pad != 0):
                self._set_device(f"gamepad:{state.name}")
                self.last_action = pad
                return pad
        self.last_action = self.keyboard.target()
        return self.last_action

    # ----------------------------------------------------------------------------- gamepad
    def poll_pad(self) -> Any:
        """Read the pad once: its state, with its button presses turned into commands."""
        if self.gamepad is None:
            return None
        try:
            state = self.gamepad.poll()
        except Exception as exc:  # a pygame hiccup must never stop the control loop
            self.problem.emit(f"gamepad: {exc}")
            return None
        self.pad_state = state
        if state.pressed and state.connected:
            self._set_device(f"gamepad:{state.name}")  # a button press is using the pad
        for button in state.pressed:
            command = self.commands.for_button(button, self._modes.mode)
            if command is not None:
                # Commands change the episode: run them after the current step, not inside it.
                QTimer.singleShot(0, lambda c=command: self.command_triggered.emit(c))
            elif self.commands.is_command_button(button):
                self.command_refused.emit(f"pad {button_name(button)}")
        if state.changed:
            if not state.connected and self.active_device.startswith("gamepad"):
                self.active_device = "keyboard"
            self.device_changed.emit()
        return state

    def _on_pad_timer(self) -> None:
        # While the control loop steps it polls the pad itself, at the control rate.
        if not self._stepping():
            self.poll_pad()

    def _on_key_command(self, command: str) -> None:
        self._set_device("keyboard")
        self.command_triggered.emit(command)

    def _on_key_refused(self, key: str) -> None:
        self._set_device("keyboard")
        self.command_refused.emit(key)

    def _set_device(self, device: str) -> None:
        if device != self.active_device:
            self.active_device = device
            self.device_changed.emit()

    def device_text(self) -> str:
        """What the status bar says about the input devices."""
        device, pad = self.active_device, self.pad_state
        if pad is not None and pad.connected and not device.startswith("gamepad"):
            return f"{device}  (pad: {pad.name})"
        if (pad is None or not pad.connected) and self.gamepad is not None:
            return f"{device}  (no pad)"
        return device

    def close(self) -> None:
        """Stop polling and release the pad."""
        self._pad_timer.stop()
        if self.gamepad is not None:
            self.gamepad.close()
