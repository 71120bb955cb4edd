"""A view that shows rendered frames (numpy RGB arrays) with readable overlays.

The viewport knows nothing about the simulator: it shows frames it is given and reports mouse
gestures (orbit, pan, zoom) as signals, so whoever owns the camera applies them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

_PANEL = QColor(20, 22, 28, 185)  # translucent dark boxes behind overlay text
_TEXT = QColor(235, 238, 242)
_MUTED = QColor(170, 176, 186)
_ACCENT = QColor(80, 170, 255)
_REC = QColor(230, 40, 40)


class Viewport(QWidget):
    """Shows ``(H, W, 3)`` uint8 frames scaled to fit, with hint, recording and action overlays.

    Signals:
        orbit_dragged(dx, dy): left-button drag, in pixels.
        pan_dragged(dx, dy): right- or middle-button drag, in pixels.
        zoomed(steps): wheel turned; positive is towards the scene (zoom in), one notch = 1.0.
        resized(width, height): the widget's new size in device pixels.
        frame_shown(): a new frame was painted.
    """

    orbit_dragged = Signal(float, float)
    pan_dragged = Signal(float, float)
    zoomed = Signal(float)
    resized = Signal(int, int)
    frame_shown = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        # The numpy buffer must outlive the QImage that wraps it: both are kept together.
        self._frame: np.ndarray | None = None
        self._image: QImage | None = None
        self._last_pos: QPointF | None = None
        self._drag_button = Qt.MouseButton.NoButton
        self._title = ""
        self._hints: list[tuple[str, str]] = []
        self._hints_visible = True
        self._recording = False
        self._rec_text = ""
        self._action: np.ndarray | None = None
        self._action_labels: list[str] = []
        self._action_title = "action"
        self._banner = ""
        self._title_box = QRectF()  # where the title and hints were last painted
        self._rows: list[QRectF] = []  # the title's and each hint row's text, as last painted
        self._banner_box = QRectF()  # where the banner was last painted
        self._banner_color = _ACCENT
        self._new_frame = False

    # ----------------------------------------------------------------------------- content
    def sizeHint(self) -> QSize:
        return QSize(960, 720)

    def set_frame(self, frame: np.ndarray) -> None:
        """Show an ``(H, W, 3)`` uint8 RGB frame (kept alive until the next one)."""
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        h, w = frame.shape[:2]
        self._frame = frame
        self._image = QImage(frame.data, w, h, frame.strides[0], QImage.Format.Format_RGB888)
        self._new_frame = True
        self.update()

    def frame(self) -> np.ndarray | None:
        """The frame currently shown, or None."""
        return self._frame

    def set_title(self, text: str) -> None:
        """Text in the top-left box (e.g. the scene name and mode)."""
        self._title = text
        self.update()

    def set_hints(self, hints: Sequence[tuple[str, str]]) -> None:
        """Key hints shown under the title as ``(keys, what)`` rows; empty hides them."""
        self._hints = list(hints)
        self.update()

    def set_hints_visible(self, visible: bool) -> None:
        """Show or hide the hint rows (the title stays)."""
        self._hints_visible = visible
        self.update()

    def hints_visible(self) -> bool:
        """Whether the hint rows are shown."""
        return self._hints_visible

    def hints(self) -> list[tuple[str, str]]:
        """The hint rows given (shown or not)."""
        return list(self._hints)

    def title(self) -> str:
        """The title text."""
        return self._title

    def action_values(self) -> np.ndarray | None:
        """The action shown as bars, or None."""
        return None if self._action is None else self._action.copy()

    def recording_badge(self) -> str:
        """The recording badge's text, "" when hidden."""
        return (self._rec_text or "REC") if self._recording else ""

    def banner(self) -> str:
        """The banner's text ("" when hidden)."""
        return self._banner

    def set_recording(self, active: bool, text: str = "") -> None:
        """Show or hide the red recording badge (``text`` e.g. ``"REC  123 steps"``)."""
        self._recording = active
        self._rec_text = text
        self.update()

    def set_action(
        self, values: np.ndarray | None, labels: Sequence[str] = (), title: str = "action"
    ) -> None:
        """Show an action as labelled bars in [-1, 1] (bottom right); None hides it."""
        self._action = None if values is None else np.asarray(values, dtype=float).ravel()
        self._action_labels = list(labels)
        self._action_title = title
        self.update()

    def painted_rects(self) -> tuple[QRectF, QRectF]:
        """Where the last paint put the title-and-hints box and the banner (empty if none).

        The first rectangle covers the title and every hint row shown (:meth:`painted_rows`).
        """
        return QRectF(self._title_box), QRectF(self._banner_box)

    def painted_rows(self) -> list[QRectF]:
        """Where the last paint drew the title's text and each hint row (keys and what)."""
        return [QRectF(r) for r in self._rows]

    def set_banner(self, text: str, color: QColor | None = None) -> None:
        """A short centred message at the top (e.g. ``"Success!"``); empty hides it."""
        self._banner = text
        self._banner_color = color or _ACCENT
        self.update()

    # ----------------------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._last_pos = event.position()
        self._drag_button = event.button()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._last_pos is None:
            return
        delta = event.position() - self._last_pos
        self._last_pos = event.position()
        if self._drag_button == Qt.MouseButton.LeftButton:
            self.orbit_dragged.emit(delta.x(), delta.y())
        elif self._drag_button in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            self.pan_dragged.emit(delta.x(), delta.y())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._last_pos = None
        self._drag_button = Qt.MouseButton.NoButton
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        # 120 units per notch on a mouse wheel; touchpads send smaller deltas.
        self.zoomed.emit(event.angleDelta().y() / 120.0)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        ratio = self.devicePixelRatioF()
        self.resized.emit(int(self.width() * ratio), int(self.height() * ratio))

    # ----------------------------------------------------------------------------- painting
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 32, 38))
        if self._image is not None:
            iw, ih = self._image.width(), self._image.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            if abs(scale - 1.0) > 1e-3:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawImage(target, self._image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._paint_title(p)
        self._paint_recording(p)
        self._paint_action(p)
        self._paint_banner(p)
        p.end()
        if self._new_frame:
            self._new_frame = False
            self.frame_shown.emit()

    def _font(self, size: float, bold: bool = False) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(size)
        font.setBold(bold)
        return font

    def _paint_title(self, p: QPainter) -> None:
        hints = self._hints if self._hints_visible else []
        self._title_box = QRectF()
        self._rows = []
        if not self._title and not hints:
            return
        title_font, key_font, text_font = self._font(11, True), self._font(9, True), self._font(9)
        line = p.fontMetrics().height()
        p.setFont(key_font)
        key_w = max((p.fontMetrics().horizontalAdvance(k) for k, _ in hints), default=0)
        p.setFont(text_font)
        text_w = max((p.fontMetrics().horizontalAdvance(t) for _, t in hints), default=0)
        p.setFont(title_font)
        title_w = p.fontMetrics().horizontalAdvance(self._title)
        line = max(line, p.fontMetrics().height())
        width = max(title_w, key_w + 12 + text_w) + 20
        height = 12 + (line + 4 if self._title else 0) + len(hints) * (line - 1) + 4
        box = QRectF(10, 10, width, height)
        self._title_box = box
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_PANEL)
        p.drawRoundedRect(box, 6, 6)
        y = box.top() + 8
        if self._title:
            p.setPen(_TEXT)
            row = QRectF(box.left() + 10, y, title_w, line)
            p.drawText(QRectF(box.left() + 10, y, width, line), self._title)
            self._rows.append(row)
            y += line + 4
        for keys, what in hints:
            p.setFont(key_font)
            p.setPen(_ACCENT)
            p.drawText(QRectF(box.left() + 10, y, key_w + 4, line), keys)
            p.setFont(text_font)
            p.setPen(_MUTED)
            text = QRectF(box.left() + 22 + key_w, y, text_w + 4, line)
            p.drawText(text, what)
            self._rows.append(QRectF(box.left() + 10, y, text.right() - box.left() - 10, line))
            y += line - 1

    def _paint_recording(self, p: QPainter) -> None:
        if not self._recording:
            return
        p.setFont(self._font(12, True))
        text = self._rec_text or "REC"
        w = p.fontMetrics().horizontalAdvance(text) + 44
        box = QRectF(self.width() - w - 10, 10, w, 32)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_PANEL)
        p.drawRoundedRect(box, 6, 6)
        p.setBrush(_REC)
        p.drawEllipse(QPointF(box.left() + 18, box.center().y()), 7, 7)
        p.setPen(QColor(255, 120, 120))
        p.drawText(box.adjusted(32, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_action(self, p: QPainter) -> None:
        if self._action is None or self._action.size == 0:
            return
        n = self._action.size
        labels = self._action_labels + [f"a{i}" for i in range(len(self._action_labels), n)]
        p.setFont(self._font(9))
        fm = p.fontMetrics()
        label_w = max(fm.horizontalAdvance(s) for s in labels[:n]) + 8
        bar_w, row = 140, fm.height() + 6
        box = QRectF(0, 0, label_w + bar_w + 70, 28 + n * row)
        box.moveBottomRight(QPointF(self.width() - 10, self.height() - 10))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(_PANEL)
        p.drawRoundedRect(box, 6, 6)
        p.setPen(_MUTED)
        p.drawText(QRectF(box.left() + 10, box.top() + 4, box.width(), 20), self._action_title)
        for i in range(n):
            v = float(np.clip(self._action[i], -1.0, 1.0))
            y = box.top() + 26 + i * row
            p.setPen(_TEXT)
            p.drawText(
                QRectF(box.left() + 10, y, label_w, row), Qt.AlignmentFlag.AlignVCenter, labels[i]
            )
            track = QRectF(box.left() + 10 + label_w, y + row / 2 - 5, bar_w, 10)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 40))
            p.drawRoundedRect(track, 3, 3)
            mid = track.center().x()
            fill = QRectF(min(mid, mid + v * bar_w / 2), track.top(), abs(v) * bar_w / 2, 10)
            p.setBrush(_ACCENT if v >= 0 else QColor(255, 160, 60))
            p.drawRect(fill)
            p.setPen(QPen(QColor(255, 255, 255, 160), 1))
            p.drawLine(QPointF(mid, track.top() - 2), QPointF(mid, track.bottom() + 2))
            p.setPen(_TEXT)
            p.drawText(
                QRectF(track.right() + 8, y, 50, row),
                Qt.AlignmentFlag.AlignVCenter,
                f"{float(self._action[i]):+.2f}",
            )

    def _paint_banner(self, p: QPainter) -> None:
        self._banner_box = QRectF()
        if not self._banner:
            return
        p.setFont(self._font(14, True))
        fm = p.fontMetrics()
        # One line when it fits; else wrapped to the viewport's width, never cut off at its sides.
        w = min(fm.horizontalAdvance(self._banner) + 40, max(self.width() - 20, 80))
        flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
        # The text area is a little wider than the text's advance: at exactly its width,
        # rounding wrapped one-line banners ("Time limit") onto two lines.
        text_h = fm.boundingRect(QRect(0, 0, int(w) - 36, 10_000), flags, self._banner).height()
        box = QRectF((self.width() - w) / 2, 14, w, max(38, text_h + 14))
        title = self._title_box
        if box.intersects(title):  # never over the mode's title and its hints
            if title.bottom() + 10 + box.height() <= self.height():
                box.moveTop(title.bottom() + 10)  # under them
            elif title.right() + 10 + w <= self.width():
                box.moveLeft(title.right() + 10)  # a tall list of hints: beside them
            else:
                box.moveTop(title.bottom() + 10)  # no room: below, partly out of view
        self._banner_box = box
        p.setPen(Qt.PenStyle.NoPen)
        color = QColor(self._banner_color)
        color.setAlpha(215)
        p.setBrush(color)
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box.adjusted(18, 0, -18, 0), flags, self._banner)
