"""Every registered algorithm: a few steps, save, reload, identical parameters and actions."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
from algo_helpers import linear_demos, open_fds_on, run_all, small_config, write_recordings

import algorithms


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    """A real recordings file with 4 tiny demos, demo_3 in the "valid" mask."""
    path = tmp_path_factory.mktemp("rec") / "tiny.h5"
    return write_recordings(path, linear_demos(n_demos=4, steps=12), valid=["demo_3"])


@pytest.mark.parametrize("name", algorithms.names())
def test_train_save_reload_identical(name, tiny_file, tmp_path):
    cfg = algorithms.make_config(name, {"steps": 5, "log_every": 5})  # default networks
    trainer = algorithms.Trainer(cfg, tiny_file, device="cpu", rng=0)
    tiny_data = algorithms.as_demo_data(tiny_file)
    assert tiny_data.obs_keys == ["pos", "rest"]
    metrics = run_all(trainer)
    assert metrics[-1]["step"] == 5
    assert all(isinstance(v, float) for m in metrics for v in m.values())
    path = trainer.save(tmp_path / "ck.pt")

    policy = trainer.policy()
    loaded = algorithms.load_policy(path)
    a, b = policy.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    assert loaded.algorithm == name
    assert loaded.config == cfg
    assert loaded.obs_keys == tiny_data.obs_keys

    obs = tiny_data.obs[:7]
    for p in (policy, loaded):
        p.reset(seed=3)
    for t in range(4):  # a few steps, so history/chunk buffers are exercised too
        np.testing.assert_array_equal(policy.act(obs + t), loaded.act(obs + t))
    single = loaded.act(obs[0])
    assert single.shape == (2,) and single.dtype == np.float32
    assert loaded.act(obs).shape == (7, 2)


@pytest.mark.parametrize("name", algorithms.names())
def test_training_is_reproducible(name, tiny_data):
    def final_weights():
        trainer = algorithms.Trainer(small_config(name), tiny_data, device="cpu", rng=7)
        run_all(trainer)
        return trainer.policy().state_dict()

    a, b = final_weights(), final_weights()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_training_leaves_global_torch_rng_alone(tiny_data):
    state = torch.random.get_rng_state()
    run_all(algorithms.Trainer(small_config("cvae"), tiny_data, device="cpu", rng=0))
    assert torch.equal(state, torch.random.get_rng_state())


def test_lineage_in_checkpoint(tiny_data, tmp_path):
    trainer = algorithms.Trainer(small_config("bc"), tiny_data, device="cpu", rng=5)
    run_all(trainer)
    path = trainer.save(tmp_path / "ck.pt")
    lineage = algorithms.load_policy(path).lineage
    assert lineage["algorithm"] == "bc"
    assert lineage["seed"] == 5
    assert lineage["steps"] == 20
    assert sorted(lineage["train_demos"] + lineage["val_demos"]) == sorted(tiny_data.demo_names)
    assert len(lineage["val_demos"]) == 1  # 10% of 6 demos, at least one
    assert "imitation-studio" in lineage["code_version"]


def test_lineage_from_recordings_file(tiny_file, tmp_path):
    import recordings

    trainer = algorithms.Trainer(small_config("bc"), recordings.Dataset(tiny_file), rng=0)
    run_all(trainer)
    lineage = algorithms.load_policy(trainer.save(tmp_path / "ck.pt")).lineage
    assert lineage["dataset_path"] == str(tiny_file.resolve())
    assert lineage["dataset_sha256"] == algorithms.data.file_sha256(tiny_file)
    assert lineage["env_name"] == "Toy-v0"
    assert lineage["val_demos"] == ["demo_3"]  # the file's "valid" mask
    assert lineage["train_demos"] == ["demo_0", "demo_1", "demo_2"]
    assert lineage["obs_keys"] == ["pos", "rest"]
    assert lineage["obs_slices"] == {"pos": [0, 2], "rest": [2, 3]}


def test_policy_rejects_wrong_obs_shape(tiny_data):
    trainer = algorithms.Trainer(small_config("bc"), tiny_data, device="cpu", rng=0)
    with pytest.raises(ValueError, match=r"expected obs of shape \(3,\)"):
        trainer.policy().act(np.zeros(4))


def test_obs_from_named_parts(tiny_file):
    trainer = algorithms.Trainer(small_config("bc"), tiny_file, device="cpu", rng=0)
    policy = trainer.policy()
    obs = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    flat = policy.obs_from_parts({"rest": obs[2:], "pos": obs[:2], "unused": np.zeros(4)})
    np.testing.assert_array_equal(flat, obs)
    with pytest.raises(ValueError, match=r"missing observation part\(s\) \['rest'\]"):
        policy.obs_from_parts({"pos": obs[:2]})


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_a_file_opened_from_a_path_is_closed(tiny_file, monkeypatch):
    import recordings

    opened = []  # keeps each Dataset alive, so that only an explicit close() closes it
    real_init = recordings.Dataset.__init__

    def spy(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        opened.append(self)

    monkeypatch.setattr(recordings.Dataset, "__init__", spy)
    data = algorithms.as_demo_data(tiny_file, obs_keys=["rest"])
    assert data.obs.shape == (48, 1) and data.val_demos == ["demo_3"]
    assert len(opened) == 1 and open_fds_on(tiny_file) == 0  # closed, not left to the GC

    with recordings.Dataset(tiny_file) as ds:  # the caller's Dataset stays open
        algorithms.as_demo_data(ds)
        assert open_fds_on(tiny_file) == 1
        ds.demos  # noqa: B018  (still usable)
    assert open_fds_on(tiny_file) == 0
