"""Behaviour cloning: supervised regression from observations to the expert's actions.

An MLP maps the last ``obs_history`` observations (stacked, for non-Markovian inputs) to the
action. Three heads (variants are config fields, not subclasses):

- ``mse``: a point estimate trained by mean-squared error. Under a multimodal expert (go left
  *or* right round an obstacle) it predicts the average of the modes, which can be the one
  action no expert took (CMU 10-403, "Imitation learning", multimodal actions).
- ``gaussian``: a diagonal Gaussian with state-dependent variance, trained by negative
  log-likelihood. Still unimodal.
- ``gmm``: a mixture of ``num_modes`` diagonal Gaussians (a mixture density network, Bishop 1994;
  used for handwriting by Graves 2013 and for robot BC in robomimic's BC-GMM), trained by NLL.
  At act time the default ``act_mode="component"`` draws a component by its weight and acts
  its mean (robomimic's ``low_noise_eval``): the policy commits to one mode instead of
  averaging. ``"mean"`` (always the heaviest component) looks tempting but fails when a mode
  is spread over several components: on the two-mode car it succeeded 12% of the time against
  96% for drawing a component (benchmarks/results/learning.md).

``ensemble`` > 1 trains that many networks side by side, each from its own initialisation; their
disagreement (:meth:`BC.member_actions`) tells the studio where the policy has not seen enough
data to agree with itself ("where to relabel").

Losses and predictions are in normalised units (see :class:`algorithms.policy.PolicyNet`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812  (the usual PyTorch spelling)
from torch import nn

from algorithms.config import TrainConfig, setting
from algorithms.policy import mlp
from algorithms.registry import register

HEADS = ("mse", "gaussian", "gmm")
ACT_MODES = ("component", "mean", "sample")
_LOG_2PI = math.log(2 * math.pi)


@dataclass
class BCConfig(TrainConfig):
    """Behaviour cloning settings (plus the shared training settings)."""

    head: str = setting("mse", "output distribution: mse regression, gaussian or gmm", HEADS)
    num_modes: int = setting(5, "mixture components K of the gmm head")
    obs_history: int = setting(1, "stack the last k observations as the input (1 = Markovian)")
    act_mode: str = setting(
        "component",
        "gaussian/gmm at act time: component (draw a component by its weight, act its mean), "
        "mean (mean of the heaviest component) or sample (a full draw)",
        ACT_MODES,
    )
    min_std: float = setting(1e-2, "lower bound of the predicted std (normalised units)")
    ensemble: int = setting(
        1,
        "members of a deep ensemble, each from its own initialisation (1 = one network); "
        "their disagreement is the studio's per-frame uncertainty",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        if self.num_modes < 1:
            raise ValueError(f"num_modes must be >= 1, got {self.num_modes}")
        if self.obs_history < 1:
            raise ValueError(
                f"obs_history must be >= 1 (1 = current obs only), got {self.obs_history}"
            )
        if self.act_mode not in ACT_MODES:
            raise ValueError(f"act_mode must be one of {ACT_MODES}, got {self.act_mode!r}")
        if not self.min_std > 0:
            raise ValueError(f"min_std must be > 0, got {self.min_std}")
        if self.ensemble < 1:
            raise ValueError(f"ensemble must be >= 1 (1 = one network), got {self.ensemble}")


def gaussian_log_prob(x: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Log-density of a diagonal Gaussian summed over the last dim."""
    z = (x - mean) * torch.exp(-log_std)
    return -0.5 * (z * z + 2 * log_std + _LOG_2PI).sum(-1)


@register("bc", BCConfig)
class BC(nn.Module):
    """MLP behaviour-cloning policy with an MSE, Gaussian or Gaussian-mixture head."""

    def __init__(self, cfg: BCConfig, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.act_dim = act_dim
        k = cfg.num_modes if cfg.head == "gmm" else 1
        # Per component: mean (A) and, except for mse, log std (A); gmm adds one logit each.
        per = act_dim if cfg.head == "mse" else 2 * act_dim
        out = k * per + (k if cfg.head == "gmm" else 0)
        in_dim = obs_dim * cfg.obs_history
        self.body = mlp(in_dim, cfg.hidden_sizes, out, cfg.activation)
        # Further ensemble members beside ``body`` (so a one-network state dict keeps its keys).
        self.others = nn.ModuleList(
            mlp(in_dim, cfg.hidden_sizes, out, cfg.activation) for _ in range(cfg.ensemble - 1)
        )

    def _bodies(self) -> list[nn.Module]:
        return [self.body, *self.others]

    def _dist(
        self, obs: torch.Tensor, body: nn.Module | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Mixture parameters: logits (B, K), means (B, K, A), log stds (B, K, A)."""
        out = (body or self.body)(obs.flatten(1))  # (B, k * D) -> (B, out)
        b, a = out.shape[0], self.act_dim
        if self.cfg.head == "mse":
            mean = out.view(b, 1, a)
            return out.new_zeros(b, 1), mean, torch.zeros_like(mean)
        k = self.cfg.num_modes if self.cfg.head == "gmm" else 1
        logits = out[:, :k] if self.cfg.head == "gmm" else out.new_zeros(b, 1)
        params = out[:, k:] if self.cfg.head == "gmm" else out
        mean, raw_std = params.view(b, k, 2, a).unbind(2)
        # softplus keeps std positive with a gradient that does not explode (robomimic does too).
        log_std = torch.log(F.softplus(raw_std) + self.cfg.min_std)
        return logits, mean, log_std

    def loss(
        self,
        obs: torch.Tensor,
        actions: torch.Tensor,
        mask: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """MSE or NLL of the expert's action. ``obs`` (B, k, D), ``actions`` (B, 1, A).

        An ensemble's loss is the mean of its members' losses: every member sees the same
        batches and differs by its initialisation (deep ensembles, Lakshminarayanan et al. 2017).
        """
        target = actions[:, 0]  # (B, A)
        losses = []
        for body in self._bodies():
            if self.cfg.head == "mse":
                pred = body(obs.flatten(1))  # (B, A)
                losses.append(((pred - target) ** 2).sum(-1).mean())
                continue
            logits, mean, log_std = self._dist(obs, body)
            log_w = F.log_softmax(logits, -1)  # (B, K)
            log_p = gaussian_log_prob(target[:, None], mean, log_std)  # (B, K)
            losses.append(-torch.logsumexp(log_w + log_p, -1).mean())
        return torch.stack(losses).mean(), {}

    @torch.no_grad()
    def member_actions(self, obs: torch.Tensor) -> torch.Tensor:
        """Each member's action (B, E, A) for ``obs`` (B, k, D): its likeliest component's mean."""
        acts = []
        for body in self._bodies():
            logits, mean, _ = self._dist(obs, body)
            acts.append(mean[torch.arange(obs.shape[0], device=obs.device), logits.argmax(-1)])
        return torch.stack(acts, 1)

    def predict(
        self,
        obs: torch.Tensor,
        *,
        generator: torch.Generator | None = None,
        episode_state: dict[str, Any] | None = None,
    ) -> torch.Tensor:
        """Action chunk (B, 1, A) for ``obs`` (B, k, D).

        An mse ensemble acts with its members' mean. A gaussian or gmm ensemble acts with its
        first member, as the mean of two members in different modes is the averaged action
        the mixture head exists to avoid; the others then serve the uncertainty only.
        """
        if self.cfg.head == "mse" and self.others:
            return self.member_actions(obs).mean(1, keepdim=True)
        logits, mean, log_std = self._dist(obs)
        b = obs.shape[0]
        rows = torch.arange(b, device=obs.device)
        if self.cfg.act_mode in ("sample", "component") and self.cfg.head != "mse":
            comp = torch.multinomial(F.softmax(logits, -1), 1, generator=generator)[:, 0]
            action = mean[rows, comp]  # (B, A)
            if self.cfg.act_mode == "sample":
                noise = torch.randn(mean[:, 0].shape, generator=generator, device=obs.device)
                action = action + torch.exp(log_std[rows, comp]) * noise
        else:
            action = mean[rows, logits.argmax(-1)]  # (B, A), likeliest component
        return action[:, None]
