"""Project-level checks: the layering contracts hold and the CLI is wired up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from importlinter.cli import lint_imports

from studio.cli import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]


def test_layer_contracts_are_kept():
    """DESIGN.md's arrows (studio -> widgets/algorithms -> recordings) checked by import-linter."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        assert lint_imports(no_cache=True) == 0
    finally:
        os.chdir(cwd)


def test_every_subcommand_is_available():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)


def test_python_dash_m_studio_runs_a_subcommand():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "bench",
            "--steps",
            "50",
            "--frames",
            "2",
            "--episodes",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert "ImitationStudio/ArmPush-v0" in out.stdout and "ratio" in out.stdout
