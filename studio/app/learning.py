"""The window's learning side: torch in the background, training runs, policies at the wheel.

:class:`LearningWiring` connects the Train and Evaluate panels to the studio: it loads torch off
the GUI thread (:class:`~studio.app.training.TorchLoader`), lists a file's masks for the Train
panel, says how runs ended, loads checkpoints for the live scene and hands the wheel to them
(the action source the live scene asks while a policy drives).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QFileDialog

from studio.app.modes import Mode
from studio.app.takeover import HelpRequests, choose_action
from studio.app.training import TorchLoader

if TYPE_CHECKING:
    from studio.app.window import MainWindow


class LearningWiring(QObject):
    """Training, evaluation and policy driving, as the window offers them."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        # Torch loads in the background from the first moment (seconds of imports and
        # torch.optim's lazy set-up); the Train panel fills in when it is done.
        self.torch_loader = TorchLoader(self)
        self.torch_loaded = False
        self.help = HelpRequests()
        self._scorer: tuple[Any, Any] | None = None
        self._curve_cache: tuple[Any, Any, Any] | None = None

    def connect(self) -> None:
        """Follow the Train panel, the training controller and the session; load torch."""
        w = self.w
        tp = w.train_panel
        tp.drive_requested.connect(self.drive_policy)
        tp.evaluate_requested.connect(self._on_evaluate_requested)
        tp.message.connect(lambda text: w.statusBar().showMessage(text, 8000))
        w.training.run_finished.connect(self._on_run_finished)
        w.session.file_changed.connect(lambda _p: tp.refresh())
        w.session.demos_changed.connect(tp.refresh)
        w.controller.set_handler("ask_for_help", self.toggle_help)
        dp = w.docks.dagger_panel
        dp.round_finished.connect(lambda _summary: w.recorder.demos_changed.emit())
        dp.finished.connect(lambda _status, text: w.statusBar().showMessage(text, 10000))
        self.torch_loader.loaded.connect(self._on_torch_loaded)
        self.torch_loader.start()

    # ----------------------------------------------------------------------------- training
    def masks(self) -> list[str]:
        """The open recordings file's masks (none when no file is open or it is unreadable)."""
        path = self.w.recorder.path
        if path is None:
            return []
        try:
            from recordings import Dataset

            with Dataset(path, lenient=True, on_wait=self.w.recorder.report_wait) as ds:
                return ds.mask_names()
        except Exception:  # an unreadable file has no masks to offer; the Demos panel says why
            return []

    def _on_torch_loaded(self, error: str) -> None:
        self.torch_loaded = not error
        self.w.train_panel.set_torch_loaded(error)

    def _on_run_finished(self, status: str, message: str) -> None:
        if status in ("failed", "diverged"):
            self.w.warn("Training", message)
        else:
            self.w.statusBar().showMessage(message, 8000)

    def _on_evaluate_requested(self, path: str) -> None:
        w = self.w
        w.eval_panel.set_checkpoint(path)
        w.eval_dock.raise_()
        w.eval_panel.start()

    # ----------------------------------------------------------------------------- policies
    def wait_for_torch(self) -> bool:
        """Block until torch has loaded (a person asked for a policy in the first seconds)."""
        if not self.torch_loaded:
            self.torch_loader.wait()
            QApplication.processEvents()  # deliver the loaded signal
        return self.torch_loaded

    def load_policy(self, path: str | Path) -> bool:
        """Load a checkpoint to drive the live scene (its scene is opened when it names one)."""
        w = self.w
        if not self.wait_for_torch():
            w.warn("Policy", "Torch could not be loaded: policies cannot run here")
            return False
        w.controller.leave_policy()
        import algorithms

        try:
            policy = algorithms.load_policy(path, device="cpu")
        except Exception as exc:  # not a checkpoint, damaged, missing
            w.warn("Policy", f"Cannot load {path}: {exc}")
            return False
        trained_on = policy.lineage.get("env_name")
        if trained_on and trained_on != w.scene.env_id and not w.set_scene(trained_on):
            return False
        try:
            label = w.policy_driver.use(policy, path, w.scene.env, w.scene.env_id)
        except Exception as exc:
            w.warn("Policy", f"Cannot drive with {path}: {exc}")
            return False
        w.statusBar().showMessage(f"Loaded {label}", 5000)
        w.presenter.update_overlay()
        return True

    def drive_policy(self, path: str | Path) -> bool:
        """Load ``path`` and let it drive the live scene."""
        w = self.w
        if w.modes.mode not in (Mode.LIVE, Mode.POLICY, Mode.PLAYBACK):
            w.presenter.refused(w.session.busy_reason() or "Not now")
            return False
        w.controller.leave_playback()
        return self.load_policy(path) and w.controller.start_policy()

    def on_load_policy(self) -> None:
        """Policy ▸ Load: choose a checkpoint (``runs/`` beside the recordings file first)."""
        w = self.w
        start = str(w.recorder.path.parent / "runs") if w.recorder.path else ""
        path, _ = QFileDialog.getOpenFileName(w, "Policy checkpoint", start, "*.pt")
        if path:
            self.load_policy(path)

    def action(self, dt: float) -> Any:
        """The live scene's next action: the policy's while it drives, else the person's."""
        w = self.w
        if not w.controller.policy_drives:
            return w.inputs.action(dt)
        try:
            # The person's keys and pad are read every step (buttons stay commands; holding a
            # driving key or LB/RB takes the wheel: takeover.py).
            action = choose_action(w.inputs, w.policy_driver, w.scene.env, w.scene.obs, dt)
            if self.help.enabled and not w.policy_driver.person_drove:
                self._check_help()
            return action
        except Exception as exc:  # a policy that fails must not stop the control loop
            text = str(exc)
            QTimer.singleShot(0, lambda: self._policy_failed(text))
            w.controller.set_paused(True)
            return w.inputs.action(dt)

    def scorer(self) -> Any:
        """A copy of the driving policy for uncertainty (scoring batches resets a policy's
        history, which must not touch the one at the wheel); None when none is loaded."""
        policy = self.w.policy_driver.policy
        if policy is None:
            return None
        if self._scorer is None or self._scorer[0] is not policy:
            import copy

            self._scorer = (policy, copy.deepcopy(policy))
        return self._scorer[1]

    def _check_help(self) -> None:
        from algorithms.uncertainty import action_spread

        w = self.w
        driver = w.policy_driver
        x = driver._obs(driver.policy, w.scene.env, w.scene.obs)
        if self.help.observe(float(action_spread(self.scorer(), x[None])[0])):
            QTimer.singleShot(0, self._ask_for_help)

    def _ask_for_help(self) -> None:
        w = self.w
        w.controller.set_paused(True)
        text = (
            "The policy asks for help (unsure: top "
            f"{self.help.rate:.0%} of recent steps): hold a driving key and press P"
        )
        w.viewport.set_banner(text, QColor(190, 110, 30))
        w.statusBar().showMessage(text, 10000)

    def toggle_help(self) -> None:
        """``H``: let the policy ask for help when it is unsure, or stop it asking."""
        self.help.enabled = not self.help.enabled
        on = "asks for help" if self.help.enabled else "no longer asks for help"
        self.w.statusBar().showMessage(
            f"The policy {on} (when its uncertainty is in the top {self.help.rate:.0%})", 6000
        )

    def uncertainty(self, episode: Any) -> tuple[Any, str] | None:
        """Where the loaded policy is unsure over a recorded ``episode``: ``(curve, name)``
        with one value per frame (``algorithms.uncertainty``): for a GAIL policy 1 − D(s, a)
        of its discriminator (high: unlike the demos), else the spread of its actions. None
        when no policy is loaded or it cannot read the demo's observations."""
        driver = self.w.policy_driver
        if not driver.loaded:
            return None
        cached = self._curve_cache
        if cached is not None and cached[0] is episode and cached[1] is driver.policy:
            return cached[2]
        from algorithms.uncertainty import action_spread, discriminator_scores, uncertainty_kind

        result: tuple[Any, str] | None = None
        try:
            names = driver.policy.obs_keys

            def flat(parts: Any) -> np.ndarray:
                return np.concatenate([np.asarray(parts[k], np.float32) for k in names], -1)

            obs = flat(episode.obs)
            nxt = None if episode.next_obs is None else flat(episode.next_obs)
            d = discriminator_scores(driver.policy, obs, episode.actions, nxt)
            if d is not None:
                result = (1.0 - d, "1 − D(s,a): unlike the demos")
            else:
                kind = uncertainty_kind(driver.policy)
                result = (action_spread(self.scorer(), obs), f"policy uncertainty: {kind}")
        except Exception:  # another scene's policy, unnamed parts: no curve, nothing breaks
            result = None
        self._curve_cache = (episode, driver.policy, result)
        return result

    def _policy_failed(self, text: str) -> None:
        w = self.w
        w.controller.leave_policy()
        w.controller.set_paused(False)
        w.warn("Policy", f"The policy could not act: {text}")
