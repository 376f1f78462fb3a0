"""place_object_scale (RoboTwin 2.0): put the object on the electronic scale.

Layout as RoboTwin: the object (a mouse or a stapler, uniform) at x in [-0.25, 0.25] with
|x| >= 0.02, y in [-0.2, 0.05], heading 90 deg + U(+-180 deg); the scale (dynamic, 0.05 kg) on the
object's side at |x| in [0.02, 0.25], y in [-0.2, 0.05], heading 90 deg + U(+-180 deg), at least
0.15 from the object. The arm on the object's side grasps it (pre-grasp 0.1), lifts it 0.15, carries
it over the platform keeping its heading (RoboTwin's `free` constraint), lowers it from 0.05 above
and releases it 0.005 above the platform.

Success (RoboTwin): the object origin within 0.035 (horizontally) of the platform centre (the
scale's functional "top", RoboTwin's fp0), object z > platform z - 0.01, and the gripper of the arm
that did the task open (RoboTwin reads that arm from the expert's run; so does ours). Step limit 400.
Intentional differences: RoboTwin also draws a bell; ours has no grasp annotation, so the pool is
mouse and stapler. The electronic scale is procedural (square or round platform; RoboTwin: 4 models).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.placing import heading, off_centre_xy, pick_and_place_heading, spot_beside, yaw_quat

OBJECTS = {"mouse": (("mouse", "computer mouse"), ("wireless mouse",)),
           "stapler": (("stapler", "desk stapler"), ("paper stapler",))}
XY_TOLERANCE, Z_MARGIN = 0.035, 0.01


@register_task
class PlaceObjectScale(Task):
    name = "place_object_scale"
    phrasing = Phrasing(
        frames=("{verb} {object} {place} {scale}.", "Pick up {object} and {verb} it {place} {scale}.",
                "Grab {object}, then {verb} it {place} {scale}.", "{verb} {object} {place} {scale} to weigh it.",
                "Use one arm to {verb} {object} {place} {scale}."),
        verbs=("place", "put", "set", "move", "lay"),
        places=("on", "onto", "on top of"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        kinds = sorted(OBJECTS)
        kind = kinds[int(rng.integers(len(kinds)))]
        object_xy = off_centre_xy(rng, (-0.25, 0.25), (-0.2, 0.05), min_abs_x=0.02)
        scale_xy = spot_beside(rng, object_xy, x_range=(0.02, 0.25), y_range=(-0.2, 0.05), min_distance=0.15)
        colour = random_color_name(rng, exclude=("black", "gray"))
        scale = make_asset("electronic_scale", rng, name="scale")
        self.add_object("scale", scale, sapien.Pose([*scale_xy, self.table_z + 1e-3],
                                                    yaw_quat(np.pi / 2 + rng.uniform(-np.pi, np.pi))))
        item = make_asset(kind, rng, name="object", color=rgba(colour))
        self.add_object("object", item, sapien.Pose([*object_xy, self.table_z + 1e-3],
                                                    yaw_quat(np.pi / 2 + rng.uniform(-np.pi, np.pi))))
        self.arm = self.nearest_arm(object_xy)
        """The arm whose gripper the check reads (RoboTwin: the arm chosen by the expert)."""
        self.roles = {"target": "object", "support": "scale"}
        self.instruction_fields = {"object": f"{colour} {kind}", "scale": "scale"}
        self.descriptions = {"object": described(colour, *OBJECTS[kind]),
                             "scale": (("the scale", "the electronic scale"), ("the weighing scale",))}
        if setting == "hard":
            self.add_distractors(rng)

    def _platform(self) -> np.ndarray:
        """World position of the scale's platform centre (RoboTwin's fp0)."""
        return (entity_matrix(self.actors["scale"]) @ self.assets["scale"].functional_points["top"])[:3, 3]

    def play_once(self) -> None:
        item = self.actors["object"]
        pick_and_place_heading(self, self.arm, "object", self._platform(), yaws=(heading(item),), pre_distance=0.1,
                               lift=0.15, pre_height=0.05, clearance=0.005)

    def evaluate(self) -> dict[str, bool]:
        position, platform = self.actors["object"].get_pose().p, self._platform()
        out = {"on_platform_xy": bool(np.linalg.norm(position[:2] - platform[:2]) < XY_TOLERANCE),
               "on_platform_z": bool(position[2] > platform[2] - Z_MARGIN),
               "gripper_open": self.gripper_open(self.arm)}
        out["success"] = all(out.values())
        return out
