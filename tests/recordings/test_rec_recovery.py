"""What a person decides about recovered recordings: a crash's leftovers and an episode left
undecided at close are offered until kept or discarded, and a journal of another scene is
reported as stranded, never silently lost."""

from __future__ import annotations

from pathlib import Path

from rec_synth import record, synth_episode

from recordings import Dataset, RecordingFile

ARM = {"env_name": "ImitationStudio/ArmPush-v0", "type": 4, "env_kwargs": {}}
CAR = {"env_name": "ImitationStudio/CarObstacle-v0", "type": 4, "env_kwargs": {}}


def _suspended(path: Path, success: bool | None, length: int = 9) -> None:
    rf = RecordingFile(path)
    rf.set_env(ARM, "<mujoco/>")
    w = rf.begin_episode(source="human", seed=4)
    record(w, synth_episode(0, 1, length=length))  # no flush: suspend() must write every step
    w.suspend(success)
    rf.close()


def test_an_episode_left_undecided_keeps_its_steps_and_success(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _suspended(path, success=True)
    rf = RecordingFile(path)
    assert rf.pending_recovery() == 1 and rf.demos == []  # nothing decided, nothing kept
    [name] = rf.recover()
    with Dataset(path) as ds:
        info = ds.info(name)
        assert info.num_samples == 9 and info.success is True and info.seed == 4
        assert info.attrs.get("undecided") is True
        assert ds.episode(name).dones[-1] == 1


def test_success_unknown_at_suspend_stays_unknown(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _suspended(path, success=None)
    rf = RecordingFile(path)
    [name] = rf.recover()
    with Dataset(path) as ds:
        assert ds.info(name).success is None


def test_recovered_demos_await_a_decision_across_openings(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _suspended(path, success=False)
    _suspended(path, success=True)
    rf = RecordingFile(path)
    names = rf.recover()
    assert len(names) == 2 and rf.awaiting_decision() == names
    rf.close()
    again = RecordingFile(path)  # nobody answered: still asked at the next opening
    assert again.recover() == [] and again.awaiting_decision() == names
    again.decide(names[0], keep=True)
    again.rename(names[1], "maybe")
    assert again.awaiting_decision() == ["maybe"]
    again.decide("maybe", keep=False)
    assert again.awaiting_decision() == [] and again.demos == [names[0]]


def test_a_deleted_recovered_demo_is_no_longer_awaited(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    _suspended(path, success=True)
    rf = RecordingFile(path)
    [name] = rf.recover()
    rf.delete(name)
    assert rf.awaiting_decision() == []


def test_a_journal_of_another_scene_is_reported_as_stranded(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    arm = RecordingFile(path)
    arm.set_env(ARM, "<mujoco/>")
    w = arm.begin_episode(source="human")  # started while the file was empty
    record(w, synth_episode(0, 2, length=6))
    w.flush()
    car = RecordingFile(path)  # another process records the car first
    car.set_env(CAR, "<mujoco/>")
    wc = car.begin_episode(source="human")
    record(wc, synth_episode(0, 3, length=5))
    wc.finish(success=True)
    w.abandon()  # the arm episode's commit would be refused
    rf = RecordingFile(path)
    assert rf.recover() == []  # it cannot go in...
    [stranded] = rf.stranded()  # ...and is said to be there, not counted as recoverable
    assert stranded["env_name"] == ARM["env_name"] and stranded["steps"] == 6
    assert Path(stranded["path"]).exists()
    assert rf.pending_recovery() == 0


def test_inspect_tells_what_awaits_a_decision_and_what_is_stranded(tmp_path, capsys) -> None:
    from studio.cli import main

    path = tmp_path / "d.h5"
    _suspended(path, success=True)
    RecordingFile(path).recover()
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Recovered, awaiting keep or discard: demo_0" in out
    assert main(["inspect", str(path), "--json"]) == 0
    assert '"awaiting_decision": [' in capsys.readouterr().out
