"""GAIL's settings (:class:`GAILConfig`); the algorithm is described in :mod:`algorithms.gail`."""

from __future__ import annotations

from dataclasses import dataclass

from algorithms.config import TrainConfig, require, setting

REWARDS = ("logit", "gail", "log_d")
DISC_INPUTS = ("obs_act", "obs_next_obs", "obs")


@dataclass
class GAILConfig(TrainConfig):
    """GAIL settings. ``lr``, ``batch_size`` and ``steps`` are those of plain BC training."""

    steps: int = setting(
        2000,
        "gradient steps when this policy is trained by plain BC (algorithms.Trainer)",
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
        True,
        "absorbing states for episodes that terminate (removes the survival/hurry bias)",
    )
    # D(s) scored better on Reacher-v5 (-5.53 / -7.84 against -6.06 / -13.79, 10 demos seed 0 /
    # 4 demos seed 1) but the arm push fell to about 30% success (benchmarks/results/gail.md).
    disc_input: str = setting(
        "obs_act",
        "discriminator input: D(s,a), D(s,s') or D(s) (state-only)",
        DISC_INPUTS,
    )
    # Empty (all) by default. On Reacher-v5 a D that saw only the joint velocities and the
    # fingertip-target vector (6,7,8,9) ended at -5.63 / -4.75 with 10 demos and -6.12 / -6.70
    # with 4 (seeds 0 / 1) against -6.17 / -5.75 and -9.38 / -9.73 seeing everything: with
    # few targets in the demos, a D that sees the joint angles and the target learns which arm
    # poses are the demos' instead of "at the target" (benchmarks/results/gail.md). The
    # columns are chosen by hand for Reacher, so they are not a default.
    disc_obs_dims: tuple[int, ...] = setting(
        (),
        "observation columns the discriminator sees (indices into the policy's observation, "
        "its parts concatenated in obs_keys order); empty = all of them",
    )
    disc_hidden_sizes: tuple[int, ...] = setting((64, 64), "widths of the discriminator")
    disc_lr: float = setting(3e-4, "discriminator learning rate (Adam)")
    disc_updates: int = setting(8, "discriminator minibatch steps per round")
    disc_batch_size: int = setting(512, "expert and policy samples per discriminator step (each)")
    grad_penalty: float = setting(0.0, "weight of the gradient penalty on D (0 = off; DAC uses 10)")
    grad_penalty_target: float = setting(
        1.0,
        "gradient norm the penalty pulls D toward on expert/policy interpolates: 1 = WGAN-GP "
        "(as DAC), 0 = zero-centred (Blondé et al. 2022, 'Lipschitzness is all you need')",
    )
    disc_noise: float = setting(
        0.0,
        "std of Gaussian noise added to both sides' discriminator inputs while D trains "
        "(instance noise, in normalised units; 0 = off)",
    )
    ent_coef: float = setting(0.0, "entropy bonus lambda of the policy step")
    # GAIL+BC, off by default: on Reacher-v5 (300k env steps) bc_coef=1 held took the final
    # evaluation from -6.06 to -5.68 (10 demos, seed 0) and from -13.79 to -8.36 (4 demos,
    # seed 1), but the arm-push scene then fell below its 90% bar at 300k (85%, seed 0; 78%
    # when annealed): benchmarks/results/gail.md, notes.
    bc_coef: float = setting(
        0.0,
        "weight of a BC loss (squared error of the actor's mean on a minibatch of expert pairs) "
        "added to every PPO minibatch loss (GAIL+BC, Jena et al. 2020); 0 = off",
    )
    bc_anneal: float = setting(
        0.0,
        "the BC weight falls linearly from bc_coef to 0 over this fraction of total_env_steps "
        "(0 = held at bc_coef throughout)",
    )
    policy_lr: float = setting(3e-4, "PPO learning rate (Adam)")
    lr_anneal: bool = setting(
        True,
        "PPO learning rate falls linearly from policy_lr to 0 over total_env_steps, so the "
        "last policy is a settled one, not a snapshot of the oscillating GAIL game",
    )
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
        require(
            self,
            "total_env_steps num_envs rollout_steps disc_batch_size ppo_epochs minibatch_size "
            "eval_episodes",
            lambda v: v >= 1,
            ">= 1",
        )
        require(self, "warm_start disc_updates eval_every eval_seed", lambda v: v >= 0, ">= 0")
        if self.reward not in REWARDS:
            raise ValueError(f"reward must be one of {REWARDS}, got {self.reward!r}")
        if self.disc_input not in DISC_INPUTS:
            raise ValueError(f"disc_input must be one of {DISC_INPUTS}, got {self.disc_input!r}")
        self.disc_hidden_sizes = tuple(int(h) for h in self.disc_hidden_sizes)
        self.disc_obs_dims = tuple(int(i) for i in self.disc_obs_dims)
        if min(self.disc_obs_dims, default=0) < 0 or len(set(self.disc_obs_dims)) < len(
            self.disc_obs_dims
        ):
            raise ValueError(f"disc_obs_dims needs distinct indices >= 0: {self.disc_obs_dims}")
        if not self.disc_hidden_sizes or min(self.disc_hidden_sizes) < 1:
            raise ValueError(f"disc_hidden_sizes needs positive widths: {self.disc_hidden_sizes}")
        require(self, "disc_lr policy_lr clip max_grad_norm", lambda v: v > 0, "> 0")
        require(
            self,
            "grad_penalty grad_penalty_target disc_noise ent_coef bc_coef bc_anneal vf_coef "
            "target_kl",
            lambda v: v >= 0,
            ">= 0",
        )
        if not 0 < self.gamma < 1 or not 0 <= self.gae_lambda <= 1:
            raise ValueError(
                f"need 0 < gamma < 1 and 0 <= gae_lambda <= 1: {self.gamma}, {self.gae_lambda}"
            )
