"""Dual-arm embodiment: two Franka Panda arms with parallel grippers, one mplib planner each.

Why joint-space PD drives: mplib returns time-parameterised joint paths, so the arm follows them
by setting drive position/velocity targets every physics step; gravity is disabled on robot
links (as in ManiSkill/RoboTwin) so the PD gains alone give tight tracking. The TCP convention
(panda_hand +z shifted by `TCP_OFFSET_M`, z = approach, y = finger opening) is shared with
`pipeline.assets` grasp annotations.
"""
from __future__ import annotations

import mplib
import mplib.collision_detection.fcl as fcl
import numpy as np
import sapien

from data_schemas.spec import ACTION_DIM, ACTION_LAYOUT, ARM_DOF, ARMS, GRIPPER_OPEN, TCP_LAYOUT
from pipeline.sim.config import RobotConfig
from pipeline.sim.kinematics import HAND_FROM_TCP, forward_tcp
from pipeline.sim.poses import pose_to_xyzwxyz, yaw_pose
from pipeline.sim.robot_assets import (
    PANDA_ARM_JOINTS,
    PANDA_FINGER_JOINTS,
    PANDA_FINGER_LINKS,
    PANDA_FINGER_OPEN_M,
    PANDA_HAND_LINK,
    panda_files,
)
from pipeline.sim.timing import Timer


class PlanningError(RuntimeError):
    """The planner found no path to a goal; a rollout turns it into success=False."""


def _same_pose(a: sapien.Pose, b: sapien.Pose, position_tol_m: float = 5e-4, angle_tol_rad: float = 2e-3) -> bool:
    angle = 2 * np.arccos(min(1.0, abs(float(np.dot(a.q, b.q)))))
    return bool(np.linalg.norm(a.p - b.p) < position_tol_m and angle < angle_tol_rad)


class PandaArm:
    """One Panda: articulation, drives, planner, TCP pose, gripper command (1 open, 0 closed)."""

    def __init__(self, scene: sapien.Scene, name: str, config: RobotConfig, timer: Timer):
        files = panda_files()
        self.name, self.index, self.config, self.timer = name, ARMS.index(name), config, timer
        loader = scene.create_urdf_loader()
        loader.fix_root_link = True
        self.articulation = loader.load(str(files.urdf))
        self.articulation.set_name(f"{name}_panda")
        mount = config.mounts[name]
        self.base_pose = yaw_pose(mount.xyz, mount.yaw)
        self.articulation.set_root_pose(self.base_pose)
        links = {link.get_name(): link for link in self.articulation.get_links()}
        self.hand_link = links[PANDA_HAND_LINK]
        self.finger_links = [links[n] for n in PANDA_FINGER_LINKS]
        material = scene.create_physical_material(config.finger_friction, config.finger_friction, 0.0)
        for link in links.values():
            link.disable_gravity = True
        for link in self.finger_links:
            for shape in link.get_collision_shapes():
                shape.set_physical_material(material)
        joints = {j.get_name(): j for j in self.articulation.get_active_joints()}
        self.arm_joints = [joints[n] for n in PANDA_ARM_JOINTS]
        self.finger_joints = [joints[n] for n in PANDA_FINGER_JOINTS]
        for joint in self.arm_joints:
            joint.set_drive_properties(config.arm_stiffness, config.arm_damping, config.arm_force_limit)
        for joint in self.finger_joints:
            joint.set_drive_properties(config.gripper_stiffness, config.gripper_damping,
                                       config.gripper_force_limit)
        self.planner = mplib.Planner(str(files.urdf), PANDA_HAND_LINK, srdf=str(files.srdf))
        self.planner.set_base_pose(mplib.Pose(self.base_pose.p, self.base_pose.q))
        self.arm_target = np.asarray(config.home_qpos, dtype=np.float64)
        self.gripper_command = GRIPPER_OPEN
        self.reset_to_home()

    # -- state -------------------------------------------------------------------------------
    def reset_to_home(self) -> None:
        qpos = np.concatenate([self.config.home_qpos, [PANDA_FINGER_OPEN_M] * 2])
        self.articulation.set_qpos(qpos)
        self.articulation.set_qvel(np.zeros_like(qpos))
        self.set_arm_target(np.asarray(self.config.home_qpos))
        self.set_gripper(GRIPPER_OPEN)

    def full_qpos(self) -> np.ndarray:
        return np.asarray(self.articulation.get_qpos(), dtype=np.float64)

    def arm_qpos(self) -> np.ndarray:
        return self.full_qpos()[:ARM_DOF]

    def gripper_opening(self) -> float:
        """Measured finger opening in [0, 1] (1 fully open)."""
        return float(np.mean(self.full_qpos()[ARM_DOF:]) / PANDA_FINGER_OPEN_M)

    def tcp_pose(self) -> sapien.Pose:
        return self.hand_link.entity_pose * HAND_FROM_TCP.inv()

    def home_tcp_pose(self) -> sapien.Pose:
        """World TCP pose of the home posture (forward kinematics, whatever the arm does now)."""
        return self.tcp_pose_at(np.asarray(self.config.home_qpos))

    def tcp_pose_at(self, arm_qpos: np.ndarray) -> sapien.Pose:
        """World TCP pose the arm would have at joint positions `arm_qpos` [7] (forward kinematics of the
        planner's pinocchio model; the arm is not moved). Stage II reads its dense reward where a
        commanded joint target puts the TCP."""
        return forward_tcp(self.planner, self.base_pose, arm_qpos)

    # -- commands ----------------------------------------------------------------------------
    def set_arm_target(self, qpos: np.ndarray, qvel: np.ndarray | None = None,
                       drive_offset: np.ndarray | None = None) -> None:
        """Command the arm joints to `qpos` [7] (`arm_target`, what a recorded action holds). The drives
        track `qpos + drive_offset`: an expert executing with noise (`ExecutionNoise`) records its own
        command while the arm goes where the noise takes it."""
        self.arm_target = np.asarray(qpos, dtype=np.float64)
        velocity = np.zeros(ARM_DOF) if qvel is None else qvel
        drive = self.arm_target if drive_offset is None else self.arm_target + drive_offset
        for joint, q, v in zip(self.arm_joints, drive, velocity):
            joint.set_drive_target(float(q))
            joint.set_drive_velocity_target(float(v))

    def set_gripper(self, command: float) -> None:
        """Gripper command in [0, 1]: 1 open, 0 closed (`data_schemas.spec`)."""
        if not 0.0 <= command <= 1.0:
            raise ValueError(f"gripper command must lie in [0, 1] (1 open, 0 closed), got {command}")
        self.gripper_command = float(command)
        for joint in self.finger_joints:
            joint.set_drive_target(self.gripper_command * PANDA_FINGER_OPEN_M)

    # -- planning ----------------------------------------------------------------------------
    def plan_to_tcp(self, goal: sapien.Pose, time_step: float, straight: bool = False,
                    start_arm_qpos: np.ndarray | None = None) -> np.ndarray:
        """Joint path (N, 7) sampled every `time_step` s that brings the TCP to `goal` (world).

        A screw motion (straight line in SE(3), deterministic) is tried first; RRT-Connect is the
        fallback, unless `straight=True` forbids it. Raises `PlanningError` when no path is found.
        A goal the TCP already holds gives a one-row path (mplib cannot time-parameterise a
        zero-length path and would raise a bare RuntimeError). `start_arm_qpos` [7] plans from that
        posture instead of the current one (an expert checking a later move before committing to it).
        """
        start = self.full_qpos()
        if start_arm_qpos is not None:
            start[:ARM_DOF] = start_arm_qpos
        elif _same_pose(self.tcp_pose(), goal):
            return self.arm_qpos()[None]
        hand_goal = goal * HAND_FROM_TCP
        target = mplib.Pose(hand_goal.p, hand_goal.q)
        with self.timer.measure("planning"):
            result = self.planner.plan_screw(target, start, qpos_step=self.config.screw_qpos_step,
                                             time_step=time_step)
            if result["status"] != "Success" and not straight:
                result = self.planner.plan_pose(target, start, time_step=time_step,
                                                planning_time=self.config.planning_time_s)
        if result["status"] != "Success":
            p = np.round(goal.p, 3).tolist()
            raise PlanningError(f"{self.name} arm: no {'straight ' if straight else ''}path to TCP "
                                f"position {p} ({result['status']})")
        return np.asarray(result["position"], dtype=np.float64)

    def ik_to_tcp(self, goal: sapien.Pose, near: np.ndarray | None = None) -> np.ndarray | None:
        """Arm joints [7] that put the TCP at `goal` (world), within joint limits and free of collisions
        in the planner's world; of several solutions the one closest to `near` [7] (default: the
        current arm target). None when inverse kinematics finds none (the RoboTwin adapter's `ee`
        actions: the arm then holds, as RoboTwin's does when planning fails)."""
        hand = self.base_pose.inv() * goal * HAND_FROM_TCP  # the planner's model lives in the base frame
        start = self.full_qpos()
        start[:ARM_DOF] = self.arm_target if near is None else np.asarray(near, dtype=np.float64)[:ARM_DOF]
        keep_fingers = np.arange(len(start)) >= ARM_DOF
        with self.timer.measure("planning"):
            status, qpos = self.planner.IK(mplib.Pose(hand.p, hand.q), start, keep_fingers, return_closest=True)
        if status != "Success" or qpos is None:
            return None
        return np.asarray(qpos, dtype=np.float64)[:ARM_DOF]

    def plan_to_qpos(self, qpos: np.ndarray, time_step: float) -> np.ndarray:
        start = self.full_qpos()
        with self.timer.measure("planning"):
            result = self.planner.plan_qpos([np.asarray(qpos, dtype=np.float64)], start,
                                            time_step=time_step,
                                            planning_time=self.config.planning_time_s)
        if result["status"] != "Success":
            raise PlanningError(f"{self.name} arm: no path to joint target ({result['status']})")
        return np.asarray(result["position"], dtype=np.float64)

    def add_planning_obstacle_box(self, name: str, pose: sapien.Pose, size: np.ndarray) -> None:
        """Make a static box (e.g. the table) known to this arm's planner."""
        shape = fcl.CollisionObject(fcl.Box(np.asarray(size, dtype=np.float64)))
        obj = fcl.FCLObject(name, mplib.Pose(pose.p, pose.q), [shape], [mplib.Pose()])
        self.planner.planning_world.add_object(obj)


class DualPanda:
    """Both arms; packs measured joints / commands in the schema's `ACTION_LAYOUT` order."""

    def __init__(self, scene: sapien.Scene, config: RobotConfig, timer: Timer):
        self.config = config
        self.arms = {name: PandaArm(scene, name, config, timer) for name in ARMS}

    def __getitem__(self, name: str) -> PandaArm:
        if name not in self.arms:
            raise KeyError(f"unknown arm {name!r}; arms are {list(self.arms)}")
        return self.arms[name]

    def qpos(self) -> np.ndarray:
        out = np.zeros(ACTION_DIM, dtype=np.float32)
        for name, arm in self.arms.items():
            out[ACTION_LAYOUT[f"{name}_arm"]] = arm.arm_qpos()
            out[ACTION_LAYOUT[f"{name}_gripper"]] = arm.gripper_opening()
        return out

    def action(self) -> np.ndarray:
        out = np.zeros(ACTION_DIM, dtype=np.float32)
        for name, arm in self.arms.items():
            out[ACTION_LAYOUT[f"{name}_arm"]] = arm.arm_target
            out[ACTION_LAYOUT[f"{name}_gripper"]] = arm.gripper_command
        return out

    def joints_for_tcp(self, action: np.ndarray) -> tuple[np.ndarray, int]:
        """A TCP-space action [ACTION_DIM] (TCP_LAYOUT) -> (the joint-space action [ACTION_DIM] that realises it, how
        many arms' inverse kinematics failed): each arm's joints by `ik_to_tcp` from its current target, an arm whose
        pose has no solution holding its target (as RoboTwin's arm holds when planning fails); grippers unchanged."""
        action = np.asarray(action, dtype=np.float64)
        command, failures = np.zeros(ACTION_DIM), 0
        for name, arm in self.arms.items():
            pose = action[TCP_LAYOUT[f"{name}_pose"]]
            norm = np.linalg.norm(pose[3:])
            if norm < 1e-6:
                raise ValueError(f"TCP action: the {name} quaternion {pose[3:].tolist()} has zero length")
            joints = arm.ik_to_tcp(sapien.Pose(pose[:3], pose[3:] / norm))
            if joints is None:
                failures += 1
                joints = arm.arm_target
            command[ACTION_LAYOUT[f"{name}_arm"]] = joints
            command[ACTION_LAYOUT[f"{name}_gripper"]] = action[TCP_LAYOUT[f"{name}_gripper"]]
        return command, failures

    def tcp_poses(self) -> list[sapien.Pose]:
        return [arm.tcp_pose() for arm in self.arms.values()]

    def ee_pose(self) -> np.ndarray:
        """float32 [2, 7]: both TCP poses, world frame, xyz + wxyz (the schema's `ee_pose`, what is recorded and what
        `Observation.ee_pose` gives a policy)."""
        return np.stack([pose_to_xyzwxyz(p) for p in self.tcp_poses()])

    def finger_entities(self) -> dict[int, tuple[int, str]]:
        """Finger link per_scene_id -> (arm index, contact body name) for contact classification."""
        return {link.entity.per_scene_id: (arm.index, f"{arm.name}/{link.get_name()}")
                for arm in self.arms.values() for link in arm.finger_links}

    def link_entities(self) -> dict[int, tuple[int, str]]:
        """Every robot link per_scene_id -> (arm index, body name)."""
        return {link.entity.per_scene_id: (arm.index, f"{arm.name}/{link.get_name()}")
                for arm in self.arms.values() for link in arm.articulation.get_links()}

