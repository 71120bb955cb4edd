"""Measure the scenes: env steps/s against raw mj_step, render frames/s, expert success."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``imitation-studio bench``."""
    parser.add_argument("--steps", type=int, default=5000, help="env steps per speed measurement")
    parser.add_argument("--frames", type=int, default=200, help="frames per render measurement")
    parser.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="interleaved repeats per speed comparison; the median is reported (default 5)",
    )
    parser.add_argument(
        "--episodes", type=int, default=200, help="seeded episodes per scripted-expert measurement"
    )


def run(args: argparse.Namespace) -> int:
    """Print the Markdown report."""
    import sys

    from studio.benchmark import report

    for name in ("steps", "frames", "episodes", "repeats"):
        if getattr(args, name) < 1:
            print(f"bench: --{name} must be at least 1", file=sys.stderr)
            return 2
    print(
        report(steps=args.steps, frames=args.frames, episodes=args.episodes, repeats=args.repeats)
    )
    return 0
