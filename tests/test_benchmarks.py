"""Every benchmark takes `--quick` and `--json` (issue 9): `run(quick)` and `main(quick)`."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(
    m.name for m in pkgutil.iter_modules([str(ROOT / "benchmarks")]) if m.name.startswith("bench_")
)


def test_there_are_benchmarks() -> None:
    assert "bench_envs" in NAMES and len(NAMES) >= 7


@pytest.mark.parametrize("name", NAMES)
def test_benchmark_has_run_and_main_taking_quick(name: str) -> None:
    module = importlib.import_module(f"benchmarks.{name}")
    for fn in ("run", "main"):
        assert callable(getattr(module, fn, None)), f"{name} has no {fn}()"
        params = inspect.signature(getattr(module, fn)).parameters
        assert "quick" in params, f"{name}.{fn}() takes no quick"
        assert params["quick"].default is False, f"{name}.{fn}(): a full run by default"


def test_envs_quick_json_prints_only_json() -> None:
    env = {**os.environ, "MUJOCO_GL": os.environ.get("MUJOCO_GL", "egl")}
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "envs", "--quick", "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout)
    assert figures["benchmark"] == "envs" and figures["quick"] is True
    assert {r["env"] for r in figures["env_vs_raw"]} >= {"Reacher-v5"}
    assert all(r["ratio"] > 0 for r in figures["env_vs_raw"])


def test_quality_benchmarks_record_again_demos_another_expert_made(tmp_path: Path) -> None:
    """A work folder's demo file is reused only if today's expert recorded it (the arm expert
    changed once and a benchmark silently reused the old one's demos)."""
    import h5py

    from benchmarks.cli_runs import _recorded_by, collect

    arm = "ImitationStudio/ArmPush-v0"
    log: list[str] = []
    path = collect(tmp_path, arm, 1, log)
    today = _recorded_by(path)
    assert today.startswith("expert:scripted-arm-push") and len(log) == 1
    collect(tmp_path, arm, 1, log)  # the same expert: reused
    with h5py.File(path, "r+") as f:
        f["data/demo_0"].attrs["device"] = "expert:an-older-arm-expert"
    collect(tmp_path, arm, 1, log)
    assert _recorded_by(path) == today


def test_quality_benchmarks_reuse_a_run_only_with_todays_settings(tmp_path: Path) -> None:
    """A cached run whose settings differ from what the command gives today (a changed
    default, or a changed --set) is trained again rather than quoted."""
    import algorithms
    from benchmarks.cli_runs import same_settings

    run = tmp_path / "run"
    assert not same_settings(run, "gail", [])  # no run folder yet
    run.mkdir()
    saved = algorithms.config_to_dict(algorithms.make_config("gail", {"warm_start": "0"}))
    (run / "config.json").write_text(json.dumps({"config": saved}))
    assert same_settings(run, "gail", ["--set=warm_start=0"])
    assert same_settings(run, "gail", ["--set", "warm_start=0", "--obs-keys", "all"])
    assert not same_settings(run, "gail", [])
    del saved["disc_obs_dims"]  # made before that setting existed: its default is the old code
    (run / "config.json").write_text(json.dumps({"config": saved}))
    assert same_settings(run, "gail", ["--set=warm_start=0"])
    assert not same_settings(run, "gail", ["--set=warm_start=0", "--set=disc_obs_dims=1"])
    saved["lr_anneal"] = not saved["lr_anneal"]  # as if made before a default changed
    (run / "config.json").write_text(json.dumps({"config": saved}))
    assert not same_settings(run, "gail", ["--set=warm_start=0"])
