"""Playback controls: frame scrubber, play/pause, single-frame steps and an action plot.

Under the plot a strip marks frames: bands (who drove each frame, which frames are labelled)
and one curve scaled to 0..1 (the policy's uncertainty, or its distance from the person) with
its threshold. Clicking the strip seeks like clicking the plot.

The speed is not chosen here: the window has one speed for whatever plays (live or playback);
the timeline only shows it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

_COLORS = ("#4aa8ff", "#ff9f40", "#5cd17a", "#e05cd1", "#f2d14a", "#9a8cff")


class Timeline(QWidget):
    """Scrubber over ``N`` frames with transport buttons and a plot of the recorded actions.

    Signals:
        frame_selected(index): the person moved the scrubber or clicked the plot.
        play_toggled(playing): the play/pause button was pressed.
        step_clicked(delta): a single-frame step button was pressed (-1 or +1).
    """

    frame_selected = Signal(int)
    play_toggled = Signal(bool)
    step_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dt = 0.0
        self._n = 0
        self._playing = False

        self._plot = pg.PlotWidget(background="#1e2026")
        self._plot.setFixedHeight(110)
        self._plot.setMenuEnabled(False)
        self._plot.setMouseEnabled(x=False, y=False)
        self._plot.hideButtons()
        self._plot.setYRange(-1.05, 1.05, padding=0)
        self._plot.getPlotItem().showGrid(x=True, y=True, alpha=0.15)
        self._plot.getPlotItem().getAxis("left").setWidth(34)
        self._legend = self._plot.addLegend(offset=(6, 4), labelTextSize="8pt")
        self._cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#ffffff", width=1.5))
        self._plot.addItem(self._cursor)
        self._curves: list[pg.PlotDataItem] = []
        self._plot.scene().sigMouseClicked.connect(self._on_plot_clicked)
        self._strip = pg.PlotWidget(background="#1e2026")
        self._strip.setFixedHeight(64)
        self._strip.setMenuEnabled(False)
        self._strip.setMouseEnabled(x=False, y=False)
        self._strip.hideButtons()
        self._strip.getPlotItem().getAxis("left").setWidth(34)
        self._strip.getPlotItem().getAxis("left").setTicks([[]])
        self._strip.getPlotItem().getAxis("bottom").hide()
        self._strip.getPlotItem().setTitle("", size="8pt")
        self._strip_cursor = pg.InfiniteLine(pos=0, angle=90, pen=pg.mkPen("#ffffff", width=1))
        self._strip.addItem(self._strip_cursor)
        self._strip_items: list[pg.GraphicsObject] = []
        self._bands: dict[str, np.ndarray] = {}
        self._curve: np.ndarray | None = None
        self._strip.scene().sigMouseClicked.connect(self._on_strip_clicked)
        self._strip.hide()

        # Style icons, not Unicode transport symbols: those are missing from many fonts.
        sp = QStyle.StandardPixmap
        self._icons = {
            k: self.style().standardIcon(v)
            for k, v in (
                ("back", sp.SP_MediaSkipBackward),
                ("play", sp.SP_MediaPlay),
                ("pause", sp.SP_MediaPause),
                ("fwd", sp.SP_MediaSkipForward),
            )
        }
        self._back = self._button("back", "Step one frame back (Left)", lambda: self._on_step(-1))
        self._play = self._button("play", "Play / pause (Space)", self._on_play_clicked)
        self._fwd = self._button("fwd", "Step one frame forward (Right)", lambda: self._on_step(1))
        self._slider = QSlider(Qt.Orientation.Horizontal)
        self._slider.setRange(0, 0)
        self._slider.valueChanged.connect(self._on_slider_moved)
        self._label = QLabel("no demo")
        self._label.setMinimumWidth(170)
        self._speed = QLabel("1×")
        self._speed.setToolTip("Playback speed: the window's one speed (toolbar, [ and ])")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self._back, self._play, self._fwd):
            row.addWidget(w)
        row.addWidget(self._slider, 1)
        row.addWidget(self._label)
        row.addWidget(self._speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        layout.addWidget(self._plot)
        layout.addWidget(self._strip)
        layout.addLayout(row)

    def _button(self, icon: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(self._icons[icon])
        b.setToolTip(tip)
        b.setMinimumWidth(34)
        b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        b.clicked.connect(slot)
        return b

    # ----------------------------------------------------------------------------- model -> view
    def set_episode(
        self, actions: np.ndarray | None, labels: Sequence[str] = (), dt: float = 0.0
    ) -> None:
        """Load an episode: ``actions`` is ``(N, A)``; ``dt`` seconds per frame (for the label)."""
        for c in self._curves:
            self._plot.removeItem(c)
        self._curves = []
        self._legend.clear()
        self._dt = dt
        self._n = 0 if actions is None else len(actions)
        if actions is not None and self._n:
            x = np.arange(self._n)
            for i in range(actions.shape[1]):
                name = labels[i] if i < len(labels) else f"a{i}"
                pen = pg.mkPen(_COLORS[i % len(_COLORS)], width=1.5)
                curve = self._plot.plot(x, actions[:, i], pen=pen, name=name)
                self._curves.append(curve)
            self._plot.setXRange(0, max(self._n - 1, 1), padding=0.01)
        self._slider.blockSignals(True)
        self._slider.setRange(0, max(self._n - 1, 0))
        self._slider.setValue(0)
        self._slider.blockSignals(False)
        self._update_label(0)

    def set_frame(self, index: int) -> None:
        """Move the scrubber to ``index`` without emitting ``frame_selected``."""
        self._slider.blockSignals(True)
        self._slider.setValue(index)
        self._slider.blockSignals(False)
        self._cursor.setValue(index)
        self._strip_cursor.setValue(index)
        self._update_label(index)

    def set_strip(
        self,
        bands: Sequence[tuple[str, np.ndarray, str]] = (),
        curve: np.ndarray | None = None,
        curve_name: str = "",
        threshold: float | None = None,
    ) -> None:
        """Mark frames under the plot (nothing given: the strip hides).

        Args:
            bands: ``(name, mask (N,) bool, colour)`` rows, drawn as blocks above the curve.
            curve: ``(N,)`` values drawn scaled to 0..1 (NaN: not known for that frame).
            curve_name: what the curve is (the strip's title).
            threshold: a horizontal line at this value of ``curve`` (its units).
        """
        for item in self._strip_items:
            self._strip.removeItem(item)
        self._strip_items = []
        self._bands = {name: np.asarray(mask, bool) for name, mask, _c in bands}
        self._curve = None if curve is None else np.asarray(curve, float)
        if not bands and curve is None:
            self._strip.hide()
            return
        titles = []
        top = 0.0
        if self._curve is not None and np.isfinite(self._curve).any():
            finite = self._curve[np.isfinite(self._curve)]
            lo, hi = float(finite.min()), float(finite.max())
            scale = (hi - lo) or 1.0
            y = np.nan_to_num((self._curve - lo) / scale, nan=0.0)
            x = np.arange(len(y) + 1)
            item = pg.PlotDataItem(
                x,
                y,
                stepMode="center",
                fillLevel=0,
                brush=pg.mkBrush(230, 120, 60, 150),
                pen=pg.mkPen("#f08040", width=1),
            )
            self._add_strip(item)
            if threshold is not None:
                line = pg.InfiniteLine(
                    pos=(threshold - lo) / scale,
                    angle=0,
                    pen=pg.mkPen("#ffdd55", style=Qt.PenStyle.DashLine),
                )
                self._add_strip(line)
            titles.append(f'<span style="color:#f08040">{curve_name or "curve"}</span>')
            top = 1.1
        for name, mask, colour in bands:
            m = np.asarray(mask, float)
            x = np.arange(len(m) + 1)
            item = pg.PlotDataItem(
                x,
                top + 0.35 * m,
                stepMode="center",
                fillLevel=top,
                brush=pg.mkBrush(colour),
                pen=pg.mkPen(None),
            )
            self._add_strip(item)
            titles.append(f'<span style="color:{colour}">{name}</span>')
            top += 0.45
        self._strip.getPlotItem().setTitle(" · ".join(titles), size="8pt")
        self._strip.setYRange(-0.05, max(top, 1.0) + 0.05, padding=0)
        n = len(self._curve) if self._curve is not None else len(bands[0][1])
        self._strip.setXRange(0, max(n, 1), padding=0.01)
        self._strip.show()

    def _add_strip(self, item) -> None:
        self._strip.addItem(item)
        self._strip_items.append(item)

    def strip_band(self, name: str) -> np.ndarray | None:
        """The frames a band marks (None: no such band shown)."""
        return self._bands.get(name) if self._strip.isVisible() else None

    def strip_curve(self) -> np.ndarray | None:
        """The curve shown in the strip (None: none)."""
        return self._curve if self._strip.isVisible() else None

    def set_playing(self, playing: bool) -> None:
        """Show the play or the pause symbol."""
        self._playing = playing
        self._play.setIcon(self._icons["pause" if playing else "play"])

    def set_speed(self, speed: float) -> None:
        """Show the speed playback runs at."""
        self._speed.setText(f"speed {speed:g}×")

    def frame(self) -> int:
        """The frame under the scrubber."""
        return self._slider.value()

    # ----------------------------------------------------------------------------- view -> signals
    def _update_label(self, index: int) -> None:
        if not self._n:
            self._label.setText("no demo")
            return
        self._label.setText(f"frame {index + 1}/{self._n}   t = {index * self._dt:6.2f} s")

    def _on_slider_moved(self, value: int) -> None:
        self._cursor.setValue(value)
        self._update_label(value)
        self.frame_selected.emit(value)

    def _on_play_clicked(self) -> None:
        self.set_playing(not self._playing)
        self.play_toggled.emit(self._playing)

    def _on_step(self, delta: int) -> None:
        self.step_clicked.emit(delta)

    # ----------------------------------------------------------------------------- for tests
    def click_play(self) -> None:
        """Press the play/pause button."""
        self._play.click()

    def click_step(self, delta: int) -> None:
        """Press a single-frame step button (-1 or +1)."""
        (self._back if delta < 0 else self._fwd).click()

    def drag_to(self, index: int) -> None:
        """Move the scrubber as a drag would (emits ``frame_selected``)."""
        self._slider.setValue(index)

    def _on_strip_clicked(self, event) -> None:
        self._seek_to(self._strip, event)

    def _on_plot_clicked(self, event) -> None:
        self._seek_to(self._plot, event)

    def _seek_to(self, plot: pg.PlotWidget, event) -> None:
        if not self._n:
            return
        x = plot.getPlotItem().vb.mapSceneToView(event.scenePos()).x()
        index = int(np.clip(round(x), 0, self._n - 1))
        self._slider.setValue(index)  # emits frame_selected through _on_slider_moved
