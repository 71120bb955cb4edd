"""The trained policy every algorithm returns: ``act(obs) -> action`` on numpy arrays.

A :class:`Policy` wraps an algorithm's network together with the normalisation statistics, keeps
the observation history (for ``obs_history`` > 1) and executes action chunks, either open loop or
with ACT's temporal ensembling (Zhao et al. 2023, "Learning Fine-Grained Bimanual Manipulation
with Low-Cost Hardware", Sec. 3.3): every step predicts a new chunk and the action for the
current step averages all chunks that cover it with weights ``exp(-m * i)``, ``i = 0`` the oldest.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}

# One flat observation, two names: robomimic's EnvGym records a gym env's observation as
# ``obs/flat``; the studio's gymnasium adapter called the same part ``observation`` before.
FLAT_PART_NAMES = ("flat", "observation")


def match_parts(keys: list[str], available: Any) -> tuple[list[str], list[str]]:
    """The names in ``available`` for each of ``keys``, treating ``flat``/``observation`` as one.

    Args:
        keys: the parts a policy reads, in order.
        available: the parts an env or a step offers (anything supporting ``in``).

    Returns:
        ``(names, missing)``: the available name of each key found, in order, and the keys
        found under neither name.
    """
    names, missing = [], []
    for key in keys:
        alias = [n for n in FLAT_PART_NAMES if key in FLAT_PART_NAMES and n in available]
        if key in available:
            names.append(key)
        elif alias:
            names.append(alias[0])
        else:
            missing.append(key)
    return names, missing


def mlp(
    in_dim: int, hidden: tuple[int, ...], out_dim: int, activation: str = "relu"
) -> nn.Sequential:
    """``Linear -> act -> ... -> Linear`` with the given hidden widths."""
    layers: list[nn.Module] = []
    d = in_dim
    for h in hidden:
        layers += [nn.Linear(d, h), _ACTIVATIONS[activation]()]
        d = h
    layers.append(nn.Linear(d, out_dim))
    return nn.Sequential(*layers)


class PolicyNet(nn.Module):
    """An algorithm's network plus the normalisation statistics as buffers (one state dict).

    ``net`` works in normalised units: observations ``(obs - obs_mean) / obs_std`` and actions
    ``(action - act_mean) / act_std``.
    """

    # The algorithm's network: an nn.Module with loss() and predict() (see bc.py, cvae.py).
    net: Any
    # Buffers, declared for type checkers (register_buffer sets them at run time).
    obs_mean: torch.Tensor
    obs_std: torch.Tensor
    act_mean: torch.Tensor
    act_std: torch.Tensor

    def __init__(self, net: nn.Module, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("obs_mean", torch.zeros(obs_dim))
        self.register_buffer("obs_std", torch.ones(obs_dim))
        self.register_buffer("act_mean", torch.zeros(act_dim))
        self.register_buffer("act_std", torch.ones(act_dim))

    def set_stats(self, obs: torch.Tensor, actions: torch.Tensor) -> None:
        """Set mean/std from train ``obs (N, D)`` and ``actions (N, A)``; constant dims get 1."""
        for name, x in (("obs", obs), ("act", actions)):
            std = x.std(0, unbiased=False)
            getattr(self, f"{name}_mean").copy_(x.mean(0))
            getattr(self, f"{name}_std").copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))


class Policy:
    """A trained policy: ``act(obs) -> action`` on numpy, one ``(D,)`` or a batch ``(B, D)``.

    The observation is the flat concatenation of :attr:`obs_keys` in order (the same layout as the
    ``Transitions.obs`` it was trained on). Call :meth:`reset` at the start of every episode: it
    clears the observation history, the pending action chunks and the per-episode latent.
    """

    def __init__(
        self,
        net: PolicyNet,
        *,
        algorithm: str,
        config: Any,
        obs_keys: list[str],
        lineage: dict[str, Any],
        device: torch.device | str = "cpu",
        seed: int = 0,
    ) -> None:
        self.net = net.to(device).eval()
        self.algorithm = algorithm
        self.config = config
        self.obs_keys = list(obs_keys)
        self.lineage = dict(lineage)
        self.device = torch.device(device)
        self.obs_dim = int(net.obs_mean.shape[0])
        self.act_dim = int(net.act_mean.shape[0])
        self.history = int(getattr(config, "obs_history", 1))
        self.chunk_size = int(getattr(config, "chunk_size", 1))
        self.temporal_ensemble = bool(getattr(config, "temporal_ensemble", False))
        self.ensemble_decay = float(getattr(config, "ensemble_decay", 0.01))
        self._generator = torch.Generator(device=self.device)
        self.reset(seed)

    def reset(self, seed: int | None = None) -> None:
        """Start a new episode (and reseed the sampling generator when ``seed`` is given)."""
        if seed is not None:
            self._generator.manual_seed(int(seed))
        self._obs_hist: torch.Tensor | None = None  # (B, k, D) normalised, oldest first
        self._chunks: deque[torch.Tensor] = deque(maxlen=self.chunk_size)  # each (B, H, A)
        self._queue: torch.Tensor | None = None  # (B, h, A) open-loop actions left to execute
        self._episode_state: dict[str, torch.Tensor] = {}

    def obs_from_parts(self, parts: dict[str, np.ndarray]) -> np.ndarray:
        """The policy's flat input from named observation parts (e.g. ``env.split_obs(obs)``)."""
        if not self.obs_keys:
            raise ValueError("this policy was trained on unnamed observations; pass the flat obs")
        names, missing = match_parts(self.obs_keys, parts)
        if missing:
            raise ValueError(
                f"missing observation part(s) {missing}; the policy reads {self.obs_keys}"
            )
        return np.concatenate([np.asarray(parts[k], dtype=np.float32) for k in names], -1)

    @torch.no_grad()
    def act(self, obs: np.ndarray) -> np.ndarray:
        """Action(s) for ``obs`` ``(D,)`` -> ``(A,)`` or ``(B, D)`` -> ``(B, A)``, float32."""
        x = np.asarray(obs, dtype=np.float32)
        single = x.ndim == 1
        if single:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(
                f"expected obs of shape ({self.obs_dim},) or (B, {self.obs_dim}) "
                f"(keys {self.obs_keys}), got {np.shape(obs)}"
            )
        o = torch.from_numpy(x).to(self.device)
        o = (o - self.net.obs_mean) / self.net.obs_std  # (B, D)
        if self._obs_hist is None or self._obs_hist.shape[0] != o.shape[0]:
            self.reset()
            self._obs_hist = o[:, None].expand(-1, self.history, -1).clone()  # (B, k, D)
        else:
            self._obs_hist = torch.cat([self._obs_hist[:, 1:], o[:, None]], dim=1)
        a = self._next_action()  # (B, A) normalised
        a = a * self.net.act_std + self.net.act_mean
        out = a.cpu().numpy().astype(np.float32)
        return out[0] if single else out

    def _predict(self) -> torch.Tensor:
        # (B, H, A) normalised chunk from the current history.
        return self.net.net.predict(
            self._obs_hist, generator=self._generator, episode_state=self._episode_state
        )

    def _next_action(self) -> torch.Tensor:
        if self.chunk_size == 1:
            return self._predict()[:, 0]
        if not self.temporal_ensemble:
            if self._queue is None or self._queue.shape[1] == 0:
                self._queue = self._predict()
            a, self._queue = self._queue[:, 0], self._queue[:, 1:]
            return a
        self._chunks.append(self._predict())
        # The chunk issued i steps ago (i = age) predicts this step at position i.
        n = len(self._chunks)
        preds = torch.stack([c[:, n - 1 - j] for j, c in enumerate(self._chunks)], 1)  # (B, n, A)
        w = torch.exp(-self.ensemble_decay * torch.arange(n, device=self.device))  # oldest first
        return (preds * (w / w.sum())[None, :, None]).sum(1)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """Weights and normalisation statistics (CPU tensors)."""
        return {k: v.detach().cpu().clone() for k, v in self.net.state_dict().items()}

    def save(self, path: str | Path) -> None:
        """Write a self-describing checkpoint (see :mod:`algorithms.checkpoint`)."""
        from algorithms.checkpoint import save_checkpoint

        save_checkpoint(path, self)
