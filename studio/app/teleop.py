"""Keyboard teleoperation: key bindings, held-key tracking through Qt, and ramped commands.

Keys are captured with an application-wide event filter while the main window is active, so
focus on a child widget (the demo table, a button) does not steal the driving keys. Auto-repeat
is ignored: a held key is tracked from its press to its release, and the command ramps towards
the held direction at a fixed rate so a tap gives a small nudge and a hold a smooth full command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

# Commands a key (or a gamepad button) can trigger; the main window gives them meaning.
COMMANDS: dict[str, str] = {
    "record": "start / stop recording",
    "reset": "reset the episode",
    "discard": "discard the episode",
    "keep": "keep the episode",
    "pause": "pause / resume the simulation",
    "speed_down": "slower (time dilation)",
    "speed_up": "faster",
    "camera_reset": "reset the camera",
    "help": "show / hide this help",
}
# In playback the same physical keys drive the timeline instead of the robot.
PLAYBACK_COMMANDS: dict[str, str] = {
    "play_pause": "play / pause",
    "step_back": "previous frame",
    "step_forward": "next frame",
    "live": "back to live driving",
}


@dataclass
class AxisBinding:
    """Keys that push one action dimension towards +1 or -1."""

    label: str
    positive: list[str]
    negative: list[str]
    description: str = ""


@dataclass
class KeyBindings:
    """All key bindings of one scene: one :class:`AxisBinding` per action dimension and commands.

    Key names are Qt's portable names (``QKeySequence.toString()``: ``"Up"``, ``"W"``, ``"Space"``).
    """

    axes: list[AxisBinding]
    commands: dict[str, list[str]] = field(default_factory=dict)
    playback: dict[str, list[str]] = field(default_factory=dict)
    precision_key: str = "Shift"  # held: commands scaled by ``precision_scale`` for fine work
    precision_scale: float = 0.35

    @classmethod
    def default_for(cls, action_labels: list[str]) -> KeyBindings:
        """Sensible bindings for a scene from its action labels (arm, car, or generic)."""
        labels = list(action_labels)
        if labels == ["ee_vx", "ee_vy"]:
            axes = [
                AxisBinding("ee_vx", ["Right", "D"], ["Left", "A"], "move right / left"),
                AxisBinding("ee_vy", ["Up", "W"], ["Down", "S"], "move away / towards you"),
            ]
        elif labels == ["throttle", "steering"]:
            axes = [
                AxisBinding("throttle", ["Up", "W"], ["Down", "S"], "forward / reverse"),
                AxisBinding("steering", ["Left", "A"], ["Right", "D"], "steer left / right"),
            ]
        else:
            # Generic gymnasium scene: one key pair per action dimension.
            pairs = [
                (["Right", "D"], ["Left", "A"]),
                (["Up", "W"], ["Down", "S"]),
                (["L"], ["J"]),
                (["I"], ["K"]),
                (["O"], ["U"]),
                (["M"], ["N"]),
                (["9"], ["8"]),
            ]
            axes = [
                AxisBinding(label, list(pairs[i][0]), list(pairs[i][1]), f"{label} + / -")
                for i, label in enumerate(labels[: len(pairs)])
            ]
        return cls(
            axes=axes,
            commands={
                "record": ["Space"],
                "reset": ["R"],
                "discard": ["Backspace", "Del"],
                "keep": ["Return", "Enter"],
                "pause": ["P"],
                "speed_down": ["["],
                "speed_up": ["]"],
                "camera_reset": ["C"],
                "help": ["F1"],
            },
            playback={
                "play_pause": ["Space"],
                "step_back": ["Left", "A", ","],
                "step_forward": ["Right", "D", "."],
                "live": ["Esc"],
            },
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for QSettings."""
        return {
            "axes": [vars(a) for a in self.axes],
            "commands": self.commands,
            "playback": self.playback,
            "precision_key": self.precision_key,
            "precision_scale": self.precision_scale,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeyBindings:
        """Inverse of :meth:`to_dict`."""
        return cls(
            axes=[AxisBinding(**a) for a in d["axes"]],
            commands={k: list(v) for k, v in d.get("commands", {}).items()},
            playback={k: list(v) for k, v in d.get("playback", {}).items()},
            precision_key=d.get("precision_key", "Shift"),
            precision_scale=float(d.get("precision_scale", 0.35)),
        )

    def help_rows(self, playback: bool = False) -> list[tuple[str, str]]:
        """``(keys, description)`` rows for the overlay and help panel."""
        if playback:
            return [(" / ".join(self.playback[k]), PLAYBACK_COMMANDS[k]) for k in self.playback]
        rows = [
            (f"{'/'.join(a.positive)} · {'/'.join(a.negative)}", a.description or a.label)
            for a in self.axes
        ]
        rows.append((f"hold {self.precision_key}", "fine control"))
        rows += [(" / ".join(v), COMMANDS.get(k, k)) for k, v in self.commands.items()]
        return rows


def key_code(name: str) -> int:
    """Qt key code for a portable key name (``"Up"`` -> ``Qt.Key_Up``)."""
    seq = QKeySequence.fromString(name)
    if seq.isEmpty():
        raise ValueError(f"unknown key name {name!r}")
    return int(seq[0].key().value)


def key_name(code: int) -> str:
    """Portable name of a Qt key code."""
    return QKeySequence(code).toString()


# Focused widgets that need typing keys for themselves.
_TEXT_INPUTS = (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)


class KeyboardTeleop(QObject):
    """Tracks held keys for one window and turns them into ramped actions and commands.

    Signals:
        command_triggered(name): a command key was pressed (``"record"``, ``"step_back"``, ...).
        keys_changed(): the set of held driving keys changed.
    """

    command_triggered = Signal(str)
    keys_changed = Signal()

    def __init__(
        self,
        window: QWidget,
        bindings: KeyBindings,
        *,
        ramp_up: float = 4.0,
        ramp_down: float = 8.0,
    ) -> None:
        """Args:
        window: the top-level window whose key events drive the robot.
        bindings: the key bindings.
        ramp_up: command units per second towards a held direction (0 -> 1 in 0.25 s).
        ramp_down: units per second back towards zero on release (faster: stopping is safety).
        """
        super().__init__(window)
        self._window = window
        self.ramp_up, self.ramp_down = ramp_up, ramp_down
        self.playback_mode = False
        self._held: set[int] = set()
        self.set_bindings(bindings)
        QApplication.instance().installEventFilter(self)

    def set_bindings(self, bindings: KeyBindings) -> None:
        """Use new bindings (the command resets to zero)."""
        self.bindings = bindings
        self._axes = [
            ({key_code(k) for k in a.positive}, {key_code(k) for k in a.negative})
            for a in bindings.axes
        ]
        self._commands = {key_code(k): c for c, keys in bindings.commands.items() for k in keys}
        self._playback = {key_code(k): c for c, keys in bindings.playback.items() for k in keys}
        self._precision = key_code(bindings.precision_key)
        self.command = np.zeros(len(bindings.axes))
        self._held.clear()

    def release_all(self) -> None:
        """Forget held keys (the window lost focus: releases would never arrive)."""
        if self._held:
            self._held.clear()
            self.keys_changed.emit()

    def held_keys(self) -> list[str]:
        """Names of the keys held now."""
        return sorted(key_name(k) for k in self._held)

    def target(self) -> np.ndarray:
        """The command the held keys ask for, before ramping: one value per axis in [-1, 1]."""
        t = np.zeros(len(self._axes))
        for i, (pos, neg) in enumerate(self._axes):
            t[i] = float(bool(self._held & pos)) - float(bool(self._held & neg))
        if self._precision in self._held:
            t *= self.bindings.precision_scale
        return t

    def is_driving(self) -> bool:
        """True while a driving key is held or the command has not decayed to zero yet."""
        return bool(np.any(self.target() != 0) or np.any(self.command != 0))

    def action(self, dt: float) -> np.ndarray:
        """Advance the ramp by ``dt`` simulated seconds and return the command ``(A,)``."""
        target = self.target()
        # Growing towards a held direction ramps at ramp_up; easing off, reversing or releasing
        # goes at ramp_down (stopping quickly matters more than starting smoothly).
        growing = (
            (target != 0)
            & ((self.command == 0) | (np.sign(target) == np.sign(self.command)))
            & (np.abs(target) >= np.abs(self.command))
        )
        rate = np.where(growing, self.ramp_up, self.ramp_down)
        step = rate * dt
        self.command = self.command + np.clip(target - self.command, -step, step)
        return self.command.copy()

    # ----------------------------------------------------------------------------- Qt events
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        etype = event.type()
        if etype == QEvent.Type.ApplicationDeactivate or (
            etype == QEvent.Type.WindowDeactivate and obj is self._window
        ):
            self.release_all()
            return False
        if etype not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return False
        # Key events reach the QWindow and then each widget up the parent chain: act once, on
        # widgets of our window only, and leave typing keys to text fields and dialogs.
        if not isinstance(obj, QWidget) or obj.window() is not self._window:
            return False
        if isinstance(obj, _TEXT_INPUTS) or (isinstance(obj, QComboBox) and obj.view().isVisible()):
            return False
        assert isinstance(event, QKeyEvent)
        return self._on_key(event, etype == QEvent.Type.KeyPress)

    def _on_key(self, event: QKeyEvent, pressed: bool) -> bool:
        key = int(event.key())
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        mods &= ~Qt.KeyboardModifier.KeypadModifier
        if mods != Qt.KeyboardModifier.NoModifier:
            return False  # Ctrl+Q and friends are menu shortcuts, not driving keys
        if self.playback_mode and key in self._playback:
            if pressed and not event.isAutoRepeat():
                self.command_triggered.emit(self._playback[key])
            elif pressed and self._playback[key] in ("step_back", "step_forward"):
                self.command_triggered.emit(self._playback[key])  # holding steps repeatedly
            return True
        driving = key == self._precision or any(key in p or key in n for p, n in self._axes)
        if driving:
            if event.isAutoRepeat():
                return True
            before = len(self._held)
            if pressed:
                self._held.add(key)
            else:
                self._held.discard(key)
            if len(self._held) != before:
                self.keys_changed.emit()
            # Shift is also a modifier other widgets may want; let it through.
            return key != self._precision
        if key in self._commands:
            if pressed and not event.isAutoRepeat():
                self.command_triggered.emit(self._commands[key])
            return True
        return False
