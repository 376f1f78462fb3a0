"""Desk items placed with a target orientation (RoboTwin's placement tasks): the computer mouse and
the rectangular pad it (or another object) is placed on.

Frames follow RoboTwin's y-up meshes turned z-up: object +z = mesh +y (up), object +x = mesh +x,
object -y = mesh +z (the mesh's "front", e.g. the side a sign's face or a fan's grille looks to).
So RoboTwin's orientation checks, written on mesh quaternions, read the same on these objects
(`pipeline.tasks.placing.mesh_quaternion`). For the mouse this puts its length along object y
(buttons and wheel at +y) and its width along x, as a mouse mesh modelled facing +z has it.
"""

from __future__ import annotations

import numpy as np
import trimesh

from pipeline.assets.geometry import box, horizontal_cylinder
from pipeline.assets.kinds.blocks_and_pads import _flat_pad
from pipeline.assets.kinds.common import draw, pick_color, resting_points, yawed_top_grasps
from pipeline.assets.object_asset import ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import declare_lookalikes, register_kind

MOUSE_MASS = 0.05
"""kg; RoboTwin sets every mouse (and stapler, bell, ... in the placement tasks) to 0.05 kg."""
MOUSE_SHAPES = {"classic": (0.18, 0.35), "symmetric": (0.0, 0.0), "hump": (0.08, 0.6)}
"""Mouse shape variants (RoboTwin draws from several mouse models): (taper, hump). `taper` narrows
the front (+y) relative to the back; `hump` moves the highest point toward the back."""


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
    grasp_z = 0.4 * height
    grasps = [g for y in (-0.12 * length, 0.0, 0.12 * length)
              for g in yawed_top_grasps((0.0, y, grasp_z), (0, 180))]
    return ObjectAsset(
        name=name, kind="mouse",
        visuals=[VisualPart(body, body_color), VisualPart(wheel, rgba("gray"))],
        collisions=[body],
        mass=MOUSE_MASS,
        grasps=grasps, grasp_labels=["body"] * len(grasps),
        functional_points=resting_points(float(body.vertices[:, 2].max())),
        contact_points={"top": np.array([0.0, -0.1 * length, 0.95 * height]),
                        "side_left": np.array([-width / 2 * 0.95, 0.0, grasp_z]),
                        "side_right": np.array([width / 2 * 0.95, 0.0, grasp_z])},
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
