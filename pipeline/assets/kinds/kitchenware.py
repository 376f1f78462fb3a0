"""Open rectangular containers things are put into: the plastic box (RoboTwin's `062_plasticbox`,
place_cans_plasticbox) and the serving tray (`008_tray`, place_burger_fries).

Both are concave, so their collision is a convex decomposition: the floor and four wall boxes (and,
for the lipped variants, four rim boxes). Two placing spots sit on the inner floor, one in each half
along the container's x axis: functional points "slot_-x" and "slot_+x" (z up), RoboTwin's fp0/fp1
of these containers (whose exact places live in its asset files, not in its repository). They
carry no grasps: the tasks put things into them and never pick them up.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, pose
from pipeline.assets.kinds.common import draw, pick_color, resting_points
from pipeline.assets.object_asset import ObjectAsset, VisualPart
from pipeline.assets.registry import declare_lookalikes, register_kind

PLASTIC_DENSITY = 950.0


def _open_box(length: float, width: float, height: float, wall: float, floor: float,
              lip: float) -> list[trimesh.Trimesh]:
    """Floor, four walls and (`lip` > 0) an outward rim of that width, as convex boxes."""
    parts = [box((length, width, floor), (0.0, 0.0, floor / 2))]
    wall_height = height - floor
    z = floor + wall_height / 2
    parts += [box((wall, width, wall_height), (sign * (length - wall) / 2, 0.0, z)) for sign in (-1.0, 1.0)]
    parts += [box((length - 2 * wall, wall, wall_height), (0.0, sign * (width - wall) / 2, z)) for sign in (-1.0, 1.0)]
    if lip > 0:
        thickness = 0.004
        z_lip = height - thickness / 2
        parts += [box((lip, width + 2 * lip, thickness), (sign * (length + lip) / 2, 0.0, z_lip)) for sign in (-1.0, 1.0)]
        parts += [box((length, lip, thickness), (0.0, sign * (width + lip) / 2, z_lip)) for sign in (-1.0, 1.0)]
    return parts


def _container(kind: str, name: str, rng: np.random.Generator, color, length: float, width: float,
               height: float, wall: float, floor: float, lipped: bool) -> ObjectAsset:
    """An open box container with its slots, rim and annotations."""
    color = pick_color(rng, color)
    lip = 0.01 if lipped else 0.0
    parts = _open_box(length, width, height, wall, floor, lip)
    functional = resting_points(height)
    contacts = {"inside_bottom": np.array([0.0, 0.0, floor]), "rim": np.array([length / 2 - wall / 2, 0.0, height])}
    for sign, label in ((-1.0, "slot_-x"), (1.0, "slot_+x")):
        spot = np.array([sign * (length - 2 * wall) / 4, 0.0, floor])
        functional[label] = pose(spot)
        contacts[label] = spot
    return ObjectAsset(
        name=name, kind=kind, visuals=[VisualPart(part, color) for part in parts], collisions=parts,
        mass=PLASTIC_DENSITY * sum(part.volume for part in parts),
        functional_points=functional, contact_points=contacts,
    )


@register_kind("plastic_box")
def make_plastic_box(rng: np.random.Generator, *, color=None, name: str = "plastic_box") -> ObjectAsset:
    """Storage box 19-22 x 14-17 cm, 5.5-7.5 cm deep, with or without a rim lip; each half of its
    floor holds one can."""
    length, width = draw(rng, None, 0.19, 0.22, "length"), draw(rng, None, 0.14, 0.17, "width")
    height = draw(rng, None, 0.055, 0.075, "height")
    lipped = bool(rng.random() < 0.5)
    return _container("plastic_box", name, rng, color, length, width, height, wall=0.006, floor=0.006, lipped=lipped)


@register_kind("tray")
def make_tray(rng: np.random.Generator, *, color=None, name: str = "tray") -> ObjectAsset:
    """Flat serving tray 27-30 x 20-24 cm with a 1.5-2.5 cm rim, with or without a lip; a burger
    goes on one half, fries on the other."""
    length, width = draw(rng, None, 0.27, 0.30, "length"), draw(rng, None, 0.20, 0.24, "width")
    height = draw(rng, None, 0.015, 0.025, "height")
    lipped = bool(rng.random() < 0.5)
    return _container("tray", name, rng, color, length, width, height, wall=0.006, floor=0.005, lipped=lipped)


declare_lookalikes("plastic_box", "tray")  # open rectangular containers
