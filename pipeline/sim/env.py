"""One simulated episode's world: SAPIEN scene, workspace, dual-Panda robot, cameras, stepping.

Every physics step goes through `SimEnv.step`, which applies nothing by itself (drive targets
are set by the expert) but times the physics and calls the registered step hooks: the recorder
uses them to sample observations every `record_every` steps and to gather contacts.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sapien

from pipeline.sim.appearance import Appearance
from pipeline.sim.cameras import CameraRig
from pipeline.sim.config import SimConfig
from pipeline.sim.robot import DualPanda
from pipeline.sim.timing import Timer
from pipeline.sim.workspace import build_workspace

StepHook = Callable[[int], None]


class SimEnv:
    """Build with `SimEnv(config, appearance)`; tasks add their actors to `env.scene`."""

    def __init__(self, config: SimConfig, appearance: Appearance, timer: Timer | None = None):
        self.config = config
        self.appearance = appearance
        self.timer = timer or Timer()
        self.scene = sapien.Scene()
        self.scene.set_timestep(1.0 / config.physics_rate_hz)
        self.workspace = build_workspace(self.scene, config, appearance)
        self.robot = DualPanda(self.scene, config.robot, self.timer)
        self._plan_around_table(x=0.0)
        self.cameras = CameraRig(self.scene, config.cameras, config.image_size,
                                 {name: arm.hand_link.entity for name, arm in self.robot.arms.items()})
        self.step_hooks: list[StepHook] = []
        self.num_steps = 0

    def _plan_around_table(self, x: float) -> None:
        """The table as a slab in every arm's planning world, centred at `x`, its top flush with the table's."""
        sx, sy = self.config.table_size
        for arm in self.robot.arms.values():
            arm.add_planning_obstacle_box("table", sapien.Pose([x, 0.0, self.workspace.table_top_z - 0.05]),
                                          np.array([sx, sy, 0.1]))

    def move_table(self, dx: float) -> None:
        """Shift the table `dx` m along x, its body and the planners' slab (RoboTwin's `table_xy_bias`); the
        robot and the cameras stay where they are."""
        table = self.workspace.table
        pose = table.get_pose()
        table.set_pose(sapien.Pose(pose.p + np.array([dx, 0.0, 0.0], dtype=np.float32), pose.q))
        for arm in self.robot.arms.values():
            arm.planner.planning_world.remove_object("table")
        self._plan_around_table(x=float(pose.p[0]) + dx)

    @property
    def dt(self) -> float:
        return self.config.dt

    def step(self) -> None:
        with self.timer.measure("physics"):
            self.scene.step()
        self.num_steps += 1
        for hook in self.step_hooks:
            hook(self.num_steps)

    def settle(self, seconds: float) -> None:
        """Let objects come to rest with the robot holding its targets."""
        for _ in range(int(round(seconds * self.config.physics_rate_hz))):
            self.step()
