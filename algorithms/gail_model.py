"""The GAIL network (:class:`GAIL`): actor, log std, critic and discriminator in one module.

Registered as ``gail``, so a checkpoint holds all four and loads with
:func:`algorithms.load_policy` like any policy (acting with the actor's mean).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from algorithms.gail_config import GAILConfig
from algorithms.policy import mlp
from algorithms.registry import register


@register("gail", GAILConfig)
class GAIL(nn.Module):
    """Gaussian actor (state-independent std), critic and discriminator, in normalised units."""

    disc_cols: torch.Tensor  # the observation columns D sees (a buffer; see __init__)

    def __init__(self, cfg: GAILConfig, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.actor = mlp(obs_dim, cfg.hidden_sizes, act_dim, cfg.activation)
        self.log_std = nn.Parameter(torch.full((act_dim,), float(cfg.init_log_std)))
        self.critic = mlp(obs_dim, cfg.hidden_sizes, 1, cfg.activation)
        cols = list(cfg.disc_obs_dims)
        if cols and max(cols) >= obs_dim:
            raise ValueError(
                f"disc_obs_dims {tuple(cols)} reach past the observation's {obs_dim} columns"
            )
        # The columns D sees (none = all): a buffer, so it follows the module to the device;
        # a checkpoint rebuilds it from the config.
        self.register_buffer("disc_cols", torch.tensor(cols, dtype=torch.long), persistent=False)
        d_obs = len(cols) if cols else obs_dim
        extra = {"obs_act": act_dim, "obs_next_obs": d_obs, "obs": 0}[cfg.disc_input]
        self.disc = mlp(d_obs + extra + 1, cfg.disc_hidden_sizes, 1, cfg.activation)  # +flag

    def disc_logit(self, obs: torch.Tensor, other: torch.Tensor, absorbing: torch.Tensor) -> Any:
        """Logit of D (expert side = 1) for obs (B, D), action or next obs (B, ·), flag (B,)."""
        if len(self.disc_cols):
            obs = obs[:, self.disc_cols]
            if self.cfg.disc_input == "obs_next_obs":
                other = other[:, self.disc_cols]
        parts = [obs] if self.cfg.disc_input == "obs" else [obs, other]
        x = torch.cat([*parts, absorbing[:, None]], -1)
        return self.disc(x)[:, 0]

    def loss(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        mask: torch.Tensor,
        *,
        generator: Any = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """BC loss of the actor's mean (used by the warm start and by the plain BC Trainer)."""
        return ((self.actor(obs[:, -1]) - actions[:, 0]) ** 2).sum(-1).mean(), {}

    def predict(
        self, obs: torch.Tensor, *, generator: Any = None, episode_state: Any = None
    ) -> Any:
        """The deterministic action (the Gaussian's mean), (B, 1, A)."""
        return self.actor(obs[:, -1])[:, None]
