"""TCP-space actions: the dual-Panda's joint targets as world TCP poses, by forward kinematics and without a scene.

Why: a policy that predicts where each gripper goes (RoboTwin 2.0's `ee` actions) rather than a joint configuration
per arm sees a fixed place target as one fixed pose and a grasp as the object's position plus an offset, where joint
targets must learn the arm's kinematics from the demonstrations. Recorded stores hold joint targets (`action`); this
module turns them into TCP actions (`data_schemas.spec.TCP_LAYOUT`) with the planner's own pinocchio model, the
same forward kinematics `PandaArm.tcp_pose_at` uses, so a data set needs no re-recording. Closed loop, `DualPanda.
joints_for_tcp` turns them back by inverse kinematics.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache

import mplib
import numpy as np
import sapien

from data_schemas.spec import ACTION_DIM, ACTION_LAYOUT, ARM_DOF, ARMS, TCP_LAYOUT
from pipeline.sim.config import RobotConfig, SimConfig
from pipeline.sim.poses import yaw_pose
from pipeline.sim.robot_assets import PANDA_FINGER_OPEN_M, PANDA_HAND_LINK, TCP_OFFSET_M, panda_files

HAND_FROM_TCP = sapien.Pose([0.0, 0.0, -TCP_OFFSET_M])


def forward_tcp(planner: mplib.Planner, base_pose: sapien.Pose, arm_qpos: np.ndarray) -> sapien.Pose:
    """World TCP pose of an arm at joint positions `arm_qpos` [7] (the planner's pinocchio model; nothing moves)."""
    model = planner.robot.get_pinocchio_model()
    model.compute_forward_kinematics(np.concatenate([np.asarray(arm_qpos, dtype=np.float64)[:ARM_DOF],
                                                     [PANDA_FINGER_OPEN_M] * 2]))
    hand = model.get_link_pose(planner.link_name_2_idx[PANDA_HAND_LINK])
    return base_pose * sapien.Pose(hand.p, hand.q) * HAND_FROM_TCP.inv()


def same_hemisphere(quaternions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`quaternions` [..., 4] with each sign chosen to lie within 90 degrees of `reference` [4] in quaternion space:
    q and -q are one rotation, and a regression target must not jump between them."""
    flip = np.sum(quaternions * reference, axis=-1, keepdims=True) < 0
    return np.where(flip, -quaternions, quaternions)


class DualArmKinematics:
    """Both arms' forward kinematics at `RobotConfig`'s mounts (scene-free planners)."""

    def __init__(self, config: RobotConfig | None = None):
        self.config = config or RobotConfig()
        files = panda_files()
        self.planners = {name: mplib.Planner(str(files.urdf), PANDA_HAND_LINK, srdf=str(files.srdf)) for name in ARMS}
        self.bases = {name: yaw_pose(self.config.mounts[name].xyz, self.config.mounts[name].yaw) for name in ARMS}
        self.home_quaternions = {name: self.tcp_pose(name, np.asarray(self.config.home_qpos)).q for name in ARMS}

    def tcp_pose(self, arm: str, arm_qpos: np.ndarray) -> sapien.Pose:
        return forward_tcp(self.planners[arm], self.bases[arm], arm_qpos)

    def tcp_actions(self, actions: np.ndarray) -> np.ndarray:
        """Joint-space actions [T, ACTION_DIM] (ACTION_LAYOUT) -> TCP-space actions [T, ACTION_DIM] (TCP_LAYOUT):
        where each commanded joint target puts the TCP, its quaternion in the home orientation's hemisphere, and the
        gripper command unchanged."""
        actions = np.asarray(actions, dtype=np.float64)
        if actions.ndim != 2 or actions.shape[1] != ACTION_DIM:
            raise ValueError(f"joint actions must be [T, {ACTION_DIM}], got {list(actions.shape)}")
        out = np.empty_like(actions)
        for arm in ARMS:
            poses = np.array([np.concatenate([p.p, p.q]) for p in
                              (self.tcp_pose(arm, row) for row in actions[:, ACTION_LAYOUT[f"{arm}_arm"]])])
            poses[:, 3:] = same_hemisphere(poses[:, 3:], self.home_quaternions[arm])
            out[:, TCP_LAYOUT[f"{arm}_pose"]] = poses
            out[:, TCP_LAYOUT[f"{arm}_gripper"]] = actions[:, ACTION_LAYOUT[f"{arm}_gripper"]]
        return out.astype(np.float32)


def kinematics_of(robot: RobotConfig | None = None) -> DualArmKinematics:
    """The kinematics of the embodiment `robot` (default: `RobotConfig()`), built once per process and embodiment
    (two planners load the URDF); an episode's own is `SimConfig.from_dict(attrs.recorded_sim()).robot`."""
    return _kinematics(json.dumps(asdict(robot or RobotConfig()), sort_keys=True))


@lru_cache(maxsize=4)
def _kinematics(robot_json: str) -> DualArmKinematics:
    return DualArmKinematics(SimConfig.from_dict({"robot": json.loads(robot_json)}).robot)
