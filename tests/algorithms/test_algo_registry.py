"""Registry, configs and their validation."""

from __future__ import annotations

import dataclasses

import pytest
from torch import nn

import algorithms
from algorithms import registry


def test_builtin_algorithms_registered():
    assert algorithms.names()[:2] == ["bc", "cvae"]
    entry = algorithms.get("bc")
    assert entry.config_cls is algorithms.BCConfig
    assert algorithms.name_of(algorithms.CVAEConfig()) == "cvae"


def test_unknown_algorithm_names_the_known_ones():
    with pytest.raises(ValueError, match="known: bc, cvae"):
        algorithms.get("nope")


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):

        @algorithms.register("bc", algorithms.BCConfig)
        class Other(nn.Module):
            pass


def test_register_requires_dataclass_config():
    with pytest.raises(ValueError, match="dataclass"):
        algorithms.register("x", dict)


@pytest.mark.parametrize("name", algorithms.names())
def test_every_field_has_help_and_simple_type(name):
    cfg = algorithms.get(name).config_cls()
    for f in dataclasses.fields(cfg):
        assert f.metadata.get("help"), f"{name}.{f.name} has no help"
        value = getattr(cfg, f.name)
        assert isinstance(value, int | float | str | bool | tuple), f.name
        if "choices" in f.metadata:
            assert value in f.metadata["choices"]


def test_make_config_parses_strings():
    cfg = algorithms.make_config(
        "bc", {"hidden_sizes": "64,32", "lr": "3e-4", "normalize": "false", "head": "gmm"}
    )
    assert cfg.hidden_sizes == (64, 32)
    assert cfg.lr == pytest.approx(3e-4)
    assert cfg.normalize is False
    assert cfg.head == "gmm"
    assert registry.config_to_dict(cfg)["hidden_sizes"] == [64, 32]


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("bc", {"head": "mixture"}, "head must be one of"),
        ("bc", {"steps": 0}, "steps must be >= 1"),
        ("bc", {"obs_history": 0}, "obs_history"),
        ("bc", {"lr": "fast"}, "expected float"),
        ("bc", {"nope": 1}, "has no setting 'nope'"),
        ("cvae", {"z_mode": "mean"}, "z_mode must be one of"),
        ("cvae", {"chunk_size": 0}, "chunk_size"),
        ("cvae", {"val_fraction": 1.0}, "val_fraction"),
        ("bc", {"obs_noise": -0.1}, "obs_noise must be >= 0"),
    ],
)
def test_bad_settings_say_what_to_fix(name, overrides, message):
    with pytest.raises(ValueError, match=message):
        algorithms.make_config(name, overrides)
