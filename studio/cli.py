"""Command-line entry point: ``imitation-studio [gui|collect|inspect|train|eval|dagger|bench] ...``.

Each subcommand lives in ``studio/commands/<name>.py`` and exposes ``add_arguments(parser)`` and
``run(args) -> int``. Modules are imported only when their subcommand runs so that ``inspect`` does
not pay for torch and ``train`` does not pay for Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). The GUI is the default when no subcommand is given.
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("studio.commands.gui", "open the studio window (default)"),
    "collect": ("studio.commands.collect", "record scripted-expert demonstrations to HDF5"),
    "inspect": ("studio.commands.inspect", "summarise and validate a recordings file"),
    "train": ("studio.commands.train", "train a policy from recordings"),
    "eval": ("studio.commands.eval", "evaluate a trained policy checkpoint"),
    "dagger": ("studio.commands.dagger", "DAgger rounds: roll out, label, append, retrain"),
    "bench": ("studio.commands.bench", "measure simulation and rendering speed"),
}


def _whole_number(text: str, minimum: int, bound: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 1 (argparse exits 2 with the message otherwise)."""
    return _whole_number(text, 1, "at least 1")


def non_negative_int(text: str) -> int:
    """An argparse ``type``: a whole number >= 0 (seeds: numpy and gymnasium refuse negatives)."""
    return _whole_number(text, 0, "0 or more")


def _load(name: str):
    module_name, _ = COMMANDS[name]
    return importlib.import_module(module_name)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with one sub-parser per available command."""
    parser = argparse.ArgumentParser(
        prog="imitation-studio",
        description="Imitation Studio: drive, record, correct and train robot policies.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        try:
            module = _load(name)
        except ModuleNotFoundError as exc:
            # A subcommand whose module is not written yet must not break the others.
            if exc.name and exc.name.startswith("studio.commands"):
                continue
            raise
        p = sub.add_parser(name, help=help_text, description=module.__doc__)
        module.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    # Bare `imitation-studio` (or only GUI options) opens the window.
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["gui", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return int(_load(args.command).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
