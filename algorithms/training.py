"""The training loop shared by every algorithm: a generator of plain-float metrics.

An algorithm is an ``nn.Module`` built as ``Algorithm(cfg, obs_dim=D, act_dim=A)`` with

- ``loss(obs (B, k, D), actions (B, H, A), mask (B, H), *, generator) -> (loss, {name: tensor})``
  in normalised units (``k`` = ``cfg.obs_history``, ``H`` = ``cfg.chunk_size``, both default 1);
- ``predict(obs (B, k, D), *, generator, episode_state: dict) -> (B, H, A)`` at act time.

:class:`Trainer` puts the demonstrations on the device once, samples batches there with a seeded
``torch.Generator`` and yields metrics every ``cfg.log_every`` steps; the caller may stop at any
yield. No global seeding: everything derives from the ``rng`` passed in.
"""

from __future__ import annotations

import copy
import math
import os
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from algorithms import registry
from algorithms.checkpoint import code_version, save_checkpoint
from algorithms.data import as_demo_data, split_demos, window_indices
from algorithms.policy import Policy, PolicyNet

_VAL_BATCH = 8192
_FINITE_CHECK_EVERY = 10  # steps between finiteness checks of the loss on an accelerator
_FINITE_CHECK_EVERY_CPU = 1  # and on CPU, where the check is free


class TrainingDiverged(RuntimeError):  # noqa: N818  (reads as an event, like StopIteration)
    """The loss became NaN or inf; the trainer rolled back to the last good weights."""


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cuda"`` without CUDA -> ``ValueError``."""
    name = str(device)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise ValueError(f"unknown device {name!r}; use 'auto', 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {name!r} requested but this torch has no usable CUDA "
            f"(torch {torch.__version__}); use device='cpu' or 'auto'"
        )
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(f"device {name!r} is not supported; use 'auto', 'cpu' or 'cuda'")
    return dev


def warm_up() -> None:
    """Take one tiny optimiser step so that torch.optim's lazy imports (>1 s) happen now."""
    layer = torch.nn.Linear(2, 1)
    opt = torch.optim.AdamW(layer.parameters(), lr=1e-3)
    layer(torch.zeros(1, 2)).sum().backward()
    opt.step()


def init_parameters(
    algo_cls: type, cfg: Any, obs_dim: int, act_dim: int, *, generator: torch.Generator
) -> torch.nn.Module:
    """Build an algorithm's network with each layer's own initialisation, seeded by ``generator``.

    The layers draw from torch's global generator as usual (so a LayerNorm starts at weight 1,
    bias 0, and a Linear gets PyTorch's Kaiming-uniform init), but inside
    ``torch.random.fork_rng()`` reseeded from ``generator``: the result depends on
    ``generator`` only, and the caller's global RNG state is left exactly as it was.
    """
    seed = int(torch.randint(2**62, (1,), generator=generator))
    with torch.random.fork_rng(devices=[]):  # CPU only: the net is built on the CPU
        torch.manual_seed(seed)
        return algo_cls(cfg, obs_dim=obs_dim, act_dim=act_dim)


class Trainer:
    """Trains one algorithm on demonstrations.

    Example::

        trainer = Trainer(cfg, "demos.h5", rng=np.random.default_rng(0), checkpoint_path="ck.pt")
        for metrics in trainer.run():   # {"step": 100.0, "loss": 0.12, "val_loss": ...}
            if stop_requested:
                break
        policy = trainer.policy()        # any time between yields, or the run's return value
        trainer.save("final.pt")

    Args:
        cfg: a registered algorithm's config (its type picks the algorithm).
        data: ``recordings.Dataset``, a path to one, ``Transitions`` or ``DemoData``.
        device: ``"auto"``, ``"cpu"`` or ``"cuda"``.
        rng: numpy generator, or an int seed (recorded in the checkpoint's lineage).
        checkpoint_path: when given, the latest good weights are written here at every log
            point and at the end; a diverged run leaves the last good file in place.
        num_threads: torch CPU threads during :meth:`run` (1 leaves cores to a UI thread);
            ``None`` uses ``cfg.num_threads`` (0 = leave torch's setting). The previous setting
            is restored when the run finishes, raises or is closed.
        log_every: overrides ``cfg.log_every``.
    """

    def __init__(
        self,
        cfg: Any,
        data: Any,
        *,
        device: str | torch.device = "auto",
        rng: np.random.Generator | int,
        checkpoint_path: str | os.PathLike[str] | None = None,
        num_threads: int | None = None,
        log_every: int | None = None,
    ) -> None:
        self.cfg = cfg
        self.algorithm = registry.name_of(cfg)
        self.device = resolve_device(device)
        seed = int(rng) if isinstance(rng, int | np.integer) else None
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(seed)
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path else None
        self.num_threads = cfg.num_threads if num_threads is None else int(num_threads)
        if self.num_threads < 0:
            raise ValueError(f"num_threads must be >= 0 (0 = leave as is), got {num_threads}")
        self.log_every = int(log_every or cfg.log_every)
        self.step = 0

        demo = as_demo_data(data)
        self.train_demos, self.val_demos = split_demos(demo, cfg.val_fraction, gen)
        torch_seed = int(gen.integers(2**62))
        self._gen = torch.Generator(device=self.device).manual_seed(torch_seed)
        self._val_seed = torch_seed + 1
        torch_init = torch.Generator().manual_seed(torch_seed + 2)

        history = int(getattr(cfg, "obs_history", 1))
        chunk = int(getattr(cfg, "chunk_size", 1))
        win = window_indices(demo.episode_index, history, chunk)
        name_of_row = np.asarray(demo.demo_names, dtype=object)[demo.episode_index]
        train_rows = np.flatnonzero(np.isin(name_of_row, self.train_demos))
        val_rows = np.flatnonzero(np.isin(name_of_row, self.val_demos))

        dev = self.device
        obs = torch.as_tensor(demo.obs, device=dev)  # (N, D) float32
        act = torch.as_tensor(demo.actions, device=dev)  # (N, A)
        obs_dim, act_dim = obs.shape[1], act.shape[1]
        algo_cls = registry.get(self.algorithm).algorithm_cls
        algo = init_parameters(algo_cls, cfg, obs_dim, act_dim, generator=torch_init)
        self.net = PolicyNet(algo, obs_dim=obs_dim, act_dim=act_dim).to(dev)
        train_t = torch.as_tensor(train_rows, device=dev)
        if cfg.normalize:
            self.net.set_stats(obs[train_t], act[train_t])
        # The whole dataset lives on the device, normalised once; batches are index gathers.
        self._obs = (obs - self.net.obs_mean) / self.net.obs_std
        self._act = (act - self.net.act_mean) / self.net.act_std
        self._hist = torch.as_tensor(win["hist"], device=dev)  # (N, k)
        self._chunk = torch.as_tensor(win["chunk"], device=dev)  # (N, H)
        self._mask = torch.as_tensor(win["chunk_mask"], device=dev, dtype=torch.float32)
        self._ones = torch.ones(max(cfg.batch_size, _VAL_BATCH), 1, device=dev)  # chunk of 1
        self._train_rows = train_t
        self._val_rows = torch.as_tensor(val_rows, device=dev)

        self.opt = torch.optim.AdamW(
            self.net.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        if cfg.lr_schedule == "cosine":
            self.sched: torch.optim.lr_scheduler.LRScheduler = (
                torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=cfg.steps)
            )
        else:
            self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda _: 1.0)
        self.obs_keys = list(demo.obs_keys)
        self.lineage: dict[str, Any] = {
            **demo.lineage,
            "algorithm": self.algorithm,
            "seed": seed,
            "torch_seed": torch_seed,
            "train_demos": list(self.train_demos),
            "val_demos": list(self.val_demos),
            "obs_keys": self.obs_keys,
            "obs_slices": {k: list(v) for k, v in demo.obs_slices.items()},
            "num_samples": len(train_rows),
            "code_version": code_version(),
        }
        self._good_state = self._snapshot()

    # -- batches ----------------------------------------------------------------------------
    def _batch(self, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self._hist.shape[1] == 1:
            obs = self._obs[rows].unsqueeze(1)  # (B, 1, D): one gather, no window indices
        else:
            obs = self._obs[self._hist[rows]]  # (B, k, D)
        if self._chunk.shape[1] == 1:
            return obs, self._act[rows].unsqueeze(1), self._ones[: len(rows)]
        act = self._act[self._chunk[rows]]  # (B, H, A)
        return obs, act, self._mask[rows]  # mask (B, H)

    def _snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    # -- public -----------------------------------------------------------------------------
    @torch.no_grad()
    def validation_loss(self) -> float:
        """Mean loss over the held-out demos (NaN when there are none); deterministic."""
        n = len(self._val_rows)
        if n == 0:
            return math.nan
        gen = torch.Generator(device=self.device).manual_seed(self._val_seed)
        self.net.eval()
        total = torch.zeros((), device=self.device)
        for i in range(0, n, _VAL_BATCH):
            rows = self._val_rows[i : i + _VAL_BATCH]
            loss, _ = self.net.net.loss(*self._batch(rows), generator=gen)
            total += loss * len(rows)
        self.net.train()
        return float(total / n)

    def run(self) -> Generator[dict[str, float], None, Policy]:
        """Train until ``cfg.steps``, yielding metrics every ``log_every`` steps.

        Yields:
            ``step``, ``epoch``, ``loss`` and one ``loss_<part>`` per loss term (means since the
            last yield), ``val_loss`` (when there is a validation split), ``lr``,
            ``grad_norm`` and ``samples_per_s``; all plain floats.

        Returns:
            The trained :class:`Policy` (``policy = yield from trainer.run()``).

        Raises:
            TrainingDiverged: the loss became NaN/inf (checked every step on CPU, every 10 steps
                on CUDA, and at log points); weights are rolled back to the last good log point
                (and the checkpoint file, if any, is left at that point).
        """
        threads_before = torch.get_num_threads()
        if self.num_threads > 0:
            torch.set_num_threads(self.num_threads)
        try:
            return (yield from self._run())
        finally:  # also when the caller stops early (close()) or the run raises
            if self.num_threads > 0:
                torch.set_num_threads(threads_before)

    def _run(self) -> Generator[dict[str, float], None, Policy]:
        cfg, dev = self.cfg, self.device
        batch = min(cfg.batch_size, len(self._train_rows))
        n_train = len(self._train_rows)
        params = list(self.net.net.parameters())
        self.net.train()
        # A NaN/inf loss is caught within check_every steps, not only at log points: every step
        # on CPU (reading a CPU scalar costs ~1 us), every few on an accelerator (where each
        # read-back waits for the queued work).
        check_every = _FINITE_CHECK_EVERY_CPU if dev.type == "cpu" else _FINITE_CHECK_EVERY
        sums: dict[str, torch.Tensor] = {}
        grad_sum = torch.zeros((), device=dev)
        count, tic = 0, time.perf_counter()
        while self.step < cfg.steps:
            pick = torch.randint(n_train, (batch,), generator=self._gen, device=dev)
            obs, act, mask = self._batch(self._train_rows[pick])
            if cfg.obs_noise > 0:
                # Input noise: a cheap regulariser and a crude stand-in for states slightly off
                # the demonstrations (data augmentation, CMU 10-403's imitation lecture).
                noise = torch.randn(obs.shape, generator=self._gen, device=dev)
                obs = obs + cfg.obs_noise * noise
            loss, parts = self.net.net.loss(obs, act, mask, generator=self._gen)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip > 0:
                grad_sum += torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            self.opt.step()
            self.sched.step()
            self.step += 1
            count += 1
            # Accumulate on the device; read back (one sync) at log points and finiteness checks.
            for key, value in {"loss": loss, **parts}.items():
                sums[key] = sums.get(key, 0) + value.detach()
            if self.step % self.log_every and self.step < cfg.steps:
                if self.step % check_every == 0:
                    # A NaN/inf loss since the last log point makes the running sum non-finite.
                    total = float(sums["loss"])
                    if not math.isfinite(total):
                        self._diverged(f"training loss is {total}")
                continue
            elapsed = time.perf_counter() - tic
            metrics = {
                "step": float(self.step),
                "epoch": self.step * batch / n_train,
                **{(k if k == "loss" else f"loss_{k}"): float(v) / count for k, v in sums.items()},
            }
            if not math.isfinite(metrics["loss"]):
                self._diverged(f"training loss is {metrics['loss']}")
            val = self.validation_loss()
            if len(self._val_rows):
                if not math.isfinite(val):
                    self._diverged(f"validation loss is {val}")
                metrics["val_loss"] = val
            metrics["lr"] = float(self.opt.param_groups[0]["lr"])
            if cfg.grad_clip > 0:
                metrics["grad_norm"] = float(grad_sum) / count
            metrics["samples_per_s"] = count * batch / max(elapsed, 1e-9)
            self._good_state = self._snapshot()
            if self.checkpoint_path is not None:
                self.save(self.checkpoint_path)
            sums, count = {}, 0
            grad_sum = torch.zeros((), device=dev)
            yield metrics
            tic = time.perf_counter()
        return self.policy()

    def _diverged(self, what: str) -> None:
        self.net.load_state_dict(self._good_state)
        kept = (
            f"; last good checkpoint kept at {self.checkpoint_path}" if self.checkpoint_path else ""
        )
        raise TrainingDiverged(
            f"{self.algorithm}: {what} near step {self.step}; weights rolled back to the last good "
            f"log point{kept}. Try a lower lr (now {self.cfg.lr}) or a smaller grad_clip."
        )

    def policy(self, device: str | torch.device = "cpu") -> Policy:
        """A copy of the current weights as a :class:`Policy` (safe to use from another thread)."""
        dev = resolve_device(device)
        net = copy.deepcopy(self.net).to(dev)
        return Policy(
            net,
            algorithm=self.algorithm,
            config=self.cfg,
            obs_keys=self.obs_keys,
            lineage={**self.lineage, "steps": self.step},
            device=dev,
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the current weights as a checkpoint (atomically)."""
        return save_checkpoint(path, self.policy())


def train(
    cfg: Any,
    data: Any,
    *,
    device: str | torch.device = "auto",
    rng: np.random.Generator | int,
    log_every: int | None = None,
    num_threads: int | None = None,
    checkpoint_path: str | os.PathLike[str] | None = None,
    make_env: Any = None,
) -> Iterator[dict[str, float]]:
    """Train ``cfg``'s algorithm on ``data``; a generator of metric dicts (see :meth:`Trainer.run`).

    The generator's return value is the trained policy: ``policy = yield from train(...)``. Use
    :class:`Trainer` directly to take a policy or a checkpoint mid-run. Algorithms that learn in
    an env (``gail``) need ``make_env(seed) -> env`` and run their own trainer (``.trainer``).
    """
    return make_trainer(
        cfg,
        data,
        device=device,
        rng=rng,
        log_every=log_every,
        num_threads=num_threads,
        checkpoint_path=checkpoint_path,
        make_env=make_env,
    ).run()


def learns_in_env(name: str) -> bool:
    """Whether algorithm ``name`` collects experience in an env (and so needs ``make_env``)."""
    return getattr(registry.get(name).algorithm_cls, "trainer", None) is not None


def make_trainer(cfg: Any, data: Any, *, make_env: Any = None, **kwargs: Any) -> Any:
    """The trainer of ``cfg``'s algorithm: :class:`Trainer`, or the algorithm's own (``gail``).

    Raises:
        ValueError: the algorithm learns in an env and no ``make_env`` was given.
    """
    own = getattr(registry.get(registry.name_of(cfg)).algorithm_cls, "trainer", None)
    if own is None:
        return Trainer(cfg, data, **kwargs)
    if make_env is None:
        raise ValueError(f"{registry.name_of(cfg)} learns in an environment: pass make_env")
    return own(cfg, data, make_env=make_env, **kwargs)
