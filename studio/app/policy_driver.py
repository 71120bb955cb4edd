"""The policy at the wheel: a checkpoint that turns the live scene's observation into actions.

The live scene asks for one action per control step; in the policy-driving mode (and while a
policy episode is recorded) the window asks :meth:`PolicyDriver.action` instead of the keyboard
and pad. The policy reads the observation parts named in its checkpoint, from the live env's
named parts. Inference runs on the GUI thread: a small MLP takes well under a millisecond, less
than handing the observation to another thread and back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal


class PolicyDriver(QObject):
    """Holds the driving policy and its last action.

    Signals:
        policy_loaded(label): a checkpoint was loaded ("" when unloaded).
        wheel_changed(person): the person took the wheel (True: a take-over) or handed it
            back to the policy (False).
    """

    policy_loaded = Signal(str)
    wheel_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.policy: Any = None
        self.path: Path | None = None
        self.label = ""
        self.last_action: np.ndarray | None = None
        self.steps = 0
        self.person_drove = False
        """Whether the person's action, not :attr:`last_action`, was executed at the last step
        (a take-over: see ``takeover.py``)."""

    @property
    def loaded(self) -> bool:
        """Whether a policy is loaded."""
        return self.policy is not None

    def load(self, path: str | Path, env: Any, env_id: str) -> str:
        """Load a checkpoint to drive ``env`` (the scene ``env_id``); returns its label.

        Raises:
            ValueError, OSError, CheckpointError: not a checkpoint, or the env lacks an
                observation part the policy reads or has another action size. The policy that
                was loaded before stays.
        """
        import algorithms

        return self.use(algorithms.load_policy(path, device="cpu"), path, env, env_id)

    def use(self, policy: Any, path: str | Path, env: Any, env_id: str) -> str:
        """Drive ``env`` with a ``policy`` already loaded from ``path``; see :meth:`load`."""
        path = Path(path)
        act_dim = int(env.action_space.shape[0])
        if policy.act_dim != act_dim:
            raise ValueError(
                f"{path.name} acts with {policy.act_dim} numbers; this scene takes {act_dim}"
            )
        self._obs(policy, env, env.observation_space.sample())  # the parts exist
        trained_on = policy.lineage.get("env_name")
        name = path.parent.name if path.name == "checkpoint.pt" else path.stem
        self.policy, self.path = policy, path
        self.label = f"{name} ({policy.algorithm})"
        if trained_on and trained_on != env_id:
            self.label += f" · trained on {trained_on}"
        self.reset()
        self.policy_loaded.emit(self.label)
        return self.label

    def unload(self) -> None:
        """Forget the policy."""
        self.policy, self.path, self.label = None, None, ""
        self.last_action = None
        self.policy_loaded.emit("")

    def reset(self) -> None:
        """A new episode: clear the policy's history, chunks and latent."""
        if self.policy is not None:
            self.policy.reset()
        self.steps = 0
        self.set_person(False)

    def set_person(self, person: bool) -> None:
        """Say who drives the coming step: the person (a take-over) or the policy."""
        if person != self.person_drove:
            self.person_drove = person
            self.wheel_changed.emit(person)

    @staticmethod
    def _obs(policy: Any, env: Any, obs: np.ndarray) -> np.ndarray:
        if not policy.obs_keys:
            return np.asarray(obs, dtype=np.float32)
        return policy.obs_from_parts(env.split_obs(np.asarray(obs)))

    def action(self, env: Any, obs: np.ndarray) -> np.ndarray:
        """The policy's action for the live ``obs``, clipped to ``env``'s action space."""
        if self.policy is None:
            raise RuntimeError("no policy is loaded")
        a = np.asarray(self.policy.act(self._obs(self.policy, env, obs)), dtype=np.float64)
        space = env.action_space
        self.last_action = np.clip(a, space.low, space.high)
        self.steps += 1
        return self.last_action
