"""Scene appearance per setting: clean defaults for `easy`, domain randomisation for `hard`.

RoboTwin 2.0's hard setting randomises table/wall colours or procedural textures, lighting colour and
direction and the table height (U(-3, 0) cm); clutter and unseen instructions are added by the
task base class. Sampling from the episode's generator keeps episodes reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from data_schemas.spec import SETTINGS


@dataclass(frozen=True)
class Appearance:
    table_color: tuple[float, float, float]
    wall_color: tuple[float, float, float]
    table_height_offset: float
    ambient: tuple[float, float, float]
    light_direction: tuple[float, float, float]
    light_color: tuple[float, float, float]
    table_texture_seed: int | None
    """None: plain `table_color`; else the seed of a procedural texture (`pipeline.assets.random_texture`)."""
    wall_texture_seed: int | None


EASY_APPEARANCE = Appearance(
    table_color=(0.72, 0.62, 0.48), wall_color=(0.85, 0.85, 0.82), table_height_offset=0.0,
    ambient=(0.45, 0.45, 0.45), light_direction=(0.2, 0.4, -1.0), light_color=(0.9, 0.9, 0.9),
    table_texture_seed=None, wall_texture_seed=None)


def check_setting(setting: str) -> None:
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}: choose one of {list(SETTINGS)}")


def sample_appearance(setting: str, rng: np.random.Generator) -> Appearance:
    """`easy`: the fixed clean look. `hard`: random colours, lights and table height."""
    check_setting(setting)
    if setting == "easy":
        return EASY_APPEARANCE

    def colour(low: float, high: float) -> tuple[float, float, float]:
        return tuple(float(c) for c in rng.uniform(low, high, 3))

    direction = np.array([rng.uniform(-0.6, 0.6), rng.uniform(-0.6, 0.6), -1.0])
    return Appearance(
        table_color=colour(0.15, 0.95), wall_color=colour(0.2, 1.0),
        table_height_offset=float(rng.uniform(-0.03, 0.0)),
        ambient=tuple([float(rng.uniform(0.25, 0.6))] * 3),
        light_direction=tuple(float(c) for c in direction / np.linalg.norm(direction)),
        light_color=colour(0.5, 1.0),
        table_texture_seed=int(rng.integers(2**31)) if rng.random() < 0.7 else None,
        wall_texture_seed=int(rng.integers(2**31)) if rng.random() < 0.5 else None)
