"""move_can_pot (RoboTwin 2.0): the arm on the can's side moves the can next to the pot.

Layout as RoboTwin: the pot at (0, 0), heading 180 deg +- 22.5 deg (handles along world x); the
can upright, heading 90 deg +- 45 deg, at x in [-0.3, 0.3] with |x| >= 0.2, y in [0.05, 0.15], at
least 0.3 from the pot. The goal is the table spot 0.18 m beside the pot on the can's side (pot
x -+ 0.18, pot y). Expert as RoboTwin: grasp, move (y -0.1, z +0.1), set the can down upright on the
goal (pre-height 0.05), open. The can is taken from above (RoboTwin's sauce-can grasp frames are in
its asset files).

Success (RoboTwin): the can's outward x offset from the pot (pot x - can x on the left, can x - pot x
on the right) in (0, 0.2), |dy| < 0.035, the can upright (RoboTwin's Euler test on its y-up mesh
frame: roll within 15 deg of 90 deg, pitch within 15 deg of 0), the can's origin no higher than the
pot's spawn height + 0.001 (it stands on the table, not on the pot), both grippers open.
Differences: procedural pot (`pot`, rigid: RoboTwin's kitchen pot is a URDF whose lid joint plays no
part here) and can (`drink_can`, 3 shapes) instead of RoboTwin's scans.
"""
from __future__ import annotations

import numpy as np
import sapien
from scipy.spatial.transform import Rotation

from pipeline.assets import make_asset, random_color_name, rgba
from pipeline.sim.poses import yaw_pose
from pipeline.sim.primitives import entity_matrix
from pipeline.tasks import register_task
from pipeline.tasks.base import Phrasing, Task, described
from pipeline.tasks.reach import backed_off, choose_reachable_grasp, raised

BESIDE_M = 0.18
"""Goal offset of the can from the pot centre along world x, outwards on the can's side."""
OFFSET_RANGE_M = (0.0, 0.2)
DY_MAX_M = 0.035
TILT_MAX = np.deg2rad(15.0)
SPAWN_Z_SLACK_M = 0.001
PLACE_CLEARANCE_M = 0.003
"""The can is let go this high above the table."""
PRE_DISTANCE, CARRY, PRE_HEIGHT, RETREAT = 0.08, (0.0, -0.1, 0.1), 0.05, 0.05
MESH_FROM_OBJECT = Rotation.from_euler("x", 90, degrees=True)
"""RoboTwin's y-up mesh frame in our z-up object frame (+90 deg about x)."""
CAN_NOUNS = {"soda": ("soda can",), "tall": ("tall can",), "squat": ("sauce can", "short can")}


def robotwin_roll_pitch(entity: sapien.Entity) -> tuple[float, float]:
    """Roll and pitch (sxyz Euler, radians) RoboTwin reads off the y-up mesh frame of an object."""
    quat = entity.get_pose().q  # wxyz
    mesh = Rotation.from_quat([quat[1], quat[2], quat[3], quat[0]]) * MESH_FROM_OBJECT
    roll, pitch, _ = mesh.as_euler("xyz")
    return float(roll), float(pitch)


@register_task
class MoveCanPot(Task):
    name = "move_can_pot"
    step_limit = 400
    phrasing = Phrasing(
        frames=("{verb} {can} {place} {pot}.", "Pick up {can} and {verb} it {place} {pot}.",
                "Grab {can} and {verb} it on the table {place} {pot}.", "{verb} {can} so it stands {place} {pot}.",
                "Take {can} and {verb} it down {place} {pot}."),
        verbs=("move", "put", "place", "set", "bring"),
        places=("next to", "beside", "by", "close to"))

    def load_objects(self, scene: sapien.Scene, rng: np.random.Generator, setting: str) -> None:
        pot_colour = random_color_name(rng, exclude=("white", "gray", "black"))
        pot = make_asset("pot", rng, name="pot", color=rgba(pot_colour))
        self.pot_spawn_z = self.table_z + 1e-3
        self.add_object("pot", pot, yaw_pose([0.0, 0.0, self.pot_spawn_z], np.pi + rng.uniform(-np.pi / 8, np.pi / 8)),
                        footprint=0.15)
        while True:
            xy = np.array([rng.uniform(-0.3, 0.3), rng.uniform(0.05, 0.15)])
            if abs(xy[0]) >= 0.2 and np.linalg.norm(xy) >= 0.3:
                break
        can_colour = random_color_name(rng, exclude=(pot_colour,))
        style = sorted(CAN_NOUNS)[int(rng.integers(len(CAN_NOUNS)))]
        can = make_asset("drink_can", rng, name="can", style=style, color=rgba(can_colour))
        yaw = np.pi / 2 + rng.uniform(-np.pi / 4, np.pi / 4)
        self.add_object("can", can, yaw_pose([*xy, self.table_z + 1e-3], yaw), footprint=0.06)
        self.arm = "left" if xy[0] < 0 else "right"
        goal_xy = np.array([-BESIDE_M if self.arm == "left" else BESIDE_M, 0.0])
        self.reserve(goal_xy, 0.06)  # the goal spot stays clear of clutter
        self.roles = {"target": "can", "support": "table"}
        self.instruction_fields = {"can": can_colour, "pot": pot_colour}
        self.descriptions = {"can": described(can_colour, ("can",) + CAN_NOUNS[style], ("tin",)),
                             "pot": described(pot_colour, ("pot", "cooking pot"), ("saucepan",))}
        if setting == "hard":
            self.add_distractors(rng)

    def goal(self) -> np.ndarray:
        """World frame the can's bottom is let go at: just above the table beside the pot, with the pot's heading."""
        pot = entity_matrix(self.actors["pot"])
        out = pot @ self.assets["pot"].functional_points["bottom"]
        out[0, 3] += -BESIDE_M if self.arm == "left" else BESIDE_M
        out[2, 3] = self.table_z + PLACE_CLEARANCE_M
        return out

    def play_once(self) -> None:
        can, asset = self.actors["can"], self.assets["can"]
        grasp = self._grasp()
        self.expert.grasp(self.arm, can, grasp, pre_distance=PRE_DISTANCE, lift=0.0)
        self.expert.move_by(self.arm, CARRY)
        self.expert.place(self.arm, can, asset.functional_points["bottom"], self.goal(), align_orientation=False,
                          pre_height=PRE_HEIGHT, retreat=RETREAT)

    def _grasp(self) -> np.ndarray:
        """A grasp from above whose pre-grasp, grasp, carry and placing poses are reachable."""
        can, asset = self.actors["can"], self.assets["can"]
        pose = entity_matrix(can)
        goal = self.goal()

        def motion(grasp: np.ndarray) -> list[np.ndarray]:
            tcp = pose @ grasp
            carried = tcp.copy()
            carried[:3, 3] += CARRY
            place = tcp.copy()
            place[:3, 3] += goal[:3, 3] - pose[:3, 3]
            return [backed_off(tcp, PRE_DISTANCE), tcp, carried, raised(place, PRE_HEIGHT), place]

        return choose_reachable_grasp(self.expert, self.arm, pose, asset.grasps_labelled("top"), motion)

    def evaluate(self) -> dict[str, bool]:
        pot, can = self.actors["pot"].get_pose().p, self.actors["can"].get_pose().p
        outward = pot[0] - can[0] if self.arm == "left" else can[0] - pot[0]
        roll, pitch = robotwin_roll_pitch(self.actors["can"])
        out = {"beside_pot_x": bool(OFFSET_RANGE_M[0] < outward < OFFSET_RANGE_M[1]),
               "beside_pot_y": bool(abs(can[1] - pot[1]) < DY_MAX_M),
               "upright": bool(abs(roll - np.pi / 2) < TILT_MAX and abs(pitch) < TILT_MAX),
               "on_table": bool(can[2] <= self.pot_spawn_z + SPAWN_Z_SLACK_M),
               "grippers_open": self.gripper_open("left") and self.gripper_open("right")}
        out["success"] = all(out.values())
        return out
