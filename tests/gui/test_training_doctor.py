"""The training doctor's rules on synthetic curves (Qt-free)."""

from __future__ import annotations

from studio.app.doctor import diagnose


def _kinds(history, **kw) -> list[str]:
    return [h.kind for h in diagnose(history, **kw)]


def test_discriminator_that_wins_outright_with_a_flat_reward():
    history = {
        "disc_acc_expert": [0.8, 0.99, 1.0, 1.0, 1.0],
        "disc_acc_policy": [0.7, 0.98, 1.0, 0.99, 1.0],
        "learned_reward": [-2.0, -5.0, -5.0, -5.01, -5.0],
    }
    assert _kinds(history) == ["disc_wins"]
    history["learned_reward"] = [-2.0, -5.0, -3.0, -1.0, 0.5]  # the reward still moves
    assert _kinds(history) == []


def test_discriminator_that_learns_nothing():
    history = {"disc_acc_expert": [0.5, 0.52, 0.49, 0.51], "disc_acc_policy": [0.5] * 4}
    assert _kinds(history) == ["disc_blind"]
    assert _kinds({k: v[:3] for k, v in history.items()}) == []  # too early to say
    history["disc_acc_expert"][-1] = 0.8
    history["disc_acc_policy"][-1] = 0.8
    assert _kinds(history) == []


def test_validation_loss_rising_while_training_loss_falls():
    history = {"loss": [1.0, 0.6, 0.4, 0.3, 0.2, 0.1], "val_loss": [1.0, 0.7, 0.6, 0.7, 0.8, 0.9]}
    hints = diagnose(history)
    assert [h.kind for h in hints] == ["overfit"] and "DAgger" in hints[0].text
    assert "log point 3" in hints[0].text  # no steps known
    history["step"] = [100, 200, 300, 400, 500, 600]
    assert "best validation loss was at step 300" in diagnose(history)[0].text
    healthy = {"loss": history["loss"], "val_loss": [1.0, 0.7, 0.6, 0.55, 0.5, 0.5]}
    assert _kinds(healthy) == []


def test_nan_names_the_rollback():
    hints = diagnose({}, status="diverged", message="bc: training loss is nan near step 7.")
    assert [h.kind for h in hints] == ["nan"] and "rolled back" in hints[0].text
