"""place_shoe: pick a shoe and place it on the shoe mat, heel-to-toe along the mat's direction."""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset
from pipeline.sim.primitives import support_target
from pipeline.tasks import register_task
from pipeline.tasks.base import Task

YAW_TOLERANCE = np.deg2rad(20.0)
Z_TOLERANCE = 0.015


def _yaw_quat(yaw: float) -> list[float]:
    return [float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2))]


def _heading(entity: sapien.Entity) -> float:
    x_axis = entity.get_pose().to_transformation_matrix()[:3, 0]
    return float(np.arctan2(x_axis[1], x_axis[0]))


@register_task
class PlaceShoe(Task):
    name = "place_shoe"
    seen_templates = (
        "Place the shoe on the mat with the toe pointing the way the mat points.",
        "Put the shoe onto the {mat} mat, facing forward.",
        "Pick up the shoe and set it on the {mat} mat in the right orientation.",
    )
    unseen_templates = (
        "Move the shoe over to the {mat} mat and line it up with the mat.",
        "Set the shoe down on the mat, toe away from you.",
    )

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        mat = make_asset("shoe_mat", rng, name="shoe_mat")
        mat_xy = np.array([rng.uniform(-0.05, 0.05), rng.uniform(-0.02, 0.08)])
        mat_yaw = np.pi / 2 + rng.uniform(-0.3, 0.3)
        self.add_object("shoe_mat", mat, sapien.Pose([*mat_xy, self.table_z], _yaw_quat(mat_yaw)),
                        static=True, footprint=0.1)
        shoe = make_asset("shoe", rng, name="shoe")
        side = 1.0 if rng.random() < 0.5 else -1.0
        shoe_xy = np.array([side * rng.uniform(0.2, 0.3), rng.uniform(-0.1, 0.08)])
        shoe_yaw = np.pi / 2 + rng.uniform(-0.5, 0.5)
        self.add_object("shoe", shoe, sapien.Pose([*shoe_xy, self.table_z + 1e-3], _yaw_quat(shoe_yaw)),
                        footprint=0.08)
        self.roles = {"target": "shoe", "support": "shoe_mat"}
        self.instruction_fields = {"mat": "dark" if np.mean(mat.visuals[0].color[:3]) < 0.4 else "coloured"}
        if setting == "hard":
            self.add_distractors(rng, int(rng.integers(2, 5)))

    def play_once(self) -> None:
        shoe, mat = self.actors["shoe"], self.actors["shoe_mat"]
        arm = self.nearest_arm(shoe.get_pose().p)
        turn = float(np.angle(np.exp(1j * (_heading(mat) - _heading(shoe)))))
        asset = self.assets["shoe"]
        self.expert.grasp(arm, shoe, self.expert.choose_grasp(arm, shoe, asset.grasps, turn=turn))
        target = support_target(mat, self.assets["shoe_mat"].functional_points["top"])
        target[2, 3] += 0.004
        self.expert.place(arm, shoe, asset.functional_points["bottom"], target, align_orientation=True)
        self.expert.home([arm])

    def check_success(self) -> bool:
        shoe, mat = self.actors["shoe"], self.actors["shoe_mat"]
        local = np.linalg.inv(mat.get_pose().to_transformation_matrix()) @ np.append(shoe.get_pose().p, 1.0)
        half = (self.assets["shoe_mat"].bounds[1] - self.assets["shoe_mat"].bounds[0]) / 2
        inside = abs(local[0]) < half[0] - 0.02 and abs(local[1]) < half[1] - 0.01
        yaw_error = abs(np.angle(np.exp(1j * (_heading(shoe) - _heading(mat)))))
        resting = abs(local[2] - self.assets["shoe_mat"].bounds[1, 2]) < Z_TOLERANCE
        return bool(inside and yaw_error < YAW_TOLERANCE and resting)
