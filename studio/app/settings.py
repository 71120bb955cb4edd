"""Persistent settings (QSettings): last file, scene, key and pad bindings, window layout.

The speed is not remembered: every launch starts at 1× (a session that ended in slow motion
must not make the next one look broken).

Tests pass their own ``QSettings`` (an INI file in a temporary folder) so the user's settings are
never read or written by them.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "ImitationStudio"
APPLICATION = "ImitationStudio"


class AppSettings:
    """Typed access to the studio's QSettings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings(ORGANIZATION, APPLICATION)

    def _get(self, key: str, default: Any = None) -> Any:
        return self.qsettings.value(key, default)

    @property
    def last_file(self) -> str:
        """The recordings file open when the studio last closed ("" for none)."""
        return str(self._get("recordings/last_file", "") or "")

    @last_file.setter
    def last_file(self, path: str) -> None:
        self.qsettings.setValue("recordings/last_file", path)

    @property
    def scene(self) -> str:
        """The last scene id ("" for the default)."""
        return str(self._get("scene/id", "") or "")

    @scene.setter
    def scene(self, env_id: str) -> None:
        self.qsettings.setValue("scene/id", env_id)

    @property
    def shadows(self) -> bool:
        """Render shadows. Off by default: on software GL (no GPU, as on many student laptops
        and every CI box) shadows double the render time and push frames past 16.7 ms."""
        return str(self._get("view/shadows", "false")).lower() == "true"

    @shadows.setter
    def shadows(self, value: bool) -> None:
        self.qsettings.setValue("view/shadows", "true" if value else "false")

    def bindings(self, env_id: str) -> dict[str, Any] | None:
        """Saved driving keys of a scene (``KeyBindings.to_dict()``), or None."""
        raw = self._get(f"bindings/{env_id.replace('/', '_')}")
        try:
            return json.loads(raw) if raw else None
        except (TypeError, ValueError):
            return None  # corrupt entry: fall back to the defaults

    def set_bindings(self, env_id: str, data: dict[str, Any]) -> None:
        """Save a scene's key bindings."""
        self.qsettings.setValue(f"bindings/{env_id.replace('/', '_')}", json.dumps(data))

    def command_bindings(self) -> dict[str, Any] | None:
        """Saved command keys and pad buttons (``CommandBindings.to_dict()``), or None."""
        return self._json("commands/bindings")

    def set_command_bindings(self, data: dict[str, Any]) -> None:
        """Save the command keys and pad buttons."""
        self.qsettings.setValue("commands/bindings", json.dumps(data))

    def _json(self, key: str) -> dict[str, Any] | None:
        raw = self._get(key)
        try:
            value = json.loads(raw) if raw else None
        except (TypeError, ValueError):
            return None  # corrupt entry: fall back to the defaults
        return value if isinstance(value, dict) else None

    def gamepad_bindings(self) -> dict[str, Any] | None:
        """Saved ``GamepadBindings.to_dict()``, or None."""
        raw = self._get("gamepad/bindings")
        try:
            return json.loads(raw) if raw else None
        except (TypeError, ValueError):
            return None

    def set_gamepad_bindings(self, data: dict[str, Any]) -> None:
        """Save the gamepad bindings."""
        self.qsettings.setValue("gamepad/bindings", json.dumps(data))

    def window_layout(self) -> tuple[QByteArray | None, QByteArray | None]:
        """Saved ``(geometry, state)`` of the main window."""
        return self._get("window/geometry"), self._get("window/state")

    def set_window_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        """Save the main window's geometry and dock layout."""
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def sync(self) -> None:
        """Write to disk now."""
        self.qsettings.sync()
