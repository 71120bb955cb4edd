"""SDL2 (pygame) under the gamepad: starting SDL without Qt's window, and one opened device read
through SDL's GameController mapping when it has one (see ``gamepad_mapping`` for the layout)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from types import ModuleType

from studio.gamepad_mapping import Axis, Button


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


def start_sdl() -> tuple[ModuleType, ModuleType | None]:
    """Start SDL's video (the ``dummy`` driver unless ``SDL_VIDEODRIVER`` is set) and joysticks.

    Call :func:`prepare_sdl_environment` first.

    Returns:
        pygame, and pygame's GameController module; None for the latter where it cannot start
        (a private pygame module: without it every pad is read with raw indices).

    Raises:
        Exception: pygame is missing or SDL cannot start (ImportError, pygame.error).
    """
    import pygame

    if not pygame.display.get_init():
        with _env("SDL_VIDEODRIVER", "dummy"):
            pygame.display.init()
    pygame.joystick.init()
    try:
        from pygame._sdl2 import controller

        controller.init()
        controller.set_eventstate(True)
    except Exception:
        return pygame, None
    return pygame, controller


class SdlDevice:
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
