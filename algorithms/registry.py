"""A small explicit registry ``name -> (Config dataclass, Algorithm class)``.

Filled by the ``@register("bc", BCConfig)`` decorator on each algorithm class (after imitation's
``util/registry.py``); a duplicate name raises. Three algorithms are registered today: ``bc``
(behaviour cloning with an mse, gaussian or gmm head), ``cvae`` (conditional VAE with action
chunks) and ``gail`` (GAIL with PPO, which brings its own trainer: ``algorithm_cls.trainer``).
DAgger is a loop over BC (:mod:`algorithms.dagger`), not a registered algorithm. There is no GUI
training form yet. The CLI lists
the settings from ``dataclasses.fields(get(name).config_cls)`` (``train --list-settings``) and
parses ``--set key=value`` overrides with :func:`make_config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T", bound=type)


class Entry(NamedTuple):
    """One registered algorithm."""

    name: str
    config_cls: type
    algorithm_cls: type


_REGISTRY: dict[str, Entry] = {}


def register(name: str, config_cls: type) -> Callable[[T], T]:
    """Class decorator that registers an algorithm under ``name`` with its config dataclass.

    Raises:
        ValueError: ``name`` is already registered or ``config_cls`` is not a dataclass.
    """
    if not dataclasses.is_dataclass(config_cls):
        raise ValueError(f"config for {name!r} must be a dataclass, got {config_cls!r}")

    def decorator(cls: T) -> T:
        if name in _REGISTRY:
            raise ValueError(
                f"algorithm {name!r} is already registered ({_REGISTRY[name].algorithm_cls!r})"
            )
        _REGISTRY[name] = Entry(name, config_cls, cls)
        cls.name = name  # type: ignore[attr-defined]
        return cls

    return decorator


def get(name: str) -> Entry:
    """Return the registry entry for ``name``; unknown names raise ``ValueError``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; known: {', '.join(names())}") from None


def names() -> list[str]:
    """Registered algorithm names, in registration order."""
    return list(_REGISTRY)


def name_of(cfg: Any) -> str:
    """The registered name whose config class is ``type(cfg)``."""
    for entry in _REGISTRY.values():
        if type(cfg) is entry.config_cls:
            return entry.name
    raise ValueError(f"{type(cfg).__name__} is not the config of a registered algorithm")


def _parse_value(text: str, default: Any, key: str) -> Any:
    """Parse ``text`` into the type of ``default`` (bool, int, float, str or tuple of ints)."""
    try:
        if isinstance(default, bool):
            low = text.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if isinstance(default, int):
            return int(text)
        if isinstance(default, float):
            return float(text)
        if isinstance(default, tuple):
            parts = [p for p in text.replace("(", "").replace(")", "").split(",") if p.strip()]
            return tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(
            f"{key}={text!r}: expected {type(default).__name__} like {default!r}"
        ) from None
    return text


def make_config(name: str, overrides: dict[str, Any] | None = None) -> Any:
    """Build the config of algorithm ``name`` from its defaults plus ``overrides``.

    String values are parsed into the field's type (``"256,256"`` -> ``(256, 256)``), so the
    CLI's ``--set key=value`` pairs can be passed straight through.

    Raises:
        ValueError: unknown key, unparsable value, or a value the config rejects.
    """
    cls = get(name).config_cls
    defaults = cls()
    known = {f.name for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if key not in known:
            raise ValueError(f"{name} has no setting {key!r}; settings: {', '.join(sorted(known))}")
        default = getattr(defaults, key)
        if isinstance(value, str) and not isinstance(default, str):
            value = _parse_value(value, default, key)
        elif isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        values[key] = value
    return cls(**values)


def config_to_dict(cfg: Any) -> dict[str, Any]:
    """A JSON-able dict of a config (tuples become lists)."""
    return {
        f.name: list(v) if isinstance(v := getattr(cfg, f.name), tuple) else v
        for f in dataclasses.fields(cfg)
    }
