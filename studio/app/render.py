"""Rendering off the GUI thread: a worker with its own env copy, GL context and renderer.

The live env's MjData belongs to the GUI thread (docs/ARCHITECTURE.md, "Threads"). To render
without blocking the control loop, the GUI thread sends the worker a *copy* of the state
(``env.get_state()``, a few hundred floats) and the camera; the worker restores it into its own
env instance with ``set_state`` (exact, task state included) and renders that. So no MjData is
shared between threads, and a slow software-GL frame delays only the picture, never a control
step.

Requests are coalesced: while the worker is busy, only the newest request is kept. With
``threaded=False`` the same worker draws on the GUI thread inside :meth:`AsyncRenderer.request`
(benchmarks compare the two).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import mujoco
import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

from studio.envs import make_env
from studio.envs.rendering import FrameRenderer

CAMERA_FIELDS = ("type", "fixedcamid", "trackbodyid", "distance", "azimuth", "elevation")


@dataclass
class RenderRequest:
    """Everything the worker needs to draw one frame."""

    env_id: str
    state: np.ndarray  # (S,) env.get_state()
    camera: dict  # MjvCamera fields, see camera_to_dict
    width: int
    height: int
    shadows: bool = False
    serial: int = 0


def camera_to_dict(cam: mujoco.MjvCamera) -> dict:
    """A plain copy of an ``MjvCamera`` (safe to hand to another thread)."""
    d = {k: getattr(cam, k) for k in CAMERA_FIELDS}
    d["lookat"] = np.array(cam.lookat, dtype=np.float64)
    return d


def camera_from_dict(d: dict, cam: mujoco.MjvCamera) -> mujoco.MjvCamera:
    """Write a :func:`camera_to_dict` copy into ``cam``."""
    for k in CAMERA_FIELDS:
        setattr(cam, k, d[k])
    cam.lookat[:] = d["lookat"]
    return cam


class _Worker(QObject):
    """Lives in the render thread; owns its env and :class:`FrameRenderer`."""

    frame_ready = Signal(object, object, float)  # frame (H, W, 3), request, seconds

    def __init__(self) -> None:
        super().__init__()
        self._env = None
        self._env_id = ""
        self._renderer = FrameRenderer()
        self._camera = mujoco.MjvCamera()

    @Slot(object)
    def render(self, request: RenderRequest) -> None:
        t0 = time.perf_counter()
        try:
            frame = self._render(request)
        except Exception as exc:  # never let a bad frame kill the thread: report an empty one
            frame = None
            print(f"render worker: {exc}", flush=True)
        self.frame_ready.emit(frame, request, time.perf_counter() - t0)

    def _render(self, request: RenderRequest) -> np.ndarray:
        if request.env_id != self._env_id:
            self.shutdown()
            self._env = make_env(request.env_id)
            self._env.reset(seed=0)
            self._env_id = request.env_id
        env = self._env
        assert env is not None
        env.set_state(request.state)
        camera_from_dict(request.camera, self._camera)
        return self._renderer.render(
            env.model,
            env.data,
            self._camera,
            request.width,
            request.height,
            shadows=request.shadows,
        )

    @Slot()
    def shutdown(self) -> None:
        self._renderer.close()
        if self._env is not None:
            self._env.close()
            self._env = None
        self._env_id = ""


class AsyncRenderer(QObject):
    """GUI-thread handle of the render thread (or of the worker itself when not threaded).

    Signals:
        frame_rendered(frame, seconds): a frame is ready (``seconds``: the worker's render time).
    """

    frame_rendered = Signal(object, float)
    _requested = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, parent: QObject | None = None, *, threaded: bool = True) -> None:
        super().__init__(parent)
        self.threaded = threaded
        self._thread = QThread()
        self._thread.setObjectName("studio-render")
        self._worker = _Worker()
        if threaded:
            self._worker.moveToThread(self._thread)
        self._requested.connect(self._worker.render)
        self._shutdown_requested.connect(
            self._worker.shutdown,
            Qt.ConnectionType.BlockingQueuedConnection
            if threaded
            else Qt.ConnectionType.DirectConnection,
        )
        self._worker.frame_ready.connect(self._on_frame_ready)
        if threaded:
            self._thread.start()
        # A QThread destroyed while running aborts the process: stop it whatever happens.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.close)
        self._busy = False
        self._pending: RenderRequest | None = None
        self._serial = 0
        self.last_serial = 0  # serial of the newest frame delivered

    @property
    def busy(self) -> bool:
        """True while the worker draws a frame."""
        return self._busy

    def request(self, request: RenderRequest) -> int:
        """Ask for a frame; returns its serial (frames arrive in order, some may be skipped)."""
        self._serial += 1
        request.serial = self._serial
        if self._busy:
            self._pending = request  # only the newest state matters
        else:
            self._busy = True
            self._requested.emit(request)
        return request.serial

    def _on_frame_ready(self, frame, request: RenderRequest, seconds: float) -> None:
        self._busy = False
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._busy = True
            self._requested.emit(pending)
        if frame is not None:
            self.last_serial = request.serial
            self.frame_rendered.emit(frame, seconds)

    def close(self) -> None:
        """Release the worker's GL context and env, and stop the thread."""
        if not self.threaded:
            self._worker.shutdown()
            return
        if not self._thread.isRunning():
            return
        self._pending = None
        self._shutdown_requested.emit()
        self._thread.quit()
        self._thread.wait(5000)
