"""Reading: validation with file/demo/field in every message, lenient loading, robomimic files."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest
from rec_synth import record, synth_episode

from recordings import Dataset, Provenance, RecordingFile, ValidationError


def _make(path: Path, n_demos: int = 3) -> list:
    rf = RecordingFile(path)
    eps = []
    for k in range(n_demos):
        w = rf.begin_episode(source="human")
        ep = synth_episode(0, k)
        record(w, ep)
        w.finish(success=True)
        eps.append(ep)
    return eps


def _robomimic_file(path: Path) -> dict[str, np.ndarray]:
    """A file as robomimic's own tools write it: none of our attributes."""
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        data = f.create_group("data")
        data.attrs["env_args"] = json.dumps(
            {"env_name": "Lift", "type": 1, "env_kwargs": {"control_freq": 20}}
        )
        total = 0
        for i, n in [(1, 12), (2, 7), (10, 5)]:
            g = data.create_group(f"demo_{i}")
            g.attrs["num_samples"] = n
            g.attrs["model_file"] = "<mujoco model='lift'/>"
            g.create_dataset("obs/robot0_eef_pos", data=rng.normal(size=(n, 3)))
            g.create_dataset("obs/object", data=rng.normal(size=(n, 10)))
            g.create_dataset("next_obs/robot0_eef_pos", data=rng.normal(size=(n, 3)))
            g.create_dataset("next_obs/object", data=rng.normal(size=(n, 10)))
            g.create_dataset("actions", data=rng.uniform(-1, 1, size=(n, 7)))
            g.create_dataset("rewards", data=np.zeros(n))
            g.create_dataset("dones", data=(np.arange(n) == n - 1).astype(np.int64))
            g.create_dataset("states", data=rng.normal(size=(n, 32)))
            total += n
        data.attrs["total"] = total
        f.create_dataset("mask/train", data=np.array([b"demo_1", b"demo_10"]))
        f.create_dataset("mask/valid", data=np.array([b"demo_2"]))
        return {"actions": f["data/demo_10/actions"][()]}


def test_opens_robomimic_files_and_trains_on_them(tmp_path: Path) -> None:
    path = tmp_path / "lift.hdf5"
    ref = _robomimic_file(path)
    with Dataset(path) as ds:
        assert ds.demos == ["demo_1", "demo_2", "demo_10"]  # natural order
        assert ds.masks == {"train": ["demo_1", "demo_10"], "valid": ["demo_2"]}
        assert ds.env_args["env_name"] == "Lift"
        info = ds.info("demo_10")
        # robomimic's files do not say who drove: unknown, not guessed as human
        assert info.source == "unknown" and info.success is None and info.num_samples == 5
        assert ds.model_file("demo_2") == "<mujoco model='lift'/>"
        ep = ds.episode("demo_10")
        assert np.array_equal(ep.actions, ref["actions"])
        assert (ep.provenance == Provenance.UNKNOWN).all() and ep.labels is None
        t = ds.transitions(mask="train")
        assert t.obs.shape == (17, 13) and t.actions.shape == (17, 7)
        assert t.obs.dtype == np.float32 and t.demo_names == ["demo_1", "demo_10"]
        assert t.obs_keys == ["object", "robot0_eef_pos"]
        assert t.obs_slices["robot0_eef_pos"] == slice(10, 13)
        assert t.step_index[12:].tolist() == [0, 1, 2, 3, 4]
        assert t.episode_index[12:].tolist() == [1] * 5
    # and we can record into it; robomimic's masks and demos stay as they were
    rf = RecordingFile(path)
    w = rf.begin_episode(source="human")
    obs = {"robot0_eef_pos": np.zeros(3), "object": np.zeros(10)}
    w.append(obs, np.zeros(7), 0.0, True, np.zeros(32), next_obs=obs)
    assert w.finish(success=True) == "demo_11"
    with Dataset(path) as ds:
        assert ds.mask("train") == ["demo_1", "demo_10"]
        # our demo goes into the human mask; robomimic's, of unknown source, stay out of it
        assert ds.mask("human") == ["demo_11"] and "unknown" not in ds.masks
        assert [ds.info(d).source for d in ds.demos] == ["unknown"] * 3 + ["human"]
        assert np.array_equal(ds.episode("demo_10").actions, ref["actions"])


def test_transitions_and_stats(tmp_path: Path) -> None:
    eps = _make(tmp_path / "d.h5")
    with Dataset(tmp_path / "d.h5") as ds:
        t = ds.transitions(obs_keys=["goal", "ee_pos"])
        expect = np.concatenate([np.concatenate([e.obs["goal"], e.obs["ee_pos"]], 1) for e in eps])
        assert np.array_equal(t.obs, expect.astype(np.float32))
        assert t.obs_slices == {"goal": slice(0, 2), "ee_pos": slice(2, 5)}
        stats = ds.stats()
        assert set(stats) == {"ee_pos", "goal", "joints", "actions"}
        for key in ("ee_pos", "goal", "joints", "actions"):
            x = np.concatenate([e.actions if key == "actions" else e.obs[key] for e in eps])
            x = x.astype(np.float64)
            np.testing.assert_allclose(stats[key]["mean"], x.mean(0), rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(stats[key]["std"], x.std(0), rtol=1e-12)
            assert np.array_equal(stats[key]["min"], x.min(0))
            assert np.array_equal(stats[key]["max"], x.max(0))
        one = ds.stats(["goal"], demos=[ds.demos[1]])
        np.testing.assert_allclose(one["goal"]["std"], eps[1].obs["goal"].astype(float).std(0))


def test_stats_stay_accurate_far_from_zero(tmp_path: Path) -> None:
    """Positions around 1e6 that vary by 1e-2: E[x²]−E[x]² loses every digit of the variance."""
    rng = np.random.default_rng(5)
    rf = RecordingFile(tmp_path / "far.h5")
    parts = []
    for n in (1, 50, 7, 300):  # uneven lengths, one single-step demo
        pos = 1e6 + np.array([0.0, 5.0, -3.0]) + rng.normal(0, 1e-2, size=(n + 1, 3))
        w = rf.begin_episode(source="scripted")
        for t in range(n):
            w.append(
                {"pos": pos[t]}, np.zeros(2, np.float32), 0.0, t == n - 1, np.zeros(4),
                next_obs={"pos": pos[t + 1]},
            )  # fmt: skip
        w.finish(success=True)
        parts.append(pos[:-1])
    x = np.concatenate(parts)
    with Dataset(rf.path) as ds:
        s = ds.stats(["pos"])["pos"]
    np.testing.assert_allclose(s["mean"], x.mean(0), rtol=1e-13)
    np.testing.assert_allclose(s["std"], x.std(0), rtol=1e-6)
    # The naive one-pass formula, for the record: far off (this is what the test guards).
    naive = np.sqrt(np.maximum((x * x).mean(0) - x.mean(0) ** 2, 0))
    assert not np.allclose(naive, x.std(0), rtol=1e-2)


def test_demos_that_do_not_match_env_args_obs_parts_are_reported(tmp_path: Path) -> None:
    """A demo whose obs keys are not env_args["obs_parts"] (another scene's) is a problem."""
    path = tmp_path / "mix.h5"
    rf = RecordingFile(path)
    parts = {"ee_pos": [0, 3], "goal": [3, 5], "joints": [5, 20]}
    rf.set_env({"env_name": "Arm-v0", "obs_parts": parts}, "<arm/>")
    _make(path, 2)
    with h5py.File(path, "a") as f:  # a demo of another scene slipped in (an older studio)
        g = f["data/demo_1"]
        g.move("obs/ee_pos", "obs/car_pos")
        del g["obs/goal"], g["obs/joints"]
    with Dataset(path) as ds, pytest.raises(ValidationError, match=r"demo_1/obs: keys \['car"):
        ds.validate()
    with Dataset(path, lenient=True) as ds:
        assert ds.check() and ds.demos == ["demo_0"]
        assert "obs_parts" in ds.problems[0]
    with h5py.File(path, "a") as f:  # no obs_parts (robomimic's env_args): nothing to compare
        f["data"].attrs["env_args"] = json.dumps({"env_name": "Arm-v0"})
    with Dataset(path) as ds:
        assert ds.validate() == [] and ds.demos == ["demo_0", "demo_1"]


def _corrupt(path: Path, fn) -> None:
    with h5py.File(path, "a") as f:
        fn(f["data/demo_1"], f)


CASES = {
    "missing": (lambda g, f: g.__delitem__("states"), "demo_1/states: missing dataset"),
    "length": (
        lambda g, f: (g.__delitem__("rewards"), g.create_dataset("rewards", data=np.zeros(3))),
        "demo_1/rewards: length 3 does not match",
    ),
    "dtype": (
        lambda g, f: (
            g["obs"].__delitem__("goal"),
            g.create_dataset("obs/goal", data=np.array([b"x"] * g["actions"].shape[0])),
        ),
        "demo_1/obs/goal: wrong dtype",
    ),
    "nan": (
        lambda g, f: g["states"].__setitem__((4, 2), np.nan),
        "demo_1/states: NaN or inf at step 4",
    ),
    "inf": (lambda g, f: g["obs/ee_pos"].__setitem__((2, 0), np.inf), "demo_1/obs/ee_pos: NaN"),
    "num_samples": (
        lambda g, f: g.attrs.__setitem__("num_samples", 1),
        "demo_1/num_samples: attribute says 1",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_validation_names_file_demo_and_field(tmp_path: Path, case: str) -> None:
    path = tmp_path / "d.h5"
    _make(path)
    fn, message = CASES[case]
    _corrupt(path, fn)
    with pytest.raises(ValidationError) as exc:
        ds = Dataset(path)
        ds.check()  # value problems show up when the data is read
    assert str(path) in str(exc.value) and message in str(exc.value)
    assert exc.value.demo == "demo_1"
    # Lenient: the bad demo is skipped, never silently, and the rest trains.
    ds = Dataset(path, lenient=True)
    assert ds.check() and ds.demos == ["demo_0", "demo_2"]
    t = ds.transitions()
    assert t.demo_names == ["demo_0", "demo_2"]
    assert any(message in p for p in ds.problems)
    with pytest.raises(KeyError, match="skipped"):
        ds.episode("demo_1")


def test_bad_files(tmp_path: Path) -> None:
    text = tmp_path / "text.h5"
    text.write_text("not hdf5 at all")
    with pytest.raises(ValidationError, match=r"text\.h5: not an HDF5 file"):
        Dataset(text)
    path = tmp_path / "d.h5"
    _make(path)
    data = path.read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValidationError, match=r"cut\.h5: truncated"):
        Dataset(cut, lenient=True)  # lenient skips demos, not unreadable files
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(ValidationError, match="format_version: 99 is newer"):
        Dataset(path)
    with pytest.raises(ValidationError, match="no such file"):
        Dataset(tmp_path / "nope.h5")


def test_lenient_training_skips_bad_demos_without_a_full_check(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _make(path)
    _corrupt(path, lambda g, f: g.__delitem__("actions"))
    ds = Dataset(path, lenient=True)
    assert ds.demos == ["demo_0", "demo_1", "demo_2"]  # lazy: nothing checked yet
    t = ds.transitions()
    assert t.demo_names == ["demo_0", "demo_2"]
    assert ds.problems == [f"{path}: demo_1/actions: missing dataset (skipped)"]
    assert ds.demos == ["demo_0", "demo_2"]
    with pytest.raises(ValidationError, match="demo_1/actions: missing"):
        Dataset(path).transitions()  # strict: raises on the first bad demo it meets


def test_new_readers_see_new_demos_while_an_old_one_is_open(tmp_path: Path) -> None:
    """HDF5 shares one cache per inode in a process; a reader opened before a commit must not
    hide the commit from readers opened after it (the GUI keeps a Dataset open while recording).
    """
    path = tmp_path / "d.h5"
    eps = _make(path, 1)
    old = Dataset(path)
    assert old.demos == ["demo_0"]
    rf = RecordingFile(path)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1))
    w.finish(success=True)
    assert rf.demos == ["demo_0", "demo_1"]
    with Dataset(path) as new:
        assert new.demos == ["demo_0", "demo_1"]
        assert len(new.episode("demo_1")) == len(synth_episode(0, 1))
    assert len(old.episode("demo_0")) == len(eps[0])  # the old view still reads its demos
    old.close()


def test_lenient_transitions_skip_a_bad_demo_in_the_middle_without_a_gap(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    eps = _make(path)
    _corrupt(path, lambda g, f: g["obs/goal"].__setitem__((3, 1), np.inf))
    ds = Dataset(path, lenient=True)
    t = ds.transitions(obs_keys=["goal"])
    assert t.demo_names == ["demo_0", "demo_2"]
    assert np.array_equal(t.obs, np.concatenate([eps[0].obs["goal"], eps[2].obs["goal"]]))
    assert np.array_equal(t.actions, np.concatenate([eps[0].actions, eps[2].actions]))
    assert t.episode_index.tolist() == [0] * len(eps[0]) + [1] * len(eps[2])
    assert ds.problems == [f"{path}: demo_1/obs/goal: NaN or inf at step 3 (1 steps) (skipped)"]
