"""A procedural shoe: a flat sole plus a wedge-shaped upper, heel at -x, toe at +x.

Both parts are convex hulls, so they double as the collision decomposition. The shoe is grasped
from above across its width (object y), high enough that the pads close on the upper's sides, not
on the sole's rim (see `GRASP_ABOVE_SOLE`). Functional "heel" and "toe" (z pointing outward along
-x / +x) give the orientation a placing task must match against the shoe mat's "top" x axis.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import pose
from pipeline.assets.kinds.common import draw, grasps_across_y, pick_color, resting_points
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import register_kind

RUBBER_DENSITY = 350.0  # sole + upper, effective (a shoe is mostly air)
GRASP_ABOVE_SOLE = 0.025
"""Grasp (TCP) height above the sole's top. The sole's rim is the shoe's widest part and a Panda
fingertip reaches ~9 mm below the TCP, so with the TCP at mid-upper height (21-28 mm up) the fingers
squeezed that rim 15-20 mm up, and the pick region's splat spilled from there onto the table beside
the shoe (place_dual_shoes easy pick mass 0.77-0.94). 2.5 cm up, the fingertips close on the upper
~1.6 cm above the rim. Not higher: at 3 cm a shoe tilted in the fingers while the arm turned it
toward the box and was lost (place_dual_shoes easy seed 5)."""


def _outline(length: float, width: float, samples: int = 40) -> np.ndarray:
    """Sole outline [samples, 2]: an ellipse, narrower at the heel (-x) than at the toe."""
    t = np.linspace(0.0, 2 * np.pi, samples, endpoint=False)
    x = length / 2 * np.cos(t)
    taper = 0.8 + 0.2 * (np.cos(t) + 1) / 2
    return np.c_[x, width / 2 * np.sin(t) * taper]


def _ring(points_2d: np.ndarray, z: float) -> np.ndarray:
    return np.c_[points_2d, np.full(len(points_2d), z)]


@register_kind("shoe")
def make_shoe(rng: np.random.Generator, *, length: float | None = None, width: float | None = None,
              color=None, name: str = "shoe") -> ObjectAsset:
    """Shoe of 10-13 cm length and 4-5.5 cm width; grasps across its width."""
    length = draw(rng, length, 0.10, 0.13, "length")
    width = draw(rng, width, 0.04, 0.055, "width")
    sole_height = draw(rng, None, 0.012, 0.018, "sole_height")
    heel_height = draw(rng, None, 0.05, 0.065, "heel_height")
    toe_height = draw(rng, None, 0.03, 0.038, "toe_height")
    upper_color = pick_color(rng, color, exclude=("black",))

    outline = _outline(length, width)
    sole = trimesh.convex.convex_hull(np.vstack([_ring(outline, 0.0), _ring(outline, sole_height)]))
    t = np.linspace(0.0, 2 * np.pi, 24, endpoint=False)
    collar = np.c_[-0.2 * length + 0.25 * length * np.cos(t), 0.38 * width * np.sin(t)]
    toe_cap = np.c_[0.28 * length + 0.15 * length * np.cos(t), 0.38 * width * np.sin(t)]
    upper = trimesh.convex.convex_hull(np.vstack([
        _ring(outline * 0.96, sole_height), _ring(collar, heel_height), _ring(toe_cap, toe_height)]))

    grasp_height = sole_height + GRASP_ABOVE_SOLE
    grasps = grasps_across_y([(x, 0.0, grasp_height) for x in (-0.15 * length, 0.0, 0.12 * length)])
    labels = ["width"] * len(grasps)
    functional = resting_points(heel_height)
    functional["heel"] = pose((-length / 2, 0.0, sole_height / 2), z_axis=(-1.0, 0.0, 0.0), y_axis=(0.0, 1.0, 0.0))
    functional["toe"] = pose((length / 2, 0.0, sole_height / 2), z_axis=(1.0, 0.0, 0.0), y_axis=(0.0, 1.0, 0.0))
    return ObjectAsset(
        name=name, kind="shoe",
        visuals=[VisualPart(sole, rgba("black")), VisualPart(upper, upper_color)],
        collisions=[sole, upper],
        mass=RUBBER_DENSITY * (sole.volume + upper.volume),
        grasps=grasps, grasp_labels=labels,
        functional_points=functional,
        contact_points={"top": np.array([-0.2 * length, 0.0, heel_height]),
                        "side_left": np.array([0.0, width / 2, grasp_height]),
                        "side_right": np.array([0.0, -width / 2, grasp_height])},
        material=PhysicalMaterial(static_friction=1.2, dynamic_friction=1.0),
    )
