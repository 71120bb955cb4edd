"""Readers and writers in different processes (issue 8, failure 2): a reader sees the file as it
was before a commit or after it, never half-way, and says so when it has to wait."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from rec_synth import record, synth_episode

from recordings import Dataset, FileBusyWarning, RecordingError, RecordingFile

HERE = str(Path(__file__).parent)

# Records short episodes, renames, tags and re-masks as fast as it can until killed: commits
# that rewrite the demo list, attributes and masks (the pages an open reader reads lazily).
WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[2])
    from rec_synth import record, synth_episode
    from recordings import RecordingFile
    rf = RecordingFile(sys.argv[1])
    print("ready", flush=True)
    k = 0
    while True:
        w = rf.begin_episode(source="human" if k % 2 else "scripted")
        record(w, synth_episode(1, k, length=8))
        name = w.finish(success=True)
        rf.set_attrs(name, tags=[f"t{k}"], notes="x" * (k % 50))
        rf.set_mask("train", rf.demos[::2])
        if k % 3 == 0:
            rf.rename(name, f"renamed_{k}")
        if k % 5 == 4:
            rf.delete(rf.demos[0])
        k += 1
    """
)


def _start_writer(path: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path), HERE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def _read_everything(path: Path) -> int:
    """What `inspect` and `train` do with an open Dataset, one lazy read after another."""
    with Dataset(path) as ds, ds.locked():  # several calls, one state of the file
        names = ds.demos
        masks = ds.masks
        for name in names:
            ds.info(name)
            ds.fields(name)
        assert isinstance(ds.env_args, dict)
        ds.check()
        if ds.demos:
            ds.transitions()
            ds.stats()
        for mask, members in masks.items():
            assert set(members) <= set(names), (mask, members, names)  # one state, not two
    return len(names)


def test_readers_never_see_a_commit_half_way(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    rf = RecordingFile(path)
    for k in range(3):
        w = rf.begin_episode(source="human")
        record(w, synth_episode(0, k, length=8))
        w.finish(success=True)
    proc = _start_writer(path)
    try:
        deadline = time.monotonic() + 8.0
        reads = 0
        while time.monotonic() < deadline:
            assert _read_everything(path) > 0
            with Dataset(path) as ds:  # one Dataset across many commits: later reads see them
                first, seen = set(ds.demos), set()
                for _ in range(5):
                    with ds.locked():
                        for name in ds.demos:
                            ds.info(name)
                        assert isinstance(ds.masks, dict)
                    seen.update(ds.demos)
                    time.sleep(0.05)
                assert seen - first  # reads after a commit saw its new demos
            reads += 1
        assert proc.poll() is None, proc.stderr.read()  # the writer was committing all along
    finally:
        proc.kill()
        proc.wait()
    assert reads >= 5
    with Dataset(path) as ds:
        assert ds.check() == [] and len(ds.demos) > 3  # the writer got its commits in


def _hold_folder_lock(path: Path):
    """Take the exclusive lock a committing writer holds (the folder's flock)."""
    fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def test_a_reader_waits_for_a_commit_and_says_why(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    rf = RecordingFile(path)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 0, length=8))
    w.finish(success=True)
    ds = Dataset(path, lock_timeout=0.3)
    fd = _hold_folder_lock(path)
    try:
        said = []
        with pytest.raises(RecordingError) as exc:
            Dataset(path, on_wait=said.append, lock_timeout=0.3)
        assert said == [
            f"{path} (or another file in its folder) is being written by another process; waiting"
        ]
        assert str(path) in str(exc.value) and "gave up" in str(exc.value)
        busy = "being written by another process; waiting"
        with pytest.warns(FileBusyWarning, match=busy), pytest.raises(RecordingError):
            _ = ds.masks  # an open Dataset waits too before it reads
    finally:
        os.close(fd)
    assert ds.masks == {"human": ["demo_0"]}  # the commit is over: reads go on
    ds.close()


def test_recording_file_reads_and_commits_wait_and_say_why(tmp_path: Path) -> None:
    path = tmp_path / "d.h5"
    said: list[str] = []
    rf = RecordingFile(path, on_wait=said.append, lock_timeout=0.3)
    w = rf.begin_episode(source="human")
    record(w, synth_episode(0, 0, length=8))
    fd = _hold_folder_lock(path)
    try:
        folder_too = r"d\.h5 \(or another file in its folder\) is being"
        with pytest.raises(RecordingError, match=folder_too + r" written.*gave up"):
            _ = rf.demos
        with pytest.raises(RecordingError, match=folder_too + r" read or written.*gave up"):
            w.finish(success=True)  # the journal keeps the steps: recover() commits them
    finally:
        os.close(fd)
    assert said == [
        f"{path} (or another file in its folder) is being written by another process; waiting",
        f"{path} (or another file in its folder) is being read or written by another process; "
        "waiting",
    ]
    assert rf.recover() == ["demo_0"] and rf.demos == ["demo_0"]
