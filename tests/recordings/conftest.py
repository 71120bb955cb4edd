"""Set-up for the recordings tests (helpers live in ``rec_synth.py``)."""

from __future__ import annotations
