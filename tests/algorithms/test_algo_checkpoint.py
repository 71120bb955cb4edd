"""Checkpoints load only our own, unmodified content."""

from __future__ import annotations

import pickle

import pytest
import torch
from algo_helpers import run_all, small_config

import algorithms
from algorithms.checkpoint import read_checkpoint


@pytest.fixture
def checkpoint(tiny_data, tmp_path):
    trainer = algorithms.Trainer(small_config("bc"), tiny_data, device="cpu", rng=0)
    run_all(trainer)
    return trainer.save(tmp_path / "ck.pt")


def test_tampered_weights_are_refused(checkpoint):
    payload = torch.load(checkpoint, weights_only=True)
    key = next(iter(payload["state_dict"]))
    payload["state_dict"][key] = payload["state_dict"][key] + 1e-3
    torch.save(payload, checkpoint)
    with pytest.raises(algorithms.CheckpointError, match="does not match its digest"):
        algorithms.load_policy(checkpoint)


def test_tampered_metadata_is_refused(checkpoint):
    payload = torch.load(checkpoint, weights_only=True)
    payload["config"] = payload["config"].replace('"head": "mse"', '"head": "gmm"')
    torch.save(payload, checkpoint)
    with pytest.raises(algorithms.CheckpointError, match="digest"):
        algorithms.load_policy(checkpoint)


class Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_pickled_objects_are_never_loaded(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "imitation-studio-policy", "x": Evil()}, f, protocol=2)
    with pytest.raises(algorithms.CheckpointError, match="not a safe policy checkpoint"):
        algorithms.load_policy(path)
    assert "must never run" not in capsys.readouterr().out


def test_unknown_content_is_refused(tmp_path, checkpoint):
    path = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, path)
    with pytest.raises(algorithms.CheckpointError, match="not an Imitation Studio"):
        algorithms.load_policy(path)

    payload = read_checkpoint(checkpoint)
    payload["extra"] = "x"
    torch.save(payload, path)
    with pytest.raises(algorithms.CheckpointError, match="unexpected entries"):
        algorithms.load_policy(path)


def test_unknown_algorithm_is_refused(checkpoint):
    from algorithms.checkpoint import _digest

    payload = read_checkpoint(checkpoint)
    payload["algorithm"] = "gail"
    payload["digest"] = _digest(payload)  # well-formed, but not something we can build
    torch.save(payload, checkpoint)
    with pytest.raises(algorithms.CheckpointError, match="unknown algorithm 'gail'"):
        algorithms.load_policy(checkpoint)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        algorithms.load_policy("/nonexistent/ck.pt")
