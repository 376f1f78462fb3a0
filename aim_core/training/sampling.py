"""Deterministic batch selection: the indices of step `s` depend only on (seed, s, rank).

Training windows come in groups that may not share a batch (one group per history length: the
model has no padding mask). Each epoch is a seeded shuffle inside every group, cut into full
global batches (a group's last partial batch wraps around to the start of that group's
shuffle), followed by a seeded shuffle of the batches. So a resumed run sees the same batches
as an uninterrupted one without saving any sampler state, every batch holds one group, and the
ranks of a DDP/FSDP job split each global batch without overlap.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class StepBatchSampler:
    """Indices into a dataset, drawn from one of `groups` (lists of window indices) per optimizer step."""

    def __init__(self, groups: Sequence[Sequence[int]], batch_size: int, seed: int, rank: int = 0,
                 world_size: int = 1):
        self.groups = [np.asarray(g, dtype=np.int64) for g in groups if len(g)]
        if not self.groups:
            raise ValueError("the training set has no windows: check the dataset, the task selection "
                             "and that episodes are longer than the model's horizon")
        if batch_size < 1 or not 0 <= rank < world_size:
            raise ValueError(f"need batch_size >= 1 and 0 <= rank < world_size, got {batch_size}, {rank}, {world_size}")
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.global_batch = batch_size * world_size
        self.batches_per_epoch = sum(-(-len(g) // self.global_batch) for g in self.groups)
        self._epoch_cache: dict[int, np.ndarray] = {}

    def _epoch(self, epoch: int) -> np.ndarray:
        """[batches_per_epoch, global_batch] window indices of one epoch, in the order they are trained."""
        if epoch not in self._epoch_cache:
            rng = np.random.default_rng([self.seed, epoch])
            batches = []
            for group in self.groups:
                n = -(-len(group) // self.global_batch)
                filled = np.resize(rng.permutation(group), n * self.global_batch)  # wraps the shuffle around
                batches.append(filled.reshape(n, self.global_batch))
            self._epoch_cache = {epoch: np.concatenate(batches)[rng.permutation(self.batches_per_epoch)]}
        return self._epoch_cache[epoch]

    def indices(self, step: int) -> list[int]:
        """This rank's share of the global batch of `step`."""
        epoch, position = divmod(step, self.batches_per_epoch)
        batch = self._epoch(epoch)[position]
        return [int(i) for i in batch[self.rank * self.batch_size:(self.rank + 1) * self.batch_size]]

    def epoch_of(self, step: int) -> float:
        return step / self.batches_per_epoch


def step_seed(seed: int, step: int, rank: int) -> int:
    """Seed for the noise/timestep draws of one step on one rank (independent of resumption)."""
    return int(np.random.SeedSequence([seed, step, rank]).generate_state(1)[0])
