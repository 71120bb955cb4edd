"""Training API behaviour: generator protocol, devices, divergence, splits and windows."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from algo_helpers import linear_demos, run_all, small_config

import algorithms
from algorithms import bc, training
from algorithms.data import split_demos, window_indices


def test_train_generator_yields_floats_and_returns_policy(tiny_data):
    gen = algorithms.train(small_config("bc"), tiny_data, device="cpu", rng=0)
    seen = []
    while True:
        try:
            seen.append(next(gen))
        except StopIteration as stop:
            policy = stop.value
            break
    assert [m["step"] for m in seen] == [10.0, 20.0]
    keys = {"step", "epoch", "loss", "val_loss", "lr", "samples_per_s"}
    assert keys == seen[0].keys()
    assert isinstance(policy, algorithms.Policy)


def test_gradient_clipping_reports_the_norm(tiny_data):
    cfg = small_config("bc", grad_clip=1e-3)
    metrics = run_all(algorithms.Trainer(cfg, tiny_data, device="cpu", rng=0))
    assert metrics[-1]["grad_norm"] > 1e-3  # the norm before clipping


def test_caller_can_stop_and_take_the_policy(tiny_data, tmp_path):
    trainer = algorithms.Trainer(
        small_config("cvae", steps=1000), tiny_data, device="cpu", rng=0, log_every=5
    )
    for metrics in trainer.run():
        assert "loss_kl" in metrics and "loss_recon" in metrics
        break
    assert trainer.step == 5
    policy = trainer.policy()
    assert policy.lineage["steps"] == 5
    algorithms.load_policy(trainer.save(tmp_path / "ck.pt"))


def test_device_errors():
    assert algorithms.resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="unknown device"):
        algorithms.resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no usable CUDA"):
            algorithms.resolve_device("cuda")
        with pytest.raises(ValueError, match="no usable CUDA"):
            algorithms.Trainer(small_config("bc"), linear_demos(), device="cuda", rng=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_trains_on_cuda(tiny_data):
    trainer = algorithms.Trainer(small_config("bc"), tiny_data, device="cuda", rng=0)
    run_all(trainer)
    assert trainer.policy().act(tiny_data.obs[0]).shape == (2,)


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_data, tmp_path, monkeypatch):
    path = tmp_path / "ck.pt"
    cfg = small_config("bc", steps=100, log_every=10)
    trainer = algorithms.Trainer(cfg, tiny_data, device="cpu", rng=0, checkpoint_path=path)
    real_loss = bc.BC.loss

    def poisoned(self, *args, **kwargs):
        loss, parts = real_loss(self, *args, **kwargs)
        return (loss * float("nan") if trainer.step >= 25 else loss), parts  # from step 26 on

    monkeypatch.setattr(bc.BC, "loss", poisoned)
    seen = []
    # Caught at the step that went wrong (26), not at the next log point (30).
    with pytest.raises(algorithms.TrainingDiverged, match="training loss is nan near step 26"):
        for metrics in trainer.run():
            seen.append(metrics["step"])
    assert seen == [10.0, 20.0]
    assert trainer.step == 26
    kept = algorithms.load_policy(path)
    assert kept.lineage["steps"] == 20
    weights = trainer.policy().state_dict()
    assert all(torch.isfinite(w).all() for w in weights.values())
    for key, value in kept.state_dict().items():
        assert torch.equal(value, weights[key])


@pytest.mark.parametrize("every", [1, 10])
def test_nan_is_caught_between_log_points(tiny_data, monkeypatch, every):
    # every=10 is the accelerator's cadence (no host sync per step), exercised here on CPU.
    monkeypatch.setattr(training, "_FINITE_CHECK_EVERY_CPU", every, raising=False)
    cfg = small_config("bc", steps=200, log_every=100)
    trainer = algorithms.Trainer(cfg, tiny_data, device="cpu", rng=0)
    start = trainer.policy().state_dict()
    real_loss = bc.BC.loss

    def poisoned(self, *args, **kwargs):
        loss, parts = real_loss(self, *args, **kwargs)
        return (loss * float("inf") * 0 if trainer.step >= 36 else loss), parts

    monkeypatch.setattr(bc.BC, "loss", poisoned)
    with pytest.raises(algorithms.TrainingDiverged, match="training loss is nan"):
        run_all(trainer)
    assert trainer.step == (37 if every == 1 else 40)  # not 100, the first log point
    for key, value in trainer.policy().state_dict().items():  # rolled back to the start
        assert torch.equal(value, start[key])


def _threads_during_run(trainer: algorithms.Trainer, stop_after: int | None = None) -> list[int]:
    seen = []
    gen = trainer.run()
    for i, _ in enumerate(gen):
        seen.append(torch.get_num_threads())
        if stop_after is not None and i + 1 >= stop_after:
            gen.close()
            break
    return seen


def test_thread_setting_applies_during_the_run_and_is_restored(tiny_data, monkeypatch):
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1
    try:
        torch.set_num_threads(other)
        make = lambda: algorithms.Trainer(  # noqa: E731
            small_config("bc"), tiny_data, device="cpu", rng=0, num_threads=3
        )
        assert _threads_during_run(make()) == [3, 3]
        assert torch.get_num_threads() == other  # finished
        assert _threads_during_run(make(), stop_after=1) == [3]
        assert torch.get_num_threads() == other  # stopped early (close())

        real_loss = bc.BC.loss

        def poisoned(self, *args, **kwargs):
            loss, parts = real_loss(self, *args, **kwargs)
            return loss * float("nan"), parts

        monkeypatch.setattr(bc.BC, "loss", poisoned)
        with pytest.raises(algorithms.TrainingDiverged):
            run_all(make())
        assert torch.get_num_threads() == other  # diverged

        trainer = algorithms.Trainer(small_config("bc"), tiny_data, device="cpu", rng=0)
        assert trainer.num_threads == 0  # cfg.num_threads = 0: leave torch's setting alone
    finally:
        torch.set_num_threads(before)


def test_split_is_by_demo_and_seeded(tiny_data):
    train, val = split_demos(tiny_data, 0.34, np.random.default_rng(0))
    assert len(val) == 2 and len(train) == 4 and not set(train) & set(val)
    assert (train, val) == split_demos(tiny_data, 0.34, np.random.default_rng(0))
    tiny_data.val_demos = ["demo_5"]
    assert split_demos(tiny_data, 0.34, np.random.default_rng(0)) == (
        ["demo_0", "demo_1", "demo_2", "demo_3", "demo_4"],
        ["demo_5"],
    )


def test_no_validation_split_omits_val_loss(tiny_data):
    metrics = run_all(
        algorithms.Trainer(small_config("bc", val_fraction=0.0), tiny_data, device="cpu", rng=0)
    )
    assert "val_loss" not in metrics[-1]


def test_windows_stay_inside_their_demo():
    episode = np.array([0, 0, 0, 1, 1])
    w = window_indices(episode, history=2, chunk=3)
    np.testing.assert_array_equal(w["hist"], [[0, 0], [0, 1], [1, 2], [3, 3], [3, 4]])
    np.testing.assert_array_equal(
        w["chunk"], [[0, 1, 2], [1, 2, 2], [2, 2, 2], [3, 4, 4], [4, 4, 4]]
    )
    np.testing.assert_array_equal(w["chunk_mask"][1], [True, True, False])


def test_demo_data_validation():
    with pytest.raises(ValueError, match="NaN"):
        algorithms.DemoData.from_arrays(np.full((3, 2), np.nan), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="contiguous"):
        algorithms.DemoData.from_arrays(np.zeros((3, 2)), np.zeros((3, 1)), np.array([0, 1, 0]))


def test_temporal_ensembling_averages_overlapping_chunks(tiny_data):
    cfg = small_config("cvae", chunk_size=3, z_mode="zero", ensemble_decay=0.0)
    policy = algorithms.Trainer(cfg, tiny_data, device="cpu", rng=0).policy()
    obs = tiny_data.obs[:3]
    chunks = []
    net = policy.net
    for o in obs:
        x = ((torch.from_numpy(o) - net.obs_mean) / net.obs_std)[None, None]
        with torch.no_grad():
            chunks.append(net.net.predict(x, episode_state={})[0] * net.act_std + net.act_mean)
    policy.reset()
    acts = [policy.act(o) for o in obs]
    expected = (chunks[0][2] + chunks[1][1] + chunks[2][0]) / 3  # all three cover step 2
    np.testing.assert_allclose(acts[2], expected.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(acts[0], chunks[0][0].numpy(), rtol=1e-5, atol=1e-6)


_FIRST_STEP_SCRIPT = """
import json, sys
import numpy as np
import algorithms
before = set(sys.modules)
if sys.argv[1] == "warm":
    algorithms.warm_up()
warmed = set(sys.modules) - before
data = algorithms.DemoData.from_arrays(np.zeros((8, 2)), np.zeros((8, 1)))
values = {"steps": 2, "log_every": 1, "hidden_sizes": (4,), "grad_clip": 1.0}
cfg = algorithms.make_config("bc", values)
snapshot = set(sys.modules)
next(iter(algorithms.Trainer(cfg, data, device="cpu", rng=0).run()))
print(json.dumps({"warm_up": sorted(warmed), "first_step": sorted(set(sys.modules) - snapshot)}))
"""


def _modules_imported(mode: str) -> dict[str, list[str]]:
    # A fresh interpreter: in this one, earlier tests have long since done the lazy imports.
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _FIRST_STEP_SCRIPT, mode],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_warm_up_does_the_lazy_imports_of_the_first_training_step():
    cold = _modules_imported("cold")
    # Without warm_up the first step imports modules (torch.optim's lazy imports, >1 s)...
    assert any(m.startswith("torch._dynamo") for m in cold["first_step"])
    warm = _modules_imported("warm")
    assert any(m.startswith("torch._dynamo") for m in warm["warm_up"])
    # ... after it, building the trainer and its first step import nothing.
    assert warm["first_step"] == []


class _NormedNet(torch.nn.Module):
    """A stand-in algorithm with a LayerNorm (weight 1, bias 0 by its own init)."""

    def __init__(self, cfg, *, obs_dim: int, act_dim: int) -> None:
        super().__init__()
        self.inp = torch.nn.Linear(obs_dim, 8)
        self.norm = torch.nn.LayerNorm(8)
        self.out = torch.nn.Linear(8, act_dim)


def test_init_parameters_keeps_each_layers_own_init_and_the_global_rng():
    def build(seed: int) -> torch.nn.Module:
        gen = torch.Generator().manual_seed(seed)
        return training.init_parameters(_NormedNet, None, 3, 2, generator=gen)

    before = torch.get_rng_state()
    net = build(0)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's global RNG is untouched
    assert torch.equal(net.norm.weight, torch.ones(8))  # LayerNorm's own init, not zeros
    assert torch.equal(net.norm.bias, torch.zeros(8))
    bound = 1 / 3**0.5  # PyTorch's Linear init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias
    assert net.inp.weight.abs().max() <= bound and net.inp.weight.std() > 0.1 * bound
    assert net.inp.bias.abs().max() <= bound and net.inp.bias.abs().sum() > 0
    again, other = build(0), build(1)
    for (name, p), q, r in zip(
        net.named_parameters(), again.parameters(), other.parameters(), strict=True
    ):
        assert torch.equal(p, q), name  # the generator alone decides
        if "norm" not in name:
            assert not torch.equal(p, r), name


def test_negative_thread_count_is_refused(tiny_data):
    with pytest.raises(ValueError, match="num_threads must be >= 0"):
        algorithms.Trainer(small_config("bc"), tiny_data, device="cpu", rng=0, num_threads=-2)


class _Transitions:
    """What Dataset.transitions returns, here with demo_1 of 0 steps between two real demos."""

    def __init__(self, lengths: list[int]) -> None:
        n = sum(lengths)
        self.obs = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
        self.actions = np.ones((n, 1), np.float32)
        self.episode_index = np.repeat(np.arange(len(lengths)), lengths)
        self.step_index = np.concatenate([np.arange(k) for k in lengths])
        self.demo_names = [f"demo_{i}" for i in range(len(lengths))]
        self.obs_keys = ["x"]
        self.obs_slices = {"x": slice(0, 2)}


def test_zero_step_demos_never_crash_training():
    data = algorithms.as_demo_data(_Transitions([5, 0, 4]))
    trainer = algorithms.Trainer(small_config("bc", val_fraction=0.0), data, device="cpu", rng=0)
    assert trainer.train_demos == ["demo_0", "demo_2"]  # the empty demo has nothing to train on
    run_all(trainer)
    with pytest.raises(ValueError, match="no transitions to train on"):
        algorithms.as_demo_data(_Transitions([0, 0]))
