"""What a person found wrong in the studio (issue 9), one test each; bug 1 and 7 are in
test_gui_recording.py (keep/discard only by choice; 1× at every launch)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from recordings import Dataset, RecordingFile
from studio.app.modes import Mode
from studio.envs import ARM_PUSH, CAR_OBSTACLE, make_env
from studio.envs.rendering import FrameRenderer
from widgets.dataset_panel import DemoRow

pytestmark = pytest.mark.gui


def _record(window, drive, seconds: float = 0.6) -> str:
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)
    drive.hold(vp, Qt.Key.Key_Right, seconds)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.tap(vp, Qt.Key.Key_Return)
    return window.recorder.last_saved


def test_brackets_change_the_playback_speed_too(make_window, drive):
    """Bug 2: one speed, acting on whatever is playing."""
    window = make_window()
    window.play_demo(_record(window, drive))
    assert window.mode is Mode.PLAYBACK and window.playback.speed == pytest.approx(1.0)
    drive.tap(window.viewport, Qt.Key.Key_BracketLeft)
    drive.tap(window.viewport, Qt.Key.Key_BracketLeft)
    assert window.playback.speed == pytest.approx(0.25)
    assert window.toolbar.speed() == pytest.approx(0.25)
    drive.tap(window.viewport, Qt.Key.Key_BracketRight)
    assert window.playback.speed == pytest.approx(0.5)
    drive.tap(window.viewport, Qt.Key.Key_Escape)
    assert window.scene.speed == pytest.approx(0.5), "back in live: the same speed"


def _frames_per_step(window, drive, seconds: float, steps) -> float:
    shown = []
    window.frame_rendered.connect(lambda: shown.append(1))
    before = steps()
    drive.wait(seconds)
    return len(shown) / max(steps() - before, 1)


def test_slow_motion_draws_frames_between_control_steps(make_window, drive, qtbot):
    """Bug 3: at 0.1× the picture moves between the 20 Hz control steps, live and playback."""
    window = make_window()
    name = _record(window, drive, 0.8)
    window.set_speed(0.1)
    qtbot.keyPress(window.viewport, Qt.Key.Key_Right)
    # A picture that does not change is not drawn again, so count while the arm moves.
    qtbot.waitUntil(lambda: np.abs(window.inputs.last_action).max() > 0.5, timeout=5000)
    live = _frames_per_step(window, drive, 1.6, lambda: window.scene.steps_taken)
    qtbot.keyRelease(window.viewport, Qt.Key.Key_Right)
    # Before: one frame per step (redrawn only when the env stepped). 0.1× gives 500 ms a step.
    assert live >= 4, f"live at 0.1×: {live:.1f} frames per control step"

    window.play_demo(name)
    window.playback.seek(window.playback.length // 2)  # mid-push: the arm moves
    window.timeline.click_play()
    played = _frames_per_step(window, drive, 1.6, lambda: window.playback.index)
    assert played >= 4, f"playback at 0.1×: {played:.1f} frames per recorded step"


def test_substeps_land_bit_exactly_on_the_next_recorded_state(make_window, drive):
    """Bug 3: playback re-simulates substeps from the recorded state with the recorded action."""
    window = make_window()
    episode = window.recorder.episode(_record(window, drive))
    states, actions = np.asarray(episode.states), np.asarray(episode.actions)
    for i in range(len(actions) - 1):
        rows = window.frames.substep_states(states[i], actions[i])
        assert len(rows) == 11  # the arm: 10 substeps per control step
        assert np.array_equal(rows[0], states[i])
        assert np.array_equal(rows[-1], states[i + 1]), f"step {i} does not land exactly"
        # The substeps are physics in between, not copies of the ends.
        assert not np.array_equal(rows[5], rows[0]) or np.array_equal(rows[0], rows[-1])


@pytest.mark.parametrize("env_id", [CAR_OBSTACLE, ARM_PUSH])
def test_the_default_view_shows_the_whole_task(make_window, env_id, tmp_path):
    """Bug 4: the car opened with the green goal zone off-screen."""
    window = make_window(scene=env_id, recordings=tmp_path / "task.h5")
    env = make_env(env_id)
    renderer = FrameRenderer()
    try:
        for seed in (0, 1, 2):
            env.reset(seed=seed)
            frame = renderer.render(env.model, env.data, window.scene.camera, 320, 240)
            r, g, b = (frame[..., k].astype(int) for k in range(3))
            if env_id == CAR_OBSTACLE:
                goal = (g > 140) & (g > r + 60) & (g > b + 40)  # the green goal zone
                assert goal.sum() > 150, f"seed {seed}: goal zone not in view ({goal.sum()} px)"
                car = (b > 120) & (b > r + 60)  # the blue car
                assert car.sum() > 20, f"seed {seed}: car not in view"
            else:
                assert frame.std() > 10
    finally:
        renderer.close()
        env.close()


def test_f1_shows_and_hides_the_overlay_help(make_window, drive):
    """Bug 5: the overlay says "F1 show / hide the help"; F1 did the Controls panel instead."""
    window = make_window()
    hints = dict(window.viewport.hints())
    assert hints["F1"].lower().startswith("show / hide")
    dock = window.help_dock.isVisible()
    drive.tap(window.viewport, Qt.Key.Key_F1)
    assert not window.viewport.hints_visible()
    assert window.help_dock.isVisible() == dock
    drive.tap(window.viewport, Qt.Key.Key_F1)
    assert window.viewport.hints_visible()


def _crashed_file(path, steps: int = 6) -> None:
    """A recordings file with one episode a crash left in its journal."""
    env = make_env(ARM_PUSH)
    obs, _ = env.reset(seed=0)
    with RecordingFile(path) as rf:
        rf.set_env(env.env_args(), env.model_xml)
        writer = rf.begin_episode(source="human", device="keyboard", seed=0)
        for _ in range(steps):
            state = env.get_state()
            action = np.array([0.5, 0.0], np.float32)
            nxt, reward, *_ = env.step(action)
            writer.append(env.split_obs(obs), action, reward, False, state, env.split_obs(nxt))
            obs = nxt
        writer.flush()
        writer.abandon()  # what kill -9 leaves: the journal, unlocked
    env.close()


@pytest.mark.parametrize("choice", ["keep", "discard"])
def test_a_crashed_recording_is_offered_back(make_window, tmp_path, choice):
    """Bug 6: recovery was silent; now the person keeps or discards what a crash left."""
    path = tmp_path / "crashed.h5"
    _crashed_file(path)
    window = make_window(recordings=path)
    bar = window.recovery_bar
    assert bar.isVisible() and "Recovered after a crash" in bar.text() and "6 steps" in bar.text()
    assert window.mode is Mode.LIVE  # driving goes on meanwhile
    (bar.click_keep if choice == "keep" else bar.click_discard)()
    assert not bar.isVisible()
    with Dataset(path) as ds:
        if choice == "keep":
            assert len(ds.demos) == 1
            assert np.asarray(ds.episode(ds.demos[0]).dones)[-1] == 1
        else:
            assert ds.demos == []
    assert [r.name for r in window.dataset_panel.rows()] == (
        window.recorder.demos if choice == "keep" else []
    )


def test_the_demos_table_gets_a_third_of_the_side_beside_the_tabbed_docks(make_window, drive):
    """The tabbed docks' tallest form (Train, DAgger) once set their shared height, which left
    the Demos table above them three rows high in a 1500x920 window."""
    window = make_window()
    window.resize(1500, 920)
    drive.wait(0.2)
    window.dataset_panel.set_rows(
        [DemoRow(f"demo_{i}", "human", 50, True, "11-30 10:42", []) for i in range(20)]
    )
    drive.wait(0.1)
    assert window.dataset_panel.rows_in_view() >= 6
    # Each tab can still be raised and shows its start button.
    for dock, button in (
        (window.docks.train_dock, window.docks.train_panel.start_button),
        (window.docks.dagger_dock, window.docks.dagger_panel.start_button),
    ):
        dock.raise_()
        drive.wait(0.1)
        assert button.isVisible() and button.height() > 10


def test_the_demos_table_shows_its_tags_whole(make_window, drive):
    """Bug 7: the Tags column was clipped at the panel's edge."""
    window = make_window()
    window.demos_dock.resize(480, 400)
    drive.wait(0.1)
    rows = [
        DemoRow(
            f"demo_{i}",
            "human",
            120,
            True,
            "11-30 10:42",
            ["clean", "left", "slow"],
            device="gamepad:Xbox Wireless Controller",
        )
        for i in range(3)
    ]
    window.dataset_panel.set_rows(rows)
    drive.wait(0.1)
    assert window.dataset_panel.column_visible("Tags")
