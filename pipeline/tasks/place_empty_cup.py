"""place_empty_cup (RoboTwin 2.0): pick the empty cup from the side and set it upright on the coaster.

Layout as RoboTwin: a coin flip puts the cup at x in [0.15, 0.3] with the coaster at x in
[-0.05, 0.1], or the cup at x in [-0.3, -0.15] with the coaster at x in [-0.1, 0.05]; both
y in [-0.2, 0.05], the coaster at least 0.1 from the cup. The arm on the cup's side does the whole
task. The cup is grasped around its wall (any of the annotated side directions, the
approach level or pitched down, whichever puts the arm nearest its home posture while every pose
of the motion stays reachable), carried over the coaster upright and released just above it.

Success (RoboTwin): cup bottom within 0.035 (horizontally) and 0.015 (height) of the coaster's top
centre, both grippers open. RoboTwin has no upright condition; `upright` is reported but not required.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import entity_matrix, support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.sim.robot import PlanningError
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, grasp_near, move_near, raised

XY_TOLERANCE = 0.035
"""Cup axis to coaster centre, horizontally (RoboTwin)."""
Z_TOLERANCE = 0.015
TILT_TOLERANCE = np.deg2rad(15.0)
GRASP_PITCHES_DEG = (0.0, 20.0, 35.0, 50.0)
"""Dips of the approach below horizontal the expert may use (the fingers still pinch across the wall)."""
ROLL_HALF_TURN = np.diag([-1.0, -1.0, 1.0, 1.0])
"""Half a turn about the approach axis: the same pinch with the fingers swapped (the cup is symmetric)."""
PRE_DISTANCE, LIFT, PLACE_CLEARANCE, PRE_HEIGHT, RETREAT = 0.07, 0.08, 0.004, 0.06, 0.05


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
    step_limit = 500
    phrasing = Phrasing(
        frames=("{verb} {cup} {place} {coaster}.", "Pick up {cup} and {verb} it {place} {coaster}.",
                "Carefully {verb} {cup} {place} {coaster}.", "{verb} {cup} upright {place} {coaster}.",
                "Grab {cup} from the side and {verb} it {place} {coaster}."),
        verbs=("place", "put", "set", "move", "stand"),
        places=("on", "onto", "on top of"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        cup_colour = random_color_name(rng)
        coaster_colour = random_color_name(rng, exclude=(cup_colour,))
        side = 1.0 if rng.random() < 0.5 else -1.0
        cup_xy = np.array([side * rng.uniform(0.15, 0.3), rng.uniform(-0.2, 0.05)])
        while True:
            coaster_xy = np.array([side * rng.uniform(-0.05, 0.1), rng.uniform(-0.2, 0.05)])
            if np.linalg.norm(coaster_xy - cup_xy) >= 0.1:
                break
        coaster = make_asset("coaster", rng, name="coaster", color=rgba(coaster_colour))
        self.add_object("coaster", coaster, sapien.Pose([*coaster_xy, self.table_z]), static=True, footprint=0.07)
        cup = make_asset("cup", rng, name="cup", color=rgba(cup_colour))
        self.add_object("cup", cup, sapien.Pose([*cup_xy, self.table_z + 1e-3]), footprint=0.08)
        self.roles = {"target": "cup", "support": "coaster"}
        self.instruction_fields = {"cup": cup_colour, "coaster": coaster_colour}
        self.descriptions = {"cup": described(cup_colour, ("cup", "empty cup"), ("mug",)),
                             "coaster": described(coaster_colour, ("coaster", "round coaster"), ("cup mat",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        cup, coaster = self.actors["cup"], self.actors["coaster"]
        arm = self.nearest_arm(cup.get_pose().p)
        target = support_target(coaster, self.assets["coaster"].functional_points["top"])
        target[2, 3] += PLACE_CLEARANCE
        grasp_near(self.expert, arm, cup, self._reachable_grasp(arm, target), PRE_DISTANCE, LIFT)
        self.expert.place(arm, cup, self.assets["cup"].functional_points["bottom"], target,
                          align_orientation=False, pre_height=PRE_HEIGHT, retreat=0.0)
        try:  # RoboTwin: retreat 0.05 after releasing
            self.expert.move_by(arm, (0.0, 0.0, RETREAT))
        except PlanningError:  # no straight path near the workspace edge: through joint space
            tcp = self.env.robot[arm].tcp_pose()
            move_near(self.expert, arm, sapien.Pose(tcp.p + np.array([0.0, 0.0, RETREAT], dtype=np.float32), tcp.q))
        self.expert.home([arm])

    def _reachable_grasp(self, arm: str, target: np.ndarray) -> np.ndarray:
        """A side grasp (any yaw, pitch in `GRASP_PITCHES_DEG`, either roll) for which pre-grasp,
        grasp, lift and both placing poses are reachable (the cup keeps its pose in the hand, so
        the placing TCP is the grasp moved with the cup)."""
        asset = self.assets["cup"]
        cup_pose = entity_matrix(self.actors["cup"])
        cup_at_target = cup_pose.copy()
        cup_at_target[:3, 3] += target[:3, 3] - (cup_pose @ asset.functional_points["bottom"])[:3, 3]
        candidates = [pitched_down(level, np.deg2rad(pitch)) @ roll for level in asset.grasps
                      for pitch in GRASP_PITCHES_DEG for roll in (np.eye(4), ROLL_HALF_TURN)]

        def motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp, place = cup_pose @ grasp, cup_at_target @ grasp
            return [backed_off(tcp, PRE_DISTANCE), tcp, raised(tcp, LIFT), raised(place, PRE_HEIGHT), place]

        return choose_reachable_grasp(self.expert, arm, cup_pose, candidates, motion)

    def evaluate(self) -> dict[str, bool]:
        cup, coaster = self.actors["cup"].get_pose(), self.actors["coaster"].get_pose()
        coaster_top = coaster.p[2] + self.assets["coaster"].bounds[1, 2]
        out = {"on_coaster_xy": bool(np.linalg.norm(cup.p[:2] - coaster.p[:2]) < XY_TOLERANCE),
               "on_coaster_z": bool(abs(cup.p[2] - coaster_top) < Z_TOLERANCE),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        out["upright"] = bool(entity_matrix(self.actors["cup"])[2, 2] > np.cos(TILT_TOLERANCE))
        return out
