"""The control-step interface of the robot: what one recorded `action` row means, in both directions.

Why one module: the recorder turns the expert's per-physics-step drive targets into one command
per control step, and the evaluation environment turns a policy's command back into per-physics-step
drive targets. If these two rules disagree, a policy trained on recorded actions executes something
other than what it learned (replaying the expert's own actions already drifts). So both live here:

- `CommandLog` (recording): `action[t]` is the command issued after observing frame t, the drive
  target (arm joints + gripper) in force at the last physics step before frame t+1 is captured; for
  the last frame, the target in force when the episode ends. Actions lead qpos by one control step.
- `ControlLaw` (execution): over the `steps` physics steps of one control period, each arm's drive
  target moves linearly from the previous command to the new one with velocity feed-forward
  (new - previous) / period, and the gripper command ramps linearly the same way; at the period's last
  physics step the target is exactly the new command. This is the expert's own execution (joint paths
  followed with velocity feed-forward, gripper commands ramped) sampled at the control rate, so
  recorded actions replayed through it retrace the recorded joints.
"""
from __future__ import annotations

import numpy as np

from data_schemas.spec import ACTION_DIM, ACTION_LAYOUT, ARMS, GRIPPER_CLOSED, GRIPPER_OPEN
from pipeline.sim.env import SimEnv


class CommandLog:
    """Step hook sampling the command of every control period (see the module docstring).

    Create it at the physics step where frame 0 is captured and register it in `env.step_hooks`;
    `actions()` at the end of the episode returns one row per captured frame.
    """

    def __init__(self, env: SimEnv, steps: int):
        self.env, self.steps = env, steps
        self.start = env.num_steps
        self._rows: list[np.ndarray] = []

    def __call__(self, step: int) -> None:
        if (step - self.start) % self.steps == 0:  # frame (step - start) / steps is captured now:
            self._rows.append(self.env.robot.action())  # the target the last physics step ran with

    def actions(self) -> np.ndarray:
        """float32 [frames, ACTION_DIM]; the last row is the target in force now (episode end)."""
        return np.stack(self._rows + [self.env.robot.action()])


class ControlLaw:
    """Executes one command per control period of `steps` physics steps on `env`'s robot.

    The previous command starts as the robot's current targets (its home posture after a reset).
    """

    def __init__(self, env: SimEnv, steps: int):
        if steps < 1:
            raise ValueError(f"a control period needs >= 1 physics step, got {steps}")
        self.env, self.steps = env, steps
        self.previous = env.robot.action().astype(np.float64)

    def apply(self, command: np.ndarray) -> None:
        """Run one control period towards `command` [ACTION_DIM] (arm joints rad, gripper 1 open / 0 closed,
        clipped to [0, 1]). Non-finite or misshapen commands -> ValueError before anything moves."""
        command = np.asarray(command, dtype=np.float64)
        if command.shape != (ACTION_DIM,) or not np.all(np.isfinite(command)):
            raise ValueError(f"action must be a finite [{ACTION_DIM}] joint-target vector, got shape {command.shape}")
        command = command.copy()
        for arm in ARMS:
            grip = ACTION_LAYOUT[f"{arm}_gripper"]
            command[grip] = np.clip(command[grip], GRIPPER_CLOSED, GRIPPER_OPEN)
        delta = command - self.previous
        velocity = delta / (self.steps * self.env.dt)
        for k in range(1, self.steps + 1):
            target = command if k == self.steps else self.previous + delta * (k / self.steps)
            for arm in ARMS:
                joints, grip = ACTION_LAYOUT[f"{arm}_arm"], ACTION_LAYOUT[f"{arm}_gripper"]
                self.env.robot[arm].set_arm_target(target[joints], velocity[joints])
                self.env.robot[arm].set_gripper(float(target[grip][0]))
            self.env.step()
        self.previous = command
