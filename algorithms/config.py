"""Training settings shared by every algorithm (each algorithm's config extends this dataclass).

Every field carries ``metadata["help"]`` (and ``"choices"`` where the value is one of a few
strings) so that a form can be built from ``dataclasses.fields()`` (the CLI prints them with
``train --list-settings``; there is no GUI form yet); ``__post_init__`` raises ``ValueError``
saying what to fix (LeRobot's ``configuration_act.py`` does the same).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def setting(default: Any, help: str, choices: tuple[str, ...] | None = None) -> Any:
    """A dataclass field with the form/CLI metadata (``help`` and optional ``choices``)."""
    meta: dict[str, Any] = {"help": help}
    if choices is not None:
        meta["choices"] = choices
    return field(default=default, metadata=meta)


ACTIVATIONS = ("relu", "gelu", "tanh")
LR_SCHEDULES = ("constant", "cosine")


def require(cfg: Any, names: str, ok: Callable[[Any], bool], rule: str) -> None:
    """Raise ``ValueError("<name> must be <rule>, got <value>")`` for the first of the
    space-separated setting ``names`` whose value fails ``ok``."""
    for name in names.split():
        value = getattr(cfg, name)
        if not ok(value):
            raise ValueError(f"{name} must be {rule}, got {value}")


@dataclass
class TrainConfig:
    """Optimisation, network size and data settings common to all algorithms."""

    steps: int = setting(5000, "number of gradient steps")
    batch_size: int = setting(256, "samples per gradient step")
    lr: float = setting(1e-3, "learning rate of AdamW")
    lr_schedule: str = setting("cosine", "learning-rate schedule over the steps", LR_SCHEDULES)
    weight_decay: float = setting(1e-4, "AdamW weight decay")
    grad_clip: float = setting(
        0.0, "clip the gradient norm to this value (0 = off; try 10 if the loss spikes)"
    )
    hidden_sizes: tuple[int, ...] = setting((256, 256), "widths of the MLP's hidden layers")
    activation: str = setting("relu", "non-linearity between hidden layers", ACTIVATIONS)
    normalize: bool = setting(True, "standardise observations and actions with train-set stats")
    obs_noise: float = setting(
        0.0, "std of Gaussian noise added to training observations (normalised units)"
    )
    val_fraction: float = setting(
        0.1, "fraction of demos held out for validation when the file has no 'valid' mask"
    )
    log_every: int = setting(100, "yield metrics (and validation loss) every this many steps")
    num_threads: int = setting(0, "torch CPU threads while training (0 = leave as is)")

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be >= 1, got {self.steps}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if self.grad_clip < 0:
            raise ValueError(f"grad_clip must be >= 0 (0 = off), got {self.grad_clip}")
        self.hidden_sizes = tuple(int(h) for h in self.hidden_sizes)
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ValueError(f"hidden_sizes needs positive widths, got {self.hidden_sizes}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {self.activation!r}")
        if self.obs_noise < 0:
            raise ValueError(f"obs_noise must be >= 0 (0 = off), got {self.obs_noise}")
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.log_every < 1:
            raise ValueError(f"log_every must be >= 1, got {self.log_every}")
        if self.num_threads < 0:
            raise ValueError(f"num_threads must be >= 0 (0 = leave as is), got {self.num_threads}")
