"""click_bell (RoboTwin 2.0): press the bell's button with the closed gripper of the nearer arm.

Layout as RoboTwin: a static bell, x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.2, 0], fixed
heading. A click leaves no trace in the world state, so, as in RoboTwin (`stage_success_tag`),
success is latched: a `ContactWatch` looks at every physics step for a contact of a gripper
(fingers or hand) with the bell within 0.025 m (x, y) and 0.03 m (z) of the button's top while
the side arm's gripper is closed (command < 0.2).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.contact_watch import ContactWatch, local_point
from pipeline.tasks.reach import move_near

BUTTON_XY_M, BUTTON_Z_M = 0.025, 0.03
"""RoboTwin: a gripper contact within 0.025 in x and y and 0.03 in z of the button frame is a click."""
PRESS_DEPTH_M = 0.004
"""How far the TCP target goes below the button's top (the drive stops on contact)."""
HOVER_M = 0.06
"""Where the press starts and ends, above the button's top. As in RoboTwin the demonstration ends there
(no way home): a way home retraces the approach, so every state of it would be demonstrated twice, with
opposite next moves, and a policy at the hover could not tell which one it is in (measured: it rose)."""


@register_task
class ClickBell(Task):
    name = "click_bell"
    step_limit = 400
    expert_revision = 2  # 2: the episode ends at the hover after the press (1 went home afterwards)
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
        self.side_arm = self.nearest_arm(xy)
        self.roles = {"pressed": "bell"}
        self.instruction_fields = {"bell": colour}
        self.descriptions = {"bell": described(colour, ("bell", "desk bell"), ("service bell",))}
        grippers = [link.entity for arm in self.env.robot.arms.values()
                    for link in [arm.hand_link, *arm.finger_links]]
        self.clicks = ContactWatch(scene, grippers, [self.actors["bell"]], where=self._click)
        self.env.step_hooks.append(self.clicks)
        if setting == "hard":
            self.add_distractors(rng)

    def _on_button(self, world_point: np.ndarray) -> bool:
        button = self.assets["bell"].functional_points["button"][:3, 3]
        offset = np.abs(local_point(self.actors["bell"], world_point) - button)
        return bool(offset[0] < BUTTON_XY_M and offset[1] < BUTTON_XY_M and offset[2] < BUTTON_Z_M)

    def _click(self, world_point: np.ndarray) -> bool:
        return self.gripper_closed(self.side_arm) and self._on_button(world_point)

    def play_once(self) -> None:
        bell = self.actors["bell"]
        arm = self.side_arm
        button = (entity_matrix(bell) @ self.assets["bell"].functional_points["button"])[:3, 3]
        down = self.env.robot[arm].home_tcp_pose().q  # fingers pointing straight down
        hover = sapien.Pose(button + np.array([0.0, 0.0, HOVER_M]), down)
        press = sapien.Pose(button - np.array([0.0, 0.0, PRESS_DEPTH_M]), down)
        self.expert.close_gripper(arm)
        for pose in (hover, press, hover):  # joint-space hops to the nearest posture: no joint-limit traps
            move_near(self.expert, arm, pose)

    def evaluate(self) -> dict[str, bool]:
        out = {"clicked": self.clicks.happened, "gripper_closed": self.gripper_closed(self.side_arm)}
        out["success"] = out["clicked"]  # latched event (RoboTwin's stage_success_tag)
        return out
