"""The DAgger dock's chart: evaluation success against labelled steps, one point per round.

Beside DAgger's curve, BC trained on as many *expert* labels (``--bc-baseline``), and a dashed
line at round 0 (BC on the file's demos as they were).
"""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg


class DaggerChart(pg.PlotWidget):
    """DAgger's success per round, BC for the same number of labels, and round 0's line."""

    def __init__(self) -> None:
        super().__init__(background="#1e2026")
        self.setMenuEnabled(False)
        self.setMinimumHeight(140)
        item = self.getPlotItem()
        item.setLabel("bottom", "labelled steps")
        item.setLabel("left", "success rate")
        item.setTitle(
            '<span style="color:#4aa8ff">DAgger</span> · '
            '<span style="color:#7ddc6a">BC, same number of expert labels</span> · '
            '<span style="color:#ff9f40">round 0</span>',
            size="9pt",
        )
        item.showGrid(x=True, y=True, alpha=0.2)
        self.setYRange(0, 1.05, padding=0)
        self._curve = self.plot(
            [], [], pen=pg.mkPen("#4aa8ff", width=2), symbol="o", symbolBrush="#4aa8ff"
        )
        self._bc_curve = self.plot(
            [], [], pen=pg.mkPen("#7ddc6a", width=2), symbol="s", symbolBrush="#7ddc6a"
        )
        self._round0 = pg.InfiniteLine(
            angle=0, pen=pg.mkPen("#ff9f40", width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine)
        )
        self._round0.hide()
        self.addItem(self._round0)

    def show_rounds(self, rounds: list[dict[str, Any]]) -> None:
        """Draw the rounds' summaries (``labelled_steps``, ``eval_success``, and with the
        baseline ``bc_labelled_steps``, ``bc_success``); none clears the chart."""
        self._curve.setData(
            [float(r["labelled_steps"]) for r in rounds], [float(r["eval_success"]) for r in rounds]
        )
        bc = [r for r in rounds if "bc_success" in r]
        self._bc_curve.setData(
            [float(r["bc_labelled_steps"]) for r in bc], [float(r["bc_success"]) for r in bc]
        )
        if rounds:
            self._round0.setValue(float(rounds[0]["eval_success"]))
        self._round0.setVisible(bool(rounds))

    def points(self, curve: str = "dagger") -> list[tuple[float, float]]:
        """A curve's points, ``dagger`` or ``bc``: (labelled steps, success rate)."""
        xs, ys = (self._curve if curve == "dagger" else self._bc_curve).getData()
        return [] if xs is None else list(zip(map(float, xs), map(float, ys), strict=True))
