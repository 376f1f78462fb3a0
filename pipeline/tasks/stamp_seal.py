"""stamp_seal (RoboTwin 2.0): stamp the seal onto the coloured target square.

Layout as RoboTwin: the seal at x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.05, 0.05], heading
90 deg; the target, a 0.07 x 0.07 x 0.001 m square in a colour from RoboTwin's 23-colour list, on the
seal's side at |x| in [0.05, 0.25], y in [-0.05, 0.05] on the first draw and [-0.05, 0.1] on
redraws, at least 0.1 from the seal. The arm on the seal's side grasps it by its knob (pre-grasp
0.1), lifts it 0.05 and sets it down on the target centre (from 0.1 above), opens.

Success (RoboTwin): the seal origin (the centre of its stamping face) within 0.01 in x and in y of
the target centre; both grippers open. No height condition. Step limit 400.
Intentional differences: RoboTwin's target is visual only; ours is a static 1 mm pad with
collision, so the seal's landing on it is a recorded support contact and `aim-annotate` finds the
place map there (the seal stands 1 mm higher, which no check reads). RoboTwin opens 2 cm above the
target (it drops the seal); ours 2 mm above, as the other placing experts. The seal is one of three
procedural shapes (RoboTwin: 5 mesh models), grasped from above by its knob.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.keep_heading import pick_and_place_keeping_heading
from pipeline.tasks.placing import COLOURS_23, draw_colour, yaw_quat

TARGET_SIZE = (0.07, 0.07, 0.001)
XY_TOLERANCE = 0.01
MIN_DISTANCE = 0.1


@register_task
class StampSeal(Task):
    name = "stamp_seal"
    phrasing = Phrasing(
        frames=("{verb} {seal} {place} {target}.", "Pick up {seal} and {verb} it {place} {target}.",
                "Grab {seal}, then {verb} it {place} {target}.", "Use one arm to {verb} {seal} {place} {target}.",
                "Lift {seal} and {verb} it down {place} {target}."),
        verbs=("stamp", "press", "put", "place", "set"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        while True:
            seal_xy = np.array([rng.uniform(-0.25, 0.25), rng.uniform(-0.05, 0.05)])
            if abs(seal_xy[0]) >= 0.05:
                break
        target_xy = self.target_spot(rng, seal_xy)
        target_colour, target_rgba = draw_colour(rng, COLOURS_23)
        target = make_asset("rect_pad", rng, name="target", size_x=TARGET_SIZE[0], size_y=TARGET_SIZE[1],
                            thickness=TARGET_SIZE[2], color=target_rgba)
        self.add_object("target", target, sapien.Pose([*target_xy, self.table_z]), static=True)
        seal_colour = random_color_name(rng, exclude=("black",))
        seal = make_asset("seal", rng, name="seal", color=rgba(seal_colour))
        self.add_object("seal", seal, sapien.Pose([*seal_xy, self.table_z + 1e-3], yaw_quat(np.pi / 2)))
        self.roles = {"target": "seal", "support": "target"}
        self.instruction_fields = {"seal": seal_colour, "target": target_colour}
        self.descriptions = {"seal": described(seal_colour, ("seal", "stamp"), ("rubber stamp",)),
                             "target": described(target_colour, ("square", "target square"), ("square mark",))}
        if setting == "hard":
            self.add_distractors(rng)

    @staticmethod
    def target_spot(rng: np.random.Generator, seal_xy: np.ndarray) -> np.ndarray:
        """RoboTwin's target spawn: the seal's side, y in [-0.05, 0.05] first and [-0.05, 0.1] on
        redraws, until at least `MIN_DISTANCE` from the seal."""
        side = 1.0 if seal_xy[0] >= 0 else -1.0
        y_high = 0.05
        while True:
            xy = np.array([side * rng.uniform(0.05, 0.25), rng.uniform(-0.05, y_high)])
            if np.linalg.norm(xy - seal_xy) >= MIN_DISTANCE:
                return xy
            y_high = 0.1

    def play_once(self) -> None:
        seal, target = self.actors["seal"], self.actors["target"]
        arm = self.nearest_arm(seal.get_pose().p)
        top = np.array(target.get_pose().p) + (0.0, 0.0, TARGET_SIZE[2])
        pick_and_place_keeping_heading(self, arm, "seal", top, pre_distance=0.1, lift=0.05, pre_height=0.1,
                                       clearance=0.002)

    def evaluate(self) -> dict[str, bool]:
        seal, target = self.actors["seal"].get_pose().p, self.actors["target"].get_pose().p
        out = {"on_target": bool(np.all(np.abs(seal[:2] - target[:2]) < XY_TOLERANCE)),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
