"""Drawing a MuJoCo scene: the one renderer cache that scenes, the studio and benchmarks share.

Qt-free, like the rest of ``studio.envs``.
"""

from __future__ import annotations

import mujoco
import numpy as np


def fit_render_size(model: mujoco.MjModel, width: int, height: int) -> tuple[int, int]:
    """Largest size with the aspect of ``width x height`` that fits the offscreen buffer."""
    vis = model.vis.global_
    scale = min(1.0, vis.offwidth / max(width, 1), vis.offheight / max(height, 1))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


class FrameRenderer:
    """The one ``mujoco.Renderer`` cache: remade only when the model or size changes.

    The scenes' ``render()``, the studio's render worker and the benchmarks all draw through
    it. Whoever owns one must use it from one thread only (its GL context belongs to that
    thread).
    """

    def __init__(self) -> None:
        self._renderer: mujoco.Renderer | None = None
        self._model: mujoco.MjModel | None = None
        self._size = (0, 0)

    def render(
        self,
        model: mujoco.MjModel,
        data: mujoco.MjData,
        camera: mujoco.MjvCamera,
        width: int,
        height: int,
        *,
        shadows: bool = False,
    ) -> np.ndarray:
        """Draw ``data`` from ``camera`` as ``(H, W, 3)`` uint8 (the size fitted to the buffer)."""
        size = fit_render_size(model, width, height)
        if self._renderer is None or size != self._size or model is not self._model:
            self.close()
            self._renderer = mujoco.Renderer(model, size[1], size[0])
            self._model, self._size = model, size
        # Shadows double the cost of a frame on software GL; the View menu turns them on.
        self._renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = int(shadows)
        self._renderer.update_scene(data, camera)
        return self._renderer.render()

    def close(self) -> None:
        """Release the GL context."""
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._model, self._size = None, (0, 0)
