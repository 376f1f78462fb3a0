"""turn_switch (RoboTwin 2.0): turn a rocker switch on by pushing it with a closed gripper (articulated, one arm).

Layout as RoboTwin: the switch's root is fixed, at x in [-0.25, 0.25], y in [0, 0.1], heading (of its x
axis) 90.5 deg (RoboTwin's quaternion [0.704141, 0, 0, 0.71006]) + U(+-45 deg), so its face (object -x)
looks towards the robot, turned by up to 45 deg. The arm is RoboTwin's: the right arm where the face's
world x is positive (the face turns to the right), else the left, whichever side the switch stands on.
In the hard setting clutter keeps out of RoboTwin's rectangle [-0.4, -0.2, 0.4, 0.2], covered by reserved
discs (`KEEP_OUT`): they overreach its edges by up to 2 cm (RoboTwin pads by 0.5 cm) and leave its four
corners uncovered within 1.3 cm.
Success (RoboTwin): the switch's joint at >= its upper limit - 0.05 rad ("switched_on"); `evaluate` also
names "moved" (off its lower limit by 0.05 rad), which success does not need. Step limit 400.

The expert is RoboTwin's: close the gripper fully, come to 0.04 m before the push point (RoboTwin's
`grasp_actor(..., pre_grasp_dis=0.04)`) and push straight through it; the demonstration ends there,
pushing. The push point is the top of the rocker's raised front end (`rocker_push`). RoboTwin's grasp
frame on its switch models is not published, so ours is chosen: the fingers come from the face's side
(the side whose arm RoboTwin picks), tilted `PUSH_TILT_RAD` from the vertical, side by side along the
hinge (the closed hand is 2 cm thick and 5.4 cm wide: across the rocker its tilted face would dip onto the
housing), and the push ends where the fingertips (`FINGERTIP_M` past the TCP) meet the rocker's top turned
fully on (its upper limit), `PUSH_DEPTH_M` beyond.

Intentional differences: the switch is a procedural rocker switch (`switch`: box-shaped or tapered
housing, rocker on a damped hinge of +-0.3 rad; RoboTwin: 8 mesh models of `056_switch`). RoboTwin draws
its root's height z in [0.81, 0.84], 7-10 cm above its table top (0.74): we take that root to lie inside
its models, which stand on the table (a root at the bottom would leave every switch floating), so ours
stands on the table with its rocker's hinge z - 0.74 above it and the pushed point's height varies
over RoboTwin's 3 cm.
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import matrix_to_pose, pose_to_matrix
from pipeline.sim.primitives import entity_matrix
from pipeline.sim.robot import PlanningError
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.placing import yaw_quat
from pipeline.tasks.reach import move_near

X_RANGE, Y_RANGE = (-0.25, 0.25), (0.0, 0.1)
Z_RANGE, ROBOTWIN_TABLE_Z = (0.81, 0.84), 0.74
"""RoboTwin's root height range and its table top: our rocker hinge sits z - 0.74 above the table."""
HEADING_RAD = 2 * np.arctan2(0.71006, 0.704141)
HEADING_NOISE_RAD = np.pi / 4
ON_MARGIN_RAD = 0.05
"""RoboTwin: the switch is on when its joint is within 0.05 rad of the upper limit."""
MOVED_RAD = 0.05
"""`evaluate`'s "moved": the rocker has left its off limit by this much (informative; not part of success)."""
PRE_PUSH_M = 0.04
"""RoboTwin's `pre_grasp_dis`."""
PUSH_TILT_RAD = np.deg2rad(30.0)
"""The push comes from the face's side: down and towards the switch's back, this far from the vertical."""
PUSH_DEPTH_M = 0.004
"""How far the fingertips go past the fully-on rocker top along the push (the rocker stops at its limit)."""
FINGERTIP_M = 0.009
"""The closed fingertips reach this far past the TCP along the approach (the Panda finger collision meshes)."""
KEEP_OUT = tuple(((x, y), 0.1) for x in np.linspace(-0.32, 0.32, 7) for y in (-0.12, 0.0, 0.12))
"""Discs covering RoboTwin's clutter keep-out rectangle [-0.4, -0.2, 0.4, 0.2]."""


@register_task
class TurnSwitch(Task):
    name = "turn_switch"
    step_limit = 400
    phrasing = Phrasing(
        frames=("{verb} {switch} {place}.", "{verb} the rocker of {switch} {place}.",
                "Use one arm to {verb} {switch} {place}.", "Reach out and {verb} {switch} {place}.",
                "{verb} {switch} with a closed gripper {place}."),
        verbs=("turn on", "switch on", "flip", "toggle", "press", "click"),
        places=("", "now", "by pushing its raised end down"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        xy = np.array([rng.uniform(*X_RANGE), rng.uniform(*Y_RANGE)])
        pivot_height = rng.uniform(*Z_RANGE) - ROBOTWIN_TABLE_Z
        yaw = HEADING_RAD + rng.uniform(-HEADING_NOISE_RAD, HEADING_NOISE_RAD)
        colour = random_color_name(rng)
        rocker = random_color_name(rng, exclude=(colour,))
        switch = make_asset("switch", rng, name="switch", pivot_height=pivot_height, color=rgba(colour),
                            rocker_color=rgba(rocker))
        self.switch = self.add_articulation("switch", switch, sapien.Pose([*xy, self.table_z], yaw_quat(yaw)),
                                            fix_base=True)
        self.roles = {"pressed": "switch_rocker"}
        self.instruction_fields = {"switch": colour}
        self.descriptions = {"switch": described(colour, ("switch", "rocker switch", "toggle switch"),
                                                 ("light switch", "power switch"))}
        low, high = self.switch.get_active_joints()[0].get_limits()[0]
        self.limits = (float(low), float(high))
        face = -entity_matrix(self.actors["switch_base"])[:3, 0]
        self.arm = "right" if face[0] > 0 else "left"  # RoboTwin's rule
        if setting == "hard":
            self.add_distractors(rng, keep_out=KEEP_OUT)

    def angle(self) -> float:
        return float(self.switch.get_qpos()[0])

    def push_line(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(start, direction, length) in the world: the push from the rocker's push point as it is now,
        down and towards the switch's back, to `PUSH_DEPTH_M` past the rocker's top at its upper limit."""
        base = entity_matrix(self.actors["switch_base"])
        hinge = self.assets["switch_rocker"].hinge
        point = np.append(hinge.contact_points["rocker_push"], 1.0)
        start = (entity_matrix(self.actors["switch_rocker"]) @ point)[:3]
        direction = base[:3, :3] @ np.array([np.sin(PUSH_TILT_RAD), 0.0, -np.cos(PUSH_TILT_RAD)])
        on = base @ hinge.child_pose(self.limits[1])
        normal, on_point = on[:3, 2], (on @ point)[:3]
        length = float(normal @ (on_point - start) / (normal @ direction)) + PUSH_DEPTH_M
        return start, direction, length

    def push_tcp(self, position: np.ndarray, direction: np.ndarray, opening: np.ndarray) -> sapien.Pose:
        """TCP pose at `position` approaching along `direction` with the fingers' opening axis along `opening`."""
        tcp = np.eye(4)
        tcp[:3, 2] = direction
        tcp[:3, 1] = opening - direction * (opening @ direction)
        tcp[:3, 1] /= np.linalg.norm(tcp[:3, 1])
        tcp[:3, 0] = np.cross(tcp[:3, 1], tcp[:3, 2])
        tcp[:3, 3] = position
        return matrix_to_pose(tcp)

    def play_once(self) -> None:
        arm = self.arm
        start, direction, length = self.push_line()
        base = entity_matrix(self.actors["switch_base"])
        home_opening = pose_to_matrix(self.env.robot[arm].home_tcp_pose())[:3, 1]
        # fingers side by side along the hinge: the closed hand is 2 cm thick across its opening axis and
        # 5.4 cm wide along it, so this way its face stays level across the rocker and clears the housing
        hinge_axis = base[:3, 1] if base[:3, 1] @ home_opening >= 0 else -base[:3, 1]
        self.expert.close_gripper(arm)
        for opening in (hinge_axis, -hinge_axis):  # the wrist roll nearest home first
            try:
                move_near(self.expert, arm, self.push_tcp(start - PRE_PUSH_M * direction, direction, opening))
                break
            except PlanningError:
                continue
        else:
            raise PlanningError(f"{arm} arm: no posture reaches the switch's pre-push pose at {np.round(start, 3)}")
        tcp = pose_to_matrix(self.env.robot[arm].tcp_pose())
        end = start + (length - FINGERTIP_M) * direction
        self.expert.move_to({arm: self.push_tcp(end, direction, tcp[:3, 1])}, straight=True)

    def evaluate(self) -> dict[str, bool]:
        low, high = self.limits
        angle = self.angle()
        out = {"moved": angle >= low + MOVED_RAD, "switched_on": angle >= high - ON_MARGIN_RAD}
        out["success"] = out["switched_on"]  # RoboTwin's check: the joint alone
        return out
