"""Drink bottles (RoboTwin's `001_bottle`, 20 models) for pick_diverse_bottles / pick_dual_bottles,
and drink cans (RoboTwin's `071_can`, 6 models) for the can-placing tasks.

RoboTwin draws among 20 scanned bottles; here a bottle is one of four procedural styles (round,
square, tapered, slim), each with its own size range, a coloured body and label band and a cap. Every
style is convex piecewise (body, shoulder, neck + cap), so its collision is those convex parts.
The bottle is grasped around its body from 8 horizontal directions ("body"), or from above by the
cap and neck with the fingers closing along any of 8 headings ("cap").
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import cylinder, pose, yaw_axis
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import declare_lookalikes, register_kind

BOTTLE_STYLES = ("round", "square", "tapered", "slim")
"""Shape variants of `drink_bottle` (RoboTwin: 20 scanned models)."""
BOTTLE_DENSITY = 350.0
"""Effective density of a part-filled plastic bottle (mass 0.1-0.3 kg)."""
GRASP_YAWS_DEG = tuple(range(0, 360, 45))


def _ring(radius_x: float, radius_y: float, z: float, square: bool, n: int = 24) -> np.ndarray:
    """Points of one horizontal cross-section: an ellipse, or a square with rounded corners."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    if square:  # superellipse of exponent 6: flat sides, rounded corners
        c, s = np.cos(t), np.sin(t)
        x = np.sign(c) * np.abs(c) ** (2 / 6) * radius_x
        y = np.sign(s) * np.abs(s) ** (2 / 6) * radius_y
    else:
        x, y = radius_x * np.cos(t), radius_y * np.sin(t)
    return np.c_[x, y, np.full(n, z)]


def _hull(*rings: np.ndarray) -> trimesh.Trimesh:
    return trimesh.convex.convex_hull(np.vstack(rings))


@register_kind("drink_bottle")
def make_drink_bottle(rng: np.random.Generator, *, style: str | None = None, radius: float | None = None,
                      body_height: float | None = None, shoulder_height: float | None = None, color=None,
                      label_color=None,
                      name: str = "drink_bottle") -> ObjectAsset:
    """Upright drink bottle of one of `BOTTLE_STYLES`: body (grasped around its middle), shoulder,
    neck and cap. `radius` is the body's half-width at the grasp height (<= 3.2 cm, so the widest
    cross-section, a square's diagonal, still fits the 7 cm a Panda hand can clamp)."""
    drawn_style = BOTTLE_STYLES[int(rng.integers(len(BOTTLE_STYLES)))]
    style = drawn_style if style is None else style
    if style not in BOTTLE_STYLES:
        raise ValueError(f"style must be one of {BOTTLE_STYLES}, got {style!r}")
    low, high = {"round": (0.026, 0.032), "square": (0.022, 0.024),
                 "tapered": (0.024, 0.029), "slim": (0.021, 0.024)}[style]
    radius = draw(rng, radius, low, high, "radius")
    body_height = draw(rng, body_height, 0.10, 0.15, "body_height")
    if style == "slim":
        body_height *= 1.2
    shoulder_height = draw(rng, shoulder_height, 0.02, 0.035, "shoulder_height")
    neck_radius, neck_height, cap_height = 0.011, 0.022, 0.014
    body_color = pick_color(rng, color)
    label_color = pick_color(rng, label_color)
    square = style == "square"
    taper = 0.12 if style == "tapered" else 0.0  # tapered: wider at the bottom, narrower at the top
    base_radius, top_radius = radius * (1 + taper), radius * (1 - taper)

    def width(z: float) -> float:  # body half-width at height z (linear taper)
        return base_radius + (top_radius - base_radius) * z / body_height

    z_label_lo, z_label_hi = 0.35 * body_height, 0.65 * body_height
    sections = [(0.0, z_label_lo, 1.0), (z_label_lo, z_label_hi, 1.004), (z_label_hi, body_height, 1.0)]
    lower, label, upper = (_hull(_ring(scale * width(z0), scale * width(z0), z0, square),
                                 _ring(scale * width(z1), scale * width(z1), z1, square))
                           for z0, z1, scale in sections)
    shoulder = _hull(_ring(top_radius, top_radius, body_height, square),
                     _ring(neck_radius, neck_radius, body_height + shoulder_height, False))
    neck_bottom = body_height + shoulder_height
    neck = cylinder(neck_radius, neck_height, z_bottom=neck_bottom, sections=20)
    cap = cylinder(neck_radius * 1.15, cap_height, z_bottom=neck_bottom + neck_height, sections=20)
    height = neck_bottom + neck_height + cap_height
    grip_z = 0.5 * body_height
    grasps = [pose((0.0, 0.0, grip_z), z_axis=-yaw_axis(yaw), y_axis=yaw_axis(yaw + np.pi / 2))
              for yaw in np.deg2rad(GRASP_YAWS_DEG)]
    labels = ["body"] * len(grasps)
    cap_grip = (0.0, 0.0, height - cap_height / 2)
    grasps += yawed_top_grasps(cap_grip, GRASP_YAWS_DEG)
    labels += ["cap"] * len(GRASP_YAWS_DEG)
    parts = [lower, label, upper, shoulder, neck, cap]
    colors = [body_color, label_color, body_color, body_color, body_color, rgba("white")]
    functional = resting_points(height)
    functional["cap"] = pose((0.0, 0.0, height))
    return ObjectAsset(
        name=name, kind="drink_bottle",
        visuals=[VisualPart(part, c) for part, c in zip(parts, colors)], collisions=parts,
        mass=BOTTLE_DENSITY * sum(part.volume for part in parts),
        grasps=grasps, grasp_labels=labels, functional_points=functional,
        contact_points={"body": np.array([radius, 0.0, grip_z]), "cap": np.array([0.0, 0.0, height]),
                        "bottom": np.array([0.0, 0.0, 0.0])},
    )


CAN_STYLES = {"soda": ((0.026, 0.029), (0.10, 0.12)), "tall": ((0.022, 0.025), (0.13, 0.15)),
              "squat": ((0.029, 0.032), (0.065, 0.08))}
"""Shape variants of `drink_can`: (radius range, height range) in metres (RoboTwin: 6 scanned cans)."""
CAN_DENSITY = 500.0
"""Effective density of a part-filled can (0.1-0.2 kg)."""
CAN_TOP_GRASP_DEPTH = 0.015
"""How far below the can's top the top-down grasp holds it (the finger pads reach 1 cm either side)."""


@register_kind("drink_can")
def make_drink_can(rng: np.random.Generator, *, style: str | None = None, color=None,
                   name: str = "drink_can") -> ObjectAsset:
    """Upright drink can of one of `CAN_STYLES`: a coloured body with a grey lid and a label band.
    Grasped from above across its top ("top", 8 headings: the hand can go down into a box or a
    basket) or around its middle ("side", 8 directions)."""
    drawn_style = sorted(CAN_STYLES)[int(rng.integers(len(CAN_STYLES)))]
    style = drawn_style if style is None else style
    if style not in CAN_STYLES:
        raise ValueError(f"style must be one of {sorted(CAN_STYLES)}, got {style!r}")
    (r_lo, r_hi), (h_lo, h_hi) = CAN_STYLES[style]
    radius, height = draw(rng, None, r_lo, r_hi, "radius"), draw(rng, None, h_lo, h_hi, "height")
    body_color, label_color = pick_color(rng, color), pick_color(rng, None)
    lid_height = 0.004
    body = cylinder(radius, height - lid_height, sections=32)
    label = cylinder(radius * 1.004, 0.4 * height, z_bottom=0.3 * height, sections=32)
    lid = cylinder(0.92 * radius, lid_height, z_bottom=height - lid_height, sections=32)
    top_grip = (0.0, 0.0, height - CAN_TOP_GRASP_DEPTH)
    grasps = yawed_top_grasps(top_grip, GRASP_YAWS_DEG)
    grasps += [pose((0.0, 0.0, 0.5 * height), z_axis=-yaw_axis(yaw), y_axis=yaw_axis(yaw + np.pi / 2))
               for yaw in np.deg2rad(GRASP_YAWS_DEG)]
    return ObjectAsset(
        name=name, kind="drink_can",
        visuals=[VisualPart(body, body_color), VisualPart(label, label_color), VisualPart(lid, rgba("gray"))],
        collisions=[body, lid], mass=CAN_DENSITY * (body.volume + lid.volume),
        grasps=grasps, grasp_labels=["top"] * len(GRASP_YAWS_DEG) + ["side"] * len(GRASP_YAWS_DEG),
        functional_points=resting_points(height),
        contact_points={"top": np.array([0.0, 0.0, height]), "side": np.array([radius, 0.0, 0.5 * height]),
                        "bottom": np.array([0.0, 0.0, 0.0])},
    )


declare_lookalikes("drink_bottle", "drink_can", "bottle", "can", "cup")  # upright cylinders of a bottle's size
