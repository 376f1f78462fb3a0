"""rotate_qrcode (RoboTwin 2.0): turn the payment sign so its QR code faces the robot.

Layout as RoboTwin: the sign upright at x in [-0.25, 0.25] with |x| >= 0.05, y in [-0.2, 0],
heading 180 deg + U(+-0.7 rad) (the code looks away from the robot). The arm on its side grasps it
(pre-grasp 0.05), lifts it 0.07, turns it and sets it down at (-0.2 if x < 0 else 0.2, -0.15) with
heading 0 (from 0.07 above, released 0.01 above the table), opens.

Success (RoboTwin): the sign's mesh quaternion (w >= 0) within 0.05 per component of
[0.707, 0.707, 0, 0] (upright, heading 0 within 8.1 deg: the code toward the robot), its origin
below the table top + 0.01 (standing on the table, not held up), both grippers open; no x/y
condition. Step limit 400.
The sign is procedural (upright or leaning panel, sizes and colours vary; RoboTwin: 4 models).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.placing import UPRIGHT_FACING_ROBOT, pick_and_place_heading, quaternion_near, yaw_quat

QUAT_TOLERANCE = 0.05
Z_MARGIN = 0.01
"""RoboTwin: sign z < 0.75 + bias, i.e. within 1 cm of the table top (0.74 + bias)."""


@register_task
class RotateQrcode(Task):
    name = "rotate_qrcode"
    phrasing = Phrasing(
        frames=("{verb} {sign} so its QR code faces {place}.", "Pick up {sign} and {verb} it so the code faces {place}.",
                "{verb} {sign} until the QR code points toward {place}.", "Grab {sign}, then {verb} it to face {place}.",
                "Use one arm to {verb} {sign} so that its code is toward {place}."),
        verbs=("rotate", "turn", "spin", "twist", "swivel"),
        places=("the robot", "you", "the front"))
    step_limit = 400

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        while True:
            xy = np.array([rng.uniform(-0.25, 0.25), rng.uniform(-0.2, 0.0)])
            if abs(xy[0]) >= 0.05:
                break
        yaw = np.pi + rng.uniform(-0.7, 0.7)
        colour = random_color_name(rng, exclude=("white", "black"))
        sign = make_asset("payment_sign", rng, name="sign", color=rgba(colour))
        self.add_object("sign", sign, sapien.Pose([*xy, self.table_z + 1e-3], yaw_quat(yaw)))
        self.spot = np.array([-0.2 if xy[0] < 0 else 0.2, -0.15])
        """Where RoboTwin's expert sets the sign down."""
        self.reserve(self.spot, 0.05)
        self.roles = {"target": "sign", "support": "table"}
        self.instruction_fields = {"sign": colour}
        self.descriptions = {"sign": described(colour, ("QR code sign", "payment sign", "QR code stand"),
                                               ("payment code board",))}
        if setting == "hard":
            self.add_distractors(rng)

    def play_once(self) -> None:
        sign = self.actors["sign"]
        arm = self.nearest_arm(sign.get_pose().p)
        pick_and_place_heading(self, arm, "sign", (*self.spot, self.table_z), yaws=(0.0,), pre_distance=0.05,
                               lift=0.07, pre_height=0.07, clearance=0.01)

    def evaluate(self) -> dict[str, bool]:
        sign = self.actors["sign"]
        out = {"facing_robot": quaternion_near(sign, UPRIGHT_FACING_ROBOT, QUAT_TOLERANCE),
               "on_table": bool(sign.get_pose().p[2] < self.table_z + Z_MARGIN),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
