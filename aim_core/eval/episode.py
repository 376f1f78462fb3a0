"""One closed-loop episode: a policy drives an environment until success or the step limit."""
from __future__ import annotations

import time

import numpy as np

from aim_core.eval.env import EvalEnv
from aim_core.eval.policies import Policy
from aim_core.eval.report import EpisodeResult
from aim_core.eval.video import EpisodeVideo
from data_schemas import ACTION_DIM


def run_episode(env: EvalEnv, policy: Policy, task: str, setting: str, seed: int, max_steps: int,
                video: EpisodeVideo | None = None) -> EpisodeResult:
    """Reset `env` and `policy`, act until the task succeeds or `max_steps` actions were taken.

    When the policy exposes `value_images` (the AIM policy's latest predicted value maps as
    colour images [V, h, w, 3]), the video shows them below the camera views.
    """
    if max_steps < 1:
        raise ValueError(f"max_steps must be >= 1 (got {max_steps})")
    start = time.perf_counter()
    obs = env.reset(task, setting, seed)
    policy.reset()
    success = False
    steps = 0
    while steps < max_steps:
        action = np.asarray(policy.select_action(obs), dtype=np.float32)
        if action.shape != (ACTION_DIM,) or not np.all(np.isfinite(action)):
            raise ValueError(f"policy {policy.name} returned action of shape {action.shape} "
                             f"(finite: {bool(np.all(np.isfinite(action)))}); expected finite [{ACTION_DIM}]")
        if video is not None:
            video.add(obs.images, getattr(policy, "value_images", None))
        obs = env.step(action)
        steps += 1
        if env.success():
            success = True
            break
    if video is not None:
        video.add(obs.images, getattr(policy, "value_images", None))
    return EpisodeResult(policy=policy.name, task=task, setting=setting, seed=seed, success=success,
                         steps=steps, wall_s=time.perf_counter() - start)
