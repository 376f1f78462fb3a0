"""Reference policies for the success table: the scripted expert (replayed) and a trivial one.

Every policy follows the LeRobot convention: `reset()` at the start of an episode, then
`select_action(obs)` once per step, returning an action [ACTION_DIM] for both arms in its `action_space`: joint
targets (these policies), or TCP poses (`data_schemas.TCP_LAYOUT`) that `TaskEnv.step` turns into joint targets.
"""
from __future__ import annotations

from typing import Protocol

import numpy as np

from data_schemas.observation import Observation


class Policy(Protocol):
    name: str
    action_space: str  # data_schemas.ACTION_SPACES

    def reset(self) -> None: ...

    def select_action(self, obs: Observation) -> np.ndarray: ...


class HoldPolicy:
    """Trivial baseline: keep commanding the joints measured at the first step (never moves)."""

    name, action_space = "hold", "joints"

    def __init__(self) -> None:
        self._target: np.ndarray | None = None

    def reset(self) -> None:
        self._target = None

    def select_action(self, obs: Observation) -> np.ndarray:
        if self._target is None:
            self._target = obs.qpos.astype(np.float32).copy()
        return self._target


class ReplayPolicy:
    """The scripted expert executed open loop: its recorded joint targets, step by step.

    The actions come from the expert's own rollout of the same (task, setting, seed), so this
    row checks that the evaluation environment reproduces what the expert did when recording.
    They are aligned as recorded actions (`actions[t]` is the command after observing frame t), so
    the t-th call returns `actions[t]`; past the end it keeps the last row, the target the expert
    held when it finished.
    """

    name, action_space = "expert", "joints"

    def __init__(self, actions: np.ndarray):
        if actions.ndim != 2 or len(actions) == 0:
            raise ValueError(f"ReplayPolicy needs a [T, D] action array, got shape {actions.shape}")
        self.actions = actions.astype(np.float32)
        self._t = 0

    def reset(self) -> None:
        self._t = 0

    def select_action(self, obs: Observation) -> np.ndarray:
        action = self.actions[min(self._t, len(self.actions) - 1)]
        self._t += 1
        return action
