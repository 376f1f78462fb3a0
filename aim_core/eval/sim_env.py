"""Closed-loop environment over the simulator's public classes (`EvalEnv` for SAPIEN tasks).

`pipeline/sim` offers the world (`SimEnv`) and the tasks their expert; evaluation needs the
other direction: a policy's joint targets applied step by step. `SimulatorEnv.reset` builds the
scene of (task, setting, seed) with `build_episode_scene`, the start the recorded expert episode
uses too, so an evaluation seed shows the policy the scene the expert solved. `step(action)` runs one
control period of `record_every` physics steps (the recorded control rate) under
`pipeline.sim.control.ControlLaw`, the rule recorded actions are defined by, and renders the three cameras.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aim_core.eval.env import Observation
from pipeline.record.rollout import RolloutConfig, build_episode_scene
from pipeline.sim.control import CommandLog, ControlLaw
from pipeline.sim.env import SimEnv
from pipeline.sim.robot import PlanningError
from pipeline.tasks.base import Task


@dataclass(frozen=True)
class ExpertRun:
    """The scripted expert on one seed: did it succeed, and its commands per control step, aligned as
    recorded actions (`actions[t]` is what the robot tracks from frame t to t+1)."""

    task: str
    setting: str
    seed: int
    success: bool
    actions: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.actions)


@dataclass(frozen=True)
class Replay:
    """Recorded actions executed open loop: the measured joints at every frame, and the outcome.

    `qpos[t]` is measured where the recording captured frame t (`qpos[0]` after reset); `success`
    is the task check after the last action's period, where the expert's episode ended holding
    its final target.
    """

    qpos: np.ndarray
    success: bool


class SimulatorEnv:
    """reset(task, setting, seed) / step(action) / success() on a fresh SAPIEN scene per episode."""

    def __init__(self, config: RolloutConfig | None = None):
        self.config = config or RolloutConfig(segmentation=False)
        self._env: SimEnv | None = None
        self._task: Task | None = None
        self._control: ControlLaw | None = None
        self._instruction = ""
        self._step = 0

    def reset(self, task: str, setting: str, seed: int) -> Observation:
        self.close()
        scene = build_episode_scene(task, setting, seed, self.config)
        self._env, self._task, self._instruction = scene.env, scene.task, scene.instruction
        self._control = ControlLaw(scene.env, self.config.record_every)
        self._step = 0
        return self._observe()

    def _require(self) -> tuple[SimEnv, Task]:
        if self._env is None or self._task is None:
            raise RuntimeError("call reset(task, setting, seed) before step() / success()")
        return self._env, self._task

    def _observe(self) -> Observation:
        env, _ = self._require()
        images = env.cameras.capture(None)["rgb"]
        return Observation(images=images, qpos=env.robot.qpos(), instruction=self._instruction, step=self._step)

    def step(self, action: np.ndarray) -> Observation:
        self._require()
        self._control.apply(action)
        self._step += 1
        return self._observe()

    def run_expert(self, task: str, setting: str, seed: int) -> ExpertRun:
        """Reset to (task, setting, seed) and let the task's scripted expert play, without rendering;
        returns its commands per control step, sampled by the recorder's own rule (`CommandLog`)."""
        self.reset(task, setting, seed)
        env, scripted = self._require()
        sample = CommandLog(env, self.config.record_every)
        env.step_hooks.append(sample)
        try:
            scripted.play_once()
            success = scripted.check_success()
        except PlanningError:
            success = False
        finally:
            env.step_hooks.remove(sample)
        return ExpertRun(task=task, setting=setting, seed=seed, success=bool(success), actions=sample.actions())

    def replay(self, task: str, setting: str, seed: int, actions: np.ndarray) -> Replay:
        """Reset to (task, setting, seed) and execute recorded `actions` [T, D] one per control step.

        Why: the proof that recording and execution share one control law; replaying an episode's
        own actions must retrace its recorded `qpos` and succeed where it succeeded.
        """
        qpos = [self.reset(task, setting, seed).qpos]
        for action in actions:
            qpos.append(self.step(action).qpos)
        return Replay(qpos=np.stack(qpos[:len(actions)]), success=self.success())

    def success(self) -> bool:
        return bool(self._require()[1].check_success())

    def camera_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """(intrinsics [V, 3, 3] at the rendered image size, world-to-camera extrinsics [V, 4, 4], OpenCV
        convention, cameras in CAMERA_NAMES order) as the recorder stores them; wrist cameras move."""
        env, _ = self._require()
        return env.cameras.intrinsics(), env.cameras.extrinsics()

    def tcp_targets(self, action: np.ndarray) -> np.ndarray:
        """World TCP positions [arms, 3] (ARMS order) at the joint targets of `action` [16], by forward
        kinematics of the commanded joints (where the command sends each gripper)."""
        from data_schemas.spec import ACTION_LAYOUT

        env, _ = self._require()
        action = np.asarray(action, dtype=np.float64)
        return np.stack([arm.tcp_pose_at(action[ACTION_LAYOUT[f"{name}_arm"]]).p
                         for name, arm in env.robot.arms.items()])

    def close(self) -> None:
        self._env = None
        self._task = None
        self._control = None
