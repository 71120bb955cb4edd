"""Measure the scenes: env steps/s against raw mj_step, render frames/s, expert success."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``imitation-studio bench``."""
    parser.add_argument("--steps", type=int, default=5000, help="env steps per speed measurement")
    parser.add_argument("--frames", type=int, default=200, help="frames per render measurement")
    parser.add_argument(
        "--episodes", type=int, default=200, help="seeded episodes per scripted-expert measurement"
    )


def run(args: argparse.Namespace) -> int:
    """Print the Markdown report."""
    from studio.benchmark import report

    print(report(steps=args.steps, frames=args.frames, episodes=args.episodes))
    return 0
