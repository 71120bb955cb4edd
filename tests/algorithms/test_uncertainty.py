"""Where to relabel: a BC ensemble's disagreement, and which measure a policy gets."""

from __future__ import annotations

import numpy as np
from algo_helpers import W, bimodal_demos, linear_demos, run_all, small_config

import algorithms
from algorithms.uncertainty import action_spread, uncertainty_kind


def _trained(steps: int = 300, **overrides) -> algorithms.Policy:
    cfg = small_config("bc", steps=steps, log_every=steps, lr=3e-3, **overrides)
    trainer = algorithms.Trainer(cfg, linear_demos(n_demos=10, steps=60), device="cpu", rng=0)
    run_all(trainer)
    return trainer.policy()


def test_ensemble_members_disagree_far_from_the_data_and_agree_on_it():
    policy = _trained(ensemble=4)
    inside = np.random.default_rng(1).uniform(-1, 1, size=(100, 3)).astype(np.float32)
    outside = 6.0 * np.sign(inside)  # six times as far out as any demo's observation
    on, off = action_spread(policy, inside), action_spread(policy, outside)
    assert on.shape == (100,) and np.isfinite(on).all()
    assert np.median(off) > 5 * np.median(on), (np.median(off), np.median(on))
    # The ensemble still learns the task: it acts with its members' mean.
    assert np.abs(policy.act(inside) - np.tanh(inside @ W.T)).mean() < 0.1
    assert uncertainty_kind(policy) == "ensemble disagreement (4 members)"


def test_ensemble_members_start_apart_and_a_checkpoint_keeps_them(tmp_path):
    policy = _trained(steps=1, ensemble=3)
    x = np.random.default_rng(2).uniform(-1, 1, size=(50, 3)).astype(np.float32)
    assert action_spread(policy, x).min() > 0  # different initialisations, not copies
    policy.save(tmp_path / "ens.pt")
    loaded = algorithms.load_policy(tmp_path / "ens.pt")
    np.testing.assert_allclose(action_spread(loaded, x), action_spread(policy, x), rtol=1e-5)


def test_one_network_keeps_the_state_dict_keys_of_older_checkpoints():
    keys = _trained(steps=1).state_dict().keys()
    assert not any(k.startswith("net.others") for k in keys)
    assert any(k.startswith("net.body") for k in keys)


def test_a_single_network_and_a_mixture_are_measured_their_own_way():
    single = _trained(steps=50)
    assert uncertainty_kind(single).startswith("sensitivity to input noise")
    assert action_spread(single, np.zeros((3, 3), np.float32)).shape == (3,)
    cfg = small_config("bc", head="gmm", steps=600, log_every=600, lr=3e-3, val_fraction=0.0)
    trainer = algorithms.Trainer(cfg, bimodal_demos(), device="cpu", rng=0)
    run_all(trainer)
    mixture = trainer.policy()
    assert uncertainty_kind(mixture) == "spread of the policy's samples"
    # Two modes at +-0.8 for every observation: samples spread by about 0.8.
    spread = action_spread(mixture, np.linspace(-1, 1, 20, dtype=np.float32)[:, None])
    assert 0.5 < np.median(spread) < 1.1, spread
