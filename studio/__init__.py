"""The Imitation Studio application: scenes, teleoperation, control loop, main window and CLI."""

import os
import sys

# MuJoCo's Renderer makes its own OpenGL context. On Linux, EGL works with and without a display
# (and under Xvfb or SSH), where MuJoCo's default (GLFW) needs a visible X server. Users can
# still pick glfw or osmesa by setting MUJOCO_GL themselves.
if sys.platform.startswith("linux"):
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
