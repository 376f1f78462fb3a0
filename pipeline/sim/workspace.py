"""The static workspace of RoboTwin 2.0: table (top at 0.74 m, 1.2 x 0.7 m), wall, ground, lights."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sapien

from pipeline.assets import texture_from_set, textured_material
from pipeline.sim.appearance import Appearance
from pipeline.sim.config import SimConfig


@dataclass
class Workspace:
    table: sapien.Entity
    wall: sapien.Entity
    table_top_z: float
    """World z of the table surface (includes the hard setting's height offset)."""


SHADOW_MAP_SIZE = 1024
"""Shadow map resolution (texels per side) of the hard setting's lights (cost on lavapipe)."""
POINT_LIGHT_SHADOWS = False
"""Whether point lights cast shadows too. RoboTwin: yes; here no: their 6-face cube shadow maps made a
hard 240x320 capture ~4x slower on lavapipe (1.3 s vs 0.3 s for 3 cameras), the directional light's
shadow costs ~1.1-1.5x."""


def _material(color, texture_seed: int | None = None, texture_set: str = "seen") -> sapien.render.RenderMaterial:
    if texture_seed is not None:  # RoboTwin: textured surfaces have metallic 0.1, roughness 0.3
        material = textured_material(texture_from_set(texture_set, texture_seed, (64, 64)), roughness=0.3)
        material.metallic = 0.1
        return material
    return sapien.render.RenderMaterial(base_color=[*color, 1.0], roughness=0.8, metallic=0.0)


def build_workspace(scene: sapien.Scene, config: SimConfig, look: Appearance) -> Workspace:
    scene.set_ambient_light(list(look.ambient))
    scene.add_directional_light(list(look.light_direction), list(look.light_color), shadow=look.shadows,
                                shadow_scale=2.0, shadow_near=-5.0, shadow_far=5.0, shadow_map_size=SHADOW_MAP_SIZE)
    for position, colour in look.point_lights:
        scene.add_point_light(list(position), list(colour), shadow=look.shadows and POINT_LIGHT_SHADOWS,
                              shadow_near=0.1, shadow_far=5.0, shadow_map_size=SHADOW_MAP_SIZE)
    scene.add_ground(altitude=0.0, render_half_size=[3.0, 3.0])

    top_z = config.table_height + look.table_height_offset
    sx, sy = config.table_size
    half = np.array([sx / 2, sy / 2, config.table_thickness / 2])
    builder = scene.create_actor_builder()
    builder.add_box_collision(half_size=half)
    table_material = _material(look.table_color, look.table_texture_seed, look.texture_set)
    builder.add_box_visual(half_size=half, material=table_material)
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
    wall_material = _material(look.wall_color, look.wall_texture_seed, look.texture_set)
    builder.add_box_visual(half_size=wall_half, material=wall_material)
    builder.set_initial_pose(sapien.Pose([0.0, config.wall_y, 1.0]))
    builder.set_name("wall")
    wall = builder.build_static()
    return Workspace(table=table, wall=wall, table_top_z=top_z)
