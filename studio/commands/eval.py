"""Evaluate a trained policy checkpoint in fresh, seeded episodes of a scene.

Prints the success rate, mean/std return, mean episode length and, for the car, the collision
rate; with --expert also runs the scene's scripted expert on the same seeds and reports the
expert-normalised score 100 * (R - R_random) / (R_expert - R_random) (D4RL's convention, with
uniformly random actions as R_random). The scene defaults to the one the training data was
recorded in. Inference uses one torch thread (fastest for batches this small).

Episode i resets with seed --seed + i, from 1000 by default: `collect` records its demos from seed
0, and an evaluation on the demos' own initial states would flatter the policy. When the
training file is still there, eval reads the reset seeds of the demos the policy was trained on
and says when the evaluation's seeds overlap them (stderr, and "training_seeds" in --json:
null when the file is gone or unreadable).
Exit status: 0 evaluated, 2 bad checkpoint, scene or arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from studio.cli import non_negative_int, positive_int

DEFAULT_SEED = 1000  # collect records from seed 0: keep evaluation off the demos' start states


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the eval options to ``parser``."""
    parser.add_argument("checkpoint", help="checkpoint.pt written by `train`")
    parser.add_argument("--env", help="scene id (default: the env of the training data)")
    parser.add_argument("--episodes", type=positive_int, default=20, help="episodes (default 20)")
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=DEFAULT_SEED,
        help=f"episode i resets with seed+i (default {DEFAULT_SEED}; collect starts at 0)",
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or auto")
    parser.add_argument(
        "--max-steps", type=positive_int, default=None, help="cut episodes at N steps"
    )
    parser.add_argument(
        "--num-envs", type=positive_int, default=8, help="episodes run side by side (default 8)"
    )
    parser.add_argument(
        "--expert", action="store_true", help="also run the scripted expert on the same seeds"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


class RandomActor:
    """Uniformly random actions: the floor of the expert-normalised score."""

    def __init__(self, space: Any, *, seed: int) -> None:
        import numpy as np

        self._space, self._seed = space, seed
        self._rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        import numpy as np

        if seed is not None:
            self._rng = np.random.default_rng(seed)

    def act(self, obs: Any) -> Any:
        low, high = self._space.low, self._space.high
        shape = (*obs.shape[:-1], *low.shape)
        return self._rng.uniform(low, high, size=shape).astype(self._space.dtype)


def _say(message: str) -> None:
    print(f"eval: {message}", file=sys.stderr, flush=True)


def training_seeds(lineage: dict[str, Any], seeds: list[int]) -> dict[str, Any] | None:
    """Which of ``seeds`` are reset seeds of the demos a policy was trained on.

    Reads the file named in the checkpoint's lineage (attributes only). The demos are those the
    lineage lists (train and validation), or every demo when it lists none.

    Returns:
        ``{"dataset", "demos", "demos_with_seed", "overlap"}`` (overlap: the shared seeds,
        sorted), or None when that cannot be known: no file in the lineage, or the file is
        gone or unreadable.
    """
    import recordings

    path = lineage.get("dataset_path")
    if not path or not os.path.isfile(path):
        return None
    wanted = [*lineage.get("train_demos", []), *lineage.get("val_demos", [])]
    try:
        with recordings.Dataset(path, lenient=True, on_wait=_say) as dataset:
            present = set(dataset.demos)
            names = [n for n in wanted if n in present] if wanted else dataset.demos
            demo_seeds = [dataset.info(n).seed for n in names]
    except (OSError, ValueError, KeyError, TypeError, recordings.RecordingError):
        return None  # a damaged file says nothing about the seeds: stay quiet
    known = {s for s in demo_seeds if s is not None}
    return {
        "dataset": str(path),
        "demos": len(names),
        "demos_with_seed": sum(s is not None for s in demo_seeds),
        "overlap": sorted(known.intersection(seeds)),
    }


def _ranges(values: list[int]) -> str:
    """Sorted ints as runs: ``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    runs: list[list[int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def run(args: argparse.Namespace) -> int:
    """Evaluate; returns the exit status."""
    import torch

    threads_before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _run(args)
    finally:  # leave the process as we found it (tests and callers run several commands)
        torch.set_num_threads(threads_before)


def _run(args: argparse.Namespace) -> int:
    import numpy as np

    import algorithms
    from studio.envs import make_env

    try:
        policy = algorithms.load_policy(args.checkpoint, device=args.device)
        env_id = args.env or policy.lineage.get("env_name")
        if not env_id:
            raise ValueError("the checkpoint does not name its env; pass --env")
        make_env(env_id).close()  # unknown ids fail here with the list of scenes
    except (OSError, ValueError) as exc:
        message = str(exc)
        if not message.startswith(str(args.checkpoint)):  # every message names the checkpoint
            message = f"{args.checkpoint}: {message}"
        print(f"eval: {message}", file=sys.stderr)
        return 2

    def factory(seed: int) -> Any:
        return make_env(env_id)

    episode_seeds = list(range(args.seed, args.seed + args.episodes))
    seen = training_seeds(policy.lineage, episode_seeds)
    if seen is not None and seen["overlap"]:
        n = len(seen["overlap"])
        print(
            f"eval: {n} of the {args.episodes} episode seeds ({_ranges(seen['overlap'])}) are "
            f"reset seeds of demos the policy was trained on ({seen['dataset']}): those episodes "
            "start where a demonstration started, which flatters the policy; pick a --seed "
            "past the demos' seeds (collect records from 0)",
            file=sys.stderr,
        )

    expert_result = random_result = None
    if args.expert:
        from studio.experts import make_expert

        try:
            expert = make_expert(env_id, rng=np.random.default_rng(args.seed))
        except ValueError as exc:
            print(f"eval: {exc}", file=sys.stderr)
            return 2
        expert_result = algorithms.evaluate(
            expert, factory, args.episodes, args.seed, max_steps=args.max_steps, batched=False
        )
        probe = make_env(env_id)
        try:
            space = probe.action_space
        finally:
            probe.close()
        random_result = algorithms.evaluate(
            RandomActor(space, seed=args.seed),
            factory,
            args.episodes,
            args.seed,
            max_steps=args.max_steps,
            num_envs=args.num_envs,
        )
    try:
        result = algorithms.evaluate(
            policy,
            factory,
            args.episodes,
            args.seed,
            expert_return=expert_result.mean_return if expert_result else None,
            random_return=random_result.mean_return if expert_result else 0.0,
            max_steps=args.max_steps,
            num_envs=args.num_envs,
        )
    except ValueError as exc:  # e.g. the env lacks an observation part the policy reads
        print(f"eval: {args.checkpoint}: {exc}", file=sys.stderr)
        return 2
    if args.json:
        out = {
            "checkpoint": args.checkpoint,
            "env": env_id,
            "seed": args.seed,
            "training_seeds": seen,
            "policy": result.to_dict(),
        }
        if expert_result is not None:
            out["expert"] = expert_result.to_dict()
            out["random"] = random_result.to_dict()
        print(json.dumps(out, indent=2))
    else:
        last = args.seed + args.episodes - 1
        print(f"{args.checkpoint} ({policy.algorithm}) on {env_id}, seeds {args.seed}-{last}:")
        print(f"  policy: {result.summary()}")
        if expert_result is not None:
            print(f"  expert: {expert_result.summary()}")
            print(f"  random: {random_result.summary()}")
    return 0
