"""Training data from a Dataset: flat (obs, action) arrays and normalisation statistics, read
demo by demo so that memory stays near the size of the result."""

from __future__ import annotations

import numpy as np

from .checked_reader import CheckedReader
from .readlock import reads
from .schema import Transitions, ValidationError
from .validate import check_values


class TrainingArrays(CheckedReader):
    """The training-data part of :class:`~recordings.Dataset`."""

    def _select(self, demos: list[str] | None, mask: str | None) -> list[str]:
        if demos is not None and mask is not None:
            raise ValueError("give demos or mask, not both")
        if mask is not None:
            # Demos skipped as invalid are left out here too (they are listed in problems).
            return [d for d in self.mask(mask) if d not in self._bad]
        if demos is None:
            return self.demos
        for d in demos:
            self._group(d, check=False)  # KeyError for unknown or skipped demos
        return list(demos)

    def _default_keys(self) -> list[str]:
        # Flat training vectors use the low-dimensional keys; images (N, H, W, C) stay out.
        g = self._first_good()
        return [k for k in self.obs_keys if g is not None and g["obs"][k].ndim <= 2]

    @reads
    def transitions(
        self,
        demos: list[str] | None = None,
        *,
        mask: str | None = None,
        obs_keys: list[str] | None = None,
        use_labels: bool = True,
    ) -> Transitions:
        """Flat (obs, action) arrays over the chosen demos, for training.

        Args:
            demos: demo names (default: all valid demos).
            mask: take the demos of this mask instead.
            obs_keys: observation parts to concatenate, in order (default: low-dim keys).
            use_labels: where a step has a DAgger label, train on it instead of the executed action.
        """
        names = self._select(demos, mask)
        keys = list(obs_keys) if obs_keys is not None else self._default_keys()
        # Pass 1, metadata only: sizes, so that the output is allocated once (no concatenation
        # of per-demo copies: peak memory stays near the size of the result).
        sizes: list[tuple[str, int]] = []
        widths: dict[str, int] = {}
        act_dim = None
        for name in names:
            try:
                g = self._group(name)
                for k in keys:
                    if k not in g["obs"]:
                        self._fail(name, [ValidationError(self.path, name, f"obs/{k}", "missing")])
                    w = int(np.prod(g["obs"][k].shape[1:], dtype=np.int64))
                    if widths.setdefault(k, w) != w:
                        problem = f"width {w} differs from earlier demos' {widths[k]}"
                        self._fail(name, [ValidationError(self.path, name, f"obs/{k}", problem)])
                a = g["actions"].shape[1]
                if act_dim is not None and a != act_dim:
                    problem = f"{a} action dims, earlier demos have {act_dim}"
                    self._fail(name, [ValidationError(self.path, name, "actions", problem)])
                act_dim = a
                sizes.append((name, g["actions"].shape[0]))
            except ValidationError:
                if not self.lenient:
                    raise
        slices, start = {}, 0
        for k in keys:
            slices[k] = slice(start, start + widths.get(k, 0))
            start += widths.get(k, 0)
        total = sum(n for _, n in sizes)
        obs = np.empty((total, start), np.float32)
        actions = np.empty((total, act_dim or 0), np.float32)
        ep_idx = np.empty(total, np.int64)
        step_idx = np.empty(total, np.int64)
        used: list[str] = []
        # Pass 2: read and value-check each demo into place; a demo skipped (lenient) leaves
        # no gap because the cursor only moves on success.
        row = 0
        for name, n in sizes:
            arrays = self._training_arrays(name, keys, use_labels)
            if arrays is None:
                continue
            for k in keys:
                obs[row : row + n, slices[k]] = arrays[f"obs/{k}"].reshape(n, -1)
            actions[row : row + n] = self._train_actions(arrays)
            ep_idx[row : row + n] = len(used)
            step_idx[row : row + n] = np.arange(n)
            used.append(name)
            row += n
        if row < total:  # some demos were skipped: drop the unused tail
            obs, actions = obs[:row].copy(), actions[:row].copy()
            ep_idx, step_idx = ep_idx[:row].copy(), step_idx[:row].copy()
        return Transitions(
            obs=obs,
            actions=actions,
            episode_index=ep_idx,
            step_index=step_idx,
            demo_names=used,
            obs_keys=keys,
            obs_slices=slices,
        )

    def _training_arrays(
        self, name: str, keys: list[str], use_labels: bool
    ) -> dict[str, np.ndarray] | None:
        """Read (and value-check) only what training uses; None if skipped (lenient)."""
        try:
            g = self._group(name)
            for k in keys:
                if k not in g["obs"]:
                    self._fail(name, [ValidationError(self.path, name, f"obs/{k}", "missing")])
            fields = [f"obs/{k}" for k in keys] + ["actions"]
            if use_labels and "labels" in g:
                fields.append("labels")
            arrays = {f: g[f][()] for f in fields}
            errs = check_values(self.path, name, arrays)
            if errs:
                self._fail(name, errs)
        except ValidationError:
            if not self.lenient:
                raise
            return None  # listed in problems by _fail
        return arrays

    @staticmethod
    def _train_actions(arrays: dict[str, np.ndarray]) -> np.ndarray:
        actions = arrays["actions"].astype(np.float32)  # (N, A)
        labels = arrays.get("labels")
        if labels is not None:
            labelled = np.isfinite(labels).all(axis=1)
            actions[labelled] = labels[labelled]
        return actions

    @reads
    def stats(
        self, keys: list[str] | None = None, demos: list[str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """Per-key mean/std/min/max for normalisation, over obs keys and ``"actions"``.

        Streams demo by demo, so memory stays at one demo. Each demo's mean and sum of squared
        deviations are computed in two passes (float64) and merged with Chan et al.'s parallel
        update, which stays accurate when values sit far from zero (E[x²]−E[x]² does not).
        Actions are the ones ``transitions()`` trains on (labels where present).
        """
        keys = list(keys) if keys is not None else self._default_keys()
        acc: dict[str, list] = {}  # key -> [count, mean, M2 (sum of squared deviations), min, max]
        obs_keys = [k for k in keys if k != "actions"]
        for name in self._select(demos, None):
            arrays = self._training_arrays(name, obs_keys, True)
            if arrays is None:
                continue
            n = len(arrays["actions"])
            if n == 0:
                continue
            columns = {k: arrays[f"obs/{k}"].reshape(n, -1) for k in obs_keys}
            columns["actions"] = self._train_actions(arrays)
            for k, x in columns.items():
                x = x.astype(np.float64)
                mean_b = x.mean(axis=0)
                m2_b = np.square(x - mean_b).sum(axis=0)
                if k not in acc:
                    acc[k] = [n, mean_b, m2_b, x.min(axis=0), x.max(axis=0)]
                    continue
                a = acc[k]
                count = a[0] + n
                delta = mean_b - a[1]
                a[1] = a[1] + delta * (n / count)
                a[2] = a[2] + m2_b + delta * delta * (a[0] * n / count)
                a[0] = count
                a[3] = np.minimum(a[3], x.min(axis=0))
                a[4] = np.maximum(a[4], x.max(axis=0))
        return {
            k: {"mean": mean, "std": np.sqrt(m2 / count), "min": lo, "max": hi}
            for k, (count, mean, m2, lo, hi) in acc.items()
        }
