"""Fixtures for the algorithms tests (helpers live in ``algo_helpers.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest's default "prepend" import mode puts tests/ on sys.path, and this folder, having no
# __init__.py, would then shadow the real package as a namespace package called `algorithms`
# (the editable install's finder comes after sys.path). A regular package found anywhere on
# sys.path wins over a namespace portion, so putting the repository root there is enough.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("algorithms"), "__file__", "") is None:
    del sys.modules["algorithms"]

import pytest  # noqa: E402
from algo_helpers import linear_demos  # noqa: E402

import algorithms  # noqa: E402


@pytest.fixture
def tiny_data() -> algorithms.DemoData:
    return linear_demos()
