"""Where to relabel: a policy's per-frame uncertainty and the stretches that stand out.

:func:`action_spread` measures, per observation, how much a policy disagrees with itself, in
the first way of these that the policy offers (:func:`uncertainty_kind` names it):

- a deep ensemble (BC with ``ensemble`` > 1): the spread of its members' actions, each member
  trained from its own initialisation. Members agree where the data pin the action down and
  part where they do not (Lakshminarayanan et al. 2017; the "ensemble" of ensemble DAgger and
  ThriftyDAgger);
- a stochastic head (cVAE, GMM, Gaussian): the spread of ``samples`` actions drawn for the same
  observation, high where the head is torn between modes;
- a single deterministic network: the spread of its actions for the observation plus a little
  Gaussian noise (``noise`` × the policy's observation std). A network far from its data reacts
  sharply to small changes of its input, so this is a weaker stand-in for an ensemble.

:func:`flag_threshold` and :func:`next_flagged` turn a per-frame curve (uncertainty, or the
distance between the policy and the person) into "label here next": the stretches above a
quantile of the curve, the highest first, skipping those already labelled.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _members(policy: Any) -> int:
    net = getattr(policy.net, "net", None)
    return 1 + len(getattr(net, "others", ())) if hasattr(net, "member_actions") else 1


def _stochastic(policy: Any) -> bool:
    # Whether two calls on one observation can give different actions.
    cfg = policy.config
    head, mode = getattr(cfg, "head", None), getattr(cfg, "act_mode", None)
    if head == "gmm":
        return mode in ("component", "sample")
    if head == "gaussian":
        return mode == "sample"
    return getattr(cfg, "z_mode", "zero") != "zero"  # a cVAE draws its latent


def uncertainty_kind(policy: Any) -> str:
    """Which measure :func:`action_spread` uses for ``policy``, in words for a plot's legend."""
    if _members(policy) > 1:
        return f"ensemble disagreement ({_members(policy)} members)"
    if _stochastic(policy):
        return "spread of the policy's samples"
    return "sensitivity to input noise (train with ensemble > 1 for a better measure)"


def action_spread(
    policy: Any, obs: np.ndarray, *, samples: int = 8, noise: float = 0.05, seed: int = 0
) -> np.ndarray:
    """``(N,)`` spread of the policy's actions at each of ``obs`` ``(N, D)``.

    The spread is the root-mean-square over action dimensions of the standard deviation over
    the ensemble's members or over ``samples`` actions (see the module's docstring), in the
    policy's action units. The policy's episode state is reset.
    """
    x = np.asarray(obs, dtype=np.float32)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    if _members(policy) > 1:
        import torch

        net = policy.net
        o = torch.as_tensor(x, device=net.obs_mean.device)
        o = ((o - net.obs_mean) / net.obs_std)[:, None].expand(-1, policy.history, -1)
        acts = net.net.member_actions(o) * net.act_std  # (N, E, A) in action units
        spread = acts.std(1, unbiased=False).pow(2).mean(-1).sqrt()
        return spread.cpu().numpy().astype(np.float64)
    rng = np.random.default_rng(seed)
    stochastic = _stochastic(policy)
    std = policy.net.obs_std.detach().cpu().numpy().astype(np.float32)
    batch = np.repeat(x, samples, axis=0)
    if not stochastic:  # samples of a stochastic head differ already; noise would blur them
        batch = batch + noise * std * rng.standard_normal(batch.shape).astype(np.float32)
    policy.reset(seed)
    acts = np.asarray(policy.act(batch), dtype=np.float64).reshape(n, samples, -1)
    policy.reset()
    return np.sqrt(np.mean(acts.std(axis=1) ** 2, axis=1))


def flag_threshold(curve: np.ndarray, quantile: float = 0.8) -> float:
    """The value above which a frame is flagged: the ``quantile`` of the curve's known values."""
    c = np.asarray(curve, dtype=np.float64)
    finite = c[np.isfinite(c)]
    return float(np.quantile(finite, quantile)) if finite.size else float("inf")


def flagged_stretches(curve: np.ndarray, threshold: float) -> list[tuple[int, int, float]]:
    """``(start, stop, peak)`` of each run of frames above ``threshold``, highest peak first."""
    c = np.nan_to_num(np.asarray(curve, dtype=np.float64), nan=-np.inf)
    above = c > threshold
    out = []
    i, n = 0, len(c)
    while i < n:
        if above[i]:
            j = i
            while j < n and above[j]:
                j += 1
            out.append((i, j, float(c[i:j].max())))
            i = j
        else:
            i += 1
    out.sort(key=lambda s: (-s[2], s[0]))
    return out


def next_flagged(curve: np.ndarray, threshold: float, done: np.ndarray | None = None) -> int | None:
    """The first frame of the highest stretch above ``threshold`` with a frame not ``done``."""
    for start, stop, _peak in flagged_stretches(curve, threshold):
        if done is None or not np.asarray(done[start:stop], bool).all():
            return start
    return None


def discriminator_scores(
    policy: Any, obs: np.ndarray, actions: np.ndarray, next_obs: np.ndarray | None = None
) -> np.ndarray | None:
    """``(N,)`` D of a GAIL policy's discriminator at each recorded step (1: like the demos).

    ``obs`` and ``next_obs`` are the policy's flat inputs, ``actions`` the executed actions,
    in the units the discriminator was trained on. None for a policy without a discriminator
    (BC, cVAE), or a state-transition discriminator given no ``next_obs``.
    """
    module: Any = getattr(policy.net, "net", None)
    if not hasattr(module, "disc_logit"):
        return None
    import torch

    net = policy.net
    kind = module.cfg.disc_input
    if kind == "obs_next_obs" and next_obs is None:
        return None
    with torch.no_grad():
        device = net.obs_mean.device

        def norm(x: np.ndarray) -> Any:
            t = torch.as_tensor(np.asarray(x, np.float32), device=device)
            return (t - net.obs_mean) / net.obs_std

        o = norm(obs)
        other = (
            norm(next_obs)  # type: ignore[arg-type]
            if kind == "obs_next_obs"
            else torch.as_tensor(np.asarray(actions, np.float32), device=device)
        )
        logit = module.disc_logit(o, other, torch.zeros(len(o), device=device))
        return torch.sigmoid(logit).cpu().numpy().astype(np.float64)
