"""Render-weight copies of the Panda's visual meshes.

Why: pybullet's Panda visual meshes hold ~100k triangles per arm. On lavapipe (Vulkan on the
CPU) the vertex work of two arms is ~85% of every frame: 63 ms for the three cameras at 96x128,
9 ms with the robots hidden (2026-11-21). Each part of a mesh is decimated (open3d quadric
decimation) to at most FACES_PER_PART triangles and painted with its mean colour; the source
parts sample a 1024x1024 palette texture whose gradients are invisible at dataset resolutions.
Collision meshes are not touched: physics and motion planning are the same.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

FACES_PER_PART = 1500
"""Triangle budget of one part (one material group of a link's OBJ)."""
VERSION = f"decimated-{FACES_PER_PART}-v1"
"""Part of the robot cache key: a change here rebuilds the cached meshes."""
SPECULAR = 0.06
"""Specular strength of every part (the source materials' Ks)."""


def part_colour(geometry) -> np.ndarray:
    """Mean RGB in [0, 1] of a trimesh part: its texture sampled at its UVs, else its diffuse colour."""
    visual = geometry.visual
    material = getattr(visual, "material", None)
    image = getattr(material, "image", None)
    uv = getattr(visual, "uv", None)
    if image is not None and uv is not None and len(uv):
        texture = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
        h, w = texture.shape[:2]
        cols = np.clip(np.round((uv[:, 0] % 1.0) * (w - 1)).astype(int), 0, w - 1)
        rows = np.clip(np.round((1.0 - uv[:, 1] % 1.0) * (h - 1)).astype(int), 0, h - 1)
        return texture[rows, cols].mean(axis=0)
    if material is not None and getattr(material, "diffuse", None) is not None:
        return np.asarray(material.diffuse[:3], dtype=np.float32) / 255.0
    return np.asarray(visual.main_color[:3], dtype=np.float32) / 255.0


def decimate(vertices: np.ndarray, faces: np.ndarray, max_faces: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices, faces, vertex normals) of the part reduced to at most `max_faces` triangles."""
    import open3d as o3d

    mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(vertices, dtype=np.float64)),
                                     o3d.utility.Vector3iVector(np.asarray(faces, dtype=np.int32)))
    mesh = mesh.merge_close_vertices(1e-7)  # texture seams split vertices: join them or decimation tears
    if len(mesh.triangles) > max_faces:
        mesh = mesh.simplify_quadric_decimation(target_number_of_triangles=max_faces)
    mesh = mesh.remove_degenerate_triangles().remove_unreferenced_vertices()
    mesh.compute_vertex_normals()
    return np.asarray(mesh.vertices), np.asarray(mesh.triangles), np.asarray(mesh.vertex_normals)


def simplify_obj(path: Path, max_faces: int = FACES_PER_PART) -> None:
    """Rewrite the OBJ at `path` (and its MTL) as decimated parts with one flat colour each."""
    import trimesh

    loaded = trimesh.load(path, process=False)
    parts = list(loaded.geometry.values()) if isinstance(loaded, trimesh.Scene) else [loaded]
    obj = [f"# {path.name}: decimated to <= {max_faces} triangles per part (pipeline/sim/visual_meshes.py)",
           f"mtllib {path.stem}.mtl"]
    mtl = []
    offset = 0
    for index, part in enumerate(parts):
        vertices, faces, normals = decimate(part.vertices, part.faces, max_faces)
        if not len(faces):
            continue
        red, green, blue = part_colour(part)
        mtl += [f"newmtl part{index}", f"Kd {red:.4f} {green:.4f} {blue:.4f}",
                f"Ks {SPECULAR} {SPECULAR} {SPECULAR}", "d 1.0", ""]
        obj += [f"o part{index}", f"usemtl part{index}"]
        obj += [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in vertices]
        obj += [f"vn {x:.5f} {y:.5f} {z:.5f}" for x, y, z in normals]
        obj += [f"f {a}//{a} {b}//{b} {c}//{c}" for a, b, c in faces + offset + 1]
        offset += len(vertices)
    if offset == 0:
        raise ValueError(f"{path}: no triangles left after decimation")
    path.with_suffix(".mtl").write_text("\n".join(mtl))
    path.write_text("\n".join(obj) + "\n")


def simplify_visual_meshes(folder: Path, max_faces: int = FACES_PER_PART) -> None:
    """Decimate every OBJ in `folder` in place (the robot cache's copy, never the installed source)."""
    for path in sorted(folder.glob("*.obj")):
        simplify_obj(path, max_faces)
