"""Arm push: a planar three-joint arm on a table pushes a puck onto a goal marker.

The person (or policy) commands the fingertip's planar velocity; a damped-least-squares
Jacobian controller turns it into joint velocity targets, so a keyboard arrow or a stick moves the
fingertip the way the person expects whatever the arm's configuration.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs.base import StudioEnv

ARM_PUSH_XML = """
<mujoco model="arm_push">
  <compiler angle="radian"/>
  <option timestep="0.005" integrator="implicitfast"/>
  <visual>
    <headlight ambient="0.35 0.35 0.35" diffuse="0.5 0.5 0.5"/>
    <global offwidth="1280" offheight="960"/>
    <quality shadowsize="1024" numslices="16" numstacks="8" offsamples="2"/>
  </visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" width="256" height="256"
             rgb1="0.82 0.80 0.76" rgb2="0.76 0.74 0.70"/>
    <material name="table" texture="grid" texrepeat="8 8"/>
    <material name="link" rgba="0.25 0.45 0.75 1"/>
    <material name="joint" rgba="0.15 0.15 0.18 1"/>
  </asset>
  <worldbody>
    <light pos="0 0 2.5" dir="0 0 -1" diffuse="0.6 0.6 0.6"/>
    <geom name="table" type="box" size="0.6 0.55 0.02" pos="0 0.15 -0.02" material="table"
          contype="0" conaffinity="0"/>
    <geom name="base" type="cylinder" size="0.05 0.03" pos="0 -0.25 0.03" material="joint"
          contype="0" conaffinity="0"/>
    <body name="link1" pos="0 -0.25 0.05">
      <joint name="j1" type="hinge" axis="0 0 1" damping="0.5"/>
      <geom type="capsule" fromto="0 0 0 0.22 0 0" size="0.022" material="link"
            contype="0" conaffinity="0"/>
      <body name="link2" pos="0.22 0 0">
        <joint name="j2" type="hinge" axis="0 0 1" range="-2.6 2.6" damping="0.5"/>
        <geom type="cylinder" size="0.026 0.025" material="joint" contype="0" conaffinity="0"/>
        <geom type="capsule" fromto="0 0 0 0.20 0 0" size="0.018" material="link"
              contype="0" conaffinity="0"/>
        <body name="link3" pos="0.20 0 0">
          <joint name="j3" type="hinge" axis="0 0 1" range="-2.6 2.6" damping="0.5"/>
          <geom type="cylinder" size="0.022 0.025" material="joint" contype="0" conaffinity="0"/>
          <geom type="capsule" fromto="0 0 0 0.13 0 0" size="0.014" material="link"
                contype="0" conaffinity="0"/>
          <geom name="fingertip" type="sphere" size="0.02" pos="0.14 0 -0.02"
                rgba="0.9 0.45 0.1 1" contype="1" conaffinity="1" friction="0.3 0.005 0.0001"/>
          <site name="fingertip" pos="0.14 0 -0.02" size="0.005"/>
        </body>
      </body>
    </body>
    <body name="puck" pos="0 0.2 0.025">
      <joint name="puck_x" type="slide" axis="1 0 0" damping="1.2"/>
      <joint name="puck_y" type="slide" axis="0 1 0" damping="1.2"/>
      <joint name="puck_rz" type="hinge" axis="0 0 1" damping="0.002"/>
      <geom name="puck" type="cylinder" size="0.035 0.02" mass="0.15" rgba="0.85 0.15 0.15 1"
            contype="1" conaffinity="1" friction="0.3 0.005 0.0001"/>
      <geom type="box" size="0.03 0.004 0.0205" rgba="1 1 1 1" contype="0" conaffinity="0"/>
    </body>
    <body name="goal" mocap="true" pos="0.1 0.3 0.001">
      <geom name="goal" type="cylinder" size="0.045 0.001" rgba="0.1 0.75 0.3 0.55"
            contype="0" conaffinity="0"/>
    </body>
  </worldbody>
  <actuator>
    <velocity name="v1" joint="j1" kv="6" ctrlrange="-4 4" forcerange="-8 8"/>
    <velocity name="v2" joint="j2" kv="4" ctrlrange="-4 4" forcerange="-6 6"/>
    <velocity name="v3" joint="j3" kv="2" ctrlrange="-4 4" forcerange="-4 4"/>
  </actuator>
</mujoco>
"""


class ArmPushEnv(StudioEnv):
    """Push the red puck onto the green goal with a three-joint planar arm.

    Action: ``(ee_vx, ee_vy)`` in ``[-1, 1]``, the fingertip's planar velocity as a fraction of
    ``max_speed``. Success: puck centre within ``success_radius`` of the goal centre (ends the
    episode). Time limit: ``max_episode_steps`` steps of ``control_dt`` (15 s by default).
    """

    env_id = "ImitationStudio/ArmPush-v0"
    # What the scripted expert acts on. BC from 20 demos on these reaches 100% success; on all
    # parts 39-44%: it keys on joint angles and absolute positions the expert ignores
    # (benchmarks/results/learning.md, dagger.md).
    policy_obs_parts = ("puck_rel", "goal_rel")

    def __init__(
        self,
        *,
        render_mode: str | None = None,
        width: int = 640,
        height: int = 480,
        max_speed: float = 0.3,
        success_radius: float = 0.03,
        time_limit: float = 15.0,
    ) -> None:
        super().__init__(render_mode=render_mode, width=width, height=height)
        self._env_kwargs = {
            "max_speed": max_speed,
            "success_radius": success_radius,
            "time_limit": time_limit,
        }
        self.max_speed = float(max_speed)
        self.success_radius = float(success_radius)
        self.model_xml = ARM_PUSH_XML
        self.model = mujoco.MjModel.from_xml_string(ARM_PUSH_XML)
        self.data = mujoco.MjData(self.model)
        self.frame_skip = 10
        self.control_dt = self.frame_skip * self.model.opt.timestep  # 20 Hz
        self.max_episode_steps = round(time_limit / self.control_dt)
        self.action_labels = ["ee_vx", "ee_vy"]
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.obs_parts = {
            "joint_pos": slice(0, 3),
            "joint_vel": slice(3, 6),
            "ee_pos": slice(6, 8),
            "puck_pos": slice(8, 10),
            "puck_vel": slice(10, 12),
            "goal_pos": slice(12, 14),
            # Relative positions: what a pushing policy needs, without making it learn to
            # subtract (they are also what generalises across puck and goal placements).
            "puck_rel": slice(14, 16),  # puck - fingertip
            "goal_rel": slice(16, 18),  # goal - puck
        }
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (18,), np.float64)
        self._tip = self.model.site("fingertip").id
        self._jacp = np.zeros((3, self.model.nv))
        self._puck_qpos = self.model.jnt_qposadr[self.model.joint("puck_x").id]
        self._puck_dof = self.model.jnt_dofadr[self.model.joint("puck_x").id]
        self._base = np.array([0.0, -0.25])
        # The puck's slide joints are zero at its body position in the MJCF (0, 0.2).
        self._puck_origin = np.array([0.0, 0.2])

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode with a seeded random arm pose, puck and goal."""
        super().reset(seed=seed)
        rng = self.np_random
        mujoco.mj_resetData(self.model, self.data)
        self.elapsed_steps = 0
        # Puck in front of the arm; the goal 12-22 cm further, pushing broadly away from the
        # base (within ±55° of the base->puck direction), as in tabletop push benchmarks. Both
        # stay reachable.
        for _ in range(100):
            puck = np.array([rng.uniform(-0.18, 0.18), rng.uniform(0.02, 0.2)])
            away = np.arctan2(*(puck - self._base)[::-1])
            angle = away + rng.uniform(-0.95, 0.95)
            goal = puck + rng.uniform(0.12, 0.22) * np.array([np.cos(angle), np.sin(angle)])
            reach_ok = all(0.15 < np.linalg.norm(p - self._base) < 0.52 for p in (puck, goal))
            if reach_ok and -0.32 < goal[0] < 0.32 and goal[1] < 0.36:
                break
        # Elbow folded to either side (away from the stretched-out singular pose), fingertip
        # between the base and the puck.
        side = 1.0 if rng.random() < 0.5 else -1.0
        self.data.qpos[:3] = [
            away - side * 1.1 + rng.uniform(-0.25, 0.25),
            side * rng.uniform(1.7, 2.2),
            side * rng.uniform(0.2, 0.6),
        ]
        self.data.qpos[self._puck_qpos : self._puck_qpos + 2] = puck - self._puck_origin
        self.data.mocap_pos[0, :2] = goal
        mujoco.mj_forward(self.model, self.data)
        # The random pose may put the fingertip on the puck: swing the arm clear if so.
        if np.linalg.norm(self._ee() - self._puck()) < 0.07:
            self.data.qpos[0] += 0.8
            mujoco.mj_forward(self.model, self.data)
        return self._obs(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Apply a fingertip velocity command for ``control_dt`` seconds."""
        a = self._check_action(action)
        self.data.ctrl[:] = self._joint_velocity_targets(a * self.max_speed)
        self._advance(self.frame_skip)
        obs = self._obs()
        info = self._info(obs)
        info["action_clipped"] = self._clipped
        reach = math.hypot(*obs[self.obs_parts["puck_rel"]])
        # Dense shaping: bring the fingertip to the puck, the puck to the goal; bonus on success.
        reward = -info["goal_distance"] - 0.1 * reach + (10.0 if info["is_success"] else 0.0)
        terminated = bool(info["is_success"])
        truncated = self.elapsed_steps >= self.max_episode_steps and not terminated
        return obs, float(reward), terminated, truncated, info

    # -- control ---------------------------------------------------------------------------------

    def _joint_velocity_targets(self, v: np.ndarray) -> np.ndarray:
        """Damped least squares: dq = J^T (J J^T + λ² I)^-1 v (Wampler 1986; Buss 2004)."""
        mujoco.mj_jacSite(self.model, self.data, self._jacp, None, self._tip)
        jac = self._jacp[:2, :3]  # (2, 3): planar fingertip velocity w.r.t. the arm joints
        # The 2x2 system in closed form (np.linalg.solve costs more than the physics here).
        (a, b), (_, c) = (jac @ jac.T + 0.05**2 * np.eye(2)).tolist()
        det = a * c - b * b
        w = np.array([c * v[0] - b * v[1], a * v[1] - b * v[0]]) / det
        dq = jac.T @ w
        # Scale all joints together, not each separately: clipping joints one by one would
        # turn the fingertip off the commanded direction.
        peak = float(np.abs(dq).max())
        return dq * (4.0 / peak) if peak > 4.0 else dq

    # -- observations ----------------------------------------------------------------------------

    def _ee(self) -> np.ndarray:
        return self.data.site_xpos[self._tip, :2].copy()

    def _puck(self) -> np.ndarray:
        return self.data.qpos[self._puck_qpos : self._puck_qpos + 2] + self._puck_origin

    def _obs(self) -> np.ndarray:
        d, pv, pq = self.data, self._puck_dof, self._puck_qpos
        obs = np.empty(18)
        obs[0:3] = d.qpos[:3]
        obs[3:6] = d.qvel[:3]
        obs[6:8] = d.site_xpos[self._tip, :2]
        obs[8:10] = d.qpos[pq : pq + 2] + self._puck_origin
        obs[10:12] = d.qvel[pv : pv + 2]
        obs[12:14] = d.mocap_pos[0, :2]
        obs[14:16] = obs[8:10] - obs[6:8]  # puck - fingertip
        obs[16:18] = obs[12:14] - obs[8:10]  # goal - puck
        return obs

    def _info(self, obs: np.ndarray | None = None) -> dict[str, Any]:
        obs = self._obs() if obs is None else obs
        dist = math.hypot(*obs[16:18])
        return {"is_success": dist < self.success_radius, "goal_distance": dist}

    def make_camera(self) -> mujoco.MjvCamera:
        """Look at the table from the operator's side: +x right, +y away from the viewer."""
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        cam.lookat[:] = [0.0, 0.08, 0.0]
        cam.distance = 1.05
        cam.azimuth = 90.0
        cam.elevation = -62.0
        return cam
