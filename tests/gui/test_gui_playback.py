"""Playback: the timeline restores recorded states exactly; speeds are honoured."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.app.modes import Mode

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
    window.dataset_panel.play_selected()
    assert window.mode is Mode.PLAYBACK and window.timeline.isVisible()

    env = window.scene.env
    for i in (len(states) - 1, 3, len(states) // 2, 0):
        window.timeline.drag_to(i)  # what dragging the scrubber does
        assert np.array_equal(env.get_state(), states[i]), f"frame {i} not restored exactly"
    window.timeline.click_step(+1)
    assert np.array_equal(env.get_state(), states[1])
    drive.tap(window.viewport, Qt.Key.Key_Right)  # keys step frames in playback
    assert window.playback.index == 2
    np.testing.assert_array_equal(
        window.viewport.action_values(), np.asarray(episode.actions[2], dtype=float)
    )
    # Replaying the recorded action from a restored state reproduces the next recorded state.
    env.set_state(states[5])
    env.step(np.asarray(episode.actions[5]))
    assert np.array_equal(env.get_state(), states[6])

    drive.tap(window.viewport, Qt.Key.Key_Escape)
    assert window.mode is Mode.LIVE and not window.timeline.isVisible()


def _clock_rate(window, drive, seconds: float) -> float:
    """Simulated seconds per wall second as the control loop's own clock saw them.

    Sim time counts the steps taken plus what the catch-up cap dropped after a stall; wall time
    is the span between the clock's first and last tick. A loaded machine delays ticks but does
    not change this ratio, while a wrong speed does.
    """
    scene = window.scene
    clock = scene.clock
    drive.wait(0.1)  # a tick or two at the new speed
    steps, dropped, t0 = scene.steps_taken, clock.dropped, clock._last
    drive.wait(seconds)
    sim = (scene.steps_taken - steps) * scene.env.control_dt + (clock.dropped - dropped)
    return sim / (clock._last - t0)


def _choose_speed(window, speed: float) -> None:
    # The toolbar's speed box, as a person would choose it.
    combo = window.toolbar.speed_combo
    combo.setCurrentIndex(combo.findData(speed))
    combo.activated.emit(combo.currentIndex())


def test_slow_motion_live_and_playback(make_window, drive, qtbot):
    window = make_window()
    _choose_speed(window, 1.0)
    full = _clock_rate(window, drive, 0.8)
    _choose_speed(window, 0.5)
    half = _clock_rate(window, drive, 0.8)
    assert 0.7 < full < 1.2, f"live at 1× advanced {full:.2f} s of sim per second"
    assert 0.3 < half < 0.65, f"live at 0.5× advanced {half:.2f} s of sim per second"
    assert half < 0.75 * full, f"0.5× ({half:.2f}) must be clearly slower than 1× ({full:.2f})"

    name = _record(window, drive)
    window.play_demo(name)
    _choose_speed(window, 0.25)  # the one speed: the toolbar's box acts on playback too
    window.timeline.click_play()
    playback = window.playback
    assert playback.playing
    dt, i0 = window.scene.env.control_dt, playback.index
    drive.wait(0.2)
    i1, t1, d1 = playback.index, playback.clock._last, playback.clock.dropped
    # Until 0.3 s of the recording played (or the end): no fixed sleep to be late for.
    target = min(i1 + round(0.3 / dt), playback.length - 1)
    qtbot.waitUntil(lambda: playback.index >= target, timeout=10_000)
    frames = playback.index - i1
    played = (frames * dt + playback.clock.dropped - d1) / (playback.clock._last - t1)
    assert frames > 0 and playback.index > i0
    assert 0.1 < played < 0.4, f"playback at 0.25× ran at {played:.2f}×"
    assert played < 0.6 * full, "playback at 0.25× must be clearly slower than live at 1×"
