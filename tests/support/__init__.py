"""Test tooling that is not part of the product (the SDL virtual joystick)."""
