"""place_cans_plasticbox (RoboTwin 2.0): each arm picks up its can and puts it into the plastic box.

Layout as RoboTwin: the box at x = 0, y in [-0.15, -0.1], its length along world x, no yaw noise;
the left can at x in [-0.25, -0.15], the right one at x in [0.15, 0.25], both y in [-0.15, -0.07];
fixed roles (left arm, left can). Expert as RoboTwin: both grasp (pre-grasp 0.1) and lift 0.2; the
left arm puts its can on the box's left spot ("slot_-x", RoboTwin's fp1), opens and rises 0.08; the
left arm goes home while the right one puts its can on the right spot ("slot_+x", fp0), opens,
rises 0.08 and goes home (`pipeline.tasks.dual_placing`). The cans are taken from above with the
fingers opening roughly along world y, so no finger comes down on the box's short walls.

Success (RoboTwin): each can's origin within 0.04 m (horizontally) of the nearer of the two spots
(both cans may match the same one), both grippers open. Differences: RoboTwin's box and can
models are scanned meshes (box ids 3, 5, cans 0-6); here a procedural box (`plastic_box`, 2 shapes,
any colour, 0.05 kg as RoboTwin) and procedural cans (`drink_can`, 3 shapes); the spots are the
centres of the two halves of the box floor (RoboTwin's fp0/fp1 are in its asset files).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.dual_placing import Motion, Placement, choose_placing_grasp, pick_both_place_in_turn

ARMS = ("left", "right")
SIDE = {"left": -1.0, "right": 1.0}
SLOT = {"left": "slot_-x", "right": "slot_+x"}
BOX_MASS_KG = 0.05
"""RoboTwin sets the box to 0.05 kg (and each can to 0.05 kg)."""
CAN_MASS_KG = 0.05
XY_TOLERANCE_M = 0.04
MOTION = Motion(pre_distance=0.1, lift=0.2, pre_height=0.1, clearance=0.005, retreat=0.08)
OPENING_ALONG_Y_MIN = np.cos(np.deg2rad(50.0))
"""A can grasp's finger-opening axis is this close to world y (|cos|): fingers opening along x would
come down on the box's short walls."""
CAN_NOUNS = {"soda": ("soda can",), "tall": ("tall can",), "squat": ("short can",)}


@register_task
class PlaceCansPlasticbox(Task):
    name = "place_cans_plasticbox"
    step_limit = 800
    arms = ARMS
    phrasing = Phrasing(
        frames=("{verb} {left_can} and {right_can} {place} {box}.",
                "Use both arms to {verb} {left_can} and {right_can} {place} {box}.",
                "Pick up {left_can} with the left arm and {right_can} with the right arm, and {verb} them {place} {box}.",
                "Grab the two cans, {left_can} and {right_can}, and {verb} them {place} {box}.",
                "{verb} each can {place} {box}: first {left_can}, then {right_can}."),
        verbs=("put", "place", "drop", "move", "set"),
        places=("into", "in", "inside"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        box_colour = random_color_name(rng)
        box = make_asset("plastic_box", rng, name="plastic_box", color=rgba(box_colour))
        box.mass = BOX_MASS_KG
        box_xy = np.array([0.0, rng.uniform(-0.15, -0.1)])
        self.add_object("plastic_box", box, yaw_pose([*box_xy, self.table_z + 1e-3], 0.0))
        fields = {"box": box_colour}
        descriptions = {"box": described(box_colour, ("plastic box", "box"), ("storage bin",))}
        for arm in ARMS:
            colour = random_color_name(rng, exclude=(box_colour, *(fields.get(f"{a}_can", "") for a in ARMS)))
            style = sorted(CAN_NOUNS)[int(rng.integers(len(CAN_NOUNS)))]
            can = make_asset("drink_can", rng, name=f"can_{arm}", style=style, color=rgba(colour))
            can.mass = CAN_MASS_KG
            xy = (SIDE[arm] * rng.uniform(0.15, 0.25), rng.uniform(-0.15, -0.07))
            self.add_object(f"can_{arm}", can, yaw_pose([*xy, self.table_z + 1e-3], np.pi / 2), footprint=0.06)
            fields[f"{arm}_can"] = colour
            descriptions[f"{arm}_can"] = described(colour, ("can",) + CAN_NOUNS[style], ("tin",))
        self.roles = {"target": "can_left", "support": "plastic_box"}
        self.instruction_fields, self.descriptions = fields, descriptions
        if setting == "hard":
            self.add_distractors(rng)

    def spots(self) -> dict[str, np.ndarray]:
        """Slot label -> world frame a can's bottom meets there."""
        box, asset = self.actors["plastic_box"], self.assets["plastic_box"]
        return {label: support_target(box, asset.functional_points[label]) for label in SLOT.values()}

    def play_once(self) -> None:
        spots = self.spots()
        jobs = [Placement(arm, f"can_{arm}", spots[SLOT[arm]]) for arm in ARMS]
        grasps = {}
        for job in jobs:
            can, asset = self.actors[job.name], self.assets[job.name]
            across_y = [g for g in asset.grasps_labelled("top")
                        if abs((entity_matrix(can) @ g)[1, 1]) >= OPENING_ALONG_Y_MIN]
            grasps[job.arm] = choose_placing_grasp(self, job, across_y, MOTION)
        pick_both_place_in_turn(self, jobs, grasps, MOTION)

    def evaluate(self) -> dict[str, bool]:
        spots = [spot[:2, 3] for spot in self.spots().values()]
        out = {}
        for arm in ARMS:
            xy = self.actors[f"can_{arm}"].get_pose().p[:2]
            out[f"{arm}_can_in_box"] = bool(min(np.linalg.norm(xy - spot) for spot in spots) < XY_TOLERANCE_M)
        out["grippers_open"] = self.gripper_open("left") and self.gripper_open("right")
        out["success"] = all(out.values())
        return out
