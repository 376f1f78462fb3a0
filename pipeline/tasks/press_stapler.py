"""press_stapler (RoboTwin 2.0): press the stapler down with the gripper of the arm on its side.

Layout as RoboTwin: a static stapler at x in [-0.2, 0.2] (no |x| exclusion), y in [-0.1, 0.05], heading
(of its x axis, across its width) 90 deg + U(+-180 deg); the arm on its side (left for x < 0) presses.
A press leaves no trace in the world state, so, as in RoboTwin (`stage_success_tag`), success is
latched: a `ContactWatch` looks at every physics step for a contact of a gripper (fingers or hand)
with the stapler within 0.03 m in world x and y and 0.03 m in z of the press point. As RoboTwin's,
the check has no gripper condition. Step limit 400.

The expert (`pipeline.tasks.pressing`) closes the gripper, hovers over the press point, fingers straight
down, and presses; as RoboTwin's (0.1 above its press frame, then 0.02 from it), the demonstration ends
there, pressing: no rise.
Intentional differences: the stapler is one of three procedural shapes (RoboTwin: 7 mesh models) and
the press point is its functional "press", on the arm's sloping top towards the mouth (RoboTwin: its
model's contact point 2, not published); RoboTwin's expert reaches the hover through its grasp
frame's orientation, ours with the fingers straight down at the home wrist roll (a closed gripper
presses the same whatever its roll), from 0.06 above the press point as click_bell's (RoboTwin: 0.1).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, described, footprint_radius
from pipeline.tasks.placing import off_centre_xy, yaw_quat
from pipeline.tasks.pressing import CLUTTER_PADDING_M, PressTask

PRESS_M = 0.03
"""RoboTwin: a gripper contact within 0.03 in x, y and z of the press point is a press."""


@register_task
class PressStapler(PressTask):
    name = "press_stapler"
    step_limit = 400
    pressed, press_point, press_xy_m, press_z_m = "stapler", "press", PRESS_M, PRESS_M
    needs_closed_gripper = False  # RoboTwin's check has no gripper condition
    back_up = False  # RoboTwin's expert ends pressing
    event = "pressed"
    phrasing = Phrasing(
        frames=("{verb} {stapler} {place}.", "{verb} the top of {stapler} {place}.",
                "Use one arm to {verb} {stapler} {place}.", "Move a gripper over {stapler} and {verb} it {place}.",
                "{verb} {stapler} with a closed gripper {place}."),
        verbs=("press", "push", "press down", "push down", "squeeze"),
        places=("", "once", "firmly"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        xy = off_centre_xy(rng, (-0.2, 0.2), (-0.1, 0.05), min_abs_x=0.0)
        yaw = np.pi / 2 + rng.uniform(-np.pi, np.pi)
        colour = random_color_name(rng, exclude=("black", "gray"))
        stapler = make_asset("stapler", rng, name="stapler", color=rgba(colour))
        self.add_object("stapler", stapler, sapien.Pose([*xy, self.table_z], yaw_quat(yaw)), static=True,
                        footprint=footprint_radius(stapler) + CLUTTER_PADDING_M)
        self.instruction_fields = {"stapler": colour}
        self.descriptions = {"stapler": described(colour, ("stapler", "desk stapler"), ("paper stapler",))}
        self.watch_presses(scene, xy)
        if setting == "hard":
            self.add_distractors(rng)
