"""Self-describing policy checkpoints that load without unpickling arbitrary objects.

One ``torch.save`` file holding a plain dict of only tensors, strings and ints::

    {"format": "imitation-studio-policy", "format_version": 1, "algorithm": "bc",
     "config": "<json>", "meta": "<json: obs_keys, obs_dim, act_dim, lineage>",
     "state_dict": {name: tensor, ...}, "digest": "<sha256 of all of the above>"}

``torch.load(weights_only=True)`` refuses anything else, and the digest catches a file whose
weights or metadata were edited after saving. Lineage says what the policy was trained on:
dataset path and SHA-256, the file's env_args and env_name, the demos used, the observation
parts (``obs_keys``; ``train`` adds ``obs_keys_from``: "scene default", "all" or "--obs-keys"),
algorithm, seed, steps and code version.

Every way a file can be wrong (empty, truncated, not a checkpoint, Python objects inside, a
malformed meta or config) is a :class:`CheckpointError` whose message starts with the path.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import zipfile
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


def _torch_load(path: Path) -> Any:
    """``torch.load(weights_only=True)`` with a message of our own for each way it fails."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file")
    if size == 0:
        raise CheckpointError(f"{path}: not a policy checkpoint: the file is empty (0 bytes)")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    # torch.save writes a zip archive; its directory sits at the end, so a file cut short (a
    # copy that stopped, a full disk) starts like one but is no longer a readable archive.
    if not zipfile.is_zipfile(path):
        if head == b"PK\x03\x04":
            raise CheckpointError(
                f"{path}: truncated or damaged checkpoint ({size} bytes; the zip archive's "
                "directory at its end is missing)"
            )
        raise CheckpointError(f"{path}: not a policy checkpoint (not a PyTorch zip archive)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's message advises retrying with weights_only=False, which would run the file's
        # code: name only what was refused.
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(exc))
        what = f" ({found.group(1)})" if found else ""
        raise CheckpointError(
            f"{path}: not a safe policy checkpoint: it holds Python objects{what}, not only "
            "tensors, strings and numbers; refused without running them"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "weights_only" in first:
            first = "refused by the weights-only loader"
        raise CheckpointError(f"{path}: damaged checkpoint ({first})") from None


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load and verify a checkpoint's raw dict (tensors, strings, ints only).

    Raises:
        FileNotFoundError: there is no such file.
        CheckpointError: empty, truncated, not a checkpoint, unsafe content, wrong format or a
            digest mismatch; the message names the file and what is wrong.
    """
    path = Path(path)
    payload = _torch_load(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an Imitation Studio policy checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format_version {payload.get('format_version')!r}, this code "
            f"reads {FORMAT_VERSION}"
        )
    if set(payload) != _KEYS:
        raise CheckpointError(f"{path}: unexpected entries {sorted(set(payload) ^ _KEYS)}")
    for key in ("algorithm", "config", "meta", "digest"):
        if not isinstance(payload[key], str):
            raise CheckpointError(f"{path}: {key!r} must be a string")
    sd = payload["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise CheckpointError(f"{path}: state_dict must map names to tensors")
    if payload["digest"] != _digest(payload):
        raise CheckpointError(f"{path}: content does not match its digest (file was modified)")
    return payload


def _json_object(path: Path, payload: dict[str, Any], key: str) -> dict[str, Any]:
    try:
        value = json.loads(payload[key])
    except ValueError as exc:
        raise CheckpointError(f"{path}: {key} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"{path}: {key} must be a JSON object, got {type(value).__name__}")
    return value


def _check_meta(path: Path, meta: dict[str, Any]) -> None:
    """Raise CheckpointError unless ``meta`` has every field a policy needs, well typed."""
    missing = [k for k in ("obs_keys", "obs_dim", "act_dim", "lineage") if k not in meta]
    if missing:
        raise CheckpointError(f"{path}: meta lacks {', '.join(missing)}")
    keys = meta["obs_keys"]
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise CheckpointError(f"{path}: meta obs_keys must be a list of names, got {keys!r}")
    for key in ("obs_dim", "act_dim"):
        value = meta[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CheckpointError(f"{path}: meta {key} must be a positive integer, got {value!r}")
    lineage = meta["lineage"]
    if not isinstance(lineage, dict):
        raise CheckpointError(
            f"{path}: meta lineage must be a JSON object, got {type(lineage).__name__}"
        )
    # The lineage fields that eval and the studio read: well typed, or a message with the path.
    for key in ("env_name", "dataset_path", "obs_keys_from"):
        if key in lineage and not isinstance(lineage[key], str):
            raise CheckpointError(f"{path}: lineage {key} must be text, got {lineage[key]!r}")
    for key in ("train_demos", "val_demos"):
        names = lineage.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise CheckpointError(f"{path}: lineage {key} must be a list of demo names")


def load_policy(path: str | os.PathLike[str], device: str = "cpu", *, seed: int = 0) -> Policy:
    """Load a checkpoint into a :class:`Policy` on ``device``.

    Raises:
        FileNotFoundError: there is no such file.
        CheckpointError: see :func:`read_checkpoint`; also an unknown algorithm, a config or
            meta that is malformed, or parameter names/shapes that do not fit the algorithm.
            Every message starts with the file's path.
        ValueError: an unusable ``device`` (e.g. ``"cuda"`` without CUDA).
    """
    from algorithms.training import resolve_device

    dev = resolve_device(device)
    path = Path(path)
    payload = read_checkpoint(path)
    config = _json_object(path, payload, "config")
    meta = _json_object(path, payload, "meta")
    _check_meta(path, meta)
    try:
        entry = registry.get(payload["algorithm"])
        cfg = registry.make_config(entry.name, config)
        obs_dim, act_dim = meta["obs_dim"], meta["act_dim"]
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
        device=dev,
        seed=seed,
    )
