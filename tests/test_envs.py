"""The scenes: interface, bad input, exact state restore and the scripted experts."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from studio.envs import ARM_PUSH, CAR_OBSTACLE, default_obs_parts, make_env
from studio.envs.arm_push import ArmPushEnv
from studio.experts import make_expert

OURS = [ARM_PUSH, CAR_OBSTACLE]


@pytest.fixture(params=[*OURS, "Reacher-v5"])
def env(request):
    e = make_env(request.param)
    yield e
    e.close()


def test_interface(env):
    obs, info = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape
    assert env.action_space.shape == (len(env.action_labels),)
    assert np.all(env.action_space.low == -1) and np.all(env.action_space.high == 1)
    assert "is_success" in info
    parts = env.split_obs(obs)
    assert sum(v.shape[-1] for v in parts.values()) == obs.shape[0]
    np.testing.assert_array_equal(env.join_obs(parts), obs)
    batch = np.stack([obs, obs + 1])
    assert env.split_obs(batch)[next(iter(parts))].shape[0] == 2
    assert env.get_state().shape == (env.state_size,)
    args = env.env_args()
    assert args["env_name"] == env.env_id and args["type"] == args["env_type"]
    assert env.control_dt > 0 and env.max_episode_steps > 0


def test_our_scenes_carry_their_mjcf():
    for env_id in OURS:
        env = make_env(env_id)
        assert env.model_xml.lstrip().startswith("<mujoco")


def test_bad_input_is_a_clear_value_error(env):
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros(env.action_space.shape[0] + 1))
    with pytest.raises(ValueError, match="NaN"):
        env.step(np.full(env.action_space.shape, np.nan))
    with pytest.raises(ValueError, match="state has"):
        env.set_state(np.zeros(3))


def test_unknown_and_non_mujoco_ids_are_refused():
    with pytest.raises(ValueError, match="unknown environment id"):
        make_env("NoSuchThing-v0")
    with pytest.raises(ValueError, match="not a MuJoCo environment"):
        make_env("CartPole-v1")


def test_registered_with_gymnasium():
    env = gym.make(ARM_PUSH)
    obs, _ = env.reset(seed=1)
    assert obs.shape == env.observation_space.shape == (18,)


def test_seeded_reset_is_reproducible_and_varies(env):
    a, _ = env.reset(seed=5)
    b, _ = env.reset(seed=5)
    c, _ = env.reset(seed=6)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_replay_from_restored_state_is_bit_exact(env):
    """Replaying recorded actions from a restored frame reproduces the recorded states exactly."""
    rng = np.random.default_rng(0)
    env.reset(seed=3)
    states, actions, observations = [env.get_state()], [], []
    for _ in range(60):
        a = rng.uniform(-1, 1, env.action_space.shape)
        obs, *_ = env.step(a)
        actions.append(a)
        observations.append(obs)
        states.append(env.get_state())
    # Scramble the live state, then restore frame 0 and frame 25 and replay.
    env.reset(seed=99)
    for start in (0, 25):
        env.set_state(states[start])
        np.testing.assert_array_equal(env.get_state(), states[start])
        for t in range(start, 60):
            obs, *_ = env.step(actions[t])
            np.testing.assert_array_equal(env.get_state(), states[t + 1])
            np.testing.assert_array_equal(obs, observations[t])


def test_arm_moves_the_fingertip_where_it_is_told():
    env = make_env(ARM_PUSH)
    for direction in ([1, 0], [-1, 0], [0, 1], [0, -1]):
        obs, _ = env.reset(seed=0)
        start = env.split_obs(obs)["ee_pos"].copy()
        for _ in range(6):
            obs, *_ = env.step(np.array(direction, dtype=float))
        moved = env.split_obs(obs)["ee_pos"] - start
        assert moved @ np.array(direction) > 0.04, (direction, moved)
        # Mostly along the commanded axis: the controller is not fighting the person.
        assert abs(moved @ np.array(direction[::-1])) < 0.5 * abs(moved @ np.array(direction))


def test_car_steers_left_with_positive_steering_and_crashes_into_the_obstacle():
    env = make_env(CAR_OBSTACLE)
    env.reset(seed=0)
    yaw0 = np.arctan2(*env.split_obs(env._obs())["car_pose"][[3, 2]])
    for _ in range(5):
        obs, *_ = env.step(np.array([0.6, 1.0]))
    pose = env.split_obs(obs)["car_pose"]
    assert np.arctan2(pose[3], pose[2]) > yaw0 + 0.2
    # Aim straight at the obstacle and drive: the episode ends as a collision, not a success.
    env.reset(seed=0)
    for _ in range(env.max_episode_steps):
        rel = env.split_obs(env._obs())["obstacle_rel"]
        steer = np.clip(3 * np.arctan2(rel[1], rel[0]), -1, 1)
        obs, _, terminated, truncated, info = env.step(np.array([0.7, steer]))
        if terminated or truncated:
            break
    assert terminated and info["collision"] and not info["is_success"]
    # The rangefinder straight ahead saw the obstacle close by before the crash.
    assert env.split_obs(obs)["ranges"][len(env.split_obs(obs)["ranges"]) // 2] < 0.5


@pytest.mark.parametrize("env_id", OURS)
def test_scripted_experts_succeed(env_id):
    env = make_env(env_id)
    expert = make_expert(env_id, rng=np.random.default_rng(0))
    successes, sides = 0, set()
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        expert.reset()
        sides.add(getattr(expert, "side", 0))
        for _ in range(env.max_episode_steps):
            obs, _, terminated, truncated, info = env.step(expert.act(obs))
            if terminated or truncated:
                break
        successes += info["is_success"]
    assert successes >= 9
    if env_id == CAR_OBSTACLE:
        assert sides == {1.0, -1.0}  # both modes appear


def test_no_expert_for_other_gymnasium_scenes():
    with pytest.raises(ValueError, match="no scripted expert"):
        make_expert("Pusher-v5", rng=np.random.default_rng(0))


def test_render_gives_an_rgb_frame():
    env = make_env(ARM_PUSH, render_mode="rgb_array", width=160, height=120)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (120, 160, 3) and frame.dtype == np.uint8
    assert frame.std() > 5  # not a blank image
    env.close()


def test_out_of_range_actions_are_clipped_and_reported(env):
    env.reset(seed=0)
    *_, info = env.step(np.zeros(env.action_space.shape))
    assert info["action_clipped"] is False
    big = np.full(env.action_space.shape, 3.0)
    *_, info = env.step(big)
    assert info["action_clipped"] is True
    # Clipping is to the bounds: the same as commanding exactly +1.
    state = env.get_state()
    env.step(big)
    clipped_next = env.get_state()
    env.set_state(state)
    env.step(np.ones(env.action_space.shape))
    np.testing.assert_array_equal(env.get_state(), clipped_next)


def test_gymnasium_adapter_names_its_part_flat_as_robomimic_does():
    env = make_env("Reacher-v5")
    obs, _ = env.reset(seed=0)
    assert list(env.obs_parts) == ["flat"]
    assert env.env_args()["obs_parts"] == {"flat": [0, obs.shape[0]]}
    np.testing.assert_array_equal(env.split_obs(obs)["flat"], obs)
    env.close()


@pytest.mark.parametrize(
    ("env_id", "expected"),
    [(ARM_PUSH, ["puck_rel", "goal_rel"]), (CAR_OBSTACLE, None), ("Reacher-v5", None)],
)
def test_default_obs_parts_per_scene(env_id, expected):
    assert default_obs_parts(env_id) == expected
    env = make_env(env_id)
    assert env.policy_obs_parts == (None if expected is None else tuple(expected))
    # The defaults name parts the scene has, in its observation order.
    if expected is not None:
        order = list(env.obs_parts)
        assert sorted(expected, key=order.index) == expected
    env.close()


def test_default_obs_parts_builds_no_env(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("default_obs_parts built an env")

    monkeypatch.setattr(ArmPushEnv, "__init__", refuse)
    monkeypatch.setattr("studio.envs.adapter.GymMujocoAdapter.__init__", refuse)
    assert default_obs_parts(ARM_PUSH) == ["puck_rel", "goal_rel"]
    assert default_obs_parts("Reacher-v5") is None
    assert default_obs_parts("robomimic/Lift-v0") is None  # a foreign file's env: all parts


def test_arm_expert_is_a_function_of_the_default_parts():
    """Moving fingertip, puck and goal together (the relative parts unchanged) leaves the
    expert's action unchanged: the default parts hold everything it acts on."""
    env = make_env(ARM_PUSH)
    expert = make_expert(ARM_PUSH, rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    for seed in range(5):
        obs, _ = env.reset(seed=seed)
        for _ in range(rng.integers(0, 30)):
            obs, *_ = env.step(expert.act(obs))
        moved = obs.copy()
        offset = rng.uniform(-0.1, 0.1, 2)
        for k in ("ee_pos", "puck_pos", "goal_pos"):
            moved[env.obs_parts[k]] += offset
        moved[env.obs_parts["joint_pos"]] += rng.uniform(-1, 1, 3)
        np.testing.assert_allclose(expert.act(moved), expert.act(obs), atol=1e-9)
    env.close()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_one_non_finite_value_among_good_ones_is_refused(env, bad):
    """The step's fast bounds check must not let a single NaN or inf through."""
    env.reset(seed=0)
    action = np.zeros(env.action_space.shape)
    action[-1] = bad
    with pytest.raises(ValueError, match="NaN or inf"):
        env.step(action)
    with pytest.raises(ValueError, match="NaN or inf"):
        env.step(action.astype(np.float32))


def test_actions_as_lists_ints_and_float32_step_alike(env):
    env.reset(seed=0)
    state = env.get_state()
    n = env.action_space.shape[0]
    results = []
    for action in ([1] * n, np.ones(n, np.float32), np.ones(n), (1.0,) * n):
        env.set_state(state)
        *_, info = env.step(action)
        assert info["action_clipped"] is False
        results.append(env.get_state())
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    env.set_state(state)
    *_, info = env.step(np.r_[np.zeros(n - 1), 1.0 + 1e-9])  # one value just over the bound
    assert info["action_clipped"] is True


def test_adapter_rescales_to_the_envs_own_bounds():
    env = make_env("Pusher-v5")  # bounds [-2, 2]
    inner = env._inner.action_space
    assert np.all(inner.high == 2.0)
    env.reset(seed=0)
    action = np.linspace(-1, 1, env.action_space.shape[0])
    env.step(action)
    np.testing.assert_allclose(
        env.data.ctrl, inner.low + (action + 1) / 2 * (inner.high - inner.low)
    )
    env.close()


def test_adapter_truncates_at_gymnasiums_time_limit():
    env = make_env("Reacher-v5")
    theirs = gym.make("Reacher-v5")
    assert env.max_episode_steps == theirs.spec.max_episode_steps == 50
    for e in (env, theirs):
        e.reset(seed=0)
        flags = [e.step(np.zeros(2))[3] for _ in range(50)]
        assert flags == [False] * 49 + [True]
    env.close()
    theirs.close()


def test_arm_expert_is_continuous_so_a_regressor_can_fit_it():
    """A 1 mm move of the fingertip changes the expert's action by little, everywhere round the
    puck: no branch switch or side flip that a regressor would average into a standstill."""
    env = make_env(ARM_PUSH)
    expert = make_expert(ARM_PUSH, rng=np.random.default_rng(0))
    p = env.obs_parts
    rng = np.random.default_rng(2)
    worst = 0.0
    for _ in range(4000):
        obs = np.zeros(env.observation_space.shape)
        puck = rng.uniform(-0.15, 0.15, 2)
        angle = rng.uniform(-np.pi, np.pi)
        obs[p["puck_pos"]] = puck
        obs[p["goal_pos"]] = puck + rng.uniform(0.04, 0.22) * np.array(
            [np.cos(angle), np.sin(angle)]
        )
        rel = rng.uniform(-0.2, 0.2, 2)
        if np.linalg.norm(rel) < 0.055:  # inside the puck: the fingertip cannot be there
            continue
        obs[p["ee_pos"]] = puck + rel
        step = rng.normal(size=2)
        moved = obs.copy()
        moved[p["ee_pos"]] += 0.001 * step / np.linalg.norm(step)
        worst = max(worst, float(np.linalg.norm(expert.act(moved) - expert.act(obs))))
    env.close()
    assert worst < 0.1, f"a 1 mm move changed the action by {worst:.2f}"
