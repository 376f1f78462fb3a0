"""place_empty_cup (RoboTwin 2.0): pick the empty cup from the side and set it upright on the coaster.

Cup and coaster lie on the same side of the table, so one arm (the one on that side) does the
whole task. The cup is grasped around its wall from the direction facing away from the arm's
base, carried over the coaster and released just above it.
"""
from __future__ import annotations

import numpy as np
import sapien

from data_schemas.spec import GRIPPER_OPEN
from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Task

XY_TOLERANCE = 0.025
"""Cup axis to coaster centre, horizontally (RoboTwin: 0.02-0.025 m)."""
Z_TOLERANCE = 0.01
TILT_TOLERANCE = np.deg2rad(15.0)
GRASP_PITCH = np.deg2rad(35.0)
ROLL_HALF_TURN = np.diag([-1.0, -1.0, 1.0, 1.0])
"""Half a turn about the approach axis: the same pinch with the fingers swapped."""


def pitched_down(grasp: np.ndarray, angle: float) -> np.ndarray:
    """A level side grasp turned about its finger-opening axis so the approach dips by `angle`
    (object frame, +z up); the fingers still pinch the cup's wall across its diameter."""
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0, s, 0], [0, 1, 0, 0], [-s, 0, c, 0], [0, 0, 0, 1]])
    out = grasp @ turn
    return out if out[2, 2] <= grasp[2, 2] else grasp @ turn.T


@register_task
class PlaceEmptyCup(Task):
    name = "place_empty_cup"
    seen_templates = (
        "Place the empty {cup} cup on the {coaster} coaster.",
        "Pick up the {cup} cup and put it on the coaster.",
        "Put the empty cup onto the {coaster} coaster.",
    )
    unseen_templates = (
        "Move the {cup} mug over and set it down on the {coaster} coaster.",
        "Set the empty cup upright on top of the round coaster.",
    )
    arms = ("left", "right")

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        cup_colour = random_color_name(rng)
        coaster_colour = random_color_name(rng, exclude=(cup_colour,))
        side = 1.0 if rng.random() < 0.5 else -1.0
        cup_xy = np.array([side * rng.uniform(0.2, 0.3), rng.uniform(-0.12, 0.05)])
        coaster_xy = np.array([side * rng.uniform(0.0, 0.1), rng.uniform(-0.12, 0.05)])
        coaster = make_asset("coaster", rng, name="coaster", color=rgba(coaster_colour))
        self.add_object("coaster", coaster, sapien.Pose([*coaster_xy, self.table_z]), static=True, footprint=0.07)
        cup = make_asset("cup", rng, name="cup", color=rgba(cup_colour))
        self.add_object("cup", cup, sapien.Pose([*cup_xy, self.table_z + 1e-3]), footprint=0.08)
        self.roles = {"target": "cup", "support": "coaster"}
        self.instruction_fields = {"cup": cup_colour, "coaster": coaster_colour}
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def play_once(self) -> None:
        cup, coaster = self.actors["cup"], self.actors["coaster"]
        arm = self.nearest_arm(cup.get_pose().p)
        self.expert.grasp(arm, cup, self._outward_grasp(arm), pre_distance=0.07, lift=0.08)
        target = support_target(coaster, self.assets["coaster"].functional_points["top"])
        target[2, 3] += 0.004  # release just above the coaster
        self.expert.place(arm, cup, self.assets["cup"].functional_points["bottom"], target, align_orientation=False)
        self.expert.home([arm])

    def _outward_grasp(self, arm: str) -> np.ndarray:
        """The side grasp whose approach points most directly away from the arm's base, pitched
        down by `GRASP_PITCH` (a level approach this low is out of the Panda's reach near its base)."""
        cup = self.actors["cup"]
        outward = cup.get_pose().p[:2] - self.env.robot[arm].base_pose.p[:2]
        outward /= np.linalg.norm(outward)

        def alignment(grasp: np.ndarray) -> float:
            return float((entity_matrix(cup) @ grasp)[:2, 2] @ outward)

        grasp = pitched_down(max(self.assets["cup"].grasps, key=alignment), GRASP_PITCH)
        return self.expert.choose_grasp(arm, cup, (grasp, grasp @ ROLL_HALF_TURN))  # the cup is symmetric

    def check_success(self) -> bool:
        cup, coaster = self.actors["cup"].get_pose(), self.actors["coaster"].get_pose()
        coaster_top = coaster.p[2] + self.assets["coaster"].bounds[1, 2]
        upright = entity_matrix(self.actors["cup"])[2, 2] > np.cos(TILT_TOLERANCE)
        released = all(self.env.robot[arm].gripper_command == GRIPPER_OPEN for arm in self.arms)
        return bool(np.linalg.norm(cup.p[:2] - coaster.p[:2]) < XY_TOLERANCE
                    and abs(cup.p[2] - coaster_top) < Z_TOLERANCE and upright and released)
