"""Conditional VAE policy (Sohn et al. 2015, "Learning Structured Output Representation using Deep
Conditional Generative Models"), optionally predicting action chunks as in ACT (Zhao et al. 2023).

A latent ``z`` carries what the observation does not determine (which way round the obstacle).

- Encoder ``q(z | s, a)``: MLP of the observation and the expert's action chunk -> mean, log-var.
- Decoder ``p(a | s, z)``: MLP of the observation and ``z`` -> the action chunk (a Gaussian with
  fixed unit variance in normalised units, so its log-likelihood is a squared error).
- Prior ``p(z) = N(0, I)``. Loss, ``z ~ q`` by reparameterisation::

      mean over (sample, valid chunk step) of || a_t - dec(s, z)_t ||^2
          + beta * mean over samples of KL(q(z | s, a) || N(0, I))

  The squared error is summed over action dims but *averaged* over the H chunk steps, while KL is
  per sample. With a unit-variance Gaussian decoder a sample's negative log-likelihood is
  ``1/2 * sum over its H steps of || . ||^2`` (+ a constant), so the loss equals
  ``(2 / H) * (NLL + (beta * H / 2) * KL)``: a beta-VAE (Higgins et al. 2017) whose ELBO weight
  is ``beta_elbo = beta * H / 2``. The plain ELBO (``beta_elbo = 1``) is ``beta = 2 / H`` (2 for
  H = 1); the default 0.1 weighs KL less than the ELBO does. (H is in fact the mean number of
  valid chunk steps per sample, a little under ``chunk_size`` near the ends of demos.)

At act time the encoder is unused and ``z`` comes from the prior: ``z_mode="zero"`` uses its mean
(ACT's choice, deterministic), ``"sample"`` draws a new ``z`` every prediction and ``"episode"``
draws one per episode and keeps it, so the policy keeps to one mode for the whole episode.

With ``chunk_size`` H > 1 the decoder outputs the next H actions; the policy executes them open
loop or, with ``temporal_ensemble``, averages overlapping chunks (see :mod:`algorithms.policy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from algorithms.config import TrainConfig, setting
from algorithms.policy import mlp
from algorithms.registry import register

Z_MODES = ("zero", "sample", "episode")


@dataclass
class CVAEConfig(TrainConfig):
    """Conditional-VAE settings (plus the shared training settings)."""

    latent_dim: int = setting(2, "size of the latent z (a few dims suffice for a few modes)")
    beta: float = setting(
        0.1,
        "weight of the per-sample KL against the squared error averaged over the H chunk steps; "
        "ELBO weight = beta * H / 2, so beta = 2 / H is the plain ELBO",
    )
    z_mode: str = setting(
        "sample",
        "z at act time: zero (prior mean), sample (each prediction) or episode (one per episode)",
        Z_MODES,
    )
    chunk_size: int = setting(1, "predict the next H actions at once (ACT's action chunking)")
    temporal_ensemble: bool = setting(
        True, "average overlapping chunks each step (ACT) instead of executing them open loop"
    )
    ensemble_decay: float = setting(
        0.01, "temporal-ensemble weight exp(-m * i), i = 0 the oldest chunk (ACT's m)"
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.latent_dim < 1:
            raise ValueError(f"latent_dim must be >= 1, got {self.latent_dim}")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if self.z_mode not in Z_MODES:
            raise ValueError(f"z_mode must be one of {Z_MODES}, got {self.z_mode!r}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 (1 = no chunking), got {self.chunk_size}")
        if self.ensemble_decay < 0:
            raise ValueError(f"ensemble_decay must be >= 0, got {self.ensemble_decay}")


@register("cvae", CVAEConfig)
class CVAE(nn.Module):
    """Conditional VAE over action chunks: encoder q(z | s, a), decoder p(a | s, z)."""

    def __init__(self, cfg: CVAEConfig, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.act_dim = act_dim
        h, z = cfg.chunk_size, cfg.latent_dim
        self.encoder = mlp(obs_dim + h * act_dim, cfg.hidden_sizes, 2 * z, cfg.activation)
        self.decoder = mlp(obs_dim + z, cfg.hidden_sizes, h * act_dim, cfg.activation)

    def decode(self, obs: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Action chunk (B, H, A) from the current observation (B, D) and latent (B, Z)."""
        out = self.decoder(torch.cat([obs, z], -1))  # (B, H * A)
        return out.view(obs.shape[0], self.cfg.chunk_size, self.act_dim)

    def loss(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        mask: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Beta-weighted negative ELBO, scaled by 2 / H (see the module doc for what beta means).

        ``obs`` (B, 1, D), ``actions`` (B, H, A), ``mask`` (B, H).
        """
        s = obs[:, -1]  # (B, D)
        stats = self.encoder(torch.cat([s, actions.flatten(1)], -1))  # (B, 2Z)
        mu, log_var = stats.chunk(2, -1)  # (B, Z) each
        log_var = log_var.clamp(-10.0, 10.0)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * log_var) * eps  # reparameterisation trick
        pred = self.decode(s, z)  # (B, H, A)
        # Squared error summed over action dims, averaged over the chunk steps inside the demo.
        sq = ((pred - actions) ** 2).sum(-1) * mask  # (B, H)
        recon = sq.sum() / mask.sum().clamp_min(1.0)
        kl = 0.5 * (mu * mu + log_var.exp() - 1.0 - log_var).sum(-1).mean()
        return recon + self.cfg.beta * kl, {"recon": recon, "kl": kl}

    def predict(
        self,
        obs: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        episode_state: dict[str, Any] | None = None,
    ) -> torch.Tensor:
        """Action chunk (B, H, A) for ``obs`` (B, 1, D) with z from the prior per ``z_mode``."""
        s = obs[:, -1]
        shape = (s.shape[0], self.cfg.latent_dim)
        if self.cfg.z_mode == "zero":
            z = s.new_zeros(shape)
        elif self.cfg.z_mode == "sample" or episode_state is None:
            z = torch.randn(shape, generator=generator, device=s.device)
        else:
            if "z" not in episode_state:
                episode_state["z"] = torch.randn(shape, generator=generator, device=s.device)
            z = episode_state["z"]
        return self.decode(s, z)
