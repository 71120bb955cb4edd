"""Making and swapping the live scene: the window's scene picker, a file's scene, a policy's.

One file holds one scene's demos and a policy drives the scene it was trained in, so opening
either may switch the live scene. :class:`SceneSwitcher` makes the new scene first (a bad id
changes nothing), ends playback and policy driving through the controller, then hands the new
scene to every part that follows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from studio.app.scene import LiveScene
from studio.app.teleop import KeyBindings

if TYPE_CHECKING:
    from studio.app.window import MainWindow


class SceneSwitcher:
    """Makes live scenes and swaps them into the window's parts."""

    def __init__(self, window: MainWindow, seed: int | None) -> None:
        self.w = window
        self._seed = seed

    def make(self, env_id: str) -> LiveScene:
        """A live scene of ``env_id`` (raises ValueError when it cannot be made)."""
        w = self.w
        scene = LiveScene(env_id, w.learning.action, seed=self._seed, parent=w)
        scene.shadows = w.settings.shadows
        return scene

    def keys_for(self, env_id: str) -> KeyBindings:
        """The driving keys of ``env_id``: saved ones, else the scene's defaults."""
        w = self.w
        labels = list(w.scene.env.action_labels)
        return KeyBindings.saved_or_default(w.settings.bindings(env_id), labels)

    def stepping(self) -> bool:
        """Whether the live scene's control loop steps now (it polls the pad then)."""
        w = self.w
        return w.modes.mode.drives_scene and w.scene.running

    def set_scene(self, env_id: str) -> bool:
        """Switch to another scene; False (with a warning, the scene kept) when it cannot."""
        w = self.w
        busy = w.session.busy_reason()
        if busy and env_id.strip() != w.scene.env_id:
            w.presenter.refused(busy)
            w.toolbar.set_scene(w.scene.env_id)
            return False
        try:
            self.switch(env_id)
        except ValueError as exc:
            w.warn("Scene", f"Cannot open the scene {env_id!r}: {exc}")
            w.toolbar.set_scene(w.scene.env_id)
            return False
        return True

    def switch(self, env_id: str) -> None:
        """Swap in a new live scene; raises ValueError (nothing changed) if it cannot be made."""
        w = self.w
        env_id = env_id.strip()
        if env_id == w.scene.env_id:
            return
        new = self.make(env_id)  # first: if this raises, the current scene stays
        w.controller.release_scene()  # playback or a policy end with the scene they were for
        w.scene.close()
        w.scene = new
        w.playback.attach(new)
        w.frames.attach(new)
        w.controller.attach(new)
        w.inputs.set_scene(self.keys_for(env_id), list(new.env.action_labels), self.stepping)
        w.settings.scene = env_id
        w.presenter.scene_changed()
        w.session.refresh()
        new.start()

    def open_gamepad(self) -> Any:
        """SDL's gamepad with the saved axes and dead-zones; None when pygame is missing."""
        try:
            from studio.gamepad import Gamepad
            from studio.gamepad_mapping import GamepadBindings

            saved = self.w.settings.gamepad_bindings()
            return Gamepad(GamepadBindings.from_dict(saved) if saved else None)
        except Exception:  # no pygame, bad settings: run keyboard-only
            return None
