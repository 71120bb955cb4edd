"""Record scripted-expert demonstrations into an HDF5 recordings file.

Runs the scene's scripted expert for N episodes and records every step through the same writer
the studio uses (source "scripted", provenance SCRIPTED), appending to --out if it exists.
Exit status: 0 when N demos were saved, 1 when --only-success gave up first, 2 on a bad
--env / --expert, a bad number (--episodes or --max-attempts below 1, --max-attempts below
--episodes, a negative --seed), an unwritable file, or a file that holds demos of another scene.

Dones follow robomimic (docs/FORMAT.md, "Dones"): ``done = terminated or truncated`` at each step,
and the last step of every demo has ``done = 1`` (the writer's ``finish()`` sees to that). Each
demo stores the seed its episode was reset with (``seed`` attribute, ``DemoInfo.seed``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from studio.cli import non_negative_int, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the collect options to ``parser``."""
    parser.add_argument("--env", required=True, help="scene id, e.g. ImitationStudio/ArmPush-v0")
    parser.add_argument(
        "--expert", default="scripted", choices=["scripted"], help="who drives (default scripted)"
    )
    parser.add_argument(
        "--episodes", type=positive_int, default=10, help="demos to save (default 10)"
    )
    parser.add_argument("--out", required=True, help="recordings file to create or append to")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="episode i resets with seed+i"
    )
    parser.add_argument(
        "--only-success", action="store_true", help="discard failed episodes and keep going"
    )
    parser.add_argument(
        "--max-attempts",
        type=positive_int,
        default=None,
        help="with --only-success, give up after this many episodes (default 5 x --episodes)",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _bad_numbers(args: argparse.Namespace) -> str | None:
    """What is wrong between the numeric options (each alone is checked by its argparse type)."""
    if args.max_attempts is not None and args.max_attempts < args.episodes:
        return (
            f"--max-attempts {args.max_attempts} is less than --episodes {args.episodes}: "
            "it could never save them all"
        )
    return None


def _say(message: str) -> None:
    print(f"collect: {message}", file=sys.stderr, flush=True)


def record_episode(
    env: Any,
    act: Callable[[Any], Any],
    writer: Any,
    obs: Any,
    *,
    provenance: int,
    max_steps: int | None = None,
) -> tuple[dict[str, Any], int]:
    """Run one episode of ``env`` from ``obs`` (right after its reset) into ``writer``.

    ``act(obs)`` gives each action. Every step records the observation, the executed action (in
    the env's action dtype), the reward, ``done = terminated or truncated``, the state the action
    was chosen in and the next observation. The episode ends on the first done step;
    ``max_steps`` (default: the env's ``max_episode_steps``, if any) cuts an env that never ends.
    ``writer.finish()`` marks the last step done in either case (robomimic's rule), so this loop
    does not force it.

    Returns:
        The ``info`` of the last step and the number of steps.
    """
    import numpy as np

    limit = max_steps if max_steps is not None else getattr(env, "max_episode_steps", None)
    dtype = env.action_space.dtype
    info: dict[str, Any] = {}
    steps, done = 0, False
    while not done and (limit is None or steps < limit):
        state = env.get_state()  # before the step: the state `obs` was taken in
        action = np.asarray(act(obs), dtype=dtype)  # record exactly what is executed
        next_obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        done = bool(terminated or truncated)
        writer.append(
            env.split_obs(obs),
            action,
            float(reward),
            done,
            state,
            next_obs=env.split_obs(next_obs),
            provenance=provenance,
        )
        obs = next_obs
    return info, steps


def run(args: argparse.Namespace) -> int:
    """Collect the demos; returns the exit status."""
    import numpy as np
    from tqdm import tqdm

    from recordings import Provenance, RecordingError, RecordingFile
    from studio.envs import make_env
    from studio.experts import make_expert

    problem = _bad_numbers(args)
    if problem:
        print(f"collect: {problem}", file=sys.stderr)
        return 2
    try:
        env = make_env(args.env)
        expert = make_expert(args.env, rng=np.random.default_rng(args.seed))
    except ValueError as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    limit = args.max_attempts
    if limit is None:
        limit = 5 * args.episodes if args.only_success else args.episodes
    saved: list[str] = []
    attempts, successes = 0, 0
    writer = None
    try:
        rf = RecordingFile(args.out, on_wait=_say)
        rf.set_env(env.env_args(), env.model_xml)
        with tqdm(total=args.episodes, unit="demo", disable=args.no_progress) as bar:
            while len(saved) < args.episodes and attempts < limit:
                seed = args.seed + attempts
                attempts += 1
                obs, info = env.reset(seed=seed)
                expert.reset()
                writer = rf.begin_episode(
                    source="scripted", device=f"expert:{expert.name}", seed=seed
                )
                info, _ = record_episode(
                    env, expert.act, writer, obs, provenance=Provenance.SCRIPTED
                )
                success = bool(info.get("is_success", False))
                successes += success
                if args.only_success and not success:
                    writer.discard()
                else:
                    saved.append(writer.finish(success=success))
                    bar.update(1)
                writer = None
                bar.set_postfix(success=f"{successes}/{attempts}")
    except RecordingError as exc:
        print(f"collect: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ncollect: interrupted; {len(saved)} demos saved", file=sys.stderr)
        return 130
    finally:
        if writer is not None:
            writer.discard()
        env.close()
    rate = successes / max(attempts, 1)
    print(f"Saved {len(saved)} demos to {args.out} ({attempts} episodes, success rate {rate:.0%})")
    if len(saved) < args.episodes:
        print(f"collect: gave up after {attempts} episodes", file=sys.stderr)
        return 1
    return 0
