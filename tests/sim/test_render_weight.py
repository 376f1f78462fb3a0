"""The rendering-speed measures: decimated Panda visual meshes and the process-wide pipeline keepalive."""
import gc
import shutil
from pathlib import Path

import numpy as np
import pybullet_data
import sapien
import trimesh

from pipeline.sim import render_keepalive, visual_meshes
from pipeline.sim.appearance import EASY_APPEARANCE
from pipeline.sim.config import SimConfig
from pipeline.sim.env import SimEnv
from pipeline.sim.robot_assets import panda_files

SOURCE_VISUALS = Path(pybullet_data.getDataPath()) / "franka_panda" / "meshes" / "visual"


def test_decimation_keeps_the_shape_within_the_budget():
    sphere = trimesh.creation.icosphere(subdivisions=5, radius=0.1)  # 20480 faces
    vertices, faces, normals = visual_meshes.decimate(sphere.vertices, sphere.faces, 500)
    assert 100 < len(faces) <= 500
    assert np.allclose(np.linalg.norm(vertices, axis=1), 0.1, atol=0.004)  # still the sphere
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0, atol=1e-3)


def test_simplified_link_keeps_its_frame_bounds_and_colours(tmp_path):
    shutil.copy(SOURCE_VISUALS / "link6.obj", tmp_path)
    shutil.copy(SOURCE_VISUALS / "link6.mtl", tmp_path)
    shutil.copy(SOURCE_VISUALS / "colors.png", tmp_path)
    source = trimesh.load(tmp_path / "link6.obj", force="mesh")
    visual_meshes.simplify_obj(tmp_path / "link6.obj", max_faces=300)

    text = (tmp_path / "link6.obj").read_text()
    parts = text.split("\no ")[1:]
    assert parts and all(part.count("\nf ") <= 300 for part in parts)
    simplified = trimesh.load(tmp_path / "link6.obj", force="mesh")
    assert len(simplified.faces) < len(source.faces) / 5
    assert np.allclose(simplified.bounds, source.bounds, atol=0.005)  # same link frame, same extent
    colours = np.array([[float(v) for v in line.split()[1:]] for line in
                        (tmp_path / "link6.mtl").read_text().splitlines() if line.startswith("Kd ")])
    assert len(colours) == len(parts) and ((colours >= 0) & (colours <= 1)).all()
    assert colours.max() > 0.8 and colours.min() < 0.5  # white shell and dark parts both survive


def test_the_robot_cache_renders_decimated_meshes():
    visual = panda_files().urdf.parent / "meshes" / "visual"
    for path in visual.glob("*.obj"):
        parts = path.read_text().split("\no ")[1:]
        assert parts and all(p.count("\nf ") <= visual_meshes.FACES_PER_PART for p in parts), path.name


def test_compiled_pipelines_outlive_every_scene():
    env = SimEnv(SimConfig(image_size=(32, 48)), EASY_APPEARANCE)
    env.cameras.capture(None)
    shader = sapien.render.get_camera_shader_dir()
    held_scene, held_camera = render_keepalive._HELD[shader]
    del env
    gc.collect()  # what used to free the pipelines between episodes
    render_keepalive.keep_render_pipelines_warm()
    assert render_keepalive._HELD[shader][1] is held_camera  # idempotent: still the first one
    held_scene.update_render()
    held_camera.take_picture()
    assert held_camera.get_picture("Color").shape == (8, 8, 4)
