"""click_alarmclock (RoboTwin 2.0): click the alarm clock's top button with the closed gripper of the arm
on its side.

Layout as RoboTwin: a static alarm clock at x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.2, 0], heading
(of its x axis, along its width) 90 deg + U(+-180 deg); the arm on its side (left for x < 0) clicks.
A click leaves no trace in the world state, so, as in RoboTwin (`stage_success_tag`), success is
latched: a `ContactWatch` looks at every physics step for a contact of a gripper (fingers or hand)
with the clock within 0.03 m in world x, y and z of the top button while the side arm's gripper is
closed (command < 0.2). Step limit 400.

The expert (`pipeline.tasks.pressing`) closes the gripper, hovers over the button, fingers straight
down, presses and rises to the hover again, where the demonstration ends (RoboTwin: 0.1 above its
button frame, down 0.065 and up 0.065 with the fingers forced straight down).
Intentional differences: the clock is procedural (`alarm_clock`: box or round case, one or two buttons;
RoboTwin: models 1 and 3 of `046_alarm-clock`) and the button is its functional "button", the top of
the alarm button (RoboTwin: its model's grasp frame 0, not published); the case has a palette colour
(not white, the dial's), which the instructions name; our hover is 0.06 above the button's top, as
click_bell's.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, described, footprint_radius
from pipeline.tasks.placing import off_centre_xy, yaw_quat
from pipeline.tasks.pressing import CLUTTER_PADDING_M, PressTask

BUTTON_M = 0.03
"""RoboTwin: a gripper contact within 0.03 in x, y and z of the button frame is a click."""


@register_task
class ClickAlarmclock(PressTask):
    name = "click_alarmclock"
    step_limit = 400
    pressed, press_xy_m, press_z_m = "alarm_clock", BUTTON_M, BUTTON_M
    phrasing = Phrasing(
        frames=("{verb} {clock} {place}.", "{verb} the button on top of {clock} {place}.",
                "{verb} the alarm button of {clock} {place}.", "Use one arm to {verb} the top of {clock} {place}.",
                "Reach over and {verb} {clock} with a closed gripper {place}."),
        verbs=("click", "press", "push", "tap", "hit"),
        places=("", "once", "from above"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        xy = off_centre_xy(rng, (-0.25, 0.25), (-0.2, 0.0), min_abs_x=0.05)
        yaw = np.pi / 2 + rng.uniform(-np.pi, np.pi)
        colour = random_color_name(rng, exclude=("white",))
        clock = make_asset("alarm_clock", rng, name="alarm_clock", color=rgba(colour))
        self.add_object("alarm_clock", clock, sapien.Pose([*xy, self.table_z], yaw_quat(yaw)), static=True,
                        footprint=footprint_radius(clock) + CLUTTER_PADDING_M)
        self.instruction_fields = {"clock": colour}
        self.descriptions = {"clock": described(colour, ("alarm clock", "clock"), ("desk clock", "bedside clock"))}
        self.watch_presses(scene, xy)
        if setting == "hard":
            self.add_distractors(rng)
