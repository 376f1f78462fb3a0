"""lift_pot: both grippers take the pot by its two handles and lift it together, keeping it level.

RoboTwin 2.0's dual-arm lift: the left arm takes the handle on the pot's world -x side, the right
arm the other one; both phases (approach, close, lift) run in lockstep so the pot stays level.
Success: the pot is at least `LIFT_MIN_M` above the table, tilted less than `TILT_MAX_RAD`, and
each gripper still holds its handle.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Task

LIFT_M = 0.1
"""How high the expert lifts the pot."""
LIFT_MIN_M = 0.07
TILT_MAX_RAD = np.deg2rad(8.0)
HOLD_DISTANCE_M = 0.03
"""A gripper holds its handle when its TCP is this close to the handle's grip point."""
HANDLES = ("handle_-x", "handle_+x")


@register_task
class LiftPot(Task):
    name = "lift_pot"
    seen_templates = (
        "Lift the {colour} pot with both hands.",
        "Use both arms to pick up the {colour} pot by its handles.",
        "Grab the two handles of the {colour} pot and raise it.",
    )
    unseen_templates = (
        "Hold the {colour} pot by both handles and lift it off the table, keeping it level.",
        "Raise the {colour} cooking pot using the left and right grippers together.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        colour = random_color_name(rng, exclude=("white", "gray", "black"))
        pot = make_asset("pot", rng, name="pot", color=rgba(colour))
        xy = np.array([rng.uniform(-0.05, 0.05), rng.uniform(-0.08, 0.04)])
        self.add_object("pot", pot, yaw_pose([*xy, self.table_z], rng.uniform(-0.3, 0.3)),
                        footprint=0.15)
        self.roles = {"target": "pot"}
        self.instruction_fields = {"colour": colour}
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def handle_of_arm(self) -> dict[str, str]:
        """Arm -> handle label: the left arm takes the handle lying further to world -x."""
        pot, asset = self.actors["pot"], self.assets["pot"]
        world_x = {label: (entity_matrix(pot) @ asset.functional_points[label])[0, 3] for label in HANDLES}
        left = min(HANDLES, key=world_x.get)
        return {"left": left, "right": HANDLES[1 - HANDLES.index(left)]}

    def play_once(self) -> None:
        pot, asset = self.actors["pot"], self.assets["pot"]
        grasps = {arm: (pot, self.expert.choose_grasp(arm, pot, asset.grasps_labelled(label)))
                  for arm, label in self.handle_of_arm().items()}
        self.expert.grasp_together(grasps, lift=LIFT_M)

    def check_success(self) -> bool:
        pot, asset = self.actors["pot"], self.assets["pot"]
        pose = entity_matrix(pot)
        lifted = pose[2, 3] - self.table_z > LIFT_MIN_M
        level = np.arccos(np.clip(pose[2, 2], -1.0, 1.0)) < TILT_MAX_RAD
        held = all(np.linalg.norm(self.env.robot[arm].tcp_pose().p - (pose @ asset.functional_points[label])[:3, 3])
                   < HOLD_DISTANCE_M for arm, label in self.handle_of_arm().items())
        return bool(lifted and level and held)

