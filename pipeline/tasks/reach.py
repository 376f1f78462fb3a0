"""Reachability and joint-space approach moves for experts that choose among several grasps.

mplib's numeric IK starts from random configurations, so a pose near the edge of the Panda's
workspace is found on some tries and missed on others, and `plan_pose` may drive the arm into
any of the IK branches it found (e.g. an elbow-down posture near joint limits, from which a
later straight lift has no path). An expert that picks among equivalent grasps (pitch, roll of a
symmetric object) checks each candidate's key TCP poses with `reachable` first, and reaches the
pre-grasp with `move_near`: the IK solution closest to the arm's current posture.
"""
from __future__ import annotations

from collections.abc import Iterable

import mplib
import numpy as np
import sapien

from data_schemas.spec import ARM_DOF
from pipeline.sim.primitives import Expert
from pipeline.sim.robot import HAND_FROM_TCP, PandaArm, PlanningError

IK_TRIES = 40
"""Random IK restarts per pose (mplib's default is 20)."""


def nearest_ik(arm: PandaArm, tcp: sapien.Pose, tries: int = IK_TRIES) -> np.ndarray | None:
    """The collision-free arm joints (7) putting the TCP at `tcp` (world) closest to the arm's
    current joints, or None when IK finds none."""
    hand = arm.base_pose.inv() * (tcp * HAND_FROM_TCP)  # mplib's IK works in the arm's base frame
    with arm.timer.measure("planning"):
        _, qpos = arm.planner.IK(mplib.Pose(hand.p, hand.q), arm.full_qpos(), n_init_qpos=tries,
                                 return_closest=True)
    return None if qpos is None else np.asarray(qpos[:ARM_DOF], dtype=np.float64)


def reachable(arm: PandaArm, tcps: Iterable[sapien.Pose], tries: int = IK_TRIES) -> bool:
    """Whether IK finds a collision-free posture for every TCP pose in `tcps`."""
    return all(nearest_ik(arm, tcp, tries) is not None for tcp in tcps)


def move_near(expert: Expert, arm: str, tcp: sapien.Pose) -> None:
    """Bring `arm`'s TCP to `tcp` through joint space, ending in the posture nearest the current one."""
    robot_arm = expert.env.robot[arm]
    qpos = nearest_ik(robot_arm, tcp)
    if qpos is None:
        raise PlanningError(f"{arm} arm: no IK solution for TCP position {np.round(tcp.p, 3).tolist()}")
    expert.follow({arm: robot_arm.plan_to_qpos(qpos, expert.env.dt)})


def grasp_near(expert: Expert, arm: str, actor: sapien.Entity, grasp: np.ndarray, pre_distance: float,
               lift: float) -> None:
    """`Expert.grasp`'s phases (open, pre-grasp, straight approach, close, straight lift) with the
    pre-grasp reached by `move_near`, so the arm stays in a posture from which the lift is straight."""
    goal = expert.grasp_pose(actor, grasp)
    back = goal.to_transformation_matrix()[:3, 2] * pre_distance
    expert.open_gripper(arm)
    move_near(expert, arm, sapien.Pose(goal.p - back.astype(np.float32), goal.q))
    expert.move_to({arm: goal}, straight=True)
    expert.close_gripper(arm)
    expert.move_by(arm, (0.0, 0.0, lift))
