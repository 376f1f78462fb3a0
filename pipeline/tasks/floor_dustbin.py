"""The big floor dustbin beside a shifted table, shared by put_bottles_dustbin and dump_bin_bigbin.

RoboTwin stands its static `011_dustbin` on the floor at (-0.45, 0, 0), heading 90 deg, and shifts the table +0.3 m in
x (`table_xy_bias=[0.3, 0]`), so the table spans x in [-0.3, 0.9] and the bin stands just off its left edge, below the
left arm's reach. `shift_table` does the same to our table (`SimEnv.move_table`) and keeps hard-setting clutter on the
table as RoboTwin does (its distractors must lie inside the unshifted bounds, so the shifted table loses its right
strip; ours keep out of the part of those bounds that is now off the table). `add_dustbin` builds the bin (`dustbin`
kind, static, tracked as a placing support).
"""
from __future__ import annotations

import numpy as np
import sapien

from pipeline.assets import make_asset
from pipeline.assets.kinds.dustbin import DUSTBIN_STYLES
from pipeline.sim.poses import yaw_pose

TABLE_SHIFT_X = 0.3
"""RoboTwin's `table_xy_bias` x of both tasks (m)."""
DUSTBIN_XY = (-0.45, 0.0)
DUSTBIN_HEADING = np.pi / 2
"""RoboTwin's quaternion [0.5, 0.5, 0.5, 0.5] on a y-up scan: heading 90 deg; our bin's long side (its x) lies
along the table's edge."""
DUSTBIN_FOOTPRINT = 0.14
"""Reserved radius round the bin: half its width across the table's edge (the rest of it is off the table)."""
OFF_TABLE_DISCS = tuple(((-0.75, y), 0.45) for y in np.linspace(-0.4, 0.4, 9))
"""Discs that cover the strip x < -0.3 of the unshifted table area, off the shifted table: clutter keeps out."""


def shift_table(task, dx: float = TABLE_SHIFT_X) -> None:
    """Move `task`'s table `dx` along x (its body and the planners' slab) and keep clutter off what is now floor."""
    task.env.move_table(dx)
    for centre, radius in OFF_TABLE_DISCS:
        task.reserve(centre, radius)


def add_dustbin(task, rng: np.random.Generator, name: str = "dustbin") -> str:
    """Build the static floor dustbin at RoboTwin's spot (on the floor whatever the table's height); returns the
    palette name of its body colour (for the instruction)."""
    styles = sorted(DUSTBIN_STYLES)
    style = styles[int(rng.integers(len(styles)))]
    asset = make_asset("dustbin", rng, name=name, style=style)
    pose = yaw_pose([*DUSTBIN_XY, 0.0], DUSTBIN_HEADING)
    task.add_object(name, asset, pose, static=True, footprint=DUSTBIN_FOOTPRINT)
    centre = sapien.Pose(((asset.bounds[0] + asset.bounds[1]) / 2).astype(np.float32))
    for arm in task.env.robot.arms.values():  # no posture reaches into it
        arm.add_planning_obstacle_box(name, pose * centre, asset.bounds[1] - asset.bounds[0])
    return DUSTBIN_STYLES[style][0]
