"""Set-up for the recordings tests (helpers live in ``rec_synth.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

# pytest's "prepend" import mode puts tests/ on sys.path, where this folder (no __init__.py)
# would shadow the real `recordings` package as a namespace package: the editable install's
# finder runs after sys.path. A regular package anywhere on sys.path wins, so add the repo root.
# (`pythonpath = ["."]` in pyproject's pytest options would fix this for every test folder.)
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)
if getattr(sys.modules.get("recordings"), "__file__", "") is None:
    del sys.modules["recordings"]
