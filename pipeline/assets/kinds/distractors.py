"""Clutter for the Hard setting: bottle, can, small box and ball, all graspable by one Panda hand.

Distractors carry the same annotations as task objects, so a policy (or a future task) can
interact with them, and the annotator can sample their surfaces.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, cylinder, pose, yaw_axis
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import declare_lookalikes, register_kind

DISTRACTOR_KINDS: tuple[str, ...] = ("bottle", "can", "small_box", "ball")
"""Kinds meant as Hard-setting clutter (none of them is a task object)."""
PLASTIC_DENSITY = 400.0  # effective density of a mostly empty container
SOLID_DENSITY = 700.0


def _side_grasps(height: float) -> tuple[list[np.ndarray], list[str]]:
    """Horizontal grasps of an upright body of revolution, approaching its axis from 4 sides."""
    grasps = [pose((0.0, 0.0, height), z_axis=-yaw_axis(yaw), y_axis=yaw_axis(yaw + np.pi / 2))
              for yaw in np.deg2rad([0, 90, 180, 270])]
    return grasps, ["side"] * len(grasps)


@register_kind("bottle")
def make_bottle(rng: np.random.Generator, *, radius: float | None = None, color=None, name: str = "bottle") -> ObjectAsset:
    """Bottle: body, conical shoulder, neck with cap."""
    radius = draw(rng, radius, 0.026, 0.032, "radius")
    body_height = draw(rng, None, 0.09, 0.12, "body_height")
    neck_radius, shoulder_height, neck_height = 0.012, 0.03, 0.035
    color = pick_color(rng, color)
    body = cylinder(radius, body_height, sections=32)
    t = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    rings = [np.c_[r * np.cos(t), r * np.sin(t), np.full_like(t, z)]
             for r, z in ((radius, body_height), (neck_radius, body_height + shoulder_height))]
    shoulder = trimesh.convex.convex_hull(np.vstack(rings))
    neck = cylinder(neck_radius, neck_height, z_bottom=body_height + shoulder_height, sections=20)
    height = body_height + shoulder_height + neck_height
    grasps, labels = _side_grasps(0.5 * body_height)
    return ObjectAsset(
        name=name, kind="bottle",
        visuals=[VisualPart(body, color), VisualPart(shoulder, color), VisualPart(neck, rgba("white"))],
        collisions=[body, shoulder, neck],
        mass=PLASTIC_DENSITY * (body.volume + shoulder.volume + neck.volume),
        grasps=grasps, grasp_labels=labels, functional_points=resting_points(height),
        contact_points={"cap": np.array([0.0, 0.0, height]), "side": np.array([radius, 0.0, 0.5 * body_height])},
    )


@register_kind("can")
def make_can(rng: np.random.Generator, *, radius: float | None = None, color=None, name: str = "can") -> ObjectAsset:
    """Drink can."""
    radius = draw(rng, radius, 0.030, 0.034, "radius")
    height = draw(rng, None, 0.09, 0.12, "height")
    color = pick_color(rng, color)
    body = cylinder(radius, height, sections=32)
    grasps, labels = _side_grasps(0.5 * height)
    return ObjectAsset(
        name=name, kind="can", visuals=[VisualPart(body, color)], collisions=[body],
        mass=PLASTIC_DENSITY * body.volume, grasps=grasps, grasp_labels=labels,
        functional_points=resting_points(height),
        contact_points={"top": np.array([0.0, 0.0, height]), "side": np.array([radius, 0.0, 0.5 * height])},
    )


@register_kind("small_box")
def make_small_box(rng: np.random.Generator, *, color=None, name: str = "small_box") -> ObjectAsset:
    """Cuboid package, narrow along y so it is grasped across y from above."""
    extents = (draw(rng, None, 0.05, 0.09, "length"), draw(rng, None, 0.035, 0.06, "width"),
               draw(rng, None, 0.03, 0.06, "height"))
    color = pick_color(rng, color)
    mesh = box(extents, (0.0, 0.0, extents[2] / 2))
    return ObjectAsset(
        name=name, kind="small_box", visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=PLASTIC_DENSITY * mesh.volume,
        grasps=yawed_top_grasps((0.0, 0.0, extents[2] / 2), (90, 270)), grasp_labels=["top"] * 2,
        functional_points=resting_points(extents[2]),
        contact_points={"top": np.array([0.0, 0.0, extents[2]])},
    )


@register_kind("ball")
def make_ball(rng: np.random.Generator, *, radius: float | None = None, color=None, name: str = "ball") -> ObjectAsset:
    """Soft ball squashed into a small flat spot, so clutter settles instead of rolling away."""
    radius = draw(rng, radius, 0.025, 0.033, "radius")
    color = pick_color(rng, color)
    cut = 0.12 * radius  # flattened cap height: a resting spot of about 0.95 * radius across
    vertices = trimesh.creation.icosphere(subdivisions=2, radius=radius).vertices
    vertices[:, 2] = np.maximum(vertices[:, 2], cut - radius)
    mesh = trimesh.convex.convex_hull(vertices + (0.0, 0.0, radius - cut))
    center = (0.0, 0.0, radius - cut)
    return ObjectAsset(
        name=name, kind="ball", visuals=[VisualPart(mesh, color)], collisions=[mesh],
        mass=SOLID_DENSITY * mesh.volume,
        grasps=yawed_top_grasps(center, (0, 90)), grasp_labels=["top"] * 2,
        functional_points=resting_points(2 * radius - cut),
        contact_points={"center": np.array(center), "top": np.array([0.0, 0.0, 2 * radius - cut])},
    )


declare_lookalikes("block", "small_box")              # cuboids
declare_lookalikes("cup", "can", "bottle")            # upright cylinders one could take for the cup
declare_lookalikes("coaster", "target_pad", "shoe_mat")  # flat pads / mats (placement targets)
