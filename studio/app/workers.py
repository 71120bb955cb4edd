"""Jobs on worker threads: one way to start a ``QObject`` job on its own thread and end it.

A job is a ``QObject`` with a ``run`` slot; it lives on the thread, emits signals that Qt
delivers on the GUI thread, and ends by emitting its last one. Training and evaluation use it.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread


def start_job(parent: QObject, job: QObject) -> QThread:
    """Move ``job`` to a new thread owned by ``parent`` and run ``job.run`` there."""
    thread = QThread(parent)
    job.moveToThread(thread)
    thread.started.connect(job.run)
    thread.start()
    return thread


def end_job(thread: QThread | None, job: QObject | None) -> None:
    """After the job's last signal: stop its thread, wait for it, and free both later."""
    if thread is not None:
        thread.quit()
        thread.wait()
        thread.deleteLater()
    if job is not None:
        job.deleteLater()
