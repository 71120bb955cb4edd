"""The ``gui`` subcommand explains a missing display instead of letting Qt abort."""

from __future__ import annotations

import argparse
import sys

import pytest

from studio.commands import gui


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux display variables")
def test_no_display_prints_a_hint(monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    parser = argparse.ArgumentParser()
    gui.add_arguments(parser)
    assert gui.run(parser.parse_args([])) == 2
    err = capsys.readouterr().err
    assert "xvfb-run" in err and "QT_QPA_PLATFORM=offscreen" in err


def test_speed_out_of_range_is_refused(capsys):
    parser = argparse.ArgumentParser()
    gui.add_arguments(parser)
    assert gui.run(parser.parse_args(["--speed", "5"])) == 2
    assert "--speed" in capsys.readouterr().err
