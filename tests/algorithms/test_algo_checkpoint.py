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
    with open(path, "wb") as f:  # a bare pickle (torch's legacy format)
        pickle.dump({"format": "imitation-studio-policy", "x": Evil()}, f, protocol=2)
    with pytest.raises(algorithms.CheckpointError, match="not a PyTorch zip archive"):
        algorithms.load_policy(path)
    zipped = tmp_path / "evil-zip.pt"
    torch.save({"format": "imitation-studio-policy", "x": Evil()}, zipped)
    with pytest.raises(algorithms.CheckpointError) as caught:
        algorithms.load_policy(zipped)
    message = str(caught.value)
    assert message.startswith(f"{zipped}: not a safe policy checkpoint") and "(print)" in message
    assert "weights_only" not in message  # torch's advice to load unsafely is not passed on
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
    payload["algorithm"] = "sac"
    payload["digest"] = _digest(payload)  # well-formed, but not something we can build
    torch.save(payload, checkpoint)
    with pytest.raises(algorithms.CheckpointError, match="unknown algorithm 'sac'"):
        algorithms.load_policy(checkpoint)


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        algorithms.load_policy("/nonexistent/ck.pt")


def _resave(path, payload):
    """Write ``payload`` with a correct digest: well-formed, so only its content is wrong."""
    from algorithms.checkpoint import _digest

    payload["digest"] = _digest(payload)
    torch.save(payload, path)


def test_damaged_files_name_the_path_and_the_problem(checkpoint, tmp_path):
    data = checkpoint.read_bytes()
    cases = {
        "empty.pt": (b"", "the file is empty (0 bytes)"),
        "cut.pt": (data[: int(len(data) * 0.9)], "truncated or damaged checkpoint"),
        "cut-header.pt": (data[:10], "truncated or damaged checkpoint"),
        "text.pt": (b"not a checkpoint", "not a PyTorch zip archive"),
    }
    for name, (content, problem) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(algorithms.CheckpointError) as caught:
            algorithms.load_policy(path)
        message = str(caught.value)
        assert message.startswith(f"{path}: ") and problem in message, message
        assert "Errno" not in message and "()" not in message
    with pytest.raises(algorithms.CheckpointError, match="is a folder"):
        algorithms.load_policy(tmp_path)


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda meta: meta.pop("obs_keys"), "meta lacks obs_keys"),
        (lambda meta: meta.update(obs_keys="puck_rel"), "obs_keys must be a list"),
        (lambda meta: meta.update(lineage=["demos.h5"]), "lineage must be a JSON object"),
        (lambda meta: meta.update(obs_dim="3"), "obs_dim must be a positive integer"),
        (lambda meta: meta.pop("act_dim"), "meta lacks act_dim"),
        # eval reads these: a wrong type was a TypeError, or os.path.isfile(1) on stdout
        (lambda meta: meta["lineage"].update(train_demos=5), "train_demos must be a list"),
        (lambda meta: meta["lineage"].update(dataset_path=1), "dataset_path must be text"),
        (lambda meta: meta["lineage"].update(env_name=["x"]), "env_name must be text"),
    ],
)
def test_bad_meta_is_a_checkpoint_error_with_the_path(checkpoint, edit, problem):
    import json

    payload = read_checkpoint(checkpoint)
    meta = json.loads(payload["meta"])
    edit(meta)
    payload["meta"] = json.dumps(meta)
    _resave(checkpoint, payload)
    with pytest.raises(algorithms.CheckpointError) as caught:
        algorithms.load_policy(checkpoint)
    assert str(caught.value).startswith(f"{checkpoint}: ") and problem in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("meta", "{not json", "meta is not valid JSON"),
        ("meta", "[1, 2]", "meta must be a JSON object"),
        ("config", '"bc"', "config must be a JSON object"),
        ("config", '{"steps": 0}', "steps must be >= 1"),
    ],
)
def test_bad_config_or_meta_json_is_a_checkpoint_error(checkpoint, key, value, problem):
    payload = read_checkpoint(checkpoint)
    payload[key] = value
    _resave(checkpoint, payload)
    with pytest.raises(algorithms.CheckpointError) as caught:
        algorithms.load_policy(checkpoint)
    assert str(caught.value).startswith(f"{checkpoint}: ") and problem in str(caught.value)
