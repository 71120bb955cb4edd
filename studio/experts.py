"""Scripted experts: oracles for tests, benchmarks, DAgger relabelling and quick-start data.

They read the observation only (named parts through the env's ``obs_parts``), like a policy does.
The arm expert is a continuous velocity field (no if/else branches), so that the regressors of
behaviour cloning and DAgger can represent it.
The Reacher expert (gymnasium's ``Reacher-v5`` through the adapter) reads the one ``flat`` part.
The car expert is deliberately multimodal: it passes the obstacle on the left or on the right at
random, 50/50, independent of the state, so that plain regression on its demonstrations averages
the two modes and drives into the obstacle (the multimodality lecture, CMU 10-403).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from studio.envs import ARM_PUSH, CAR_OBSTACLE, make_env
from studio.envs.arm_push import ArmPushEnv


class Expert(Protocol):
    """What a scripted expert offers: the same ``act``/``reset`` pair as a policy."""

    name: str

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Action for one observation ``(D,)``."""
        ...

    def reset(self) -> None:
        """Forget per-episode choices; call after every ``env.reset``."""
        ...


class ArmPushExpert:
    """Gets behind the puck (on the far side from the goal), then pushes it home.

    Its action is a continuous function of the fingertip's position relative to the puck (a
    1 mm move changes it by less than 0.1, ``tests/test_envs.py``), so that a regressor can
    fit it. An
    earlier version switched between a "go round the puck" branch and a "hold behind / push"
    branch with an if/else, and chose the side to go round by the sign of the lateral offset;
    it succeeded by chattering along the branch edge, and a regressor trained on its labels
    averaged the two branches into a standstill right there: DAgger on the scene's default
    parts got worse round after round (15% -> 55% -> 36% -> 29%), where with this field it
    goes 56% -> 42% -> 94% -> 96% (benchmarks/results/dagger.md).

    Args:
        obs_parts: the env's ``obs_parts`` (names -> slices).
        max_speed: the env's fingertip speed for a unit action (m/s).
        rng: unused randomness source, kept for a uniform constructor.
    """

    # v2: the continuous field (v1 switched between "go round" and "push"); demos record the
    # name, so files say which expert made them.
    name = "scripted-arm-push-v2"
    K_R = 6.0  # radial gain (action units per metre)
    K_T = 2.0  # tangential command at theta = +-90 degrees
    ORBIT = 0.08  # orbit radius about the puck centre while going round (m)
    HOLD = 0.085  # beyond this distance the aligned approach closes in faster than push speed
    THETA_W = 0.4  # width (rad) of the blend from "orbit" to "close in and push"

    def __init__(
        self, obs_parts: dict[str, slice], *, max_speed: float, rng: np.random.Generator
    ) -> None:
        self._p = obs_parts
        self._max_speed = max_speed
        self._rng = rng

    def reset(self) -> None:
        """Nothing to forget: the arm expert is a function of the observation."""

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Fingertip velocity command in ``[-1, 1]``: a continuous field in the puck frame.

        Polar coordinates about the puck: ``r`` the fingertip's distance, ``theta`` its angle
        from the "behind" direction ``-u`` (u points from the puck to the goal). The tangential
        command ``-K_T sin(theta)`` turns the fingertip round the puck towards ``theta = 0`` on
        whichever side it already is (directly in front, ``theta = pi``, is an unstable
        equilibrium, not a switch); the radial command blends, with the smooth weight
        ``exp(-(theta / THETA_W)**2)``, from "keep the orbit radius, clear of the puck" to
        "close in and push".
        """
        ee, puck, goal = (obs[self._p[k]] for k in ("ee_pos", "puck_pos", "goal_pos"))
        to_goal = goal - puck
        dist = float(np.linalg.norm(to_goal))
        u = to_goal / max(dist, 1e-6)  # push direction
        n = np.array([-u[1], u[0]])
        rel = ee - puck
        along, across = float(rel @ u), float(rel @ n)
        r = max(math.hypot(along, across), 1e-6)
        theta = math.atan2(across, -along)  # 0: behind the puck; +-pi: in front of it
        e_r = rel / r
        e_t = (across * u - along * n) / r  # d rel / d theta, unit: sin(theta) u + cos(theta) n
        aligned = math.exp(-((theta / self.THETA_W) ** 2))
        push = float(np.clip(dist * 4.0, 0.25, 0.8))
        v_orbit = -self.K_R * (r - self.ORBIT)
        v_close = -(push + self.K_R * max(r - self.HOLD, 0.0))
        v_r = (1.0 - aligned) * v_orbit + aligned * v_close
        v_t = -self.K_T * across / r
        cmd = v_r * e_r + v_t * e_t
        norm = float(np.linalg.norm(cmd))
        return (cmd / norm if norm > 1.0 else cmd).astype(np.float64)


class CarObstacleExpert:
    """Passes the obstacle on a side drawn 50/50 at each reset, then drives into the goal zone.

    Args:
        obs_parts: the env's ``obs_parts``.
        rng: draws the side (left or right) at every :meth:`reset`.
    """

    name = "scripted-car-two-modes"

    def __init__(self, obs_parts: dict[str, slice], *, rng: np.random.Generator) -> None:
        self._p = obs_parts
        self._rng = rng
        self.side = 1.0
        self.reset()

    def reset(self) -> None:
        """Draw the side for this episode: +1 left of the obstacle, -1 right."""
        self.side = 1.0 if self._rng.random() < 0.5 else -1.0
        self._passed = False

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Throttle and steering in ``[-1, 1]`` from pure pursuit on two waypoints."""
        pose = obs[self._p["car_pose"]]
        xy, c, s = pose[:2], pose[2], pose[3]
        to_world = np.array([[c, -s], [s, c]])
        obstacle = xy + to_world @ obs[self._p["obstacle_rel"]]
        goal = xy + to_world @ obs[self._p["goal_rel"]]
        if xy[0] > obstacle[0] + 0.15:
            self._passed = True
        if self._passed:
            target = goal
        else:
            # Swerve beside the obstacle (radius 0.22 + half the car + margin), aiming a
            # little past its centre so the turn back towards the goal starts clear of it.
            target = obstacle + np.array([0.05, self.side * 0.52])
        d = target - xy
        heading_error = np.arctan2(d[1], d[0]) - np.arctan2(s, c)
        heading_error = (heading_error + np.pi) % (2 * np.pi) - np.pi
        steering = float(np.clip(2.5 * heading_error, -1.0, 1.0))
        throttle = float(np.clip(0.8 - 0.5 * abs(heading_error), 0.3, 0.8))
        return np.array([throttle, steering])


REACHER = "Reacher-v5"


class ReacherExpert:
    """Brings the fingertip of gymnasium's two-link ``Reacher-v5`` onto the target.

    Solves the arm's inverse kinematics for the target in closed form (elbow on the side it
    already is), then drives the joints there with a PD law. The joints' inertia is dominated by
    their armature (1 kg m²), so ``torque = kp * angle_error - kd * velocity`` is a damped
    oscillator of natural frequency ``omega``; the gains trade reaching speed against the
    reward's control cost (tuned on seeds 0..29: omega 7 rad/s, damping ratio 0.7; a
    Jacobian-transpose PD through the 2-link Jacobian scored -5.6 against this law's -4.0).

    Args:
        obs_parts: the adapter's ``obs_parts`` (one part, ``flat``: Reacher-v5's 10 values
            ``cos q, sin q, target xy, joint velocities, fingertip - target``).
        link1, link2: shoulder-to-elbow and elbow-to-fingertip lengths (m).
        gear: actuator gear: torque per unit action.
        rng: unused randomness source, kept for a uniform constructor.
    """

    name = "scripted-reacher-ik-pd"

    def __init__(
        self,
        obs_parts: dict[str, slice],
        *,
        link1: float,
        link2: float,
        gear: float,
        rng: np.random.Generator,
        omega: float = 7.0,
        damping_ratio: float = 0.7,
    ) -> None:
        self._flat = obs_parts["flat"]
        self._l1, self._l2 = float(link1), float(link2)
        self._kp = omega * omega / gear
        self._kd = 2.0 * damping_ratio * omega / gear
        self._rng = rng

    def reset(self) -> None:
        """Nothing to forget: a function of the observation."""

    def act(self, obs: np.ndarray) -> np.ndarray:
        """Joint torques in ``[-1, 1]`` (the adapter's scale; Reacher's bounds are the same)."""
        c0, c1, s0, s1, tx, ty, v0, v1 = obs[self._flat][:8].tolist()
        q0, q1 = math.atan2(s0, c0), math.atan2(s1, c1)
        l1, l2 = self._l1, self._l2
        cos_elbow = (tx * tx + ty * ty - l1 * l1 - l2 * l2) / (2.0 * l1 * l2)
        elbow = math.acos(min(1.0, max(-1.0, cos_elbow)))
        elbow = math.copysign(elbow, q1)  # keep the elbow on its side: no flip through 0
        shoulder = math.atan2(ty, tx) - math.atan2(l2 * math.sin(elbow), l1 + l2 * math.cos(elbow))
        e0 = (shoulder - q0 + math.pi) % (2.0 * math.pi) - math.pi  # joint 0 turns freely
        e1 = elbow - q1
        a0 = self._kp * e0 - self._kd * v0
        a1 = self._kp * e1 - self._kd * v1
        return np.array([min(1.0, max(-1.0, a0)), min(1.0, max(-1.0, a1))])


def make_expert(env_id: str, *, rng: np.random.Generator) -> Expert:
    """The scripted expert for one of the studio's scenes.

    Raises:
        ValueError: no scripted expert exists for ``env_id``.
    """
    if env_id not in (ARM_PUSH, CAR_OBSTACLE, REACHER):
        raise ValueError(
            f"no scripted expert for {env_id!r}; experts exist for "
            f"{ARM_PUSH}, {CAR_OBSTACLE} and {REACHER}"
        )
    env = make_env(env_id)  # only to read its observation layout, speed and geometry
    try:
        if isinstance(env, ArmPushEnv):
            return ArmPushExpert(env.obs_parts, max_speed=env.max_speed, rng=rng)
        if env_id == CAR_OBSTACLE:
            return CarObstacleExpert(env.obs_parts, rng=rng)
        model = env.model
        return ReacherExpert(
            env.obs_parts,
            link1=float(model.body("body1").pos[0]),
            link2=float(model.body("fingertip").pos[0]),
            gear=float(model.actuator_gear[0, 0]),
            rng=rng,
        )
    finally:
        env.close()
