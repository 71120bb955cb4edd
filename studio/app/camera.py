"""The studio's default view of a scene: the whole task in sight.

A scene's own camera (``env.make_camera()``) is what its videos use. The car's is a chase view
that tracks the car, which opens with the goal zone off-screen (issue 9, bug 4): a person
cannot see where to drive. So when a scene's camera tracks a body, the studio opens on a free
camera over the whole model instead, looking the same way (the car's course runs up the screen)
from a readable angle. The camera-reset command (C) comes back to this view.
"""

from __future__ import annotations

from typing import Any

import mujoco

OVERVIEW_ELEVATION = -64.0
"""Degrees below the horizon: steep enough to see the whole floor, low enough to read heights."""
OVERVIEW_DISTANCE = 0.8
"""Camera distance as a fraction of the model's extent (``model.stat.extent``)."""


def default_camera(env: Any) -> mujoco.MjvCamera:
    """The camera the studio opens a scene with (and resets to)."""
    cam = env.make_camera()
    if cam.type != mujoco.mjtCamera.mjCAMERA_TRACKING:
        return cam
    overview = mujoco.MjvCamera()
    overview.type = mujoco.mjtCamera.mjCAMERA_FREE
    stat = env.model.stat
    overview.lookat[:] = [stat.center[0], stat.center[1], 0.0]
    overview.distance = OVERVIEW_DISTANCE * stat.extent
    overview.azimuth = cam.azimuth
    overview.elevation = OVERVIEW_ELEVATION
    return overview
