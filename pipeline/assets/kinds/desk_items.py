"""Small items of RoboTwin's single-arm placement tasks: the computer mouse, the stapler, the bar of
soap, the payment (QR code) sign, the desk fan, and what such items are placed on: the rectangular pad and the
electronic scale.

Frames follow RoboTwin's y-up meshes turned z-up: object +z = mesh +y (up), object +x = mesh +x,
object -y = mesh +z (the mesh's "front", e.g. the side a sign's face or a fan's grille looks to).
So RoboTwin's orientation checks, written on mesh quaternions, read the same on these objects
(`pipeline.tasks.placing.mesh_quaternion`). For the mouse this puts its length along object y
(buttons and wheel at +y) and its width along x, as a mouse mesh modelled facing +z has it; the
stapler likewise lies along y (hinge at -y, mouth at +y).
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, cylinder, horizontal_cylinder, pose
from pipeline.assets.kinds.blocks_and_pads import _flat_pad
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import declare_lookalikes, register_kind

DESK_ITEM_MASS = 0.05
"""kg; RoboTwin sets the mouse, stapler, bell, ... of its placement tasks to 0.05 kg."""
MOUSE_SHAPES = {"classic": (0.18, 0.35), "symmetric": (0.0, 0.0), "hump": (0.08, 0.6)}
"""Mouse shape variants (RoboTwin draws from several mouse models): (taper, hump). `taper` narrows
the front (+y) relative to the back; `hump` moves the highest point toward the back."""
MOUSE_GRASP_HEIGHT = 0.8
"""Grasp (TCP) height as a share of the mouse's height. The body is a dome, widest at its flat bottom,
and a Panda fingertip reaches ~9 mm below the TCP: with the TCP at 0.4 of the height (12-16 mm) the
fingers squeezed the bottom rim 3-8 mm up, so a pick region taken from the squeezing contacts splats
onto the table beside the mouse (place_mouse_pad, seeds 0-3: pick mass 0.51-0.66 with the region from
contacts that push). At 0.8 they squeeze 16-22 mm up (0.86-0.96). Not higher: at 0.9 the check failed on
4/20 easy and 6/20 hard seeds (0.85: 20/20). The annotator still takes the region from the open fingers'
zero-impulse approach contacts (13-24 mm up whatever the grasp), so its figure only rose 0.86 -> 0.89."""


def _mouse_body(length: float, width: float, height: float, taper: float, hump: float) -> trimesh.Trimesh:
    """Convex shell: the upper half of an ellipsoid with a flat bottom, tapered toward the front
    and with its crown shifted back by `hump`."""
    sphere = trimesh.creation.icosphere(subdivisions=2, radius=1.0)
    top = sphere.vertices[sphere.vertices[:, 2] >= 0.0]
    u, v, w = top[:, 0], top[:, 1], top[:, 2]
    x = u * width / 2 * (1.0 - taper * (v + 1.0) / 2)
    y = v * length / 2
    z = w * height * (1.0 - hump * 0.25 * (v + 1.0))  # lower toward the front when humped
    shell = np.c_[x, y, z]
    return trimesh.convex.convex_hull(np.vstack([shell, np.c_[x, y, np.zeros_like(z)]]))


@register_kind("mouse")
def make_mouse(rng: np.random.Generator, *, length: float | None = None, shape: str | None = None,
               color=None, name: str = "mouse") -> ObjectAsset:
    """Computer mouse, 9.5-12 cm long, 5.5-6.5 cm wide, 3-4 cm high, one of three shapes;
    grasped from above across its width."""
    length = draw(rng, length, 0.095, 0.12, "length")
    width = draw(rng, None, 0.055, 0.065, "width")
    height = draw(rng, None, 0.03, 0.04, "height")
    shapes = sorted(MOUSE_SHAPES)
    drawn = shapes[int(rng.integers(len(shapes)))]
    if shape is not None and shape not in MOUSE_SHAPES:
        raise ValueError(f"shape={shape!r} is not one of {shapes}")
    shape = shape or drawn
    body_color = pick_color(rng, color, exclude=("gray",))
    taper, hump = MOUSE_SHAPES[shape]
    body = _mouse_body(length, width, height, taper, hump)
    wheel_y = 0.28 * length
    wheel_top = float(body.vertices[np.abs(body.vertices[:, 1] - wheel_y) < 0.2 * length, 2].max())
    wheel = horizontal_cylinder(0.007, 0.006, (0.0, wheel_y, wheel_top - 0.005), (1.0, 0.0, 0.0), sections=16)
    grasp_z = MOUSE_GRASP_HEIGHT * height
    side_z = 0.4 * height
    grasps = [g for y in (-0.12 * length, 0.0, 0.12 * length)
              for g in yawed_top_grasps((0.0, y, grasp_z), (0, 180))]
    return ObjectAsset(
        name=name, kind="mouse",
        visuals=[VisualPart(body, body_color), VisualPart(wheel, rgba("gray"))],
        collisions=[body],
        mass=DESK_ITEM_MASS,
        grasps=grasps, grasp_labels=["body"] * len(grasps),
        functional_points=resting_points(float(body.vertices[:, 2].max())),
        contact_points={"top": np.array([0.0, -0.1 * length, 0.95 * height]),
                        "side_left": np.array([-width / 2 * 0.95, 0.0, side_z]),
                        "side_right": np.array([width / 2 * 0.95, 0.0, side_z])},
        material=PhysicalMaterial(static_friction=1.0, dynamic_friction=0.8),
    )


STAPLER_SHAPES = {"desk": (0.13, 0.15, 0.05, 0.06), "mini": (0.10, 0.12, 0.04, 0.048),
                  "flat": (0.13, 0.15, 0.035, 0.042)}
"""Stapler variants (RoboTwin draws from 7 models): length range and height range (m)."""
STAPLER_PRESS_AT = 0.25
"""Where the stapler is pressed (press_stapler), as a share of its length in front of its centre: on the
arm's sloping top, over the staple channel towards the mouth, where a hand presses a stapler."""


@register_kind("stapler")
def make_stapler(rng: np.random.Generator, *, shape: str | None = None, color=None,
                 name: str = "stapler") -> ObjectAsset:
    """Closed stapler lying along y: a dark base plate and a coloured arm sloping up from the mouth
    (+y) to the hinge block at the back (-y); one of three shapes; grasped from above across its
    width (3.5-4.5 cm) near the middle; functional "press" (z up, press along -z) on the arm's top."""
    shapes = sorted(STAPLER_SHAPES)
    drawn = shapes[int(rng.integers(len(shapes)))]
    if shape is not None and shape not in STAPLER_SHAPES:
        raise ValueError(f"shape={shape!r} is not one of {shapes}")
    shape = shape or drawn
    length_lo, length_hi, height_lo, height_hi = STAPLER_SHAPES[shape]
    length = draw(rng, None, length_lo, length_hi, "length")
    height = draw(rng, None, height_lo, height_hi, "height")
    width = draw(rng, None, 0.035, 0.045, "width")
    arm_color = pick_color(rng, color, exclude=("black", "gray"))
    base_height = 0.01
    base = box((width, length, base_height), (0.0, 0.0, base_height / 2))
    hinge_length = 0.25 * length
    hinge = box((0.9 * width, hinge_length, height - base_height),
                (0.0, -length / 2 + hinge_length / 2, (height + base_height) / 2))
    mouth_top = base_height + 0.45 * (height - base_height)
    half = 0.45 * width
    back, front = -length / 2 + hinge_length, length / 2 - 0.005
    arm = trimesh.convex.convex_hull(np.array(
        [[sx * half, y, z] for sx in (-1, 1) for y, z in ((back, base_height), (back, height),
                                                           (front, base_height), (front, mouth_top))]))
    grasp_z = base_height + 0.3 * (height - base_height)
    grasps = [g for y in (-0.1 * length, 0.05 * length) for g in yawed_top_grasps((0.0, y, grasp_z), (0, 180))]
    functional = resting_points(height)
    press_y = STAPLER_PRESS_AT * length
    functional["press"] = pose((0.0, press_y, height + (mouth_top - height) * (press_y - back) / (front - back)))
    return ObjectAsset(
        name=name, kind="stapler",
        visuals=[VisualPart(base, rgba("black")), VisualPart(hinge, rgba("gray")), VisualPart(arm, arm_color)],
        collisions=[base, hinge, arm],
        mass=DESK_ITEM_MASS,
        grasps=grasps, grasp_labels=["body"] * len(grasps),
        functional_points=functional,
        contact_points={"top": np.array([0.0, 0.1 * length, base_height + 0.7 * (height - base_height)]),
                        "side_left": np.array([-width / 2, 0.0, grasp_z]),
                        "side_right": np.array([width / 2, 0.0, grasp_z])},
    )


@register_kind("soap")
def make_soap(rng: np.random.Generator, *, length: float | None = None, color=None, name: str = "soap") -> ObjectAsset:
    """Bar of soap: a rounded slab (superellipse outline, 8-10 x 5-6 cm, 2.5-3.5 cm thick), more
    or less square-cornered per draw; grasped from above across its width (object x) at its middle
(fingers closing off the middle meet the curved outline at an angle and twist the bar)."""
    length = draw(rng, length, 0.08, 0.10, "length")
    width = draw(rng, None, 0.05, 0.06, "width")
    height = draw(rng, None, 0.025, 0.035, "height")
    exponent = draw(rng, None, 2.0, 5.0, "corner_exponent")  # 2: oval bar, 5: nearly rectangular
    color = pick_color(rng, color)
    t = np.linspace(0.0, 2 * np.pi, 40, endpoint=False)
    c, s = np.cos(t), np.sin(t)
    outline = np.c_[width / 2 * np.sign(c) * np.abs(c) ** (2 / exponent),
                    length / 2 * np.sign(s) * np.abs(s) ** (2 / exponent)]
    bevel = 0.006
    rings = [np.c_[outline * scale, np.full(len(outline), z)]
             for scale, z in ((1 - bevel / width * 2, 0.0), (1.0, bevel), (1.0, height - bevel),
                              (1 - bevel / width * 2, height))]
    mesh = trimesh.convex.convex_hull(np.vstack(rings))
    grasp_z = 0.5 * height
    grasps = yawed_top_grasps((0.0, 0.0, grasp_z), (0, 180))  # off centre, fingers on the rounded ends turn the bar
    return ObjectAsset(
        name=name, kind="soap", visuals=[VisualPart(mesh, color)], collisions=[mesh], mass=DESK_ITEM_MASS,
        grasps=grasps, grasp_labels=["body"] * len(grasps), functional_points=resting_points(height),
        contact_points={"top": np.array([0.0, 0.0, height]), "side_left": np.array([-width / 2, 0.0, grasp_z]),
                        "side_right": np.array([width / 2, 0.0, grasp_z])},
        material=PhysicalMaterial(static_friction=0.8, dynamic_friction=0.6),
    )


@register_kind("payment_sign")
def make_payment_sign(rng: np.random.Generator, *, height: float | None = None, slanted: bool | None = None,
                      color=None, name: str = "payment_sign") -> ObjectAsset:
    """Counter sign with a QR code: a panel (6-8 cm wide, 8-11 cm high) on a foot, upright or leaning
    back; the code faces object -y (RoboTwin's mesh front), its back is plain. Grasped from above
    across the panel's thickness, near its top edge."""
    height = draw(rng, height, 0.08, 0.11, "height")
    width = draw(rng, None, 0.06, 0.08, "width")
    thickness = draw(rng, None, 0.006, 0.01, "thickness")
    drawn_slant = bool(rng.random() < 0.5)
    slanted = drawn_slant if slanted is None else bool(slanted)
    frame_color = pick_color(rng, color, exclude=("white", "black"))
    foot_depth, foot_height = 0.04, 0.012
    lean = 0.012 if slanted else 0.0  # the panel top sits this far behind (+y) its bottom
    foot = box((width + 0.01, foot_depth, foot_height), (0.0, 0.0, foot_height / 2))
    half_w, half_t = width / 2, thickness / 2
    panel = trimesh.convex.convex_hull(np.array(
        [[sx * half_w, y0 + sy * half_t, z] for sx in (-1, 1) for sy in (-1, 1)
         for y0, z in ((0.0, foot_height), (lean, height))]))
    code_size = 0.7 * width
    code_z = foot_height + 0.45 * (height - foot_height)
    code_y = -half_t + lean * (code_z - foot_height) / (height - foot_height) - 0.0008
    code = box((code_size, 0.0016, code_size), (0.0, code_y, code_z))
    grasp_z = height - 0.03
    grasp_y = lean * (grasp_z - foot_height) / (height - foot_height)
    grasps = [g for x in (-0.2 * width, 0.0, 0.2 * width) for g in yawed_top_grasps((x, grasp_y, grasp_z), (90, 270))]
    return ObjectAsset(
        name=name, kind="payment_sign",
        visuals=[VisualPart(foot, frame_color), VisualPart(panel, rgba("white")), VisualPart(code, rgba("black"))],
        collisions=[foot, panel],
        mass=DESK_ITEM_MASS,
        grasps=grasps, grasp_labels=["panel_top"] * len(grasps),
        functional_points=resting_points(height),
        contact_points={"code": np.array([0.0, code_y, code_z]), "panel_top": np.array([0.0, lean, height])},
    )


@register_kind("desk_fan")
def make_desk_fan(rng: np.random.Generator, *, head_radius: float | None = None, color=None,
                  name: str = "desk_fan") -> ObjectAsset:
    """Small desk fan: a round foot, a post and a round head whose grille faces object -y (RoboTwin's
    mesh front) with a hub in its centre; sizes vary per draw. Grasped from above across the head's
    depth near its top. The foot (12-14 cm across) is wider than the head: with a 9-11 cm foot the
    0.01 kg, top-heavy fan rocked after release and turned out of place_fan's 8.1 deg."""
    head_radius = draw(rng, head_radius, 0.045, 0.06, "head_radius")
    head_depth = draw(rng, None, 0.03, 0.04, "head_depth")
    post_height = draw(rng, None, 0.03, 0.05, "post_height")
    foot_radius = draw(rng, None, 0.06, 0.07, "foot_radius")
    body_color = pick_color(rng, color, exclude=("gray",))
    foot_height = 0.015
    foot = cylinder(foot_radius, foot_height, sections=32)
    post = cylinder(0.01, post_height + 0.01, z_bottom=foot_height, sections=16)
    center_z = foot_height + post_height + head_radius
    head = horizontal_cylinder(head_radius, head_depth, (0.0, 0.0, center_z), (0.0, 1.0, 0.0), sections=32)
    hub = horizontal_cylinder(0.015, 0.006, (0.0, -head_depth / 2 - 0.002, center_z), (0.0, 1.0, 0.0), sections=16)
    top = center_z + head_radius
    grasp_z = top - 0.015
    grasps = yawed_top_grasps((0.0, 0.0, grasp_z), (90, 270))
    return ObjectAsset(
        name=name, kind="desk_fan",
        visuals=[VisualPart(foot, body_color), VisualPart(post, body_color), VisualPart(head, rgba("gray")),
                 VisualPart(hub, body_color)],
        collisions=[foot, post, head],
        mass=0.01,  # RoboTwin's fan mass
        grasps=grasps, grasp_labels=["head_top"] * len(grasps),
        functional_points=resting_points(top),
        contact_points={"grille": np.array([0.0, -head_depth / 2, center_z]), "head_top": np.array([0.0, 0.0, top])},
    )


@register_kind("electronic_scale")
def make_electronic_scale(rng: np.random.Generator, *, size: float | None = None, round_platform: bool | None = None,
                          color=None, name: str = "electronic_scale") -> ObjectAsset:
    """Kitchen scale: a flat housing (14-18 cm square, 2-3 cm high) with a square or round weighing
    platform on top and a display strip at its front (-y); functional "top" = platform centre."""
    size = draw(rng, size, 0.14, 0.18, "size")
    housing_height = draw(rng, None, 0.018, 0.028, "housing_height")
    drawn_round = bool(rng.random() < 0.5)
    round_platform = drawn_round if round_platform is None else bool(round_platform)
    housing_color = pick_color(rng, color)
    platform_color = pick_color(rng, None, exclude=("black",))
    platform_height = 0.004
    housing = box((size, size, housing_height), (0.0, 0.0, housing_height / 2))
    platform_center_y = 0.08 * size
    platform_span = 0.75 * size
    if round_platform:
        platform = cylinder(platform_span / 2, platform_height, z_bottom=housing_height,
                            center_xy=(0.0, platform_center_y), sections=40)
    else:
        platform = box((platform_span, platform_span, platform_height),
                       (0.0, platform_center_y, housing_height + platform_height / 2))
    display = box((0.4 * size, 0.08 * size, 0.002), (0.0, -0.42 * size, housing_height + 0.001))
    top = housing_height + platform_height
    functional = resting_points(top)
    functional["top"] = pose((0.0, platform_center_y, top))
    return ObjectAsset(
        name=name, kind="electronic_scale",
        visuals=[VisualPart(housing, housing_color), VisualPart(platform, platform_color),
                 VisualPart(display, rgba("black"))],
        collisions=[housing, platform],
        mass=DESK_ITEM_MASS,
        functional_points=functional,
        contact_points={"platform": np.array([0.0, platform_center_y, top])},
        material=PhysicalMaterial(static_friction=1.0, dynamic_friction=0.8),
    )


@register_kind("rect_pad")
def make_rect_pad(rng: np.random.Generator, *, size_x: float | None = None, size_y: float | None = None,
                  thickness: float | None = None, color=None, name: str = "rect_pad") -> ObjectAsset:
    """Rectangular pad (RoboTwin's coloured pad boxes: mouse pad, stapler pad, fan pad); its
    "top" x axis is the pad's x side."""
    size_x = draw(rng, size_x, 0.06, 0.14, "size_x")
    size_y = draw(rng, size_y, 0.06, 0.14, "size_y")
    thickness = draw(rng, thickness, 0.001, 0.003, "thickness")
    mesh = box((size_x, size_y, thickness), (0.0, 0.0, thickness / 2))
    return _flat_pad("rect_pad", mesh, pick_color(rng, color), name, thickness)


declare_lookalikes("rect_pad", "coaster", "target_pad", "shoe_mat")  # flat coloured pads
