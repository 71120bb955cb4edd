"""Scenes: env.step vs raw mj_step, render frames/s per backend, scripted-expert success."""

from studio.benchmark import report


def main() -> str:
    """Markdown report (see studio/benchmark.py)."""
    return report(steps=2000, frames=200, episodes=200, repeats=25)
