"""Small geometric building blocks shared by all procedural object kinds.

Every kind is assembled from a handful of primitives (boxes, cylinders, convex hulls) placed in
the object frame, and annotated with 4x4 poses. Keeping the primitives and pose constructors here
means each kind module only states *what* the object looks like, not how to build matrices.

Object-frame convention for every kind: origin at the centre of the footprint on the support
surface (z = 0 is the bottom), +z up.
"""

from __future__ import annotations

import numpy as np
import trimesh

UP = np.array([0.0, 0.0, 1.0])
DOWN = -UP


def pose(position, z_axis=UP, y_axis=(0.0, 1.0, 0.0)) -> np.ndarray:
    """4x4 pose at `position` whose z axis is `z_axis` and whose y axis is `y_axis`.

    `y_axis` is orthogonalised against `z_axis`; x completes a right-handed frame.
    """
    z = np.asarray(z_axis, dtype=float)
    z = z / np.linalg.norm(z)
    y = np.asarray(y_axis, dtype=float)
    y = y - z * float(y @ z)
    norm = np.linalg.norm(y)
    if norm < 1e-9:
        raise ValueError(f"y_axis {y_axis} is parallel to z_axis {z_axis}")
    y = y / norm
    matrix = np.eye(4)
    matrix[:3, 0] = np.cross(y, z)
    matrix[:3, 1] = y
    matrix[:3, 2] = z
    matrix[:3, 3] = position
    return matrix


def top_down_grasp(position, opening_axis) -> np.ndarray:
    """TCP pose approaching straight down with the fingers opening along `opening_axis`."""
    return pose(position, z_axis=DOWN, y_axis=opening_axis)


def yaw_axis(angle: float) -> np.ndarray:
    """Horizontal unit vector at `angle` radians from +x."""
    return np.array([np.cos(angle), np.sin(angle), 0.0])


def box(extents, center=(0.0, 0.0, 0.0)) -> trimesh.Trimesh:
    """Axis-aligned box with full `extents`, centred at `center`."""
    return trimesh.creation.box(extents=extents, transform=trimesh.transformations.translation_matrix(center))


def cylinder(radius: float, height: float, z_bottom: float = 0.0, center_xy=(0.0, 0.0),
             sections: int = 32) -> trimesh.Trimesh:
    """Vertical cylinder standing on `z_bottom`."""
    transform = trimesh.transformations.translation_matrix((*center_xy, z_bottom + height / 2))
    return trimesh.creation.cylinder(radius=radius, height=height, sections=sections, transform=transform)


def horizontal_cylinder(radius: float, length: float, center, axis, sections: int = 24) -> trimesh.Trimesh:
    """Cylinder of `length` along the horizontal direction `axis`, centred at `center`."""
    mesh = trimesh.creation.cylinder(radius=radius, height=length, sections=sections)
    rotation = trimesh.geometry.align_vectors(UP, np.asarray(axis, dtype=float))
    mesh.apply_transform(rotation)
    mesh.apply_translation(center)
    return mesh


def tube(inner_radius: float, outer_radius: float, height: float, z_bottom: float = 0.0,
         sections: int = 48) -> trimesh.Trimesh:
    """Watertight vertical tube (a cup or pot wall), for rendering and surface sampling."""
    transform = trimesh.transformations.translation_matrix((0.0, 0.0, z_bottom + height / 2))
    return trimesh.creation.annulus(r_min=inner_radius, r_max=outer_radius, height=height,
                                    sections=sections, transform=transform)


def tube_collision(inner_radius: float, outer_radius: float, height: float, z_bottom: float = 0.0,
                   segments: int = 12) -> list[trimesh.Trimesh]:
    """Convex decomposition of a tube wall into `segments` boxes placed around the axis."""
    thickness = outer_radius - inner_radius
    mid_radius = (inner_radius + outer_radius) / 2
    tangential = 2 * outer_radius * np.tan(np.pi / segments)
    parts = []
    for i in range(segments):
        angle = 2 * np.pi * i / segments
        part = trimesh.creation.box(extents=(thickness, tangential, height))
        part.apply_transform(trimesh.transformations.rotation_matrix(angle, UP))
        part.apply_translation((mid_radius * np.cos(angle), mid_radius * np.sin(angle), z_bottom + height / 2))
        parts.append(part)
    return parts


def dome(radius: float, height: float, z_bottom: float, subdivisions: int = 2) -> trimesh.Trimesh:
    """Convex upper half-ellipsoid of base `radius` and `height` sitting on `z_bottom`."""
    sphere = trimesh.creation.icosphere(subdivisions=subdivisions, radius=1.0)
    points = sphere.vertices[sphere.vertices[:, 2] >= 0.0]
    points = np.vstack([points, np.c_[points[:, :2], np.zeros(len(points))]])
    points = points * (radius, radius, height) + (0.0, 0.0, z_bottom)
    return trimesh.convex.convex_hull(points)
