"""Generative adversarial imitation learning (Ho & Ermon 2016) with a compact PPO policy step.

One round (the lectures' "GAIL algorithm", with PPO in place of TRPO, as the notes allow):

1. roll the stochastic policy out for ``rollout_steps`` steps in each of ``num_envs`` envs
   (a plain list of envs stepped in lock-step: for these cheap MuJoCo steps a synchronous vector
   beat subprocess workers about 3x on this machine, issue 10);
2. train the discriminator ``disc_updates`` minibatch steps with binary cross-entropy;
3. reward every policy step from the discriminator, compute GAE advantages and take
   ``ppo_epochs`` epochs of clipped-surrogate PPO (Schulman et al. 2017) on the round's samples.

**Which side is the expert.** Here ``D(x) = sigmoid(logit(x))`` is the probability that ``x``
came from the *expert*: D -> 1 on expert samples, D -> 0 on the policy's. (Ho & Ermon's
Algorithm 1 uses the opposite convention, D as a cost; the rewards below are written for ours.)

**Rewards** (``reward``): ``gail`` = -log(1 - D) (always positive), ``log_d`` = log D (always
negative), ``logit`` = log D - log(1 - D) (the discriminator's logit; the AIRL form, Fu et al.
2018), each scaled by a running std of the rewards but never shifted: shifting them by a mean
would put back a per-step bonus or penalty for staying alive.

**Variable horizon.** The arm and the car end an episode on success (or collision). A reward of
fixed sign then says something about episode length by itself: -log(1 - D) > 0 pays a policy
to loiter, log D < 0 pays it to end episodes, however they end. With ``absorbing=True``
(default) a terminated episode goes on, for the value target, in an absorbing state that the
discriminator also sees (Kostrikov et al. 2019, "Discriminator-Actor-Critic", Sec. 4.2): expert
demos that end before the time limit and policy episodes that terminate each add one absorbing
sample ``(0, 0, flag=1)``; the value after a termination is ``r(absorbing) / (1 - gamma)``. If
the expert's episodes end and the policy's do not, the absorbing state looks expert-like and
ending is rewarded; if the policy ends episodes the expert does not end (crashing), it is
penalised. Time-limit truncations are bootstrapped with the critic, as for any infinite-horizon
task (Pardo et al. 2018).

**Options**: BC warm start (``warm_start`` gradient steps on the demos before the first round),
a gradient penalty on D (``grad_penalty``; the WGAN-GP form DAC uses), a state-only
discriminator ``D(s, s')`` or ``D(s)`` for demonstrations without usable actions
(``disc_input``), observation normalisation with the demos' statistics (``normalize``), an
entropy bonus (``ent_coef``, the lectures' lambda).

Use :class:`GAILTrainer` (or :func:`algorithms.train` with ``make_env``). The registered module
:class:`GAIL` holds the actor, its log std, the critic and the discriminator, so a checkpoint
holds all four and loads with :func:`algorithms.load_policy` like any policy (acting with the
actor's mean). Through the plain BC :class:`~algorithms.Trainer` it trains the actor by BC.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812  (the usual PyTorch spelling)
from torch import nn

from algorithms.checkpoint import code_version, save_checkpoint
from algorithms.config import TrainConfig, setting
from algorithms.data import as_demo_data
from algorithms.evaluation import evaluate, obs_columns
from algorithms.policy import Policy, PolicyNet, mlp
from algorithms.registry import register

REWARDS = ("logit", "gail", "log_d")
DISC_INPUTS = ("obs_act", "obs_next_obs", "obs")


@dataclass
class GAILConfig(TrainConfig):
    """GAIL settings. ``lr``, ``batch_size`` and ``steps`` are those of plain BC training."""

    steps: int = setting(
        2000, "gradient steps when this policy is trained by plain BC (algorithms.Trainer)"
    )
    # 256x256 ReLU like BC's default: with 64x64 tanh the warm-started actor scored -12.9 on
    # Reacher-v5 from 10 demos against -7.0 for this one (50 episodes, seeds 1000-1049).
    hidden_sizes: tuple[int, ...] = setting((256, 256), "widths of the actor's and critic's layers")
    total_env_steps: int = setting(300_000, "environment steps of GAIL training")
    warm_start: int = setting(5000, "BC gradient steps before the first GAIL round (0 = none)")
    num_envs: int = setting(8, "environments stepped side by side (synchronously)")
    rollout_steps: int = setting(256, "steps per env per round (a round = num_envs x this)")
    reward: str = setting(
        "logit", "learned reward: logit, gail = -log(1-D), log_d = log D", REWARDS
    )
    absorbing: bool = setting(
        True, "absorbing states for episodes that terminate (removes the survival/hurry bias)"
    )
    disc_input: str = setting(
        "obs_act", "discriminator input: D(s,a), D(s,s') or D(s) (state-only)", DISC_INPUTS
    )
    disc_hidden_sizes: tuple[int, ...] = setting((64, 64), "widths of the discriminator")
    disc_lr: float = setting(3e-4, "discriminator learning rate (Adam)")
    disc_updates: int = setting(8, "discriminator minibatch steps per round")
    disc_batch_size: int = setting(512, "expert and policy samples per discriminator step (each)")
    grad_penalty: float = setting(0.0, "weight of the gradient penalty on D (0 = off; DAC uses 10)")
    ent_coef: float = setting(0.0, "entropy bonus lambda of the policy step")
    policy_lr: float = setting(3e-4, "PPO learning rate (Adam)")
    gamma: float = setting(0.99, "discount")
    gae_lambda: float = setting(0.95, "GAE lambda")
    ppo_epochs: int = setting(10, "PPO epochs over each round's samples")
    minibatch_size: int = setting(256, "PPO minibatch size")
    clip: float = setting(0.2, "PPO ratio clip epsilon")
    vf_coef: float = setting(0.5, "value-loss weight")
    max_grad_norm: float = setting(0.5, "PPO gradient-norm clip")
    target_kl: float = setting(0.0, "stop a round's PPO epochs above this approx KL (0 = off)")
    init_log_std: float = setting(-1.0, "initial log std of the Gaussian policy")
    normalize_reward: bool = setting(True, "divide rewards by a running std (never shift them)")
    eval_every: int = setting(25_000, "env steps between evaluations (0 = only at the end)")
    eval_episodes: int = setting(20, "episodes per evaluation (deterministic policy)")
    eval_seed: int = setting(1000, "evaluation episode i resets with eval_seed + i")

    def __post_init__(self) -> None:
        super().__post_init__()
        positive = (
            "total_env_steps num_envs rollout_steps disc_batch_size ppo_epochs minibatch_size "
            "eval_episodes"
        )
        for name in positive.split():
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("warm_start", "disc_updates", "eval_every", "eval_seed"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.disc_input not in DISC_INPUTS:
            raise ValueError(f"disc_input must be one of {DISC_INPUTS}, got {self.disc_input!r}")
        self.disc_hidden_sizes = tuple(int(h) for h in self.disc_hidden_sizes)
        if not self.disc_hidden_sizes or min(self.disc_hidden_sizes) < 1:
            raise ValueError(f"disc_hidden_sizes needs positive widths: {self.disc_hidden_sizes}")
        for name in ("disc_lr", "policy_lr", "clip", "max_grad_norm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("grad_penalty", "ent_coef", "vf_coef", "target_kl"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 < self.gamma < 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError(
                f"need 0 < gamma < 1 and 0 <= gae_lambda <= 1: {self.gamma}, {self.gae_lambda}"
            )


@register("gail", GAILConfig)
class GAIL(nn.Module):
    """Gaussian actor (state-independent std), critic and discriminator, in normalised units."""

    def __init__(self, cfg: GAILConfig, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.actor = mlp(obs_dim, cfg.hidden_sizes, act_dim, cfg.activation)
        self.log_std = nn.Parameter(torch.full((act_dim,), float(cfg.init_log_std)))
        self.critic = mlp(obs_dim, cfg.hidden_sizes, 1, cfg.activation)
        extra = {"obs_act": act_dim, "obs_next_obs": obs_dim, "obs": 0}[cfg.disc_input]
        self.disc = mlp(obs_dim + extra + 1, cfg.disc_hidden_sizes, 1, cfg.activation)  # +flag

    def disc_logit(self, obs: torch.Tensor, other: torch.Tensor, absorbing: torch.Tensor) -> Any:
        """Logit of D (expert side = 1) for obs (B, D), action or next obs (B, ·), flag (B,)."""
        parts = [obs] if self.cfg.disc_input == "obs" else [obs, other]
        x = torch.cat([*parts, absorbing[:, None]], -1)
        return self.disc(x)[:, 0]

    def loss(
        self, obs: torch.Tensor, actions: torch.Tensor, mask: torch.Tensor, *, generator: Any = None
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """BC loss of the actor's mean (used by the warm start and by the plain BC Trainer)."""
        return ((self.actor(obs[:, -1]) - actions[:, 0]) ** 2).sum(-1).mean(), {}

    def predict(
        self, obs: torch.Tensor, *, generator: Any = None, episode_state: Any = None
    ) -> Any:
        """The deterministic action (the Gaussian's mean), (B, 1, A)."""
        return self.actor(obs[:, -1])[:, None]


def reward_from_logit(logit: torch.Tensor, kind: str) -> torch.Tensor:
    """The policy's reward from D's logit (D -> 1 on expert): see the module doc."""
    if kind == "gail":
        return F.softplus(logit)  # -log(1 - sigmoid(l))
    if kind == "log_d":
        return -F.softplus(-logit)  # log sigmoid(l)
    return logit


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


class _RunningStd:
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


class GAILTrainer:
    """Runs GAIL; the same interface as :class:`algorithms.Trainer` (``run``, ``policy``, ``save``).

    Args:
        cfg: a :class:`GAILConfig`.
        data: demonstrations (a ``recordings.Dataset``, a path, ``Transitions`` or DemoData).
        make_env: ``make_env(seed) -> env`` (a StudioEnv or anything with the gymnasium API).
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        rng: numpy generator or int seed; every random draw derives from it.
        checkpoint_path: rewritten after every round.
        num_threads: torch CPU threads during :meth:`run` (``None`` = ``cfg.num_threads``).
        max_episode_steps: the env's time limit, to tell demos that terminated from demos cut
            by the limit (default: the env's ``max_episode_steps``).
    """

    def __init__(
        self,
        cfg: GAILConfig,
        data: Any,
        *,
        make_env: Callable[[int], Any],
        device: str | torch.device = "auto",
        rng: np.random.Generator | int,
        checkpoint_path: str | os.PathLike[str] | None = None,
        num_threads: int | None = None,
        log_every: int | None = None,  # accepted for train()'s signature; GAIL yields per round
    ) -> None:
        from algorithms.training import init_parameters, resolve_device

        self.cfg, self.algorithm = cfg, "gail"
        self.make_env = make_env
        self.device = dev = resolve_device(device)
        seed = int(rng) if isinstance(rng, int | np.integer) else None
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(seed)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self.num_threads = cfg.num_threads if num_threads is None else int(num_threads)
        demo = as_demo_data(data)
        self.obs_keys = list(demo.obs_keys)
        self.train_demos: list[str] = list(demo.demo_names)
        self.val_demos: list[str] = []  # GAIL's check is the env, not held-out demos
        torch_seed = int(self.rng.integers(2**62))
        self.gen = torch.Generator(device=dev).manual_seed(torch_seed)
        self.envs = [make_env(int(self.rng.integers(2**31))) for _ in range(cfg.num_envs)]
        env0 = self.envs[0]
        self.cols = obs_columns(SimpleNamespace(obs_keys=self.obs_keys), env0)
        self.max_episode_steps = int(getattr(env0, "max_episode_steps", 0) or 0)
        obs_dim, act_dim = demo.obs.shape[1], demo.actions.shape[1]
        if env0.action_space.shape[0] != act_dim:
            raise ValueError(
                f"the env has {env0.action_space.shape[0]} action dims, demos {act_dim}"
            )
        algo = cast(
            GAIL,
            init_parameters(
                GAIL, cfg, obs_dim, act_dim, generator=torch.Generator().manual_seed(torch_seed + 1)
            ),
        )
        self.net = PolicyNet(algo, obs_dim=obs_dim, act_dim=act_dim).to(dev)
        obs = torch.as_tensor(demo.obs, device=dev)
        if cfg.normalize:  # observations only: PPO acts in the env's [-1, 1] action units
            std = obs.std(0, unbiased=False)
            self.net.obs_mean.copy_(obs.mean(0))
            self.net.obs_std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
        self.algo: GAIL = algo
        self._expert_obs = self._norm(obs)
        self._expert_act = torch.as_tensor(demo.actions, device=dev)
        self._expert = self._expert_samples(demo)
        self.pi_opt = torch.optim.Adam(
            [*algo.actor.parameters(), algo.log_std, *algo.critic.parameters()], lr=cfg.policy_lr
        )
        self.d_opt = torch.optim.Adam(algo.disc.parameters(), lr=cfg.disc_lr)
        self.reward_scale = _RunningStd()
        self.env_steps = 0
        self.step = 0  # = env_steps; the CLI's progress reads it
        self.lineage: dict[str, Any] = {
            **demo.lineage,
            "algorithm": "gail",
            "seed": seed,
            "torch_seed": torch_seed,
            "train_demos": self.train_demos,
            "val_demos": [],
            "obs_keys": self.obs_keys,
            "obs_slices": {k: list(v) for k, v in demo.obs_slices.items()},
            "num_samples": len(demo.obs),
            "code_version": code_version(),
        }

    # -- helpers ----------------------------------------------------------------------------
    def _norm(self, obs: torch.Tensor) -> torch.Tensor:
        return (obs - self.net.obs_mean) / self.net.obs_std

    def _expert_samples(self, demo: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Expert discriminator inputs (obs, action or next obs, absorbing flag)."""
        ep = demo.episode_index
        last = np.r_[ep[1:] != ep[:-1], True]  # last step of each demo
        obs, act = self._expert_obs, self._expert_act
        nxt = torch.cat([obs[1:], obs[-1:]])  # s_{t+1}; the last step of a demo has none
        keep = np.ones(len(ep), bool)
        if self.cfg.disc_input == "obs_next_obs":
            keep = ~last  # only pairs inside a demo
        other = act if self.cfg.disc_input != "obs_next_obs" else nxt
        keep_t = torch.as_tensor(keep, device=self.device)
        o, x = obs[keep_t], other[keep_t]
        flags = torch.zeros(len(o), device=self.device)
        # A demo shorter than the time limit ended by termination (success or collision): it
        # continues in the absorbing state. The file's dones mark every last step, so the
        # length is what tells termination from the time limit.
        lengths = np.bincount(ep)[np.unique(ep)]
        n_abs = int((lengths < self.max_episode_steps).sum()) if self.cfg.absorbing else 0
        if n_abs:
            o = torch.cat([o, torch.zeros(n_abs, o.shape[1], device=self.device)])
            x = torch.cat([x, torch.zeros(n_abs, x.shape[1], device=self.device)])
            flags = torch.cat([flags, torch.ones(n_abs, device=self.device)])
        return o, x, flags

    def _dist(self, obs_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.algo.actor(obs_n), self.algo.log_std.expand(len(obs_n), -1)

    @staticmethod
    def _log_prob(a: torch.Tensor, mean: torch.Tensor, log_std: torch.Tensor) -> torch.Tensor:
        z = (a - mean) * torch.exp(-log_std)
        return (-0.5 * z * z - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)

    def _reset(self, env: Any) -> np.ndarray:
        return np.asarray(env.reset(seed=int(self.rng.integers(2**31)))[0], np.float64)

    def _cols(self, obs: np.ndarray) -> np.ndarray:
        return obs if self.cols is None else obs[..., self.cols]

    # -- the loop ---------------------------------------------------------------------------
    def warm_start(self) -> float:
        """``cfg.warm_start`` BC steps of the actor's mean on the demos; returns the last loss."""
        cfg, n = self.cfg, len(self._expert_obs)
        opt = torch.optim.Adam(self.algo.actor.parameters(), lr=cfg.lr)
        loss = torch.zeros(())
        for _ in range(cfg.warm_start):
            pick = torch.randint(
                n, (min(cfg.batch_size, n),), generator=self.gen, device=self.device
            )
            pred = self.algo.actor(self._expert_obs[pick])
            loss = ((pred - self._expert_act[pick]) ** 2).sum(-1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return float(loss.detach())

    @torch.no_grad()
    def rollout(self, obs: np.ndarray) -> tuple[dict[str, torch.Tensor], np.ndarray, dict]:
        """``rollout_steps`` steps in every env from ``obs`` (N, D_env); returns the buffers."""
        cfg, dev, n = self.cfg, self.device, len(self.envs)
        t_max, d = cfg.rollout_steps, self.net.obs_mean.shape[0]
        buf = {k: torch.zeros(t_max, n, d, device=dev) for k in ("obs", "next_obs")}
        buf["act"] = torch.zeros(t_max, n, self.algo.log_std.shape[0], device=dev)
        for k in ("logp", "term", "done"):
            buf[k] = torch.zeros(t_max, n, device=dev)
        episodes: dict[str, list[float]] = {"ret": [], "success": []}
        space = self.envs[0].action_space
        for t in range(t_max):
            o = self._norm(torch.as_tensor(self._cols(obs), dtype=torch.float32, device=dev))
            mean, log_std = self._dist(o)
            noise = torch.randn(mean.shape, generator=self.gen, device=dev)
            a = mean + torch.exp(log_std) * noise
            buf["obs"][t], buf["act"][t] = o, a
            buf["logp"][t] = self._log_prob(a, mean, log_std)
            a_env = np.clip(a.cpu().numpy(), space.low, space.high).astype(space.dtype)
            nxt = np.empty_like(obs)
            for j, env in enumerate(self.envs):
                o2, r, term, trunc, info = env.step(a_env[j])
                self._ret[j] += float(r)
                self._succ[j] |= bool(info.get("is_success", False))
                nxt[j] = o2  # the final observation of an episode, before any reset
                buf["term"][t, j], buf["done"][t, j] = float(term), float(term or trunc)
                if term or trunc:
                    episodes["ret"].append(self._ret[j])
                    episodes["success"].append(float(self._succ[j]))
                    self._ret[j], self._succ[j] = 0.0, False
                    obs[j] = self._reset(env)
                else:
                    obs[j] = o2
            buf["next_obs"][t] = self._norm(
                torch.as_tensor(self._cols(nxt), dtype=torch.float32, device=dev)
            )
        self.env_steps += t_max * n
        return buf, obs, episodes

    def _policy_samples(self, buf: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
        """Policy discriminator inputs: every step, plus an absorbing sample per termination."""
        o = buf["obs"].flatten(0, 1)
        x = (buf["next_obs"] if self.cfg.disc_input == "obs_next_obs" else buf["act"]).flatten(0, 1)
        flags = torch.zeros(len(o), device=self.device)
        n_abs = int(buf["term"].sum()) if self.cfg.absorbing else 0
        if n_abs:
            o = torch.cat([o, torch.zeros(n_abs, o.shape[1], device=self.device)])
            x = torch.cat([x, torch.zeros(n_abs, x.shape[1], device=self.device)])
            flags = torch.cat([flags, torch.ones(n_abs, device=self.device)])
        return o, x, flags

    def update_discriminator(self, policy: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """``disc_updates`` BCE steps, expert -> 1, policy -> 0; metrics of the last batches."""
        cfg, dev = self.cfg, self.device
        sums: dict[str, float] = {}
        for _ in range(cfg.disc_updates):
            batch = []
            for src in (self._expert, policy):
                pick = torch.randint(
                    len(src[0]), (cfg.disc_batch_size,), generator=self.gen, device=dev
                )
                batch.append([s[pick] for s in src])
            (eo, ex, ef), (po, px, pf) = batch
            le, lp = self.algo.disc_logit(eo, ex, ef), self.algo.disc_logit(po, px, pf)
            loss = 0.5 * (
                F.binary_cross_entropy_with_logits(le, torch.ones_like(le))
                + F.binary_cross_entropy_with_logits(lp, torch.zeros_like(lp))
            )
            gp = torch.zeros((), device=dev)
            if cfg.grad_penalty > 0:
                # WGAN-GP (Gulrajani et al. 2017) on expert/policy interpolates, as DAC does.
                alpha = torch.rand(len(eo), 1, generator=self.gen, device=dev)
                mix = [alpha * e + (1 - alpha) * p for e, p in ((eo, po), (ex, px))]
                mix = [m.requires_grad_(True) for m in mix]
                flag = alpha[:, 0] * ef + (1 - alpha[:, 0]) * pf
                out = self.algo.disc_logit(mix[0], mix[1], flag)
                grads = torch.autograd.grad(out.sum(), mix, create_graph=True)
                norm = torch.cat(grads, -1).norm(dim=-1)
                gp = cfg.grad_penalty * ((norm - 1) ** 2).mean()
            self.d_opt.zero_grad(set_to_none=True)
            (loss + gp).backward()
            self.d_opt.step()
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

    def ppo_update(self, buf: dict[str, torch.Tensor]) -> dict[str, float]:
        """Learned rewards, GAE and ``ppo_epochs`` epochs of the clipped surrogate."""
        cfg, dev = self.cfg, self.device
        t_max, n = buf["logp"].shape
        with torch.no_grad():
            other = buf["next_obs"] if cfg.disc_input == "obs_next_obs" else buf["act"]
            zeros = torch.zeros(t_max * n, device=dev)
            logit = self.algo.disc_logit(buf["obs"].flatten(0, 1), other.flatten(0, 1), zeros)
            raw = reward_from_logit(logit, cfg.reward).view(t_max, n)
            absorb = torch.zeros((), device=dev)
            if cfg.absorbing:
                d_obs = buf["obs"].shape[-1]
                z_o, z_x = (
                    torch.zeros(1, d_obs, device=dev),
                    torch.zeros(1, other.shape[-1], device=dev),
                )
                absorb = reward_from_logit(
                    self.algo.disc_logit(z_o, z_x, torch.ones(1, device=dev)), cfg.reward
                )[0]
            if cfg.normalize_reward:
                self.reward_scale.update(raw.flatten().cpu().numpy())
            scale = self.reward_scale.std if cfg.normalize_reward else 1.0
            rewards, absorb_r = raw / scale, absorb / scale
            values = self.algo.critic(buf["obs"].flatten(0, 1)).view(t_max, n)
            next_values = self.algo.critic(buf["next_obs"].flatten(0, 1)).view(t_max, n)
            # After a termination: the absorbing state's value r_abs / (1 - gamma), or 0.
            v_term = absorb_r / (1 - cfg.gamma) if cfg.absorbing else torch.zeros((), device=dev)
            next_values = torch.where(buf["term"] > 0, v_term, next_values)
            adv = gae(rewards, values, next_values, buf["done"], cfg.gamma, cfg.gae_lambda)
            returns = (adv + values).flatten()
            adv = adv.flatten()
        obs, act, old_logp = (
            buf["obs"].flatten(0, 1),
            buf["act"].flatten(0, 1),
            buf["logp"].flatten(),
        )
        params = [p for g in self.pi_opt.param_groups for p in g["params"]]
        sums = {
            "pg_loss": 0.0,
            "value_loss": 0.0,
            "entropy": 0.0,
            "approx_kl": 0.0,
            "clip_frac": 0.0,
        }
        count = 0
        for _ in range(cfg.ppo_epochs):
            perm = torch.randperm(len(obs), generator=self.gen, device=dev)
            kls = []
            for mb in perm.split(cfg.minibatch_size):
                mean, log_std = self._dist(obs[mb])
                logp = self._log_prob(act[mb], mean, log_std)
                log_ratio = logp - old_logp[mb]
                ratio = log_ratio.exp()
                a = adv[mb]
                a = (a - a.mean()) / (a.std() + 1e-8) if len(mb) > 1 else a
                pg = torch.max(-a * ratio, -a * ratio.clamp(1 - cfg.clip, 1 + cfg.clip)).mean()
                v_loss = 0.5 * ((self.algo.critic(obs[mb])[:, 0] - returns[mb]) ** 2).mean()
                entropy = (log_std + 0.5 * math.log(2 * math.pi * math.e)).sum(-1).mean()
                loss = pg - cfg.ent_coef * entropy + cfg.vf_coef * v_loss
                self.pi_opt.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
                self.pi_opt.step()
                with torch.no_grad():
                    kl = float(((ratio - 1) - log_ratio).mean())  # Schulman's k3 estimator
                    kls.append(kl)
                    step = {
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
        out["learned_reward"] = float(raw.mean())
        out["absorbing_reward"] = float(absorb)
        out["policy_std"] = float(self.algo.log_std.detach().exp().mean())
        return out

    def evaluate(self) -> dict[str, float]:
        """Deterministic policy, true env reward, ``eval_episodes`` from ``eval_seed``."""
        res = evaluate(
            self.policy(), self.make_env, episodes=self.cfg.eval_episodes, seed=self.cfg.eval_seed
        )
        return {"eval_return": res.mean_return, "eval_success": res.success_rate}

    def run(self) -> Generator[dict[str, float], None, Policy]:
        """Warm start, then rounds until ``total_env_steps``; yields each round's metrics.

        Yields (plain floats): ``step`` and ``env_steps`` (cumulative), ``round``, ``time_s``
        (training wall clock, evaluations excluded), ``env_steps_per_s``, the discriminator's
        ``disc_loss``, ``disc_acc_expert``, ``disc_acc_policy``, ``d_expert``, ``d_policy``,
        ``disc_entropy``, ``learned_reward``, the policy episodes' ``episode_return`` and
        ``episode_success`` (NaN when none ended this round), PPO's ``pg_loss``, ``value_loss``,
        ``entropy``, ``approx_kl``, ``clip_frac``; ``eval_return`` and ``eval_success`` at
        evaluations. A first yield after the warm start has ``warm_start_loss``.
        """
        threads_before = torch.get_num_threads()
        if self.num_threads > 0:
            torch.set_num_threads(self.num_threads)
        try:
            return (yield from self._run())
        finally:
            if self.num_threads > 0:
                torch.set_num_threads(threads_before)
            for env in self.envs:
                env.close()

    def _run(self) -> Generator[dict[str, float], None, Policy]:
        cfg = self.cfg
        train_time = 0.0
        tic = time.perf_counter()
        if cfg.warm_start:
            loss = self.warm_start()
            train_time += time.perf_counter() - tic
            yield {
                "step": 0.0,
                "env_steps": 0.0,
                "round": 0.0,
                "time_s": train_time,
                "warm_start_loss": loss,
            }
        obs = np.stack([self._reset(env) for env in self.envs])
        self._ret, self._succ = [0.0] * len(self.envs), [False] * len(self.envs)
        next_eval = cfg.eval_every if cfg.eval_every else math.inf
        rnd = 0
        while self.env_steps < cfg.total_env_steps:
            tic = time.perf_counter()
            self.algo.train()
            buf, obs, episodes = self.rollout(obs)
            roll_s = time.perf_counter() - tic
            metrics = self.update_discriminator(self._policy_samples(buf))
            metrics.update(self.ppo_update(buf))
            rnd += 1
            self.step = self.env_steps
            train_time += time.perf_counter() - tic
            metrics.update(
                {
                    "step": float(self.env_steps),
                    "env_steps": float(self.env_steps),
                    "round": float(rnd),
                    "time_s": train_time,
                    "env_steps_per_s": cfg.rollout_steps * len(self.envs) / max(roll_s, 1e-9),
                    "episode_return": float(np.mean(episodes["ret"]))
                    if episodes["ret"]
                    else math.nan,
                    "episode_success": (
                        float(np.mean(episodes["success"])) if episodes["success"] else math.nan
                    ),
                    "episodes": float(len(episodes["ret"])),
                }
            )
            bad = [
                k for k in ("disc_loss", "pg_loss", "value_loss") if not math.isfinite(metrics[k])
            ]
            if bad:
                from algorithms.training import TrainingDiverged

                raise TrainingDiverged(
                    f"gail: {bad} became NaN/inf in round {rnd}; lower "
                    f"policy_lr ({cfg.policy_lr}) or disc_lr ({cfg.disc_lr})"
                )
            last = self.env_steps >= cfg.total_env_steps
            if self.env_steps >= next_eval or last:
                metrics.update(self.evaluate())
                while next_eval <= self.env_steps:
                    next_eval += cfg.eval_every
            if self.checkpoint_path is not None:
                self.save(self.checkpoint_path)
            yield metrics
        return self.policy()

    # -- outputs ----------------------------------------------------------------------------
    def policy(self, device: str | torch.device = "cpu") -> Policy:
        """A copy of the current weights (actor, critic, discriminator) as a Policy."""
        net = copy.deepcopy(self.net).to(device)
        return Policy(
            net,
            algorithm="gail",
            config=self.cfg,
            obs_keys=self.obs_keys,
            lineage={**self.lineage, "env_steps": self.env_steps},
            device=device,
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the current weights as a checkpoint (atomically)."""
        return save_checkpoint(path, self.policy())


GAIL.trainer = GAILTrainer  # type: ignore[attr-defined]  # algorithms.train() dispatches on it


@torch.no_grad()
def step_scores(
    policy: Policy, obs: np.ndarray, actions: np.ndarray, next_obs: np.ndarray | None = None
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
