"""beat_block_hammer (RoboTwin 2.0): grasp the hammer by its handle and strike the block with its head.

The hammer lies on its side with the handle pointing away from the robot; the arm on the
block's side grasps the handle from above, carries the head over the block and brings it down
onto the block's top face. The hammer lies flat, so the head's lower face (under the annotated
"head" point, at the head's centre) is the striking face. As in RoboTwin, success is an event:
a `ContactWatch` records hammer contacts on the block's top face.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Task
from pipeline.tasks.contact_watch import ContactWatch, local_point
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, move_near, raised

HOVER_M = 0.06
PRE_DISTANCE, LIFT = 0.08, 0.1
STRIKE_DEPTH_M = 0.006
"""How far the striking face's target goes below the block's top (the drive stops on contact)."""
TOP_FACE_BAND_M = 0.006
"""Contacts within this height below the block's top (and inside its outline) count as strikes."""


@register_task
class BeatBlockHammer(Task):
    name = "beat_block_hammer"
    seen_templates = (
        "Pick up the hammer and hit the {block} block with it.",
        "Grab the {hammer} hammer by the handle and beat the {block} block.",
        "Use the hammer to strike the top of the {block} block.",
    )
    unseen_templates = (
        "Take the {hammer}-handled hammer and knock it down onto the {block} cube.",
        "Hammer the block on the table once.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        hammer_colour = random_color_name(rng, exclude=("gray", "black"))
        block_colour = random_color_name(rng, exclude=(hammer_colour,))
        side = 1.0 if rng.random() < 0.5 else -1.0
        hammer = make_asset("hammer", rng, name="hammer", color=rgba(hammer_colour))
        hammer_xy = np.array([side * rng.uniform(0.12, 0.22), rng.uniform(-0.13, -0.06)])
        hammer_yaw = np.pi / 2 + rng.uniform(-0.3, 0.3)  # handle (+x) pointing away from the robot
        self.add_object("hammer", hammer, yaw_pose([*hammer_xy, self.table_z + 1e-3], hammer_yaw), footprint=0.1)
        block = make_asset("block", rng, name="block", color=rgba(block_colour))
        block_xy = np.array([side * rng.uniform(0.05, 0.3), rng.uniform(0.09, 0.16)])  # clear of the head
        block_yaw = rng.uniform(-np.pi / 4, np.pi / 4)
        self.add_object("block", block, yaw_pose([*block_xy, self.table_z], block_yaw), footprint=0.05)
        self.roles = {"target": "hammer", "pressed": "block", "tool": "hammer"}
        self.instruction_fields = {"hammer": hammer_colour, "block": block_colour}
        self.strikes = ContactWatch(scene, [self.actors["hammer"]], [self.actors["block"]], where=self._on_top_face)
        self.env.step_hooks.append(self.strikes)
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def _on_top_face(self, world_point: np.ndarray) -> bool:
        local = local_point(self.actors["block"], world_point)
        half = (self.assets["block"].bounds[1] - self.assets["block"].bounds[0]) / 2
        top = self.assets["block"].bounds[1, 2]
        return bool(np.all(np.abs(local[:2]) < half[:2] + 1e-3) and local[2] > top - TOP_FACE_BAND_M)

    def striking_face(self) -> np.ndarray:
        """Hammer-frame pose of the head's lower face centre, z down (meets the block's top)."""
        face = self.assets["hammer"].functional_points["bottom"].copy()
        face[0, 3] = self.assets["hammer"].functional_points["head"][0, 3]
        return face

    def play_once(self) -> None:
        hammer, block = self.actors["hammer"], self.actors["block"]
        arm = self.nearest_arm(block.get_pose().p)
        target = support_target(block, self.assets["block"].functional_points["top"])
        target[2, 3] -= STRIKE_DEPTH_M
        self.expert.grasp(arm, hammer, self._reachable_grasp(arm, target), pre_distance=PRE_DISTANCE, lift=LIFT)
        strike = self.expert.placing_tcp(arm, hammer, self.striking_face(), target, align_orientation=False)
        hover = sapien.Pose(strike.p + np.array([0.0, 0.0, HOVER_M], dtype=np.float32), strike.q)
        for pose in (hover, strike, hover):  # short joint-space hops: no straight-line joint-limit traps
            move_near(self.expert, arm, pose)

    def _reachable_grasp(self, arm: str, target: np.ndarray) -> np.ndarray:
        """A handle grasp for which pre-grasp, grasp, lift, hover and strike are all reachable
        (the hammer keeps its orientation in the hand, so the striking TCP is the grasp moved with
        the hammer until its striking face meets `target`)."""
        hammer_pose = entity_matrix(self.actors["hammer"])
        at_strike = hammer_pose.copy()
        at_strike[:3, 3] += target[:3, 3] - (hammer_pose @ self.striking_face())[:3, 3]

        def motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp, strike = hammer_pose @ grasp, at_strike @ grasp
            return [backed_off(tcp, PRE_DISTANCE), tcp, raised(tcp, LIFT), raised(strike, HOVER_M), strike]

        return choose_reachable_grasp(self.expert, arm, hammer_pose, self.assets["hammer"].grasps, motion)

    def check_success(self) -> bool:
        return self.strikes.happened
