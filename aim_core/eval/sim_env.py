"""Closed-loop environment over the simulator's public classes (`EvalEnv` for SAPIEN tasks).

`pipeline/sim` offers the world (`SimEnv`) and the tasks their expert; evaluation needs the
other direction: a policy's joint targets applied step by step. `SimulatorEnv.reset` builds the
scene of (task, setting, seed) with `build_episode_scene`, the start the recorded expert episode
uses too, so an evaluation seed shows the policy the scene the expert solved. `step(action)` sets both arms' joint and gripper targets, runs
`record_every` physics steps (the recorded control rate) and renders the three cameras.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aim_core.eval.env import Observation
from data_schemas import ACTION_DIM, ACTION_LAYOUT, ARMS, GRIPPER_CLOSED, GRIPPER_OPEN
from pipeline.record.rollout import RolloutConfig, build_episode_scene
from pipeline.sim.env import SimEnv
from pipeline.sim.robot import PlanningError
from pipeline.tasks.base import Task


@dataclass(frozen=True)
class ExpertRun:
    """The scripted expert on one seed: did it succeed, and its joint targets per control step."""

    task: str
    setting: str
    seed: int
    success: bool
    actions: np.ndarray

    @property
    def steps(self) -> int:
        return len(self.actions)


class SimulatorEnv:
    """reset(task, setting, seed) / step(action) / success() on a fresh SAPIEN scene per episode."""

    def __init__(self, config: RolloutConfig | None = None):
        self.config = config or RolloutConfig(segmentation=False)
        self._env: SimEnv | None = None
        self._task: Task | None = None
        self._instruction = ""
        self._step = 0

    def reset(self, task: str, setting: str, seed: int) -> Observation:
        self.close()
        scene = build_episode_scene(task, setting, seed, self.config)
        self._env, self._task, self._instruction = scene.env, scene.task, scene.instruction
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
        env, _ = self._require()
        action = np.asarray(action, dtype=np.float64)
        if action.shape != (ACTION_DIM,) or not np.all(np.isfinite(action)):
            raise ValueError(f"action must be a finite [{ACTION_DIM}] joint-target vector, got {action.shape}")
        for arm in ARMS:
            env.robot[arm].set_arm_target(action[ACTION_LAYOUT[f"{arm}_arm"]])
            gripper = float(action[ACTION_LAYOUT[f"{arm}_gripper"]][0])
            env.robot[arm].set_gripper(min(GRIPPER_OPEN, max(GRIPPER_CLOSED, gripper)))
        for _ in range(self.config.record_every):
            env.step()
        self._step += 1
        return self._observe()

    def run_expert(self, task: str, setting: str, seed: int) -> ExpertRun:
        """Reset to (task, setting, seed) and let the task's scripted expert play, without rendering;
        returns its joint targets sampled at the control rate (as the recorder samples them)."""
        self.reset(task, setting, seed)
        env, scripted = self._require()
        actions = [env.robot.action()]
        start = env.num_steps

        def sample(step: int) -> None:
            if (step - start) % self.config.record_every == 0:
                actions.append(env.robot.action())

        env.step_hooks.append(sample)
        try:
            scripted.play_once()
            success = scripted.check_success()
        except PlanningError:
            success = False
        finally:
            env.step_hooks.remove(sample)
        return ExpertRun(task=task, setting=setting, seed=seed, success=bool(success), actions=np.stack(actions))

    def success(self) -> bool:
        return bool(self._require()[1].check_success())

    def close(self) -> None:
        self._env = None
        self._task = None
