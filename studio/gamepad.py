"""Gamepad teleoperation through SDL2 (pygame), without Qt.

``Gamepad.poll()`` pumps SDL's events, follows hot-plug, and returns an immutable
:class:`GamepadState` snapshot: dead-zoned sticks, triggers, the buttons pressed since the last
poll and those held, and :meth:`GamepadState.action` to turn it into a scene's action. What a
button means (record, keep, ...) is the studio's command table's business, not this module's:
it only reports button numbers.

The layout (:class:`~studio.gamepad_mapping.Button`, :class:`~studio.gamepad_mapping.Axis`), the
dead-zones and the snapshot live in ``gamepad_mapping``; SDL and the opened device in
``gamepad_sdl``; this module polls.
"""

from __future__ import annotations

from types import ModuleType, TracebackType

from studio.gamepad_mapping import (
    GamepadBindings,
    GamepadState,
    radial_deadzone,
    readonly_array,
    trigger_deadzone,
)
from studio.gamepad_sdl import SdlDevice, prepare_sdl_environment, start_sdl


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
        self._device: SdlDevice | None = None
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
            pygame, controller = start_sdl()
        except Exception as exc:  # ImportError, pygame.error: run without a gamepad
            self.error = f"gamepad unavailable: {exc}"
            return False
        self._pygame, self._controller = pygame, controller
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
                self._device = SdlDevice(self._pygame, self._controller, index)
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
            trigger_deadzone(device.trigger(b.left_trigger), b.trigger_deadzone),
            trigger_deadzone(device.trigger(b.right_trigger), b.trigger_deadzone),
        ]
        held = frozenset(i for i in range(device.button_count) if device.button(i))
        return GamepadState(
            connected=True,
            name=device.name,
            sticks=readonly_array([*left, *right]),
            triggers=readonly_array(triggers),
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
