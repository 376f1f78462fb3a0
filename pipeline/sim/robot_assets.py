"""Franka Panda robot description, prepared once per machine and cached.

The declared dependency `pybullet` ships `pybullet_data/franka_panda/panda.urdf` with
`package://` mesh paths and no SRDF. SAPIEN and mplib both need absolute mesh paths, and mplib
needs an SRDF (disabled self-collision pairs) to plan quickly. We write a processed copy of the
URDF (mesh paths relative to it, meshes copied beside it) into the cache directory (``$AIM_CACHE`` or ``~/.cache/aim``) and generate its SRDF with
`mplib.urdf_utils.generate_srdf` once; later scenes reuse both files. The copy's visual meshes
are decimated for rendering speed (`visual_meshes`); its collision meshes are the source's.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pybullet_data

from pipeline.sim import visual_meshes

PANDA_ARM_JOINTS: tuple[str, ...] = tuple(f"panda_joint{i}" for i in range(1, 8))
PANDA_FINGER_JOINTS: tuple[str, ...] = ("panda_finger_joint1", "panda_finger_joint2")
PANDA_FINGER_LINKS: tuple[str, ...] = ("panda_leftfinger", "panda_rightfinger")
PANDA_HAND_LINK = "panda_hand"
PANDA_FINGER_OPEN_M = 0.04
"""Finger joint travel (each finger) when fully open."""
TCP_OFFSET_M = 0.1034
"""TCP = panda_hand frame shifted along its +z to the point between the fingertips."""


@dataclass(frozen=True)
class RobotFiles:
    urdf: Path
    srdf: Path


def cache_dir() -> Path:
    """Root of AIM's machine-local cache (``$AIM_CACHE`` or ``~/.cache/aim``)."""
    root = Path(os.environ.get("AIM_CACHE", Path.home() / ".cache" / "aim"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def _source_urdf() -> Path:
    path = Path(pybullet_data.getDataPath()) / "franka_panda" / "panda.urdf"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall the pinned dependency pybullet==3.2.7")
    return path


def _triangulate_collision_meshes(folder: Path) -> None:
    """Re-export collision meshes as pure triangle meshes: pybullet's link6.obj holds 2-vertex
    faces that mplib's loader (assimp via FCL) rejects."""
    import trimesh

    for path in sorted(folder.glob("*.obj")):
        mesh = trimesh.load(path, force="mesh", process=True)
        mesh.export(path, file_type="obj", include_normals=False, include_texture=False)


def panda_files() -> RobotFiles:
    """Processed Panda URDF (resolvable mesh paths) and its generated SRDF, built on first use."""
    source = _source_urdf()
    text = source.read_text()
    digest = hashlib.sha256((text + visual_meshes.VERSION).encode()).hexdigest()[:12]
    out = cache_dir() / f"panda-{digest}"
    urdf, srdf = out / "panda.urdf", out / "panda.srdf"
    if urdf.is_file() and srdf.is_file():
        return RobotFiles(urdf, srdf)
    tmp = out.with_name(out.name + f".tmp{os.getpid()}")
    try:
        tmp.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source.parent / "meshes", tmp / "meshes", dirs_exist_ok=True)
        _triangulate_collision_meshes(tmp / "meshes" / "collision")
        visual_meshes.simplify_visual_meshes(tmp / "meshes" / "visual")
        (tmp / "panda.urdf").write_text(text.replace("package://", ""))
        from mplib.urdf_utils import generate_srdf  # heavy import, only on a cold cache

        generated = generate_srdf(tmp / "panda.urdf", num_samples=20000)
        shutil.move(str(generated), tmp / "panda.srdf")
        tmp.rename(out)  # atomic: concurrent first users never see a half-written cache
    except OSError:
        if not (urdf.is_file() and srdf.is_file()):  # not merely another process winning the race
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return RobotFiles(urdf, srdf)
