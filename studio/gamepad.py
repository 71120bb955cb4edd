"""Gamepad teleoperation through SDL2 (pygame), without Qt.

``Gamepad.poll()`` pumps SDL's events, follows hot-plug, and returns an immutable
:class:`GamepadState` snapshot: dead-zoned sticks, triggers, the buttons pressed since the last
poll and those held, and :meth:`GamepadState.action` to turn it into a scene's action. What a
button means (record, keep, ...) is the studio's command table's business, not this module's:
it only reports button numbers.

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

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum
from types import ModuleType, TracebackType
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


def _trigger_deadzone(value: float, deadzone: float) -> float:
    if value <= deadzone:
        return 0.0
    return min(1.0, (value - deadzone) / (1.0 - deadzone))


def _readonly(values: Sequence[float]) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False  # a snapshot: consumers must not edit shared state
    return array


@dataclass(frozen=True)
class GamepadState:
    """One poll's snapshot of the active gamepad."""

    connected: bool = False
    name: str = ""
    sticks: np.ndarray = field(default_factory=lambda: _readonly([0.0] * 4))
    """(4,) left x, left y, right x, right y; y is + up; dead-zoned, in the unit circle."""
    triggers: np.ndarray = field(default_factory=lambda: _readonly([0.0] * 2))
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


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of a block if the user has not set it."""
    if name in os.environ:
        yield
        return
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


def prepare_sdl_environment() -> None:
    """SDL hints that must be in place before SDL's first init in this process.

    - No signal handlers: with them SDL turns SIGTERM into an SDL_QUIT event that nobody reads,
      so the studio could no longer be terminated.
    - Background joystick events: the focused window is Qt's, never SDL's.
    """
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")


class _Device:
    """An opened joystick, read through SDL's GameController mapping when it has one."""

    def __init__(self, pygame: ModuleType, controller: ModuleType | None, index: int) -> None:
        self._joystick = pygame.joystick.Joystick(index)
        self._joystick.init()
        self.instance_id: int = self._joystick.get_instance_id()
        self.name: str = self._joystick.get_name()
        self._controller = None
        if controller is not None and controller.is_controller(index):
            # Note: controller.name_forindex() segfaults for non-controllers in pygame 2.6.1;
            # the joystick name is the same string anyway.
            self._controller = controller.Controller(index)
        self._error: type[Exception] = pygame.error
        self._naxes = self._joystick.get_numaxes()
        self._nbuttons = self._joystick.get_numbuttons()
        # Raw trigger axes usually rest at -1 (Linux maps 0..255 onto the full int16 range);
        # remember where each axis rests so an unmapped trigger reads 0 when released.
        self._rest = [self._joystick.get_axis(i) for i in range(self._naxes)]

    @property
    def mapped(self) -> bool:
        return self._controller is not None

    @property
    def button_count(self) -> int:
        """How many buttons :meth:`button` reads (the layout's, or the device's raw count)."""
        return len(Button) if self._controller is not None else self._nbuttons

    def stick(self, axis: int) -> float:
        """A stick axis in [-1, 1] (SDL sign: y + down)."""
        try:
            if self._controller is not None:
                if axis >= len(Axis):
                    return 0.0
                return max(-1.0, self._controller.get_axis(axis) / 32767.0)
            return float(self._joystick.get_axis(axis)) if axis < self._naxes else 0.0
        except self._error:
            return 0.0

    def trigger(self, axis: int) -> float:
        """A trigger in [0, 1]."""
        try:
            if self._controller is not None:
                if axis >= len(Axis):
                    return 0.0
                return min(1.0, max(0.0, self._controller.get_axis(axis) / 32767.0))
            if axis >= self._naxes:
                return 0.0
            value, rest = float(self._joystick.get_axis(axis)), self._rest[axis]
            if rest < -0.5:  # a -1..1 trigger
                return min(1.0, max(0.0, (value + 1.0) / 2.0))
            return min(1.0, max(0.0, value))
        except self._error:
            return 0.0

    def button(self, button: int) -> bool:
        try:
            if self._controller is not None:
                return button < len(Button) and bool(self._controller.get_button(button))
            return button < self._nbuttons and bool(self._joystick.get_button(button))
        except self._error:
            return False

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._controller is not None:
                self._controller.quit()
            self._joystick.quit()


class Gamepad:
    """The studio's gamepad: poll it from the control loop (any rate; it never blocks).

    SDL is initialised lazily on the first :meth:`poll` (video with the ``dummy`` driver unless
    ``SDL_VIDEODRIVER`` is set, because pygame only pumps events with video up; no window is ever
    created). Without a pad, or if SDL cannot start, polls return ``connected=False``.
    The first connected device is active until it is unplugged; then the next one takes over.

    Use one ``Gamepad`` per process: SDL's event queue is process-wide and each poll drains it,
    so two instances would steal each other's button presses.

    Args:
        bindings: axis bindings and dead-zones; defaults to :class:`GamepadBindings`.
    """

    def __init__(self, bindings: GamepadBindings | None = None) -> None:
        self.bindings = bindings if bindings is not None else GamepadBindings()
        self.error: str | None = None
        """Why SDL could not start, if it could not (the GUI can show it)."""
        self._pygame: ModuleType | None = None
        self._controller: ModuleType | None = None
        self._device: _Device | None = None
        self._closed = False
        self._last_device: tuple[bool, int | None] = (False, None)

    def _ensure_init(self) -> bool:
        pg = self._pygame
        if pg is not None:
            if pg.display.get_init() and pg.joystick.get_init():
                return True
            # Someone called pygame.quit(): SDL freed our device with it, so forget it (closing
            # it would touch freed memory) and start SDL again.
            self._device, self._pygame = None, None
        if self.error is not None or self._closed:
            return False
        prepare_sdl_environment()
        try:
            import pygame

            if not pygame.display.get_init():
                with _env("SDL_VIDEODRIVER", "dummy"):
                    pygame.display.init()
            pygame.joystick.init()
        except Exception as exc:  # ImportError, pygame.error: run without a gamepad
            self.error = f"gamepad unavailable: {exc}"
            return False
        try:
            from pygame._sdl2 import controller

            controller.init()
            controller.set_eventstate(True)
            self._controller = controller
        except Exception:
            # Private pygame module: without it every pad is read with raw indices.
            self._controller = None
        self._pygame = pygame
        return True

    @property
    def active_name(self) -> str:
        """The active device's name, or "" when none."""
        return self._device.name if self._device is not None else ""

    def _activate_first(self) -> None:
        """Open the first device SDL lists (the earliest plugged in that is still there)."""
        assert self._pygame is not None
        for index in range(self._pygame.joystick.get_count()):
            try:
                self._device = _Device(self._pygame, self._controller, index)
                return
            except self._pygame.error:
                continue  # unplugged between listing and opening

    def _device_present(self) -> bool:
        """Whether the active device is still among those SDL lists."""
        assert self._pygame is not None and self._device is not None
        joystick = self._pygame.joystick
        try:
            ids = {joystick.Joystick(i).get_instance_id() for i in range(joystick.get_count())}
        except self._pygame.error:
            return False
        return self._device.instance_id in ids

    def poll(self) -> GamepadState:
        """Pump SDL's events, follow hot-plug and return a snapshot. Never blocks."""
        if not self._ensure_init():
            return GamepadState()
        pg = self._pygame
        assert pg is not None
        pressed: list[int] = []
        button_down = {pg.JOYBUTTONDOWN}
        if self._controller is not None:
            button_down.add(pg.CONTROLLERBUTTONDOWN)
        try:
            pending = pg.event.get()  # also pumps: SDL applies new device reports here
        except (SystemError, KeyError):
            # pygame 2.6 can fail converting a removal event for a device it never opened
            # (e.g. a second pad plugged in and out between two polls). Losing that batch of
            # events is harmless; losing the control loop is not. Re-scan the devices instead.
            pending = []
            if self._device is not None and not self._device_present():
                self._device.close()
                self._device = None
        for event in pending:
            if event.type == pg.JOYDEVICEADDED:
                if self._device is None:
                    self._activate_first()
            elif event.type == pg.JOYDEVICEREMOVED:
                if self._device is not None and event.instance_id == self._device.instance_id:
                    self._device.close()
                    self._device = None
                    self._activate_first()
            elif event.type in button_down:
                device = self._device
                # A mapped pad sends both events; take the one numbered in the layout we read.
                wanted = pg.CONTROLLERBUTTONDOWN if device and device.mapped else pg.JOYBUTTONDOWN
                if device and event.type == wanted and event.instance_id == device.instance_id:
                    pressed.append(int(event.button))
        if self._device is None:
            self._activate_first()  # pads present before init, or events drained elsewhere
        return self._snapshot(tuple(pressed))

    def _snapshot(self, pressed: tuple[int, ...]) -> GamepadState:
        device, b = self._device, self.bindings
        key = (device is not None, device.instance_id if device is not None else None)
        changed, self._last_device = key != self._last_device, key
        if device is None:
            return GamepadState(pressed=pressed, changed=changed)
        sign = 1.0 if b.invert_y else -1.0  # SDL's y is + down; ours is + up
        left = radial_deadzone(device.stick(b.left_x), sign * device.stick(b.left_y), b.deadzone)
        right = radial_deadzone(device.stick(b.right_x), sign * device.stick(b.right_y), b.deadzone)
        triggers = [
            _trigger_deadzone(device.trigger(b.left_trigger), b.trigger_deadzone),
            _trigger_deadzone(device.trigger(b.right_trigger), b.trigger_deadzone),
        ]
        held = frozenset(i for i in range(device.button_count) if device.button(i))
        return GamepadState(
            connected=True,
            name=device.name,
            sticks=_readonly([*left, *right]),
            triggers=_readonly(triggers),
            pressed=pressed,
            held=held,
            changed=changed,
            mapped=device.mapped,
        )

    def close(self) -> None:
        """Release the device. SDL itself stays initialised: it is shared by the process."""
        if self._device is not None:
            self._device.close()
            self._device = None
        self._closed = True
        self._pygame = None

    def __enter__(self) -> Gamepad:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
