"""Live curves for long runs: append points from any rate, redraw at a fixed rate.

Each curve is created once (:meth:`LivePlot.set_panels`); :meth:`LivePlot.append` only writes
into numpy buffers (cheap, whatever the rate of the caller); a 20 Hz timer hands the changed
buffers to pyqtgraph with ``setData``. Plots downsample by peaks and clip to the view, so a
million-point run redraws as fast as a short one. PNG and CSV export.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

REFRESH_HZ = 20.0
_COLORS = ("#4c9be8", "#e8844c", "#5cc06b", "#d05fd0", "#e0c040", "#909090")


def _title_with_legend(title: str, curves: Sequence[tuple[str, ...]]) -> str:
    """The plot's title with its legend in it, coloured like the curves: a legend inside the
    plot covers the newest points of the curves it names."""
    if len(curves) == 1:
        return title  # one curve: the title names it
    legend = "&nbsp;&nbsp;".join(
        f"<span style='color:{_COLORS[i % len(_COLORS)]}'>"
        f"{'●' if len(c) > 2 else '━'}&nbsp;{c[1]}</span>"
        for i, c in enumerate(curves)
    )
    # The legend on a line of its own: side by side, title and legend made each plot too wide
    # for two columns in a dock.
    return f"{title}<br><span style='font-size:8pt'>{legend}</span>"


class _Series:
    """A growable (x, y) buffer and the curve that shows it."""

    def __init__(self, curve: pg.PlotDataItem) -> None:
        self.curve = curve
        self.x = np.empty(256)
        self.y = np.empty(256)
        self.n = 0
        self.drawn = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self.x):  # double: amortised O(1) appends
            self.x = np.resize(self.x, 2 * self.n)
            self.y = np.resize(self.y, 2 * self.n)
        self.x[self.n], self.y[self.n] = x, y
        self.n += 1


class LivePlot(QWidget):
    """A column of plots, each with named curves, fed point by point.

    Example::

        plot = LivePlot()
        plot.set_panels([("loss", [("loss", "train"), ("val_loss", "validation")])])
        plot.append(100, {"loss": 0.3, "val_loss": 0.4})   # at any rate; drawn at 20 Hz
    """

    def __init__(self, parent: QWidget | None = None, *, refresh_hz: float = REFRESH_HZ) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, background="#1e2026", foreground="#c8c8c8")
        self.view = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.x_label = "step"
        self._series: dict[str, _Series] = {}
        self._plots: list[pg.PlotItem] = []
        self._rows: list[tuple[float, dict[str, float]]] = []
        self._timer = QTimer(self)
        self._timer.setInterval(int(1000 / refresh_hz))
        self._timer.timeout.connect(self._on_refresh)
        self._timer.start()

    # ----------------------------------------------------------------------------- set-up
    def set_panels(
        self,
        panels: Sequence[tuple[str, Sequence[tuple[str, ...]]]],
        x_label: str = "step",
        *,
        columns: int = 1,
    ) -> None:
        """Replace the plots: ``[(title, [(key, legend), ...]), ...]``; clears the data.

        Args:
            panels: one plot per entry, filled row by row into ``columns`` columns; a curve
                given as ``(key, legend, "points")`` is drawn with markers.
            x_label: the shared x axis' name (shown under the bottom row).
            columns: plots side by side (many plots stay readable in a short panel).
        """
        self.view.clear()
        self._series.clear()
        self._plots.clear()
        self._rows.clear()
        self.x_label = x_label
        rows = -(-len(panels) // columns)
        for i, (title, curves) in enumerate(panels):
            row, col = divmod(i, columns)
            plot = self.view.addPlot(row=row, col=col, title=_title_with_legend(title, curves))
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            plot.showGrid(x=True, y=True, alpha=0.2)
            if row == rows - 1:
                plot.setLabel("bottom", x_label)
            for i, (key, legend, *style) in enumerate(curves):
                color = _COLORS[i % len(_COLORS)]
                pen = pg.mkPen(color, width=1.5)
                # "points": sparse series (an evaluation every N steps) get markers, so a
                # single point shows.
                marks = {"symbol": "o", "symbolSize": 6, "symbolBrush": color} if style else {}
                curve = plot.plot([], [], pen=pen, name=legend, **marks)
                self._series[key] = _Series(curve)
            if self._plots:
                plot.setXLink(self._plots[0])
            self._plots.append(plot)

    def keys(self) -> list[str]:
        """The keys of every curve."""
        return list(self._series)

    # ----------------------------------------------------------------------------- data
    def append(self, x: float, values: Mapping[str, float]) -> None:
        """Add one point to each curve named in ``values`` (unknown keys and NaN skipped)."""
        kept: dict[str, float] = {}
        for key, value in values.items():
            series = self._series.get(key)
            if series is None or value is None or not math.isfinite(float(value)):
                continue
            series.append(float(x), float(value))
            kept[key] = float(value)
        if kept:
            self._rows.append((float(x), kept))

    def clear_data(self) -> None:
        """Empty every curve (the plots stay)."""
        for series in self._series.values():
            series.n = series.drawn = 0
            series.curve.setData([], [])
        self._rows.clear()

    def points(self, key: str) -> int:
        """Points of curve ``key`` handed to pyqtgraph so far (what is on screen)."""
        series = self._series.get(key)
        return 0 if series is None else series.drawn

    def values(self, key: str) -> np.ndarray:
        """Every y value appended to curve ``key``."""
        series = self._series[key]
        return series.y[: series.n].copy()

    def refresh(self) -> None:
        """Redraw the curves that received points (the timer calls this)."""
        self._on_refresh()

    def _on_refresh(self) -> None:
        for series in self._series.values():
            if series.n != series.drawn:
                series.curve.setData(series.x[: series.n], series.y[: series.n])
                series.drawn = series.n

    # ----------------------------------------------------------------------------- export
    def export_png(self, path: str | Path) -> Path:
        """Save the plots as a PNG image."""
        self.refresh()
        path = Path(path)
        exporter = pyqtgraph.exporters.ImageExporter(self.view.scene())
        exporter.export(str(path))
        return path

    def export_csv(self, path: str | Path) -> Path:
        """Save every point: one row per x, one column per curve (empty where none)."""
        path = Path(path)
        keys = self.keys()
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow([self.x_label, *keys])
            for x, values in self._rows:
                writer.writerow([f"{x:g}", *(repr(values[k]) if k in values else "" for k in keys)])
        return path
