"""Typed configuration of the simulated workspace: one source of truth for every scene parameter.

`pipeline.record.rollout.RolloutConfig` takes its defaults from the constants here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.sim.robot import RobotConfig

DEFAULT_IMAGE_SIZE: tuple[int, int] = (240, 320)
"""(H, W): Intel RealSense D435 colour stream as used by RoboTwin 2.0."""
DEFAULT_FOVY_DEG = 37.0
DEFAULT_PHYSICS_RATE_HZ = 250.0


@dataclass(frozen=True)
class CameraConfig:
    """Three cameras: a static head camera and one on each hand, all with the same intrinsics."""

    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE
    fovy_deg: float = DEFAULT_FOVY_DEG
    near: float = 0.01
    far: float = 10.0
    head_eye: tuple[float, float, float] = (0.0, -0.5, 1.5)
    head_target: tuple[float, float, float] = (0.0, 0.1, 0.74)
    wrist_offset: tuple[float, float, float] = (0.05, 0.0, 0.02)
    """Camera origin in the panda_hand frame (beside the fingers, looking along hand +z)."""
    wrist_pitch_deg: float = 20.0
    """Tilt of the wrist cameras toward the fingers, so fingertips and the grasped part are in view."""


@dataclass(frozen=True)
class SceneConfig:
    """The RoboTwin 2.0 workspace: table, wall, lights, robot and cameras."""

    physics_rate_hz: float = DEFAULT_PHYSICS_RATE_HZ
    table_height: float = 0.74
    table_size: tuple[float, float] = (1.2, 0.7)
    table_thickness: float = 0.04
    wall_y: float = 0.65
    cameras: CameraConfig = field(default_factory=CameraConfig)
    robot: RobotConfig = field(default_factory=RobotConfig)

    def __post_init__(self) -> None:
        h, w = self.cameras.image_size
        if h < 8 or w < 8:
            raise ValueError(f"image_size must be (H, W) with both >= 8, got {self.cameras.image_size}")
        if self.physics_rate_hz <= 0:
            raise ValueError(f"physics_rate_hz must be > 0, got {self.physics_rate_hz}")
