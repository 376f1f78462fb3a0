"""beat_block_hammer (RoboTwin 2.0): grasp the hammer by its handle and strike the block with its head.

The hammer lies on its side with the handle pointing away from the robot; the arm on the
block's side grasps the handle from above, carries the head over the block and brings it down
onto the block's top face. The hammer lies flat, so the head's lower face (under the annotated
"head" point, at the head's centre) is the striking face. As in RoboTwin, success is an event:
a `ContactWatch` looks at every physics step for a hammer-block contact made while the striking
face (RoboTwin's hammer fp0) is within 0.02 m in x and in y of the block's top-face centre
(RoboTwin's block fp1): RoboTwin's snapshot check, latched. The block is static, as in RoboTwin.

The block as RoboTwin's: a red 5 cm cube, x in [0.05, 0.25] on either side, yaw within +-0.5 rad.
Intentional differences: RoboTwin's hammer lies at one fixed pose (0, -0.06) and its block is at
y in [-0.05, 0.15]; ours keeps the hammer on the block's side (x in 0.12-0.22, yaw +-0.3) and the
block at y in [0.09, 0.16], a layout our procedural hammer's handle grasps and strike motions were
tuned for (the fixed central hammer overlaps blocks near x = 0 with our hammer's geometry). The
hammer's handle takes a random palette colour (never the block's red) where RoboTwin has one model.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.contact_watch import ContactWatch, local_point
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, move_near, raised

HOVER_M = 0.06
PRE_DISTANCE, LIFT = 0.08, 0.1
STRIKE_DEPTH_M = 0.006
"""How far the striking face's target goes below the block's top (the drive stops on contact)."""
TOP_FACE_BAND_M = 0.006
"""Contacts within this height below the block's top (and inside its outline) are on its top face."""
ALIGN_XY_M = 0.02
"""RoboTwin: |hammer fp0 - block fp1| < 0.02 in x and in y."""
BLOCK_COLOUR, BLOCK_EDGE_M = "red", 0.05
BLOCK_X_M, BLOCK_YAW = (0.05, 0.25), 0.5
"""RoboTwin's block: |x| range (either side) and yaw range (+-rad)."""


@register_task
class BeatBlockHammer(Task):
    name = "beat_block_hammer"
    step_limit = 400
    expert_revision = 2  # 2: RoboTwin's block (red, 5 cm, |x| <= 0.25, yaw +-0.5); 1 drew colour, size, wider ranges
    phrasing = Phrasing(
        frames=("Pick up {hammer} and {verb} {block} with it {place}.",
                "Grab {hammer} by the handle and {verb} {block} {place}.",
                "Use {hammer} to {verb} the top of {block} {place}.", "{verb} {block} with {hammer} {place}.",
                "Take {hammer}, then {verb} {block} {place}."),
        verbs=("hit", "beat", "strike", "tap", "knock", "pound"),
        places=("", "once", "from above"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        hammer_colour = random_color_name(rng, exclude=("gray", "black", BLOCK_COLOUR))
        block_colour = BLOCK_COLOUR
        side = 1.0 if rng.random() < 0.5 else -1.0
        hammer = make_asset("hammer", rng, name="hammer", color=rgba(hammer_colour))
        hammer_xy = np.array([side * rng.uniform(0.12, 0.22), rng.uniform(-0.13, -0.06)])
        hammer_yaw = np.pi / 2 + rng.uniform(-0.3, 0.3)  # handle (+x) pointing away from the robot
        self.add_object("hammer", hammer, yaw_pose([*hammer_xy, self.table_z + 1e-3], hammer_yaw), footprint=0.1)
        block = make_asset("block", rng, name="block", size=BLOCK_EDGE_M, color=rgba(block_colour))
        block_xy = np.array([side * rng.uniform(*BLOCK_X_M), rng.uniform(0.09, 0.16)])  # clear of the head
        block_yaw = rng.uniform(-BLOCK_YAW, BLOCK_YAW)
        self.add_object("block", block, yaw_pose([*block_xy, self.table_z], block_yaw), static=True, footprint=0.05)
        self.roles = {"target": "hammer", "pressed": "block", "tool": "hammer"}
        self.instruction_fields = {"hammer": hammer_colour, "block": block_colour}
        self.descriptions = {"hammer": described(hammer_colour, ("hammer", "hammer with the coloured handle"),
                                                 ("mallet",)),
                             "block": described(block_colour, ("block", "cube"), ("brick",))}
        self.strikes = ContactWatch(scene, [self.actors["hammer"]], [self.actors["block"]], where=self._aligned)
        self.env.step_hooks.append(self.strikes)
        if setting == "hard":
            self.add_distractors(rng)

    def _on_top_face(self, world_point: np.ndarray) -> bool:
        local = local_point(self.actors["block"], world_point)
        half = (self.assets["block"].bounds[1] - self.assets["block"].bounds[0]) / 2
        top = self.assets["block"].bounds[1, 2]
        return bool(np.all(np.abs(local[:2]) < half[:2] + 1e-3) and local[2] > top - TOP_FACE_BAND_M)

    def face_offset(self) -> np.ndarray:
        """World xyz of the striking face minus the block's top-face centre, now."""
        face = entity_matrix(self.actors["hammer"]) @ self.striking_face()
        top = entity_matrix(self.actors["block"]) @ self.assets["block"].functional_points["top"]
        return face[:3, 3] - top[:3, 3]

    def _aligned(self, world_point: np.ndarray) -> bool:
        """A hammer-block contact counts when the striking face is over the block's top centre."""
        return bool(np.all(np.abs(self.face_offset()[:2]) < ALIGN_XY_M))

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

    def evaluate(self) -> dict[str, bool]:
        out = {"struck_aligned": self.strikes.happened,
               "face_over_block": bool(np.all(np.abs(self.face_offset()[:2]) < ALIGN_XY_M))}
        out["success"] = out["struck_aligned"]  # latched: contact while aligned, at any physics step
        return out
