"""Self-describing policy checkpoints that load without unpickling arbitrary objects.

One ``torch.save`` file holding a plain dict of only tensors, strings and ints::

    {"format": "imitation-studio-policy", "format_version": 1, "algorithm": "bc",
     "config": "<json>", "meta": "<json: obs_keys, obs_dim, act_dim, lineage>",
     "state_dict": {name: tensor, ...}, "digest": "<sha256 of all of the above>"}

``torch.load(weights_only=True)`` refuses anything else, and the digest catches a file whose
weights or metadata were edited after saving. Lineage says what the policy was trained on:
dataset path and SHA-256, the demos used, algorithm, seed, steps and code version.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import torch

from algorithms import registry
from algorithms.policy import Policy, PolicyNet

FORMAT = "imitation-studio-policy"
FORMAT_VERSION = 1
_KEYS = {"format", "format_version", "algorithm", "config", "meta", "state_dict", "digest"}


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, tampered with or of an unknown kind."""


def code_version() -> str:
    """The installed package version (with torch's), recorded in lineage."""
    try:
        from importlib.metadata import version

        ours = version("imitation-studio")
    except Exception:  # not installed (e.g. running from a bare checkout)
        ours = "unknown"
    return f"imitation-studio {ours}, torch {torch.__version__}"


def _digest(payload: dict[str, Any]) -> str:
    h = hashlib.sha256()
    for key in ("format", "format_version", "algorithm", "config", "meta"):
        h.update(f"{key}={payload[key]}\n".encode())
    for name in sorted(payload["state_dict"]):
        t = payload["state_dict"][name].detach().cpu().contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}\n".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike[str], policy: Policy) -> Path:
    """Write ``policy`` to ``path`` atomically (a temp file then rename); returns the path."""
    path = Path(path)
    meta = {
        "obs_keys": policy.obs_keys,
        "obs_dim": policy.obs_dim,
        "act_dim": policy.act_dim,
        "lineage": policy.lineage,
    }
    payload: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "algorithm": policy.algorithm,
        "config": json.dumps(registry.config_to_dict(policy.config), sort_keys=True),
        "meta": json.dumps(meta, sort_keys=True, default=str),
        "state_dict": policy.state_dict(),
    }
    payload["digest"] = _digest(payload)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return path


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load and verify a checkpoint's raw dict (tensors, strings, ints only).

    Raises:
        CheckpointError: not a checkpoint, unsafe content, wrong format or a digest mismatch.
    """
    try:
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a safe policy checkpoint ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an Imitation Studio policy checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format_version {payload.get('format_version')!r}, this code "
            f"reads {FORMAT_VERSION}"
        )
    if set(payload) != _KEYS:
        raise CheckpointError(f"{path}: unexpected entries {sorted(set(payload) ^ _KEYS)}")
    sd = payload["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path}: state_dict must map names to tensors")
    if payload["digest"] != _digest(payload):
        raise CheckpointError(f"{path}: content does not match its digest (file was modified)")
    return payload


def load_policy(path: str | os.PathLike[str], device: str = "cpu", *, seed: int = 0) -> Policy:
    """Load a checkpoint into a :class:`Policy` on ``device``.

    Raises:
        CheckpointError: see :func:`read_checkpoint`; also an unknown algorithm, config or
            parameter names/shapes that do not fit the algorithm.
    """
    from algorithms.training import resolve_device

    payload = read_checkpoint(path)
    try:
        entry = registry.get(payload["algorithm"])
        cfg = registry.make_config(entry.name, json.loads(payload["config"]))
        meta = json.loads(payload["meta"])
        obs_dim, act_dim = int(meta["obs_dim"]), int(meta["act_dim"])
        net = PolicyNet(
            entry.algorithm_cls(cfg, obs_dim=obs_dim, act_dim=act_dim),
            obs_dim=obs_dim,
            act_dim=act_dim,
        )
        net.load_state_dict(payload["state_dict"], strict=True)
    except (ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    return Policy(
        net,
        algorithm=entry.name,
        config=cfg,
        obs_keys=list(meta["obs_keys"]),
        lineage=dict(meta["lineage"]),
        device=resolve_device(device),
        seed=seed,
    )
