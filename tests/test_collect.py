"""`imitation-studio collect`: the numbers it accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.cli import main
from studio.envs import ARM_PUSH


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--max-attempts", "-1"], "argument --max-attempts: must be at least 1, got -1"),
        (["--max-attempts", "0", "--only-success"], "--max-attempts: must be at least 1, got 0"),
        (["--max-attempts", "1", "--episodes", "2"], "less than --episodes 2"),
        (["--episodes", "0"], "argument --episodes: must be at least 1, got 0"),
        (["--episodes", "-3"], "argument --episodes: must be at least 1, got -3"),
        (["--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
        (["--episodes", "lots"], "argument --episodes: expected a whole number, got 'lots'"),
    ],
)
def test_collect_rejects_bad_numbers(tmp_path: Path, capsys, extra, message) -> None:
    out = tmp_path / "demos.h5"
    argv = ["collect", "--env", ARM_PUSH, "--out", str(out), "--no-progress", *extra]
    try:
        status = main(argv)
    except SystemExit as exited:  # argparse refuses a value on its own, with usage
        status = exited.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert not out.exists()  # refused before anything was recorded


def test_collect_max_attempts_bounds_only_success(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demos.h5"
    argv = ["collect", "--env", ARM_PUSH, "--out", str(out), "--no-progress", "--episodes", "1"]
    assert main([*argv, "--max-attempts", "1", "--only-success"]) == 0
    assert "1 episodes" in capsys.readouterr().out


def test_collect_reacher_with_its_scripted_expert(tmp_path: Path) -> None:
    """The issue's command: gymnasium's Reacher-v5 demos under robomimic's obs/flat."""
    import h5py

    out = tmp_path / "reacher.h5"
    argv = ["collect", "--env", "Reacher-v5", "--expert", "scripted", "--episodes", "2"]
    assert main([*argv, "--out", str(out), "--no-progress"]) == 0
    with h5py.File(out, "r") as f:
        demo = f["data/demo_0"]
        assert list(demo["obs"]) == ["flat"]
        assert demo["obs/flat"].shape == (50, 10) and demo["actions"].shape == (50, 2)
        assert demo["dones"][-1] == 1
        # The expert reached the target: the last reward is about the fingertip's distance.
        assert demo["rewards"][-1] > -0.05


def test_collect_records_each_demos_reset_seed(tmp_path: Path) -> None:
    from recordings import Dataset

    out = tmp_path / "arm.h5"
    argv = ["collect", "--env", ARM_PUSH, "--episodes", "2", "--seed", "40", "--out", str(out)]
    assert main([*argv, "--no-progress"]) == 0
    with Dataset(out) as ds:
        assert [ds.info(name).seed for name in ds.demos] == [40, 41]
        ep = ds.episode(ds.demos[0])
        assert ep.dones[-1] == 1 and not ep.dones[:-1].any()
