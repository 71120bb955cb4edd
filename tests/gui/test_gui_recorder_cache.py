"""The demos panel's attribute cache: edits show up, unchanged demos are not re-read."""

from __future__ import annotations

import numpy as np

from recordings import Dataset, RecordingFile
from studio.app.recorder import Recorder


def _file_with_demos(path, n: int) -> None:
    with RecordingFile(path) as rf:
        rf.set_env({"env_name": "Toy-v0"}, "")
        for i in range(n):
            w = rf.begin_episode(source="human", device="keyboard")
            for t in range(3):
                w.append({"x": np.full(2, t, float)}, np.zeros(2), 0.0, t == 2, np.zeros(4))
            w.finish(success=i % 2 == 0)


def test_infos_reread_only_what_changed(qtbot, tmp_path, monkeypatch):
    path = tmp_path / "demos.h5"
    _file_with_demos(path, 4)
    reads: list[str] = []
    real_info = Dataset.info

    def counting_info(self, name):
        reads.append(name)
        return real_info(self, name)

    monkeypatch.setattr(Dataset, "info", counting_info)
    rec = Recorder()
    rec.open(path)
    names = rec.demos
    assert len(rec.infos(names)) == 4 and len(reads) == 4
    reads.clear()
    rec.infos(names)
    assert reads == []  # nothing changed: nothing read

    rec.set_tags(names[1], ["clean"])
    rec.rename(names[2], "first_try")
    rec.delete([names[3]])
    infos = {i.name: i for i in rec.infos(rec.demos)}
    assert sorted(reads) == sorted([names[1], "first_try"])
    assert infos[names[1]].tags == ["clean"]
    assert "first_try" in infos and names[2] not in infos and names[3] not in infos
    rec.close()
