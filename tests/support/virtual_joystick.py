"""A real SDL virtual joystick, attached through ctypes to the libSDL2 that pygame itself uses.

SDL (>= 2.0.14) can attach a software joystick that behaves like a plugged-in device: it emits
JOYDEVICEADDED, reports axes and buttons, and is recognised as a game controller. Tests and
benchmarks drive :class:`studio.gamepad.Gamepad` with it, so the whole path (hot-plug, event
pump, GameController mapping) is exercised without hardware.

The ctypes handle must point at the *same* library instance that pygame's extension modules are
linked against: a second copy of SDL would have its own device list that pygame never sees. On
Linux the wheel bundles ``pygame.libs/libSDL2-2-<hash>.0.so.*``; we read the path of the copy
that is already mapped into the process from ``/proc/self/maps`` (dlopen of an already-loaded
path returns that same instance), and fall back to globbing pygame's package folders elsewhere.

Example::

    with VirtualJoystick() as vj:
        vj.set_axis(0, 0.5)   # left stick half right
        vj.tap(0)             # A
        state = Gamepad().poll()
"""

from __future__ import annotations

import contextlib
import ctypes
import glob
import os
import sys
from pathlib import Path
from types import TracebackType

# pygame prints a banner on import unless told not to.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from studio.gamepad_mapping import Axis, Button
from studio.gamepad_sdl import prepare_sdl_environment

# SDL_JoystickType values (SDL_joystick.h).
SDL_JOYSTICK_TYPE_UNKNOWN = 0
SDL_JOYSTICK_TYPE_GAMECONTROLLER = 1

# SDL auto-maps a virtual GAMECONTROLLER device onto the GameController layout, index for index:
# button i -> Button(i), axis i -> Axis(i).
__all__ = [
    "Axis",
    "Button",
    "VirtualJoystick",
    "VirtualJoystickUnsupportedError",
    "load_pygame_sdl",
]

SDL_INIT_JOYSTICK = 0x200
MIN_SDL_VERSION = (2, 0, 14)  # SDL_JoystickAttachVirtual appeared in 2.0.14.


class VirtualJoystickUnsupportedError(RuntimeError):
    """pygame's SDL is too old for virtual joysticks or its library cannot be located."""


def _pygame_sdl_candidates() -> list[str]:
    """Paths where pygame's own libSDL2 may live, the already-loaded copy first."""
    found: list[str] = []
    maps = Path("/proc/self/maps")
    if maps.exists():
        for line in maps.read_text().splitlines():
            fields = line.split()
            path = fields[-1] if len(fields) >= 6 else ""  # 6th field: the mapped file, if any
            name = os.path.basename(path)
            # Exclude SDL2_image / SDL2_mixer / SDL2_ttf: they do not export the joystick API.
            if name.startswith(("libSDL2-2", "libSDL2.so")) and path not in found:
                found.append(path)
    pkg = Path(pygame.__file__).resolve().parent
    patterns = [
        str(pkg.parent / "pygame.libs" / "libSDL2-2*.so*"),  # manylinux wheels (auditwheel)
        str(pkg / ".dylibs" / "libSDL2-2.0*.dylib"),  # macOS wheels (delocate)
        str(pkg / "SDL2.dll"),  # Windows wheels
    ]
    for pattern in patterns:
        found.extend(p for p in sorted(glob.glob(pattern)) if p not in found)
    return found


def load_pygame_sdl() -> ctypes.CDLL:
    """Return a ctypes handle on the libSDL2 instance that pygame is using.

    Raises:
        VirtualJoystickUnsupportedError: SDL is older than 2.0.14 or the library cannot be found.
    """
    version = tuple(pygame.get_sdl_version())
    if version < MIN_SDL_VERSION:
        raise VirtualJoystickUnsupportedError(
            f"SDL {'.'.join(map(str, version))} has no virtual joysticks (needs >= 2.0.14)"
        )
    for path in _pygame_sdl_candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "SDL_JoystickAttachVirtual"):
            _declare(lib)
            return lib
    raise VirtualJoystickUnsupportedError(
        f"cannot find pygame's libSDL2 (pygame at {Path(pygame.__file__).parent}, {sys.platform})"
    )


def _declare(lib: ctypes.CDLL) -> None:
    """Give ctypes the C signatures (without them pointers are truncated to int)."""
    c_int, c_void_p = ctypes.c_int, ctypes.c_void_p
    signatures = {
        "SDL_JoystickAttachVirtual": ([c_int, c_int, c_int, c_int], c_int),
        "SDL_JoystickDetachVirtual": ([c_int], c_int),
        "SDL_JoystickOpen": ([c_int], c_void_p),
        "SDL_JoystickClose": ([c_void_p], None),
        "SDL_JoystickInstanceID": ([c_void_p], ctypes.c_int32),
        "SDL_JoystickGetDeviceInstanceID": ([c_int], ctypes.c_int32),
        "SDL_NumJoysticks": ([], c_int),
        "SDL_JoystickSetVirtualAxis": ([c_void_p, c_int, ctypes.c_int16], c_int),
        "SDL_JoystickSetVirtualButton": ([c_void_p, c_int, ctypes.c_uint8], c_int),
        "SDL_JoystickSetVirtualHat": ([c_void_p, c_int, ctypes.c_uint8], c_int),
        "SDL_JoystickUpdate": ([], None),
        "SDL_JoystickName": ([c_void_p], ctypes.c_char_p),
        "SDL_GetError": ([], ctypes.c_char_p),
        "SDL_WasInit": ([ctypes.c_uint32], ctypes.c_uint32),
    }
    for name, (argtypes, restype) in signatures.items():
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = argtypes, restype


class VirtualJoystick:
    """A software game controller that pygame (and so :class:`Gamepad`) sees as a real device.

    SDL applies the values set here only when joysticks are updated (an event pump, e.g.
    ``Gamepad.poll()``), exactly like a real device whose reports are read on the next pump.

    Args:
        naxes: number of axes; the default 6 is the GameController layout (LX, LY, RX, RY, LT, RT).
        nbuttons: number of buttons; the default 15 covers every GameController button.
        nhats: number of hats.
        joystick_type: ``SDL_JOYSTICK_TYPE_GAMECONTROLLER`` (named "Virtual Controller" and
            auto-mapped by SDL; its triggers start released, at -32768) or
            ``SDL_JOYSTICK_TYPE_UNKNOWN`` (a raw "Virtual Joystick" with no mapping).
    """

    def __init__(
        self,
        naxes: int = 6,
        nbuttons: int = 15,
        nhats: int = 1,
        joystick_type: int = SDL_JOYSTICK_TYPE_GAMECONTROLLER,
    ) -> None:
        self._sdl = load_pygame_sdl()
        prepare_sdl_environment()
        # The joystick subsystem must be up in *this* SDL before attaching; pygame's init is
        # idempotent and shares SDL's reference count with Gamepad.
        pygame.joystick.init()
        index = self._sdl.SDL_JoystickAttachVirtual(joystick_type, naxes, nbuttons, nhats)
        if index < 0:
            raise RuntimeError(f"SDL_JoystickAttachVirtual failed: {self._error()}")
        # Opening is required to set values (SDL_JoystickSetVirtual* take a joystick handle).
        self._joy: int | None = self._sdl.SDL_JoystickOpen(index)
        if not self._joy:
            self._sdl.SDL_JoystickDetachVirtual(index)
            raise RuntimeError(f"SDL_JoystickOpen failed: {self._error()}")
        self.instance_id: int = self._sdl.SDL_JoystickInstanceID(self._joy)
        self.name: str = (self._sdl.SDL_JoystickName(self._joy) or b"").decode()
        self.naxes, self.nbuttons, self.nhats = naxes, nbuttons, nhats
        self.joystick_type = joystick_type

    def _error(self) -> str:
        return (self._sdl.SDL_GetError() or b"").decode(errors="replace")

    def _handle(self) -> int:
        if self._joy is None:
            raise RuntimeError("virtual joystick is detached")
        return self._joy

    @property
    def attached(self) -> bool:
        """Whether the device is still attached."""
        return self._joy is not None

    def set_axis(self, axis: int, value: float) -> None:
        """Set a raw axis from a float in [-1, 1] (SDL convention: stick y is + when pushed DOWN).

        For the GameController trigger axes (4, 5), -1 is released and +1 fully pressed; see
        :meth:`set_trigger` for the 0..1 form.
        """
        if not 0 <= axis < self.naxes:
            raise IndexError(f"axis {axis} out of range (device has {self.naxes})")
        v = max(-1.0, min(1.0, float(value)))
        # Asymmetric int16 range: -1 -> -32768, +1 -> 32767, 0 -> 0.
        raw = round(v * 32768) if v < 0 else round(v * 32767)
        if self._sdl.SDL_JoystickSetVirtualAxis(self._handle(), axis, raw) < 0:
            raise RuntimeError(f"SDL_JoystickSetVirtualAxis failed: {self._error()}")

    def set_trigger(self, axis: int, value: float) -> None:
        """Set a trigger axis from 0 (released) to 1 (fully pressed)."""
        self.set_axis(axis, 2.0 * max(0.0, min(1.0, float(value))) - 1.0)

    def set_button(self, button: int, pressed: bool) -> None:
        """Set a button's state."""
        if not 0 <= button < self.nbuttons:
            raise IndexError(f"button {button} out of range (device has {self.nbuttons})")
        if self._sdl.SDL_JoystickSetVirtualButton(self._handle(), button, int(pressed)) < 0:
            raise RuntimeError(f"SDL_JoystickSetVirtualButton failed: {self._error()}")

    def press(self, button: int) -> None:
        """Hold a button down."""
        self.set_button(button, True)

    def release(self, button: int) -> None:
        """Let a button go."""
        self.set_button(button, False)

    def tap(self, button: int) -> None:
        """Press and release a button, as one complete click that is not lost between pumps.

        A virtual device only holds its current state, so press+release before the next pump
        would never be seen. Updating in between queues the button-down event for the consumer.
        """
        self.press(button)
        self.update()
        self.release(button)

    def update(self) -> None:
        """Push the values set so far into SDL's event queue (what an event pump also does)."""
        self._sdl.SDL_JoystickUpdate()

    def detach(self) -> None:
        """Unplug the device (JOYDEVICEREMOVED follows on the next pump). Idempotent."""
        if self._joy is None:
            return
        if not self._sdl.SDL_WasInit(SDL_INIT_JOYSTICK):
            # SDL already quit (pygame.quit() at exit): it freed the device and the handle with
            # it; closing that handle now would touch freed memory.
            self._joy = None
            return
        self._sdl.SDL_JoystickClose(self._joy)
        self._joy = None
        # Device indices shift as devices come and go; find ours by its stable instance id.
        for index in range(self._sdl.SDL_NumJoysticks()):
            if self._sdl.SDL_JoystickGetDeviceInstanceID(index) == self.instance_id:
                self._sdl.SDL_JoystickDetachVirtual(index)
                return

    def __enter__(self) -> VirtualJoystick:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.detach()

    def __del__(self) -> None:
        # Best effort: a leaked virtual device would look plugged in to every later test.
        with contextlib.suppress(Exception):
            self.detach()
