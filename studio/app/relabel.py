"""Relabel in slow motion: the person's keys or stick at each frame of a rollout become labels.

A policy's recorded rollout is opened in playback and ``L`` enters the relabel mode. Playing
(Space; usually at 0.25×, the window's one speed) replays the exact recorded states; at each
frame the playback passes, the person's current command becomes that frame's label: the
stick while it is moved, else the held driving keys at full command (not ramped as when
driving live: a key held while a frame passes means that command there; Shift scales it).
The executed actions stay as they were.
Scrubbing back (``,`` one second, or the timeline) and playing again re-does a stretch: its
labels are replaced. ``Return`` saves a new ``relabel`` demo with ``labels`` and ``parent`` =
the rollout (see ``Recorder.write_relabel``); ``Esc`` gives up.

People react 0.2-0.3 s late even in slow motion: a reaction-time offset (``-`` / ``=``, 0.05 s
steps, or measured by ``T``'s calibration) gives each label to the frame shown that long
before (``offset × speed`` of rollout time, so fewer frames in slow motion), and the status bar
and the save message say so.

The timeline's strip shows the labelled frames (green), who drove each frame of a take-over
rollout (blue: the person), and the policy's per-frame uncertainty or its distance from the
person (orange). ``F`` jumps to the start of the stretch where the curve is highest above its
threshold among those not labelled yet (:mod:`algorithms.uncertainty`), so the frames that
matter are labelled first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject

from recordings import Provenance, RecordingError
from studio.app.calibration import ReactionCalibration
from studio.app.modes import Mode

if TYPE_CHECKING:
    from studio.app.window import MainWindow

OFFSET_STEP = 0.05  # seconds per press of the offset keys
REWIND_SECONDS = 1.0
LABELLED, PERSON = "#5cd17a", "#4aa8ff"


class RelabelWiring(QObject):
    """The relabel mode's commands, the labels being given, and the timeline's strip."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.parent_name = ""
        self.episode: Any = None
        self.labels: np.ndarray = np.zeros((0, 0))
        self.offset = 0.0
        """The person's reaction time in wall-clock seconds: each label goes to the frame shown
        this long before it was given (``offset × speed`` of rollout time: fewer frames in slow
        motion)."""
        self.base: np.ndarray = np.zeros((0, 0))
        """Labels saved earlier for the rollout (continued, not shifted again)."""
        self.replaces: str | None = None
        """The relabel demo the next save replaces."""
        self.curve: np.ndarray | None = None
        self.curve_name = ""
        self._last = 0
        c = window.controller
        live = c._handlers["live"]
        c.set_handler("relabel", self.start)
        c.set_handler("save_labels", self.save)
        c.set_handler("rewind", self.rewind)
        c.set_handler("next_flagged", self.jump_to_flagged)
        self.calibration = ReactionCalibration(window)
        self.calibration.finished.connect(self._on_calibrated)
        c.set_handler("calibrate", self.calibration.start)
        c.set_handler("offset_more", lambda: self.set_offset(self.offset + OFFSET_STEP))
        c.set_handler("offset_less", lambda: self.set_offset(self.offset - OFFSET_STEP))
        c.set_handler("live", lambda: self.stop() if window.mode is Mode.RELABEL else live())
        window.playback.frame_changed.connect(self._on_frame)
        window.playback.playing_changed.connect(self._on_playing)
        c.playback_loaded.connect(self.show_strip)

    # ----------------------------------------------------------------------------- session
    @property
    def labelled(self) -> np.ndarray:
        """``(N,)`` whether each frame has a label (given now, or saved earlier)."""
        return np.isfinite(self.merged()).all(axis=1) if self.labels.size else np.zeros(0, bool)

    def merged(self) -> np.ndarray:
        """The labels to save: earlier ones, overwritten where labels were given now (moved
        already moved earlier by the reaction-time offset)."""
        new = self.labels
        if self.base.shape != new.shape:
            return new
        out = self.base.copy()
        given = np.isfinite(new).all(axis=1)
        out[given] = new[given]
        return out

    def start(self) -> bool:
        """Relabel the rollout shown in playback (``L``).

        A rollout that already has a relabel demo (or that demo itself) continues from its
        labels; saving then replaces that demo, so each rollout has one set of labels.
        """
        w = self.w
        pb = w.playback
        info = getattr(pb.episode, "info", None)
        source = getattr(info, "source", "")
        if source == "relabel" and info is not None and info.parent in w.recorder.demos:
            parent, earlier = str(info.parent), pb.name
        elif source == "policy":
            parent, earlier = pb.name, self._relabel_of(pb.name)
        else:
            w.presenter.refused(
                "Relabelling corrects a policy's rollout: play a demo recorded with the policy"
                " driving (Policy ▸ Let the policy drive, then record)"
            )
            return False
        pb.pause()
        self.parent_name, self.episode, self.replaces = parent, pb.episode, earlier
        self.labels = np.full(np.shape(pb.episode.actions), np.nan)
        self.base = np.full_like(self.labels, np.nan)
        if earlier is not None:
            old = pb.episode if earlier == pb.name else w.recorder.episode(earlier)
            if old.labels is not None:
                self.base = np.asarray(old.labels, dtype=np.float64)
        self._last = pb.index
        w.inputs.release_all()
        w.modes.go(Mode.RELABEL)
        self.show_strip()
        play, save = w.commands.key_text("play_pause"), w.commands.key_text("save_labels")
        more = f" (continuing {earlier}'s labels)" if earlier else ""
        w.statusBar().showMessage(
            f"Relabelling {parent}{more} at {pb.speed:g}×: {play} plays, hold the driving keys"
            f" to label, {save} saves",
            10000,
        )
        return True

    def _relabel_of(self, rollout: str) -> str | None:
        """The newest relabel demo of ``rollout`` in the file, if any."""
        rec = self.w.recorder
        names = rec.demos
        found = [i.name for i in rec.infos(names) if i.source == "relabel" and i.parent == rollout]
        return found[-1] if found else None

    def stop(self) -> None:
        """Give up relabelling (Esc): back to playback, the labels dropped."""
        w = self.w
        n = int(self.labelled.sum())
        self.calibration.cancel()
        w.playback.pause()
        w.modes.go(Mode.PLAYBACK)
        self.labels = np.zeros((0, 0))
        w.inputs.release_all()
        self.show_strip()
        w.statusBar().showMessage(f"Relabelling stopped; {n} labels dropped", 8000)

    def offset_frames(self) -> int:
        """The reaction-time offset in frames at the current speed (``offset × speed / dt``):
        a person 0.25 s late at 0.25× is late by 0.0625 s of the rollout."""
        w = self.w
        return round(self.offset * w.playback.speed / w.scene.env.control_dt)

    def set_offset(self, seconds: float) -> None:
        """Set the reaction-time offset (0 to 1 s)."""
        self.offset = float(np.clip(round(seconds, 3), 0.0, 1.0))
        self.w.statusBar().showMessage(
            f"Reaction-time offset {self.offset:.2f} s: at {self.w.playback.speed:g}× each"
            f" label goes {self.offset_frames()} frames earlier",
            6000,
        )

    def _on_calibrated(self, seconds: float) -> None:
        self.set_offset(seconds)
        times = ", ".join(f"{t:.2f}" for t in self.calibration.times)
        self.w.statusBar().showMessage(
            f"Reaction time {self.offset:.2f} s (median of {times} s): at"
            f" {self.w.playback.speed:g}× each label goes {self.offset_frames()} frames earlier",
            10000,
        )

    def save(self) -> str | None:
        """Save the labels as a relabel demo of the rollout; returns its name."""
        w = self.w
        labels = self.merged()
        n = int(np.isfinite(labels).all(axis=1).sum())
        if n == 0:
            w.presenter.refused("No labels yet: play the rollout and hold the driving keys")
            return None
        self.calibration.cancel()
        w.playback.pause()
        attrs = {"label_offset_s": self.offset, "labelled_steps": n}
        try:
            name = w.recorder.write_relabel(self.parent_name, self.episode, labels, attrs)
        except (RecordingError, ValueError) as exc:
            w.warn("Relabel", f"Could not save the labels: {exc}")
            return None
        shift = ""
        if self.replaces is not None and self.replaces in w.recorder.demos:
            w.session.guarded(lambda: w.recorder.delete([str(self.replaces)]))
            shift = f"; replaces {self.replaces}"
        if self.offset:
            shift += f"; labels given {self.offset:.2f} s (reaction time) earlier"
        self.labels = np.zeros((0, 0))
        w.modes.go(Mode.PLAYBACK)
        w.controller.play(name, w.recorder.episode(name))
        w.statusBar().showMessage(
            f"Saved {name}: {n} labelled steps of {self.parent_name}{shift}", 10000
        )
        return name

    # ----------------------------------------------------------------------------- labelling
    def _on_playing(self, playing: bool) -> None:
        if playing:
            self._last = self.w.playback.index

    def _on_frame(self, index: int) -> None:
        w = self.w
        if w.mode is not Mode.RELABEL or not self.labels.size:
            return
        pb = w.playback
        if pb.playing and index > self._last:
            command = np.asarray(w.inputs.label(), dtype=np.float64)
            k = self.offset_frames()  # the person reacted to what was shown k frames ago
            self.labels[max(self._last - k, 0) : max(index - k, 0)] = command
            if index >= pb.length - 1:
                self.labels[max(index - k, 0) : index + 1] = command
            self.show_strip()
        self._last = index

    def rewind(self) -> None:
        """Back one second, paused: play again to redo the stretch."""
        pb = self.w.playback
        pb.step(-round(REWIND_SECONDS / self.w.scene.env.control_dt))

    # ----------------------------------------------------------------------------- the strip
    def show_strip(self, *_args: Any) -> None:
        """Draw the timeline's strip for the demo shown (labels, who drove, the curve)."""
        w = self.w
        ep = w.playback.episode
        if ep is None:
            w.timeline.set_strip()
            return
        bands = []
        person = np.asarray(ep.provenance) == Provenance.HUMAN
        source = getattr(ep.info, "source", "")
        if source == "policy" and person.any():
            bands.append(("person drove", person, PERSON))
        labels = self.merged() if w.mode is Mode.RELABEL and self.labels.size else ep.labels
        if labels is not None and np.size(labels):
            bands.append(("labelled", np.isfinite(labels).all(axis=1), LABELLED))
        self.curve, self.curve_name = self._curve(ep)
        threshold = None if self.curve is None else _threshold(self.curve)
        w.timeline.set_strip(bands, self.curve, self.curve_name, threshold)

    def _curve(self, ep: Any) -> tuple[np.ndarray | None, str]:
        """The per-frame curve: the loaded policy's uncertainty (for GAIL, 1 − D(s, a)) when it
        can say it, else its distance from the executed action where it was stored (a
        take-over)."""
        found = self.w.learning.uncertainty(ep)
        if found is not None:
            return found
        pa = getattr(ep, "policy_actions", None)
        if pa is not None:
            gap = np.linalg.norm(np.asarray(pa) - np.asarray(ep.actions), axis=1)
            if np.isfinite(gap).any() and np.nanmax(gap) > 0:
                return gap, "|policy − executed|"
        return None, ""

    def jump_to_flagged(self) -> None:
        """``F``: to the start of the highest flagged stretch not labelled yet."""
        w = self.w
        if self.curve is None:
            w.presenter.refused(
                "Nothing to flag: load the policy that drove this rollout (Policy ▸ Load)"
            )
            return
        done = self.labelled if w.mode is Mode.RELABEL else None
        from algorithms.uncertainty import next_flagged  # algorithms loads torch: not at start

        index = next_flagged(self.curve, _threshold(self.curve), done)
        if index is None:
            w.statusBar().showMessage("Every flagged stretch is labelled", 6000)
            return
        w.playback.step(index - w.playback.index)


def _threshold(curve: np.ndarray) -> float:
    from algorithms.uncertainty import flag_threshold

    return flag_threshold(curve)
