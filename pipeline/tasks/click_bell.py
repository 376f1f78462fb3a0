"""click_bell (RoboTwin 2.0): press the bell's button with the closed gripper of the nearer arm.

A click leaves no trace in the world state, so, as in RoboTwin, success is an event: a
`ContactWatch` records every robot contact on the button's top during the episode; the bell
must also still stand upright at the end (pressed, not knocked over).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Task
from pipeline.tasks.contact_watch import ContactWatch, local_point
from pipeline.tasks.reach import move_near

BUTTON_RADIUS_M = 0.014
"""Contacts within this distance of the button's axis (bell frame) count as clicks."""
BUTTON_DEPTH_M = 0.006
"""... and no lower than this below the button's top."""
PRESS_DEPTH_M = 0.004
"""How far the TCP target goes below the button's top (the drive stops on contact)."""
HOVER_M = 0.06
TILT_TOLERANCE = np.deg2rad(15.0)


@register_task
class ClickBell(Task):
    name = "click_bell"
    seen_templates = (
        "Click the {bell} bell.",
        "Press the button on top of the {bell} bell.",
        "Ring the bell by pressing its button with the gripper.",
    )
    unseen_templates = (
        "Tap the top of the {bell} desk bell once.",
        "Push down on the bell's button to make it ring.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        colour = random_color_name(rng, exclude=("black",))
        bell = make_asset("bell", rng, name="bell", color=rgba(colour))
        side = 1.0 if rng.random() < 0.5 else -1.0
        xy = np.array([side * rng.uniform(0.05, 0.28), rng.uniform(-0.12, 0.08)])
        yaw = rng.uniform(-np.pi, np.pi)
        self.add_object("bell", bell, yaw_pose([*xy, self.table_z + 1e-3], yaw), footprint=0.08)
        self.roles = {"pressed": "bell"}
        self.instruction_fields = {"bell": colour}
        robot_links = [link.entity for arm in self.env.robot.arms.values() for link in arm.articulation.get_links()]
        self.clicks = ContactWatch(scene, robot_links, [self.actors["bell"]], where=self._on_button)
        self.env.step_hooks.append(self.clicks)
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def _on_button(self, world_point: np.ndarray) -> bool:
        local = local_point(self.actors["bell"], world_point)
        top = self.assets["bell"].functional_points["button"][2, 3]
        return bool(np.linalg.norm(local[:2]) < BUTTON_RADIUS_M and local[2] > top - BUTTON_DEPTH_M)

    def play_once(self) -> None:
        bell = self.actors["bell"]
        arm = self.nearest_arm(bell.get_pose().p)
        button = (entity_matrix(bell) @ self.assets["bell"].functional_points["button"])[:3, 3]
        down = self.env.robot[arm].home_tcp_pose().q  # fingers pointing straight down
        hover = sapien.Pose(button + np.array([0.0, 0.0, HOVER_M]), down)
        press = sapien.Pose(button - np.array([0.0, 0.0, PRESS_DEPTH_M]), down)
        self.expert.close_gripper(arm)
        for pose in (hover, press, hover):  # joint-space hops to the nearest posture: no joint-limit traps
            move_near(self.expert, arm, pose)
        self.expert.home([arm])

    def check_success(self) -> bool:
        upright = entity_matrix(self.actors["bell"])[2, 2] > np.cos(TILT_TOLERANCE)
        return bool(self.clicks.happened and upright)
