"""The `inspect` and `collect` subcommands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
from rec_synth import record, synth_episode

from recordings import Dataset, Provenance, RecordingFile, ValidationError
from studio.cli import main


def _file(path: Path, n: int = 3) -> None:
    rf = RecordingFile(path)
    for k in range(n):
        w = rf.begin_episode(source="human" if k else "policy")
        record(w, synth_episode(0, k))
        w.finish(success=k != 1)


def test_inspect_summary_and_json(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.h5"
    _file(path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Demos: 3" in out and "human 2, policy 1" in out and "66.7%" in out
    assert "ee_pos" in out and "Validation: no problems" in out
    assert main(["inspect", str(path), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    steps = sum(len(synth_episode(0, k)) for k in range(3))
    assert s["demos"] == 3 and s["steps"] == steps and s["masks"] == {"human": 2, "policy": 1}
    acts = np.concatenate([synth_episode(0, k).actions for k in range(3)])
    assert np.allclose(s["action_min"], acts.min(0)) and np.allclose(s["action_max"], acts.max(0))
    assert s["obs"]["joints"] == [[15], "float64"]


def test_inspect_reports_problems_and_bad_files(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.h5"
    _file(path)
    with h5py.File(path, "a") as f:
        f["data/demo_2/actions"][3, 0] = np.nan
    assert main(["inspect", str(path)]) == 2
    out = capsys.readouterr().out
    assert "Demos: 2" in out and "demo_2/actions: NaN or inf at step 3" in out
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x00" * 100)
    assert main(["inspect", str(junk)]) == 2
    assert "junk.h5: not an HDF5 file" in capsys.readouterr().err


def test_collect_records_replayable_scripted_demos(tmp_path: Path, capsys) -> None:
    pytest.importorskip("mujoco")
    from studio.envs import ARM_PUSH, make_env

    out = tmp_path / "demos.h5"
    argv = ["collect", "--env", ARM_PUSH, "--episodes", "2", "--out", str(out), "--seed", "3"]
    assert main([*argv, "--no-progress"]) == 0
    assert "Saved 2 demos" in capsys.readouterr().out
    env = make_env(ARM_PUSH)
    with Dataset(out) as ds:
        assert ds.demos == ["demo_0", "demo_1"] and ds.mask("scripted") == ds.demos
        assert ds.env_args["env_name"] == ARM_PUSH and ds.model_file() == env.model_xml
        assert ds.obs_keys == list(env.obs_parts)
        ep = ds.episode("demo_0")
        assert ep.info.source == "scripted" and ep.info.success is not None
        assert (ep.provenance == Provenance.SCRIPTED).all() and ep.dones[-1]
        # The states restore exactly: replaying the recorded actions gives the next states.
        env.reset(seed=3)
        env.set_state(ep.states[0])
        for t in range(len(ep) - 1):
            obs, *_ = env.step(ep.actions[t])
            assert np.array_equal(env.get_state(), ep.states[t + 1])
            assert np.array_equal(env.join_obs({k: v[t] for k, v in ep.next_obs.items()}), obs)
    env.close()
    assert main([*argv, "--env", "Nope-v0"]) == 2


def test_collect_refuses_to_mix_scenes_and_inspect_reports_mixed_files(
    tmp_path: Path, capsys
) -> None:
    pytest.importorskip("mujoco")
    from studio.envs import ARM_PUSH, CAR_OBSTACLE

    mix = tmp_path / "mix.h5"
    base = ["collect", "--episodes", "1", "--out", str(mix), "--no-progress"]
    assert main([*base, "--env", ARM_PUSH]) == 0
    before = mix.read_bytes()
    capsys.readouterr()
    assert main([*base, "--env", CAR_OBSTACLE]) == 2
    err = capsys.readouterr().err
    assert "mix.h5" in err and ARM_PUSH in err and CAR_OBSTACLE in err
    assert mix.read_bytes() == before  # nothing of the car reached the file
    assert main(["inspect", str(mix)]) == 0
    assert ARM_PUSH in capsys.readouterr().out
    # A file mixed by an older studio: the car's env_args over the arm's demos.
    from studio.envs import make_env

    car = make_env(CAR_OBSTACLE)
    with h5py.File(mix, "a") as f:
        f["data"].attrs["env_args"] = json.dumps(car.env_args())
    car.close()
    assert main(["inspect", str(mix)]) == 2
    out = capsys.readouterr().out
    assert "demo_0/obs: keys" in out and "obs_parts" in out and "no problems" not in out


class _FakeEnv:
    """Counts steps; ends (terminated or truncated) where told, or never."""

    class action_space:  # stands in for a gymnasium space
        dtype = np.float32

    def __init__(self, end_at: int | None, how: str, max_episode_steps: int | None = None):
        self.end_at, self.how, self.t = end_at, how, 0
        self.max_episode_steps = max_episode_steps

    def get_state(self) -> np.ndarray:
        return np.array([float(self.t)])

    def split_obs(self, obs: np.ndarray) -> dict[str, np.ndarray]:
        return {"x": np.asarray(obs, dtype=np.float64).reshape(1)}

    def step(self, action):
        self.t += 1
        end = self.end_at is not None and self.t >= self.end_at
        terminated, truncated = end and self.how == "terminated", end and self.how == "truncated"
        return float(self.t), 1.0, terminated, truncated, {"is_success": terminated}


@pytest.mark.parametrize(
    ("end_at", "how", "cap", "n"),
    [
        (5, "terminated", None, 5),
        (7, "truncated", None, 7),
        (None, "", 9, 9),
        (1, "truncated", 3, 1),
    ],
)
def test_collect_writes_dones_as_robomimic(tmp_path: Path, end_at, how, cap, n) -> None:
    """done = terminated or truncated at each step, and the last step of a demo has done = 1."""
    from studio.commands.collect import record_episode

    rf = RecordingFile(tmp_path / "d.h5")
    w = rf.begin_episode(source="scripted")
    env = _FakeEnv(end_at, how, max_episode_steps=cap)
    info, steps = record_episode(env, lambda o: [0.5], w, 0.0, provenance=Provenance.SCRIPTED)
    assert steps == n and info["is_success"] == (how == "terminated")
    name = w.finish(success=bool(info["is_success"]))
    with Dataset(rf.path) as ds:
        ep = ds.episode(name)
    assert ep.dones.dtype == np.uint8
    assert ep.dones.tolist() == [0] * (n - 1) + [1]
    assert ep.actions.dtype == np.float32 and ep.states[:, 0].tolist() == list(range(n))
    assert ep.obs["x"][:, 0].tolist() == list(range(n))
    assert ep.next_obs["x"][:, 0].tolist() == list(range(1, n + 1))


def test_inspect_says_unknown_for_demos_that_do_not_say_who_drove(tmp_path: Path, capsys) -> None:
    """Issue 8: a robomimic file's demos have no `source`; they are not human teleoperation."""
    from test_rec_reader import _robomimic_file

    path = tmp_path / "lift.hdf5"
    _robomimic_file(path)
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Sources: unknown 3" in out and "human" not in out
    assert main(["inspect", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sources"] == {"unknown": 3}


def _empty_demo(g: h5py.Group) -> None:
    for key in list(g):
        if isinstance(g[key], h5py.Group):
            for sub in list(g[key]):
                arr = g[key][sub][()][:0]
                del g[key][sub]
                g[key].create_dataset(sub, data=arr)
        else:
            arr = g[key][()][:0]
            del g[key]
            g.create_dataset(key, data=arr)
    g.attrs["num_samples"] = 0


MALFORMED = {
    "zero steps": (lambda f: _empty_demo(f["data/demo_1"]), "demo_1/actions: no steps"),
    "num_samples lots": (
        lambda f: f["data/demo_1"].attrs.__setitem__("num_samples", "lots"),
        "demo_1/num_samples: not a whole number: 'lots'",
    ),
    "demo is a dataset": (
        lambda f: f["data"].create_dataset("demo_7", data=np.zeros(3)),
        "demo_7: is an HDF5 dataset, not a demo group",
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_inspect_lists_malformed_demos_instead_of_a_traceback(
    tmp_path: Path, capsys, case: str
) -> None:
    """Issue 8, failure 3: each names the file, the demo and the field; the rest is read."""
    path = tmp_path / "d.h5"
    _file(path)
    damage, message = MALFORMED[case]
    with h5py.File(path, "a") as f:
        damage(f)
    bad = "demo_7" if "demo_7" in message else "demo_1"
    good = 3 if bad == "demo_7" else 2
    assert main(["inspect", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}: {message}" in out and f"Demos: {good}" in out
    assert main(["inspect", str(path), "--json"]) == 2
    s = json.loads(capsys.readouterr().out)
    assert s["demos"] == good and any(f"{path}: {message}" in p for p in s["problems"])
    # The reader training uses: lenient skips the demo and says why; strict raises it.
    with Dataset(path, lenient=True) as ds:
        ds.check()
        assert bad not in ds.demos and len(ds.transitions().demo_names) == good
        assert any(message in p for p in ds.problems)
    with pytest.raises(ValidationError, match=message), Dataset(path) as ds:
        ds.check()


def test_inspect_reports_a_mask_naming_a_missing_demo(tmp_path: Path, capsys) -> None:
    """Issue 8, failure 7."""
    path = tmp_path / "d.h5"
    _file(path)
    with h5py.File(path, "a") as f:
        f.create_dataset("mask/train", data=np.array([b"demo_0", b"demo_9"]))
    assert main(["inspect", str(path)]) == 2
    out = capsys.readouterr().out
    assert f"{path}: mask/train: names demo 'demo_9', which is not in the file" in out
    assert "no problems" not in out
    with Dataset(path) as ds, pytest.raises(ValidationError, match=r"mask/train.*demo_9"):
        ds.check()


def test_inspect_lists_a_mask_that_is_not_a_list_of_names(tmp_path: Path, capsys) -> None:
    """A malformed mask is one listed problem; the rest of the file is still summarised."""
    path = tmp_path / "d.h5"
    _file(path)
    with h5py.File(path, "a") as f:
        f.create_dataset("mask/train", data=np.arange(3))
    assert main(["inspect", str(path), "--json"]) == 2
    summary = json.loads(capsys.readouterr().out)
    assert "error" not in summary and summary["problems"]
    assert any("mask/train" in p for p in summary["problems"])
    with Dataset(path, lenient=True) as ds:
        assert [e.field for e in ds.check_masks()] == ["mask/train"]


def test_inspect_words_a_crashed_recording_for_a_person(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.h5"
    _file(path, 1)
    w = RecordingFile(path).begin_episode(source="human")
    record(w, synth_episode(0, 5, length=6))
    w.flush()
    w.abandon()  # as after a crash
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Unfinished: 1 recording not yet in the file (cut short by a crash" in out
    assert "await" not in out and "episode(s)" not in out


def _as_nobody(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in a forked child that has dropped root (root reads any file)."""
    import os

    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        rc = 99
        try:
            os.setgid(65534)
            os.setuid(65534)
            sys.stdout = os.fdopen(out_w, "w")  # pytest's capture replaced the real streams
            sys.stderr = os.fdopen(err_w, "w")
            rc = main(argv)
        except BaseException:  # say why, or the test only sees exit 99
            import traceback

            traceback.print_exc(file=sys.stderr)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc)
    os.close(out_w)
    os.close(err_w)
    with os.fdopen(out_r) as fo, os.fdopen(err_r) as fe:
        out, err = fo.read(), fe.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out, err


def test_inspect_a_file_it_may_not_read(tmp_path: Path, capsys) -> None:
    """Issue 8, failure 3: without read permission, a message and exit 2; --json prints JSON."""
    import os
    import shutil
    import tempfile

    path = tmp_path / "d.h5"
    _file(path, 1)
    if os.geteuid() == 0:
        # A folder the unprivileged user can enter, holding a file only root may read.
        folder = Path(tempfile.mkdtemp(prefix="inspect-perm-"))
        try:
            os.chmod(folder, 0o755)
            secret = folder / "d.h5"
            shutil.copy(path, secret)
            os.chmod(secret, 0o600)
            # The CLI imports lazily, and a Python installed under /root (mode 700) cannot be
            # read by nobody: import everything in the parent first, on a readable file.
            assert main(["inspect", str(path)]) == 0
            assert main(["inspect", str(path), "--json"]) == 0
            capsys.readouterr()
            rc, _, err = _as_nobody(["inspect", str(secret)])
            rc_json, out_json, _ = _as_nobody(["inspect", str(secret), "--json"])
        finally:
            shutil.rmtree(folder)
    else:
        secret = path
        os.chmod(secret, 0o000)
        try:
            if os.access(secret, os.R_OK):
                pytest.skip("this user can read files without read permission")
            rc = main(["inspect", str(secret)])
            err = capsys.readouterr().err
            rc_json = main(["inspect", str(secret), "--json"])
            out_json = capsys.readouterr().out
        finally:
            os.chmod(secret, 0o644)
    assert rc == 2 and rc_json == 2, (rc, rc_json, err)
    assert "Traceback" not in err and f"{secret}: cannot read it: permission denied" in err
    assert json.loads(out_json) == {
        "path": str(secret),
        "error": f"{secret}: cannot read it: permission denied",
    }


@pytest.mark.parametrize(
    ("attr", "value", "problem"),
    [
        ("success", "maybe", "demo_0/success: not true/false: 'maybe'"),
        ("seed", "x", "demo_0/seed: not a whole number >= 0: 'x'"),
        ("obs_keys", "not json", "demo_0/obs_keys: not a JSON list of names"),
    ],
)
def test_inspect_reports_meaningless_demo_attributes(tmp_path: Path, capsys, attr, value, problem):
    """`success="maybe"` was counted as a success; now it is a problem naming demo and field."""
    path = tmp_path / "d.h5"
    _file(path)
    with h5py.File(path, "a") as f:
        f["data/demo_0"].attrs[attr] = value
    assert main(["inspect", str(path)]) == 2
    out = capsys.readouterr().out
    assert problem in out and "Success rate: 100" not in out


def test_inspect_reports_env_args_that_are_not_an_object(tmp_path: Path, capsys) -> None:
    path = tmp_path / "d.h5"
    _file(path)
    with h5py.File(path, "a") as f:
        f["data"].attrs["env_args"] = "[1, 2]"
    assert main(["inspect", str(path), "--json"]) == 2
    assert "data.attrs/env_args: not a JSON object" in capsys.readouterr().out
