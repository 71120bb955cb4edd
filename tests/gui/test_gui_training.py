"""Train from the window, watch the curves, let the policy drive, evaluate it (issue 11).

Tiny budgets throughout: a few arm demos from the scripted expert, BC with 16x16 layers and
tens of steps, GAIL with a few hundred env steps.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from recordings import Dataset
from studio.app.modes import Mode
from studio.cli import main as cli
from studio.envs import ARM_PUSH

pytestmark = pytest.mark.gui

BC_TINY = {"steps": "60", "hidden_sizes": "16,16", "log_every": "10", "batch_size": "64"}


@pytest.fixture(scope="module")
def arm_demos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four scripted arm demos, recorded once for the module."""
    out = tmp_path_factory.mktemp("arm") / "demos.h5"
    argv = ["collect", "--env", ARM_PUSH, "--episodes", "4", "--out", str(out), "--no-progress"]
    assert cli(argv) == 0
    return out


@pytest.fixture
def window(make_window, tmp_path: Path, arm_demos: Path, qtbot):
    """The window on a copy of the demos, with torch loaded and the Train panel filled."""
    path = tmp_path / "demos.h5"
    shutil.copy(arm_demos, path)
    w = make_window(recordings=path)
    qtbot.waitUntil(lambda: w.train_panel.ready, timeout=60_000)
    return w


def _configure(panel, algo: str, values: dict[str, str]) -> None:
    panel.algo_combo.setCurrentText(algo)
    for key, value in values.items():
        panel.form.set_value(key, value)


def _train(window, qtbot, algo: str, values: dict[str, str], timeout: int = 60_000) -> dict:
    panel = window.train_panel
    _configure(panel, algo, values)
    assert panel.start_button.isEnabled(), panel.status_label.text()
    with qtbot.waitSignal(window.training.run_finished, timeout=timeout) as finished:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    status, message = finished.args
    return {"status": status, "message": message}


def test_bc_run_from_the_panel_draws_curves_and_ends_with_a_checkpoint(window, qtbot, tmp_path):
    panel = window.train_panel
    assert "bc" in [panel.algo_combo.itemText(i) for i in range(panel.algo_combo.count())]
    assert "trains on" in panel.device_label.text()
    end = _train(window, qtbot, "bc", BC_TINY)
    assert end["status"] == "done", end["message"]
    panel.plot.refresh()
    assert panel.plot.points("loss") == 6  # 60 steps, a point every 10
    assert panel.plot.points("val_loss") == 6
    run_dir = Path(window.training.request.run_dir)
    assert run_dir.parent == tmp_path / "runs"
    assert (run_dir / "checkpoint.pt").is_file()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["algorithm"] == "bc" and config["config"]["steps"] == 60
    assert config["obs_keys"] == ["puck_rel", "goal_rel"]  # the scene default
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 6 and json.loads(lines[-1])["step"] == 60
    rows = panel.run_rows()
    assert [r.name for r in rows] == [run_dir.name] and rows[0].status == "done"
    assert panel.progress.value() == 1000
    csv = panel.export("csv", tmp_path / "curves.csv").read_text().splitlines()
    assert csv[0].startswith("step,loss,val_loss") and len(csv) == 7
    assert panel.export("png", tmp_path / "curves.png").stat().st_size > 1000


def test_settings_form_validates_beside_the_field(window):
    panel = window.train_panel
    panel.algo_combo.setCurrentText("bc")
    panel.form.set_value("steps", "0")
    assert "steps must be >= 1" in panel.form.error("steps")
    assert not panel.start_button.isEnabled()
    panel.form.set_value("steps", "100")
    assert panel.form.error("steps") == "" and panel.start_button.isEnabled()
    tip = panel.form.editor("lr_schedule").toolTip()
    assert "learning-rate schedule" in tip


def test_stop_midway_keeps_a_checkpoint_and_runs_list_survives_reopening(window, qtbot, tmp_path):
    panel = window.train_panel
    _configure(panel, "bc", {**BC_TINY, "steps": "200000", "log_every": "20"})
    with qtbot.waitSignal(window.training.run_finished, timeout=60_000) as finished:
        panel.start()
        qtbot.waitUntil(lambda: panel.plot.values("loss").size >= 2, timeout=30_000)
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert finished.args[0] == "stopped"
    run = panel.run_rows()[0]
    assert run.status == "stopped" and run.checkpoint is not None and run.step < 200000
    # Reopening the file lists the run again.
    window.open_recordings(tmp_path / "other.h5")
    assert panel.run_rows() == []
    window.open_recordings(tmp_path / "demos.h5")
    assert [r.name for r in panel.run_rows()] == [run.name]


def test_training_error_shows_a_message_and_the_studio_lives_on(window, qtbot, tmp_path, drive):
    panel = window.train_panel
    before = Dataset(tmp_path / "demos.h5").__enter__()
    demos_before = list(before.demos)
    before.close()
    # A part the scene does not have: the data cannot be built; no run folder is left.
    panel.parts_edit.setText("no_such_part")
    end = _train(window, qtbot, "bc", BC_TINY)
    assert end["status"] == "failed" and "no_such_part" in end["message"]
    assert "no_such_part" in window.last_warning
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    # A NaN: the loss diverges, the weights roll back and the doctor says what happened.
    panel.parts_edit.setText("")
    end = _train(window, qtbot, "bc", {**BC_TINY, "lr": "1e30", "normalize": False})
    assert end["status"] == "diverged" and "rolled back" in end["message"]
    assert "nan" in panel.doctor_hints()
    # The studio still drives, and nothing recorded changed.
    x0 = drive.fingertip(window)
    drive.hold(window.viewport, Qt.Key.Key_Right, 0.4)
    assert drive.fingertip(window)[0] > x0[0] + 0.005
    with Dataset(tmp_path / "demos.h5") as ds:
        assert list(ds.demos) == demos_before


def test_policy_drives_records_policy_episodes_and_is_evaluated(window, qtbot, tmp_path, drive):
    end = _train(window, qtbot, "bc", BC_TINY)
    assert end["status"] == "done"
    checkpoint = window.train_panel.run_rows()[0].checkpoint
    # Drive with it: double-click the run.
    window.train_panel.runs_table.selectRow(0)
    qtbot.mouseClick(window.train_panel.drive_button, Qt.MouseButton.LeftButton)
    assert window.mode is Mode.POLICY
    steps = window.scene.steps_taken
    # The policy drives at the control rate: wait for it, not for a fixed time (a busy CI
    # machine may lag).
    qtbot.waitUntil(lambda: window.scene.steps_taken > steps + 3, timeout=10_000)
    assert window.viewport.action_values() is not None
    # The overlay shows a step's action with the frame that draws it: wait for that frame.
    qtbot.waitUntil(
        lambda: np.allclose(window.viewport.action_values(), window.policy_driver.last_action),
        timeout=5_000,
    )
    assert "Policy driving" in window.viewport.title()
    # Pause and reset work while the policy drives.
    drive.tap(window.viewport, Qt.Key.Key_P)
    assert window.scene.paused
    frozen = window.scene.steps_taken
    drive.wait(0.3)
    assert window.scene.steps_taken == frozen
    drive.tap(window.viewport, Qt.Key.Key_P)
    # Record a policy episode: Space records, Space stops, Enter keeps; back to the policy.
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING and window.controller.policy_drives
    drive.wait(0.5)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    if window.mode is Mode.PENDING:
        drive.tap(window.viewport, Qt.Key.Key_Return)
    assert window.mode is Mode.POLICY
    with Dataset(tmp_path / "demos.h5") as ds:
        policy_demos = [n for n in ds.demos if ds.info(n).source == "policy"]
        assert len(policy_demos) == 1
        ep = ds.episode(policy_demos[0])
        assert len(ep.actions) >= 3
    # Esc hands the wheel back.
    drive.tap(window.viewport, Qt.Key.Key_Escape)
    assert window.mode is Mode.LIVE

    # Evaluate it, and compare it with itself on the same seeds, the expert beside them.
    panel = window.eval_panel
    panel.episodes.setValue(2)
    panel.set_checkpoint(checkpoint)
    panel.second.setText(str(checkpoint))
    with qtbot.waitSignal(window.evaluation.evaluated, timeout=60_000):
        assert panel.start()
    cols = panel.columns()
    assert len(cols) == 3 and cols[-1] == "scripted expert"
    assert panel.cell("success", 2) == "100%"
    assert panel.cell("return (mean)", 0) == panel.cell("return (mean)", 1)
    assert "1000–1001" in panel.status.text()


def test_keep_driving_and_recording_while_a_run_trains(window, qtbot, tmp_path, drive):
    panel = window.train_panel
    _configure(panel, "bc", {**BC_TINY, "steps": "200000", "log_every": "50"})
    assert panel.start()
    qtbot.waitUntil(lambda: panel.plot.values("loss").size >= 1, timeout=30_000)
    drive.tap(window.viewport, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING
    x0 = drive.fingertip(window)
    drive.hold(window.viewport, Qt.Key.Key_Right, 0.6)
    assert drive.fingertip(window)[0] > x0[0] + 0.01
    drive.tap(window.viewport, Qt.Key.Key_Space)
    drive.tap(window.viewport, Qt.Key.Key_Return)
    assert window.training.running  # still training
    with qtbot.waitSignal(window.training.run_finished, timeout=30_000):
        panel.stop()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert [ds.info(n).source for n in ds.demos].count("human") == 1


def test_gail_run_draws_the_discriminator_curves(window, qtbot):
    gail = {
        "total_env_steps": "256",
        "num_envs": "2",
        "rollout_steps": "64",
        "warm_start": "10",
        "hidden_sizes": "16,16",
        "disc_hidden_sizes": "16,16",
        "ppo_epochs": "1",
        "minibatch_size": "64",
        "disc_batch_size": "64",
        "eval_episodes": "1",
        "eval_every": "0",
    }
    end = _train(window, qtbot, "gail", gail, timeout=120_000)
    assert end["status"] == "done", end["message"]
    plot = window.train_panel.plot
    plot.refresh()
    for key in ("disc_loss", "disc_acc_expert", "disc_acc_policy", "d_expert", "d_policy"):
        assert plot.points(key) == 2, key  # two rounds of 2 x 64 env steps
    assert plot.points("eval_return") == 1
