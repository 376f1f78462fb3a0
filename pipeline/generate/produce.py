"""Produce one unit's episode: from the store when it is already complete, else from the simulator.

Why: a run that crashed after committing an episode but before annotating it must not roll
the episode out again (it would be produced twice); it only needs the annotation redone.
"""
from __future__ import annotations

from pathlib import Path

from data_schemas.spec import EPISODE_ARRAYS
from data_schemas.validate import EpisodeData
from pipeline.generate.plan import EpisodeUnit
from pipeline.record.rollout import RolloutConfig, rollout_episode


def produce_episode(unit: EpisodeUnit, config: RolloutConfig, output: str | Path) -> EpisodeData:
    from pipeline.record.store import DatasetStore

    store = DatasetStore.open(output, mode="r")
    if store.has_episode(unit.episode_id):  # recorded arrays only: the maps are to be (re)made
        stored = set(store.arrays(unit.episode_id))
        return store.read_episode(unit.episode_id, [s.name for s in EPISODE_ARRAYS if s.name in stored])
    return rollout_episode(unit.task, unit.setting, unit.seed, config)
