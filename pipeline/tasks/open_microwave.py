"""open_microwave (RoboTwin 2.0): pull a microwave's door open by its handle (articulated, one arm: the left).

Layout as RoboTwin: the microwave's root is fixed at x in [-0.12, -0.02], y in [0.15, 0.2], heading 90 deg
(RoboTwin's quaternion [0.707, 0, 0, 0.707]) without noise, its front (door) towards the robot; the door
starts shut. In the hard setting clutter keeps off the microwave and out of RoboTwin's extra keep-out
rectangle [-0.25, -0.25, 0.25, 0.1] (where the arm swings the door), covered by reserved discs (`KEEP_OUT`):
they overreach its edges by up to 2 cm and leave its four corners uncovered within 1 mm.
Success (RoboTwin): the door's joint at >= 0.6 x its upper limit ("open"; the factor multiplies the upper
limit, not the range); `evaluate` also names "moved" (the door off its shut position by `MOVED_RAD`), which
success does not need. Step limit 1500.

The expert follows RoboTwin's: the left arm grasps the door's handle (pre-grasp 0.08 m back along the
approach, reached in joint space at the posture nearest home: `reach.grasp_near`), then, up to 50 times,
moves its TCP to the handle grasp as it would be with the door turned `STEP_RAD` further about the hinge
from where it is now (the door follows the closed hand), stopping when the door moved <= 0.001 rad in a
step, a step has no path, or the door is at >= 0.7 x the upper limit.
If the door is still short of that, RoboTwin re-grasps at another frame of its model; ours lets go, backs
off and re-grasps the handle where the door now is (pre-grasp 0.02 m after a 0.08 m one, as RoboTwin's
second grasp) and pulls on for up to 30 more steps with the same stop rules. The demonstration ends holding
the handle, as RoboTwin's. RoboTwin's grasp frames on its models are not published; ours (`handle_grasps`)
close round the vertical bar 2.5 cm above its middle, coming from the front and 70 deg from above: a head-on
grasp at the bar's middle folds the arm against its own base as the handle swings towards the robot, and
its wrist reaches a joint limit before RoboTwin's threshold.

Intentional differences: the microwave is procedural (`microwave`: a compact box cabinet 26-30 cm wide, door
hinged on its left, bar handle on the door's free edge, door limits [0, 1.6] rad; RoboTwin: 2 URDF models of
`044_microwave`): with a wider door the handle swings to within 0.3 m of the left arm's base;
it stands on the table (RoboTwin's root height 0.8 is inside its models); its hinge is damped so the door
stays where it is pulled (RoboTwin sets damping and stiffness 0 and the door's mass to 0.01).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.assets.kinds.microwave import handle_grasps
from pipeline.sim.poses import matrix_to_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.sim.robot import PlanningError
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.open_laptop import rotation_x
from pipeline.tasks.placing import yaw_quat
from pipeline.tasks.reach import grasp_near

X_RANGE, Y_RANGE = (-0.12, -0.02), (0.15, 0.2)
HEADING_RAD = 2 * np.arctan2(0.707, 0.707)
"""RoboTwin's quaternion [0.707, 0, 0, 0.707]: 90 deg, the front (object -x) towards the robot."""
OPEN_FACTOR = 0.6
"""RoboTwin: open when the door's joint is at >= 0.6 x its upper limit."""
STOP_FACTOR = 0.7
"""RoboTwin's expert stops pulling once `check_success(target=0.7)` holds."""
MOVED_RAD = 0.05
"""`evaluate`'s "moved": the door has left its shut position by this much (informative; not part of success)."""
STEP_RAD = 0.12
"""How far beyond the door's current angle each pull step aims (RoboTwin: its model's frame 4 on the door)."""
STALL_RAD = 0.001
"""RoboTwin: a pull step that moved the door by no more than this ends the pulling."""
PULL_STEPS, REGRASP_STEPS = 50, 30
"""RoboTwin's step counts before and after the re-grasp."""
PRE_GRASP_M, REGRASP_PRE_M = 0.08, 0.02
KEEP_OUT = tuple(((x, y), 0.07) for x in np.linspace(-0.2, 0.2, 5) for y in np.linspace(-0.2, 0.05, 4))
"""Discs covering RoboTwin's extra clutter keep-out rectangle [-0.25, -0.25, 0.25, 0.1]."""


@register_task
class OpenMicrowave(Task):
    name = "open_microwave"
    step_limit = 1500
    arms = ("left",)
    phrasing = Phrasing(
        frames=("{verb} {microwave} {place}.", "{verb} the door of {microwave} {place}.",
                "Use the left arm to {verb} {microwave} {place}.", "Grab the handle and {verb} {microwave} {place}.",
                "Reach for {microwave} and {verb} its door {place}."),
        verbs=("open", "pull open", "swing open", "unlatch and open", "draw open", "get open"),
        places=("", "by its handle", "wide"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        xy = np.array([rng.uniform(*X_RANGE), rng.uniform(*Y_RANGE)])
        colour = random_color_name(rng, exclude=("black",))
        microwave = make_asset("microwave", rng, name="microwave", color=rgba(colour))
        self.microwave = self.add_articulation("microwave", microwave,
                                               sapien.Pose([*xy, self.table_z], yaw_quat(HEADING_RAD)), fix_base=True)
        self.roles = {"pressed": "microwave_door"}
        self.instruction_fields = {"microwave": colour}
        self.descriptions = {"microwave": described(colour, ("microwave", "microwave oven", "countertop microwave"),
                                                    ("microwave cooker", "kitchen microwave"))}
        self.upper = float(self.microwave.get_active_joints()[0].get_limits()[0][1])
        self.arm = "left"  # RoboTwin: always the left arm
        if setting == "hard":
            self.add_distractors(rng, keep_out=KEEP_OUT)

    def angle(self) -> float:
        return float(self.microwave.get_qpos()[0])

    def opened(self, factor: float) -> bool:
        """RoboTwin's `check_success(target)`: the door's joint at >= `factor` x its upper limit."""
        return self.angle() >= factor * self.upper

    def grasp_tcp(self, grasp: np.ndarray, turn: float) -> sapien.Pose:
        """World TCP pose of the door-frame `grasp` with the door turned `turn` rad further open than now."""
        return matrix_to_pose(entity_matrix(self.actors["microwave_door"]) @ rotation_x(turn) @ grasp)

    def pull(self, grasp: np.ndarray, steps: int) -> None:
        """RoboTwin's pulling loop: up to `steps` moves each aiming `STEP_RAD` beyond the door's angle."""
        for _ in range(steps):
            before = self.angle()
            try:
                self.expert.move_to({self.arm: self.grasp_tcp(grasp, STEP_RAD)}, straight=True)
            except PlanningError:
                return
            if self.angle() - before <= STALL_RAD or self.opened(STOP_FACTOR):
                return

    def play_once(self) -> None:
        arm, door = self.arm, self.actors["microwave_door"]
        grasp = self.expert.choose_grasp(arm, door, handle_grasps(self.assets["microwave_door"]))
        grasp_near(self.expert, arm, door, grasp, PRE_GRASP_M, 0.0)
        self.pull(grasp, PULL_STEPS)
        if self.opened(STOP_FACTOR):
            return
        self.expert.open_gripper(arm)  # RoboTwin's second way: let go, back off, grasp again where the door is
        self.expert.move_by(arm, self.grasp_tcp(grasp, 0.0).to_transformation_matrix()[:3, 2] * -PRE_GRASP_M)
        grasp_near(self.expert, arm, door, grasp, REGRASP_PRE_M, 0.0)
        self.pull(grasp, REGRASP_STEPS)

    def evaluate(self) -> dict[str, bool]:
        out = {"moved": self.angle() >= MOVED_RAD, "open": self.opened(OPEN_FACTOR)}
        out["success"] = out["open"]  # RoboTwin's check: the joint alone
        return out
