"""Simple solids: the block (stack / beat / place tasks) and flat target pads (shoe mat, pad, coaster).

Pads are thin and flat: they mark a target region on the table and expose a functional "top"
whose x axis gives the target orientation (e.g. heel-to-toe for the shoe mat).
"""

from __future__ import annotations

import numpy as np

from pipeline.assets.geometry import box, cylinder
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.registry import register_kind

WOOD_DENSITY = 600.0
FOAM_DENSITY = 200.0
FIXED_BLOCK_EDGE = (0.03, 0.068)
"""Edges a task may fix: from RoboTwin's smallest ranking cube to a grasp that still clamps < 0.07 m."""


@register_kind("block")
def make_block(rng: np.random.Generator, *, size: float | None = None, color=None, name: str = "block") -> ObjectAsset:
    """Cube of edge 4-5 cm in a random palette colour, graspable from above along either side.
    A task may fix any edge in FIXED_BLOCK_EDGE (RoboTwin's ranking cubes span 3-6.6 cm)."""
    sample = draw(rng, None, 0.04, 0.05, "size")  # drawn either way: fixing the size keeps the colour draw
    if size is not None and not FIXED_BLOCK_EDGE[0] <= size <= FIXED_BLOCK_EDGE[1]:
        raise ValueError(f"size={size} outside the supported range {list(FIXED_BLOCK_EDGE)}")
    size = sample if size is None else float(size)
    color = pick_color(rng, color)
    mesh = box((size, size, size), (0.0, 0.0, size / 2))
    center = (0.0, 0.0, size / 2)
    return ObjectAsset(
        name=name, kind="block",
        visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=WOOD_DENSITY * mesh.volume,
        grasps=yawed_top_grasps(center, (0, 90, 180, 270)), grasp_labels=["top"] * 4,
        functional_points=resting_points(size),
        contact_points={"top": np.array([0.0, 0.0, size]), "center": np.array(center)},
    )


def _flat_pad(kind: str, mesh, color, name: str, thickness: float) -> ObjectAsset:
    """A thin pad lying on the table; functional/contact "top" at its upper centre."""
    return ObjectAsset(
        name=name, kind=kind,
        visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=FOAM_DENSITY * mesh.volume,
        functional_points=resting_points(thickness),
        contact_points={"top": np.array([0.0, 0.0, thickness])},
        material=PhysicalMaterial(static_friction=1.2, dynamic_friction=1.0),
    )


@register_kind("shoe_mat")
def make_shoe_mat(rng: np.random.Generator, *, length: float | None = None, width: float | None = None,
                  color=None, name: str = "shoe_mat") -> ObjectAsset:
    """Rectangular mat a shoe is placed on; its "top" x axis is the heel-to-toe target direction."""
    length = draw(rng, length, 0.16, 0.19, "length")
    width = draw(rng, width, 0.09, 0.11, "width")
    thickness = 0.004
    mesh = box((length, width, thickness), (0.0, 0.0, thickness / 2))
    return _flat_pad("shoe_mat", mesh, pick_color(rng, color), name, thickness)


@register_kind("target_pad")
def make_target_pad(rng: np.random.Generator, *, size: float | None = None, color=None,
                    name: str = "target_pad") -> ObjectAsset:
    """Square pad marking where an object must be placed."""
    size = draw(rng, size, 0.08, 0.12, "size")
    thickness = 0.003
    mesh = box((size, size, thickness), (0.0, 0.0, thickness / 2))
    return _flat_pad("target_pad", mesh, pick_color(rng, color), name, thickness)


@register_kind("coaster")
def make_coaster(rng: np.random.Generator, *, radius: float | None = None, color=None,
                 name: str = "coaster") -> ObjectAsset:
    """Round coaster a cup is placed on."""
    radius = draw(rng, radius, 0.045, 0.055, "radius")
    thickness = 0.005
    mesh = cylinder(radius, thickness, sections=40)
    return _flat_pad("coaster", mesh, pick_color(rng, color), name, thickness)
