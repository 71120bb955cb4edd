"""BC beside DAgger for the same number of expert labels: the other line of the DAgger curve.

DAgger's claim (Ross, Gordon & Bagnell 2011) is about labels: for the same number of expert
labels, labels on the states the learner visits teach more than labels on the expert's own
states. So each DAgger round is compared with BC trained on the round-0 demos plus
*expert* episodes holding (at least) as many steps as DAgger's labelled steps so far, evaluated
on the same seeds. The expert episodes are kept in memory (they are not the user's data and
never go into the recordings file) and grow round by round, so round k's BC trains on a
superset of round k-1's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from algorithms.bc import BCConfig
from algorithms.data import DemoData
from algorithms.evaluation import evaluate
from algorithms.policy import match_parts
from algorithms.training import Trainer

BASELINE_SEED = 20_000
"""Expert episode j of the baseline resets with this + j: apart from the demos' seeds (0...),
the evaluation's (1000...) and DAgger's rollouts' (5000...)."""


class SameLabelsBC:
    """BC on the round-0 demos plus expert episodes with as many steps as DAgger's labels.

    Args:
        base: the round-0 aggregate (the file's demos before any DAgger label).
        expert: the labeller DAgger uses (``act(full_obs)``, ``reset()``).
        make_env: ``make_env(seed) -> env`` (an env with ``obs_parts`` and ``split_obs``).
        bc_cfg: DAgger's BC settings, so both lines train alike.
    """

    def __init__(self, base: DemoData, expert: Any, make_env: Any, bc_cfg: BCConfig) -> None:
        self.base, self.expert, self.make_env, self.bc_cfg = base, expert, make_env, bc_cfg
        self._obs: list[np.ndarray] = []
        self._act: list[np.ndarray] = []

    @property
    def expert_steps(self) -> int:
        """Steps of the expert episodes collected so far."""
        return int(sum(len(a) for a in self._act))

    def _collect(self, steps: int) -> None:
        """Expert episodes until they hold at least ``steps`` steps (whole episodes)."""
        env = self.make_env(BASELINE_SEED)
        try:
            names, missing = match_parts(self.base.obs_keys, env.obs_parts)
            if missing:
                raise ValueError(f"the env has no observation part(s) {missing}")
            while self.expert_steps < steps:
                seed = BASELINE_SEED + len(self._act)
                obs, _ = env.reset(seed=seed)
                self.expert.reset()
                rows: list[np.ndarray] = []
                acts: list[np.ndarray] = []
                done = False
                while not done and len(acts) < env.max_episode_steps:
                    parts = env.split_obs(obs)
                    rows.append(np.concatenate([np.ravel(parts[k]) for k in names]))
                    a = np.clip(self.expert.act(obs), env.action_space.low, env.action_space.high)
                    acts.append(a)
                    obs, _r, term, trunc, _info = env.step(a.astype(env.action_space.dtype))
                    done = bool(term or trunc)
                self._obs.append(np.asarray(rows, np.float32))
                self._act.append(np.asarray(acts, np.float32))
        finally:
            env.close()

    def data(self, labels: int) -> DemoData:
        """The round-0 demos plus expert episodes holding at least ``labels`` steps."""
        self._collect(labels)
        obs, act, ep = [self.base.obs], [self.base.actions], [self.base.episode_index]
        n = len(self.base.demo_names)
        used, names = 0, list(self.base.demo_names)
        for j, (o, a) in enumerate(zip(self._obs, self._act, strict=True)):
            if used >= labels:
                break
            obs.append(o)
            act.append(a)
            ep.append(np.full(len(a), n + j))
            names.append(f"baseline_expert_{j}")
            used += len(a)
        lineage = {**self.base.lineage, "labelled_steps": used}
        return DemoData.from_arrays(
            np.concatenate(obs),
            np.concatenate(act),
            np.concatenate(ep),
            demo_names=names,
            obs_keys=self.base.obs_keys,
            lineage=lineage,
        )

    def score(
        self,
        labels: int,
        *,
        eval_episodes: int,
        eval_seed: int,
        rng: int,
        device: str = "auto",
        num_threads: int | None = None,
    ) -> dict[str, float]:
        """Train BC with ``labels`` more expert steps and evaluate it on DAgger's seeds.

        Returns:
            ``bc_labelled_steps`` (expert steps beyond the round-0 demos), ``bc_success`` and
            ``bc_return``.
        """
        data = self.data(labels)
        trainer = Trainer(self.bc_cfg, data, device=device, rng=rng, num_threads=num_threads)
        for _ in trainer.run():
            pass
        res = evaluate(trainer.policy(), self.make_env, episodes=eval_episodes, seed=eval_seed)
        return {
            "bc_labelled_steps": float(data.lineage["labelled_steps"]),
            "bc_success": res.success_rate,
            "bc_return": res.mean_return,
        }
