"""Demonstrations as flat arrays, the train/validation split and the windows that batches read.

:func:`as_demo_data` accepts a ``recordings.Dataset``, a path to a recordings file, a
``Transitions`` object (anything with ``obs``, ``actions`` and ``episode_index``) or a
:class:`DemoData` made with :meth:`DemoData.from_arrays` (tests and benchmarks without a file).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class DemoData:
    """Transitions ordered by demo then step, plus where they came from.

    Attributes:
        obs: ``(N, D)`` float32, flat concatenation of ``obs_keys`` in order.
        actions: ``(N, A)`` float32.
        episode_index: ``(N,)`` int64 index into ``demo_names``; each demo is contiguous.
        demo_names: one name per demo.
        obs_keys: names of the observation parts, in order ([] when unnamed: then a policy
            takes an env's flat observation as it is).
        obs_slices: ``name -> (start, stop)`` of each part in ``obs``.
        val_demos: demo names of the file's ``valid`` mask, or ``None`` to split at random.
        train_demos: demo names of the file's ``train`` mask, or ``None`` for "all but valid".
        lineage: dataset path, content hash and env args for the checkpoint.
    """

    obs: np.ndarray
    actions: np.ndarray
    episode_index: np.ndarray
    demo_names: list[str]
    obs_keys: list[str] = field(default_factory=list)
    obs_slices: dict[str, tuple[int, int]] = field(default_factory=dict)
    val_demos: list[str] | None = None
    train_demos: list[str] | None = None
    lineage: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_arrays(
        cls,
        obs: np.ndarray,
        actions: np.ndarray,
        episode_index: np.ndarray | None = None,
        *,
        demo_names: list[str] | None = None,
        obs_keys: list[str] | None = None,
        val_demos: list[str] | None = None,
        lineage: dict[str, Any] | None = None,
    ) -> DemoData:
        """Wrap in-memory arrays (one demo when ``episode_index`` is omitted)."""
        obs = np.asarray(obs, dtype=np.float32)
        actions = np.asarray(actions, dtype=np.float32)
        if obs.ndim == 1:
            obs = obs[:, None]
        if actions.ndim == 1:
            actions = actions[:, None]
        if episode_index is None:
            episode_index = np.zeros(len(obs), dtype=np.int64)
        episode_index = np.asarray(episode_index, dtype=np.int64)
        n_demos = int(episode_index.max()) + 1 if len(episode_index) else 0
        if demo_names is None:
            demo_names = [f"demo_{i}" for i in range(n_demos)]
        keys = list(obs_keys or [])  # [] = an unnamed flat observation
        data = cls(
            obs=obs,
            actions=actions,
            episode_index=episode_index,
            demo_names=list(demo_names),
            obs_keys=keys,
            val_demos=val_demos,
            lineage=dict(lineage or {"source": "arrays"}),
        )
        data.validate()
        return data

    def validate(self) -> None:
        """Check shapes, finiteness and that each demo is contiguous; raise ``ValueError``."""
        n = len(self.obs)
        if self.obs.ndim != 2 or self.actions.ndim != 2:
            raise ValueError(
                f"obs and actions must be 2-D, got {self.obs.shape} and {self.actions.shape}"
            )
        if len(self.actions) != n or len(self.episode_index) != n:
            raise ValueError(
                f"obs ({n}), actions ({len(self.actions)}) and episode_index "
                f"({len(self.episode_index)}) must have the same length"
            )
        if n == 0:
            raise ValueError("no transitions to train on")
        if not (np.isfinite(self.obs).all() and np.isfinite(self.actions).all()):
            raise ValueError("obs or actions contain NaN or inf")
        if self.episode_index.min() < 0 or self.episode_index.max() >= len(self.demo_names):
            raise ValueError("episode_index must index demo_names")
        starts = np.flatnonzero(np.diff(self.episode_index) != 0) + 1
        if len(np.unique(self.episode_index[np.r_[0, starts]])) != len(starts) + 1:
            raise ValueError("each demo's transitions must be contiguous (sorted by demo, step)")


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (the dataset's content hash in checkpoints)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _from_transitions(tr: Any, lineage: dict[str, Any]) -> DemoData:
    obs = np.asarray(tr.obs, dtype=np.float32)
    actions = np.asarray(tr.actions, dtype=np.float32)
    episode_index = np.asarray(tr.episode_index, dtype=np.int64)
    step_index = getattr(tr, "step_index", None)
    # Sort by (demo, step) so that history and chunk windows never cross demos.
    if step_index is not None:
        order = np.lexsort((np.asarray(step_index), episode_index))
    else:
        order = np.argsort(episode_index, kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        obs, actions, episode_index = obs[order], actions[order], episode_index[order]
    if len(episode_index) == 0:  # e.g. every demo had 0 steps, or all were skipped
        raise ValueError(f"{lineage.get('dataset_path', 'the data')}: no transitions to train on")
    names = list(getattr(tr, "demo_names", None) or [])
    if not names:
        names = [f"demo_{i}" for i in range(int(episode_index.max()) + 1)]
    slices = {
        k: (int(s.start), int(s.stop)) if isinstance(s, slice) else (int(s[0]), int(s[1]))
        for k, s in dict(getattr(tr, "obs_slices", None) or {}).items()
    }
    data = DemoData(
        obs=obs,
        actions=actions,
        episode_index=episode_index,
        demo_names=names,
        obs_keys=list(getattr(tr, "obs_keys", None) or []),
        obs_slices=slices,
        lineage=lineage,
    )
    data.validate()
    return data


def as_demo_data(
    data: Any, *, demos: list[str] | None = None, obs_keys: list[str] | None = None
) -> DemoData:
    """Turn a dataset, a path, a ``Transitions`` object or a :class:`DemoData` into DemoData.

    Args:
        data: ``recordings.Dataset``, path to a recordings file, ``Transitions`` or DemoData.
            A file opened from a path is closed before returning; a ``Dataset`` passed in is
            left open (its owner closes it).
        demos: only these demos (datasets and paths only).
        obs_keys: only these observation parts, in this order (datasets and paths only).
    """
    if isinstance(data, DemoData):
        return data
    if isinstance(data, str | os.PathLike):
        import recordings

        with recordings.Dataset(Path(data)) as dataset:  # ours: closed once read
            return as_demo_data(dataset, demos=demos, obs_keys=obs_keys)
    if hasattr(data, "transitions"):  # a recordings.Dataset (the caller's: left open)
        path = Path(data.path)
        env_args = dict(getattr(data, "env_args", None) or {})
        lineage = {
            "dataset_path": str(path.resolve()),
            "dataset_sha256": file_sha256(path),
            "env_args": env_args,
            "env_name": str(env_args.get("env_name", "")),
        }
        masks = dict(getattr(data, "masks", None) or {})
        tr = data.transitions(demos, obs_keys=obs_keys)
        out = _from_transitions(tr, lineage)
        if "valid" in masks:
            out.val_demos = [_name(n) for n in masks["valid"]]
            if "train" in masks:
                out.train_demos = [_name(n) for n in masks["train"]]
        return out
    if hasattr(data, "obs") and hasattr(data, "actions"):
        return _from_transitions(data, {"source": type(data).__name__})
    raise TypeError(f"cannot train on {type(data).__name__}; pass a recordings.Dataset or a path")


def _name(n: Any) -> str:
    return n.decode() if isinstance(n, bytes) else str(n)


def split_demos(
    data: DemoData, val_fraction: float, rng: np.random.Generator
) -> tuple[list[str], list[str]]:
    """Episode-level train/validation split: the ``valid`` mask if any, else a seeded fraction.

    With a single demo (or ``val_fraction == 0``) everything trains and validation is empty.
    """
    used = set(np.unique(data.episode_index).tolist())
    present = [n for i, n in enumerate(data.demo_names) if i in used]
    if data.val_demos is not None:
        val_set = set(data.val_demos)
        val = [n for n in present if n in val_set]
        pool = set(data.train_demos) if data.train_demos is not None else set(present)
        train = [n for n in present if n in pool and n not in val_set]
    else:
        n_val = round(val_fraction * len(present))
        n_val = min(max(n_val, 1 if val_fraction > 0 else 0), len(present) - 1)
        picked = set(rng.permutation(len(present))[:n_val].tolist()) if n_val > 0 else set()
        val = [n for i, n in enumerate(present) if i in picked]
        train = [n for i, n in enumerate(present) if i not in picked]
    if not train:
        raise ValueError("no demos left to train on after the validation split")
    return train, val


def window_indices(episode_index: np.ndarray, history: int, chunk: int) -> dict[str, np.ndarray]:
    """Per-sample indices of its observation history and its action chunk, within its demo.

    Returns:
        ``hist`` ``(N, history)`` indices of obs t-k+1..t, clamped to the demo start (the first
        observation is repeated, as a freshly reset policy does); ``chunk`` ``(N, chunk)`` indices
        of actions t..t+H-1 clamped to the demo end; ``chunk_mask`` ``(N, chunk)`` true where the
        chunk step lies inside the demo (ACT pads past the end and masks the loss the same way).
    """
    n = len(episode_index)
    idx = np.arange(n)
    change = np.r_[True, episode_index[1:] != episode_index[:-1]]
    start = np.maximum.accumulate(np.where(change, idx, 0))  # (N,) first index of the demo
    end_change = np.r_[episode_index[1:] != episode_index[:-1], True]
    last = np.minimum.accumulate(np.where(end_change, idx, n - 1)[::-1])[::-1]  # (N,) last index
    back = idx[:, None] - np.arange(history - 1, -1, -1)[None, :]  # (N, k) oldest first
    hist = np.maximum(back, start[:, None])
    fwd = idx[:, None] + np.arange(chunk)[None, :]  # (N, H)
    mask = fwd <= last[:, None]
    return {"hist": hist, "chunk": np.minimum(fwd, last[:, None]), "chunk_mask": mask}
