"""`imitation-studio bench` refuses numbers that cannot measure anything."""

from __future__ import annotations

import pytest

from studio.cli import main


@pytest.mark.parametrize("option", ["--steps", "--frames", "--episodes", "--repeats"])
def test_bench_rejects_non_positive_numbers(capsys, option) -> None:
    assert main(["bench", option, "0"]) == 2
    assert f"{option} must be at least 1" in capsys.readouterr().err
