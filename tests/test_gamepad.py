"""Gamepad layer, driven by a real SDL virtual joystick on pygame's own libSDL2 (no Qt, no pad)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

pygame = pytest.importorskip("pygame")

from studio.gamepad import Gamepad  # noqa: E402
from studio.gamepad_mapping import (  # noqa: E402
    Axis,
    Button,
    GamepadBindings,
    GamepadState,
    radial_deadzone,
)
from tests.support.virtual_joystick import (  # noqa: E402
    SDL_JOYSTICK_TYPE_UNKNOWN,
    VirtualJoystick,
    VirtualJoystickUnsupportedError,
    load_pygame_sdl,
)

ARM = ["ee_vx", "ee_vy"]
CAR = ["throttle", "steering"]
DZ = GamepadBindings().deadzone
# int16 quantisation of the virtual axes (1/32767) plus float32 actions.
TOL = 2e-4


def _attach(**kwargs: int) -> VirtualJoystick:
    try:
        return VirtualJoystick(**kwargs)
    except VirtualJoystickUnsupportedError as exc:
        pytest.skip(f"no SDL virtual joysticks: {exc}")


@pytest.fixture
def pad() -> Iterator[Gamepad]:
    gamepad = Gamepad()
    gamepad.poll()  # initialise SDL and drain what earlier tests left in the shared queue
    yield gamepad
    gamepad.close()


@pytest.fixture
def vj() -> Iterator[VirtualJoystick]:
    joystick = _attach()
    yield joystick
    joystick.detach()  # a leaked device would look plugged in to every later test


@pytest.fixture
def live(pad: Gamepad, vj: VirtualJoystick) -> tuple[Gamepad, VirtualJoystick]:
    """A pad that has already picked up the virtual controller."""
    assert pad.poll().connected
    return pad, vj


def test_virtual_joystick_uses_pygames_own_sdl() -> None:
    lib = load_pygame_sdl()
    pygame_root = Path(pygame.__file__).resolve().parent.parent
    assert Path(lib._name).resolve().is_relative_to(pygame_root), lib._name
    pygame.joystick.init()
    before = pygame.joystick.get_count()
    with _attach() as joystick:
        # A second SDL copy would keep its own device list, invisible to pygame.
        assert pygame.joystick.get_count() == before + 1
        assert joystick.name == "Virtual Controller"
    assert pygame.joystick.get_count() == before


def test_no_device_reports_disconnected_and_zero_action() -> None:
    pygame.joystick.init()
    if pygame.joystick.get_count():
        pytest.skip("a real joystick is plugged in")
    with Gamepad() as pad:
        for _ in range(3):
            state = pad.poll()
            assert not state.connected
            assert state.name == ""
            assert state.pressed == ()
            np.testing.assert_array_equal(state.sticks, np.zeros(4))
            np.testing.assert_array_equal(state.action(ARM), np.zeros(2, np.float32))
            np.testing.assert_array_equal(state.action(CAR), np.zeros(2, np.float32))
            assert state.action(["a"] * 7).shape == (7,)


def test_default_state_is_disconnected() -> None:
    state = GamepadState()
    assert not state.connected
    np.testing.assert_array_equal(state.action(CAR), [0.0, 0.0])


def test_hot_plug_is_detected_and_reported_once(pad: Gamepad) -> None:
    assert not pad.poll().connected
    joystick = _attach()
    try:
        state = pad.poll()
        assert state.connected
        assert state.name == "Virtual Controller"
        assert state.mapped  # read through SDL's GameController layout
        assert state.changed
        assert not pad.poll().changed
        assert pad.active_name == "Virtual Controller"
    finally:
        joystick.detach()
    state = pad.poll()
    assert not state.connected
    assert state.changed
    assert state.name == ""
    np.testing.assert_array_equal(state.action(ARM), [0.0, 0.0])
    assert not pad.poll().changed


def test_values_set_while_detached_device_is_held_are_zeroed_on_unplug(
    live: tuple[Gamepad, VirtualJoystick],
) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_X, 1.0)
    assert pad.poll().sticks[0] == pytest.approx(1.0, abs=TOL)
    vj.detach()
    state = pad.poll()
    assert not state.connected
    np.testing.assert_array_equal(state.action(ARM), [0.0, 0.0])


def test_stick_y_is_positive_up_and_full_deflection_is_one(
    live: tuple[Gamepad, VirtualJoystick],
) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_Y, -1.0)  # SDL: negative y = pushed up
    vj.set_axis(Axis.RIGHT_Y, 1.0)  # pushed down
    vj.set_axis(Axis.RIGHT_X, -1.0)
    sticks = pad.poll().sticks
    # The right stick sits in the corner of a square gate: clamped onto the unit circle.
    corner = -1.0 / math.sqrt(2)
    np.testing.assert_allclose(sticks, [0.0, 1.0, corner, corner], atol=TOL)


def test_radial_deadzone_rescales_continuously(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_X, 0.10)
    vj.set_axis(Axis.LEFT_Y, -0.05)  # |(0.10, 0.05)| = 0.112 < 0.12: inside the dead-zone
    np.testing.assert_array_equal(pad.poll().sticks, np.zeros(4))
    vj.set_axis(Axis.LEFT_Y, 0.0)
    vj.set_axis(Axis.LEFT_X, DZ + 0.002)  # just past the edge: tiny, not a jump to 0.12
    assert 0.0 < pad.poll().sticks[0] < 0.005
    vj.set_axis(Axis.LEFT_X, DZ + (1 - DZ) / 2)  # half way between edge and full = 0.5
    assert pad.poll().action(ARM)[0] == pytest.approx(0.5, abs=TOL)


def test_radial_deadzone_function() -> None:
    assert radial_deadzone(0.1, 0.0, 0.12) == (0.0, 0.0)
    x, y = radial_deadzone(0.3, 0.4, 0.12)  # magnitude 0.5, direction (0.6, 0.8)
    magnitude = (0.5 - 0.12) / 0.88
    assert (x, y) == pytest.approx((0.6 * magnitude, 0.8 * magnitude))
    # Continuity at the edge, and monotone beyond it.
    edge = [math.hypot(*radial_deadzone(0.12 + d, 0.0, 0.12)) for d in (1e-9, 1e-3, 1e-2)]
    assert edge[0] < 1e-6 and edge[0] < edge[1] < edge[2]
    assert radial_deadzone(1.0, 1.0, 0.12) == pytest.approx((2**-0.5, 2**-0.5))


def test_arm_action_follows_left_stick(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_X, 0.56)  # right
    vj.set_axis(Axis.LEFT_Y, 0.0)
    vj.set_axis(Axis.RIGHT_X, 1.0)  # the right stick does not move the arm in the plane
    action = pad.poll().action(ARM)
    assert action.dtype == np.float32 and action.shape == (2,)
    np.testing.assert_allclose(action, [(0.56 - DZ) / (1 - DZ), 0.0], atol=TOL)
    vj.set_axis(Axis.LEFT_X, 0.0)
    vj.set_axis(Axis.LEFT_Y, -1.0)  # up = away from the viewer = +y
    np.testing.assert_allclose(pad.poll().action(ARM), [0.0, 1.0], atol=TOL)
    vj.set_axis(Axis.RIGHT_X, 0.0)
    vj.set_axis(Axis.RIGHT_Y, -1.0)
    np.testing.assert_allclose(pad.poll().action([*ARM, "ee_vz"]), [0.0, 1.0, 1.0], atol=TOL)


def test_car_action_stick_left_turns_left(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_Y, -1.0)  # forward
    vj.set_axis(Axis.LEFT_X, -1.0)  # left
    throttle, steering = pad.poll().action(CAR)
    assert throttle > 0.5 and steering > 0.5  # forward, +steering = left
    vj.set_axis(Axis.LEFT_X, 0.0)
    vj.set_axis(Axis.LEFT_Y, 1.0)
    vj.set_axis(Axis.RIGHT_X, 1.0)  # right stick steers when deflected: right -> -1
    np.testing.assert_allclose(pad.poll().action(CAR), [-1.0, -1.0], atol=TOL)


def test_car_triggers_override_stick_throttle(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    vj.set_axis(Axis.LEFT_Y, 1.0)  # stick says reverse ...
    vj.set_trigger(Axis.TRIGGER_RIGHT, 1.0)  # ... but the right trigger is floored
    state = pad.poll()
    np.testing.assert_allclose(state.triggers, [0.0, 1.0], atol=TOL)
    assert state.action(CAR)[0] == pytest.approx(1.0, abs=TOL)
    vj.set_trigger(Axis.TRIGGER_LEFT, 1.0)  # brake fully: net zero
    assert pad.poll().action(CAR)[0] == pytest.approx(0.0, abs=TOL)
    vj.set_trigger(Axis.TRIGGER_RIGHT, 0.0)
    assert pad.poll().action(CAR)[0] == pytest.approx(-1.0, abs=TOL)
    vj.set_trigger(Axis.TRIGGER_LEFT, 0.03)  # resting finger: inside the trigger dead-zone
    state = pad.poll()
    assert state.triggers[0] == 0.0
    assert state.action(CAR)[0] == pytest.approx(-1.0, abs=TOL)  # back to the stick


def test_unknown_labels_take_stick_axes_in_order(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    raw = (0.3, -0.4, -0.6, 0.8)  # SDL signs: left up-right, right down-left
    for axis, value in zip(Axis, raw, strict=False):
        vj.set_axis(axis, value)
    sticks = [*radial_deadzone(0.3, 0.4, DZ), *radial_deadzone(-0.6, -0.8, DZ)]
    state = pad.poll()
    np.testing.assert_allclose(state.sticks, sticks, atol=TOL)
    np.testing.assert_allclose(state.action(["j0", "j1", "j2"]), sticks[:3], atol=TOL)
    np.testing.assert_allclose(state.action([f"j{i}" for i in range(6)]), [*sticks, 0, 0], atol=TOL)
    # One unknown label is enough to fall back to the generic mapping.
    np.testing.assert_allclose(state.action(["ee_vx", "gripper"]), sticks[:2], atol=TOL)


def test_buttons_are_reported_by_their_layout_number(
    live: tuple[Gamepad, VirtualJoystick],
) -> None:
    """The pad reports button numbers; what they mean is the studio's command table's job."""
    pad, vj = live
    for button in (Button.A, Button.B, Button.X, Button.Y, Button.START, Button.DPAD_UP):
        vj.tap(button)
        assert pad.poll().pressed == (int(button),), button.name
    assert pad.poll().pressed == ()


def test_button_events_are_edge_triggered(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    vj.press(Button.A)
    first = pad.poll()
    assert first.pressed == (Button.A,)
    assert first.held == {Button.A}
    for _ in range(5):  # holding does not repeat
        state = pad.poll()
        assert state.pressed == ()
        assert state.held == {Button.A}
    vj.release(Button.A)
    state = pad.poll()
    assert state.pressed == () and state.held == frozenset()
    # Two quick clicks between polls are two events, in order, and not lost.
    vj.tap(Button.A)
    vj.tap(Button.Y)
    vj.tap(Button.A)
    assert pad.poll().pressed == (Button.A, Button.Y, Button.A)
    assert pad.poll().pressed == ()


def test_first_device_stays_active_and_the_next_takes_over(
    live: tuple[Gamepad, VirtualJoystick],
) -> None:
    pad, first = live
    second = _attach()
    try:
        second.set_axis(Axis.LEFT_X, 1.0)
        second.tap(Button.A)  # the inactive device's buttons and sticks are ignored
        state = pad.poll()
        assert state.connected and not state.changed
        assert state.pressed == () and state.sticks[0] == 0.0
        first.detach()
        state = pad.poll()
        assert state.connected and state.changed  # switched to the other device
        assert state.sticks[0] == pytest.approx(1.0, abs=TOL)
        second.tap(Button.B)
        assert pad.poll().pressed == (Button.B,)
    finally:
        second.detach()
    assert not pad.poll().connected


def test_unmapped_joystick_uses_raw_indices(pad: Gamepad) -> None:
    with _attach(naxes=4, nbuttons=4, nhats=0, joystick_type=SDL_JOYSTICK_TYPE_UNKNOWN) as raw:
        state = pad.poll()
        assert state.connected and not state.mapped
        assert state.name == "Virtual Joystick"
        raw.set_axis(0, -1.0)
        raw.tap(0)
        state = pad.poll()
        assert state.pressed == (0,)  # the raw index: unmapped pads have no layout
        np.testing.assert_allclose(state.action(CAR), [0.0, 1.0], atol=TOL)
        np.testing.assert_array_equal(state.triggers, [0.0, 0.0])  # no trigger axes at all


def test_custom_bindings_invert_y_and_deadzone(vj: VirtualJoystick) -> None:
    bindings = GamepadBindings(deadzone=0.5, invert_y=True)
    with Gamepad(bindings) as pad:
        # SDL only emits GameController button events for controllers that are open, so
        # presses before the pad has picked the device up are not seen (as for a real pad).
        assert pad.poll().connected
        vj.set_axis(Axis.LEFT_Y, -0.75)  # up by 0.75: half way past a 0.5 dead-zone
        vj.tap(Button.B)
        vj.tap(Button.A)
        state = pad.poll()
        assert state.pressed == (Button.B, Button.A)
        assert state.sticks[1] == pytest.approx(-0.5, abs=TOL)  # inverted: up is negative


def test_bindings_round_trip_and_settings_strings() -> None:
    bindings = GamepadBindings(deadzone=0.2, invert_y=True, left_x=3)
    data = bindings.to_dict()
    assert data["deadzone"] == 0.2 and data["left_x"] == 3
    assert GamepadBindings.from_dict(data) == bindings
    # Settings written before buttons moved to the command table still load.
    assert GamepadBindings.from_dict({**data, "buttons": {"0": "record"}}) == bindings
    # QSettings (INI backend) returns everything as strings.
    stored = {k: str(v) if not isinstance(v, dict) else v for k, v in data.items()}
    stored["unknown_future_key"] = "1"
    assert GamepadBindings.from_dict(stored) == bindings
    assert GamepadBindings.from_dict({}) == GamepadBindings()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"deadzone": 1.0}, "deadzone"),
        ({"trigger_deadzone": -0.1}, "trigger_deadzone"),
        ({"left_x": -1}, "left_x"),
    ],
)
def test_bindings_reject_bad_values(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GamepadBindings(**kwargs)
    with pytest.raises(ValueError):
        GamepadBindings.from_dict({"deadzone": "wide"})


def test_state_arrays_are_read_only(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, _ = live
    state = pad.poll()
    with pytest.raises(ValueError):
        state.sticks[0] = 1.0
    action = state.action(ARM)
    action[0] = 0.5  # the action is the caller's own copy: writable, and not shared
    assert state.action(ARM)[0] == 0.0
    assert not np.shares_memory(action, state.sticks)


def test_poll_survives_pygame_quit(live: tuple[Gamepad, VirtualJoystick]) -> None:
    pad, vj = live
    pygame.quit()  # frees SDL's devices, the virtual one included
    vj.detach()  # harmless: must not close the handle SDL already freed
    assert not vj.attached
    state = pad.poll()  # restarts SDL instead of raising "video system not initialized"
    assert not state.connected
    with _attach() as again:
        assert pad.poll().connected
        again.tap(Button.X)
        assert pad.poll().pressed == (Button.X,)


def test_poll_survives_an_event_conversion_error_and_notices_the_unplug(
    live: tuple[Gamepad, VirtualJoystick], monkeypatch: pytest.MonkeyPatch
) -> None:
    """pygame can raise while converting a removal event; the control loop must keep going."""
    pad, vj = live
    assert pad.poll().connected
    import pygame

    def broken_get(*args: object, **kwargs: object) -> list:
        raise KeyError(1)

    vj.detach()
    monkeypatch.setattr(pygame.event, "get", broken_get)
    state = pad.poll()
    assert not state.connected and state.changed
