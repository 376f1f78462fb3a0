"""click_bell (RoboTwin 2.0): press the bell's button with the closed gripper of the nearer arm.

Layout as RoboTwin: a static bell, x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.2, 0], fixed
heading. A click leaves no trace in the world state, so, as in RoboTwin (`stage_success_tag`),
success is latched: a `ContactWatch` looks at every physics step for a contact of a gripper
(fingers or hand) with the bell within 0.025 m (world x, y) and 0.03 m (z) of the button's top while
the side arm's gripper is closed (command < 0.2). The expert (`pipeline.tasks.pressing`) hovers,
presses and hovers again with the gripper closed.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, described
from pipeline.tasks.pressing import PressTask

BUTTON_XY_M, BUTTON_Z_M = 0.025, 0.03
"""RoboTwin: a gripper contact within 0.025 in x and y and 0.03 in z of the button frame is a click."""


@register_task
class ClickBell(PressTask):
    name = "click_bell"
    step_limit = 400
    expert_revision = 2  # 2: the episode ends at the hover after the press (1 went home afterwards)
    pressed, press_xy_m, press_z_m = "bell", BUTTON_XY_M, BUTTON_Z_M
    phrasing = Phrasing(
        frames=("{verb} {bell} {place}.", "{verb} the button on top of {bell} {place}.",
                "{verb} {bell} with a closed gripper {place}.", "Reach over and {verb} {bell} {place}.",
                "Use one arm to {verb} the top of {bell} {place}."),
        verbs=("click", "press", "tap", "push", "hit", "ring"),
        places=("", "once", "from above"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        colour = random_color_name(rng, exclude=("black",))
        bell = make_asset("bell", rng, name="bell", color=rgba(colour))
        side = 1.0 if rng.random() < 0.5 else -1.0
        xy = np.array([side * rng.uniform(0.05, 0.25), rng.uniform(-0.2, 0.0)])
        self.add_object("bell", bell, yaw_pose([*xy, self.table_z], np.pi / 2), static=True, footprint=0.08)
        self.instruction_fields = {"bell": colour}
        self.descriptions = {"bell": described(colour, ("bell", "desk bell"), ("service bell",))}
        self.watch_presses(scene, xy)
        if setting == "hard":
            self.add_distractors(rng)
