"""Keyboard teleoperation: key bindings, held-key tracking through Qt, and ramped commands.

Keys are captured with an application-wide event filter while the main window is active, so
focus on a child widget (the demo table, a button) does not steal the driving keys. Auto-repeat
is ignored: a held key is tracked from its press to its release, and the command ramps towards
the held direction at a fixed rate so a tap gives a small nudge and a hold a smooth full command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass
class AxisBinding:
    """Keys that push one action dimension towards +1 or -1."""

    label: str
    positive: list[str]
    negative: list[str]
    description: str = ""


@dataclass
class KeyBindings:
    """The driving keys of one scene: one :class:`AxisBinding` per action dimension.

    Command keys (record, keep, ...) are not here: they are the same in every scene and live
    in :class:`studio.app.commands.CommandBindings`.
    Key names are Qt's portable names (``QKeySequence.toString()``: ``"Up"``, ``"W"``, ``"Space"``).
    """

    axes: list[AxisBinding]
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
        return cls(axes=axes)

    @classmethod
    def saved_or_default(cls, saved: dict[str, Any] | None, labels: list[str]) -> KeyBindings:
        """Saved bindings when they fit the scene's action labels, else the defaults."""
        if saved:
            try:
                keys = cls.from_dict(saved)
                if [a.label for a in keys.axes] == list(labels):
                    return keys
            except (KeyError, TypeError, ValueError):
                pass  # stale or corrupt: defaults
        return cls.default_for(labels)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form for QSettings."""
        return {
            "axes": [vars(a) for a in self.axes],
            "precision_key": self.precision_key,
            "precision_scale": self.precision_scale,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KeyBindings:
        """Inverse of :meth:`to_dict` (older settings' command keys are ignored)."""
        return cls(
            axes=[AxisBinding(**a) for a in d["axes"]],
            precision_key=d.get("precision_key", "Shift"),
            precision_scale=float(d.get("precision_scale", 0.35)),
        )

    def help_rows(self, *, with_precision: bool = True) -> list[tuple[str, str]]:
        """``(keys, description)`` rows of the driving keys for the overlay and help panel.

        Args:
            with_precision: end with the ``("hold Shift", "fine control")`` row.
        """
        rows = [
            (f"{'/'.join(a.positive)} · {'/'.join(a.negative)}", a.description or a.label)
            for a in self.axes
        ]
        if with_precision:
            rows.append((f"hold {self.precision_key}", "fine control"))
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

    A key press first asks ``command_for`` (the command table, in the current mode) whether
    the key is a command there; if not, and driving is on, it is a driving key.

    Signals:
        command_triggered(name): a command key was pressed (``"record"``, ``"step_back"``, ...).
        command_refused(key): a key that is a command in another mode was pressed (the key's
            name); it is swallowed rather than passed on to the focused widget.
        keys_changed(): the set of held driving keys changed.
    """

    command_triggered = Signal(str)
    command_refused = Signal(str)
    keys_changed = Signal()

    # Commands a held key repeats (auto-repeat): stepping through frames.
    REPEATING = frozenset({"step_back", "step_forward"})

    def __init__(
        self,
        window: QWidget,
        bindings: KeyBindings,
        command_for: Callable[[str], str | None],
        driving: Callable[[], bool],
        is_command_key: Callable[[str], bool] = lambda _key: False,
        *,
        ramp_up: float = 4.0,
        ramp_down: float = 8.0,
    ) -> None:
        """Args:
        window: the top-level window whose key events drive the robot.
        bindings: the driving keys.
        command_for: the command a key name means now, or None.
        driving: whether driving keys drive now (the mode steps the scene).
        is_command_key: whether a key name is a command in some mode.
        ramp_up: command units per second towards a held direction (0 -> 1 in 0.25 s).
        ramp_down: units per second back towards zero on release (faster: stopping is safety).
        """
        super().__init__(window)
        self._window = window
        self._command_for = command_for
        self._driving = driving
        self._is_command_key = is_command_key
        self.ramp_up, self.ramp_down = ramp_up, ramp_down
        self._held: set[int] = set()
        self.set_bindings(bindings)
        QApplication.instance().installEventFilter(self)

    def set_bindings(self, bindings: KeyBindings) -> None:
        """Use new driving keys (the command resets to zero)."""
        self.bindings = bindings
        self._axes = [
            ({key_code(k) for k in a.positive}, {key_code(k) for k in a.negative})
            for a in bindings.axes
        ]
        self._precision = key_code(bindings.precision_key)
        self._command = np.zeros(len(bindings.axes))
        self._held.clear()

    def release_all(self) -> None:
        """Forget held keys (the window lost focus: releases would never arrive)."""
        if self._held:
            self._held.clear()
            self.keys_changed.emit()

    def stop_ramp(self) -> None:
        """Drop the ramped command to zero now (another device took over)."""
        self._command[:] = 0.0

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
        return bool(np.any(self.target() != 0) or np.any(self._command != 0))

    def action(self, dt: float) -> np.ndarray:
        """Advance the ramp by ``dt`` simulated seconds and return the command ``(A,)``."""
        target = self.target()
        command = self._command
        # Growing towards a held direction ramps at ramp_up; easing off, reversing or releasing
        # goes at ramp_down (stopping quickly matters more than starting smoothly).
        growing = (
            (target != 0)
            & ((command == 0) | (np.sign(target) == np.sign(command)))
            & (np.abs(target) >= np.abs(command))
        )
        rate = np.where(growing, self.ramp_up, self.ramp_down)
        step = rate * dt
        self._command = command + np.clip(target - command, -step, step)
        return self._command.copy()

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
        if not pressed and key in self._held and not event.isAutoRepeat():
            # Released whatever the mode now: a key held as an episode ended and let go while
            # the keep/discard choice waits must not stay held into the next episode.
            self._held.discard(key)
            self.keys_changed.emit()
        mods = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
        mods &= ~Qt.KeyboardModifier.KeypadModifier
        if mods != Qt.KeyboardModifier.NoModifier:
            return False  # Ctrl+Q and friends are menu shortcuts, not driving keys
        name = key_name(key)
        command = self._command_for(name)
        if command is not None:
            if pressed and (not event.isAutoRepeat() or command in self.REPEATING):
                self.command_triggered.emit(command)
            return True
        driving = key == self._precision or any(key in p or key in n for p, n in self._axes)
        if not (driving and self._driving()) and self._is_command_key(name):
            if pressed and not event.isAutoRepeat():
                self.command_refused.emit(name)
            return True
        if not driving:
            return False
        if event.isAutoRepeat():
            return True
        before = len(self._held)
        if pressed and self._driving():
            self._held.add(key)
        elif not pressed:
            self._held.discard(key)
        if len(self._held) != before:
            self.keys_changed.emit()
        # Shift is also a modifier other widgets may want; let it through.
        return key != self._precision
