"""Writer round trips, editing and the file layout (robomimic keys plus ours)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from rec_synth import assert_same, record, synth_episode

from recordings import (
    FORMAT_VERSION,
    Dataset,
    Provenance,
    RecordingError,
    RecordingFile,
)
from recordings.sidecar import read_sidecar, sidecar_paths


def _record(rf: RecordingFile, k: int, *, source: str = "human", labels: bool = False, **kw):
    w = rf.begin_episode(source=source, **kw)
    ep = synth_episode(0, k, labels=labels)
    record(w, ep)
    assert w.num_steps == len(ep)
    return w.finish(success=k % 2 == 0), ep


def test_round_trip_bit_for_bit_and_layout(tmp_path: Path) -> None:
    path = tmp_path / "demos.h5"
    with RecordingFile(path) as rf:
        rf.set_env({"env_name": "ArmPush-v0", "env_type": 4, "env_kwargs": {"a": 1}}, "<mujoco/>")
        names, eps = zip(*(_record(rf, k, labels=k == 2) for k in range(3)), strict=True)
    assert names == ("demo_0", "demo_1", "demo_2")
    with Dataset(path) as ds:
        for name, ep in zip(names, eps, strict=True):
            assert_same(ds.episode(name), ep)
        assert ds.env_args["type"] == ds.env_args["env_type"] == 4
        assert ds.model_file() == "<mujoco/>"
        assert ds.obs_keys == ["ee_pos", "goal", "joints"]  # recording order, not sorted
        info = ds.info("demo_0")
        assert (info.source, info.success, info.num_samples) == ("human", True, len(eps[0]))
        assert ds.info("demo_1").success is False
        assert ds.masks["human"] == ["demo_0", "demo_1", "demo_2"]
    with h5py.File(path, "r") as f:  # what a robomimic reader sees
        assert f.attrs["format_version"] == FORMAT_VERSION
        assert f["data"].attrs["total"] == sum(len(e) for e in eps)
        assert json.loads(f["data"].attrs["env_args"])["env_name"] == "ArmPush-v0"
        g = f["data/demo_0"]
        assert g.attrs["num_samples"] == len(eps[0]) and g.attrs["model_file"] == "<mujoco/>"
        assert {"obs", "next_obs", "actions", "rewards", "dones", "states"} <= set(g)
        assert f["mask/human"].dtype.kind == "S"  # byte strings, as robomimic writes them
    assert not sidecar_paths(str(path))  # journals are gone once committed


def test_relabel_keeps_executed_actions_and_labels_apart(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    rollout, _ = _record(rf, 0, source="policy")
    relabel, ep = _record(rf, 1, source="relabel", parent=rollout, labels=True)
    with Dataset(rf.path) as ds:
        loaded = ds.episode(relabel)
        assert loaded.info.parent == rollout and loaded.info.source == "relabel"
        assert_same(loaded, ep)  # labels and executed actions both exact
        t = ds.transitions([relabel])
        has = ~np.isnan(ep.labels).any(axis=1)
        assert np.array_equal(t.actions[has], ep.labels[has])
        assert np.array_equal(t.actions[~has], ep.actions[~has])
        plain = ds.transitions([relabel], use_labels=False)
        assert np.array_equal(plain.actions, ep.actions)
        assert ds.mask("policy") == [rollout] and ds.mask("relabel") == [relabel]
    with pytest.raises(ValueError, match="parent"):
        rf.begin_episode(source="relabel", parent="demo_99")


def test_discard_leaves_no_trace(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    _record(rf, 0)
    before = Path(rf.path).read_bytes()
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1))
    w.flush()
    assert len(sidecar_paths(rf.path)) == 1
    w.discard()
    assert Path(rf.path).read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["d.h5"]
    with rf.begin_episode(source="human") as w2:  # leaving the block unfinished discards too
        record(w2, synth_episode(0, 2), 0, 3)
    assert sorted(os.listdir(tmp_path)) == ["d.h5"] and rf.demos == ["demo_0"]


def test_append_rejects_what_would_break_the_file(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    w = rf.begin_episode(source="human")
    obs, act, st = {"x": np.zeros(3)}, np.zeros(2), np.zeros(4)
    w.append(obs, act, 0.0, False, st)
    with pytest.raises(ValueError, match="obs/x"):
        w.append({"x": np.zeros(4)}, act, 0.0, False, st)
    with pytest.raises(ValueError, match="obs keys"):
        w.append({"y": np.zeros(3)}, act, 0.0, False, st)
    with pytest.raises(ValueError, match="actions"):
        w.append(obs, np.array([np.nan, 0.0]), 0.0, False, st)
    with pytest.raises(ValueError, match="actions"):
        w.append(obs, 0.5, 0.0, False, st)  # a scalar must not broadcast into (2,)
    with pytest.raises(ValueError, match="provenance"):
        w.append(obs, act, 0.0, False, st, provenance=7)
    with pytest.raises(ValueError, match="next_obs"):
        w.append(obs, act, 0.0, False, st, next_obs=obs)
    assert w.num_steps == 1  # rejected steps are not recorded
    w.append(obs, act, 1.0, True, st, provenance=Provenance.POLICY)
    name = w.finish(success=True)
    with pytest.raises(RecordingError, match="finished"):
        w.append(obs, act, 0.0, False, st)
    with Dataset(rf.path) as ds:
        assert ds.episode(name).provenance.tolist() == [0, 1]
    empty = rf.begin_episode(source="human")
    with pytest.raises(RecordingError, match="no steps"):
        empty.finish(success=False)
    empty.discard()
    with pytest.raises(ValueError, match="source"):
        rf.begin_episode(source="alien")
    with pytest.raises(ValueError, match="num_samples"):
        rf.begin_episode(source="human", attrs={"num_samples": 3})
    with pytest.raises(ValueError, match="episode_id"):
        rf.set_attrs(name, episode_id="x")


def test_steps_reach_the_journal_within_the_flush_interval(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5", flush_interval=0.1)
    w = rf.begin_episode(source="human")
    ep = synth_episode(0, 0, length=30)
    record(w, ep, 0, 10)  # then the operator pauses: no more appends
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        _, arrays, n = read_sidecar(w.sidecar_path)
        if n == 10:
            break
        time.sleep(0.02)
    assert n == 10
    assert arrays["actions"].tobytes() == ep.actions[:10].tobytes()
    w.discard()


def test_edits_leave_other_demos_intact(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    eps = {}
    for k in range(4):
        name, eps[name] = _record(rf, k)
    rf.set_mask("train", ["demo_0", "demo_1", "demo_2"])
    rf.delete("demo_1")
    rf.rename("demo_2", "demo_20")
    rf.trim("demo_3", 5, 15)
    rf.set_attrs("demo_0", tags=["good", "fast"], notes="nice", success=False)
    name, eps[name] = _record(rf, 9)
    assert name == "demo_21"  # names are never reused
    with Dataset(rf.path) as ds:
        assert ds.demos == ["demo_0", "demo_3", "demo_20", "demo_21"]
        assert ds.mask("train") == ["demo_0", "demo_20"]
        assert ds.mask("human") == ["demo_0", "demo_3", "demo_20", "demo_21"]
        assert_same(ds.episode("demo_0"), eps["demo_0"])
        assert_same(ds.episode("demo_20"), eps["demo_2"])
        assert_same(ds.episode("demo_21"), eps["demo_21"])
        trimmed = ds.episode("demo_3")
        assert len(trimmed) == 10
        assert trimmed.states.tobytes() == eps["demo_3"].states[5:15].tobytes()
        info = ds.info("demo_0")
        assert (info.tags, info.notes, info.success) == (["good", "fast"], "nice", False)
        total = sum(ds.info(d).num_samples for d in ds.demos)
    with h5py.File(rf.path, "r") as f:
        assert f["data"].attrs["total"] == total
    size = os.path.getsize(rf.path)
    rf.compact()
    assert os.path.getsize(rf.path) < size  # the deleted demo's space is given back
    with Dataset(rf.path) as ds:
        assert_same(ds.episode("demo_0"), eps["demo_0"])
    with pytest.raises(KeyError):
        rf.delete("demo_1")
    with pytest.raises(KeyError):
        rf.set_mask("valid", ["nope"])


def test_read_only_mode_refuses_changes(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _record(RecordingFile(path), 0)
    rf = RecordingFile(path, mode="r")
    assert rf.demos == ["demo_0"]
    with pytest.raises(RecordingError, match="read-only"):
        rf.delete("demo_0")
    with pytest.raises(RecordingError):
        rf.begin_episode(source="human")
    with pytest.raises(RecordingError, match="no such file"):
        RecordingFile(tmp_path / "missing.h5", mode="r")


def test_failed_commit_keeps_steps_for_recover(tmp_path: Path, monkeypatch) -> None:
    """finish() that cannot write keeps the journal; recover() later commits it with its flag."""
    from recordings import journal

    rf = RecordingFile(tmp_path / "d.h5")
    _record(rf, 0)
    before = Path(rf.path).read_bytes()
    w = rf.begin_episode(source="human", device="gamepad")
    ep = synth_episode(0, 1)
    record(w, ep)

    def full_disk(*a):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal.os, "pwrite", full_disk)
    with pytest.raises(RecordingError, match="disk full"):
        w.finish(success=True, operator="ann")
    monkeypatch.undo()
    assert Path(rf.path).read_bytes() == before  # untouched
    assert rf.pending_recovery() == 1
    assert rf.recover() == ["demo_1"]
    with Dataset(rf.path) as ds:
        assert_same(ds.episode("demo_1"), ep)
        info = ds.info("demo_1")
        assert info.success is True and info.device == "gamepad"
        assert info.attrs["operator"] == "ann" and info.attrs["recovered"] is True


def test_image_observations_fit_the_layout(tmp_path: Path) -> None:
    """Cameras later go in as obs/<camera> uint8 (H, W, 3); nothing may stand in their way."""
    rf = RecordingFile(tmp_path / "d.h5")
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(6, 8, 10, 3), dtype=np.uint8)
    w = rf.begin_episode(source="human")
    for t in range(6):
        w.append({"ee_pos": np.full(2, t, float), "front": frames[t]}, np.zeros(2), 0.0,
                 t == 5, np.zeros(3))  # fmt: skip
    name = w.finish(success=True)
    with Dataset(rf.path) as ds:
        ep = ds.episode(name)
        assert ep.obs["front"].dtype == np.uint8 and np.array_equal(ep.obs["front"], frames)
        assert ds.fields(name)["obs/front"] == ((8, 10, 3), "uint8")
        t = ds.transitions()  # flat training vectors leave images out by default
        assert t.obs_keys == ["ee_pos"] and t.obs.shape == (6, 2)


PARTS = {"ee_pos": [0, 3], "goal": [3, 5], "joints": [5, 20]}  # synth_episode's keys
ARM = {"env_name": "Arm-v0", "type": 4, "env_kwargs": {}, "obs_parts": PARTS}
CAR = {"env_name": "Car-v0", "type": 4, "env_kwargs": {}, "obs_parts": {"car_pos": [0, 2]}}


def test_set_env_refuses_another_scene_once_the_file_has_demos(tmp_path: Path) -> None:
    path = tmp_path / "mix.h5"
    rf = RecordingFile(path)
    rf.set_env(CAR, "<car/>")
    rf.set_env(ARM, "<arm/>")  # no demos yet: the file can still change scene
    _record(rf, 0)
    before = path.read_bytes()
    rf.set_env(dict(ARM), "<arm/>")  # identical: a no-op, the file is not even rewritten
    assert path.read_bytes() == before
    with pytest.raises(RecordingError) as exc:
        rf.set_env(CAR, "<car/>")
    assert "mix.h5" in str(exc.value) and "Arm-v0" in str(exc.value)
    assert "Car-v0" in str(exc.value)
    assert path.read_bytes() == before
    # A second RecordingFile (e.g. another process) is refused the same way.
    with pytest.raises(RecordingError, match="Arm-v0"):
        RecordingFile(path).set_env(CAR, "<car/>")
    # The refused set_env did not switch the writer's model either.
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1))
    name = w.finish(success=True)
    with Dataset(path) as ds:
        assert ds.env_args["env_name"] == "Arm-v0" and ds.model_file(name) == "<arm/>"
    # Same scene, other arguments: replaced (the scene's options changed).
    rf.set_env({**ARM, "env_kwargs": {"speed": 2}}, "<arm/>")
    with Dataset(path) as ds:
        assert ds.env_args["env_kwargs"] == {"speed": 2}


@pytest.mark.parametrize(
    "bad", ["", "über", "demo/1", "demo\n1", "tab\tname", ".", " demo", "demo_0", "demo_1"]
)
def test_rename_refuses_bad_or_used_names_and_leaves_the_file_unchanged(
    tmp_path: Path, bad: str
) -> None:
    path = tmp_path / "d.h5"
    rf = RecordingFile(path)
    _record(rf, 0)
    _record(rf, 1)
    rf.set_mask("train", ["demo_0", "demo_1"])
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"name|exists"):
        rf.rename("demo_0", bad)
    assert path.read_bytes() == before
    with Dataset(path) as ds:
        assert ds.demos == ["demo_0", "demo_1"] and ds.mask("train") == ["demo_0", "demo_1"]
    rf.rename("demo_0", "good take #1")  # printable ASCII with spaces is fine
    with Dataset(path) as ds:
        assert ds.mask("train") == ["demo_1", "good take #1"]


def test_mask_names_are_checked_too(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    _record(rf, 0)
    for bad in ("", "trän", "a/b"):
        with pytest.raises(ValueError, match="mask name"):
            rf.set_mask(bad, ["demo_0"])
    assert set(rf.masks()) == {"human"}


def test_remove_recording_takes_the_sidecars_along(tmp_path: Path) -> None:
    from recordings import journal, remove_recording

    path = tmp_path / "d.h5"
    other = tmp_path / "d.h5x"  # a neighbour whose name starts the same: left alone
    other.write_text("keep")
    rf = RecordingFile(path)
    _record(rf, 0)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1), 0, 5)
    w.flush()
    with pytest.raises(RecordingError, match="being recorded"):
        remove_recording(path)  # a live writer holds its episode journal
    assert path.exists() and len(sidecar_paths(str(path))) == 1
    w.discard()
    # A crashed episode and an interrupted commit: both are sidecars of the file.
    crashed = f"{path}.rec-0123456789abcdef"
    Path(crashed).write_bytes(b"ISREC001")
    Path(journal.journal_path(str(path))).write_bytes(b"partial")
    Path(f"{path}.tmp-999").write_bytes(b"half-made")
    removed = remove_recording(path)
    assert sorted(removed) == sorted(
        [str(path), crashed, journal.journal_path(str(path)), f"{path}.tmp-999"]
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.h5x"]
    with pytest.raises(FileNotFoundError):
        remove_recording(path)
    assert remove_recording(path, missing_ok=True) == []
    RecordingFile(path)  # File > New on the same name starts clean
    with Dataset(path) as ds:
        assert ds.demos == []


def test_abandon_keeps_the_flushed_steps_for_recover(tmp_path: Path) -> None:
    """abandon() stops an open episode without deleting it (unlike discard)."""
    rf = RecordingFile(tmp_path / "d.h5")
    w = rf.begin_episode(source="human", device="keyboard")
    ep = synth_episode(0, 1)
    record(w, ep)
    w.flush()
    w.abandon()
    w.abandon()  # idempotent
    assert rf.demos == []
    assert rf.pending_recovery() == 1
    assert rf.recover() == ["demo_0"]
    with Dataset(rf.path) as ds:
        assert_same(ds.episode("demo_0"), ep)
    rf.close()
