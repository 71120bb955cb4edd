"""The studio's command vocabulary: every command once, with its title, keys and pad buttons.

Menus, the toolbar, the keyboard, the gamepad, the overlay hints and the help panel (F1) are all
built from :data:`COMMANDS` through a :class:`CommandBindings`, so they cannot disagree. A key or
button means the command that is available in the current mode: Space records while driving
and plays/pauses in playback. Bindings are read from and saved to settings as JSON.

Key names are Qt's portable names (``QKeySequence.toString()``: ``"Up"``, ``"Space"``, ``"["``).
Names with a modifier (``"Ctrl+O"``) become menu shortcuts; plain keys are dispatched by the
keyboard filter, which sees them whatever widget has focus.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from studio.app.modes import Mode
from studio.gamepad_mapping import Button

_ALL = frozenset(Mode)
_DRIVING = frozenset({Mode.LIVE, Mode.RECORDING, Mode.POLICY})
_NO_EPISODE = frozenset({Mode.LIVE, Mode.PLAYBACK})  # the file may change: no episode is open
_REPLAY = frozenset({Mode.PLAYBACK, Mode.RELABEL})


@dataclass(frozen=True)
class Command:
    """One thing a person can ask the studio to do."""

    id: str
    title: str
    """Menu text and help description."""
    keys: tuple[str, ...] = ()
    """Default keys."""
    pad: tuple[int, ...] = ()
    """Default gamepad buttons (:class:`studio.gamepad_mapping.Button` numbers)."""
    modes: frozenset[Mode] = _ALL
    """Modes in which the command is available (menus grey it out elsewhere)."""
    menu: str = ""
    """Menu that lists it ("" for none)."""
    hint: bool = False
    """Shown in the viewport's short list of hints."""


COMMANDS: tuple[Command, ...] = (
    Command("new_file", "&New recordings file…", ("Ctrl+N",), modes=_NO_EPISODE, menu="File"),
    Command("open_file", "&Open recordings file…", ("Ctrl+O",), modes=_NO_EPISODE, menu="File"),
    Command("quit", "&Quit", ("Ctrl+Q",), menu="File"),
    Command(
        "record",
        "Start / stop recording",
        ("Space",),
        (Button.A,),
        _DRIVING,
        "Episode",
        hint=True,
    ),
    Command(
        "keep",
        "Keep the episode",
        ("Return", "Enter"),
        (Button.X,),
        frozenset({Mode.PENDING}),
        "Episode",
        hint=True,
    ),
    Command(
        "discard",
        "Discard the episode",
        ("Backspace", "Del"),
        (Button.B,),
        frozenset({Mode.RECORDING, Mode.PENDING}),
        "Episode",
        hint=True,
    ),
    Command(
        "reset",
        "Reset the episode",
        ("R",),
        (Button.Y,),
        _DRIVING,
        "Episode",
        hint=True,
    ),
    Command(
        "pause",
        "Pause / resume",
        ("P",),
        (Button.START,),
        frozenset({Mode.LIVE, Mode.RECORDING, Mode.PLAYBACK, Mode.POLICY}),
        "Episode",
    ),
    Command("slower", "Slower", ("[",), (Button.DPAD_DOWN,), menu="View", hint=True),
    Command("faster", "Faster", ("]",), (Button.DPAD_UP,), menu="View", hint=True),
    Command(
        "play_pause",
        "Play / pause",
        ("Space",),
        (Button.A,),
        _REPLAY,
        "Playback",
        hint=True,
    ),
    Command(
        "step_back",
        "Previous frame",
        ("Left", "A", ","),
        (Button.DPAD_LEFT,),
        frozenset({Mode.PLAYBACK}),
        "Playback",
        hint=True,
    ),
    Command(
        "step_forward",
        "Next frame",
        ("Right", "D", "."),
        (Button.DPAD_RIGHT,),
        frozenset({Mode.PLAYBACK}),
        "Playback",
        hint=True,
    ),
    Command(
        "live",
        "Back to live driving (relabelling: stop, labels dropped)",
        ("Esc",),
        (Button.B,),
        frozenset({Mode.PLAYBACK, Mode.POLICY, Mode.RELABEL}),
        "Playback",
        hint=True,
    ),
    Command(
        "load_policy",
        "&Load a policy checkpoint…",
        ("Ctrl+L",),
        modes=frozenset({Mode.LIVE, Mode.POLICY}),
        menu="Policy",
    ),
    Command(
        "drive_policy",
        "Let the policy drive",
        ("G",),
        modes=frozenset({Mode.LIVE}),
        menu="Policy",
        hint=True,
    ),
    Command(
        "relabel",
        "Relabel this rollout (your keys become its labels)",
        ("L",),
        modes=frozenset({Mode.PLAYBACK}),
        menu="Playback",
        hint=True,
    ),
    Command(
        "save_labels",
        "Save the labels (a relabel demo of the rollout)",
        ("Return", "Enter"),
        (Button.X,),
        frozenset({Mode.RELABEL}),
        "Playback",
        hint=True,
    ),
    Command(
        "rewind",
        "Back one second (to redo a stretch)",
        (",", "PgUp"),
        (Button.DPAD_LEFT,),
        frozenset({Mode.RELABEL}),
        "Playback",
        hint=True,
    ),
    Command(
        "next_flagged",
        "Next flagged frame (the policy is least sure)",
        ("F",),
        modes=_REPLAY,
        menu="Playback",
        hint=True,
    ),
    Command(
        "calibrate",
        "Measure your reaction time (sets the offset)",
        ("T",),
        modes=frozenset({Mode.RELABEL}),
        menu="Playback",
    ),
    Command(
        "offset_more",
        "Reaction-time offset +0.05 s",
        ("=",),
        modes=frozenset({Mode.RELABEL}),
        menu="Playback",
    ),
    Command(
        "offset_less",
        "Reaction-time offset −0.05 s",
        ("-",),
        modes=frozenset({Mode.RELABEL}),
        menu="Playback",
    ),
    Command(
        "ask_for_help",
        "The policy asks for help when unsure (on / off)",
        ("H",),
        modes=frozenset({Mode.POLICY, Mode.RECORDING}),
        menu="Policy",
    ),
    Command("camera_reset", "Reset the camera", ("C",), menu="View"),
    Command("help", "Show / hide the help", ("F1",), menu="Help", hint=True),
)
"""Every command, in menu order."""

BY_ID: dict[str, Command] = {c.id: c for c in COMMANDS}


def button_name(button: int) -> str:
    """A pad button's name in the Xbox layout (``"A"``, ``"Start"``, ``"D-pad up"``)."""
    try:
        name = Button(int(button)).name
    except ValueError:
        return f"button {button}"
    names = {"LEFT_SHOULDER": "LB", "RIGHT_SHOULDER": "RB", "LEFT_STICK": "LS", "RIGHT_STICK": "RS"}
    if name in names:
        return names[name]
    if name.startswith("DPAD_"):
        return "D-pad " + name.removeprefix("DPAD_").lower()
    return name if len(name) == 1 else name.capitalize()


def is_shortcut(key: str) -> bool:
    """Whether a key name carries a modifier (a menu shortcut, not a driving-time key)."""
    return "+" in key.rstrip("+")


class CommandBindings:
    """Keys and pad buttons of every command, with the mode-aware lookups built on them.

    Raises ``ValueError`` (from the constructor and :meth:`from_dict`) when one key or button
    would mean two commands in the same mode, or a command id is unknown.
    """

    def __init__(
        self,
        keys: Mapping[str, Iterable[str]] | None = None,
        pad: Mapping[str, Iterable[int]] | None = None,
    ) -> None:
        self.keys: dict[str, tuple[str, ...]] = {c.id: c.keys for c in COMMANDS}
        self.pad: dict[str, tuple[int, ...]] = {c.id: c.pad for c in COMMANDS}
        for cid, values in (keys or {}).items():
            self._check_id(cid)
            self.keys[cid] = tuple(str(k) for k in values)
        for cid, values in (pad or {}).items():
            self._check_id(cid)
            self.pad[cid] = tuple(int(b) for b in values)
        self._by_key = self._index(self.keys)
        self._by_button = self._index(self.pad)

    @staticmethod
    def _check_id(cid: str) -> None:
        if cid not in BY_ID:
            raise ValueError(f"unknown command {cid!r}")

    @staticmethod
    def _index(table: Mapping[str, tuple[Any, ...]]) -> dict[tuple[Any, Mode], str]:
        index: dict[tuple[Any, Mode], str] = {}
        for cid, values in table.items():
            for value in values:
                for mode in BY_ID[cid].modes:
                    other = index.setdefault((value, mode), cid)
                    if other != cid:
                        raise ValueError(
                            f"{value!r} means both {other!r} and {cid!r} in {mode.value} mode"
                        )
        return index

    # ----------------------------------------------------------------------------- lookups
    def for_key(self, key: str, mode: Mode) -> str | None:
        """The command a key means in ``mode`` (None: not a command key there)."""
        return self._by_key.get((key, mode))

    def for_button(self, button: int, mode: Mode) -> str | None:
        """The command a pad button means in ``mode``."""
        return self._by_button.get((int(button), mode))

    def is_command_key(self, key: str) -> bool:
        """Whether ``key`` is a command key in some mode."""
        return any(k == key for k, _ in self._by_key)

    def is_command_button(self, button: int) -> bool:
        """Whether a pad button is a command in some mode."""
        return any(b == int(button) for b, _ in self._by_button)

    def key_text(self, cid: str) -> str:
        """``"Backspace / Del"``: the keys of a command for menus and hints."""
        return " / ".join(self.keys.get(cid, ()))

    def help_rows(
        self, modes: Iterable[Mode], *, hints_only: bool = False
    ) -> list[tuple[str, str]]:
        """``(keys, title)`` rows of the commands available in any of ``modes``."""
        wanted = set(modes)
        return [
            (self.key_text(c.id), c.title.replace("&", ""))
            for c in COMMANDS
            if self.keys.get(c.id)
            and c.modes & wanted
            and (c.hint or not hints_only)
            and not any(is_shortcut(k) for k in self.keys[c.id])
        ]

    def pad_rows(self) -> list[tuple[str, str]]:
        """``(button, title)`` rows for the help panel."""
        return [
            (" / ".join(button_name(b) for b in self.pad[c.id]), c.title.replace("&", ""))
            for c in COMMANDS
            if self.pad.get(c.id)
        ]

    # ----------------------------------------------------------------------------- settings
    def to_dict(self) -> dict[str, Any]:
        """JSON-able form: only what differs from the defaults."""
        return {
            "keys": {cid: list(v) for cid, v in self.keys.items() if v != BY_ID[cid].keys},
            "pad": {cid: list(v) for cid, v in self.pad.items() if v != BY_ID[cid].pad},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> CommandBindings:
        """Inverse of :meth:`to_dict` (None or empty: the defaults)."""
        data = data or {}
        return cls(data.get("keys") or {}, data.get("pad") or {})
