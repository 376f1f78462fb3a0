"""`SimConfig`: the one typed configuration of the simulated world, with the one set of defaults.

Why one class: image size, physics rate, control period and cameras decide what a recorded action
and a recorded frame mean. Generation, evaluation, Stage II and the RoboTwin adapter all build their
`TaskEnv` from a `SimConfig`; each episode saves it in its attrs (`sim`) and the policy bundle keeps
the training data's, so evaluation reproduces the world a policy was trained in (`SimConfig.from_dict`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

import numpy as np

from data_schemas.spec import image_size_problem

DEFAULT_IMAGE_SIZE: tuple[int, int] = (240, 320)
"""(H, W): Intel RealSense D435 colour stream as used by RoboTwin 2.0."""


@dataclass(frozen=True)
class ArmMount:
    """Where an arm's base sits: xyz in the world and yaw about z (the arm faces the table)."""

    xyz: tuple[float, float, float]
    yaw: float


@dataclass(frozen=True)
class RobotConfig:
    """Mounts, home posture, drive gains and planner settings of the dual-Panda embodiment."""

    mounts: dict[str, ArmMount] = field(default_factory=lambda: {
        "left": ArmMount((-0.3, -0.48, 0.74), np.pi / 2),
        "right": ArmMount((0.3, -0.48, 0.74), np.pi / 2),
    })
    home_qpos: tuple[float, ...] = (0.0, -0.4, 0.0, -2.3, 0.0, 1.9, np.pi / 4)
    arm_stiffness: float = 4000.0
    arm_damping: float = 400.0
    arm_force_limit: float = 500.0
    gripper_stiffness: float = 2000.0
    gripper_damping: float = 100.0
    gripper_force_limit: float = 60.0
    finger_friction: float = 2.0
    planning_time_s: float = 1.0
    screw_qpos_step: float = 0.05


@dataclass(frozen=True)
class CameraConfig:
    """Geometry of the three cameras (a static head camera and one on each hand, same intrinsics)."""

    fovy_deg: float = 37.0
    near: float = 0.01
    far: float = 10.0
    head_eye: tuple[float, float, float] = (0.0, -0.5, 1.5)
    head_target: tuple[float, float, float] = (0.0, 0.1, 0.74)
    wrist_offset: tuple[float, float, float] = (0.05, 0.0, 0.02)
    """Camera origin in the panda_hand frame (beside the fingers, looking along hand +z)."""
    wrist_pitch_deg: float = 20.0
    """Tilt of the wrist cameras toward the fingers, so fingertips and the grasped part are in view."""


@dataclass(frozen=True)
class SimConfig:
    """The RoboTwin 2.0 workspace (table, wall, robot, cameras) and how it is stepped and observed."""

    image_size: tuple[int, int] = DEFAULT_IMAGE_SIZE
    """(H, W) of every camera."""
    physics_rate_hz: float = 250.0
    record_every: int = 15
    """The control period in physics steps: one action and one observation per period (RoboTwin:
    15 at 250 Hz, i.e. ~16.7 Hz)."""
    settle_s: float = 0.2
    """Physics time after building a scene before the first observation, so objects rest."""
    table_height: float = 0.74
    table_size: tuple[float, float] = (1.2, 0.7)
    table_thickness: float = 0.04
    wall_y: float = 0.65
    cameras: CameraConfig = field(default_factory=CameraConfig)
    robot: RobotConfig = field(default_factory=RobotConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "image_size", tuple(int(v) for v in self.image_size))
        problem = image_size_problem(*self.image_size)
        if problem:
            raise ValueError(f"SimConfig.image_size: {problem}")
        if self.physics_rate_hz <= 0:
            raise ValueError(f"physics_rate_hz must be > 0, got {self.physics_rate_hz}")
        if self.record_every < 1:
            raise ValueError(f"record_every (the control period) must be >= 1 physics step, got {self.record_every}")
        if self.settle_s < 0:
            raise ValueError(f"settle_s must be >= 0, got {self.settle_s}")

    @property
    def control_rate_hz(self) -> float:
        return self.physics_rate_hz / self.record_every

    @property
    def dt(self) -> float:
        """One physics step, seconds."""
        return 1.0 / self.physics_rate_hz

    def with_(self, **changes: Any) -> SimConfig:
        """A copy with some fields changed; None values leave the field as it is."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, saved in episode attrs (`sim`) and policy bundles."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SimConfig:
        """Inverse of `to_dict`. Also reads the untyped `rollout_config` attr of episodes recorded before
        SimConfig existed (its recorder-only keys are ignored); missing keys take the defaults."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        if isinstance(kwargs.get("cameras"), dict):
            kwargs["cameras"] = CameraConfig(**{k: tuple(v) if isinstance(v, list) else v
                                                for k, v in kwargs["cameras"].items()})
        if isinstance(kwargs.get("robot"), dict):
            robot = dict(kwargs["robot"])
            robot["mounts"] = {arm: ArmMount(tuple(m["xyz"]), m["yaw"]) if isinstance(m, dict) else m
                               for arm, m in robot.get("mounts", {}).items()} or RobotConfig().mounts
            if "home_qpos" in robot:
                robot["home_qpos"] = tuple(robot["home_qpos"])
            kwargs["robot"] = RobotConfig(**robot)
        if "table_size" in kwargs:
            kwargs["table_size"] = tuple(kwargs["table_size"])
        return cls(**kwargs)
