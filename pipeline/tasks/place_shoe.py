"""place_shoe (RoboTwin 2.0): pick the shoe and place it on the mat, toes to the left.

Layout as RoboTwin: the mat lies at a fixed spot (0, -0.08), its long axis along world x, its own x
axis (the heel-to-toe target direction) towards world -x: toes to the left, the goal RoboTwin's
place_shoe and place_dual_shoes share (the same quaternion; `TOES_LEFT`). The shoe anywhere in x in
[-0.25, 0.25], y in [-0.1, 0.05] (y <= 0 when |x| < 0.15), at least 0.15 from (0, 0), heading
uniform over the full circle. The arm on the shoe's side grasps it, turns it and places it on the mat.

Success (RoboTwin's check, in the mat's frame): the shoe origin within 0.05 along and 0.02 across
the mat's centre, its heading within 15.1 deg of the mat's (RoboTwin: 0.07 per quaternion
component), both grippers open; no height condition.
Intentional differences: our mat is 16-19 x 9-11 cm (RoboTwin 26 x 10 cm) for our 10-13 cm
procedural shoes; the shoe also keeps 0.17 m from the mat centre so the two never overlap.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.place_dual_shoes import TOES_LEFT
from pipeline.tasks.placing import heading, wrap, yaw_quat
from pipeline.tasks.reach import grasp_and_lift_near, lift_near

ALONG_TOLERANCE, ACROSS_TOLERANCE = 0.05, 0.02
YAW_TOLERANCE = np.deg2rad(15.1)
MAT_XY = (0.0, -0.08)
LIFT_M, RETREAT_M = 0.1, 0.08
"""Lift after grasping the shoe and rise after letting it go (`Expert.grasp` and `Expert.place` defaults)."""


@register_task
class PlaceShoe(Task):
    name = "place_shoe"
    step_limit = 500
    expert_revision = 2  # 2: toes to the left, as RoboTwin (1 placed them to the right)
    phrasing = Phrasing(
        frames=("{verb} {shoe} {place} {mat}.", "{verb} {shoe} {place} {mat}, toe along the mat.",
                "Pick up {shoe} and {verb} it {place} {mat}.",
                "{verb} {shoe} {place} {mat} so it lines up with the mat.",
                "Grab {shoe}, then {verb} it {place} {mat} facing the mat's direction."),
        verbs=("place", "put", "set", "move", "lay"),
        places=("on", "onto", "on top of"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        mat_colour = random_color_name(rng)
        mat = make_asset("shoe_mat", rng, name="shoe_mat", color=rgba(mat_colour))
        self.add_object("shoe_mat", mat, sapien.Pose([*MAT_XY, self.table_z], yaw_quat(TOES_LEFT)),
                        static=True, footprint=0.1)
        shoe = make_asset("shoe", rng, name="shoe")
        while True:
            shoe_xy = np.array([rng.uniform(-0.25, 0.25), rng.uniform(-0.1, 0.05)])
            if abs(shoe_xy[0]) < 0.15 and shoe_xy[1] > 0:
                shoe_xy[1] = rng.uniform(-0.1, 0.0)
            if np.linalg.norm(shoe_xy) >= 0.15 and np.linalg.norm(shoe_xy - MAT_XY) >= 0.17:
                break
        shoe_yaw = rng.uniform(-np.pi, np.pi)
        self.add_object("shoe", shoe, sapien.Pose([*shoe_xy, self.table_z + 1e-3], yaw_quat(shoe_yaw)),
                        footprint=0.08)
        self.roles = {"target": "shoe", "support": "shoe_mat"}
        self.instruction_fields = {"mat": mat_colour, "shoe": "shoe"}
        self.descriptions = {"mat": described(mat_colour, ("mat", "shoe mat"), ("rug",)),
                             "shoe": (("the shoe", "the sneaker"), ("the trainer",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        shoe, mat = self.actors["shoe"], self.actors["shoe_mat"]
        arm = self.nearest_arm(shoe.get_pose().p)
        turn = wrap(heading(mat) - heading(shoe))
        asset = self.assets["shoe"]
        grasp = self.expert.choose_grasp(arm, shoe, asset.grasps, turn=turn)
        grasp_and_lift_near(self.expert, arm, shoe, grasp, LIFT_M)
        target = support_target(mat, self.assets["shoe_mat"].functional_points["top"])
        target[2, 3] += 0.004
        self.expert.place(arm, shoe, asset.functional_points["bottom"], target, align_orientation=True, retreat=0.0)
        lift_near(self.expert, arm, RETREAT_M)  # over the mat's middle a straight rise can lack a screw path
        self.expert.home([arm])

    def evaluate(self) -> dict[str, bool]:
        shoe, mat = self.actors["shoe"], self.actors["shoe_mat"]
        local = np.linalg.inv(mat.get_pose().to_transformation_matrix()) @ np.append(shoe.get_pose().p, 1.0)
        yaw_error = abs(wrap(heading(shoe) - heading(mat)))
        out = {"on_mat": bool(abs(local[0]) < ALONG_TOLERANCE and abs(local[1]) < ACROSS_TOLERANCE),
               "aligned": bool(yaw_error < YAW_TOLERANCE),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
