"""The step-wise environment interface closed-loop evaluation runs against.

An environment is reset to (task, setting, seed), takes one joint-target action for both arms
per recorded step (ACTION_LAYOUT order, gripper 1 open / 0 closed) and returns what a policy
may see: the three camera images, the measured joints and the instruction.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from aim_core.inference.observation import Observation


class EvalEnv(Protocol):
    """reset(task, setting, seed) / step(action) / success(), as used by `run_episode`."""

    def reset(self, task: str, setting: str, seed: int) -> Observation: ...

    def step(self, action: np.ndarray) -> Observation: ...

    def success(self) -> bool: ...

    def close(self) -> None: ...
