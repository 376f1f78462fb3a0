"""Open containers: the cup (place_cup / coaster tasks) and the two-handled pot (dual-arm lift_pot).

Both are concave, so their collision is a convex decomposition: a bottom disc plus a ring of wall
boxes (and one box per pot handle). Visual meshes stay smooth and watertight for rendering.
"""

from __future__ import annotations

import numpy as np

from pipeline.assets.geometry import box, cylinder, pose, tube, tube_collision, yaw_axis
from pipeline.assets.kinds.common import draw, grasps_across_y, pick_color, resting_points
from pipeline.assets.object_asset import ObjectAsset, VisualPart
from pipeline.assets.registry import register_kind

CERAMIC_DENSITY = 1500.0
POT_DENSITY = 1200.0


def _vessel(radius: float, height: float, wall: float, bottom: float):
    """Visual meshes and convex collision parts of an open cylindrical vessel."""
    walls = tube(radius - wall, radius, height - bottom, z_bottom=bottom)
    base = cylinder(radius, bottom, sections=48)
    collisions = [cylinder(radius, bottom, sections=16)] + tube_collision(radius - wall, radius, height - bottom, bottom)
    return [walls, base], collisions


@register_kind("cup")
def make_cup(rng: np.random.Generator, *, radius: float | None = None, height: float | None = None,
             color=None, name: str = "cup") -> ObjectAsset:
    """Empty cup (diameter <= 6.6 cm) grasped around its side from 8 directions.

    No rim grasp: a Panda hand opened to 0.08 m around the rim would hit the opposite wall.
    """
    radius = draw(rng, radius, 0.028, 0.033, "radius")
    height = draw(rng, height, 0.08, 0.10, "height")
    wall, bottom = 0.004, 0.006
    color = pick_color(rng, color)
    meshes, collisions = _vessel(radius, height, wall, bottom)
    grasps, labels = [], []
    for yaw in np.deg2rad(np.arange(0, 360, 45)):
        grasps.append(pose((0.0, 0.0, 0.55 * height), z_axis=-yaw_axis(yaw), y_axis=yaw_axis(yaw + np.pi / 2)))
        labels.append("side")
    return ObjectAsset(
        name=name, kind="cup",
        visuals=[VisualPart(mesh, color) for mesh in meshes], collisions=collisions,
        mass=CERAMIC_DENSITY * sum(part.volume for part in collisions),
        grasps=grasps, grasp_labels=labels,
        functional_points=resting_points(height),
        contact_points={"rim": np.array([radius - wall / 2, 0.0, height]),
                        "side": np.array([radius, 0.0, 0.55 * height]),
                        "inside_bottom": np.array([0.0, 0.0, bottom])},
    )


@register_kind("pot")
def make_pot(rng: np.random.Generator, *, radius: float | None = None, height: float | None = None,
             color=None, name: str = "pot") -> ObjectAsset:
    """Cooking pot with handles at +x and -x; grasps labelled "handle_+x" / "handle_-x"."""
    radius = draw(rng, radius, 0.075, 0.09, "radius")
    height = draw(rng, height, 0.07, 0.09, "height")
    handle_reach = draw(rng, None, 0.035, 0.045, "handle_reach")
    wall, bottom, handle_width, handle_thickness = 0.005, 0.008, 0.03, 0.012
    body_color = pick_color(rng, color)
    handle_color = pick_color(rng, None, exclude=("white",))
    meshes, collisions = _vessel(radius, height, wall, bottom)
    handle_z = height - 0.015
    visuals = [VisualPart(mesh, body_color) for mesh in meshes]
    grasps, labels = [], []
    functional = resting_points(height)
    contacts = {"inside_bottom": np.array([0.0, 0.0, bottom])}
    for sign, label in ((1.0, "handle_+x"), (-1.0, "handle_-x")):
        inner = radius - wall / 2
        center = np.array([sign * (inner + (handle_reach + wall / 2) / 2), 0.0, handle_z])
        handle = box((handle_reach + wall / 2, handle_width, handle_thickness), center)
        visuals.append(VisualPart(handle, handle_color))
        collisions.append(handle)
        grip = np.array([sign * (radius + handle_reach / 2), 0.0, handle_z])
        grasps += grasps_across_y([grip])
        labels += [label] * 2
        functional[label] = pose(grip, z_axis=(sign, 0.0, 0.0), y_axis=(0.0, 1.0, 0.0))
        contacts[label] = grip
    return ObjectAsset(
        name=name, kind="pot", visuals=visuals, collisions=collisions,
        mass=POT_DENSITY * sum(part.volume for part in collisions),
        grasps=grasps, grasp_labels=labels, functional_points=functional, contact_points=contacts,
    )
