"""place_mouse_pad (RoboTwin 2.0): put the mouse on the coloured mouse pad, lengthwise along it.

Layout as RoboTwin: the mouse at x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.2, 0], heading
(of its x axis, across the buttons) 90 deg + U(+-180 deg) on the first draw and 90 deg + U(+-45 deg)
on redraws (RoboTwin's code is inconsistent there; kept). The static pad, 0.07 x 0.13 x 0.001 m with
its long side along y and a colour from RoboTwin's 8-colour list, on the mouse's side at
|x| in [0.05, 0.25], y in [-0.2, 0], at least 0.1 from the mouse. The arm on the mouse's side
grasps it (pre-grasp 0.1), lifts it 0.1, turns it and sets it on the pad centre (from 0.07 above,
released 0.005 above), opens.

Success (RoboTwin): mouse origin within 0.015 in x and 0.012 in y of the pad centre; its mesh
quaternion q = [w, x, y, z] has ||y z| - 0.49| < 0.015 or ||w x| - 0.49| < 0.015 (upright, its
x axis along world +-x within 25.8 deg: the mouse lengthwise along the pad); both grippers open.
Step limit 400.
Intentional differences: RoboTwin's expert always turns the mouse's x axis to world -x; ours
turns it to whichever of +-x is nearer (the check accepts both), which keeps the Panda's wrist
roll within its limits. The mouse is one of three procedural shapes (RoboTwin: 3 mesh models).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.placing import (COLOURS_8, draw_colour, mesh_quaternion, pick_and_place_heading, spot_beside,
                                    yaw_quat)

PAD_SIZE = (0.07, 0.13, 0.001)
X_TOLERANCE, Y_TOLERANCE = 0.015, 0.012
QUAT_PRODUCT, QUAT_TOLERANCE = 0.49, 0.015


@register_task
class PlaceMousePad(Task):
    name = "place_mouse_pad"
    phrasing = Phrasing(
        frames=("{verb} {mouse} {place} {pad}.", "Pick up {mouse} and {verb} it {place} {pad}.",
                "{verb} {mouse} {place} {pad}, lengthwise.", "Grab {mouse}, then {verb} it {place} {pad}.",
                "Use one arm to {verb} {mouse} {place} {pad}."),
        verbs=("place", "put", "set", "move", "lay"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        yaw_limit = np.pi
        while True:
            mouse_xy = np.array([rng.uniform(-0.25, 0.25), rng.uniform(-0.2, 0.0)])
            mouse_yaw = np.pi / 2 + rng.uniform(-yaw_limit, yaw_limit)
            if abs(mouse_xy[0]) >= 0.05:
                break
            yaw_limit = np.pi / 4
        pad_xy = spot_beside(rng, mouse_xy)
        pad_colour, pad_rgba = draw_colour(rng, COLOURS_8)
        pad = make_asset("rect_pad", rng, name="mouse_pad", size_x=PAD_SIZE[0], size_y=PAD_SIZE[1],
                         thickness=PAD_SIZE[2], color=pad_rgba)
        self.add_object("mouse_pad", pad, sapien.Pose([*pad_xy, self.table_z]), static=True)
        mouse_colour = random_color_name(rng, exclude=("gray",))
        mouse = make_asset("mouse", rng, name="mouse", color=rgba(mouse_colour))
        self.add_object("mouse", mouse, sapien.Pose([*mouse_xy, self.table_z + 1e-3], yaw_quat(mouse_yaw)))
        self.roles = {"target": "mouse", "support": "mouse_pad"}
        self.instruction_fields = {"mouse": mouse_colour, "pad": pad_colour}
        self.descriptions = {"mouse": described(mouse_colour, ("mouse", "computer mouse"), ("wireless mouse",)),
                             "pad": described(pad_colour, ("mouse pad", "pad"), ("mousepad",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        mouse, pad = self.actors["mouse"], self.actors["mouse_pad"]
        arm = self.nearest_arm(mouse.get_pose().p)
        top = np.array(pad.get_pose().p) + (0.0, 0.0, PAD_SIZE[2])
        pick_and_place_heading(self, arm, "mouse", top, yaws=(0.0, np.pi), pre_distance=0.1, lift=0.1,
                               pre_height=0.07, clearance=0.005)

    def evaluate(self) -> dict[str, bool]:
        mouse, pad = self.actors["mouse"], self.actors["mouse_pad"]
        offset = np.abs(mouse.get_pose().p[:2] - pad.get_pose().p[:2])
        w, x, y, z = mesh_quaternion(mouse)
        out = {"on_pad": bool(offset[0] < X_TOLERANCE and offset[1] < Y_TOLERANCE),
               "aligned": bool(abs(abs(y * z) - QUAT_PRODUCT) < QUAT_TOLERANCE
                               or abs(abs(w * x) - QUAT_PRODUCT) < QUAT_TOLERANCE),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
