"""The gamepad's layout and what its values mean: button and axis numbers, which axis is which
stick, dead-zones, and the snapshot a poll returns with its mapping onto a scene's action.

Layout. Pads that SDL recognises as game controllers (its built-in mapping database covers Xbox,
PlayStation, Switch Pro, 8BitDo, Steam Deck, ...) are read through SDL's GameController API, so
button and axis numbers are the same on every pad: :class:`Button` and :class:`Axis` (A=0, B=1,
X=2, Y=3, Back=4, Guide=5, Start=6, LS=7, RS=8, LB=9, RB=10, d-pad 11-14; axes LX, LY, RX, RY,
LT, RT). Raw joystick numbering differs per driver (an Xbox pad on Linux reports LB=4, Start=7
and triggers on axes 2 and 5), which is why we do not read it for known pads. Devices without a
mapping fall back to raw joystick indices with the same bindings.

Conventions of the output: stick y is + when pushed UP (SDL reports + for down), triggers are
0 (released) to 1, and a radial dead-zone is rescaled so the magnitude rises continuously from 0 at
the dead-zone edge to 1 at full deflection.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any

import numpy as np


class Axis(IntEnum):
    """SDL GameController axes (``SDL_GameControllerAxis``)."""

    LEFT_X = 0
    LEFT_Y = 1
    RIGHT_X = 2
    RIGHT_Y = 3
    TRIGGER_LEFT = 4
    TRIGGER_RIGHT = 5


class Button(IntEnum):
    """SDL GameController buttons (``SDL_GameControllerButton``), named by the Xbox layout."""

    A = 0
    B = 1
    X = 2
    Y = 3
    BACK = 4
    GUIDE = 5
    START = 6
    LEFT_STICK = 7
    RIGHT_STICK = 8
    LEFT_SHOULDER = 9
    RIGHT_SHOULDER = 10
    DPAD_UP = 11
    DPAD_DOWN = 12
    DPAD_LEFT = 13
    DPAD_RIGHT = 14


@dataclass
class GamepadBindings:
    """Which axes are the sticks and triggers, and their dead-zones.

    Indices follow :class:`Axis` for pads with an SDL mapping, and are raw joystick indices for
    devices without one.
    """

    left_x: int = Axis.LEFT_X
    left_y: int = Axis.LEFT_Y
    right_x: int = Axis.RIGHT_X
    right_y: int = Axis.RIGHT_Y
    left_trigger: int = Axis.TRIGGER_LEFT
    right_trigger: int = Axis.TRIGGER_RIGHT
    deadzone: float = 0.12
    """Radial stick dead-zone, a fraction of full deflection (worn sticks rest at 0.05-0.1)."""
    trigger_deadzone: float = 0.05
    """Trigger dead-zone, so a resting finger does not drive."""
    invert_y: bool = False
    """Flip both sticks' y (flight-style: pushing up gives a negative value)."""

    def __post_init__(self) -> None:
        for name in ("left_x", "left_y", "right_x", "right_y", "left_trigger", "right_trigger"):
            value = int(getattr(self, name))
            if value < 0:
                raise ValueError(f"{name} must be an axis index >= 0, got {value}")
            setattr(self, name, value)
        for name in ("deadzone", "trigger_deadzone"):
            value = float(getattr(self, name))
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
            setattr(self, name, value)
        self.invert_y = bool(self.invert_y)

    def to_dict(self) -> dict[str, Any]:
        """Plain types for QSettings/JSON."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GamepadBindings:
        """Inverse of :meth:`to_dict`; missing keys keep their defaults, unknown keys are ignored.

        QSettings may hand back numbers and booleans as strings, so values are converted here.

        Raises:
            ValueError: a value is malformed (names the field).
        """
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue  # settings from a newer/older version
            try:
                if key == "invert_y":
                    kwargs[key] = value.lower() == "true" if isinstance(value, str) else bool(value)
                elif key in ("deadzone", "trigger_deadzone"):
                    kwargs[key] = float(value)
                else:
                    kwargs[key] = int(value)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"gamepad bindings: bad value for {key!r}: {value!r}") from exc
        return cls(**kwargs)


def radial_deadzone(x: float, y: float, deadzone: float) -> tuple[float, float]:
    """Apply a radial dead-zone and rescale: magnitude ``deadzone..1`` maps onto ``0..1``.

    Radial (not per-axis) so diagonals are not snapped to the axes; rescaled so there is no jump
    at the edge; clamped to the unit circle because square-gated sticks reach |v| = sqrt(2).
    """
    magnitude = math.hypot(x, y)
    if magnitude <= deadzone:
        return 0.0, 0.0
    scaled = min(1.0, (magnitude - deadzone) / (1.0 - deadzone))
    return x * scaled / magnitude, y * scaled / magnitude


def trigger_deadzone(value: float, deadzone: float) -> float:
    """Apply a trigger dead-zone and rescale: ``deadzone..1`` maps onto ``0..1``."""
    if value <= deadzone:
        return 0.0
    return min(1.0, (value - deadzone) / (1.0 - deadzone))


def readonly_array(values: Sequence[float]) -> np.ndarray:
    """A float64 array that consumers cannot edit (a snapshot's)."""
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False  # a snapshot: consumers must not edit shared state
    return array


@dataclass(frozen=True)
class GamepadState:
    """One poll's snapshot of the active gamepad."""

    connected: bool = False
    name: str = ""
    sticks: np.ndarray = field(default_factory=lambda: readonly_array([0.0] * 4))
    """(4,) left x, left y, right x, right y; y is + up; dead-zoned, in the unit circle."""
    triggers: np.ndarray = field(default_factory=lambda: readonly_array([0.0] * 2))
    """(2,) left, right in [0, 1]."""
    pressed: tuple[int, ...] = ()
    """Buttons that went down since the last poll, in order (one per press)."""
    held: frozenset[int] = frozenset()
    """Buttons down now (e.g. hold-to-take-over)."""
    changed: bool = False
    """The active device was connected, disconnected or switched since the last poll."""
    mapped: bool = False
    """SDL knows this pad's layout (GameController API); False means raw joystick indices."""

    def action(self, action_labels: Sequence[str]) -> np.ndarray:
        """Map the sticks and triggers onto a scene's action vector.

        Arm ``["ee_vx", "ee_vy"(, "ee_vz")]``: left stick x, y (right stick y for z).
        Car ``["throttle", "steering"]``: throttle is right minus left trigger while either is
        pressed, otherwise the left stick's y; steering is the right stick's x (or the left's when
        the right is centred), negated so pushing LEFT gives +steering (= turn left).
        Other labels (gymnasium scenes): the four stick axes in order onto the first dims.

        Returns:
            (A,) float32 in [-1, 1]; zeros when no pad is connected.
        """
        out = np.zeros(len(action_labels), dtype=np.float32)
        if not self.connected:
            return out
        lx, ly, rx, ry = (float(v) for v in self.sticks)
        lt, rt = (float(v) for v in self.triggers)
        by_label = {
            "ee_vx": lx,
            "ee_vy": ly,
            "ee_vz": ry,
            "throttle": rt - lt if lt > 0.0 or rt > 0.0 else ly,
            "steering": -(rx if rx != 0.0 else lx),
        }
        if all(label in by_label for label in action_labels):
            out[:] = [by_label[label] for label in action_labels]
        else:
            n = min(len(out), len(self.sticks))
            out[:n] = self.sticks[:n]
        return np.clip(out, -1.0, 1.0)
