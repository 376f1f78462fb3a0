"""place_burger_fries (RoboTwin 2.0): the left arm puts the burger, the right arm the fries, onto the tray.

Layout as RoboTwin: a static tray at x = 0, y in [-0.15, -0.1], heading -4.7 deg, no noise; the
burger at x in [-0.3, -0.25], the fries at x in [0.2, 0.3], both y in [-0.15, -0.07], headings fixed
(burger 90 deg, fries 0). Expert as RoboTwin: both grasp (pre-grasp 0.1) and lift 0.1; the left arm
puts the burger on the tray's left spot ("slot_-x", RoboTwin's fp0), opens and rises 0.08; the left
arm goes home while the right one puts the fries on the right spot ("slot_+x", fp1), opens and rises
0.08 (`pipeline.tasks.dual_placing`; ours then also sends the right arm home).

Success (RoboTwin): the burger's bottom within 0.08 m (horizontally) of the left spot and the fries'
bottom within 0.08 m of the right spot, both grippers open. Differences: procedural burger (3
styles, 5.6-6.6 cm across: a Panda hand clamps at most 7 cm), fries carton and tray (`tray`, 2
shapes, 27-30 cm long so the fries at x >= 0.2 stand clear of it) instead of RoboTwin's scans; the
spots are the centres of the tray's two halves (RoboTwin's fp0/fp1 are in its asset files).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.dual_placing import Motion, Placement, choose_placing_grasp, pick_both_place_in_turn

FOOD = {"left": "burger", "right": "fries"}
SLOT = {"left": "slot_-x", "right": "slot_+x"}
X_RANGE = {"left": (-0.3, -0.25), "right": (0.2, 0.3)}
HEADING = {"left": np.pi / 2, "right": 0.0}
TRAY_HEADING = np.deg2rad(-4.7)
FOOD_MASS_KG = 0.05
"""RoboTwin sets the burger and the fries to 0.05 kg."""
XY_TOLERANCE_M = 0.08
MOTION = Motion(pre_distance=0.1, lift=0.1, pre_height=0.1, clearance=0.005, retreat=0.08)


@register_task
class PlaceBurgerFries(Task):
    name = "place_burger_fries"
    step_limit = 500
    arms = ("left", "right")
    phrasing = Phrasing(
        frames=("{verb} {burger} and {fries} {place} {tray}.",
                "Use both arms to {verb} {burger} and {fries} {place} {tray}.",
                "With the left arm {verb} {burger} {place} {tray}, then with the right arm {verb} {fries} there too.",
                "Grab {burger} and {fries} and {verb} them {place} {tray}.",
                "Serve the meal: {verb} {burger} and {fries} {place} {tray}."),
        verbs=("put", "place", "set", "move", "lay"),
        places=("on", "onto", "on top of"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        tray_colour = random_color_name(rng, exclude=("yellow",))
        tray = make_asset("tray", rng, name="tray", color=rgba(tray_colour))
        tray_xy = (0.0, rng.uniform(-0.15, -0.1))
        self.add_object("tray", tray, yaw_pose([*tray_xy, self.table_z], TRAY_HEADING), static=True)
        for arm, kind in FOOD.items():
            asset = make_asset(kind, rng, name=kind)
            asset.mass = FOOD_MASS_KG
            xy = (rng.uniform(*X_RANGE[arm]), rng.uniform(-0.15, -0.07))
            self.add_object(kind, asset, yaw_pose([*xy, self.table_z + 1e-3], HEADING[arm]), footprint=0.06)
        self.roles = {"target": "burger", "support": "tray"}
        self.instruction_fields = {"tray": tray_colour}
        self.descriptions = {"burger": (("the burger", "the hamburger"), ("the sandwich bun",)),
                             "fries": (("the fries", "the french fries", "the box of fries"), ("the chips",)),
                             "tray": described(tray_colour, ("tray", "serving tray"), ("platter",))}
        if setting == "hard":
            self.add_distractors(rng)

    def spots(self) -> dict[str, np.ndarray]:
        """Arm -> world frame its food's bottom meets on the tray."""
        tray, asset = self.actors["tray"], self.assets["tray"]
        return {arm: support_target(tray, asset.functional_points[label]) for arm, label in SLOT.items()}

    def play_once(self) -> None:
        spots = self.spots()
        jobs = [Placement(arm, FOOD[arm], spots[arm]) for arm in ("left", "right")]
        grasps = {job.arm: choose_placing_grasp(self, job, self.assets[job.name].grasps, MOTION) for job in jobs}
        pick_both_place_in_turn(self, jobs, grasps, MOTION)

    def evaluate(self) -> dict[str, bool]:
        out = {}
        for arm, spot in self.spots().items():
            name = FOOD[arm]
            xy = self.actors[name].get_pose().p[:2]  # the bottom centre: the object origin
            out[f"{name}_on_tray"] = bool(np.linalg.norm(xy - spot[:2, 3]) < XY_TOLERANCE_M)
        out["grippers_open"] = self.gripper_open("left") and self.gripper_open("right")
        out["success"] = all(out.values())
        return out
