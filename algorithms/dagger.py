"""DAgger (Ross, Gordon & Bagnell 2011): train BC, roll out, have the expert label, aggregate.

Each round:

1. train BC (:class:`~algorithms.BCConfig`) on the aggregate dataset, which is the recordings
   file itself (:func:`aggregate`);
2. evaluate it (deterministic seeds ``eval_seed + i``);
3. roll the policy out for ``episodes_per_round`` episodes. With probability ``beta_i`` a step
   executes the expert's action instead (the paper's mixture policy ``beta_i = p**(i-1)``:
   ``beta_i = beta * beta_decay**(i-1)`` in round i, by default 1, 0.5, 0.25). The expert
   still labels every step, so a mixed rollout adds labelled states near the expert's path
   with the learner's deviations in them. On the arm with every observation part the pure
   learner (``beta = 0``) mostly stands still from the start, and each failed rollout adds
   300 labels of one or two states: 4% -> 2% after a round, against 4% -> 13% -> 30% -> 69%
   with the default schedule (benchmarks/results/dagger.md).
   With ``gate = tau > 0`` the rollout is instead intervention-gated, as in HG-DAgger (Kelly
   et al. 2019) and EnsembleDAgger (Menda et al. 2019), the studio's "take over when the
   policy goes wrong": the learner drives until its action is more than ``tau`` (L2, action
   units) from the expert's label for ``gate_after`` steps in a row; the expert then drives
   until the gap has been at most ``tau`` for ``gate_hold`` steps in a row, and hands back
   (:class:`InterventionGate`). The labels then sit on the learner's own states up to where
   it goes wrong, plus the expert's recovery, rather than on the expert's path (beta mixing)
   or on 300 steps of an unrecoverable failure (the pure learner). Beta mixing still applies
   on top (``beta = 0`` for the gate alone). On the arm with every part, ``gate = 0.45``
   ends round 3 at 77%, 65%, 70% on seeds 0-2, against the mixture's 69%, 63%, 56%: ahead
   on each seed, still short of 80% (0.6: 59%, 69%, 63%; benchmarks/results/dagger.md).
   With ``expert_noise = sigma > 0`` (DART, Laskey et al. 2017) Gaussian noise of that std
   is added to what the expert executes wherever it drives a step, and the step's label
   stays the expert's clean action. The learner then sees states just off the expert's path
   with the correction as label, and the arm's joint velocities (which carry the previous
   motion) stop predicting the label, so it cannot simply copy its last action (the
   "copycat" failure that stalls the arm beside the puck). On the arm with every part,
   sigma 0.4 takes the mixture to 85%, 66%, 72% and the gate to 75%, 74%, 76% (seeds 0-2);
   the expert driving round 1 (``beta = 1, beta_decay = 0``) with that noise, then the gate
   at 0.45, with a GELU BC network, reaches 92%, 83%, 92%;
4. the expert labels every visited state, and each rollout is appended to the file as a demo:
   ``source="policy"``, per-step provenance (POLICY, or SCRIPTED where the expert's action was
   executed), ``labels`` = the expert's actions, attributes ``dagger_round``, ``beta`` and,
   with the gate, ``gate``, ``gate_after``, ``gate_hold``, ``expert_steps`` and ``takeovers``
   (no ``parent``: the rollout carries its own labels).

**One code path for both kinds of labels.** :func:`aggregate` trains on expert actions only:
a step's ``label`` where it has one, else its executed action when an expert executed it
(provenance HUMAN, SCRIPTED, RELABEL, or UNKNOWN for foreign files); a policy's own unlabelled
steps are never training targets. So the labels a scripted expert wrote in step 4 and the
labels a person gave in the studio's relabel mode (a ``relabel`` demo with ``labels`` and a
``parent`` rollout, whose own unlabelled policy steps are then left out) are read the same way.
With no callable expert (``expert=None``) the rollouts are appended unlabelled, for a person to
label, and training uses whatever labels the file already holds.

``algorithms`` never imports the studio: envs come from ``make_env(seed) -> env`` (a StudioEnv:
``get_state``, ``split_obs``, ``env_args``, ``model_xml`` are used to record the rollouts).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from algorithms.bc import BCConfig
from algorithms.config import require, setting
from algorithms.dagger_baseline import SameLabelsBC
from algorithms.data import DemoData, file_sha256
from algorithms.evaluation import evaluate, obs_columns
from algorithms.policy import Policy, match_parts
from algorithms.training import Trainer


class Expert(Protocol):
    """A labeller: ``act(full_obs) -> action`` and ``reset()`` at each episode start."""

    def act(self, obs: np.ndarray) -> np.ndarray: ...

    def reset(self) -> None: ...


@dataclass
class DAggerConfig:
    """DAgger's round settings (the BC settings are a separate :class:`BCConfig`)."""

    rounds: int = setting(3, "rounds of roll out -> label -> aggregate -> retrain")
    episodes_per_round: int = setting(5, "policy rollouts labelled per round")
    beta: float = setting(1.0, "probability of executing the expert's action in round 1")
    beta_decay: float = setting(0.5, "beta of round i = beta * beta_decay**(i-1)")
    eval_episodes: int = setting(100, "evaluation episodes after each training")
    eval_seed: int = setting(1000, "evaluation episode i resets with eval_seed + i")
    rollout_seed: int = setting(5000, "rollout j of round i resets with this + i*1000 + j")
    gate: float = setting(
        0.0, "expert takes over when |learner - expert| > gate (L2, action units); 0 = off"
    )
    gate_after: int = setting(1, "steps in a row over the gate before the expert takes over")
    gate_hold: int = setting(3, "steps in a row within the gate before the expert hands back")
    expert_noise: float = setting(
        0.0,
        "std of Gaussian noise added to the expert's action where the expert drives a rollout "
        "step (DART); its label stays the clean action; 0 = off",
    )

    def __post_init__(self) -> None:
        names = "rounds episodes_per_round eval_episodes gate_after gate_hold"
        require(self, names, lambda v: v >= 1, ">= 1")
        require(self, "beta beta_decay", lambda v: 0 <= v <= 1, "in [0, 1]")
        if self.eval_seed < 0 or self.rollout_seed < 0:
            raise ValueError("eval_seed and rollout_seed must be >= 0")
        require(self, "gate expert_noise", lambda v: v >= 0, ">= 0 (0 = off)")


class InterventionGate:
    """Who drives a gated rollout: the learner until it strays, then the expert until it agrees.

    The learner's proposal and the expert's label are compared at every step, whoever drives.
    The expert takes over after ``after`` steps in a row with a gap over ``tau``, and hands back
    after ``hold`` steps in a row with a gap at most ``tau`` (HG-DAgger's gating, with the
    scripted expert as the person watching).

    Args:
        tau: the largest tolerated L2 distance between the two actions (> 0).
        after: steps in a row over ``tau`` before the expert takes over.
        hold: steps in a row within ``tau`` before the expert hands back.
    """

    def __init__(self, tau: float, *, after: int = 1, hold: int = 3) -> None:
        if tau <= 0 or after < 1 or hold < 1:
            raise ValueError(f"need tau > 0, after >= 1, hold >= 1; got {tau}, {after}, {hold}")
        self.tau, self.after, self.hold = float(tau), int(after), int(hold)
        self.reset()

    def reset(self) -> None:
        """Start an episode with the learner driving."""
        self.expert_drives = False
        self.takeovers = 0
        self._run = 0  # steps in a row that argue for a change of driver

    def step(self, learner: np.ndarray, expert: np.ndarray) -> bool:
        """Update with this step's two actions; returns whether the expert drives this step."""
        far = float(np.linalg.norm(np.asarray(learner) - np.asarray(expert))) > self.tau
        self._run = self._run + 1 if far != self.expert_drives else 0
        if self._run >= (self.hold if self.expert_drives else self.after):
            self.expert_drives = not self.expert_drives
            self.takeovers += self.expert_drives
            self._run = 0
        return self.expert_drives


_EXPERT_EXECUTED = (0, 2, 3, 255)  # Provenance HUMAN, RELABEL, SCRIPTED, UNKNOWN


def aggregate(path: str | os.PathLike[str], obs_keys: list[str] | None) -> DemoData:
    """The DAgger dataset of a recordings file: expert actions only (see the module doc).

    Args:
        path: the recordings file.
        obs_keys: observation parts, in order (None = every low-dimensional part).

    Returns:
        DemoData whose ``lineage["labelled_steps"]`` counts the rows taken from labels.
    """
    import recordings

    obs_l: list[np.ndarray] = []
    act_l: list[np.ndarray] = []
    ep_l: list[np.ndarray] = []
    names: list[str] = []
    labelled = 0
    with recordings.Dataset(Path(path)) as ds, ds.locked():
        keys = list(obs_keys) if obs_keys is not None else list(ds.obs_keys)
        env_args = dict(ds.env_args or {})
        # A relabel demo repeats its rollout's steps (its person-driven ones included) with
        # labels added: it supersedes the rollout, whose rows would otherwise count twice.
        superseded = {
            info.parent
            for info in (ds.info(n) for n in ds.demos)
            if info.source == "relabel" and info.parent
        }
        for name in ds.demos:
            if name in superseded:
                continue
            ep = ds.episode(name)
            parts, missing = match_parts(keys, ep.obs)
            if missing:
                raise ValueError(f"{path}: {name} has no observation part(s) {missing}")
            obs = np.concatenate([ep.obs[k].reshape(len(ep), -1) for k in parts], -1)
            has_label = (
                np.isfinite(ep.labels).all(-1) if ep.labels is not None else np.zeros(len(ep), bool)
            )
            expert_ran = np.isin(ep.provenance, _EXPERT_EXECUTED)
            keep = has_label | expert_ran
            if not keep.any():
                continue
            target = ep.actions
            if ep.labels is not None:
                target = np.where(has_label[:, None], np.nan_to_num(ep.labels), ep.actions)
            obs_l.append(obs[keep])
            act_l.append(target[keep])
            ep_l.append(np.full(int(keep.sum()), len(names)))
            names.append(name)
            labelled += int(has_label.sum())
    if not names:
        raise ValueError(f"{path}: no expert actions or labels to train on")
    lineage = {
        "dataset_path": str(Path(path).resolve()),
        "dataset_sha256": file_sha256(path),
        "env_args": env_args,
        "env_name": str(env_args.get("env_name", "")),
        "labelled_steps": labelled,
    }
    data = DemoData.from_arrays(
        np.concatenate(obs_l),
        np.concatenate(act_l),
        np.concatenate(ep_l),
        demo_names=names,
        obs_keys=keys,
        lineage=lineage,
    )
    data.obs_slices = {}
    return data


def record_rollouts(
    policy: Policy,
    make_env: Any,
    path: str | os.PathLike[str],
    *,
    expert: Expert | None,
    episodes: int,
    seeds: list[int],
    beta: float,
    rng: np.random.Generator,
    round_index: int,
    gate: InterventionGate | None = None,
    expert_noise: float = 0.0,
) -> dict[str, float]:
    """Roll ``policy`` out (beta-mixed with ``expert``), label with ``expert``, append to ``path``.

    With a ``gate`` (and an ``expert``) the expert also drives wherever the gate says so. Where
    the expert drives, ``expert_noise`` (a std, action units) perturbs the executed action; the
    step's label stays the expert's clean action.

    Returns:
        ``rollout_success``, ``rollout_steps`` and ``rollout_expert_steps`` (steps that executed
        the expert's action) of these episodes.
    """
    from recordings import Provenance, RecordingFile

    env = make_env(seeds[0])
    steps, successes, by_expert = 0, 0, 0
    if expert is None:
        gate = None  # nobody to take over: the rollout is the learner's, for a person to label
    try:
        rf = RecordingFile(path)
        rf.set_env(env.env_args(), env.model_xml)
        cols = obs_columns(policy, env)
        space = env.action_space
        for i in range(episodes):
            obs, _ = env.reset(seed=seeds[i])
            policy.reset(seed=seeds[i])
            if expert is not None:
                expert.reset()
            if gate is not None:
                gate.reset()
            attrs: dict[str, Any] = {"dagger_round": round_index, "beta": beta}
            if expert_noise > 0:
                attrs["expert_noise"] = expert_noise
            if gate is not None:
                attrs |= {"gate": gate.tau, "gate_after": gate.after, "gate_hold": gate.hold}
            writer = rf.begin_episode(
                source="policy",
                device=f"policy:dagger-round-{round_index}",
                attrs=attrs,
                seed=seeds[i],
            )
            info: dict[str, Any] = {}
            done, n, n_expert = False, 0, 0
            while not done and n < env.max_episode_steps:
                x = obs if cols is None else obs[cols]
                a_pol = np.asarray(policy.act(x.astype(np.float32)), np.float64)
                label = np.asarray(expert.act(obs), np.float64) if expert is not None else None
                use_expert = label is not None and rng.random() < beta
                if gate is not None and label is not None:
                    use_expert = gate.step(a_pol, label) or use_expert
                n_expert += use_expert
                a = a_pol
                if use_expert and label is not None:
                    a = label
                    if expert_noise > 0:
                        a = label + rng.normal(0.0, expert_noise, size=label.shape)
                a = np.clip(a, space.low, space.high)
                state = env.get_state()
                nxt, r, term, trunc, info = env.step(a.astype(space.dtype))
                done = bool(term or trunc)
                writer.append(
                    env.split_obs(obs),
                    a.astype(space.dtype),
                    float(r),
                    done,
                    state,
                    next_obs=env.split_obs(nxt),
                    provenance=Provenance.SCRIPTED if use_expert else Provenance.POLICY,
                    label=None if label is None else label.astype(space.dtype),
                )
                obs, n = nxt, n + 1
            success = bool(info.get("is_success", False))
            done_attrs: dict[str, Any] = {}
            if gate is not None:
                done_attrs = {"expert_steps": n_expert, "takeovers": gate.takeovers}
            writer.finish(success=success, **done_attrs)
            steps += n
            by_expert += n_expert
            successes += success
    finally:
        env.close()
    return {
        "rollout_success": successes / episodes,
        "rollout_steps": float(steps),
        "rollout_expert_steps": float(by_expert),
    }


def run_dagger(
    cfg: DAggerConfig,
    bc_cfg: BCConfig,
    path: str | os.PathLike[str],
    make_env: Any,
    *,
    expert: Expert | None,
    obs_keys: list[str] | None,
    rng: np.random.Generator | int,
    device: str = "auto",
    num_threads: int | None = None,
    bc_baseline: bool = False,
) -> Generator[dict[str, Any], None, Policy]:
    """DAgger rounds on the file at ``path``; yields one summary per training, returns the policy.

    With ``bc_baseline`` (a callable ``expert`` needed) each summary also has ``bc_success``,
    ``bc_return`` and ``bc_labelled_steps``: BC on the round-0 demos plus expert episodes with
    as many steps as DAgger's labels so far, on the same evaluation seeds
    (:class:`algorithms.dagger_baseline.SameLabelsBC`).

    Yields (``round`` 0 is BC on the file as it was; round i follows i rounds of rollouts):
        ``round``, ``train_steps`` (aggregate size), ``labelled_steps`` (rows from labels),
        ``demos``, ``eval_success``, ``eval_return``, and from round 1 on ``beta``,
        ``rollout_success``, ``rollout_steps`` and ``rollout_expert_steps`` of the rollouts
        that round added.
    """
    rng = np.random.default_rng(rng) if isinstance(rng, int | np.integer) else rng
    policy: Policy | None = None
    added: dict[str, float] = {}
    baseline: SameLabelsBC | None = None
    labels0 = 0
    gate = None
    if cfg.gate > 0:
        gate = InterventionGate(cfg.gate, after=cfg.gate_after, hold=cfg.gate_hold)
    for rnd in range(cfg.rounds + 1):
        if rnd > 0:
            assert policy is not None
            beta = cfg.beta * cfg.beta_decay ** (rnd - 1)
            base = cfg.rollout_seed + (rnd - 1) * 1000
            seeds = [base + j for j in range(cfg.episodes_per_round)]
            added = record_rollouts(
                policy,
                make_env,
                path,
                expert=expert,
                episodes=cfg.episodes_per_round,
                seeds=seeds,
                beta=beta,
                rng=rng,
                round_index=rnd,
                gate=gate,
                expert_noise=cfg.expert_noise,
            )
            added["beta"] = beta
        data = aggregate(path, obs_keys)
        trainer = Trainer(
            bc_cfg, data, device=device, rng=int(rng.integers(2**31)), num_threads=num_threads
        )
        for _ in trainer.run():
            pass
        policy = trainer.policy()
        policy.lineage["dagger_round"] = rnd
        policy.lineage["labelled_steps"] = data.lineage["labelled_steps"]
        res = evaluate(policy, make_env, episodes=cfg.eval_episodes, seed=cfg.eval_seed)
        same: dict[str, float] = {}
        if bc_baseline and expert is not None:
            if baseline is None:  # round 0: BC on the demos is both lines' first point
                baseline = SameLabelsBC(data, expert, make_env, bc_cfg)
                labels0 = int(data.lineage["labelled_steps"])  # labels the file had already
                same = {"bc_labelled_steps": float(labels0), "bc_success": res.success_rate}
                same["bc_return"] = res.mean_return
            else:
                same = baseline.score(
                    int(data.lineage["labelled_steps"]) - labels0,
                    eval_episodes=cfg.eval_episodes,
                    eval_seed=cfg.eval_seed,
                    rng=rnd,
                    device=device,
                    num_threads=num_threads,
                )
                same["bc_labelled_steps"] += labels0
        yield {
            "round": rnd,
            "train_steps": len(data.obs),
            "labelled_steps": data.lineage["labelled_steps"],
            "demos": len(data.demo_names),
            "eval_success": res.success_rate,
            "eval_return": res.mean_return,
            **added,
            **same,
        }
    assert policy is not None
    return policy
