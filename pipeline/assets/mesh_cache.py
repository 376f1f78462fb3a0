"""Content-addressed mesh files for SAPIEN, which loads visual and convex meshes from files.

Files live under `$AIM_CACHE/assets` (default `~/.cache/aim/assets`), named by a hash of the
vertices and faces, so rebuilding the same asset reuses the files and concurrent writers never
see a half-written file (write to a temporary name, then atomic rename).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import trimesh


def cache_dir() -> Path:
    """Directory holding the cached mesh files (created on demand)."""
    root = Path(os.environ.get("AIM_CACHE", Path.home() / ".cache" / "aim")).expanduser()
    path = root / "assets"
    path.mkdir(parents=True, exist_ok=True)
    return path


def mesh_file(mesh: trimesh.Trimesh) -> Path:
    """Path of an .obj file holding `mesh` (written once per distinct geometry)."""
    digest = hashlib.sha1()
    digest.update(np.ascontiguousarray(mesh.vertices, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(mesh.faces, dtype=np.int64).tobytes())
    path = cache_dir() / f"{digest.hexdigest()}.obj"
    if not path.exists():
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".obj.tmp")
        try:
            with os.fdopen(handle, "w") as stream:
                stream.write(trimesh.exchange.obj.export_obj(mesh, include_normals=True, include_texture=False))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path
