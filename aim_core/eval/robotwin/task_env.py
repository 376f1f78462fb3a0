"""`RoboTwinTaskEnv`: RoboTwin 2.0's `TASK_ENV` interface over our `TaskEnv`, for policy code written for RoboTwin.

RoboTwin hands a policy's `eval(TASK_ENV, model, observation)` its task object; the policy reads
`TASK_ENV.get_obs()` / `get_instruction()` and acts with `TASK_ENV.take_action(action, action_type)`,
while the evaluation loop watches `eval_success`, `take_action_cnt` and `step_lim`
(`envs/_base_task.py` and `script/eval_policy.py` of RoboTwin-Platform/RoboTwin, stable_2.0). This
class offers the same names over one episode of a `TaskEnv` already reset to it.

`get_obs()` returns RoboTwin's dictionary (rgb, qpos and endpose data types, RoboTwin's evaluation default):
- `observation.{head_camera,left_camera,right_camera}` (our head, left_wrist, right_wrist cameras):
  `rgb` uint8 [H, W, 3]; `intrinsic_cv` float32 [3, 3], `extrinsic_cv` float32 [3, 4] (world to camera,
  OpenCV axes) and `cam2world_gl` float32 [4, 4] (camera to world, OpenGL axes), SAPIEN's own matrices as
  RoboTwin reads them (so `intrinsic_cv` has SAPIEN's principal point W/2, H/2, half a pixel from the
  dataset's `intrinsics`, which put pixel centres at integers);
- `joint_action`: `left_arm` (list of 7 floats), `left_gripper` (float), `right_arm`, `right_gripper`,
  `vector` float64 [16]. As in RoboTwin these are the *commanded* joint targets and gripper commands (what
  `take_action` last sent, the home posture after a reset), not measured joints; `measured_vector` float64
  [16] (an AIM addition) holds the measured joints, the dataset's `qpos`;
- `endpose`: `left_endpose` / `right_endpose` ([x, y, z, qw, qx, qy, qz], world frame, measured) and
  `left_gripper` / `right_gripper` (commanded, 1 open / 0 closed). Our pose is the TCP frame of
  `pipeline.sim.robot` (z = approach, y = finger opening, at the fingertip centre); RoboTwin's aloha
  end pose has x as its approach axis;
- `pointcloud`: [] (RoboTwin's evaluation does not fill it by default).

`take_action(action, action_type)`:
- `'qpos'`: our 16-D joint vector in `ACTION_LAYOUT` order: left arm 7, left gripper 1, right arm 7,
  right gripper 1 (two Franka Pandas; RoboTwin's default aloha-agilex has 6 + 1 per arm, 14-D, and its
  franka-panda embodiment has our 7 + 1). Gripper 1 open, 0 closed (clipped to [0, 1]), as RoboTwin's.
- `'ee'`: [left TCP pose (xyz + quaternion wxyz, world), left gripper, right TCP pose, right gripper],
  16 values (`data_schemas.TCP_LAYOUT`), executed as `TaskEnv.step(action, action_space="tcp")`: each pose becomes
  joint targets by the arm's inverse kinematics (`PandaArm.ik_to_tcp`, the solution closest to the current target).
  Where IK finds none the arm holds its target, the gripper still moves and the step counts (RoboTwin: when planning
  fails the arm is not commanded, the gripper is interpolated, the step counts); `ik_failures` counts these.
Either way one action is one control period of our protocol (`TaskEnv.step`: `SimConfig.record_every`
physics steps under the recorded-action control law) where RoboTwin time-parameterises each action with
TOPP; success is checked after every physics step and latched. As in RoboTwin, `take_action` does nothing
once the step limit is reached or success latched. An action that is not 16 finite numbers, or an
unknown `action_type`, raises `ActionError` before anything moves.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aim_core.eval.video import EpisodeVideo
from data_schemas.observation import Observation
from data_schemas.spec import ACTION_DIM, ARMS, CAMERA_NAMES, ROBOTWIN_ACTION_TYPES
from pipeline.sim.task_env import TaskEnv

ROBOTWIN_CAMERAS: dict[str, str] = {"head": "head_camera", "left_wrist": "left_camera", "right_wrist": "right_camera"}
"""Our camera names (`data_schemas.spec.CAMERA_NAMES`) -> RoboTwin's observation keys."""
ACTION_SPACE_OF = {action_type: space for space, action_type in ROBOTWIN_ACTION_TYPES.items()}
"""RoboTwin's `take_action` types -> our action spaces (`ee` in `TCP_LAYOUT`)."""
ACTION_TYPES = tuple(ACTION_SPACE_OF)


class ActionError(ValueError):
    """A policy passed `take_action` something that is not an action (names what and what was expected)."""


class RoboTwinTaskEnv:
    """RoboTwin's `TASK_ENV` for one episode of `env` (already reset): get_obs / take_action /
    get_instruction / eval_success / take_action_cnt / step_lim."""

    def __init__(self, env: TaskEnv, step_lim: int, video: EpisodeVideo | None = None):
        if step_lim < 1:
            raise ValueError(f"step_lim must be >= 1, got {step_lim}")
        env.sim  # noqa: B018 - raises unless the env was reset
        self.env, self.step_lim, self.video = env, int(step_lim), video
        self.now_obs: dict[str, Any] | None = None
        """The latest `get_obs()` result (RoboTwin keeps it too; its evaluation video shows its head view)."""
        self._observed: Observation | None = env.observe()  # the frame the episode starts from
        self._last_images = self._observed.images

    # -- RoboTwin's interface ----------------------------------------------------------------
    @property
    def ik_failures(self) -> int:
        """Arms' 'ee' poses that inverse kinematics could not reach this episode (the arm held)."""
        return self.env.ik_failures

    @property
    def take_action_cnt(self) -> int:
        """Actions taken since the reset (each `take_action` that was not a no-op)."""
        return self.env.steps

    @property
    def eval_success(self) -> bool:
        """True once the task's success held at any physics step of the episode (latched)."""
        return self.env.success

    def get_instruction(self) -> str:
        return self.env.instruction

    def set_instruction(self, instruction: str) -> None:
        self.env.instruction = instruction

    def get_obs(self) -> dict[str, Any]:
        """RoboTwin's observation dictionary now (see the module docstring)."""
        sim = self.env.sim
        if self._observed is None or self._observed.step != self.env.steps:
            self._observed = self.env.observe()
        images = self._observed.images
        cameras = sim.cameras.cameras
        names = [c.get_name() for c in cameras]
        if names != list(CAMERA_NAMES):
            raise RuntimeError(f"camera rig order {names} differs from CAMERA_NAMES {list(CAMERA_NAMES)}")
        observation = {
            ROBOTWIN_CAMERAS[name]: {
                "intrinsic_cv": camera.get_intrinsic_matrix(),
                "extrinsic_cv": camera.get_extrinsic_matrix(),
                "cam2world_gl": camera.get_model_matrix(),
                "rgb": images[v],
            } for v, (name, camera) in enumerate(zip(CAMERA_NAMES, cameras))}
        arms = {name: sim.robot[name] for name in ARMS}
        joint_action: dict[str, Any] = {}
        endpose: dict[str, Any] = {}
        vector: list[float] = []
        for name, arm in arms.items():
            joints = [float(q) for q in arm.arm_target]
            gripper = float(arm.gripper_command)
            joint_action[f"{name}_arm"] = joints
            joint_action[f"{name}_gripper"] = gripper
            vector += [*joints, gripper]
            pose = arm.tcp_pose()
            endpose[f"{name}_endpose"] = [float(v) for v in (*pose.p, *pose.q)]
            endpose[f"{name}_gripper"] = gripper
        joint_action["vector"] = np.array(vector, dtype=np.float64)
        joint_action["measured_vector"] = self._observed.qpos.astype(np.float64)
        self._last_images = images
        self.now_obs = {"observation": observation, "pointcloud": [], "joint_action": joint_action,
                        "endpose": endpose}
        return self.now_obs

    def take_action(self, action: Any, action_type: str = "qpos") -> None:
        """Execute one action (see the module docstring); a no-op once the step limit is reached or
        success latched."""
        if self.take_action_cnt >= self.step_lim or self.eval_success:
            return
        if action_type not in ACTION_TYPES:
            raise ActionError(f"action_type {action_type!r} is not supported; use one of {ACTION_TYPES}")
        command = self._as_vector(action, action_type)
        if self.video is not None:
            self.video.add(self._last_images)
        try:
            self._observed = self.env.step(command, action_space=ACTION_SPACE_OF[action_type])
        except ValueError as exc:  # a zero-length quaternion: raised before anything moves
            raise ActionError(f"ee action: {exc}") from None

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _as_vector(action: Any, action_type: str) -> np.ndarray:
        layout = ("left arm 7, left gripper, right arm 7, right gripper (RoboTwin's aloha: 14 = 6 + 1 per arm)"
                  if action_type == "qpos" else "per arm xyz, quaternion wxyz, gripper")
        try:
            vector = np.asarray(action, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ActionError(f"{action_type} action is not numeric ({type(action).__name__}: {exc})") from None
        if vector.shape != (ACTION_DIM,):
            raise ActionError(f"{action_type} action of shape {vector.shape}; expected {ACTION_DIM} values ({layout})")
        if not np.all(np.isfinite(vector)):
            bad = np.flatnonzero(~np.isfinite(vector)).tolist()
            raise ActionError(f"{action_type} action has non-finite values at {bad}: {vector.round(4).tolist()}")
        return vector

    def finish_video(self) -> None:
        """Add the final frame to the episode video (RoboTwin writes the frame where success latched)."""
        if self.video is not None:
            if self._observed is None or self._observed.step != self.env.steps:
                self._observed = self.env.observe()
            self.video.add(self._observed.images)
