"""handover_block: one arm picks the block, hands it to the other arm, which places it on the pad.

RoboTwin 2.0's dual-arm handover. The giver (the arm on the block's side) grasps the block from
above, carries it to a handover point over the table's middle and turns it so it holds two faces
normal to world x. The receiver comes in sideways along x and closes on the two free faces (world
±y), below the giver's hand; the giver lets go and leaves, the receiver lowers the block onto the
target pad on its side and releases it just above the pad (its sideways hand must stay clear of
the table).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import matrix_to_pose, pose_to_matrix, yaw_pose
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.sim.robot import PlanningError
from pipeline.tasks import register_task
from pipeline.tasks.base import Task
from pipeline.tasks.reach import nearest_ik

HANDOVER_POINT = (0.0, -0.05, 0.22)
"""Block centre at the handover: world x, world y, height above the table."""
RECEIVER_PRE_M = 0.1
"""The receiver waits this far out along x (its posture: the IK solution nearest home) before
moving straight in to grasp."""
RECEIVER_GRASP_OFFSET = (0.018, 0.003)
"""Receiver's TCP from the block centre (towards the receiver, up): its hand stays clear of the
giver's finger on that face and, when placing, of the table."""
PLACE_TCP_HEIGHT_M = 0.05
"""The receiver opens with its TCP this high over the table (its sideways hand is 3.2 cm thick
either side of the TCP), so the block drops the last centimetres onto the pad."""
PAD_CLEARANCE_M = 0.17
"""Clutter keeps this far from the pad centre: the receiver's sideways hand (20 cm wide, up to
13 cm behind the TCP) comes down to 2 cm over the table there."""
XY_MARGIN_M = 0.01
Z_TOLERANCE_M = 0.012


def frame(position, z_axis, y_axis) -> sapien.Pose:
    """World pose with the given approach (z) and finger-opening (y) axes."""
    z, y = np.asarray(z_axis, dtype=float), np.asarray(y_axis, dtype=float)
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = np.cross(y, z), y, z, position
    return matrix_to_pose(m)


@register_task
class HandoverBlock(Task):
    name = "handover_block"
    seen_templates = (
        "Hand the {block} block over to the other arm and put it on the {pad} pad.",
        "Pick up the {block} block, pass it to the other gripper, and place it on the {pad} pad.",
        "Transfer the {block} block between the arms and set it down on the {pad} pad.",
    )
    unseen_templates = (
        "Give the {block} cube from one hand to the other, then drop it onto the {pad} target.",
        "Move the {block} block across with a handover and leave it on the {pad} mat.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        self.giver = "left" if rng.random() < 0.5 else "right"
        self.receiver = "right" if self.giver == "left" else "left"
        side = -1.0 if self.giver == "left" else 1.0
        block_colour, pad_colour = (random_color_name(rng, exclude=("white", "gray", "black")) for _ in range(2))
        block = make_asset("block", rng, name="block", color=rgba(block_colour))
        pad = make_asset("target_pad", rng, name="target_pad", color=rgba(pad_colour))
        block_xy = np.array([side * rng.uniform(0.15, 0.3), rng.uniform(-0.12, 0.05)])
        pad_xy = np.array([-side * rng.uniform(0.08, 0.2), rng.uniform(-0.12, 0.05)])
        self.add_object("target_pad", pad, yaw_pose([*pad_xy, self.table_z], rng.uniform(-0.5, 0.5)),
                        static=True, footprint=PAD_CLEARANCE_M)
        self.add_object("block", block, yaw_pose([*block_xy, self.table_z], rng.uniform(-0.8, 0.8)),
                        footprint=0.05)
        self.roles = {"target": "block", "support": "target_pad"}
        self.instruction_fields = {"block": block_colour, "pad": pad_colour}
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def play_once(self) -> None:
        block, asset = self.actors["block"], self.assets["block"]
        giver, receiver = self.giver, self.receiver
        inward = 1.0 if giver == "left" else -1.0  # giver -> receiver direction along world x
        self.expert.grasp(giver, block, self.expert.choose_grasp(giver, block, asset.grasps), lift=0.08)

        # giver brings the block to the handover point holding its world-x faces; receiver stands by
        half = float(asset.bounds[1, 2]) / 2
        point = np.array([HANDOVER_POINT[0], HANDOVER_POINT[1], self.table_z + HANDOVER_POINT[2]])
        centre_in_tcp = (np.linalg.inv(pose_to_matrix(self.env.robot[giver].tcp_pose()))
                         @ entity_matrix(block) @ np.array([0.0, 0.0, half, 1.0]))[:3]
        giver_tcp = self._least_roll(giver, point, (0.0, 0.0, -1.0), (1.0, 0.0, 0.0))
        rotation = pose_to_matrix(giver_tcp)[:3, :3]
        giver_tcp = sapien.Pose((point - rotation @ centre_in_tcp).astype(np.float32), giver_tcp.q)
        approach = np.array([-inward, 0.0, 0.0])
        standby = self._side_frame(receiver, point - approach * RECEIVER_PRE_M, approach)
        receiver_joints = nearest_ik(self.env.robot[receiver], standby)  # no arbitrary IK branch
        if receiver_joints is None:
            raise PlanningError(f"{receiver} arm: no IK solution for the handover stand-by pose")
        self.expert.open_gripper(receiver)
        self.expert.follow({giver: self.env.robot[giver].plan_to_tcp(giver_tcp, self.env.dt),
                            receiver: self.env.robot[receiver].plan_to_qpos(receiver_joints, self.env.dt)})

        # receiver grasps the block's free faces, giver releases and moves away
        centre = entity_matrix(block) @ np.array([0.0, 0.0, half, 1.0])
        grasp_at = centre[:3] - approach * RECEIVER_GRASP_OFFSET[0] + np.array([0.0, 0.0, RECEIVER_GRASP_OFFSET[1]])
        self.expert.move_to({receiver: self._side_frame(receiver, grasp_at, approach)}, straight=True)
        self.expert.close_gripper(receiver)
        self.expert.open_gripper(giver)
        self.expert.move_by(giver, (0.0, 0.0, 0.08))

        # receiver lowers the block over the pad and lets it drop the last centimetres
        target = support_target(self.actors["target_pad"], self.assets["target_pad"].functional_points["top"])
        tcp_above_bottom = (pose_to_matrix(self.env.robot[receiver].tcp_pose())[2, 3]
                            - (entity_matrix(block) @ asset.functional_points["bottom"])[2, 3])
        target[2, 3] = max(target[2, 3], self.table_z + PLACE_TCP_HEIGHT_M - tcp_above_bottom)
        self.expert.home([giver])
        self.expert.place(receiver, block, asset.functional_points["bottom"], target, align_orientation=False)
        self.expert.home([receiver])

    def _side_frame(self, arm: str, position: np.ndarray, approach: np.ndarray) -> sapien.Pose:
        return self._least_roll(arm, position, approach, (0.0, 1.0, 0.0))

    def _least_roll(self, arm: str, position, approach, opening) -> sapien.Pose:
        """TCP frame at `position` with the given approach; of the two opening directions (±`opening`,
        equivalent for the symmetric gripper) the one nearer the arm's current opening axis."""
        candidates = [frame(position, approach, sign * np.asarray(opening, dtype=float)) for sign in (1.0, -1.0)]
        current = pose_to_matrix(self.env.robot[arm].tcp_pose())[:3, 1]
        candidates.sort(key=lambda pose: -float(pose_to_matrix(pose)[:3, 1] @ current))
        return candidates[0]

    def check_success(self) -> bool:
        block, pad = self.actors["block"], self.actors["target_pad"]
        local = np.linalg.inv(entity_matrix(pad)) @ np.append(block.get_pose().p, 1.0)
        half = (self.assets["target_pad"].bounds[1] - self.assets["target_pad"].bounds[0]) / 2
        inside = abs(local[0]) < half[0] - XY_MARGIN_M and abs(local[1]) < half[1] - XY_MARGIN_M
        resting = abs(local[2] - self.assets["target_pad"].bounds[1, 2]) < Z_TOLERANCE_M
        released = all(self.env.robot[arm].gripper_opening() > 0.5 for arm in ("left", "right"))
        return bool(inside and resting and released)
