"""Single-arm placing of an object whose heading no check reads (a round pill bottle, a seal, a deck
moved aside): the expert keeps its heading and chooses the grasp whose whole motion, drop-off
included, the arm can reach.

`placing.pick_and_place_heading` alone checks a grasp's pre-grasp and grasp poses only; with
hard-setting clutter beside the drop-off spot its grasp can put the open hand's width across a
tall distractor there (stamp_seal hard seed 0: no IK for the pose above the target). The grasp is
therefore chosen as the two-arm placing expert does (`dual_placing.choose_placing_grasp`).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pipeline.tasks.dual_placing import Motion, Placement, choose_placing_grasp
from pipeline.tasks.placing import heading, pick_and_place_heading


def pick_and_place_keeping_heading(task, arm: str, name: str, xyz: Sequence[float], pre_distance: float,
                                   lift: float, pre_height: float, clearance: float) -> None:
    """`pick_and_place_heading` without a turn, with the grasp nearest the home posture among those
    reaching the pre-grasp, the grasp, the lift and the drop-off poses (bottom `clearance` above `xyz`)."""
    spot = np.eye(4)
    spot[:3, 3] = xyz
    motion = Motion(pre_distance=pre_distance, lift=lift, pre_height=pre_height, clearance=clearance)
    grasp = choose_placing_grasp(task, Placement(arm, name, spot), task.assets[name].grasps, motion)
    pick_and_place_heading(task, arm, name, xyz, yaws=(heading(task.actors[name]),), pre_distance=pre_distance,
                           lift=lift, pre_height=pre_height, clearance=clearance, grasps=(grasp,))
