"""The `train` and `eval` subcommands end to end on a few arm-push demos."""

from __future__ import annotations

import json

import pytest

from studio.cli import main

ARM = "ImitationStudio/ArmPush-v0"


@pytest.fixture(scope="module")
def arm_demos(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "arm.h5"
    assert (
        main(["collect", "--env", ARM, "--episodes", "3", "--out", str(path), "--no-progress"]) == 0
    )
    return path


def test_train_then_eval(arm_demos, tmp_path, capsys):
    args = ["train", "--algo", "bc", "--data", str(arm_demos), "--steps", "30"]
    args += ["--set", "hidden_sizes=16,16", "--set", "log_every=10", "--device", "cpu"]
    args += ["--runs-dir", str(tmp_path), "--name", "run", "--no-progress", "--threads", "1"]
    assert main(args) == 0
    run = tmp_path / "run"
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["hidden_sizes"] == [16, 16] and config["algorithm"] == "bc"
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [10.0, 20.0, 30.0]
    assert "Done: 30 steps" in capsys.readouterr().out

    eval_args = ["eval", str(run / "checkpoint.pt"), "--episodes", "2", "--max-steps", "5"]
    assert main([*eval_args, "--json", "--expert"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["env"] == ARM  # taken from the checkpoint's lineage
    assert out["policy"]["episodes"] == 2 and out["policy"]["mean_length"] == 5
    assert out["policy"]["normalized_score"] is not None
    assert main(eval_args) == 0
    assert "policy: success" in capsys.readouterr().out

    assert main(args) == 2  # the run folder exists
    assert "already exists" in capsys.readouterr().err

    # A policy on some of the parts reads them by name from the env's full observation.
    base = args[:-7]  # without --runs-dir ... --threads 1
    sub = ["--runs-dir", str(tmp_path), "--no-progress", "--name", "sub"]
    assert main([*base, *sub, "--obs-keys", "ee_pos,puck_pos,goal_pos"]) == 0
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "sub" / "checkpoint.pt"), "--episodes", "1"]) == 0
    assert "policy: success" in capsys.readouterr().out
    sub[-1] = "bad-keys"
    assert main([*base, *sub, "--obs-keys", "ee_pos,nope"]) == 2
    assert "nope" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "nope=1"], "has no setting 'nope'"),
        (["--set", "lr"], "KEY=VALUE"),
        (["--algo", "gail"], "unknown algorithm"),
        (["--device", "tpu"], "device"),
    ],
)
def test_train_bad_arguments(arm_demos, tmp_path, capsys, extra, message):
    args = ["train", "--data", str(arm_demos), "--runs-dir", str(tmp_path), *extra]
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_train_missing_data(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path / "none.h5"), "--runs-dir", str(tmp_path)]) == 2


def test_list_settings(capsys):
    assert main(["train", "--algo", "cvae", "--list-settings"]) == 0
    assert "z_mode = 'sample' {zero, sample, episode}" in capsys.readouterr().out


def test_eval_bad_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    assert main(["eval", str(bad), "--env", ARM]) == 2
    assert "not a safe policy checkpoint" in capsys.readouterr().err
