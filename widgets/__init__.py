"""Reusable Qt views (viewport, timeline, live plots, dataset tree, config forms).

PySide6, pyqtgraph and numpy only: never the simulator, the algorithms or the studio.
"""
