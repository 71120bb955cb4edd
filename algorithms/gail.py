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
a BC term in the policy step (``bc_coef``, annealed over ``bc_anneal`` of training: GAIL+BC,
Jena et al. 2020, which keeps what the warm start learnt while the discriminator's reward
corrects the states BC never saw), a gradient penalty on D (``grad_penalty``; WGAN-GP as DAC
uses it, or zero-centred with ``grad_penalty_target=0``), instance noise on D's inputs
(``disc_noise``), a state-only discriminator ``D(s, s')`` or ``D(s)`` for demonstrations
without usable actions (``disc_input``), observation normalisation with the demos' statistics
(``normalize``), an entropy bonus (``ent_coef``, the lectures' lambda), a linearly annealed PPO
learning rate (``lr_anneal``). Every setting is described in :class:`GAILConfig`.

Use :class:`GAILTrainer` (or :func:`algorithms.train` with ``make_env``). The registered module
:class:`GAIL` holds the actor, its log std, the critic and the discriminator, so a checkpoint
holds all four and loads with :func:`algorithms.load_policy` like any policy (acting with the
actor's mean). Through the plain BC :class:`~algorithms.Trainer` it trains the actor by BC.

Modules, by job: :mod:`algorithms.gail_config` (the settings), :mod:`algorithms.gail_model`
(the network), :mod:`algorithms.gail_disc` (discriminator samples, update, rewards,
:func:`step_scores`), :mod:`algorithms.gail_ppo` (buffers, GAE, the PPO step and the BC term);
this module is the loop (:class:`GAILTrainer`) and re-exports the public names.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Callable, Generator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import torch

from algorithms.checkpoint import code_version, save_checkpoint
from algorithms.data import as_demo_data
from algorithms.evaluation import evaluate, obs_columns
from algorithms.gail_config import DISC_INPUTS, REWARDS, GAILConfig
from algorithms.gail_disc import (
    expert_samples,
    learned_rewards,
    policy_samples,
    reward_from_logit,
    step_scores,
    update_discriminator,
)
from algorithms.gail_model import GAIL
from algorithms.gail_ppo import RunningStd, gae, log_prob, new_buffer, ppo_update
from algorithms.policy import Policy, PolicyNet

__all__ = [
    "DISC_INPUTS",
    "GAIL",
    "REWARDS",
    "GAILConfig",
    "GAILTrainer",
    "gae",
    "reward_from_logit",
    "step_scores",
]


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
                GAIL,
                cfg,
                obs_dim,
                act_dim,
                generator=torch.Generator().manual_seed(torch_seed + 1),
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
        self._expert = expert_samples(
            self._expert_obs,
            self._expert_act,
            demo.episode_index,
            cfg,
            self.max_episode_steps,
        )
        self.pi_opt = torch.optim.Adam(
            [*algo.actor.parameters(), algo.log_std, *algo.critic.parameters()],
            lr=cfg.policy_lr,
        )
        self.d_opt = torch.optim.Adam(algo.disc.parameters(), lr=cfg.disc_lr)
        self.reward_scale = RunningStd()
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

    # -- helpers ----------------------------------------------------------------------------
    def _norm(self, obs: torch.Tensor) -> torch.Tensor:
        return (obs - self.net.obs_mean) / self.net.obs_std

    def _dist(self, obs_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.algo.actor(obs_n), self.algo.log_std.expand(len(obs_n), -1)

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
        buf = new_buffer(t_max, n, d, self.algo.log_std.shape[0], dev)
        episodes: dict[str, list[float]] = {"ret": [], "success": []}
        space = self.envs[0].action_space
        for t in range(t_max):
            o = self._norm(torch.as_tensor(self._cols(obs), dtype=torch.float32, device=dev))
            mean, log_std = self._dist(o)
            noise = torch.randn(mean.shape, generator=self.gen, device=dev)
            a = mean + torch.exp(log_std) * noise
            buf["obs"][t], buf["act"][t] = o, a
            buf["logp"][t] = log_prob(a, mean, log_std)
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
        return policy_samples(buf, self.cfg)

    def update_discriminator(self, policy: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """``disc_updates`` BCE steps, expert -> 1, policy -> 0; the steps' mean metrics."""
        o, x, f = policy
        return update_discriminator(
            self.algo, self.d_opt, self._expert, (o, x, f), self.cfg, generator=self.gen
        )

    def ppo_update(self, buf: dict[str, torch.Tensor]) -> dict[str, float]:
        """Learned rewards, GAE and ``ppo_epochs`` epochs of the clipped surrogate."""
        cfg, dev = self.cfg, self.device
        t_max, n = buf["logp"].shape
        raw, absorb = learned_rewards(self.algo, buf, cfg)
        with torch.no_grad():
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
        # Progress through training before this round's rollout: the schedules' clock.
        progress = (self.env_steps - t_max * n) / cfg.total_env_steps
        out = ppo_update(
            self.algo,
            self.pi_opt,
            buf,
            adv.flatten(),
            returns,
            cfg,
            generator=self.gen,
            progress=progress,
            expert=(self._expert_obs, self._expert_act),
        )
        out["learned_reward"] = float(raw.mean())
        out["absorbing_reward"] = float(absorb)
        return out

    def evaluate(self) -> dict[str, float]:
        """Deterministic policy, true env reward, ``eval_episodes`` from ``eval_seed``."""
        res = evaluate(
            self.policy(),
            self.make_env,
            episodes=self.cfg.eval_episodes,
            seed=self.cfg.eval_seed,
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
