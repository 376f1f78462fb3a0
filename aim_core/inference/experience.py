"""What stochastic episodes leave for Stage II: the request that started them and what they planned.

Plain data shared by the producer (`aim_core.eval.grpo_rollouts`, which drives the simulator) and
the consumer (`aim_core.training.stage2`, which must not import the simulator): both import it from
here, the room both may import.
"""
from __future__ import annotations

from dataclasses import dataclass

from aim_core.inference.policy import ChunkRecord


@dataclass(frozen=True)
class RolloutRequest:
    """One stochastic episode: where, and which noise stream the sampler draws."""

    task: str
    setting: str
    seed: int
    sampler_seed: int
    group: int
    """Rollouts of one group share (task, setting, seed) and are normalised together."""


@dataclass
class EpisodeRollout:
    """One episode of a stochastic policy: its planned chunks, their dense rewards, the outcome."""

    request: RolloutRequest
    chunks: list[ChunkRecord]
    dense: list[float]
    """Dense reward of every chunk (same order as `chunks`)."""
    success: bool
    steps: int
