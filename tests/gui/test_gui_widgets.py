"""The reusable widgets on their own (no simulator, no studio)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.qt_events import wheel
from widgets.dataset_panel import DatasetPanel, DemoRow
from widgets.status import EpisodeEndBar
from widgets.timeline import Timeline
from widgets.viewport import Viewport

pytestmark = pytest.mark.gui


def test_viewport_keeps_the_frame_and_reports_gestures(qtbot):
    vp = Viewport()
    qtbot.addWidget(vp)
    vp.resize(400, 300)
    vp.show()
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :, 0] = 200
    with qtbot.waitSignal(vp.frame_shown, timeout=2000):
        vp.set_frame(frame)
    assert vp.frame() is not None and vp.frame().shape == (240, 320, 3)
    vp.set_action(np.array([0.5, -1.0]), ["x", "y"])
    vp.set_recording(True, "REC  12 steps")
    vp.set_hints([("Space", "record")])
    image = vp.grab().toImage()
    assert image.pixelColor(200, 150).red() > 150  # the frame is drawn under the overlays
    with qtbot.waitSignal(vp.zoomed) as blocker:
        wheel(vp, notches=1)
    assert blocker.args == [1.0]
    with qtbot.waitSignal(vp.zoomed) as blocker:
        wheel(vp, notches=-2)
    assert blocker.args == [-2.0]
    vp.set_hints_visible(False)
    assert not vp.hints_visible() and vp.hints() == [("Space", "record")]


def test_timeline_emits_what_the_person_does(qtbot):
    tl = Timeline()
    qtbot.addWidget(tl)
    tl.set_episode(np.zeros((50, 2)), ["a", "b"], dt=0.05)
    with qtbot.waitSignal(tl.frame_selected) as blocker:
        tl.drag_to(10)
    assert blocker.args == [10]
    with qtbot.assertNotEmitted(tl.frame_selected):
        tl.set_frame(20)  # model -> view does not echo back
    assert tl.frame() == 20
    with qtbot.waitSignal(tl.step_clicked) as blocker:
        tl.click_step(+1)
    assert blocker.args == [1]
    with qtbot.waitSignal(tl.play_toggled) as blocker:
        tl.click_play()
    assert blocker.args == [True]


def test_dataset_panel_lists_and_keeps_the_selection(qtbot):
    panel = DatasetPanel()
    qtbot.addWidget(panel)
    rows = [DemoRow("demo_1", "human", 30, True), DemoRow("demo_2", "human", 12, False)]
    panel.set_rows(rows)
    assert panel.select("demo_2") and panel.selected() == "demo_2"
    panel.set_rows([*rows, DemoRow("demo_3", "human", 5, None, tags=["x"])])
    assert panel.selected() == "demo_2"
    with qtbot.waitSignal(panel.demo_activated) as blocker:
        panel.play_selected()
    assert blocker.args == ["demo_2"]


def test_a_relabel_demo_shows_its_rollouts_outcome_as_such(qtbot):
    panel = DatasetPanel()
    qtbot.addWidget(panel)
    panel.set_rows(
        [DemoRow("demo_5", "policy", 300, False), DemoRow("demo_6", "relabel", 300, False)]
    )
    table = panel._table
    assert table.item(0, 2).text() == "✗"
    cell = table.item(1, 2)
    assert cell.text() == "rollout ✗"
    assert "corrections" in cell.toolTip()


def test_episode_end_bar(qtbot):
    bar = EpisodeEndBar()
    qtbot.addWidget(bar)
    bar.ask("done", success=True)
    assert bar.isVisible()
    with qtbot.waitSignal(bar.kept):
        bar.click_keep()


def test_viewport_banner_never_covers_the_title_and_hints(qtbot):
    """A refusal banner sat over the mode's title ("Keep or discard?"), hiding what to do."""
    vp = Viewport()
    qtbot.addWidget(vp)
    vp.resize(700, 500)
    vp.set_frame(np.zeros((240, 320, 3), np.uint8))
    vp.set_title("Keep or discard? · Arm push · 1×")
    vp.set_hints([("Return / Enter", "Keep the episode"), ("Backspace / Del", "Discard it")])
    vp.set_banner("Keep (Return / Enter) or discard (Backspace / Del) the episode first")
    vp.grab()  # paints
    title, banner = vp.painted_rects()
    assert not title.isEmpty() and not banner.isEmpty()
    assert not banner.intersects(title)
    rows = vp.painted_rows()  # the title's text and each hint row
    assert len(rows) == 3 and all(title.contains(r) for r in rows)
    # Many hints in a narrow viewport: the banner still covers no hint row and stays in view.
    vp.resize(420, 520)
    vp.set_hints([(f"Key{i} / Alt{i}", f"a long description of command {i}") for i in range(14)])
    vp.grab()
    title, banner = vp.painted_rects()
    rows = vp.painted_rows()
    assert len(rows) == 15 and all(title.contains(r) for r in rows)
    assert not any(banner.intersects(r) for r in rows)
    assert vp.rect().toRectF().contains(banner)
    vp.set_hints([("Return / Enter", "Keep the episode"), ("Backspace / Del", "Discard it")])
    vp.set_hints_visible(False)
    vp.set_title("")
    vp.grab()
    title, banner = vp.painted_rects()
    assert title.isEmpty() and banner.top() < 20  # nothing to avoid: back at the top


def test_a_short_banner_stays_on_one_line(qtbot):
    """ "Time limit" was drawn as "Time" over "limit": the text area was exactly its width."""
    vp = Viewport()
    qtbot.addWidget(vp)
    vp.resize(800, 500)
    for text in ("Time limit", "Success", "Collision", "Back to live driving"):
        vp.set_banner(text)
        vp.grab()
        _, banner = vp.painted_rects()
        assert banner.height() <= 40, (text, banner.height())
