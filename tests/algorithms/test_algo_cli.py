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
        (["--algo", "sac"], "unknown algorithm"),
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


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self/fd"), reason="needs /proc")
def test_train_closes_the_file_before_training(arm_demos, tmp_path, monkeypatch):
    from algo_helpers import open_fds_on

    import algorithms
    import recordings

    opened = []  # keeps each Dataset alive, so that only an explicit close() closes it
    real_dataset_init = recordings.Dataset.__init__

    def spy(self, *args, **kwargs):
        real_dataset_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(recordings.Dataset, "__init__", spy)
    seen = []
    real_run = algorithms.Trainer.run

    def run(self):
        seen.append(open_fds_on(arm_demos))  # descriptors on the recordings file
        return real_run(self)

    monkeypatch.setattr(algorithms.Trainer, "run", run)
    real_init = algorithms.Trainer.__init__

    def init(self, *args, **kwargs):
        seen.append(open_fds_on(arm_demos))
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(algorithms.Trainer, "__init__", init)
    args = ["train", "--data", str(arm_demos), "--steps", "2", "--set", "hidden_sizes=8"]
    assert main([*args, "--runs-dir", str(tmp_path), "--no-progress", "--device", "cpu"]) == 0
    assert opened and seen == [0, 0]


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


# -- observation parts: the scene's default, all, or --obs-keys -------------------------------

TINY = ["--set", "hidden_sizes=8", "--device", "cpu", "--no-progress", "--threads", "1"]


def _train(data, runs, name, *extra):
    args = ["train", "--data", str(data), "--steps", "2", "--runs-dir", str(runs), "--name", name]
    return main([*args, *TINY, *extra])


def test_train_uses_the_scenes_default_parts_unless_told(arm_demos, tmp_path, capsys):
    import algorithms
    from studio.envs import default_obs_parts, make_env

    default = default_obs_parts(ARM)
    every = list(make_env(ARM).obs_parts)
    assert default and set(default) < set(every)
    cases = [
        ("default", [], default, "scene default"),
        ("all", ["--obs-keys", "all"], every, "all"),
        ("flag", ["--obs-keys", "ee_pos,goal_pos"], ["ee_pos", "goal_pos"], "--obs-keys"),
    ]
    for name, extra, keys, keys_from in cases:
        assert _train(arm_demos, tmp_path, name, *extra) == 0
        out = capsys.readouterr().out
        assert f"Observation parts: {', '.join(keys)} (" in out
        if name == "default":
            assert f"(the scene default of {ARM}; --obs-keys all uses every part)" in out
        config = json.loads((tmp_path / name / "config.json").read_text())
        assert (config["obs_keys"], config["obs_keys_from"]) == (keys, keys_from)
        policy = algorithms.load_policy(tmp_path / name / "checkpoint.pt")
        assert policy.obs_keys == keys and policy.lineage["obs_keys_from"] == keys_from


def test_train_help_shows_the_default_parts(capsys):
    from studio.envs import default_obs_parts

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert f"{ARM}: {','.join(default_obs_parts(ARM))}" in help_text


def _arm_named_file(path, parts):
    """A one-demo file that says it is the arm scene but holds only ``parts``."""
    import numpy as np

    from recordings import Provenance, RecordingFile

    rf = RecordingFile(path)
    try:
        rf.set_env({"env_name": ARM, "type": 4, "env_kwargs": {}}, "<mujoco/>")
        writer = rf.begin_episode(source="scripted", device="test")
        for t in range(6):
            obs = {k: np.full(2, t, dtype=np.float64) for k in parts}
            writer.append(
                obs, np.zeros(2), 0.0, t == 5, np.zeros(1), provenance=Provenance.SCRIPTED
            )
        writer.finish(success=True)
    finally:
        rf.close()
    return path


def test_train_falls_back_to_every_part_when_the_file_lacks_the_default(tmp_path, capsys):
    data = _arm_named_file(tmp_path / "old.h5", ["ee_pos", "goal_pos"])
    assert _train(data, tmp_path, "run") == 0
    out = capsys.readouterr().out
    assert "Observation parts: ee_pos, goal_pos (every part: the file lacks" in out
    assert json.loads((tmp_path / "run" / "config.json").read_text())["obs_keys_from"] == "all"


def test_car_has_no_default_and_uses_every_part(tmp_path, capsys):
    from studio.envs import default_obs_parts

    car = "ImitationStudio/CarObstacle-v0"
    assert default_obs_parts(car) is None
    path = tmp_path / "car.h5"
    collect = ["collect", "--env", car, "--episodes", "1", "--out", str(path), "--no-progress"]
    assert main(collect) == 0
    assert _train(path, tmp_path, "car") == 0
    assert f"(every part: {car} declares no default parts)" in capsys.readouterr().out


# -- robomimic's gym convention: one part named flat --------------------------------------------


@pytest.mark.parametrize("part", ["flat", "observation"])
def test_a_flat_file_trains_and_evaluates_in_its_env_without_flags(tmp_path, capsys, part):
    # A robomimic EnvGym file (obs/flat) or one of our older adapter files (obs/observation).
    import numpy as np

    from recordings import Provenance, RecordingFile
    from studio.envs import make_env

    env = make_env("Reacher-v5")
    dim = env.observation_space.shape[0]
    env.close()
    path = tmp_path / f"{part}.h5"
    rf = RecordingFile(path)
    try:
        rf.set_env({"env_name": "Reacher-v5", "type": 4, "env_kwargs": {}}, "<mujoco/>")
        rng = np.random.default_rng(0)
        for _ in range(2):
            writer = rf.begin_episode(source="scripted", device="test")
            for t in range(5):
                writer.append(
                    {part: rng.normal(size=dim)},
                    rng.uniform(-1, 1, 2),
                    0.0,
                    t == 4,
                    np.zeros(1),
                    provenance=Provenance.SCRIPTED,
                )
            writer.finish(success=False)
    finally:
        rf.close()
    assert _train(path, tmp_path, "run") == 0
    assert f"Observation parts: {part} (every part: Reacher-v5 declares" in capsys.readouterr().out
    checkpoint = str(tmp_path / "run" / "checkpoint.pt")
    assert main(["eval", checkpoint, "--episodes", "2", "--max-steps", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["env"] == "Reacher-v5" and out["policy"]["mean_length"] == 3


# -- eval's seeds and the training file's ---------------------------------------------------


def test_eval_seeds_default_past_collects_and_overlap_is_reported(arm_demos, tmp_path, capsys):
    import shutil

    import recordings

    with recordings.Dataset(arm_demos) as ds:
        demo_seeds = sorted(ds.info(n).seed for n in ds.demos)
    assert demo_seeds == [0, 1, 2]  # collect's default
    data = tmp_path / "arm.h5"
    shutil.copy(arm_demos, data)
    assert _train(data, tmp_path, "run") == 0
    capsys.readouterr()
    checkpoint = str(tmp_path / "run" / "checkpoint.pt")
    base = ["eval", checkpoint, "--episodes", "3", "--max-steps", "2"]

    assert main([*base, "--json"]) == 0  # default seeds: 1000-1002
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert [r["seed"] for r in result["policy"]["records"]] == [1000, 1001, 1002]
    assert result["training_seeds"]["overlap"] == [] and "seeds" not in err
    assert result["training_seeds"]["demos_with_seed"] == 3

    assert main([*base, "--seed", "1", "--json"]) == 0  # seeds 1-3: 1 and 2 are demo seeds
    out, err = capsys.readouterr()
    assert json.loads(out)["training_seeds"]["overlap"] == [1, 2]
    assert "2 of the 3 episode seeds (1-2) are reset seeds of demos" in err

    assert main([*base, "--seed", "0"]) == 0
    out, err = capsys.readouterr()
    assert "seeds 0-2:" in out and "3 of the 3 episode seeds (0-2)" in err

    data.unlink()  # the training file is gone: nothing to compare with, and nothing said
    assert main([*base, "--seed", "0", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["training_seeds"] is None and err == ""


# -- the run folder is checked before the data is read --------------------------------------


def test_unusable_runs_dir_is_refused_before_loading(arm_demos, tmp_path, capsys, monkeypatch):
    import recordings

    opened = []
    monkeypatch.setattr(recordings, "Dataset", lambda *a, **k: opened.append(a) or 1 / 0)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _train(arm_demos, blocker / "runs", "run") == 2
    err = capsys.readouterr().err
    assert f"cannot create or write the run folder {blocker / 'runs' / 'run'}" in err
    assert "Traceback" not in err

    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "taken").write_text("x")
    assert _train(arm_demos, tmp_path / "runs", "taken") == 2
    assert "exists and is not a folder" in capsys.readouterr().err

    import studio.runfolder as runfolder

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(runfolder.tempfile, "TemporaryFile", read_only)
    assert _train(arm_demos, tmp_path / "ro", "run") == 2
    err = capsys.readouterr().err
    assert f"run folder {tmp_path / 'ro' / 'run'}: Permission denied" in err
    assert not (tmp_path / "ro").exists()  # what it created to probe is gone again
    assert opened == []  # the data was never read


def test_a_failed_load_leaves_no_empty_run_folder(arm_demos, tmp_path, capsys):
    assert _train(arm_demos, tmp_path / "runs", "bad", "--obs-keys", "nope") == 2
    assert "nope" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


# -- numbers that make no sense are refused -------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--max-steps", "0"),
        ("--max-steps", "-1"),
        ("--num-envs", "-4"),
        ("--num-envs", "0"),
        ("--episodes", "0"),
    ],
)
def test_eval_refuses_non_positive_counts(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exited:
        main(["eval", str(tmp_path / "ck.pt"), option, value])
    assert exited.value.code == 2
    assert f"argument {option}: must be at least 1, got {value}" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value"),
    [("--threads", "-2"), ("--threads", "0"), ("--steps", "0"), ("--steps", "-5")],
)
def test_train_refuses_non_positive_counts(tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exited:
        main(["train", "--data", str(tmp_path / "x.h5"), option, value])
    assert exited.value.code == 2
    assert f"argument {option}: must be at least 1, got {value}" in capsys.readouterr().err


# -- damaged files: a message naming file, demo and field, exit 2, never a traceback ---------


def _damaged_copy(src, dst, damage):
    import shutil

    import h5py

    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        damage(f)
    return dst


def _empty_demo_2(f):
    g = f["data/demo_2"]
    for name in list(g):
        if isinstance(g[name], type(g)):  # obs/, next_obs/
            for key in list(g[name]):
                empty = g[name][key][()][:0]
                del g[name][key]
                g[name].create_dataset(key, data=empty)
        else:
            empty = g[name][()][:0]
            del g[name]
            g.create_dataset(name, data=empty)
    g.attrs["num_samples"] = 0


def _lots(f):
    f["data/demo_1"].attrs["num_samples"] = "lots"


def _dataset_not_group(f):
    import numpy as np

    f["data"].create_dataset("demo_7", data=np.zeros(3))


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        (_empty_demo_2, "demo_2/actions: no steps"),
        (_lots, "demo_1/num_samples: not a whole number: 'lots'"),
        (_dataset_not_group, "demo_7: is an HDF5 dataset, not a demo group"),
    ],
)
def test_damaged_files_give_a_message_and_lenient_skips_the_demo(tmp_path, capsys, damage, where):
    from algo_helpers import linear_demos, write_recordings

    clean = write_recordings(tmp_path / "clean.h5", linear_demos(n_demos=4, steps=12))
    path = _damaged_copy(clean, tmp_path / "damaged.h5", damage)
    assert _train(path, tmp_path / "runs", "strict") == 2
    err = capsys.readouterr().err
    assert f"train: {path}: {where}" in err and "--lenient" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()

    assert _train(path, tmp_path / "runs", "lenient", "--lenient") == 0
    assert f"{path}: {where}" in capsys.readouterr().err
    config = json.loads((tmp_path / "runs" / "lenient" / "config.json").read_text())
    assert len(config["skipped"]) == 1 and where in config["skipped"][0]
    damaged_demo = where.split("/")[0].split(":")[0]
    assert damaged_demo not in config["train_demos"] + config["val_demos"]


def test_unreadable_file_gives_a_message(arm_demos, tmp_path, capsys, monkeypatch):
    import recordings

    def denied(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(recordings, "Dataset", denied)
    assert _train(arm_demos, tmp_path, "run") == 2
    assert f"train: [Errno 13] Permission denied: '{arm_demos}'" in capsys.readouterr().err


@pytest.mark.skipif(__import__("os").geteuid() == 0, reason="root reads files without permission")
def test_unreadable_file_as_a_user(arm_demos, tmp_path, capsys):
    import shutil

    path = tmp_path / "locked.h5"
    shutil.copy(arm_demos, path)
    path.chmod(0)
    assert _train(path, tmp_path, "run") == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err


def test_an_unexpected_reader_error_is_a_message_not_a_traceback(
    arm_demos, tmp_path, capsys, monkeypatch
):
    import algorithms

    def broken(*args, **kwargs):
        raise AttributeError("'Dataset' object has no attribute 'items'")

    monkeypatch.setattr(algorithms, "as_demo_data", broken)
    assert _train(arm_demos, tmp_path / "runs", "run") == 2
    err = capsys.readouterr().err
    assert f"train: {arm_demos}: cannot read the recordings (AttributeError: " in err
    assert f"imitation-studio inspect {arm_demos}" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", ["train", "eval"])
def test_negative_seeds_are_refused(tmp_path, capsys, command):
    target = ["--data", str(tmp_path / "x.h5")] if command == "train" else [str(tmp_path / "c.pt")]
    with pytest.raises(SystemExit) as exited:
        main([command, *target, "--seed", "-3"])
    assert exited.value.code == 2
    assert "argument --seed: must be 0 or more, got -3" in capsys.readouterr().err


def test_seed_ranges_read_as_runs():
    from studio.commands.eval import _ranges

    assert _ranges([0, 1, 2, 5, 7, 8]) == "0-2, 5, 7-8"
    assert _ranges([1000]) == "1000"


def test_train_waits_for_another_process_commit_and_says_so(arm_demos, tmp_path, capsys):
    """Issue 8, failure 2: train reads one state of the file, waiting out a commit in progress."""
    import fcntl
    import os
    import shutil
    import threading

    data = tmp_path / "busy" / "arm.h5"
    data.parent.mkdir()
    shutil.copy(arm_demos, data)
    # A committing writer holds the folder's exclusive lock (recordings' commit protocol).
    fd = os.open(data.parent, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    release = threading.Timer(1.0, lambda: (fcntl.flock(fd, fcntl.LOCK_UN), os.close(fd)))
    release.start()
    try:
        args = ["train", "--data", str(data), "--steps", "10", "--set", "log_every=10"]
        args += ["--runs-dir", str(tmp_path / "runs"), "--name", "r", "--no-progress"]
        assert main([*args, "--device", "cpu", "--threads", "1"]) == 0
    finally:
        release.join()
    err = capsys.readouterr().err
    assert "being written by another process; waiting" in err and str(data) in err


def test_bc_trains_on_a_file_of_a_scene_the_studio_cannot_open(arm_demos, tmp_path, capsys):
    """BC needs no env: a robomimic file of another simulator (env_name "Lift") still trains."""
    import shutil

    import h5py

    lift = tmp_path / "lift.h5"
    shutil.copy(arm_demos, lift)
    with h5py.File(lift, "a") as f:
        args = json.loads(f["data"].attrs["env_args"])
        args["env_name"] = "Lift"
        f["data"].attrs["env_args"] = json.dumps(args)
    argv = ["train", "--data", str(lift), "--steps", "5", "--set", "log_every=5", "--no-progress"]
    argv += ["--runs-dir", str(tmp_path / "runs"), "--name", "lift", "--device", "cpu"]
    assert main(argv) == 0, capsys.readouterr().err
    assert (tmp_path / "runs" / "lift" / "checkpoint.pt").is_file()


def test_runs_started_together_never_share_a_folder(arm_demos, tmp_path, capsys, monkeypatch):
    """A seed sweep started in one second: default names get a suffix, chosen names refuse."""
    import datetime as real_datetime

    class Frozen(real_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 11, 30, 12, 0, 0)

    monkeypatch.setattr("studio.commands.train.datetime.datetime", Frozen)
    base = ["train", "--data", str(arm_demos), "--steps", "5", "--set", "log_every=5"]
    base += ["--no-progress", "--device", "cpu", "--runs-dir", str(tmp_path)]
    for seed in ("1", "2"):
        assert main([*base, "--seed", seed]) == 0
    runs = sorted(p.name for p in tmp_path.iterdir())
    assert runs == ["bc-arm-20261130-120000", "bc-arm-20261130-120000-2"]
    seeds = [json.loads((tmp_path / r / "config.json").read_text())["seed"] for r in runs]
    assert seeds == [1, 2]
    (tmp_path / "taken").mkdir()  # empty, as another run's folder is at its first moment
    assert main([*base, "--name", "taken"]) == 2
    assert "already exists; pick another --name" in capsys.readouterr().err
