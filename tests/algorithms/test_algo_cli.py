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
    assert f"{bad}: not a policy checkpoint" in capsys.readouterr().err


@pytest.fixture
def corrupted_file(tmp_path):
    """4 tiny demos written by RecordingFile; demo_1 then gets a NaN action behind its back."""
    import h5py
    import numpy as np
    from algo_helpers import linear_demos, write_recordings

    path = write_recordings(tmp_path / "bad.h5", linear_demos(n_demos=4, steps=12))
    with h5py.File(path, "r+") as f:
        actions = f["data/demo_1/actions"]
        actions[3, 0] = np.nan
    return path


def test_train_lenient_skips_and_reports_a_corrupted_demo(corrupted_file, tmp_path, capsys):
    args = ["train", "--data", str(corrupted_file), "--steps", "10", "--set", "log_every=5"]
    args += ["--set", "hidden_sizes=8", "--device", "cpu", "--runs-dir", str(tmp_path)]
    args += ["--no-progress", "--threads", "1"]
    assert main([*args, "--name", "strict"]) == 2  # strict (the default): stops, says why
    err = capsys.readouterr().err
    assert "demo_1/actions: NaN or inf at step 3" in err and "--lenient" in err

    assert main([*args, "--name", "lenient", "--lenient"]) == 0
    out, err = capsys.readouterr()
    assert f"{corrupted_file}: demo_1/actions: NaN or inf at step 3" in err  # file, demo, field
    assert "(skipped)" in err and "Done: 10 steps" in out
    config = json.loads((tmp_path / "lenient" / "config.json").read_text())
    assert sorted(config["train_demos"] + config["val_demos"]) == ["demo_0", "demo_2", "demo_3"]
    assert len(config["skipped"]) == 1 and "demo_1/actions" in config["skipped"][0]


def test_train_closes_the_file_before_training(arm_demos, tmp_path, monkeypatch):
    import algorithms
    import recordings

    opened = []
    real_init = recordings.Dataset.__init__

    def spy(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(recordings.Dataset, "__init__", spy)
    seen = []
    real_run = algorithms.Trainer.run

    def run(self):
        seen.append([ds._handle._fh.closed for ds in opened])
        return real_run(self)

    monkeypatch.setattr(algorithms.Trainer, "run", run)
    args = ["train", "--data", str(arm_demos), "--steps", "2", "--set", "hidden_sizes=8"]
    assert main([*args, "--runs-dir", str(tmp_path), "--no-progress", "--device", "cpu"]) == 0
    assert seen == [[True]]


def test_eval_closes_its_envs_and_restores_threads(arm_demos, tmp_path, monkeypatch, capsys):
    import torch

    import studio.envs

    args = ["train", "--data", str(arm_demos), "--steps", "2", "--set", "hidden_sizes=8"]
    args += ["--runs-dir", str(tmp_path), "--name", "r", "--no-progress", "--device", "cpu"]
    assert main(args) == 0
    made = []
    real_make_env = studio.envs.make_env

    def make_env(*a, **k):
        env = real_make_env(*a, **k)
        made.append(env)
        real_close = env.close

        def close():
            env.closed_by_test = True
            real_close()

        env.close = close
        return env

    monkeypatch.setattr(studio.envs, "make_env", make_env)
    before = torch.get_num_threads()
    other = 3  # not eval's 1
    torch.set_num_threads(other)
    try:
        checkpoint = str(tmp_path / "r" / "checkpoint.pt")
        eval_args = ["eval", checkpoint, "--episodes", "2", "--max-steps", "2", "--expert"]
        assert main(eval_args) == 0
        assert torch.get_num_threads() == other
    finally:
        torch.set_num_threads(before)
    assert made and all(getattr(env, "closed_by_test", False) for env in made)
