"""move_pillbottle_pad (RoboTwin 2.0): move the pill bottle onto the blue pad.

Layout as RoboTwin: the bottle upright at x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.1, 0.1],
heading 90 deg; the static blue pad, 0.08 x 0.08 x 0.001 m, on the bottle's side at |x| in
[0.05, 0.25], y in [-0.2, 0.1], at least 0.1 from the bottle. The arm on the bottle's side grasps it
(pre-grasp 0.06), lifts it 0.05 and sets it on the pad centre (from 0.05 above), opens.

Success (RoboTwin): the bottle origin (its bottom centre) within 0.03 in x and y of the pad centre
and within 0.005 in z of the table top + 0.001 (RoboTwin's 0.741 + bias: standing on the pad,
not lying or still held); both grippers open. Step limit 400.
Intentional differences: the bottle is one of three procedural shapes (RoboTwin: 5 mesh models),
grasped from above by its cap; our expert releases it 2 mm above the pad (RoboTwin: at the pad).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.keep_heading import pick_and_place_keeping_heading
from pipeline.tasks.placing import COLOURS_8, off_centre_xy, spot_beside, yaw_quat

PAD_SIZE = (0.08, 0.08, 0.001)
XY_TOLERANCE, Z_TOLERANCE = 0.03, 0.005
SPAWN_LIFT = 0.001
"""RoboTwin spawns the bottle 1 mm above the table (z 0.741); its z check is against that height."""


@register_task
class MovePillbottlePad(Task):
    name = "move_pillbottle_pad"
    phrasing = Phrasing(
        frames=("{verb} {bottle} {place} {pad}.", "Pick up {bottle} and {verb} it {place} {pad}.",
                "Grab {bottle}, then {verb} it {place} {pad}.", "Use one arm to {verb} {bottle} {place} {pad}.",
                "{verb} {bottle} upright {place} {pad}."),
        verbs=("move", "put", "place", "set", "stand"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        bottle_xy = off_centre_xy(rng, (-0.25, 0.25), (-0.1, 0.1), min_abs_x=0.05)
        pad_xy = spot_beside(rng, bottle_xy, y_range=(-0.2, 0.1))
        pad = make_asset("rect_pad", rng, name="pad", size_x=PAD_SIZE[0], size_y=PAD_SIZE[1],
                         thickness=PAD_SIZE[2], color=(*COLOURS_8["blue"], 1.0))
        self.add_object("pad", pad, sapien.Pose([*pad_xy, self.table_z]), static=True)
        colour = random_color_name(rng, exclude=("white", "blue"))
        bottle = make_asset("pillbottle", rng, name="pillbottle", color=rgba(colour))
        self.add_object("pillbottle", bottle,
                        sapien.Pose([*bottle_xy, self.table_z + SPAWN_LIFT], yaw_quat(np.pi / 2)))
        self.roles = {"target": "pillbottle", "support": "pad"}
        self.instruction_fields = {"bottle": colour, "pad": "blue"}
        self.descriptions = {"bottle": described(colour, ("pill bottle", "medicine bottle"), ("pill container",)),
                             "pad": described("blue", ("pad", "mat"), ("square pad",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        bottle, pad = self.actors["pillbottle"], self.actors["pad"]
        arm = self.nearest_arm(bottle.get_pose().p)
        top = np.array(pad.get_pose().p) + (0.0, 0.0, PAD_SIZE[2])
        pick_and_place_keeping_heading(self, arm, "pillbottle", top, pre_distance=0.06, lift=0.05,
                                       pre_height=0.05, clearance=0.002)

    def evaluate(self) -> dict[str, bool]:
        bottle, pad = self.actors["pillbottle"].get_pose().p, self.actors["pad"].get_pose().p
        out = {"on_pad": bool(np.all(np.abs(bottle[:2] - pad[:2]) < XY_TOLERANCE)),
               "standing": bool(abs(bottle[2] - (self.table_z + SPAWN_LIFT)) < Z_TOLERANCE),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
