"""Child process for the kill -9 test: records synthetic episodes forever, reporting progress.

Usage: ``python rec_crash_writer.py FILE SEED [slow]``. Prints ``BEGIN k``, ``FLUSHED k n`` (n
steps of episode k are flushed) and ``COMMITTED k name`` (finish() returned) as each happens.
With ``slow``, every ``pwrite`` (the commit's page writes to the journal and the file) sleeps
2 ms, which widens the moments in which the HDF5 file is half-written so that random kills land
there often.
"""

from __future__ import annotations

import os
import sys
import time

from rec_synth import record, synth_episode

from recordings import RecordingFile


def main(path: str, seed: int) -> None:
    rf = RecordingFile(path, flush_interval=0.05)
    rf.set_env({"env_name": "Synth-v0", "type": 2, "env_kwargs": {}}, "<mujoco/>")
    k = 0
    while True:
        ep = synth_episode(seed, k)
        w = rf.begin_episode(source="human", device="test", attrs={"k": k})
        print(f"BEGIN {k}", flush=True)
        for start in range(0, len(ep), 37):
            stop = min(start + 37, len(ep))
            record(w, ep, start, stop)
            w.flush()
            print(f"FLUSHED {k} {stop}", flush=True)
        name = w.finish(success=k % 2 == 0)
        print(f"COMMITTED {k} {name}", flush=True)
        if k % 4 == 3:  # metadata-only transactions must be as safe as demo commits
            rf.set_attrs(name, tags=["checked"], notes=f"episode {k}")
        k += 1


def _slow_pwrite(pwrite):
    def slow(fd, data, offset):
        n = pwrite(fd, data, offset)
        time.sleep(0.002)
        return n

    return slow


if __name__ == "__main__":
    if sys.argv[3:] == ["slow"]:
        os.pwrite = _slow_pwrite(os.pwrite)
    main(sys.argv[1], int(sys.argv[2]))
