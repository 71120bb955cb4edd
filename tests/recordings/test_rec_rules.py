"""Rules the recordings package applies for every writer: episode seeds, the done flag of a
demo's last step, and one scene per file (checked again when a demo is committed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rec_synth import record, synth_episode

from recordings import (
    Dataset,
    RecordingError,
    RecordingFile,
    SceneMismatchError,
    scene_of,
)

ARM = {"env_name": "ImitationStudio/ArmPush-v0", "type": 4, "env_kwargs": {}}
CAR = {"env_name": "ImitationStudio/CarObstacle-v0", "type": 4, "env_kwargs": {}}


def _never_done(seed: int, k: int, length: int = 30):
    ep = synth_episode(seed, k, length=length)
    ep.dones = np.zeros(length, bool)
    return ep


def test_begin_episode_stores_the_seed(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    for seed in (7, None, np.int64(2**40)):
        w = rf.begin_episode(source="scripted", seed=seed)
        record(w, synth_episode(0, 0, length=5))
        w.finish(success=True)
    with Dataset(rf.path) as ds:
        assert [ds.info(d).seed for d in ds.demos] == [7, None, 2**40]
        assert "seed" not in ds.info("demo_0").attrs  # a standard attribute, not a user one
    with pytest.raises(ValueError, match="seed"):
        rf.begin_episode(source="human", seed="3")
    with pytest.raises(ValueError, match="seed"):
        rf.begin_episode(source="human", seed=True)


def test_seed_given_as_an_attribute_reads_back_too(tmp_path: Path) -> None:
    # `collect` passed attrs={"seed": s} before begin_episode had a seed argument.
    rf = RecordingFile(tmp_path / "d.h5")
    w = rf.begin_episode(source="scripted", attrs={"seed": 11})
    record(w, synth_episode(0, 0, length=5))
    w.finish(success=True)
    with Dataset(rf.path) as ds:
        assert ds.info("demo_0").seed == 11


def test_finish_marks_the_last_step_done_and_keeps_the_others(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5", flush_interval=0.0)
    ep = _never_done(0, 0)
    ep.dones[10] = True  # a done in the middle (e.g. a relabel of a rollout) is kept as given
    w = rf.begin_episode(source="human")
    record(w, ep)  # flush_interval 0: the last step is in the journal before finish()
    name = w.finish(success=False)
    with Dataset(rf.path) as ds:
        dones = ds.episode(name).dones
    expected = ep.dones.astype(np.uint8)
    expected[-1] = 1
    assert dones.tolist() == expected.tolist()


def test_recovered_episode_ends_with_a_done_step(tmp_path: Path) -> None:
    rf = RecordingFile(tmp_path / "d.h5")
    ep = _never_done(0, 1)
    w = rf.begin_episode(source="human")
    record(w, ep, 0, 20)
    w.flush()
    w.abandon()  # as after a crash: the journal stays for recover()
    assert rf.recover() == ["demo_0"]
    with Dataset(rf.path) as ds:
        dones = ds.episode("demo_0").dones
    assert len(dones) == 20 and dones[-1] == 1 and not dones[:-1].any()


def test_scene_of_and_check_scene(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    assert scene_of(path) is None  # no file yet
    rf = RecordingFile(path)
    assert scene_of(path) is None  # a new, empty file
    rf.set_env(ARM, "<mujoco/>")
    assert scene_of(path) == ARM["env_name"]
    rf.check_scene(CAR)  # no demos yet: any scene may still go in
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 0, length=5))
    w.finish(success=True)
    rf.check_scene(ARM)
    with pytest.raises(RecordingError) as exc:
        rf.check_scene(CAR)
    message = str(exc.value)
    assert str(path) in message and ARM["env_name"] in message and CAR["env_name"] in message


def test_commit_refuses_a_demo_of_another_scene(tmp_path: Path) -> None:
    """Issue 8, failure 1: two writers of different scenes start on one new file (as two
    `collect` runs do); both set_env() calls pass because the file is empty. The first commit
    decides the file's scene; the second is refused, naming both scenes."""
    path = tmp_path / "d.h5"
    arm, car = RecordingFile(path), RecordingFile(path)
    arm.set_env(ARM, "<arm/>")
    car.set_env(CAR, "<car/>")  # replaces the stored env_args: the file is still empty
    w_arm = arm.begin_episode(source="scripted")
    w_car = car.begin_episode(source="scripted")
    record(w_arm, synth_episode(0, 0, length=5))
    record(w_car, synth_episode(0, 1, length=5))
    assert w_arm.finish(success=True) == "demo_0"
    with pytest.raises(SceneMismatchError) as exc:
        w_car.finish(success=True)
    message = str(exc.value)
    assert str(path) in message and ARM["env_name"] in message and CAR["env_name"] in message
    with Dataset(path) as ds:
        assert ds.demos == ["demo_0"]
        assert ds.env_args["env_name"] == ARM["env_name"]  # the committed demo's scene
    # The refused episode's journal is left alone by recover(): it cannot go into this file.
    assert arm.recover() == []
    assert scene_of(path) == ARM["env_name"]


def test_two_processes_of_different_scenes_cannot_mix_a_file(tmp_path: Path) -> None:
    """The same with two real processes: both open the new file and call set_env() before
    either commits (a barrier makes sure), then record five episodes each. Each demo's
    ``model_file`` names the process's scene, so a mixed file shows."""
    import subprocess
    import sys
    import textwrap

    path = tmp_path / "d.h5"
    script = textwrap.dedent(
        """
        import os, sys, time
        sys.path.insert(0, sys.argv[3])
        from rec_synth import record, synth_episode
        from recordings import RecordingError, RecordingFile
        path, scene = sys.argv[1], sys.argv[2]
        rf = RecordingFile(path)
        rf.set_env({"env_name": scene}, scene)
        open(f"{path}.ready-{scene}", "w").close()
        while len([n for n in os.listdir(os.path.dirname(path)) if ".ready-" in n]) < 2:
            time.sleep(0.01)
        saved = 0
        for k in range(5):
            w = rf.begin_episode(source="scripted")
            record(w, synth_episode(0, k, length=5))
            try:
                w.finish(success=True)
                saved += 1
            except RecordingError:
                w.discard()
        print(saved)
        """
    )
    here = str(Path(__file__).parent)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), scene, here],
            stdout=subprocess.PIPE,
            text=True,
        )
        for scene in ("SceneA-v0", "SceneB-v0")
    ]
    saved = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert sorted(saved) == [0, 5], saved  # the first commit decides; the other run is refused
    with Dataset(path) as ds:
        scene = ds.env_args["env_name"]
        assert len(ds.demos) == 5
        assert {ds.model_file(d) for d in ds.demos} == {scene}
    assert scene_of(path) == scene
