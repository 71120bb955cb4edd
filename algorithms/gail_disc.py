"""GAIL's discriminator side: its samples, its update, and the rewards it gives.

``D(x) = sigmoid(logit(x))`` is the probability that ``x`` came from the *expert* (D -> 1 on
expert samples, D -> 0 on the policy's). A sample is ``(obs, other, flag)``: normalised
observations, the action or the next observation (``disc_input``), and the absorbing-state flag
(1 for the one absorbing sample that follows a terminated episode, all zeros otherwise).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (the usual PyTorch spelling)

from algorithms.gail_config import GAILConfig
from algorithms.gail_model import GAIL
from algorithms.policy import Policy

Samples = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def reward_from_logit(logit: torch.Tensor, kind: str) -> torch.Tensor:
    """The policy's reward from D's logit (D -> 1 on expert): see the module doc."""
    if kind == "gail":
        return F.softplus(logit)  # -log(1 - sigmoid(l))
    if kind == "log_d":
        return -F.softplus(-logit)  # log sigmoid(l)
    return logit


def _with_absorbing(o: torch.Tensor, x: torch.Tensor, n_abs: int) -> Samples:
    """``(o, x, flags)`` plus ``n_abs`` absorbing samples ``(0, 0, 1)``."""
    flags = torch.zeros(len(o), device=o.device)
    if n_abs:
        o = torch.cat([o, torch.zeros(n_abs, o.shape[1], device=o.device)])
        x = torch.cat([x, torch.zeros(n_abs, x.shape[1], device=x.device)])
        flags = torch.cat([flags, torch.ones(n_abs, device=o.device)])
    return o, x, flags


def expert_samples(
    obs: torch.Tensor,
    act: torch.Tensor,
    episode_index: np.ndarray,
    cfg: GAILConfig,
    max_episode_steps: int,
) -> Samples:
    """Expert discriminator inputs from the demos' normalised obs, actions and episode index.

    A demo shorter than the time limit ended by termination (success or collision): it
    continues in the absorbing state. The file's dones mark every last step, so the length is
    what tells termination from the time limit.
    """
    ep = episode_index
    last = np.r_[ep[1:] != ep[:-1], True]  # last step of each demo
    nxt = torch.cat([obs[1:], obs[-1:]])  # s_{t+1}; the last step of a demo has none
    keep = np.ones(len(ep), bool)
    if cfg.disc_input == "obs_next_obs":
        keep = ~last  # only pairs inside a demo
    other = act if cfg.disc_input != "obs_next_obs" else nxt
    keep_t = torch.as_tensor(keep, device=obs.device)
    lengths = np.bincount(ep)[np.unique(ep)]
    n_abs = int((lengths < max_episode_steps).sum()) if cfg.absorbing else 0
    return _with_absorbing(obs[keep_t], other[keep_t], n_abs)


def policy_samples(buf: dict[str, torch.Tensor], cfg: GAILConfig) -> Samples:
    """Policy discriminator inputs: every step, plus an absorbing sample per termination."""
    o = buf["obs"].flatten(0, 1)
    x = (buf["next_obs"] if cfg.disc_input == "obs_next_obs" else buf["act"]).flatten(0, 1)
    n_abs = int(buf["term"].sum()) if cfg.absorbing else 0
    return _with_absorbing(o, x, n_abs)


def update_discriminator(
    algo: GAIL,
    opt: torch.optim.Optimizer,
    expert: Samples,
    policy: Samples,
    cfg: GAILConfig,
    *,
    generator: torch.Generator,
) -> dict[str, float]:
    """``disc_updates`` BCE steps, expert -> 1, policy -> 0; the steps' mean metrics."""
    dev = expert[0].device
    sums: dict[str, float] = {}
    for _ in range(cfg.disc_updates):
        batch = []
        for src in (expert, policy):
            pick = torch.randint(
                len(src[0]), (cfg.disc_batch_size,), generator=generator, device=dev
            )
            batch.append([s[pick] for s in src])
        (eo, ex, ef), (po, px, pf) = batch
        if cfg.disc_noise > 0:
            eo, ex, po, px = (
                t + cfg.disc_noise * torch.randn(t.shape, generator=generator, device=dev)
                for t in (eo, ex, po, px)
            )
        le, lp = algo.disc_logit(eo, ex, ef), algo.disc_logit(po, px, pf)
        loss = 0.5 * (
            F.binary_cross_entropy_with_logits(le, torch.ones_like(le))
            + F.binary_cross_entropy_with_logits(lp, torch.zeros_like(lp))
        )
        gp = torch.zeros((), device=dev)
        if cfg.grad_penalty > 0:
            # WGAN-GP (Gulrajani et al. 2017) on expert/policy interpolates, as DAC does.
            alpha = torch.rand(len(eo), 1, generator=generator, device=dev)
            mix = [alpha * e + (1 - alpha) * p for e, p in ((eo, po), (ex, px))]
            mix = [m.requires_grad_(True) for m in mix]
            flag = alpha[:, 0] * ef + (1 - alpha[:, 0]) * pf
            out = algo.disc_logit(mix[0], mix[1], flag)
            grads = torch.autograd.grad(out.sum(), mix, create_graph=True)
            norm = torch.cat(grads, -1).norm(dim=-1)
            gp = cfg.grad_penalty * ((norm - cfg.grad_penalty_target) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        (loss + gp).backward()
        opt.step()
        with torch.no_grad():
            de, dp = torch.sigmoid(le), torch.sigmoid(lp)
            both = torch.cat([de, dp]).clamp(1e-6, 1 - 1e-6)
            entropy = -(both * both.log() + (1 - both) * (1 - both).log()).mean()
            step = {
                "disc_loss": float(loss),
                "disc_grad_penalty": float(gp),
                "disc_acc_expert": float((le > 0).float().mean()),
                "disc_acc_policy": float((lp < 0).float().mean()),
                "d_expert": float(de.mean()),
                "d_policy": float(dp.mean()),
                "disc_entropy": float(entropy),
            }
        for k, v in step.items():
            sums[k] = sums.get(k, 0.0) + v / cfg.disc_updates
    return sums


@torch.no_grad()
def learned_rewards(
    algo: GAIL, buf: dict[str, torch.Tensor], cfg: GAILConfig
) -> tuple[torch.Tensor, torch.Tensor]:
    """Raw rewards (T, N) of a round's steps, and the absorbing state's reward (0 if off)."""
    t_max, n = buf["logp"].shape
    dev = buf["obs"].device
    other = buf["next_obs"] if cfg.disc_input == "obs_next_obs" else buf["act"]
    zeros = torch.zeros(t_max * n, device=dev)
    logit = algo.disc_logit(buf["obs"].flatten(0, 1), other.flatten(0, 1), zeros)
    raw = reward_from_logit(logit, cfg.reward).view(t_max, n)
    absorb = torch.zeros((), device=dev)
    if cfg.absorbing:
        z_o = torch.zeros(1, buf["obs"].shape[-1], device=dev)
        z_x = torch.zeros(1, other.shape[-1], device=dev)
        flag = torch.ones(1, device=dev)
        absorb = reward_from_logit(algo.disc_logit(z_o, z_x, flag), cfg.reward)[0]
    return raw, absorb


@torch.no_grad()
def step_scores(
    policy: Policy,
    obs: np.ndarray,
    actions: np.ndarray,
    next_obs: np.ndarray | None = None,
) -> np.ndarray:
    """Per-step D (probability "expert") of one episode, for painting on a timeline.

    Args:
        policy: a GAIL policy (``load_policy`` of a GAIL checkpoint, or ``trainer.policy()``).
        obs: ``(N, D)`` the policy's observation parts, concatenated in ``policy.obs_keys`` order.
        actions: ``(N, A)`` executed actions.
        next_obs: ``(N, D)``; needed when the discriminator is ``D(s, s')``.
    """
    algo = policy.net.net
    if not isinstance(algo, GAIL):
        raise ValueError(f"step_scores needs a GAIL policy, got {policy.algorithm!r}")
    dev = policy.device

    def norm(x: np.ndarray) -> torch.Tensor:
        t = torch.as_tensor(np.asarray(x, np.float32), device=dev)
        return (t - policy.net.obs_mean) / policy.net.obs_std

    o = norm(obs)
    if algo.cfg.disc_input == "obs_next_obs":
        if next_obs is None:
            raise ValueError("this discriminator is D(s, s'): pass next_obs")
        other = norm(next_obs)
    else:
        other = torch.as_tensor(np.asarray(actions, np.float32), device=dev)
    logit = algo.disc_logit(o, other, torch.zeros(len(o), device=dev))
    return torch.sigmoid(logit).cpu().numpy().astype(np.float64)
