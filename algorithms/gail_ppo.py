"""GAIL's policy step: rollout buffers, GAE and clipped-surrogate PPO (Schulman et al. 2017).

Functions of plain tensors, so that :class:`algorithms.gail.GAILTrainer` stays the loop: the
trainer rolls the policy out (:func:`new_buffer` holds one round), rewards it from the
discriminator (:mod:`algorithms.gail_disc`) and calls :func:`ppo_update`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

from algorithms.gail_config import GAILConfig
from algorithms.gail_model import GAIL


def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    next_values: torch.Tensor,
    dones: torch.Tensor,
    gamma: float,
    lam: float,
) -> torch.Tensor:
    """GAE advantages (Schulman et al. 2016) over (T, N) arrays.

    ``next_values[t]`` is the value after step t: the critic's at s_{t+1}, at the final
    observation of a truncated episode, or the absorbing state's value (or 0) after a
    termination. ``dones[t]`` cuts the lambda-sum at episode ends.
    """
    adv = torch.zeros_like(rewards)
    last = torch.zeros_like(rewards[0])
    for t in range(rewards.shape[0] - 1, -1, -1):
        delta = rewards[t] + gamma * next_values[t] - values[t]
        last = delta + gamma * lam * (1.0 - dones[t]) * last
        adv[t] = last
    return adv


class RunningStd:
    """Running variance (Chan et al. merge) of every reward seen; the scale of the rewards."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def update(self, x: np.ndarray) -> None:
        n, mean, m2 = len(x), float(x.mean()), float(((x - x.mean()) ** 2).sum())
        delta, total = mean - self.mean, self.n + n
        self.mean += delta * n / total
        self.m2 += m2 + delta**2 * self.n * n / total
        self.n = total

    @property
    def std(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n > 1 else 1.0


def log_prob(a: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
    """Log density of actions ``a`` under the diagonal Gaussian (mean, exp(log_std))."""
    z = (a - mean) * torch.exp(-log_std)
    return (-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def new_buffer(t_max: int, n: int, obs_dim: int, act_dim: int, device: Any) -> dict:
    """One round's (T, N, ...) buffers: normalised obs and next obs, actions, their log
    probabilities, and the termination / episode-end flags."""
    buf = {k: torch.zeros(t_max, n, obs_dim, device=device) for k in ("obs", "next_obs")}
    buf["act"] = torch.zeros(t_max, n, act_dim, device=device)
    for k in ("logp", "term", "done"):
        buf[k] = torch.zeros(t_max, n, device=device)
    return buf


def schedules(cfg: GAILConfig, progress: float) -> tuple[float, float]:
    """(PPO learning rate, BC weight) at ``progress`` (0..1) through ``total_env_steps``."""
    lr = cfg.policy_lr * (max(0.0, 1.0 - progress) if cfg.lr_anneal else 1.0)
    bc_w = cfg.bc_coef
    if cfg.bc_anneal > 0:
        bc_w *= max(0.0, 1.0 - progress / cfg.bc_anneal)
    return lr, bc_w


def ppo_update(
    algo: GAIL,
    opt: torch.optim.Optimizer,
    buf: dict[str, torch.Tensor],
    adv: torch.Tensor,
    returns: torch.Tensor,
    cfg: GAILConfig,
    *,
    generator: torch.Generator,
    progress: float,
    expert: tuple[torch.Tensor, torch.Tensor],
) -> dict[str, float]:
    """``ppo_epochs`` epochs of the clipped surrogate (plus the optional BC term) on a round.

    Args:
        adv, returns: flat (T*N,) GAE advantages and value targets.
        progress: fraction of ``total_env_steps`` done before this round (the schedules' clock).
        expert: normalised expert observations and their actions, for the BC term.
    """
    dev = adv.device
    obs, act, old_logp = (
        buf["obs"].flatten(0, 1),
        buf["act"].flatten(0, 1),
        buf["logp"].flatten(),
    )
    params = [p for g in opt.param_groups for p in g["params"]]
    lr, bc_w = schedules(cfg, progress)
    for g in opt.param_groups:
        g["lr"] = lr
    exp_obs, exp_act = expert
    sums = {
        "bc_loss": 0.0,
        "pg_loss": 0.0,
        "value_loss": 0.0,
        "entropy": 0.0,
        "approx_kl": 0.0,
        "clip_frac": 0.0,
    }
    count = 0
    for _ in range(cfg.ppo_epochs):
        perm = torch.randperm(len(obs), generator=generator, device=dev)
        kls = []
        for mb in perm.split(cfg.minibatch_size):
            mean = algo.actor(obs[mb])
            log_std = algo.log_std.expand(len(mb), -1)
            logp = log_prob(act[mb], mean, log_std)
            log_ratio = logp - old_logp[mb]
            ratio = log_ratio.exp()
            a = adv[mb]
            a = (a - a.mean()) / (a.std() + 1e-8) if len(mb) > 1 else a
            pg = torch.max(-a * ratio, -a * ratio.clamp(1 - cfg.clip, 1 + cfg.clip)).mean()
            v_loss = 0.5 * ((algo.critic(obs[mb])[:, 0] - returns[mb]) ** 2).mean()
            entropy = (log_std + 0.5 * math.log(2 * math.pi * math.e)).sum(-1).mean()
            loss = pg - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
            bc = torch.zeros((), device=dev)
            if bc_w > 0:
                pick = torch.randint(len(exp_obs), (len(mb),), generator=generator, device=dev)
                bc = ((algo.actor(exp_obs[pick]) - exp_act[pick]) ** 2).sum(-1).mean()
                loss = loss + bc_w * bc
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
            opt.step()
            with torch.no_grad():
                kl = float(((ratio - 1) - log_ratio).mean())  # Schulman's k3 estimator
                kls.append(kl)
                step = {
                    "bc_loss": float(bc),
                    "pg_loss": float(pg),
                    "value_loss": float(v_loss),
                    "entropy": float(entropy),
                    "approx_kl": kl,
                    "clip_frac": float(((ratio - 1).abs() > cfg.clip).float().mean()),
                }
            for k, v in step.items():
                sums[k] += v
            count += 1
        if cfg.target_kl > 0 and np.mean(kls) > cfg.target_kl:
            break
    out = {k: v / max(count, 1) for k, v in sums.items()}
    out["policy_std"] = float(algo.log_std.detach().exp().mean())
    out["bc_weight"] = float(bc_w)
    out["policy_lr"] = float(lr)
    return out
