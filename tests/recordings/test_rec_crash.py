"""Crash safety: kill -9 a writer at random moments; every completed demo must survive exactly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rec_synth import assert_same, record, synth_episode

from recordings import Dataset, RecordingFile, journal
from recordings.sidecar import sidecar_paths

WRITER = Path(__file__).with_name("rec_crash_writer.py")


def _kill_at_random(
    path: Path, seed: int, delay: float, wait_ready: bool, slow: bool = False
) -> list[str]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), str(path), str(seed), *(["slow"] if slow else [])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Mostly count the delay from the first episode (Python start-up takes ~0.5 s), sometimes
    # from the spawn, to also kill it while it creates the file.
    first = proc.stdout.readline() if wait_ready else ""
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    # Read the rest through the same buffered file: readline() may already hold later lines
    # ("COMMITTED 0 ..." when the writer was quick), which communicate() would skip, since it
    # reads the raw pipe. The writer is dead, so reading one pipe to its end cannot block.
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, err  # it died of the kill, not of a bug
    return (first + out).splitlines()


def _check_after_crash(path: Path, seed: int, lines: list[str]) -> tuple[int, int]:
    committed = {
        int(k): name for _, k, name in (ln.split() for ln in lines if ln[:9] == "COMMITTED")
    }
    begun = [int(ln.split()[1]) for ln in lines if ln.startswith("BEGIN")]
    flushed: dict[int, int] = {}
    for ln in lines:
        if ln.startswith("FLUSHED"):
            _, k, n = ln.split()
            flushed[int(k)] = int(n)
    if not path.exists():  # killed before the empty file was renamed into place
        assert not committed
        return 0, 0
    # 1. The file opens (strictly valid) and every completed demo is there, bit for bit.
    with Dataset(path) as ds:
        by_k = {ds.info(d).attrs["k"]: d for d in ds.demos}
        for k, name in committed.items():
            assert by_k.get(k) == name
            assert_same(ds.episode(name), synth_episode(seed, k))
        # At most the episode whose finish() was cut short may be there unannounced.
        assert set(by_k) - set(committed) <= set(begun[-1:])
    # 2. The episode in progress comes back up to (at least) its last flush, as a prefix.
    rf = RecordingFile(path)
    recovered = rf.recover()
    assert rf.pending_recovery() == 0 and not sidecar_paths(str(path))
    with Dataset(path) as ds:
        for name in recovered:
            k = ds.info(name).attrs["k"]
            assert k == begun[-1] and k not in committed
            ep = ds.episode(name)
            assert len(ep) >= flushed.get(k, 0)
            assert ds.info(name).attrs["recovered"] is True
            assert_same(ep, synth_episode(seed, k), n=len(ep))
        for k, name in committed.items():
            assert_same(ds.episode(name), synth_episode(seed, k))
    return len(committed), len(recovered)


def _trials(tmp_path: Path, n: int) -> None:
    rng = np.random.default_rng(1234)
    totals = np.zeros(2, int)
    for trial in range(n):
        path = tmp_path / f"t{trial}" / "demos.h5"
        path.parent.mkdir()
        # Kill early and late: during start-up, the first commits, and later ones.
        wait_ready = trial % 5 != 0
        delay = float(rng.uniform(0.0, 0.8 if wait_ready else 0.6))
        # Every other trial slows the commit's page writes down, so that kills often land
        # while the HDF5 file is half-written (only the rollback journal saves it then).
        lines = _kill_at_random(path, trial, delay, wait_ready, slow=trial % 2 == 1)
        totals += _check_after_crash(path, trial, lines)
        shutil.rmtree(path.parent)
    # The trials must have exercised both paths, or they prove nothing.
    assert totals[0] > 0 and totals[1] > 0, totals


def test_kill_9_at_random_moments(tmp_path: Path) -> None:
    _trials(tmp_path, 30)


@pytest.mark.slow
def test_kill_9_many_more_times(tmp_path: Path) -> None:
    _trials(tmp_path, 200)


class _Crash(BaseException):
    """Stands in for the process dying: not an OSError, so nothing cleans up."""


@pytest.mark.parametrize("crash_after", [0, 1, 2, 5, 20])
def test_interrupted_commit_rolls_back(tmp_path: Path, monkeypatch, crash_after: int) -> None:
    """A commit stopped half-way through writing the file is undone on the next open."""
    path = tmp_path / "demos.h5"
    rf = RecordingFile(path)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 0))
    w.finish(success=True)
    before = path.read_bytes()

    calls = []
    real_pwrite = os.pwrite

    def dying_pwrite(fd: int, data, offset: int) -> int:
        if fd != journal_fd[0]:  # count writes to the recordings file only
            if len(calls) >= crash_after:
                raise _Crash
            calls.append(offset)
        return real_pwrite(fd, data, offset)

    journal_fd = [-1]
    real_open = os.open

    def tracking_open(p, flags, *a):
        fd = real_open(p, flags, *a)
        if str(p).endswith(journal.JOURNAL_SUFFIX):
            journal_fd[0] = fd
        return fd

    monkeypatch.setattr(journal.os, "open", tracking_open)
    monkeypatch.setattr(journal.os, "pwrite", dying_pwrite)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1))
    with pytest.raises(_Crash):
        w.finish(success=True)
    monkeypatch.undo()
    assert journal.has_hot_journal(str(path))
    if crash_after:
        assert path.read_bytes() != before  # the file really was half-written
    with Dataset(path) as ds:  # rolls back on open
        assert ds.demos == ["demo_0"]
        assert_same(ds.episode("demo_0"), synth_episode(0, 0))
    assert path.read_bytes() == before
    assert not journal.has_hot_journal(str(path))
