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
    """docs/ARCHITECTURE.md's arrows (studio -> widgets/algorithms -> recordings) hold."""
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


def test_the_design_is_documented_inside_the_repository():
    """The architecture lives in docs/ARCHITECTURE.md; nothing points to a design doc outside."""
    assert (ROOT / "docs" / "ARCHITECTURE.md").is_file()
    tracked = subprocess.run(
        ["git", "ls-files"], capture_output=True, text=True, cwd=ROOT, check=False
    ).stdout.split()
    if not tracked:  # not a git checkout (an sdist): walk the tree instead
        tracked = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()]
    offenders = []
    for name in tracked:
        path = ROOT / name
        if path.suffix not in {".py", ".md", ".toml", ".cfg", ".txt"} or not path.is_file():
            continue
        if "DESIGN" + ".md" in path.read_text(errors="replace"):
            offenders.append(name)
    assert offenders == [], f"these refer to a design document outside the project: {offenders}"
