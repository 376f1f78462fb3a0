"""One closed-loop episode: a policy drives a freshly reset `TaskEnv` until success or the step limit."""
from __future__ import annotations

import time

import numpy as np

from aim_core.eval.policies import Policy
from aim_core.eval.report import EpisodeResult
from aim_core.eval.video import EpisodeVideo
from data_schemas import ACTION_DIM, ACTION_LAYOUT
from pipeline.sim.task_env import TaskEnv


FIRST_MOVE_RAD = 0.1
"""Joint-space distance (L2 over an arm's 7 joints) from the reset posture at which an arm counts as moving."""
LIFT_M = 0.03
"""Rise above its start height at which a task object counts as lifted (picked off its support, not pushed)."""
REACH_M = 0.04
"""Distance from a gripper's TCP to a task object's origin at which the object counts as reached (a grasp's
approach got there: grasping one of stack_blocks_two's 5 cm cubes puts the TCP about 2.5 cm above its origin, the
bottom face's centre; a descent that stops 3 cm short of that is 5.5 cm away)."""


def moved_arm(start_qpos: np.ndarray, qpos: np.ndarray) -> str | None:
    """The arm (of ACTION_LAYOUT) whose joints moved furthest from `start_qpos`, if at least FIRST_MOVE_RAD."""
    moved = {arm.removesuffix("_arm"): float(np.linalg.norm(qpos[part] - start_qpos[part]))
             for arm, part in ACTION_LAYOUT.items() if arm.endswith("_arm")}
    arm = max(moved, key=moved.get)
    return arm if moved[arm] >= FIRST_MOVE_RAD else None


class PolicyError(RuntimeError):
    """A policy raised or returned an unusable action; names the episode it happened in."""


def run_episode(env: TaskEnv, policy: Policy, max_steps: int, video: EpisodeVideo | None = None) -> EpisodeResult:
    """Reset `policy` and let it act on `env` (already reset to the episode) until the task's success
    latches (checked after every physics step, RoboTwin's rule) or `max_steps` actions were taken.

    `lifted` names the task objects that rose LIFT_M above their start height at some control step (a grasp
    that held, short of success), `reached` those a gripper's TCP came within REACH_M of (an approach that got
    there, held or not). A policy that raises, or returns a non-finite or wrongly shaped action, ->
    PolicyError naming the episode. When the policy exposes `value_images` (the AIM policy's latest predicted
    value maps as colour images [V, h, w, 3]), the video shows them below the camera views.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1 (got {max_steps})")
    task, setting, seed = env.episode
    where = f"{policy.name} on {task}/{setting} seed {seed}"
    start = time.perf_counter()
    obs = env.observe()
    start_qpos, first_arm = np.asarray(obs.qpos, dtype=np.float64), None
    start_z = {name: float(p[2]) for name, p in env.object_positions().items()}
    highest = dict(start_z)
    nearest = dict.fromkeys(start_z, np.inf)
    policy.reset()
    while env.steps < max_steps and not env.success:
        try:
            action = np.asarray(policy.select_action(obs), dtype=np.float32)
        except Exception as exc:  # noqa: BLE001 - any policy failure ends the run with its episode named
            raise PolicyError(f"{where}, step {env.steps}: the policy raised {type(exc).__name__}: {exc}") from exc
        if action.shape != (ACTION_DIM,) or not np.all(np.isfinite(action)):
            raise PolicyError(f"{where}, step {env.steps}: action of shape {action.shape} "
                              f"(finite: {bool(np.all(np.isfinite(action)))}); expected finite [{ACTION_DIM}]")
        if video is not None:
            video.add(obs.images, getattr(policy, "value_images", None))
        obs = env.step(action, action_space=policy.action_space)
        first_arm = first_arm or moved_arm(start_qpos, np.asarray(obs.qpos, dtype=np.float64))
        positions = env.object_positions()
        highest = {name: max(p[2], highest[name]) for name, p in positions.items()}
        nearest = {name: min(nearest[name], _tcp_distance(obs, p)) for name, p in positions.items()}
    if video is not None:
        video.add(obs.images, getattr(policy, "value_images", None))
    return EpisodeResult(policy=policy.name, task=task, setting=setting, seed=seed, success=env.success,
                         steps=env.steps, wall_s=time.perf_counter() - start, first_arm=first_arm,
                         lifted=tuple(name for name in start_z if highest[name] - start_z[name] >= LIFT_M),
                         reached=tuple(name for name in start_z if nearest[name] <= REACH_M))


def _tcp_distance(obs, position: np.ndarray) -> float:
    """Distance (m) from the nearer gripper's measured TCP to `position` (inf where `obs` has no TCP poses)."""
    if obs.ee_pose is None:
        return float("inf")
    return float(np.min(np.linalg.norm(np.asarray(obs.ee_pose)[:, :3] - position, axis=-1)))
