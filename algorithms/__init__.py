"""Policies and learning: behaviour cloning, conditional VAE, evaluation.

torch, numpy, gymnasium and recordings only; never Qt, never the studio.

What exists: two algorithms (``bc``: MLP with an mse, gaussian or gmm head, optional observation
history; ``cvae``: conditional VAE over action chunks with ACT-style temporal ensembling), the
training loop, checkpoints and seeded evaluation, used by the ``train`` and ``eval`` commands.
``gail`` (GAIL with a PPO policy step, :mod:`algorithms.gail`) trains in an env: pass
``make_env(seed) -> env`` to :func:`train`. DAgger rounds over a recordings file:
:func:`algorithms.dagger.run_dagger` (the ``dagger`` command). Not here yet: a GUI training panel.

Public API::

    import numpy as np
    import algorithms

    algorithms.names()                            # ["bc", "cvae"]
    entry = algorithms.get("bc")                  # Entry(name, config_cls, algorithm_cls)
    cfg = algorithms.make_config("bc", {"head": "gmm", "steps": "2000"})  # strings are parsed
    # dataclasses.fields(entry.config_cls): each field has metadata["help"] (and "choices")

    # 1. Generator: metrics every cfg.log_every steps; stop at any yield. Returns the Policy.
    for m in algorithms.train(cfg, "demos.h5", device="auto", rng=np.random.default_rng(0)):
        print(m["step"], m["loss"], m.get("val_loss"))

    # 2. Trainer: the same loop, plus a policy or a checkpoint at any time.
    trainer = algorithms.Trainer(cfg, dataset, device="cpu", rng=0, num_threads=1,
                                 checkpoint_path="runs/x/checkpoint.pt")
    for m in trainer.run():
        ...
    policy = trainer.policy()                     # copy of the current weights
    trainer.save("final.pt")

    policy = algorithms.load_policy("final.pt", device="cpu")
    policy.reset()                                # at every episode start
    action = policy.act(obs)                      # (D,) -> (A,) or (B, D) -> (B, A), numpy
    policy.obs_keys                               # obs is these named parts concatenated

    result = algorithms.evaluate(policy, lambda seed: make_env(env_id), episodes=100, seed=0)
    result.success_rate, result.mean_return, result.collision_rate, result.records

``data`` is a ``recordings.Dataset``, a path to a recordings file, a ``Transitions`` object or a
:class:`DemoData` (``DemoData.from_arrays(obs, actions, episode_index)``). Validation uses the
file's ``valid`` mask when present, else a seeded ``cfg.val_fraction`` of the demos.

Threads: a caller that trains in a worker thread builds the ``Trainer`` there as well (it reads
the file, hashes it for the lineage and moves the data to the device); between two yields it may
take ``trainer.policy()`` (a copy) and hand it to another thread.

Errors: ``ValueError`` for bad settings or devices (``"cuda"`` without CUDA),
:class:`TrainingDiverged` when the loss becomes NaN/inf (checked every step on CPU, every 10 on
CUDA; weights roll back to the last good log point; a ``checkpoint_path`` file keeps the last
good checkpoint), :class:`CheckpointError` for files that are not, or no longer, our
checkpoints. Call :func:`warm_up` once in a worker thread
before training so that torch.optim's lazy imports do not stall the first step.
"""

from algorithms import bc, cvae, gail  # noqa: F401  (register the algorithms)
from algorithms.bc import BCConfig
from algorithms.checkpoint import CheckpointError, load_policy, read_checkpoint, save_checkpoint
from algorithms.config import TrainConfig
from algorithms.cvae import CVAEConfig
from algorithms.data import DemoData, as_demo_data
from algorithms.evaluation import EpisodeRecord, EvalResult, evaluate
from algorithms.gail import GAILConfig, GAILTrainer
from algorithms.policy import Policy
from algorithms.registry import Entry, config_to_dict, get, make_config, name_of, names, register
from algorithms.training import (
    Trainer,
    TrainingDiverged,
    learns_in_env,
    make_trainer,
    resolve_device,
    train,
    warm_up,
)

__all__ = [
    "BCConfig",
    "CVAEConfig",
    "CheckpointError",
    "DemoData",
    "Entry",
    "EpisodeRecord",
    "EvalResult",
    "GAILConfig",
    "GAILTrainer",
    "Policy",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "as_demo_data",
    "config_to_dict",
    "evaluate",
    "get",
    "learns_in_env",
    "load_policy",
    "make_config",
    "make_trainer",
    "name_of",
    "names",
    "read_checkpoint",
    "register",
    "resolve_device",
    "save_checkpoint",
    "train",
    "warm_up",
]
