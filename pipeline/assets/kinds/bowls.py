"""The bowl (stack_bowls_two / stack_bowls_three): a flared open vessel that nests in an identical one.

Concave, so its collision is a convex decomposition: a bottom disc plus a ring of slanted wall
pieces (each the hull of one angular sector of the wall). The inner wall runs parallel to the
outer one (horizontal thickness `WALL`), which fixes how high an identical bowl rests when
nested: its outer wall meets this bowl's inner wall `WALL / slope` up, or its bottom meets the
floor; that height is the functional point "nest" (z up), the bowl's own "top" is its rim.
Grasps hold the rim at 8 points around, approaching down along the wall with the finger pads
flush with its two faces: held at one point, a bowl gripped by pads touching its slanted wall
along a line only droops ~30 deg about the grip.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import UP, cylinder, pose
from pipeline.assets.kinds.common import draw, pick_color, resting_points
from pipeline.assets.object_asset import ObjectAsset, VisualPart
from pipeline.assets.registry import declare_lookalikes, register_kind

CERAMIC_DENSITY = 1500.0
WALL, FLOOR = 0.005, 0.006
"""Horizontal wall thickness and floor thickness (m)."""
RIM_GRASP_DEPTH = 0.01
"""How far below the rim the fingertips' centre holds the wall."""
WALL_SEGMENTS = 16


def _wall_piece(radius_at, z_low: float, z_high: float, a0: float, a1: float) -> trimesh.Trimesh:
    """Convex hull of one angular sector of the wall between two heights."""
    corners = [(r * np.cos(a), r * np.sin(a), z) for z in (z_low, z_high) for a in (a0, a1)
               for r in (radius_at(z) - WALL, radius_at(z))]
    return trimesh.convex.convex_hull(np.array(corners))


@register_kind("bowl")
def make_bowl(rng: np.random.Generator, *, radius: float | None = None, height: float | None = None,
              flare: float | None = None, color=None, name: str = "bowl") -> ObjectAsset:
    """Bowl of rim radius 5-6 cm, height 4.5-5.5 cm (an open hand at a rim grasp stays clear of
    the table), bottom radius `flare` (0.5-0.65) x rim radius."""
    radius = draw(rng, radius, 0.05, 0.06, "radius")
    height = draw(rng, height, 0.045, 0.055, "height")
    flare = draw(rng, flare, 0.5, 0.65, "flare")
    color = pick_color(rng, color)
    bottom = flare * radius
    slope = (radius - bottom) / height

    def outer(z: float) -> float:
        return bottom + slope * z

    profile = np.array([(0.0, 0.0), (bottom, 0.0), (radius, height), (radius - WALL, height),
                        (outer(FLOOR) - WALL, FLOOR), (0.0, FLOOR), (0.0, 0.0)])
    visual = trimesh.creation.revolve(profile, sections=48)
    angles = np.linspace(0.0, 2 * np.pi, WALL_SEGMENTS + 1)
    collisions = [cylinder(bottom, FLOOR, sections=16)] + [
        _wall_piece(outer, 0.0, height, a0, a1) for a0, a1 in zip(angles[:-1], angles[1:])]
    grip_z = height - RIM_GRASP_DEPTH
    grip_r = outer(grip_z) - WALL / 2
    run = np.hypot(radius - bottom, height)
    grasps = []
    for angle in np.deg2rad(np.arange(0, 360, 45)):
        radial = np.array([np.cos(angle), np.sin(angle), 0.0])
        down_wall = (-(radius - bottom) * radial - (0.0, 0.0, height)) / run
        across_wall = (height * radial - (0.0, 0.0, radius - bottom)) / run
        grasps += [pose(radial * grip_r + (0.0, 0.0, grip_z), z_axis=down_wall, y_axis=sign * across_wall)
                   for sign in (1.0, -1.0)]
    functional = resting_points(height)
    functional["nest"] = pose((0.0, 0.0, max(WALL / slope, FLOOR)), z_axis=UP)
    return ObjectAsset(
        name=name, kind="bowl",
        visuals=[VisualPart(visual, color)], collisions=collisions,
        mass=CERAMIC_DENSITY * visual.volume,
        grasps=grasps, grasp_labels=["rim"] * len(grasps),
        functional_points=functional,
        contact_points={"rim": np.array([radius - WALL / 2, 0.0, height]),
                        "inside_bottom": np.array([0.0, 0.0, FLOOR])},
    )


declare_lookalikes("bowl", "pot")
