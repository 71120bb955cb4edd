"""The studio's mode: one state machine, its transition table and a signal when it changes.

Every part of the window reads the mode from here (which commands are available, what the
overlay says, whether the control loop steps); nothing keeps a copy. A new mode (policy
driving, relabel, take-over) is a new :class:`Mode` member, a row of :data:`TRANSITIONS` and
the modes its commands list.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, Signal


class Mode(Enum):
    """What the studio is doing."""

    LIVE = "live"
    """The person drives; nothing is written."""
    RECORDING = "recording"
    """The person drives and every control step is written to the recordings file."""
    PENDING = "pending"
    """A recorded episode ended; the scene waits until the person keeps or discards it."""
    PLAYBACK = "playback"
    """A recorded demo is shown from its exact states; the control loop is stopped."""
    POLICY = "policy"
    """A loaded policy drives; nothing is written. Recording from here records the policy's
    episode (``source=policy``): the mode is then RECORDING with the policy at the wheel."""
    RELABEL = "relabel"
    """A policy's recorded rollout replays (usually in slow motion) and the person's keys or
    stick at each frame become that frame's action label (``relabel.py``); the control loop is
    stopped."""

    @property
    def drives_scene(self) -> bool:
        """Whether the control loop steps the live env in this mode."""
        return self in (Mode.LIVE, Mode.RECORDING, Mode.POLICY)

    @property
    def reads_controls(self) -> bool:
        """Whether held driving keys and the stick count now (driving, or giving labels)."""
        return self.drives_scene or self is Mode.RELABEL

    @property
    def replays(self) -> bool:
        """Whether a recorded demo is shown from its states (playback, relabelling)."""
        return self in (Mode.PLAYBACK, Mode.RELABEL)

    @property
    def title(self) -> str:
        """Human name (overlay, status bar)."""
        return _TITLES[self]


_TITLES = {
    Mode.LIVE: "Live",
    Mode.RECORDING: "Recording",
    Mode.PENDING: "Keep or discard?",
    Mode.PLAYBACK: "Playback",
    Mode.POLICY: "Policy driving",
    Mode.RELABEL: "Relabelling",
}

TRANSITIONS: dict[Mode, frozenset[Mode]] = {
    Mode.LIVE: frozenset({Mode.RECORDING, Mode.PLAYBACK, Mode.POLICY}),
    # Stopped with steps: ask; discarded, or stopped before the first step: back to whoever
    # drove (the person: live; a policy: policy driving).
    Mode.RECORDING: frozenset({Mode.PENDING, Mode.LIVE, Mode.POLICY}),
    # Only the person's keep or discard leaves this mode (issue 9, bug 1).
    Mode.PENDING: frozenset({Mode.LIVE, Mode.POLICY}),
    Mode.PLAYBACK: frozenset({Mode.LIVE, Mode.RELABEL}),
    # Saved or given up: back to playback (or live, e.g. the scene is replaced).
    Mode.RELABEL: frozenset({Mode.PLAYBACK, Mode.LIVE}),
    # Recording a policy episode, or handing the wheel back to the person.
    Mode.POLICY: frozenset({Mode.LIVE, Mode.RECORDING}),
}


class ModeError(RuntimeError):
    """A transition the table does not allow."""


class ModeMachine(QObject):
    """Holds the current :class:`Mode` and enforces :data:`TRANSITIONS`.

    Signals:
        mode_changed(new, old): the mode changed (both :class:`Mode`).
    """

    mode_changed = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._mode = Mode.LIVE

    @property
    def mode(self) -> Mode:
        """The current mode."""
        return self._mode

    def can(self, target: Mode) -> bool:
        """Whether :meth:`go` to ``target`` is allowed now (staying put always is)."""
        return target is self._mode or target in TRANSITIONS[self._mode]

    def go(self, target: Mode) -> None:
        """Change to ``target``; raises :class:`ModeError` when the table forbids it."""
        if target is self._mode:
            return
        if target not in TRANSITIONS[self._mode]:
            raise ModeError(f"cannot go from {self._mode.value} to {target.value}")
        old, self._mode = self._mode, target
        self.mode_changed.emit(target, old)
