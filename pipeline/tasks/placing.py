"""Shared pieces of RoboTwin's single-arm placement tasks: pick an object, turn it to a target
heading, set it down on a pad / spot, release.

- RoboTwin's colour lists for its pads (the colour name goes into the instruction).
- `mesh_quaternion`: the quaternion RoboTwin's checks read. RoboTwin's meshes are y-up; our
  objects are z-up with object x = mesh x and object z = mesh y (see pipeline/assets/kinds/
  desk_items.py), so the mesh frame is the object frame turned +90 deg about its x axis and the
  checks ("within 0.05 per component of [0.707, 0.707, 0, 0]") apply unchanged.
- `pick_and_place_heading`: the expert for "place the object at this spot with this heading",
  turning the object by the least rotation among the headings the task accepts.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import sapien

from pipeline.sim.poses import matrix_to_pose
from pipeline.sim.primitives import FLIP_ABOUT_Y, entity_matrix
from pipeline.sim.robot import PlanningError
from pipeline.tasks.reach import backed_off, lift_near, reachable

MESH_FROM_OBJECT = sapien.Pose(q=[np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0])
"""RoboTwin's y-up mesh frame in our z-up object frame (+90 deg about x)."""
UPRIGHT_FACING_ROBOT = np.array([np.cos(np.pi / 4), np.sin(np.pi / 4), 0.0, 0.0])
"""RoboTwin's quaternion of an upright mesh with heading 0: its front (mesh +z) looks at the robot (-y)."""

COLOURS_8: dict[str, tuple[float, float, float]] = {
    "red": (1, 0, 0), "green": (0, 1, 0), "blue": (0, 0, 1), "yellow": (1, 1, 0), "cyan": (0, 1, 1),
    "magenta": (1, 0, 1), "black": (0, 0, 0), "gray": (0.5, 0.5, 0.5)}
"""RoboTwin's 8-colour pad list (name -> RGB)."""
COLOURS_23: dict[str, tuple[float, float, float]] = {
    **COLOURS_8, "orange": (1, 0.5, 0), "purple": (0.5, 0, 0.5), "brown": (0.65, 0.4, 0.16),
    "pink": (1, 0.75, 0.8), "lime": (0.5, 1, 0), "olive": (0.5, 0.5, 0), "teal": (0, 0.5, 0.5),
    "maroon": (0.5, 0, 0), "navy": (0, 0, 0.5), "coral": (1, 0.5, 0.31), "turquoise": (0.25, 0.88, 0.82),
    "indigo": (0.29, 0, 0.51), "beige": (0.96, 0.91, 0.81), "tan": (0.82, 0.71, 0.55),
    "silver": (0.75, 0.75, 0.75)}
"""RoboTwin's 23-colour pad list."""


def draw_colour(rng: np.random.Generator, colours: dict[str, tuple[float, float, float]]) -> tuple[str, tuple]:
    """(name, RGBA) drawn uniformly from one of RoboTwin's colour lists."""
    name = sorted(colours)[int(rng.integers(len(colours)))]
    return name, (*colours[name], 1.0)


def spot_beside(rng: np.random.Generator, other_xy: np.ndarray, x_range=(0.05, 0.25), y_range=(-0.2, 0.0),
                min_distance: float = 0.1) -> np.ndarray:
    """RoboTwin's spawn of a pad / scale beside the object: x in `x_range` mirrored to `other_xy`'s
    side of the table, y in `y_range`, redrawn until at least `min_distance` from `other_xy`."""
    side = 1.0 if other_xy[0] >= 0 else -1.0
    while True:
        xy = np.array([side * rng.uniform(*x_range), rng.uniform(*y_range)])
        if np.linalg.norm(xy - other_xy) >= min_distance:
            return xy


def off_centre_xy(rng: np.random.Generator, x_range: tuple[float, float], y_range: tuple[float, float],
                  min_abs_x: float) -> np.ndarray:
    """RoboTwin's usual object spawn (`rand_pose` redrawn while |x| is small): x and y uniform in the
    ranges, redrawn until |x| >= `min_abs_x`, which keeps the object off the centre line on one arm's side."""
    while True:
        xy = np.array([rng.uniform(*x_range), rng.uniform(*y_range)])
        if abs(xy[0]) >= min_abs_x:
            return xy


def set_mass(actor: sapien.Entity, kg: float) -> None:
    """Override a dynamic actor's mass (RoboTwin fixes some, e.g. 0.01 kg for its pads)."""
    actor.find_component_by_type(sapien.physx.PhysxRigidDynamicComponent).set_mass(kg)


def yaw_quat(yaw: float) -> list[float]:
    """wxyz quaternion of a rotation by `yaw` about world z."""
    return [float(np.cos(yaw / 2)), 0.0, 0.0, float(np.sin(yaw / 2))]


def wrap(angle: float) -> float:
    """`angle` wrapped to (-pi, pi]."""
    return float(np.angle(np.exp(1j * angle)))


def heading(entity: sapien.Entity) -> float:
    """World heading (radians from +x) of the entity's x axis."""
    x_axis = entity.get_pose().to_transformation_matrix()[:3, 0]
    return float(np.arctan2(x_axis[1], x_axis[0]))


def mesh_quaternion(entity: sapien.Entity) -> np.ndarray:
    """The wxyz quaternion RoboTwin's checks would read for this object (its y-up mesh frame), w >= 0."""
    q = np.asarray((entity.get_pose() * MESH_FROM_OBJECT).q, dtype=float)
    return -q if q[0] < 0 else q


def quaternion_near(entity: sapien.Entity, reference: np.ndarray, tolerance: float) -> bool:
    """RoboTwin's orientation test: every component of the (w >= 0) mesh quaternion within
    `tolerance` of `reference`."""
    return bool(np.all(np.abs(mesh_quaternion(entity) - reference) < tolerance))


def heading_target(xyz: Sequence[float], yaw: float) -> np.ndarray:
    """World 4x4 frame an object's downward "bottom" point must meet to stand at `xyz` with its x
    axis at heading `yaw` (the bottom point's x is the object's -x, as `support_target`)."""
    c, s = np.cos(yaw), np.sin(yaw)
    out = np.eye(4)
    out[:3, :3] = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ FLIP_ABOUT_Y[:3, :3]
    out[:3, 3] = xyz
    return out


CLEAR_HEIGHT = 0.02
"""Straight rise tried before `reach.lift_near`'s joint-space fallback, so the swinging fingers
clear the object just released (or lifted) first (move_stapler_pad easy seed 11 turned the stapler)."""


def move_up(task, arm: str, dz: float) -> None:
    """Raise `arm`'s TCP by `dz`: straight where a screw path exists, else `CLEAR_HEIGHT` straight
    (if possible) and the rest by `reach.lift_near`."""
    try:
        task.expert.move_by(arm, (0.0, 0.0, dz))
        return
    except PlanningError:
        pass
    try:
        task.expert.move_by(arm, (0.0, 0.0, min(CLEAR_HEIGHT, dz)))
        dz -= min(CLEAR_HEIGHT, dz)
    except PlanningError:
        pass
    lift_near(task.expert, arm, dz)


def least_roll_reachable_grasp(task, arm: str, actor: sapien.Entity, grasps: Sequence[np.ndarray], turn: float,
                               pre_distance: float) -> np.ndarray:
    """`Expert.choose_grasp`'s pick (least wrist roll now and after turning by `turn`) among the
    grasps whose pre-grasp and grasp poses have an IK solution: hard-setting clutter (a planning
    obstacle) or the workspace edge can block the best one while a neighbour along the object is free."""
    candidates = list(grasps)
    while candidates:
        grasp = task.expert.choose_grasp(arm, actor, candidates, turn=turn)
        tcp = entity_matrix(actor) @ grasp
        if reachable(task.env.robot[arm], (matrix_to_pose(backed_off(tcp, pre_distance)), matrix_to_pose(tcp))):
            return grasp
        candidates = [g for g in candidates if g is not grasp]
    raise PlanningError(f"{arm} arm: none of {len(grasps)} grasps of {actor.get_name()} is reachable")


def pick_and_place_heading(task, arm: str, name: str, xyz: Sequence[float], yaws: Sequence[float],
                           pre_distance: float = 0.1, lift: float = 0.1, pre_height: float = 0.07,
                           clearance: float = 0.005, retreat: float = 0.08,
                           grasps: Sequence[np.ndarray] | None = None) -> None:
    """Expert of RoboTwin's `grasp -> lift -> place(align) -> open`: `arm` grasps `task.actors[name]`
    (the reachable grasp needing the least wrist roll now and after the turn, among `grasps`, default
    all the asset's), lifts it, turns it to the heading among `yaws` nearest its own (the tasks
    accept symmetric headings), lowers it so its
    bottom stands `clearance` above `xyz`, opens, retreats and goes home. Lift and retreat fall back
    to joint space where a straight line has no path (`move_up`)."""
    actor, asset = task.actors[name], task.assets[name]
    now = heading(actor)
    yaw = min(yaws, key=lambda y: abs(wrap(y - now)))
    grasp = least_roll_reachable_grasp(task, arm, actor, asset.grasps if grasps is None else grasps,
                                       wrap(yaw - now), pre_distance)
    task.expert.grasp(arm, actor, grasp, pre_distance=pre_distance, lift=0.0)
    move_up(task, arm, lift)
    target = heading_target((xyz[0], xyz[1], xyz[2] + clearance), yaw)
    task.expert.place(arm, actor, asset.functional_points["bottom"], target, align_orientation=True,
                      pre_height=pre_height, retreat=0.0)
    move_up(task, arm, retreat)
    task.expert.home([arm])
