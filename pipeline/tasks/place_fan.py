"""place_fan (RoboTwin 2.0): set the fan on the pad, facing the robot.

Layout as RoboTwin: the fan (0.01 kg) upright at x in [-0.1, 0.1], y in [-0.15, -0.05], any
heading (180 deg + U(+-360 deg)); the pad, 0.10 x 0.10 x 0.002 m, a colour from RoboTwin's 23-colour
list, dynamic, 1 kg, on the fan's side at |x| in [0.15, 0.25], y in [-0.15, -0.05]. The target is
the pad's pose at creation, heading 0. The arm on the fan's side grasps it (pre-grasp 0.05), lifts
it 0.05, turns it and sets it on the target (from 0.04 above, released 0.005 above), opens.

Success (RoboTwin): the fan's mesh quaternion (w >= 0) within 0.05 per component of
[0.707, 0.707, 0, 0] (upright, heading 0 within 8.1 deg: the grille toward the robot), its origin
within 0.04 of the target in x, y and z, both grippers open. Step limit 400.
Intentional differences: RoboTwin creates the pad at the absolute height 0.741 (on a lowered
hard-setting table it drops; the target z stays 0.741); ours lies on the table and the target is
its pose there. The fan is procedural (sizes and colours vary; RoboTwin: 2 models).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.placing import (COLOURS_23, UPRIGHT_FACING_ROBOT, draw_colour, pick_and_place_heading,
                                    quaternion_near, set_mass, spot_beside, yaw_quat)

PAD_SIZE = (0.10, 0.10, 0.002)
PAD_MASS = 1.0
QUAT_TOLERANCE, POSITION_TOLERANCE = 0.05, 0.04


@register_task
class PlaceFan(Task):
    name = "place_fan"
    phrasing = Phrasing(
        frames=("{verb} {fan} {place} {pad}, facing the robot.", "Pick up {fan} and {verb} it {place} {pad} facing you.",
                "Grab {fan}, then {verb} it {place} {pad} so it blows toward the robot.",
                "{verb} {fan} {place} {pad} with its front toward the robot.",
                "Use one arm to {verb} {fan} {place} {pad}, turned to face you."),
        verbs=("place", "put", "set", "move", "stand"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        fan_xy = np.array([rng.uniform(-0.1, 0.1), rng.uniform(-0.15, -0.05)])
        fan_yaw = np.pi + rng.uniform(-2 * np.pi, 2 * np.pi)
        pad_xy = spot_beside(rng, fan_xy, x_range=(0.15, 0.25), y_range=(-0.15, -0.05), min_distance=0.0)
        pad_colour, pad_rgba = draw_colour(rng, COLOURS_23)
        pad = make_asset("rect_pad", rng, name="pad", size_x=PAD_SIZE[0], size_y=PAD_SIZE[1],
                         thickness=PAD_SIZE[2], color=pad_rgba)
        self.add_object("pad", pad, sapien.Pose([*pad_xy, self.table_z]))
        set_mass(self.actors["pad"], PAD_MASS)
        self.target = np.array([*pad_xy, self.table_z])
        """RoboTwin's target: where the pad was created (it may be pushed later)."""
        fan_colour = random_color_name(rng, exclude=("gray",))
        fan = make_asset("desk_fan", rng, name="fan", color=rgba(fan_colour))
        self.add_object("fan", fan, sapien.Pose([*fan_xy, self.table_z + 1e-3], yaw_quat(fan_yaw)))
        self.roles = {"target": "fan", "support": "pad"}
        self.instruction_fields = {"fan": fan_colour, "pad": pad_colour}
        self.descriptions = {"fan": described(fan_colour, ("fan", "desk fan"), ("electric fan",)),
                             "pad": described(pad_colour, ("pad", "square pad"), ("mat",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        fan = self.actors["fan"]
        arm = self.nearest_arm(fan.get_pose().p)
        pick_and_place_heading(self, arm, "fan", self.target + (0.0, 0.0, PAD_SIZE[2]), yaws=(0.0,),
                               pre_distance=0.05, lift=0.05, pre_height=0.04, clearance=0.005)

    def evaluate(self) -> dict[str, bool]:
        fan = self.actors["fan"]
        out = {"facing_robot": quaternion_near(fan, UPRIGHT_FACING_ROBOT, QUAT_TOLERANCE),
               "at_target": bool(np.all(np.abs(fan.get_pose().p - self.target) < POSITION_TOLERANCE)),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
