"""The laptop (open_laptop task): a keyboard base and a lid on a damped revolute hinge.

Object frame: origin under the base centre, hinge along the back edge (+y), front towards -y.
The hinge holds its angle like a real friction hinge. The lid link frame is the joint frame:
x along the hinge (object -x), y from the hinge to the lid's front edge, z the lid normal pointing
away from the keyboard when closed. Positive joint angles open the lid; pushing the screen side
near the front edge along lid +z opens it.
"""

from __future__ import annotations

import numpy as np

from pipeline.assets.geometry import box, pose
from pipeline.assets.kinds.common import draw, pick_color, resting_points
from pipeline.assets.object_asset import Hinge, ObjectAsset, PhysicalMaterial, VisualPart
from pipeline.assets.palette import rgba
from pipeline.assets.registry import register_kind

BASE_MASS = 1.2
LID_MASS = 0.25
HINGE_LIMITS = (0.0, 1.9)
HINGE_DAMPING = 0.2  # N m s / rad: a 2 N push at the front edge opens it at about 1.5 rad/s


@register_kind("laptop", articulated=True)
def make_laptop(rng: np.random.Generator, *, length: float | None = None, depth: float | None = None,
                initial_angle: float | None = None, color=None, name: str = "laptop") -> ObjectAsset:
    """Laptop of 22-28 cm x 16-20 cm whose lid starts slightly open (0.35-0.6 rad)."""
    length = draw(rng, length, 0.22, 0.28, "length")
    depth = draw(rng, depth, 0.16, 0.20, "depth")
    initial_angle = draw(rng, initial_angle, 0.35, 0.6, "initial_angle")
    base_height, lid_thickness = 0.018, 0.008
    shell_color = pick_color(rng, color, exclude=("white", "yellow"))
    base = box((length, depth, base_height), (0.0, 0.0, base_height / 2))
    keyboard = box((0.8 * length, 0.45 * depth, 0.002), (0.0, 0.05 * depth, base_height))
    lid = box((length, depth, lid_thickness), (0.0, depth / 2, lid_thickness / 2))
    screen = box((0.85 * length, 0.8 * depth, 0.002), (0.0, depth / 2, 0.0))
    hinge = Hinge(
        name="lid",
        visuals=[VisualPart(lid, shell_color), VisualPart(screen, rgba("black"))],
        collisions=[lid], mass=LID_MASS,
        axis_pose=pose((0.0, depth / 2, base_height), y_axis=(0.0, -1.0, 0.0)),
        limits=HINGE_LIMITS, damping=HINGE_DAMPING, initial_angle=initial_angle,
        contact_points={"lid_push": np.array([0.0, depth - 0.015, 0.0]),
                        "lid_front_edge": np.array([0.0, depth, lid_thickness / 2])},
    )
    return ObjectAsset(
        name=name, kind="laptop",
        visuals=[VisualPart(base, shell_color), VisualPart(keyboard, rgba("gray"))],
        collisions=[base], mass=BASE_MASS,
        functional_points=resting_points(base_height),
        contact_points={"keyboard": np.array([0.0, 0.05 * depth, base_height])},
        material=PhysicalMaterial(static_friction=1.5, dynamic_friction=1.2),
        hinge=hinge,
    )
