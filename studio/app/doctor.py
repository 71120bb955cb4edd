"""The training doctor: plain-language hints when a run's curves show a known failure.

Qt-free: :func:`diagnose` reads the metrics history (key -> list of values, one per yield) and
how the run ended, and returns hints. Each rule names the pattern, what it usually means and
what to try. Thresholds are deliberately coarse: a hint is a suggestion, not a verdict.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MIN_ROUNDS = 4  # GAIL rounds before judging the discriminator
MIN_POINTS = 5  # log points before judging over-fitting


@dataclass(frozen=True)
class Hint:
    """One finding: a short title and what to do about it."""

    kind: str
    title: str
    text: str


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def _disc_acc(history: Mapping[str, Sequence[float]]) -> list[float]:
    """Mean accuracy of the discriminator per round (expert and policy samples alike)."""
    exp, pol = history.get("disc_acc_expert", []), history.get("disc_acc_policy", [])
    return [(a + b) / 2 for a, b in zip(exp, pol, strict=False) if math.isfinite(a + b)]


def diagnose(
    history: Mapping[str, Sequence[float]], *, status: str = "", message: str = ""
) -> list[Hint]:
    """Hints for the curves in ``history`` and the run's ``status``/``message``."""
    hints: list[Hint] = []
    if status == "diverged":
        hints.append(
            Hint(
                "nan",
                "The loss became NaN",
                f"{message} The weights were rolled back to the last good log point and the "
                "checkpoint holds them. Lower the learning rate, set grad_clip (e.g. 10), or "
                "look for extreme values in the demos.",
            )
        )
    acc = _disc_acc(history)
    if len(acc) >= MIN_ROUNDS:
        recent = acc[-MIN_ROUNDS:]
        reward = _finite(history.get("learned_reward", []))[-MIN_ROUNDS:]
        spread = (max(reward) - min(reward)) if reward else 0.0
        flat = not reward or spread < 0.05 * (abs(sum(reward) / len(reward)) + 1e-3) + 0.02
        if min(recent) > 0.97 and flat:
            hints.append(
                Hint(
                    "disc_wins",
                    "The discriminator wins outright",
                    "It tells expert from policy almost perfectly (accuracy ≈ 1) and the "
                    "learned reward is flat, so the policy gets no signal to improve. Give D "
                    "fewer updates (disc_updates) or a lower disc_lr, add a gradient penalty "
                    "(grad_penalty = 10), or warm-start the policy with BC (warm_start).",
                )
            )
        if all(abs(a - 0.5) < 0.06 for a in acc):
            hints.append(
                Hint(
                    "disc_blind",
                    "The discriminator learns nothing",
                    "Its accuracy has stayed near 0.5 from the start: it cannot tell expert "
                    "from policy samples, so the reward is noise. Check that the demos and the "
                    "scene match (observation parts, action scale), raise disc_lr or "
                    "disc_updates, or use a wider discriminator (disc_hidden_sizes).",
                )
            )
    val = history.get("val_loss", [])
    train = history.get("loss", [])
    steps = history.get("step", [])
    rows = [i for i, (v, t) in enumerate(zip(val, train, strict=False)) if math.isfinite(v + t)]
    pairs = [(val[i], train[i]) for i in rows]
    if len(pairs) >= MIN_POINTS:
        vals = [v for v, _ in pairs]
        best = min(range(len(vals)), key=vals.__getitem__)
        since = len(vals) - 1 - best
        rising = vals[-1] > vals[best] * 1.1 + 1e-9
        train_falling = pairs[-1][1] < pairs[best][1]
        if since >= 2 and rising and train_falling:
            at = rows[best]
            when = f"step {int(steps[at])}" if at < len(steps) else f"log point {best + 1}"
            hints.append(
                Hint(
                    "overfit",
                    "Over-fitting: validation loss rises while training loss falls",
                    "The policy memorises the training demos. Record more demos, stop earlier "
                    f"(the best validation loss was at {when}: set steps there), add obs_noise, "
                    "train on only the observation parts the task needs, or collect corrective "
                    "data with DAgger.",
                )
            )
    return hints
