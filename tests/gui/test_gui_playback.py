"""Playback: the timeline restores recorded states exactly; speeds are honoured."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def _record(window, drive) -> str:
    vp = window.viewport
    drive.tap(vp, Qt.Key.Key_Space)
    drive.hold(vp, Qt.Key.Key_Right, 0.4)
    drive.hold(vp, Qt.Key.Key_Up, 0.4)
    drive.tap(vp, Qt.Key.Key_Space)
    drive.tap(vp, Qt.Key.Key_Return)
    return window.recorder.last_saved


def test_scrubbing_restores_the_recorded_state_exactly(make_window, drive):
    window = make_window()
    name = _record(window, drive)
    episode = window.recorder.episode(name)
    states = np.asarray(episode.states)
    window.dataset_panel.select(name)
    window.dataset_panel._play_btn.click()
    assert window.mode == "playback" and window.timeline.isVisible()

    env = window.scene.env
    slider = window.timeline._slider
    for i in (len(states) - 1, 3, len(states) // 2, 0):
        slider.setValue(i)  # what dragging the scrubber does
        assert np.array_equal(env.get_state(), states[i]), f"frame {i} not restored exactly"
    window.timeline._fwd.click()
    assert np.array_equal(env.get_state(), states[1])
    drive.tap(window.viewport, Qt.Key.Key_Right)  # keys step frames in playback
    assert window.playback.index == 2
    np.testing.assert_array_equal(
        window.viewport._action, np.asarray(episode.actions[2], dtype=float)
    )
    # Replaying the recorded action from a restored state reproduces the next recorded state.
    env.set_state(states[5])
    env.step(np.asarray(episode.actions[5]))
    assert np.array_equal(env.get_state(), states[6])

    drive.tap(window.viewport, Qt.Key.Key_Escape)
    assert window.mode == "live" and not window.timeline.isVisible()


def _sim_rate(window, drive, seconds: float) -> float:
    scene = window.scene
    drive.wait(0.3)
    steps, t0 = scene.steps_taken, time.perf_counter()
    drive.wait(seconds)
    return (scene.steps_taken - steps) * scene.env.control_dt / (time.perf_counter() - t0)


def test_slow_motion_live_and_playback(make_window, drive):
    window = make_window()
    # Live at 0.5×: the toolbar's speed box, as a person would choose it.
    combo = window.toolbar.speed_combo
    combo.setCurrentIndex(combo.findData(0.5))
    combo.activated.emit(combo.currentIndex())
    rate = _sim_rate(window, drive, 2.0)
    assert 0.35 < rate < 0.6, f"live at 0.5× advanced {rate:.2f} s of sim per second"

    name = _record(window, drive)
    window.play_demo(name)
    window.timeline._speed.setCurrentIndex(window.timeline._speed.findData(0.25))
    window.timeline._play.click()
    t0, i0 = time.perf_counter(), window.playback.index
    drive.wait(1.5)
    frames = window.playback.index - i0
    elapsed = time.perf_counter() - t0
    played = frames * window.scene.env.control_dt / elapsed
    assert window.playback.playing or frames > 0
    assert 0.15 < played < 0.33, f"playback at 0.25× ran at {played:.2f}×"
