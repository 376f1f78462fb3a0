"""Mesh file cache (content-addressed, reused, honours AIM_CACHE) and ObjectAsset input validation."""

import numpy as np
import pytest
import sapien
import trimesh

from pipeline.assets import ObjectAsset, VisualPart, build_actor, make_asset
from pipeline.assets.geometry import box, pose
from pipeline.assets.mesh_cache import mesh_file


def test_cache_lives_under_aim_cache_and_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("AIM_CACHE", str(tmp_path))
    shoe = make_asset("shoe", np.random.default_rng(0))
    build_actor(sapien.Scene(), shoe, sapien.Pose())
    files = sorted((tmp_path / "assets").glob("*.obj"))
    assert len(files) == 2 * len(shoe.visuals)  # (collision == visual hull) + smooth-shaded visual
    stamps = [f.stat().st_mtime_ns for f in files]
    build_actor(sapien.Scene(), make_asset("shoe", np.random.default_rng(0)), sapien.Pose())
    assert sorted((tmp_path / "assets").glob("*.obj")) == files
    assert [f.stat().st_mtime_ns for f in files] == stamps
    other = mesh_file(make_asset("shoe", np.random.default_rng(1)).collisions[0])
    assert other not in files and not list((tmp_path / "assets").glob("*.tmp"))


def test_object_asset_rejects_inconsistent_annotations():
    mesh = box((0.05, 0.05, 0.05), (0.0, 0.0, 0.025))
    visuals = [VisualPart(mesh, (1.0, 0.0, 0.0, 1.0))]
    with pytest.raises(ValueError, match="labels"):
        ObjectAsset("x", "x", visuals, [mesh], 0.1, grasps=[pose((0, 0, 0.025))], grasp_labels=[])
    with pytest.raises(ValueError, match="mass"):
        ObjectAsset("x", "x", visuals, [mesh], 0.0)
    with pytest.raises(ValueError, match="collision"):
        ObjectAsset("x", "x", visuals, [], 0.1)
    fine_sphere = trimesh.creation.icosphere(subdivisions=3, radius=0.03)
    with pytest.raises(ValueError, match="255"):
        ObjectAsset("x", "x", visuals, [fine_sphere], 0.1)


def test_labelled_grasps_of_the_pot_handles():
    pot = make_asset("pot", np.random.default_rng(0))
    plus, minus = pot.grasps_labelled("handle_+x"), pot.grasps_labelled("handle_-x")
    assert plus and minus
    assert all(g[0, 3] > 0 for g in plus) and all(g[0, 3] < 0 for g in minus)
    with pytest.raises(KeyError, match="handle_\\+x"):
        pot.grasps_labelled("lid")
