"""Action normalisation statistics, computed once per dataset and stored with it.

The statistics are written into the attrs of the `stats` group of the cache root (by default
the dataset store), keyed by a digest of the episode set they were computed from (a task
selection is another set) and of the schema version (what an action row means: v1 actions lag v2
ones by a step, so statistics cached before `aim-dataset migrate` must not serve the migrated data);
later calls with the same set read them back, a changed set (new episodes) computes and stores new ones.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import zarr
from tqdm import tqdm

from aim_core.data.episodes import EpisodeRef
from aim_core.models.action_codec import ActionStats
from data_schemas import ACTION_STATS_ATTR, SCHEMA_VERSION, STATS_GROUP


def episode_set_digest(episodes: list[EpisodeRef]) -> str:
    """Digest of which episodes (and how long, under which schema version) statistics were computed from."""
    ids = [(e.episode_id, e.attrs.num_steps) for e in episodes]
    return hashlib.sha256(json.dumps([SCHEMA_VERSION, ids]).encode()).hexdigest()[:16]


def compute_action_stats(episodes: list[EpisodeRef], progress: bool = True) -> ActionStats:
    """Percentile statistics over every recorded action of `episodes`."""
    if not episodes:
        raise ValueError("no complete episodes to compute action statistics from: check the dataset path "
                         "and the task/setting selection")
    actions = [e.read("action") for e in tqdm(episodes, desc="action stats", disable=not progress)]
    return ActionStats.from_actions(np.concatenate(actions, axis=0))


def stored_action_stats(cache_root: zarr.Group, episodes: list[EpisodeRef]) -> ActionStats | None:
    """Statistics stored for exactly this episode set, else None."""
    try:
        by_digest = cache_root[STATS_GROUP].attrs.get(ACTION_STATS_ATTR) or {}
    except KeyError:
        return None
    entry = by_digest.get(episode_set_digest(episodes))
    return None if entry is None else ActionStats.from_dict(entry)


def load_or_compute_action_stats(cache_root: zarr.Group, episodes: list[EpisodeRef],
                                 progress: bool = True) -> ActionStats:
    """Stored statistics of this episode set, or compute and store them (cache root must be writable)."""
    stats = stored_action_stats(cache_root, episodes)
    if stats is not None:
        return stats
    stats = compute_action_stats(episodes, progress)
    group = cache_root.require_group(STATS_GROUP)
    by_digest = dict(group.attrs.get(ACTION_STATS_ATTR) or {})
    by_digest[episode_set_digest(episodes)] = stats.to_dict()
    group.update_attributes({ACTION_STATS_ATTR: by_digest})
    return stats
