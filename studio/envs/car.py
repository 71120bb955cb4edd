"""Car: drive from the start to the goal zone past one obstacle, without touching anything.

The car is a kinematic bicycle on the floor plane: throttle sets the forward speed, steering the
front-wheel angle; MuJoCo velocity actuators on the planar joints track the resulting world-frame
velocities, and MuJoCo contacts detect collisions. A fan of rangefinders sees walls and obstacle.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from studio.envs.base import StudioEnv

N_RAYS = 9
RAY_RANGE = 3.0
RAY_ANGLES = np.linspace(-np.pi / 2, np.pi / 2, N_RAYS)


def _ray_sites() -> str:
    sites = []
    for i, a in enumerate(RAY_ANGLES):
        sites.append(
            f'<site name="ray{i}" pos="0.1 0 0.08" zaxis="{np.cos(a):.6f} {np.sin(a):.6f} 0" '
            'size="0.008" rgba="0.9 0.9 0.2 0.6"/>'
        )
    return "\n        ".join(sites)


def _ray_sensors() -> str:
    return "\n    ".join(
        f'<rangefinder name="range{i}" site="ray{i}" cutoff="{RAY_RANGE}"/>' for i in range(N_RAYS)
    )


CAR_XML = f"""
<mujoco model="car_obstacle">
  <compiler angle="radian"/>
  <option timestep="0.01" integrator="implicitfast"/>
  <visual>
    <headlight ambient="0.35 0.35 0.35" diffuse="0.5 0.5 0.5"/>
    <global offwidth="1280" offheight="960"/>
    <quality shadowsize="1024" numslices="16" numstacks="8" offsamples="2"/>
  </visual>
  <asset>
    <texture name="grid" type="2d" builtin="checker" width="256" height="256"
             rgb1="0.55 0.57 0.60" rgb2="0.50 0.52 0.55"/>
    <material name="floor" texture="grid" texrepeat="10 6"/>
    <material name="wall" rgba="0.55 0.45 0.35 1"/>
  </asset>
  <worldbody>
    <light pos="0 0 4" dir="0 0 -1" diffuse="0.6 0.6 0.6"/>
    <geom name="floor" type="plane" size="2.2 1.2 0.1" material="floor" contype="0"
          conaffinity="0"/>
    <geom name="wall_n" type="box" size="2.2 0.05 0.12" pos="0 1.05 0.12" material="wall"/>
    <geom name="wall_s" type="box" size="2.2 0.05 0.12" pos="0 -1.05 0.12" material="wall"/>
    <geom name="wall_e" type="box" size="0.05 1.1 0.12" pos="2.15 0 0.12" material="wall"/>
    <geom name="wall_w" type="box" size="0.05 1.1 0.12" pos="-2.15 0 0.12" material="wall"/>
    <body name="obstacle" mocap="true" pos="0 0 0.15">
      <geom name="obstacle" type="cylinder" size="0.22 0.15" rgba="0.8 0.2 0.15 1"/>
    </body>
    <body name="goal" mocap="true" pos="1.6 0 0.002">
      <geom name="goal" type="cylinder" size="0.3 0.002" rgba="0.1 0.8 0.3 0.5"
            contype="0" conaffinity="0"/>
    </body>
    <body name="car" pos="0 0 0.06">
      <joint name="car_x" type="slide" axis="1 0 0" damping="0.5"/>
      <joint name="car_y" type="slide" axis="0 1 0" damping="0.5"/>
      <joint name="car_yaw" type="hinge" axis="0 0 1" damping="0.05"/>
      <geom name="chassis" type="box" size="0.16 0.085 0.035" mass="1.5" rgba="0.15 0.35 0.8 1"/>
      <geom type="box" size="0.06 0.07 0.03" pos="-0.02 0 0.06" rgba="0.7 0.8 0.95 1"
            contype="0" conaffinity="0"/>
      <geom type="cylinder" size="0.035 0.012" pos="0.1 0.1 -0.025" euler="1.5708 0 0"
            rgba="0.1 0.1 0.1 1" contype="0" conaffinity="0"/>
      <geom type="cylinder" size="0.035 0.012" pos="0.1 -0.1 -0.025" euler="1.5708 0 0"
            rgba="0.1 0.1 0.1 1" contype="0" conaffinity="0"/>
      <geom type="cylinder" size="0.035 0.012" pos="-0.1 0.1 -0.025" euler="1.5708 0 0"
            rgba="0.1 0.1 0.1 1" contype="0" conaffinity="0"/>
      <geom type="cylinder" size="0.035 0.012" pos="-0.1 -0.1 -0.025" euler="1.5708 0 0"
            rgba="0.1 0.1 0.1 1" contype="0" conaffinity="0"/>
      {_ray_sites()}
    </body>
  </worldbody>
  <actuator>
    <velocity name="vx" joint="car_x" kv="150" ctrlrange="-3 3"/>
    <velocity name="vy" joint="car_y" kv="150" ctrlrange="-3 3"/>
    <velocity name="wz" joint="car_yaw" kv="2" ctrlrange="-6 6"/>
  </actuator>
  <sensor>
    {_ray_sensors()}
  </sensor>
</mujoco>
"""


class CarObstacleEnv(StudioEnv):
    """Reach the green zone without touching the red obstacle or the walls.

    Action: ``(throttle, steering)`` in ``[-1, 1]``; +steering turns left. A collision ends the
    episode as a failure (``info["collision"]``); reaching the zone ends it as a success.
    """

    env_id = "ImitationStudio/CarObstacle-v0"
    # All parts: the car's learning benchmark (GMM-BC 95%, cVAE 100%) trains on all of them.
    policy_obs_parts = None

    def __init__(
        self,
        *,
        render_mode: str | None = None,
        width: int = 640,
        height: int = 480,
        max_speed: float = 1.2,
        max_steer: float = 0.5,
        wheelbase: float = 0.25,
        time_limit: float = 20.0,
    ) -> None:
        super().__init__(render_mode=render_mode, width=width, height=height)
        self._env_kwargs = {
            "max_speed": max_speed,
            "max_steer": max_steer,
            "wheelbase": wheelbase,
            "time_limit": time_limit,
        }
        self.max_speed, self.max_steer, self.wheelbase = max_speed, max_steer, wheelbase
        self.model_xml = CAR_XML
        self.model = mujoco.MjModel.from_xml_string(CAR_XML)
        self.data = mujoco.MjData(self.model)
        # 10 ms substeps: at 1.2 m/s the car moves 1.2 cm per substep, fine for its contacts.
        self.frame_skip = 5
        self.control_dt = self.frame_skip * self.model.opt.timestep  # 20 Hz
        self.max_episode_steps = round(time_limit / self.control_dt)
        self.action_labels = ["throttle", "steering"]
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.obs_parts = {
            "car_pose": slice(0, 4),  # x, y, cos(yaw), sin(yaw)
            "car_vel": slice(4, 7),  # forward, lateral, yaw rate (car frame)
            "goal_rel": slice(7, 9),  # goal centre in the car frame
            "obstacle_rel": slice(9, 11),  # obstacle centre in the car frame
            "ranges": slice(11, 11 + N_RAYS),  # rangefinder distances, RAY_RANGE when no hit
        }
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (11 + N_RAYS,), np.float64)
        self.goal_radius = 0.3
        self._chassis = self.model.geom("chassis").id
        self._solid = {
            self.model.geom(n).id for n in ("obstacle", "wall_n", "wall_s", "wall_e", "wall_w")
        }
        self._obstacle_mocap = self.model.body("obstacle").mocapid[0]
        self._goal_mocap = self.model.body("goal").mocapid[0]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Start at the west end with a seeded pose; obstacle midway, goal at the east end."""
        super().reset(seed=seed)
        rng = self.np_random
        mujoco.mj_resetData(self.model, self.data)
        self.elapsed_steps = 0
        self.data.qpos[:3] = [-1.6, rng.uniform(-0.2, 0.2), rng.uniform(-0.15, 0.15)]
        self.data.mocap_pos[self._obstacle_mocap, :2] = [
            rng.uniform(-0.2, 0.2),
            rng.uniform(-0.12, 0.12),
        ]
        self.data.mocap_pos[self._goal_mocap, :2] = [1.6, rng.uniform(-0.4, 0.4)]
        mujoco.mj_forward(self.model, self.data)
        return self._obs(), self._info(collision=False)

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """Drive for ``control_dt`` seconds with the given throttle and steering."""
        a = self._check_action(action)
        v = float(a[0]) * self.max_speed
        curvature = math.tan(float(a[1]) * self.max_steer) / self.wheelbase
        before = np.linalg.norm(self._goal_world() - self.data.qpos[:2])
        model, data = self.model, self.data
        qpos, qvel, ctrl = data.qpos, data.qvel, data.ctrl
        collision = False
        for _ in range(self.frame_skip):
            # Kinematic bicycle, re-aimed every substep so the wheels never slide sideways:
            # velocity along the current heading, yaw rate = (actual forward speed) tan(δ) / L.
            c, s = math.cos(qpos[2]), math.sin(qpos[2])
            ctrl[0], ctrl[1] = v * c, v * s
            ctrl[2] = (c * qvel[0] + s * qvel[1]) * curvature
            mujoco.mj_step(model, data)
            if data.ncon and self._collided():
                collision = True
                break
        self._end_step()
        obs, info = self._obs(), self._info(collision=collision)
        info["action_clipped"] = self._clipped
        after = info["goal_distance"]
        # Progress towards the goal, a success bonus and a collision penalty.
        reward = (before - after) * 10.0 + (10.0 if info["is_success"] else 0.0)
        reward -= 10.0 if collision else 0.0
        terminated = bool(info["is_success"] or collision)
        truncated = self.elapsed_steps >= self.max_episode_steps and not terminated
        return obs, float(reward), terminated, truncated, info

    def _goal_world(self) -> np.ndarray:
        return self.data.mocap_pos[self._goal_mocap, :2].copy()

    def _collided(self) -> bool:
        for i in range(self.data.ncon):
            c = self.data.contact[i]
            pair = {int(c.geom1), int(c.geom2)}
            if self._chassis in pair and pair & self._solid:
                return True
        return False

    def _obs(self) -> np.ndarray:
        # Scalar math, not 2x2 matrices: this runs every step and numpy's per-call overhead
        # dominated the scene's step time.
        d = self.data
        x, y, yaw = d.qpos[:3].tolist()
        vx, vy, wz = d.qvel[:3].tolist()
        c, s = math.cos(yaw), math.sin(yaw)
        gx, gy = (d.mocap_pos[self._goal_mocap, :2] - (x, y)).tolist()
        ox, oy = (d.mocap_pos[self._obstacle_mocap, :2] - (x, y)).tolist()
        obs = np.empty(11 + N_RAYS)
        obs[:11] = (
            x, y, c, s,
            c * vx + s * vy, -s * vx + c * vy, wz,  # velocity in the car frame
            c * gx + s * gy, -s * gx + c * gy,  # goal in the car frame
            c * ox + s * oy, -s * ox + c * oy,  # obstacle in the car frame
        )  # fmt: skip
        ranges = obs[11:]
        ranges[:] = d.sensordata[:N_RAYS]
        ranges[ranges < 0] = RAY_RANGE  # -1 means no hit within the cutoff
        return obs

    def _info(self, *, collision: bool) -> dict[str, Any]:
        dist = float(np.linalg.norm(self._goal_world() - self.data.qpos[:2]))
        return {
            "is_success": bool(dist < self.goal_radius and not collision),
            "collision": bool(collision),
            "goal_distance": dist,
        }

    def make_camera(self) -> mujoco.MjvCamera:
        """The whole course in view, looking down it (+x is up the screen).

        A chase camera that tracks the car opened with the goal zone off-screen, so a person
        could not see where to drive: the view shows start, obstacle and goal at once instead.
        """
        cam = mujoco.MjvCamera()
        cam.type = mujoco.mjtCamera.mjCAMERA_FREE
        stat = self.model.stat
        cam.lookat[:] = [stat.center[0], stat.center[1], 0.0]
        # Steep enough to see the whole floor, low enough to read the obstacle's height.
        cam.distance = 0.8 * stat.extent
        cam.azimuth = 0.0
        cam.elevation = -64.0
        return cam
