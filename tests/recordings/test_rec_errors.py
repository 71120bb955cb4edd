"""Full disks and read-only locations: a clear RecordingError, and earlier demos intact."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from rec_synth import assert_same, record, synth_episode

from recordings import Dataset, RecordingError, RecordingFile, journal, sidecar

_real_pwrite = os.pwrite
_real_write = os.write
_real_open = os.open


def _one_demo(path: Path):
    rf = RecordingFile(path)
    ep = synth_episode(0, 0)
    w = rf.begin_episode(source="human")
    record(w, ep)
    w.finish(success=True)
    return rf, ep


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_folder(tmp_path: Path) -> None:
    rf, ep = _one_demo(tmp_path / "d.h5")
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(RecordingError, match=r"d\.h5"):
            rf.begin_episode(source="human")
        with pytest.raises(RecordingError, match=r"new\.h5"):
            RecordingFile(tmp_path / "new.h5")
        with Dataset(rf.path) as ds:
            assert_same(ds.episode("demo_0"), ep)
    finally:
        os.chmod(tmp_path, 0o755)


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_read_only_location_simulated(tmp_path: Path, monkeypatch, code: int) -> None:
    """The test above for root (as CI runs), who ignores permissions: every open for writing
    fails as on a read-only mount, through the real code paths (new file, episode journal,
    transaction journal, compact's copy). Each fails with a RecordingError naming the path and
    leaves the earlier demos intact."""
    rf, ep = _one_demo(tmp_path / "d.h5")
    w = rf.begin_episode(source="human")  # started while the location was writable
    ep1 = synth_episode(0, 1)
    record(w, ep1)
    w.flush()
    before = Path(rf.path).read_bytes()
    listing = sorted(p.name for p in tmp_path.iterdir())
    attempts = []

    def ro_open(path, flags, *a):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            attempts.append(str(path))
            raise OSError(code, os.strerror(code), str(path))
        return _real_open(path, flags, *a)

    monkeypatch.setattr(os, "open", ro_open)
    with pytest.raises(RecordingError, match=r"new\.h5.*read-only"):
        RecordingFile(tmp_path / "new.h5")
    with pytest.raises(RecordingError, match=r"d\.h5.*read-only"):
        rf.begin_episode(source="human")
    with pytest.raises(RecordingError, match=r"d\.h5.*read-only"):
        rf.set_attrs("demo_0", notes="x")
    with pytest.raises(RecordingError, match=r"d\.h5.*read-only"):
        w.finish(success=True)  # the commit cannot start its journal: the steps stay in theirs
    with pytest.raises(RecordingError, match=r"d\.h5.*compact.*read-only"):
        rf.compact()
    monkeypatch.undo()
    assert len(attempts) >= 5  # the failures came from the code paths under test
    assert Path(rf.path).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == listing  # no half-made files
    with Dataset(rf.path) as ds:
        assert ds.demos == ["demo_0"]
        assert_same(ds.episode("demo_0"), ep)
    assert rf.recover() == ["demo_1"]  # writable again: nothing was lost
    with Dataset(rf.path) as ds:
        assert_same(ds.episode("demo_1"), ep1)
        assert ds.info("demo_1").success is True


def test_disk_full_while_recording(tmp_path: Path, monkeypatch) -> None:
    rf, ep = _one_demo(tmp_path / "d.h5")
    w = rf.begin_episode(source="human")
    ep1 = synth_episode(0, 1, length=40)
    record(w, ep1, 0, 20)
    w.flush()

    def full(fd, data):
        _real_write(fd, bytes(data)[:10])  # a torn block, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sidecar.os, "write", full)
    record(w, ep1, 20, 30)  # recording goes on: append never waits for (or fails on) the disk
    with pytest.raises(RecordingError, match="disk full"):
        w.flush()
    assert "disk full" in str(w.error)  # the writer says so until a write succeeds again
    monkeypatch.undo()
    record(w, ep1, 30, 40)  # space again: nothing was lost, the torn block was cut off
    name = w.finish(success=True)
    assert w.error is None
    with Dataset(rf.path) as ds:
        assert_same(ds.episode(name), ep1)
        assert_same(ds.episode("demo_0"), ep)


def test_disk_full_while_committing_rolls_back(tmp_path: Path, monkeypatch) -> None:
    rf, _ = _one_demo(tmp_path / "d.h5")
    before = Path(rf.path).read_bytes()
    journal_fds = set()

    def tracking_open(path, flags, *a):
        fd = _real_open(path, flags, *a)
        if str(path).endswith(journal.JOURNAL_SUFFIX):
            journal_fds.add(fd)
        return fd

    writes = []

    def full_after_two(fd, data, offset):
        if fd not in journal_fds:
            writes.append(offset)
            if len(writes) == 3:  # the third write to the file fails; the roll-back's succeed
                raise OSError(errno.ENOSPC, "No space left on device")
        return _real_pwrite(fd, data, offset)

    monkeypatch.setattr(os, "open", tracking_open)
    monkeypatch.setattr(os, "pwrite", full_after_two)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 1))
    with pytest.raises(RecordingError, match=r"disk full.*rolled back"):
        w.finish(success=True)
    monkeypatch.undo()
    assert len(writes) > 3  # the file was half-written before the failure, then restored...
    assert Path(rf.path).read_bytes() == before  # ...and is exactly as before now
    assert not journal.has_hot_journal(rf.path)
    assert rf.recover() == ["demo_1"]


def test_not_a_recordings_file(tmp_path: Path) -> None:
    bad = tmp_path / "notes.h5"
    bad.write_text("hello")
    with pytest.raises(RecordingError, match=r"notes\.h5.*HDF5"):
        RecordingFile(bad)
