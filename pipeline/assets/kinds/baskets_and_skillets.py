"""Baskets, the skillet and the things put into them: RoboTwin's `110_basket` (place_can_basket,
place_object_basket), `076_breadbasket` and `075_bread` (place_bread_basket), `106_skillet`
(place_bread_skillet) and `057_toycar` (place_object_basket; its other object, RoboTwin's
`081_playingcards`, is the kind "card_deck" of pipeline/assets/kinds/stamps_and_cards.py, the deck
move_playingcard_away moves: one model, as in RoboTwin).

The containers are concave, so their collision is a convex decomposition (floor, wall boxes or
slats, pan ring segments, handle). The basket is lifted by one end with a single hand, so its
grasps ("rim_+x", "rim_-x") clamp an end wall across its thickness: the wall then sits flat between
the finger pads, which resists the basket's weight tipping it about the grip (a grip across a
horizontal bar would hold that torque by pad friction only). The skillet is lifted by its handle
from above; RoboTwin's skillet weighs 0.01 kg, so pad friction holds it level given a grippy
(silicone-coated) surface: with the default friction the held pan drooped 13 deg and slipped.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, cylinder, pose, top_down_grasp, tube, tube_collision
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.registry import declare_lookalikes, register_kind

WICKER_DENSITY = 500.0
BREAD_DENSITY = 250.0
METAL_DENSITY = 2000.0
TOY_DENSITY = 600.0
BASKET_STYLES = ("solid", "slatted")
"""`basket` variants: plain walls, or walls of vertical slats under a rim band."""
BREAD_BASKET_STYLES = ("round", "oval", "square")
BREAD_STYLES = {"loaf": ((0.08, 0.095), (0.045, 0.055), (0.04, 0.05)),
                "roll": ((0.065, 0.08), (0.045, 0.052), (0.035, 0.045)),
                "bun": ((0.05, 0.055), (0.05, 0.055), (0.03, 0.04))}
"""`bread` variants: (length, width, height) ranges in metres (RoboTwin: 5 scanned loaves). At most
5.5 cm wide: two loaves lie side by side in the bread basket, 8.4 cm apart, with room for the
opened fingers between them."""
RIM_GRIP_DEPTH = 0.025
"""How far below an end wall's top the basket's rim grasp clamps it: the pads then hold 3 cm of wall,
enough couple to hold a 0.5 kg basket by one end (1.2 cm let it tip 25 deg and a can fall out)."""
BREAD_CRUST = (0.78, 0.52, 0.25, 1.0)
TYRE = (0.1, 0.1, 0.1, 1.0)
SKEWED_ACROSS_Y_DEG = (70, 90, 110, 250, 270, 290)
"""Top-grasp headings across a narrow object's width (y), square or skewed by 20 deg, from either side:
at some headings a low top-down grasp near a Panda's base has no IK solution (hard setting, lowered
table), so the square grasps alone lost place_bread_basket hard seeds 2 and 3."""


def _open_box(length: float, width: float, height: float, wall: float, floor: float) -> list[trimesh.Trimesh]:
    """Floor and four walls of an open rectangular box, as convex boxes."""
    z = floor + (height - floor) / 2
    parts = [box((length, width, floor), (0.0, 0.0, floor / 2))]
    parts += [box((wall, width, height - floor), (s * (length - wall) / 2, 0.0, z)) for s in (-1.0, 1.0)]
    parts += [box((length - 2 * wall, wall, height - floor), (0.0, s * (width - wall) / 2, z)) for s in (-1.0, 1.0)]
    return parts


def _slatted_walls(length: float, width: float, height: float, wall: float, floor: float,
                   band: float) -> list[trimesh.Trimesh]:
    """Floor, a closed rim band of height `band` round the top, and vertical slats under it."""
    parts = [box((length, width, floor), (0.0, 0.0, floor / 2))]
    z_band = height - band / 2
    parts += [box((wall, width, band), (s * (length - wall) / 2, 0.0, z_band)) for s in (-1.0, 1.0)]
    parts += [box((length - 2 * wall, wall, band), (0.0, s * (width - wall) / 2, z_band)) for s in (-1.0, 1.0)]
    slat, slat_height = 0.014, height - band - floor
    z_slat = floor + slat_height / 2
    for span, along_x in ((length, True), (width, False)):
        count = max(2, int(span / (2 * slat)))
        for c in np.linspace(-(span - wall - slat) / 2, (span - wall - slat) / 2, count):
            for s in (-1.0, 1.0):
                if along_x:
                    parts.append(box((slat, wall, slat_height), (c, s * (width - wall) / 2, z_slat)))
                else:
                    parts.append(box((wall, slat, slat_height), (s * (length - wall) / 2, c, z_slat)))
    return parts


@register_kind("basket")
def make_basket(rng: np.random.Generator, *, style: str | None = None, color=None, name: str = "basket") -> ObjectAsset:
    """Rectangular basket 23-26 x 15-17 cm, 6-8 cm deep, of one of `BASKET_STYLES`. Two placing spots
    on its floor ("slot_-x", "slot_+x": RoboTwin's fp0/fp1, one in each half along x); lifted by
    one end wall ("rim_+x" / "rim_-x": top-down, fingers opening along x across the wall)."""
    drawn_style = BASKET_STYLES[int(rng.integers(len(BASKET_STYLES)))]
    style = drawn_style if style is None else style
    if style not in BASKET_STYLES:
        raise ValueError(f"style must be one of {BASKET_STYLES}, got {style!r}")
    length, width = draw(rng, None, 0.23, 0.26, "length"), draw(rng, None, 0.15, 0.17, "width")
    height = draw(rng, None, 0.06, 0.08, "height")
    wall, floor = 0.006, 0.006
    color = pick_color(rng, color)
    if style == "solid":
        parts = _open_box(length, width, height, wall, floor)
    else:
        parts = _slatted_walls(length, width, height, wall, floor, band=0.035)
    functional = resting_points(height)
    contacts = {"inside_bottom": np.array([0.0, 0.0, floor])}
    grasps, labels = [], []
    for sign in (-1.0, 1.0):
        tag = "+x" if sign > 0 else "-x"
        spot = np.array([sign * (length - 2 * wall) / 4, 0.0, floor])
        functional[f"slot_{tag}"] = pose(spot)
        contacts[f"slot_{tag}"] = spot
        grip = np.array([sign * (length - wall) / 2, 0.0, height - RIM_GRIP_DEPTH])
        grasps += [top_down_grasp(grip, (1.0, 0.0, 0.0)), top_down_grasp(grip, (-1.0, 0.0, 0.0))]
        labels += [f"rim_{tag}"] * 2
        functional[f"rim_{tag}"] = pose(grip, z_axis=(sign, 0.0, 0.0))
        contacts[f"rim_{tag}"] = grip
    return ObjectAsset(
        name=name, kind="basket", visuals=[VisualPart(part, color) for part in parts], collisions=parts,
        mass=WICKER_DENSITY * sum(part.volume for part in parts),
        grasps=grasps, grasp_labels=labels, functional_points=functional, contact_points=contacts,
    )


@register_kind("bread_basket")
def make_bread_basket(rng: np.random.Generator, *, style: str | None = None, color=None,
                      name: str = "bread_basket") -> ObjectAsset:
    """Shallow bread basket (4-5.5 cm deep) of one of `BREAD_BASKET_STYLES`: round (22-25 cm across),
    oval or square; its floor centre is "inside" (RoboTwin's fp0), where loaves are put. It carries
    no grasps: RoboTwin's expert never lifts it."""
    drawn_style = BREAD_BASKET_STYLES[int(rng.integers(len(BREAD_BASKET_STYLES)))]
    style = drawn_style if style is None else style
    if style not in BREAD_BASKET_STYLES:
        raise ValueError(f"style must be one of {BREAD_BASKET_STYLES}, got {style!r}")
    radius, height = draw(rng, None, 0.11, 0.125, "radius"), draw(rng, None, 0.04, 0.055, "height")
    wall, floor = 0.006, 0.006
    color = pick_color(rng, color)
    if style == "square":
        parts = _open_box(2 * radius, 2 * radius, height, wall, floor)
        visual_parts = parts
    else:
        visual_parts = [tube(radius - wall, radius, height - floor, z_bottom=floor), cylinder(radius, floor, sections=48)]
        parts = [cylinder(radius, floor, sections=16)] + tube_collision(radius - wall, radius, height - floor, floor, segments=16)
        if style == "oval":
            stretch = np.diag([1.0, 0.9, 1.0, 1.0])
            visual_parts = [mesh.copy().apply_transform(stretch) for mesh in visual_parts]
            parts = [mesh.copy().apply_transform(stretch) for mesh in parts]
    functional = resting_points(height)
    functional["inside"] = pose((0.0, 0.0, floor))
    return ObjectAsset(
        name=name, kind="bread_basket", visuals=[VisualPart(part, color) for part in visual_parts], collisions=parts,
        mass=WICKER_DENSITY * sum(part.volume for part in parts),
        functional_points=functional,
        contact_points={"inside_bottom": np.array([0.0, 0.0, floor]), "rim": np.array([radius - wall / 2, 0.0, height])},
    )


@register_kind("bread")
def make_bread(rng: np.random.Generator, *, style: str | None = None, name: str = "bread") -> ObjectAsset:
    """A loaf, roll or bun (`BREAD_STYLES`): a rounded convex hull, grasped from above across its
    width (y, <= 5.5 cm) square or skewed (`SKEWED_ACROSS_Y_DEG`), or along any of 8 headings for
    the round bun ("top")."""
    drawn_style = sorted(BREAD_STYLES)[int(rng.integers(len(BREAD_STYLES)))]
    style = drawn_style if style is None else style
    if style not in BREAD_STYLES:
        raise ValueError(f"style must be one of {sorted(BREAD_STYLES)}, got {style!r}")
    (l_lo, l_hi), (w_lo, w_hi), (h_lo, h_hi) = BREAD_STYLES[style]
    length, width, height = draw(rng, None, l_lo, l_hi, "length"), draw(rng, None, w_lo, w_hi, "width"), \
        draw(rng, None, h_lo, h_hi, "height")
    shade = draw(rng, None, 0.8, 1.15, "shade")
    colour = (*np.clip(np.array(BREAD_CRUST[:3]) * shade, 0.0, 1.0), 1.0)
    base = 0.3 * height
    # a flat-bottomed block up to 30% of the height, under a dome over the same footprint
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    top = sphere.vertices[sphere.vertices[:, 2] >= 0.0] * (length / 2, width / 2, height - base) + (0.0, 0.0, base)
    bottom = sphere.vertices[np.abs(sphere.vertices[:, 2]) < 0.2][:, :2] * (0.97 * length / 2, 0.97 * width / 2)
    body = trimesh.convex.convex_hull(np.vstack([top, np.c_[bottom, np.zeros(len(bottom))]]))
    grip = (0.0, 0.0, 0.5 * height)
    yaws = (0, 45, 90, 135, 180, 225, 270, 315) if style == "bun" else SKEWED_ACROSS_Y_DEG
    return ObjectAsset(
        name=name, kind="bread", visuals=[VisualPart(body, colour)], collisions=[body],
        mass=BREAD_DENSITY * body.volume,
        grasps=yawed_top_grasps(grip, yaws), grasp_labels=["top"] * len(yaws),
        functional_points=resting_points(height),
        contact_points={"top": np.array([0.0, 0.0, height]), "side": np.array([0.0, width / 2, 0.5 * height]),
                        "bottom": np.array([0.0, 0.0, 0.0])},
    )


@register_kind("skillet")
def make_skillet(rng: np.random.Generator, *, color=None, name: str = "skillet") -> ObjectAsset:
    """Frying pan (radius 7.5-9 cm, 3-4 cm deep) with a straight handle along +x; grasped from above
    across the handle ("handle", fingers opening along y); "inside" is the pan floor's centre
    (RoboTwin's fp0), where food is put."""
    radius, height = draw(rng, None, 0.075, 0.09, "radius"), draw(rng, None, 0.03, 0.04, "height")
    handle_length = draw(rng, None, 0.11, 0.14, "handle_length")
    wall, floor = 0.005, 0.006
    body_color = pick_color(rng, color, exclude=("white",))
    handle_color = pick_color(rng, None)
    handle_z, handle_thickness, handle_width = height - 0.012, 0.014, 0.022
    handle = box((handle_length + wall, handle_width, handle_thickness),
                 (radius - wall / 2 + (handle_length + wall) / 2, 0.0, handle_z))
    visuals = [VisualPart(tube(radius - wall, radius, height - floor, z_bottom=floor), body_color),
               VisualPart(cylinder(radius, floor, sections=48), body_color), VisualPart(handle, handle_color)]
    collisions = [cylinder(radius, floor, sections=16)] + tube_collision(radius - wall, radius, height - floor, floor,
                                                                         segments=16) + [handle]
    grips = [np.array([radius + f * handle_length, 0.0, handle_z]) for f in (0.3, 0.5)]  # near the pan: a short lever
    grasps = [top_down_grasp(g, (0.0, s, 0.0)) for g in grips for s in (1.0, -1.0)]
    functional = resting_points(height)
    functional["inside"] = pose((0.0, 0.0, floor))
    functional["handle"] = pose(grips[0], z_axis=(1.0, 0.0, 0.0))
    return ObjectAsset(
        name=name, kind="skillet", visuals=visuals, collisions=collisions,
        mass=METAL_DENSITY * sum(part.volume for part in collisions),
        grasps=grasps, grasp_labels=["handle"] * len(grasps), functional_points=functional,
        contact_points={"inside_bottom": np.array([0.0, 0.0, floor]), "handle": grips[0]},
        material=PhysicalMaterial(static_friction=2.0, dynamic_friction=2.0),
    )


@register_kind("toy_car")
def make_toy_car(rng: np.random.Generator, *, color=None, name: str = "toy_car") -> ObjectAsset:
    """Toy car 8-10 cm long (+x forward): chassis on four wheels, a cabin on top (a saloon, or a
    pickup with the cabin forward); grasped from above around the cabin, across its width ("top")."""
    length, width = draw(rng, None, 0.08, 0.10, "length"), draw(rng, None, 0.04, 0.05, "width")
    wheel_r, chassis_h = draw(rng, None, 0.009, 0.012, "wheel_radius"), draw(rng, None, 0.015, 0.02, "chassis")
    pickup = bool(rng.random() < 0.5)
    body_color = pick_color(rng, color, exclude=("black",))
    cabin_color = pick_color(rng, None, exclude=("black",))
    chassis_z = 0.6 * wheel_r
    chassis = box((length, width, chassis_h), (0.0, 0.0, chassis_z + chassis_h / 2))
    cabin_len, cabin_x = (0.4 * length, 0.12 * length) if pickup else (0.5 * length, -0.05 * length)
    cabin_h = 0.7 * chassis_h + 0.008
    cabin_top = chassis_z + chassis_h + cabin_h
    cabin = box((cabin_len, 0.85 * width, cabin_h), (cabin_x, 0.0, chassis_z + chassis_h + cabin_h / 2))
    wheels = [cylinder(wheel_r, 0.008, z_bottom=-0.004) for _ in range(4)]
    for wheel, (sx, sy) in zip(wheels, ((1, 1), (1, -1), (-1, 1), (-1, -1))):
        wheel.apply_transform(trimesh.transformations.rotation_matrix(np.pi / 2, (1.0, 0.0, 0.0)))
        wheel.apply_translation((sx * 0.32 * length, sy * (width / 2 - 0.004), wheel_r))
    grip = (cabin_x, 0.0, chassis_z + chassis_h)
    parts = [chassis, cabin] + wheels
    return ObjectAsset(
        name=name, kind="toy_car",
        visuals=[VisualPart(chassis, body_color), VisualPart(cabin, cabin_color)] + [VisualPart(w, TYRE) for w in wheels],
        collisions=parts, mass=TOY_DENSITY * sum(part.volume for part in parts),
        grasps=yawed_top_grasps(grip, SKEWED_ACROSS_Y_DEG), grasp_labels=["top"] * len(SKEWED_ACROSS_Y_DEG),
        functional_points=resting_points(cabin_top),
        contact_points={"top": np.array([cabin_x, 0.0, cabin_top]), "side": np.array([0.0, width / 2, chassis_z + chassis_h / 2]),
                        "bottom": np.array([0.0, 0.0, 0.0])},
    )


declare_lookalikes("basket", "bread_basket", "plastic_box", "tray")  # open containers things are put into
declare_lookalikes("skillet", "pot")  # cookware with handles
declare_lookalikes("bread", "burger")  # baked food
