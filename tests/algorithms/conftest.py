"""Fixtures for the algorithms tests (helpers live in ``algo_helpers.py``)."""

from __future__ import annotations

import pytest
from algo_helpers import linear_demos

import algorithms


@pytest.fixture
def tiny_data() -> algorithms.DemoData:
    return linear_demos()
