"""The static workspace of RoboTwin 2.0: table (top at 0.74 m, 1.2 x 0.7 m), wall, ground, lights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sapien

from pipeline.assets import random_texture, textured_material
from pipeline.sim.appearance import Appearance
from pipeline.sim.config import SceneConfig


@dataclass
class Workspace:
    table: sapien.Entity
    wall: sapien.Entity
    table_top_z: float
    """World z of the table surface (includes the hard setting's height offset)."""


def _material(color, texture_seed: int | None = None) -> sapien.render.RenderMaterial:
    if texture_seed is not None:
        return textured_material(random_texture(np.random.default_rng(texture_seed), (64, 64)))
    return sapien.render.RenderMaterial(base_color=[*color, 1.0], roughness=0.8, metallic=0.0)


def build_workspace(scene: sapien.Scene, config: SceneConfig, look: Appearance) -> Workspace:
    scene.set_ambient_light(list(look.ambient))
    scene.add_directional_light(list(look.light_direction), list(look.light_color), shadow=False)
    scene.add_point_light([0.0, -0.3, 2.0], [0.4, 0.4, 0.4], shadow=False)
    scene.add_ground(altitude=0.0, render_half_size=[3.0, 3.0])

    top_z = config.table_height + look.table_height_offset
    sx, sy = config.table_size
    half = np.array([sx / 2, sy / 2, config.table_thickness / 2])
    builder = scene.create_actor_builder()
    builder.add_box_collision(half_size=half)
    builder.add_box_visual(half_size=half, material=_material(look.table_color, look.table_texture_seed))
    leg = np.array([0.025, 0.025, (top_z - config.table_thickness) / 2])
    for x in (-sx / 2 + 0.05, sx / 2 - 0.05):
        for y in (-sy / 2 + 0.05, sy / 2 - 0.05):
            builder.add_box_visual(sapien.Pose([x, y, -half[2] - leg[2]]), half_size=leg,
                                   material=_material((0.3, 0.3, 0.3)))
    builder.set_initial_pose(sapien.Pose([0.0, 0.0, top_z - half[2]]))
    builder.set_name("table")
    table = builder.build_static()

    builder = scene.create_actor_builder()
    wall_half = [1.5, 0.02, 1.0]
    builder.add_box_collision(half_size=wall_half)
    builder.add_box_visual(half_size=wall_half, material=_material(look.wall_color, look.wall_texture_seed))
    builder.set_initial_pose(sapien.Pose([0.0, config.wall_y, 1.0]))
    builder.set_name("wall")
    wall = builder.build_static()
    return Workspace(table=table, wall=wall, table_top_z=top_z)
