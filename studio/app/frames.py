"""The frame scheduler: what to draw at each display tick, the render requests, fps and RTF.

At each tick of a 60 Hz display timer the scheduler picks the state to draw:

- driving (live, recording): the substeps of the control step just taken, at the fraction of
  the next step that wall time × speed has covered (``LiveScene.phase``), so the picture moves
  at the display rate while the env steps at the control rate;
- playing back: the substeps of the recorded action from the exact recorded state, at the
  playback clock's fraction; they land bit for bit on the next recorded state;
- otherwise (paused, ended, a restored frame, a camera move): the env's own state, once.

A frame whose pose (positions and task state, :meth:`StudioEnv.pose_of`) matches the last one
drawn is not drawn again: an arm at rest would otherwise keep the software renderer busy at the
display rate, taking the core that a training run in the background needs. The overlay is
still refreshed at every tick, and the frame counts as shown (the picture on screen is current).

It hands that state to the renderer (its own thread by default) and shows what comes back.
It also owns the rate meter behind the status bar's frames/s and real-time factor.
"""

from __future__ import annotations

import collections
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from studio.app.clock import RateMeter
from studio.app.modes import ModeMachine
from studio.app.playback import PlaybackController
from studio.app.render import CAMERA_FIELDS, AsyncRenderer, RenderRequest, camera_to_dict
from studio.app.scene import LiveScene, Step
from studio.app.substeps import SubstepSimulator, blend
from studio.envs import make_env
from widgets.viewport import Viewport

DISPLAY_HZ = 60.0
# Render at most this many pixels and let the viewport scale up: the software renderer's cost
# grows with the pixel count; ~0.4 MP keeps software rendering interactive on a laptop CPU.
MAX_RENDER_PIXELS = 720 * 540


class _Transition:
    """One control step to draw: its end states and, computed on first use, its substeps."""

    def __init__(self, key: object, state: np.ndarray, action: np.ndarray, after: np.ndarray):
        self.key = key
        self.state, self.action, self.after = state, action, after
        self.rows: np.ndarray | None = None


class FrameScheduler(QObject):
    """Draws the scene into the viewport at the display rate.

    Signals:
        about_to_show(): a rendered frame is about to go into the viewport (refresh what is
            drawn over it: the overlay's per-step parts); emitted on the GUI thread.
        frame_shown(): a new frame was put into the viewport.
    """

    about_to_show = Signal()
    frame_shown = Signal()

    def __init__(
        self,
        viewport: Viewport,
        modes: ModeMachine,
        scene: LiveScene,
        playback: PlaybackController,
        *,
        threaded: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._viewport = viewport
        self._modes = modes
        self._playback = playback
        self.renderer = AsyncRenderer(self, threaded=threaded)
        self.renderer.frame_rendered.connect(self._on_frame_rendered)
        self.max_render_pixels = MAX_RENDER_PIXELS
        self.meter = RateMeter()
        self.render_seconds: collections.deque[float] = collections.deque(maxlen=240)
        self._dirty = True
        self._live: _Transition | None = None
        self._replay: _Transition | None = None
        self._drawn: tuple[object, float] | None = None
        self._picture_drawn: tuple | None = None  # see _picture
        self._serial = 0  # numbers the live steps drawn
        self._substeps: SubstepSimulator | None = None
        self._scene: LiveScene = scene
        self.attach(scene)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(1000 / DISPLAY_HZ))
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    def attach(self, scene: LiveScene) -> None:
        """Draw ``scene`` from now on."""
        if self._substeps is not None:
            self._substeps.close()
            self._substeps = None
        self._scene = scene
        self._live = self._replay = None
        scene.stepped.connect(self._on_stepped)
        scene.state_changed.connect(self.invalidate)
        scene.scene_reset.connect(self._on_scene_reset)
        self.invalidate()

    def invalidate(self) -> None:
        """Something visible changed: draw at the next tick."""
        self._dirty = True

    # ----------------------------------------------------------------------------- what to draw
    def _on_stepped(self, step: Step) -> None:
        self._serial += 1
        self._live = _Transition(self._serial, step.state, step.action, step.next_state)

    def _on_scene_reset(self) -> None:
        self._live = None

    def _rows(self, t: _Transition) -> np.ndarray:
        if t.rows is None:
            if self._substeps is None:
                env_id = self._scene.env_id
                self._substeps = SubstepSimulator(lambda: make_env(env_id))
            t.rows = self._substeps.states(t.state, t.action, t.after)
        return t.rows

    def substep_states(self, state: np.ndarray, action: np.ndarray) -> np.ndarray:
        """The substep states of one step re-simulated from ``state`` (tests, benchmarks)."""
        return self._rows(_Transition(None, state, action, None))  # type: ignore[arg-type]

    def _choose(self) -> tuple[object, float, np.ndarray | None]:
        """``(what, fraction, state)`` to draw; ``state`` None means the env's own."""
        mode = self._modes.mode
        if mode.replays:
            tr = self._playback.transition()
            if tr is not None:
                key = (self._playback.name, self._playback.index)
                if self._replay is None or self._replay.key != key:
                    self._replay = _Transition(key, *tr)
                f = self._playback.phase()
                return key, f, blend(self._rows(self._replay), f)
        elif mode.drives_scene and self._scene.running and self._live is not None:
            f = self._scene.phase()
            return self._live.key, f, blend(self._rows(self._live), f)
        return None, 1.0, None

    def _on_tick(self) -> None:
        if self.renderer.busy:
            return  # the request waits here, so it carries the newest state
        key, fraction, state = self._choose()
        picture = None
        if state is None:
            if not self._dirty:
                return  # unchanged: an unchanged frame is the most expensive thing to draw
        elif not self._dirty and self._drawn == (key, fraction):
            return
        else:
            # Every step marks the view dirty, so compare what the picture depends on.
            picture = self._picture(state)
            self._drawn = (key, fraction)
            if self._same_picture(picture, self._picture_drawn):
                # At rest: the picture on screen is current; refresh only what is drawn
                # over it (the REC badge's step count, the action bars).
                self.about_to_show.emit()
                self.meter.frame_shown()
                return
        self._dirty = False
        self._drawn = (key, fraction)
        self._picture_drawn = picture
        self.request_frame(state)

    def _picture(self, state: np.ndarray) -> tuple:
        """What a frame of ``state`` shows: the pose, the camera and the size."""
        cam = self._scene.camera
        view = (*(getattr(cam, k) for k in CAMERA_FIELDS), *cam.lookat, self._scene.shadows)
        return self._scene.env.pose_of(state), view, self.render_size()

    @staticmethod
    def _same_picture(a: tuple, b: tuple | None) -> bool:
        if b is None or a[1:] != b[1:] or a[0].shape != b[0].shape:
            return False
        return bool(np.allclose(a[0], b[0], rtol=0, atol=1e-7))

    # ----------------------------------------------------------------------------- rendering
    def render_size(self) -> tuple[int, int]:
        """Pixels to render: the viewport's, scaled down to :attr:`max_render_pixels`."""
        vp = self._viewport
        ratio = vp.devicePixelRatioF()
        w, h = vp.width() * ratio, vp.height() * ratio
        scale = min(1.0, (self.max_render_pixels / max(w * h, 1)) ** 0.5)
        return int(w * scale), int(h * scale)

    def request_frame(self, state: np.ndarray | None = None) -> int:
        """Ask for a frame of ``state`` (default: the env's); returns its serial."""
        scene = self._scene
        w, h = self.render_size()
        return self.renderer.request(
            RenderRequest(
                env_id=scene.env_id,
                state=scene.env.get_state() if state is None else np.array(state),
                camera=camera_to_dict(scene.camera),
                width=w,
                height=h,
                shadows=scene.shadows,
            )
        )

    def render_now(self, app, timeout: float = 10.0) -> None:
        """Render the env's state and wait until it is in the viewport (screenshots, tests)."""
        serial = self.request_frame()
        end = time.perf_counter() + timeout
        while self.renderer.last_serial < serial and time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)

    def _on_frame_rendered(self, frame: np.ndarray, seconds: float) -> None:
        self.about_to_show.emit()
        self._viewport.set_frame(frame)
        self.render_seconds.append(seconds)
        self.meter.frame_shown()
        self.frame_shown.emit()

    def close(self) -> None:
        """Stop drawing; release the renderer and the substep env."""
        self._timer.stop()
        self.renderer.close()
        if self._substeps is not None:
            self._substeps.close()
            self._substeps = None
