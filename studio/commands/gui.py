"""Open the studio window: drive a scene, record demonstrations, play them back."""

from __future__ import annotations

import argparse
import os
import signal
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``imitation-studio gui``."""
    parser.add_argument("--scene", metavar="ID", help="scene id (default: the last one, arm push)")
    parser.add_argument("--file", metavar="DEMOS.h5", help="recordings file to open or create")
    parser.add_argument(
        "--speed", type=float, help="time dilation (live and playback), 0.1 to 2 (default 1)"
    )
    parser.add_argument("--seed", type=int, help="seed of the first episode")


def _no_display() -> str | None:
    """Why Qt could not open a window here, or None when it can (Linux without a display)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "imitation-studio: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
        "  Run it in a virtual display:   xvfb-run -a imitation-studio\n"
        "  or without any window:         QT_QPA_PLATFORM=offscreen imitation-studio\n"
        "  (over ssh, connect with `ssh -X` to show the window on your machine)."
    )


def run(args: argparse.Namespace) -> int:
    """Open the main window and run the Qt event loop; returns the exit status."""
    problem = _no_display()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    from studio.app.clock import MAX_SPEED, MIN_SPEED

    if args.speed is not None and not MIN_SPEED <= args.speed <= MAX_SPEED:
        print(
            f"imitation-studio: --speed must be in [{MIN_SPEED:g}, {MAX_SPEED:g}], "
            f"not {args.speed}",
            file=sys.stderr,
        )
        return 2
    os.environ.setdefault("MUJOCO_GL", "egl")
    os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.app import MainWindow
    from studio.app.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    try:
        window = MainWindow(
            scene=args.scene, recordings=args.file, speed=args.speed, seed=args.seed
        )
    except ValueError as exc:  # unknown scene id
        print(f"imitation-studio: {exc}", file=sys.stderr)
        return 2
    window.show()
    # Ctrl+C in the terminal closes the window the normal way, so a recording is committed.
    # Python runs signal handlers only between bytecodes: a idle timer gives it the chance.
    signal.signal(signal.SIGINT, lambda *_: window.close())
    tick = QTimer()
    tick.start(200)
    tick.timeout.connect(lambda: None)
    return int(app.exec())
