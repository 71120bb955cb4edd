"""Reusable Qt views: the viewport, the playback timeline, the demos table and status views.

What exists: :mod:`widgets.viewport` (frames with overlays, mouse gestures),
:mod:`widgets.timeline` (scrubber, transport buttons, a pyqtgraph plot of the recorded actions),
:mod:`widgets.dataset_panel` (the demos table with rename, tags, delete) and
:mod:`widgets.status` (the keep/discard bar, the bindings table). Live training plots and a
training settings form do not exist yet (issue 11).

PySide6, pyqtgraph and numpy only: never the simulator, the algorithms or the studio.
"""
