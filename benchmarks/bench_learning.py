"""Learning benchmark: BC on arm push, regression vs multimodal policies on the car, throughput.

1. Arm push: 20 scripted-expert demos -> BC on the scene's default observation parts (the
   relative ones) and on all parts (causal confusion);
2. Reacher-v5 (gymnasium, through the adapter): 20 scripted demos -> BC with default settings,
   scored between random actions (0) and the expert (1) on the same seeds;
3. Car with the 50/50 two-mode expert: 50 demos -> MSE-BC (averages the modes), GMM-BC and
   cVAE; success and collision rates over 100 seeded episodes.
4. Training throughput: samples/s of ``algorithms.Trainer`` (validation, logging, gradient
   clipping and the LR schedule included) against a bare PyTorch loop over the same model
   architecture, the same device tensors and the same optimiser, alternated in one process.

Demos are recorded with the scripted experts through ``recordings.RecordingFile`` into a temporary
file and read back with ``recordings.Dataset``, as the studio does. Everything runs on CPU with
one torch thread (the GUI's training worker does the same; on a 2-core machine it is also the
fastest setting for these small networks). Evaluation seeds (10_000 + i) differ from the demo
seeds (i).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

import algorithms
from algorithms.policy import mlp
from recordings import Dataset, Provenance, RecordingFile
from studio.benchmark import expert_vs_random_return
from studio.commands.collect import record_episode
from studio.envs import ARM_PUSH, CAR_OBSTACLE, default_obs_parts, make_env
from studio.experts import REACHER, make_expert

EVAL_EPISODES = 100
EVAL_SEED = 10_000

STEPS = 8000  # gradient steps of every run (batch 256): ~1,300 epochs of the arm demos

# name, algorithm, settings: the policies compared on the car. Input noise helps the cVAE (it
# was 84% without it in a trial) but hurts the mixture, whose NLL it blurs.
CAR_RUNS: list[tuple[str, str, dict[str, Any]]] = [
    ("BC, MSE head", "bc", {"head": "mse"}),
    ("BC, GMM head (K=5)", "bc", {"head": "gmm"}),
    ("cVAE, z sampled per step, obs_noise 0.1", "cvae", {"z_mode": "sample", "obs_noise": 0.1}),
    (
        "cVAE, chunks of 10 run open loop (ACT-style), obs_noise 0.1",
        "cvae",
        {"z_mode": "sample", "chunk_size": 10, "temporal_ensemble": False, "obs_noise": 0.1},
    ),
]


def collect(env_id: str, episodes: int, path: Path, *, seed: int = 0) -> float:
    """Record ``episodes`` scripted-expert demos (seeds seed..seed+n-1); the expert's success."""
    env = make_env(env_id)
    expert = make_expert(env_id, rng=np.random.default_rng(seed))
    rf = RecordingFile(path)
    successes = 0
    try:
        rf.set_env(env.env_args(), env.model_xml)
        for i in range(episodes):
            obs, info = env.reset(seed=seed + i)
            expert.reset()
            writer = rf.begin_episode(
                source="scripted", device=f"expert:{expert.name}", seed=seed + i
            )
            # The same recording loop as `imitation-studio collect`: what users train on.
            info, _ = record_episode(env, expert.act, writer, obs, provenance=Provenance.SCRIPTED)
            successes += bool(info["is_success"])
            writer.finish(success=bool(info["is_success"]))
    finally:
        rf.close()
        env.close()
    return successes / episodes


def train_and_eval(
    algo: str,
    settings: dict[str, Any],
    data_path: Path,
    env_id: str,
    *,
    obs_keys: list[str] | None = None,
) -> tuple[algorithms.EvalResult, float, dict[str, float]]:
    """Train with seed 0 on ``data_path`` (optionally on some observation parts only);
    evaluate on 100 seeded episodes."""
    cfg = algorithms.make_config(algo, {"steps": STEPS, **settings})
    tic = time.perf_counter()
    with Dataset(data_path) as ds:
        data = algorithms.as_demo_data(ds, obs_keys=obs_keys)
        trainer = algorithms.Trainer(cfg, data, device="cpu", rng=0)
    metrics = list(trainer.run())[-1]
    seconds = time.perf_counter() - tic
    result = algorithms.evaluate(
        trainer.policy(), lambda s: make_env(env_id), EVAL_EPISODES, EVAL_SEED
    )
    return result, seconds, metrics


def _row(name: str, r: algorithms.EvalResult, seconds: float, m: dict[str, float]) -> str:
    coll = "" if r.collision_rate is None else f"{r.collision_rate:.0%}"
    val = f"{m['val_loss']:.3f}" if "val_loss" in m else "-"
    return (
        f"| {name} | **{r.success_rate:.0%}** | {coll} | {r.mean_return:.1f} ± {r.std_return:.1f} "
        f"| {r.mean_length:.0f} | {m['loss']:.3f} / {val} | {seconds:.0f} s |"
    )


HEADER = (
    "| policy | success | collisions | return | length | train / val loss | train time |\n"
    "|---|---|---|---|---|---|---|"
)


# The arm's scene-default policy parts (puck_rel, goal_rel): what `train` uses with no flags.
ARM_DEFAULT = default_obs_parts(ARM_PUSH)


def arm_section(tmp: Path) -> str:
    """BC on 20 arm-push demos: on the scene's default parts, and on every part."""
    path = tmp / "arm.h5"
    expert = collect(ARM_PUSH, 20, path)
    rows, best = [HEADER], 0.0
    parts = " + ".join(ARM_DEFAULT or [])
    env = make_env(ARM_PUSH)
    n_parts = len(env.obs_parts)
    env.close()
    runs = [
        (f"BC, MSE head, scene default ({parts})", {}, ARM_DEFAULT),
        (f"BC, MSE head, all {n_parts} observation parts (`--obs-keys all`)", {}, None),
        (f"BC, GMM head (K=5), scene default ({parts})", {"head": "gmm"}, ARM_DEFAULT),
    ]
    for name, settings, keys in runs:
        result, seconds, metrics = train_and_eval("bc", settings, path, ARM_PUSH, obs_keys=keys)
        rows.append(_row(name, result, seconds, metrics))
        if keys is not None and not settings:
            best = result.success_rate
    verdict = "Target met." if best >= 0.8 else "**Target not met.**"
    return (
        f"## 1. Arm push, 20 scripted-expert demos (expert success {expert:.0%})\n\n"
        f"Default settings but {STEPS} steps (MLP 256x256), {EVAL_EPISODES} episodes. "
        "Target: BC success >= 80% with the scene's default observation parts.\n\n"
        "The same runs from the command line (demo seeds 0..19, evaluation seeds 10000..10099):\n\n"
        "```bash\n"
        "imitation-studio collect --env ImitationStudio/ArmPush-v0 --episodes 20 --out arm.h5\n"
        f"imitation-studio train --algo bc --data arm.h5 --steps {STEPS} --device cpu "
        "--threads 1   # scene default parts\n"
        f"imitation-studio train --algo bc --data arm.h5 --steps {STEPS} --device cpu "
        "--threads 1 --obs-keys all\n"
        f"imitation-studio train --algo bc --data arm.h5 --steps {STEPS} --device cpu "
        "--threads 1 --set head=gmm\n"
        "imitation-studio eval runs/<run>/checkpoint.pt --episodes 100 --seed 10000\n"
        "```\n\n"
        + "\n".join(rows)
        + f"\n\n{verdict} The observation decides it. On every part (joint angles and "
        "velocities, absolute positions, relative positions) 18 training demos leave BC free "
        "to key on features the expert ignores (the arm's joint angles, where on the table "
        "the puck happens to be): training loss falls, held-out loss stays high, and the "
        "policy stalls in unseen episodes. On the two relative parts the expert's function "
        "is all there is to learn, which is why the scene declares them its default "
        "(`policy_obs_parts`). Students see the same effect as 'causal confusion' (de Haan "
        "et al. 2019): more information can make imitation worse.\n"
    )


IMITATION_NOTE = (
    "For comparison (measured once, not by this benchmark: HumanCompatibleAI imitation 1.0.1 "
    "cannot be installed next to gymnasium 1.x, so it ran in a throwaway venv with a stub for"
    " a video module it imports): its BC on the same 20 demos, evaluated on seeds 1000..1099,"
    " scored 0.87-0.88 after 5000 batches of 32 (two runs; its policy initialisation is not "
    "seeded) and 0.81 after 1 epoch; this benchmark's BC scores 0.96 on those seeds."
)


def reacher_section(tmp: Path) -> str:
    """BC with default settings on 20 Reacher-v5 demos, scored against expert and random."""
    path = tmp / "reacher.h5"
    collect(REACHER, 20, path)
    cfg = algorithms.make_config("bc", {})
    tic = time.perf_counter()
    with Dataset(path) as ds:
        data = algorithms.as_demo_data(ds, obs_keys=default_obs_parts(REACHER))
        trainer = algorithms.Trainer(cfg, data, device="cpu", rng=0)
    metrics = list(trainer.run())[-1]
    seconds = time.perf_counter() - tic
    expert_ret, random_ret = expert_vs_random_return(REACHER, EVAL_EPISODES, seed=EVAL_SEED)
    result = algorithms.evaluate(
        trainer.policy(),
        lambda s: make_env(REACHER),
        EVAL_EPISODES,
        EVAL_SEED,
        expert_return=expert_ret,
        random_return=random_ret,
    )
    score = (result.mean_return - random_ret) / (expert_ret - random_ret)
    verdict = "Target met." if score >= 0.85 else "**Target not met.**"
    return (
        "## 2. Gymnasium Reacher-v5, 20 scripted-expert demos (obs/flat)\n\n"
        f"BC with every default setting ({cfg.steps} steps), {EVAL_EPISODES} episodes. "
        "Target: random-normalised score (R - R_random) / (R_expert - R_random) >= 0.85, all "
        "three on the same evaluation seeds.\n\n"
        "```bash\n"
        "imitation-studio collect --env Reacher-v5 --expert scripted --episodes 20 "
        "--out reacher.h5\n"
        "imitation-studio train --algo bc --data reacher.h5 --device cpu --threads 1\n"
        "imitation-studio eval runs/<run>/checkpoint.pt --episodes 100 --seed 10000 --expert\n"
        "```\n\n"
        "| policy | return | normalised score | train / val loss | train time |\n"
        "|---|---|---|---|---|\n"
        f"| scripted expert (IK + joint PD) | {expert_ret:.2f} | 1.00 | | |\n"
        f"| uniform random actions | {random_ret:.2f} | 0.00 | | |\n"
        f"| BC, default settings | {result.mean_return:.2f} ± {result.std_return:.2f} "
        f"| **{score:.2f}** | {metrics['loss']:.2g} / {metrics.get('val_loss', float('nan')):.3g} "
        f"| {seconds:.0f} s |\n\n"
        f"{verdict} {IMITATION_NOTE}\n"
    )


def car_section(tmp: Path) -> str:
    """MSE regression vs multimodal policies on the two-mode car expert."""
    path = tmp / "car.h5"
    expert = collect(CAR_OBSTACLE, 50, path)
    rows, results = [HEADER], []
    for name, algo, settings in CAR_RUNS:
        result, seconds, metrics = train_and_eval(algo, settings, path, CAR_OBSTACLE)
        rows.append(_row(name, result, seconds, metrics))
        results.append((name, result))
    mse = results[0][1]
    met = [n for n, r in results[1:] if r.success_rate >= 0.85]
    rows.append(
        f"\nMSE-BC: {mse.success_rate:.0%} success, {mse.collision_rate:.0%} collisions"
        f" ({'fails as expected' if mse.success_rate < 0.5 else 'does not fail as expected'}). "
        f">= 85%: {'; '.join(met) if met else 'none'}."
    )
    return (
        f"## 3. Car, 50 demos of the 50/50 two-mode expert (expert success {expert:.0%})\n\n"
        f"Default settings but {STEPS} steps, {EVAL_EPISODES} episodes. Expected: MSE-BC "
        "averages the left and right modes and drives into the obstacle; target >= 85% for the "
        "multimodal policies.\n\n" + "\n".join(rows) + "\n"
    )


def _bare_loop(obs: torch.Tensor, act: torch.Tensor, cfg: algorithms.BCConfig, steps: int) -> float:
    """Samples/s of the textbook loop: index, forward, MSE, backward, AdamW step."""
    gen = torch.Generator().manual_seed(0)
    model = mlp(obs.shape[1], cfg.hidden_sizes, act.shape[1], cfg.activation)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    n, batch = len(obs), cfg.batch_size
    tic = time.perf_counter()
    for _ in range(steps):
        idx = torch.randint(n, (batch,), generator=gen)
        loss = ((model(obs[idx]) - act[idx]) ** 2).sum(-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    float(loss.detach())  # wait for the last step
    return steps * batch / (time.perf_counter() - tic)


def _our_loop(data: algorithms.DemoData, cfg: algorithms.BCConfig) -> tuple[float, Any]:
    trainer = algorithms.Trainer(cfg, data, device="cpu", rng=0)
    tic = time.perf_counter()
    for _ in trainer.run():
        pass
    return cfg.steps * cfg.batch_size / (time.perf_counter() - tic), trainer


def throughput_section(tmp: Path, steps: int = 1500, repeats: int = 3) -> str:
    """Our training loop vs a bare PyTorch loop, same model, tensors and optimiser."""
    with Dataset(tmp / "car.h5") as ds:
        data = algorithms.as_demo_data(ds)
    cfg = algorithms.make_config("bc", {"steps": steps})
    ours, bare = [], []
    for _ in range(repeats):  # alternate, so both see the same machine load
        rate, trainer = _our_loop(data, cfg)
        ours.append(rate)
        bare.append(_bare_loop(trainer._obs, trainer._act, cfg, steps))
    o, b = statistics.median(ours), statistics.median(bare)
    return (
        "## 4. Training throughput (BC, MSE head, MLP 256x256, batch 256, car data)\n\n"
        f"Median of {repeats} alternating runs of {steps} steps each.\n\n"
        "| loop | samples/s |\n|---|---|\n"
        f"| `algorithms.Trainer` (validation every {cfg.log_every} steps, metrics, cosine LR) "
        f"| {o:,.0f} |\n"
        f"| bare PyTorch loop (index, forward, MSE, backward, AdamW) | {b:,.0f} |\n"
        f"| **ratio** | **{o / b:.2f}x** (target >= 0.8x) |\n"
    )


def main() -> str:
    """Run the four parts; return the Markdown report."""
    torch.set_num_threads(1)
    algorithms.warm_up()
    load = os.getloadavg()[0]
    tic = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        parts = [arm_section(tmp), reacher_section(tmp), car_section(tmp), throughput_section(tmp)]
    minutes = (time.perf_counter() - tic) / 60
    intro = (
        "CPU only, one torch thread, seed 0 for the split, initialisation and batches; "
        f"demos use seeds 0..N-1, evaluation seeds {EVAL_SEED}+i. Total time {minutes:.1f} min; "
        f"1-minute load average at the start {load:.1f} (other jobs share the machine, so the "
        "times and samples/s are noisy; the throughput ratio alternates the two loops).\n"
    )
    return intro + "\n" + "\n".join(parts)


if __name__ == "__main__":
    print(main())
