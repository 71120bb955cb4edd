"""DAgger in the window (issue 12): take over from a policy, relabel its rollout in slow
motion, and see where to relabel. Keys are pressed as a person would.

One tiny BC policy (trained once per module with the CLI on four scripted arm demos) drives.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from algorithms.dagger import aggregate
from algorithms.uncertainty import discriminator_scores, flag_threshold, flagged_stretches
from recordings import Dataset, Provenance
from studio.app.modes import Mode
from studio.cli import main as cli
from studio.envs import ARM_PUSH

pytestmark = pytest.mark.gui


@pytest.fixture(scope="module")
def arm_policy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Four scripted arm demos and a tiny BC checkpoint trained on them."""
    root = tmp_path_factory.mktemp("dagger")
    demos = root / "demos.h5"
    argv = ["collect", "--env", ARM_PUSH, "--episodes", "4", "--out", str(demos), "--no-progress"]
    assert cli(argv) == 0
    argv = ["train", "--data", str(demos), "--steps", "40", "--runs-dir", str(root / "runs")]
    argv += ["--name", "bc", "--set", "hidden_sizes=16,16", "--no-progress", "--threads", "1"]
    assert cli(argv) == 0
    return demos, root / "runs" / "bc" / "checkpoint.pt"


@pytest.fixture
def window(make_window, tmp_path: Path, arm_policy, qtbot):
    demos, checkpoint = arm_policy
    path = tmp_path / "demos.h5"
    shutil.copy(demos, path)
    w = make_window(recordings=path)
    assert w.drive_policy(checkpoint)
    assert w.mode is Mode.POLICY
    return w


def _record_policy_episode(window, drive, seconds: float, *, take_over=None) -> str:
    """Space records the policy, (optionally) a held key takes over, Space stops, Enter keeps."""
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)
    assert window.mode is Mode.RECORDING and window.controller.policy_drives
    if take_over is not None:
        take_over()
    else:
        drive.wait(seconds)
    if window.mode is Mode.RECORDING:
        drive.tap(vp, Qt.Key.Key_Space)
    assert window.mode is Mode.PENDING
    drive.tap(vp, Qt.Key.Key_Return)
    assert window.mode is Mode.POLICY
    return window.recorder.last_saved


def test_holding_a_key_takes_over_and_the_file_says_who_drove(window, drive, tmp_path):
    vp = window.viewport

    def take_over() -> None:
        drive.wait(0.4)  # the policy drives
        drive.hold(vp, Qt.Key.Key_Left, 0.6)  # the person holds the wheel, then lets go
        assert window.policy_driver.person_drove
        assert window.viewport.banner().startswith("You have the wheel")
        drive.wait(0.4)  # handed back at the next control step
        assert not window.policy_driver.person_drove

    name = _record_policy_episode(window, drive, 0, take_over=take_over)
    with Dataset(tmp_path / "demos.h5") as ds:
        ep = ds.episode(name)
    assert ds.info(name).source == "policy"
    human = ep.provenance == Provenance.HUMAN
    policy = ep.provenance == Provenance.POLICY
    assert human.sum() >= 4 and policy.sum() >= 4
    first, last = np.flatnonzero(human)[[0, -1]]
    assert policy[:first].all() and policy[last + 1 :].all()  # policy, person, policy again
    # The person pushed left; the policy's would-be action is stored for every step.
    assert (ep.actions[human, 0] < 0).all()
    assert ep.policy_actions is not None and np.isfinite(ep.policy_actions).all()
    np.testing.assert_allclose(ep.policy_actions[policy], ep.actions[policy], atol=1e-6)
    assert np.abs(ep.policy_actions[human] - ep.actions[human]).max() > 0.05
    # HUMAN steps are training data for the next DAgger round; the policy's own are not.
    data = aggregate(tmp_path / "demos.h5", ["puck_rel", "goal_rel"])
    assert name in data.demo_names
    assert (data.episode_index == data.demo_names.index(name)).sum() == human.sum()
    # Played back, the timeline's strip shows who drove and the gap.
    drive.tap(vp, Qt.Key.Key_Escape)
    assert window.play_demo(name)
    np.testing.assert_array_equal(window.timeline.strip_band("person drove"), human)
    assert window.timeline.strip_curve() is not None


def test_relabel_at_quarter_speed_scrub_back_redo_and_train_on_the_labels(window, drive, tmp_path):
    vp = window.viewport
    rollout = _record_policy_episode(window, drive, 2.0)
    drive.tap(vp, Qt.Key.Key_Escape)  # the person has the wheel; the policy stays loaded
    assert window.play_demo(rollout)
    window.set_speed(0.25)
    drive.tap(vp, Qt.Key.Key_L)
    assert window.mode is Mode.RELABEL
    assert "Relabelling" in window.viewport.title()
    # Play at 0.25x holding Right: the frames passed get a "right" label.
    drive.tap(vp, Qt.Key.Key_Space)
    assert window.playback.playing
    drive.hold(vp, Qt.Key.Key_Right, 1.6)
    drive.tap(vp, Qt.Key.Key_Space)
    assert not window.playback.playing
    labels = window.relabel.labels
    done = np.flatnonzero(np.isfinite(labels).all(axis=1))
    assert 4 <= len(done) <= 14  # ~1.6 s at 0.25x of a 20 Hz rollout: ~8 frames, not 32
    assert labels[done[-1], 0] > 0.5
    assert np.array_equal(window.timeline.strip_band("labelled"), np.isfinite(labels).all(1))
    # Scrub back one second and redo the stretch pushing left instead.
    end = window.playback.index
    drive.tap(vp, Qt.Key.Key_Comma)
    start = window.playback.index
    assert start == max(end - 20, 0)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.hold(vp, Qt.Key.Key_Left, 1.6)
    drive.tap(vp, Qt.Key.Key_Space)
    redone = np.flatnonzero(np.isfinite(labels).all(axis=1) & (labels[:, 0] < -0.5))
    assert len(redone) >= 4 and redone[0] == start
    # Enter saves a relabel demo linked to the rollout; back in playback of it.
    expected = window.relabel.labels.copy()
    drive.tap(vp, Qt.Key.Key_Return)
    assert window.mode is Mode.PLAYBACK
    saved = window.playback.name
    assert saved != rollout
    with Dataset(tmp_path / "demos.h5") as ds:
        info, ep, parent = ds.info(saved), ds.episode(saved), ds.episode(rollout)
    assert info.source == "relabel" and info.parent == rollout
    np.testing.assert_array_equal(ep.actions, parent.actions)  # executed actions untouched
    np.testing.assert_array_equal(ep.states, parent.states)
    np.testing.assert_allclose(ep.labels, expected.astype(np.float32), equal_nan=True)
    # The next training run uses exactly the labelled steps of the relabel demo.
    data = aggregate(tmp_path / "demos.h5", ["puck_rel", "goal_rel"])
    rows = data.episode_index == data.demo_names.index(saved)
    labelled = np.isfinite(ep.labels).all(axis=1)
    assert rows.sum() == labelled.sum() and data.lineage["labelled_steps"] >= labelled.sum()
    np.testing.assert_allclose(data.actions[rows], ep.labels[labelled], atol=1e-6)
    assert rollout not in data.demo_names  # the policy's own steps are never targets
    # L on the relabel demo continues its labels; saving replaces it (one set per rollout).
    drive.tap(vp, Qt.Key.Key_L)
    assert window.mode is Mode.RELABEL and window.relabel.parent_name == rollout
    assert np.array_equal(window.relabel.labelled, labelled)
    later = int(np.flatnonzero(labelled)[-1]) + 3
    window.playback.seek(later)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.hold(vp, Qt.Key.Key_Up, 0.8)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.tap(vp, Qt.Key.Key_Return)
    again = window.playback.name
    assert f"replaces {saved}" in window.statusBar().currentMessage()
    with Dataset(tmp_path / "demos.h5") as ds:
        assert saved not in ds.demos
        relabels = [n for n in ds.demos if ds.info(n).source == "relabel"]
        assert relabels == [again] and ds.info(again).parent == rollout
        both = ds.episode(again).labels
    np.testing.assert_array_equal(both[labelled], ep.labels[labelled])  # the earlier ones kept
    assert (both[later:, 1] > 0.5).sum() >= 2  # and the new stretch, pushing away


def test_reaction_offset_moves_labels_earlier_and_says_so(window, drive, tmp_path):
    vp = window.viewport
    rollout = _record_policy_episode(window, drive, 1.0)
    drive.tap(vp, Qt.Key.Key_Escape)
    assert window.play_demo(rollout)
    drive.tap(vp, Qt.Key.Key_L)
    # Another demo cannot replace the rollout while its labels are unsaved.
    assert not window.play_demo("demo_0")
    assert window.mode is Mode.RELABEL and window.playback.name == rollout
    assert "Save the labels" in window.statusBar().currentMessage()
    for _ in range(5):
        drive.tap(vp, Qt.Key.Key_Equal)
    # At 1x a 0.25 s reaction is 5 frames of the rollout; at 0.25x only 1.
    assert window.relabel.offset == pytest.approx(0.25) and window.relabel.offset_frames() == 5
    assert "5 frames earlier" in window.statusBar().currentMessage()
    window.set_speed(0.25)
    assert window.relabel.offset_frames() == 1
    window.set_speed(1.0)
    window.playback.seek(8)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.hold(vp, Qt.Key.Key_Up, 0.5)
    drive.tap(vp, Qt.Key.Key_Space)
    given = np.flatnonzero(np.isfinite(window.relabel.labels).all(axis=1))
    assert given[0] == 8 - 5  # the first label goes to the frame shown 0.25 s before
    drive.tap(vp, Qt.Key.Key_Return)
    assert "0.25 s (reaction time) earlier" in window.statusBar().currentMessage()
    with Dataset(tmp_path / "demos.h5") as ds:
        saved = ds.episode(window.playback.name)
        assert ds.info(window.playback.name).attrs["label_offset_s"] == pytest.approx(0.25)
    assert np.array_equal(np.flatnonzero(np.isfinite(saved.labels).all(axis=1)), given)


def test_uncertainty_strip_is_drawn_and_next_flagged_lands_on_the_highest_stretch(window, drive):
    vp = window.viewport
    rollout = _record_policy_episode(window, drive, 2.0)
    drive.tap(vp, Qt.Key.Key_Escape)
    assert window.play_demo(rollout)  # the policy that drove it is still loaded
    curve = window.timeline.strip_curve()
    assert curve is not None and len(curve) == window.playback.length
    assert np.isfinite(curve).all() and curve.max() > curve.min()
    assert window.timeline._strip.isVisible()
    stretches = flagged_stretches(curve, flag_threshold(curve))
    highest = max(stretches, key=lambda s: s[2])
    drive.tap(vp, Qt.Key.Key_F)
    assert window.playback.index == highest[0]
    assert curve[highest[0] : highest[1]].max() == curve.max()
    # In relabel mode, once that stretch is labelled, F goes to the next highest one.
    drive.tap(vp, Qt.Key.Key_L)
    window.relabel.labels[highest[0] : highest[1]] = 0.0
    drive.tap(vp, Qt.Key.Key_F)
    if len(stretches) > 1:
        assert window.playback.index == stretches[1][0]


def test_relabel_refuses_a_human_demo(make_window, tmp_path, arm_policy):
    demos, _ = arm_policy
    shutil.copy(demos, tmp_path / "demos.h5")
    w = make_window(recordings=tmp_path / "demos.h5")
    assert w.play_demo("demo_0")
    w.run_command("relabel")
    assert w.mode is Mode.PLAYBACK
    assert "policy's rollout" in w.statusBar().currentMessage()


def test_a_dagger_round_with_the_scripted_expert_runs_from_the_panel(
    make_window, tmp_path, arm_policy, qtbot
):
    demos, _ = arm_policy
    shutil.copy(demos, tmp_path / "demos.h5")
    w = make_window(recordings=tmp_path / "demos.h5")
    panel = w.docks.dagger_panel
    panel.rounds_spin.setValue(1)
    panel.episodes_spin.setValue(2)
    panel.steps_spin.setValue(30)
    panel.eval_spin.setValue(2)
    panel.beta_spin.setValue(0.0)  # the policy drives every rollout step
    assert panel.points() == []
    with qtbot.waitSignal(panel.finished, timeout=120_000) as finished:
        qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
        assert panel.running and not panel.start_button.isEnabled()
    assert finished.args[0] == "done", finished.args[1]
    # Round 0 (BC on the demos) and round 1 (after 2 labelled rollouts): two points.
    points = panel.points()
    assert len(points) == 2 and points[0][0] == 0 and points[1][0] > 0
    assert all(0 <= y <= 1 for _x, y in points)
    # BC beside it, for the same number of expert labels: from the same first point.
    bc = panel.points("bc")
    assert len(bc) == 2 and bc[0] == points[0] and bc[1][0] >= points[1][0]
    assert "Round 1/1" in panel.status_label.text() or "done" in panel.status_label.text()
    with Dataset(tmp_path / "demos.h5") as ds:
        rollouts = [n for n in ds.demos if ds.info(n).source == "policy"]
        assert len(rollouts) == 2
        assert int(np.isfinite(ds.episode(rollouts[0]).labels).all(1).sum()) > 0
        assert (ds.episode(rollouts[0]).provenance == Provenance.POLICY).all()  # beta 0
    # The Demos panel lists the rollouts the rounds appended.
    assert set(rollouts) <= {r.name for r in w.session.rows()}


def test_the_policy_asks_for_help_when_unsure_and_the_person_takes_over(window, drive):
    vp = window.viewport
    helper = window.learning.help
    helper.rate, helper.warmup = 0.3, 5  # ask often, so a short test sees it
    drive.tap(vp, Qt.Key.Key_H)
    assert helper.enabled
    drive.qtbot.waitUntil(lambda: window.scene.paused, timeout=10_000)
    assert helper.asked >= 1
    assert "asks for help" in vp.banner()
    assert helper.recent[-1] > np.quantile(list(helper.recent)[:-1], 0.5)
    # The person holds a key and resumes: they drive until they let go.
    drive.qtbot.keyPress(vp, Qt.Key.Key_Right)
    drive.tap(vp, Qt.Key.Key_P)
    assert not window.scene.paused
    drive.wait(0.3)
    assert window.policy_driver.person_drove
    drive.qtbot.keyRelease(vp, Qt.Key.Key_Right)
    drive.tap(vp, Qt.Key.Key_H)
    assert not helper.enabled


def test_a_gail_policy_shows_one_minus_d_of_each_frame(make_window, tmp_path, arm_policy):
    demos, _ = arm_policy
    argv = ["train", "--algo", "gail", "--data", str(demos), "--runs-dir", str(tmp_path)]
    argv += ["--name", "gail", "--no-progress", "--threads", "1"]
    for value in ("total_env_steps=256", "num_envs=1", "rollout_steps=128", "warm_start=20"):
        argv += ["--set", value]
    argv += ["--set", "hidden_sizes=16,16", "--set", "eval_every=0", "--set", "eval_episodes=1"]
    assert cli(argv) == 0
    shutil.copy(demos, tmp_path / "demos.h5")
    w = make_window(recordings=tmp_path / "demos.h5")
    assert w.load_policy(tmp_path / "gail" / "checkpoint.pt")
    assert w.play_demo("demo_1")
    curve = w.timeline.strip_curve()
    assert curve is not None and "D(s,a)" in w.relabel.curve_name
    policy, ep = w.policy_driver.policy, w.playback.episode
    obs = np.concatenate([ep.obs[k] for k in policy.obs_keys], -1)
    nxt = np.concatenate([ep.next_obs[k] for k in policy.obs_keys], -1)
    d = discriminator_scores(policy, obs, ep.actions, nxt)
    assert d is not None and ((d > 0) & (d < 1)).all()
    np.testing.assert_allclose(curve, 1.0 - d)


def test_calibration_measures_the_reaction_time_and_sets_the_offset(window, drive):
    vp = window.viewport
    rollout = _record_policy_episode(window, drive, 0.5)
    drive.tap(vp, Qt.Key.Key_Escape)
    assert window.play_demo(rollout)
    drive.tap(vp, Qt.Key.Key_L)
    calib = window.relabel.calibration
    calib.delay_range = (0.1, 0.2)
    drive.tap(vp, Qt.Key.Key_T)
    assert calib.running and "turns green" in vp.banner()
    # First trial: a press before green is too early and does not count.
    drive.qtbot.waitUntil(lambda: calib.state == "wait", timeout=2_000)
    drive.hold(vp, Qt.Key.Key_Right, 0.02)
    drive.qtbot.waitUntil(lambda: "Too early" in vp.banner(), timeout=2_000)
    for _ in range(3):
        drive.qtbot.waitUntil(lambda: calib.state == "go", timeout=3_000)
        assert vp.banner() == "Now!"
        drive.wait(0.15)  # the person's reaction
        drive.hold(vp, Qt.Key.Key_Right, 0.03)
    assert not calib.running and len(calib.times) == 3
    assert all(0.14 <= t < 0.6 for t in calib.times)
    assert window.relabel.offset == pytest.approx(float(np.median(calib.times)), abs=0.001)
    assert "Reaction time" in window.statusBar().currentMessage()
    assert window.mode is Mode.RELABEL and not window.relabel.labelled.any()


def test_the_dagger_dock_passes_the_take_over_gate(make_window, tmp_path):
    w = make_window(recordings=tmp_path / "demos.h5")
    panel = w.docks.dagger_panel
    args = panel.arguments(tmp_path / "demos.h5")
    assert "--gate" not in args and args[args.index("--beta") + 1] == "1"
    panel.gate_spin.setValue(0.45)
    args = panel.arguments(tmp_path / "demos.h5")
    assert args[args.index("--gate") + 1] == "0.45"
    assert args[args.index("--beta") + 1] == "0"  # the policy drives until the gate trips
    panel.beta_spin.setValue(0.5)  # a person may still mix on top
    panel.gate_spin.setValue(0.6)
    assert panel.arguments(tmp_path / "demos.h5")[args.index("--beta") + 1] == "0.5"
    panel.expert.setCurrentIndex(panel.expert.findData("file"))
    assert "--gate" not in panel.arguments(tmp_path / "demos.h5")  # no expert to take over
    assert not panel.gate_spin.isEnabled()


def test_the_dagger_dock_passes_the_noise_on_the_experts_steps(make_window, tmp_path, qtbot):
    w = make_window(recordings=tmp_path / "demos.h5")
    panel = w.docks.dagger_panel
    assert "--expert-noise" not in panel.arguments(tmp_path / "demos.h5")  # off by default
    edit = panel.noise_spin.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "0.4")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    args = panel.arguments(tmp_path / "demos.h5")
    assert args[args.index("--expert-noise") + 1] == "0.4"
    panel.expert.setCurrentIndex(panel.expert.findData("file"))
    assert "--expert-noise" not in panel.arguments(tmp_path / "demos.h5")  # nobody executes
    assert not panel.noise_spin.isEnabled()


def test_a_person_labels_between_dagger_rounds(make_window, tmp_path, arm_policy, qtbot):
    demos, _ = arm_policy
    shutil.copy(demos, tmp_path / "demos.h5")
    w = make_window(recordings=tmp_path / "demos.h5")
    panel = w.docks.dagger_panel
    panel.expert.setCurrentIndex(panel.expert.findData("file"))
    panel.rounds_spin.setValue(5)  # a person's rounds go one per Start
    panel.episodes_spin.setValue(1)
    panel.steps_spin.setValue(30)
    panel.eval_spin.setValue(1)
    assert "--rounds" in (args := panel.arguments(tmp_path / "demos.h5"))
    assert args[args.index("--rounds") + 1] == "1"
    with qtbot.waitSignal(panel.finished, timeout=120_000) as finished:
        panel.start()
    assert finished.args[0] == "done" and "L to relabel" in finished.args[1]
    assert len(panel.points()) == 2
    with Dataset(tmp_path / "demos.h5") as ds:
        rollouts = [n for n in ds.demos if ds.info(n).source == "policy"]
        assert len(rollouts) == 1 and ds.episode(rollouts[0]).labels is None
    # The person relabels the rollout, then the next Start adds its points to the chart.
    assert w.play_demo(rollouts[0])
    w.run_command("relabel")
    w.relabel.labels[:5] = 0.5
    assert w.run_command("save_labels")
    with qtbot.waitSignal(panel.finished, timeout=120_000):
        panel.start()
    points = panel.points()
    assert len(points) == 4 and points[2][0] == points[0][0] + 5


def test_the_dagger_dock_passes_the_beta_decay_parts_and_more_bc_settings(
    make_window, tmp_path, qtbot
):
    w = make_window(recordings=tmp_path / "demos.h5")
    panel = w.docks.dagger_panel
    args = panel.arguments(tmp_path / "demos.h5")
    assert args[args.index("--beta-decay") + 1] == "0.5"  # the paper's halving by default

    def type_into(edit, text: str) -> None:
        edit.selectAll()
        qtbot.keyClicks(edit, text)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    type_into(panel.decay_spin.lineEdit(), "0")  # the expert drives round 1 only
    type_into(panel.bc_sets, "activation=gelu  hidden_sizes=512,512")
    args = panel.arguments(tmp_path / "demos.h5")
    assert args[args.index("--beta-decay") + 1] == "0"
    sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
    assert sets[-2:] == ["activation=gelu", "hidden_sizes=512,512"]
    assert "--obs-keys" not in args  # the scene's default parts
    panel.parts.setCurrentIndex(panel.parts.findData("all"))  # the causal-confusion lesson
    args = panel.arguments(tmp_path / "demos.h5")
    assert args[args.index("--obs-keys") + 1] == "all"

    type_into(panel.bc_sets, "activaton=gelu")  # a typo: said, and nothing starts
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.running
    assert "More BC settings: bc has no setting 'activaton'" in panel.status_label.text()
    type_into(panel.bc_sets, "gelu")
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert not panel.running and "'gelu' is not KEY=VALUE" in panel.status_label.text()
