"""Scene appearance per setting: clean defaults for `easy`, domain randomisation for `hard`.

The hard setting follows RoboTwin 2.0's `demo_randomized` config (reference section 3):
- table and wall textures drawn independently from the `seen` texture set (data collection) or the
  disjoint `unseen` set (evaluation only, `texture_set="unseen"`); each surface falls back to its
  plain colour with probability 0.02 (wall (1, 0.9, 0.9), table (1, 1, 1));
- lights: ambient 0.5, one directional light [0, 0.5, -1] and two point lights at (+-1, 0, 1.8),
  shadows on, each light's colour U(0, 1)^3 once per episode;
- table height offset U(-3, 0) cm.
Clutter (up to 10 objects) is added by the task base class, unseen instructions by the caller.
Sampling from the episode's generator keeps episodes reproducible.

Intentional differences: only the directional light casts shadows (RoboTwin: all three; the point
lights' cube shadow maps made a hard capture ~4x slower on lavapipe, see
`pipeline.sim.workspace.POINT_LIGHT_SHADOWS`); RoboTwin's "crazy light" mode (2 % of episodes re-randomise light colours
at every render) is not reproduced; the easy setting keeps our fixed clean look (one unshadowed
directional + one point light), so easy data recorded before stays comparable.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_schemas.spec import SETTINGS
from pipeline.assets.palette import TEXTURE_SETS

CLEAN_BACKGROUND_RATE = 0.02
"""RoboTwin: probability that a surface keeps its plain colour instead of a texture."""
PLAIN_TABLE, PLAIN_WALL = (1.0, 1.0, 1.0), (1.0, 0.9, 0.9)
TABLE_HEIGHT_RANGE_M = (-0.03, 0.0)
ROBOTWIN_AMBIENT = (0.5, 0.5, 0.5)
ROBOTWIN_LIGHT_DIRECTION = (0.0, 0.5, -1.0)
ROBOTWIN_POINT_LIGHTS = ((1.0, 0.0, 1.8), (-1.0, 0.0, 1.8))


@dataclass(frozen=True)
class Appearance:
    table_color: tuple[float, float, float]
    wall_color: tuple[float, float, float]
    table_height_offset: float
    ambient: tuple[float, float, float]
    light_direction: tuple[float, float, float]
    light_color: tuple[float, float, float]
    table_texture_seed: int | None
    """None: plain `table_color`; else the index of a texture in `texture_set`
    (`pipeline.assets.texture_from_set`)."""
    wall_texture_seed: int | None
    point_lights: tuple[tuple[tuple[float, float, float], tuple[float, float, float]], ...] = (
        ((0.0, -0.3, 2.0), (0.4, 0.4, 0.4)),)
    """(position, colour) per point light."""
    shadows: bool = False
    """Whether the directional and point lights cast shadows."""
    texture_set: str = "seen"
    """Texture set the texture indices refer to: "seen" (data collection) or "unseen" (evaluation)."""


EASY_APPEARANCE = Appearance(
    table_color=(0.72, 0.62, 0.48), wall_color=(0.85, 0.85, 0.82), table_height_offset=0.0,
    ambient=(0.45, 0.45, 0.45), light_direction=(0.2, 0.4, -1.0), light_color=(0.9, 0.9, 0.9),
    table_texture_seed=None, wall_texture_seed=None)


def check_setting(setting: str) -> None:
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}: choose one of {list(SETTINGS)}")


def sample_appearance(setting: str, rng: np.random.Generator, texture_set: str = "seen") -> Appearance:
    """`easy`: the fixed clean look. `hard`: RoboTwin's randomisation (see the module docstring);
    `texture_set="unseen"` draws the textures from the evaluation-only set."""
    check_setting(setting)
    if texture_set not in TEXTURE_SETS:
        raise ValueError(f"unknown texture set {texture_set!r}: choose one of {list(TEXTURE_SETS)}")
    if setting == "easy":
        return EASY_APPEARANCE
    count = TEXTURE_SETS[texture_set][1]

    def colour() -> tuple[float, float, float]:
        return tuple(float(c) for c in rng.uniform(0.0, 1.0, 3))

    def texture() -> int | None:
        return None if rng.random() < CLEAN_BACKGROUND_RATE else int(rng.integers(count))

    direction = np.asarray(ROBOTWIN_LIGHT_DIRECTION)
    table_texture, wall_texture = texture(), texture()
    return Appearance(
        table_color=PLAIN_TABLE, wall_color=PLAIN_WALL,
        table_height_offset=float(rng.uniform(*TABLE_HEIGHT_RANGE_M)),
        ambient=ROBOTWIN_AMBIENT,
        light_direction=tuple(float(c) for c in direction / np.linalg.norm(direction)),
        light_color=colour(),
        table_texture_seed=table_texture, wall_texture_seed=wall_texture,
        point_lights=tuple((position, colour()) for position in ROBOTWIN_POINT_LIGHTS),
        shadows=True, texture_set=texture_set)
