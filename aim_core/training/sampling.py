"""Deterministic batch selection: the indices of step `s` depend only on (seed, s, rank).

Training windows are drawn epoch by epoch from a seeded permutation, so a resumed run sees the
same batches as an uninterrupted one without saving any sampler state, and the ranks of a
DDP/FSDP job split each global batch without overlap.
"""
from __future__ import annotations

import numpy as np


class StepBatchSampler:
    """Indices into a dataset of `num_items` windows for each optimizer step."""

    def __init__(self, num_items: int, batch_size: int, seed: int, rank: int = 0, world_size: int = 1):
        if num_items < 1:
            raise ValueError("the training set has no windows: check the dataset, the task selection "
                             "and that episodes are longer than the model's history + horizon")
        self.num_items = num_items
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self._perm_cache: dict[int, np.ndarray] = {}

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch not in self._perm_cache:
            self._perm_cache = {epoch: np.random.default_rng([self.seed, epoch]).permutation(self.num_items)}
        return self._perm_cache[epoch]

    def indices(self, step: int) -> list[int]:
        """This rank's share of the global batch of `step`."""
        global_batch = self.batch_size * self.world_size
        start = step * global_batch + self.rank * self.batch_size
        out = []
        for flat in range(start, start + self.batch_size):
            epoch, pos = divmod(flat, self.num_items)
            out.append(int(self._permutation(epoch)[pos]))
        return out

    def epoch_of(self, step: int) -> float:
        return step * self.batch_size * self.world_size / self.num_items


def step_seed(seed: int, step: int, rank: int) -> int:
    """Seed for the noise/timestep draws of one step on one rank (independent of resumption)."""
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1)[0])
